"""``backends.cpu``: the CPU npgrad computes on."""


def get_cpu_capability():
    """The vector instruction set PyTorch would use; npgrad leaves that to NumPy."""
    return "DEFAULT"
