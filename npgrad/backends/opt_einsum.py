"""``backends.opt_einsum``: einsum contraction-order optimization, not used by npgrad."""

enabled = False
strategy = None


def is_available():
    return False


def get_opt_einsum():
    return None
