"""``backends.cudnn``: not available (no CUDA); ``enabled``, ``benchmark``,
``deterministic``, ``allow_tf32`` are plain settable attributes with PyTorch's defaults."""

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True
fp32_precision = "none"


def is_available():
    return False


def version():
    return None


def is_acceptable(tensor):
    return False
