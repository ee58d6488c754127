"""The tensor functions of ``npgrad.ops.{matrix, einsum, scatter, special, misc}`` as
``torch.X`` and, where PyTorch has them, as ``Tensor.X`` methods and ``Tensor.X_``
in-place forms."""
from ._tensor import Tensor
from .ops import inplace as _inplace
from .ops.einsum import einsum
from .ops.matrix import (
    addbmm, addmm, addmv, baddbmm, cdist, diag, diagonal, kron, outer, tensordot, trace, tril,
    tril_indices, triu, triu_indices,
)
from .ops.misc import (
    bincount, cummax, cummin, histc, lerp, meshgrid, narrow, repeat_interleave, unfold,
)
from .ops.scatter import (
    argwhere, index_add, masked_select, nonzero, scatter, scatter_add,
)
from .ops.special import erf, erfc, erfinv

ger = outer

__all__ = [
    "addbmm", "addmm", "addmv", "argwhere", "baddbmm", "bincount", "cdist", "cummax", "cummin",
    "diag", "einsum", "erf", "erfc", "erfinv", "ger", "histc", "index_add", "kron", "lerp",
    "masked_select", "meshgrid", "narrow", "nonzero", "outer", "repeat_interleave", "scatter",
    "scatter_add", "tensordot", "trace", "tril", "triu", "diagonal", "tril_indices",
    "triu_indices", "erf_", "erfc_",
]


def _in_place(fn, name):
    """``t.fn_(...)``: the out-of-place result written back into ``t`` (recorded in the
    graph when ``t`` is, with the usual leaf check)."""

    def method(self, *args, **kwargs):
        tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
        other = next((a for a in tensors if a._requires_grad), None)
        if _inplace._records(self, other):
            return _inplace._take_over(self, fn(_inplace._before(self), *args, **kwargs))
        result = fn(Tensor._make(self._data, None), *args, **kwargs)
        if result._data.shape != self._data.shape:
            raise RuntimeError(f"{name}: the result's shape {tuple(result.shape)} does not match "
                               f"the tensor's shape {tuple(self.shape)}")
        self._data[...] = result._data
        return self

    method.__name__ = name
    return method


def _scatter_method(self, dim, index, src=None, value=None, reduce=None):
    return scatter(self, dim, index, src, value, reduce)


def _index_add_method(self, dim, index, source, alpha=1):
    return index_add(self, dim, index, source, alpha=alpha)


_METHODS = {
    "tril": tril, "triu": triu, "narrow": narrow, "diag": diag, "trace": trace,
    "outer": outer, "ger": outer, "kron": kron, "addmm": addmm, "addmv": addmv,
    "baddbmm": baddbmm, "addbmm": addbmm, "lerp": lerp, "erf": erf, "erfc": erfc,
    "erfinv": erfinv, "bincount": bincount, "histc": histc,
    "repeat_interleave": repeat_interleave, "scatter": _scatter_method,
    "scatter_add": scatter_add, "index_add": _index_add_method,
    "masked_select": masked_select, "nonzero": nonzero, "argwhere": argwhere,
    "unfold": unfold, "cummax": cummax, "cummin": cummin, "diagonal": diagonal,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

for _name, _fn in {
    "tril_": tril, "triu_": triu, "lerp_": lerp, "erf_": erf, "erfc_": erfc, "erfinv_": erfinv,
    "scatter_": _scatter_method, "scatter_add_": scatter_add, "index_add_": _index_add_method,
    "addmm_": addmm, "baddbmm_": baddbmm,
}.items():
    setattr(Tensor, _name, _in_place(_fn, _name))


def _bernoulli(self, p=None, generator=None):
    """``t.bernoulli()``: 1 with probability t (element-wise), else 0; ``t.bernoulli(p)``:
    probability p everywhere, shaped like t."""
    from ._creation import bernoulli, full_like

    return bernoulli(self if p is None else full_like(self, p), generator=generator)


Tensor.bernoulli = _bernoulli


def erf_(x):
    return x.erf_()


def erfc_(x):
    return x.erfc_()
