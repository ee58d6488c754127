"""The weight-norm formula both ``weight_norm`` spellings share: ``w = g * v / ||v||``, the
norm taken over every dim but ``dim`` (over all of ``v`` when ``dim`` is -1 or None, as in
PyTorch's ``norm_except_dim``)."""


def norm_except_dim(v, dim):
    """``torch.norm_except_dim(v, 2, dim)``: shaped like ``v`` with 1 everywhere but ``dim``
    (a 0-d tensor when ``dim == -1``)."""
    if dim == -1:
        return v.norm()
    ndim = v.dim()
    if not -ndim <= dim < ndim:
        raise IndexError(f"weight_norm: Dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}], but got {dim})")
    dim %= ndim
    others = tuple(d for d in range(ndim) if d != dim)
    return v.norm(dim=others, keepdim=True) if others else v.abs()


def weight_norm_value(v, g, dim):
    """``torch._weight_norm(v, g, dim)``: ``v`` scaled so that its norm (except ``dim``) is
    ``g``. Differentiable in both, through npgrad's ops."""
    return v * (g / norm_except_dim(v, dim))


def check_dim(dim):
    return -1 if dim is None else dim
