"""``backends.mkl``: npgrad does not call MKL itself (NumPy's BLAS does the matmuls)."""


def is_available():
    return False
