"""``npgrad.xpu``: Intel GPUs, as PyTorch answers without one."""


def is_available():
    return False


def device_count():
    return 0
