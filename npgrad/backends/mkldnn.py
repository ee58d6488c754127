"""``backends.mkldnn``: npgrad does not use oneDNN (it computes with NumPy)."""

enabled = True
deterministic = False


def is_available():
    return False
