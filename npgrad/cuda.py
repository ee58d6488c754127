"""There is no GPU backend yet: ``npgrad.cuda.is_available()`` is False, so tutorial code
that picks ``'cuda' if torch.cuda.is_available() else 'cpu'`` runs on the CPU."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass
