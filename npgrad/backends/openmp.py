"""``backends.openmp``: npgrad does not use OpenMP (see ``npgrad.set_num_threads``)."""


def is_available():
    return False
