"""In-place ops: ``add_``, ``mul_``, ``zero_``, ``copy_``, ``uniform_``, ``x[i] = v``, ...

As in PyTorch, every in-place op writes into the tensor's own memory (everything sharing
it - views, ``.data``, ``.detach()``, ``from_numpy`` - sees the change) and bumps its version
counter (autograd/version.py), inside ``no_grad()`` or not. A node that saved that memory
then raises PyTorch's "modified by an inplace operation" error in backward.

- The tensor is outside the graph (no grad needed, or inside ``no_grad()``): write straight
  into its array, bump.
- The tensor is in a graph that records: a leaf that requires grad may not be changed
  (raises, as in PyTorch). Any other tensor: the out-of-place op runs on a copy of the old
  values (so the new node's own gradient is right), its result is written into the tensor's
  memory, and the tensor takes the new node as its grad_fn.
- An in-place op recorded on a *view* of a tensor in the graph (basic indexing, reshape/view,
  transpose/permute) is recorded on the base, as PyTorch's CopySlices does, and the view gets
  a fresh view node of the changed base. A view of the base taken *before* the change works
  for what used it before the change; used *after* it, backward raises (PyTorch replays the
  view on the changed base; npgrad refuses rather than miss the change).
"""
from .._backend import xp
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd import version as _versions
from ..random import get_rng
from . import arithmetic, unary

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."


def _records(t, other=None):
    """Does this in-place op have to be recorded in the graph?"""
    if not grad_mode._state.enabled:
        return False
    if t._requires_grad:
        if t.grad_fn is None:
            raise RuntimeError(_LEAF_ERROR)
        return True
    return isinstance(other, Tensor) and other._requires_grad


def _view_base(t):
    """The Tensor ``t`` is a NumPy view of (made by a view op, sharing its version counter),
    or None."""
    fn = t.grad_fn
    if fn is not None and fn._view and getattr(t, "_vc", None) is not None and (
        fn.inputs[0] is not None and getattr(fn.inputs[0], "_vc", None) is t._vc
    ):
        return fn.inputs[0]
    return None


def _write_through_view(t, base, result):
    """PyTorch's CopySlices: an in-place op on a view changes its base. Record the change on
    the base (the base's new value is the old one with ``result`` in the view's place), then
    give ``t`` a fresh view node of the changed base."""
    from .shape import Index, Permute, Reshape

    fn = t.grad_fn
    if isinstance(fn, Index):
        setitem(base, fn.index, result)
        t.grad_fn = Index.apply(base, index=fn.index).grad_fn
    elif isinstance(fn, Reshape):
        _take_over(base, Reshape.apply(result, shape=base._data.shape))
        t.grad_fn = Reshape.apply(base, shape=t._data.shape).grad_fn
    elif isinstance(fn, Permute):
        inverse = tuple(int(i) for i in xp.argsort(fn.dims))
        _take_over(base, Permute.apply(result, dims=inverse))
        t.grad_fn = Permute.apply(base, dims=fn.dims).grad_fn
    else:
        raise RuntimeError(
            f"an in-place op on a view made by {fn.name()} (shape {tuple(t._data.shape)}) of a "
            "tensor in the graph is not supported by npgrad: use the out-of-place op"
        )
    t._requires_grad = True
    _versions.counter(t).producer = base.grad_fn
    # the old view node fed the op just recorded, with the values from before: it is not
    # a stale view (those raise in backward, see version.check_view_use)
    fn._epoch = _versions.now()
    return t


def _before(t):
    """``t`` as it was before the change, as a separate Tensor for the out-of-place op to take
    as its input (giving the op ``t`` itself would make ``t``'s new node its own input: a
    cycle that cuts the graph behind it off from the gradient). It shares ``t``'s array;
    ``_take_over`` gives the new node a copy if it saved that array."""
    return Tensor._make(t._data, t.grad_fn)


def _take_over(t, result):
    """Write the recorded out-of-place ``result`` into ``t``'s memory; ``t`` takes its node."""
    fn = result.grad_fn
    if fn is not None and fn.saved:  # the new node kept the old values: keep a copy for it
        old = t._data
        fn.saved = tuple(s.copy() if s is old else s for s in fn.saved)
    base = _view_base(t)
    if base is not None:
        return _write_through_view(t, base, result)
    try:
        t._data[...] = result._data  # in place keeps the dtype, as in PyTorch
    except ValueError as e:
        raise RuntimeError(f"in-place op on a tensor of shape {tuple(t._data.shape)}: {e}") from None
    c = _versions.bump(t)
    t.grad_fn, t._requires_grad = result.grad_fn, result._requires_grad
    c.producer = t.grad_fn
    _versions.record_in_graph(c)
    if t.grad_fn is not None:
        t.grad_fn._epoch = _versions.now()
    return t


def _written(t):
    _versions.bump(t)
    return t


def _value(v):
    return v._data if isinstance(v, Tensor) else v


_OUT_OF_PLACE = {
    xp.add: arithmetic.add,
    xp.subtract: arithmetic.sub,
    xp.multiply: arithmetic.mul,
    xp.true_divide: arithmetic.div,
    xp.power: arithmetic.pow,
}


def apply_(t, ufunc, other, name):
    if _records(t, other):
        return _take_over(t, _OUT_OF_PLACE[ufunc](_before(t), other))
    try:
        ufunc(t._data, _value(other), out=t._data)
    except (TypeError, ValueError) as e:
        raise RuntimeError(f"{name}: {e} (tensor {tuple(t._data.shape)}, {t.dtype})") from None
    return _written(t)


def unary_(t, ufunc, name):
    if _records(t):
        fn = {xp.exp: unary.exp, xp.sqrt: unary.sqrt, xp.negative: arithmetic.neg}[ufunc]
        return _take_over(t, fn(_before(t)))
    ufunc(t._data, out=t._data)
    return _written(t)


def clamp_(t, lo=None, hi=None):
    if _records(t):
        return _take_over(t, unary.clamp(_before(t), lo, hi))
    xp.clip(t._data, _value(lo), _value(hi), out=t._data)
    return _written(t)


def fill_(t, value):
    if _records(t):
        return _take_over(t, arithmetic.add(_before(t) * 0, value))
    t._data[...] = _value(value)
    return _written(t)


def copy_(t, src):
    if _records(t, src):
        from .shape import expand

        s = src if isinstance(src, Tensor) else Tensor._make(xp.asarray(src), None)
        return _take_over(t, expand(s.type(t.dtype), t._data.shape).clone())
    try:
        t._data[...] = _value(src)
    except ValueError as e:
        raise RuntimeError(f"copy_: {e} (destination {tuple(t._data.shape)})") from None
    return _written(t)


def masked_fill_(t, mask, value):
    if _records(t, value):
        return _take_over(t, arithmetic.where(mask, value, _before(t)))
    xp.copyto(t._data, _value(value), where=_value(mask))
    return _written(t)


def setitem(t, index, value):
    from .shape import IndexPut, _clean_index

    idx = _clean_index(index)
    if len(idx) == 1:
        idx = idx[0]
    if _records(t, value):
        v = value if isinstance(value, Tensor) else xp.asarray(value, dtype=t._data.dtype)
        if isinstance(v, Tensor) and v._data.dtype != t._data.dtype:
            v = v.type(t.dtype)
        return _take_over(t, IndexPut.apply(_before(t), v, index=idx))
    try:
        t._data[idx] = _value(value)
    except (IndexError, ValueError) as e:
        raise IndexError(f"setitem on a tensor of shape {tuple(t._data.shape)}: {e}") from None
    return _written(t)


# ---------------------------------------------------------------- random fills
def _random_fill(t, draw):
    if grad_mode._state.enabled and t._requires_grad and t.grad_fn is None:
        raise RuntimeError(_LEAF_ERROR)
    d = t._data
    if d.dtype.kind != "f":
        raise TypeError(f"random fill needs a floating point tensor, got {t.dtype}")
    if d.dtype in (xp.float32, xp.float64) and d.flags.c_contiguous:
        draw(d)  # NumPy draws straight into the array, no temporary
    else:
        tmp = xp.empty(d.shape, xp.float64)
        draw(tmp)
        d[...] = tmp
    return _written(t)


def uniform_(t, a=0.0, b=1.0, generator=None):
    rng = get_rng(generator)

    def draw(out):
        rng.random(out=out, dtype=out.dtype)
        if (a, b) != (0.0, 1.0):
            out *= b - a
            out += a

    return _random_fill(t, draw)


def normal_(t, mean=0.0, std=1.0, generator=None):
    rng = get_rng(generator)

    def draw(out):
        rng.standard_normal(out=out, dtype=out.dtype)
        if (mean, std) != (0.0, 1.0):
            out *= std
            out += mean

    return _random_fill(t, draw)


def bernoulli_(t, p=0.5, generator=None):
    d = t._data
    d[...] = get_rng(generator).random(d.shape) < _value(p)
    return _written(t)

