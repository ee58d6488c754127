"""``backends.mps``: Apple's Metal backend is neither built nor available in npgrad."""


def is_available():
    return False


def is_built():
    return False


def is_macos_or_newer(major, minor):
    return False
