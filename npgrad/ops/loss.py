"""Loss functions, each one fused node: forward beside backward, reduction included.

A loss computes one value per element (or per sample), then reduces: ``'mean'`` (divide by
the count — or, for losses with class weights, by the total weight), ``'sum'``, or ``'none'``
(keep them all). The backward multiplies the local derivative by ``scale``: the incoming
gradient, divided by that count for ``'mean'``.

Cross-entropy is the loss of classification, so it gets the most care:
- log-softmax and the negative log-likelihood are fused: with p = softmax(z) and target
  distribution q, the loss -sum(q log p) has the gradient ``p * sum(q) - q`` (for one class:
  p minus the one-hot target) — no Jacobian of the softmax is ever formed;
- the max logit is subtracted before ``exp``, so logits of +-1e4 give finite results;
- the common case (class indices, no weight, no label smoothing) has its own lean op.
"""
import warnings

from .. import _fast
from .._backend import xp
from .._tensor import Tensor
from ..autograd.function import Op
from . import shape as shape_ops
from .unary import _sign

_REDUCTIONS = ("none", "mean", "sum")
_EPS12 = xp.float32(1e-12)  # PyTorch's BCE epsilon is a float: 9.99999996e-13 in float64


def _reduce(values, reduction, denom=None):
    if reduction == "none":
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    with xp.errstate(divide="ignore", invalid="ignore"):  # 0 / 0: every row ignored -> nan
        return total / (values.size if denom is None else denom)


def _scale(grad, reduction, n):
    """d(loss)/d(each value) from the incoming gradient: grad, or grad / n for 'mean'.
    With nothing to average (every target ignored, n = 0) the loss is nan but the gradient
    is zero, as in PyTorch."""
    if reduction != "mean":
        return grad
    if n is not None and not xp.all(n):
        return xp.zeros_like(grad)
    return grad / n


# ---------------------------------------------------------------------- cross-entropy
class CrossEntropyIndices(Op):
    """Cross-entropy of (N, C) logits with N class indices: the training loop's fast path.

    loss_i = logsumexp(z_i) - z_i[t_i]; gradient (softmax(z_i) - onehot(t_i)) * scale.
    """

    def forward(self, logits, target, reduction="mean"):
        rows = xp.arange(logits.shape[0])
        shifted = logits - logits.max(axis=1, keepdims=True)  # the max is 0: no overflow
        picked = shifted[rows, target]
        probs = xp.exp(shifted, out=shifted)  # reuse the buffer: shifted is not needed again
        sums = probs.sum(axis=1, keepdims=True)
        losses = xp.log(sums[:, 0])
        losses -= picked
        probs /= sums
        self.saved = (probs, target)
        self.reduction = reduction
        return _reduce(losses, reduction)

    def backward(self, grad):
        probs, target = self.saved
        n = probs.shape[0]
        scale = _scale(grad, self.reduction, n)
        rows = xp.arange(n)
        if self.reduction == "none":
            g = probs * scale[:, None]
            g[rows, target] -= scale
        else:
            g = probs * scale
            g[rows, target] -= scale
        return g, None


class CrossEntropyDense(Op):
    """Cross-entropy of (M, C) logits with a dense (M, C) target weighting ``q``:
    loss_i = -sum_c q_ic log softmax(z_i)_c. Class weights, label smoothing, ignored rows
    and probability targets are all folded into ``q`` by the caller."""

    def forward(self, logits, q, reduction="mean", denom=None):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        losses = -(q * log_probs).sum(axis=1)
        self.saved = (log_probs, q)
        self.reduction, self.denom = reduction, denom
        return _reduce(losses, reduction, denom)

    def backward(self, grad):
        log_probs, q = self.saved
        scale = _scale(grad, self.reduction, self.denom)
        if self.reduction == "none":
            scale = scale[:, None]
        gx = gq = None
        if self.needs[0]:
            gx = (xp.exp(log_probs) * q.sum(axis=1, keepdims=True) - q) * scale
        if self.needs[1]:
            gq = -log_probs * scale
        return gx, gq


class NllLoss(Op):
    """Negative log-likelihood of (M, C) log-probabilities: loss_i = -w_i * x[i, t_i], where
    w_i is the class weight of t_i (0 for an ignored row)."""

    def forward(self, log_probs, target, w, reduction="mean", denom=None):
        rows = xp.arange(log_probs.shape[0])
        losses = -log_probs[rows, target] * w
        self.saved = (target, w)
        self.shape = log_probs.shape
        self.reduction, self.denom = reduction, denom
        return _reduce(losses, reduction, denom)

    def backward(self, grad):
        target, w = self.saved
        scale = _scale(grad, self.reduction, self.denom)
        g = xp.zeros(self.shape, dtype=w.dtype)
        g[xp.arange(self.shape[0]), target] = -w * scale
        return g, None, None


# ---------------------------------------------------------------------- binary
class BinaryCrossEntropy(Op):
    """-w (y log x + (1 - y) log(1 - x)) with each log clamped at -100 (PyTorch's choice:
    a probability of exactly 0 or 1 gives a large finite loss, not inf)."""

    def forward(self, x, y, w=None, reduction="mean"):
        log_x = xp.maximum(xp.log(x), -100)
        log_1mx = xp.maximum(xp.log1p(-x), -100)
        values = (y - 1) * log_1mx - y * log_x
        if w is not None:
            values = values * w
        self.saved = (x, y, w)
        self.reduction = reduction
        return _reduce(values, reduction)

    def backward(self, grad):
        x, y, w = self.saved
        scale = _scale(grad, self.reduction, x.size)
        if w is not None:
            scale = scale * w
        gx = gy = None
        if self.needs[0]:  # (x - y) / (x (1 - x)), the denominator kept away from 0
            gx = scale * (x - y) / xp.maximum((1 - x) * x, _EPS12)
        if self.needs[1]:
            gy = scale * (xp.log1p(-x) - xp.log(x))
        return gx, gy, None


class BinaryCrossEntropyWithLogits(Op):
    """BCE on logits z, stable for any z: with softplus(-z) = -log sigmoid(z) computed as
    max(-z, 0) + log1p(e^-|z|),

        loss = (1 - y) z + (1 + (pw - 1) y) softplus(-z)   (pw = pos_weight, 1 by default)

    and d loss / dz = (1 + (pw - 1) y) sigmoid(z) - pw y  (= sigmoid(z) - y when pw = 1).
    """

    def forward(self, z, y, w=None, pos_weight=None, reduction="mean"):
        sp = xp.maximum(-z, 0) + xp.log1p(xp.exp(-xp.abs(z)))
        if pos_weight is None:
            values = (1 - y) * z + sp
        else:
            values = (1 - y) * z + (1 + (pos_weight - 1) * y) * sp
        if w is not None:
            values = values * w
        self.saved = (z, y, w, pos_weight, sp)
        self.reduction = reduction
        return _reduce(values, reduction)

    def backward(self, grad):
        z, y, w, pw, sp = self.saved
        scale = _scale(grad, self.reduction, _broadcast_size(z, y, w, pw))
        if w is not None:
            scale = scale * w
        gz = gy = None
        if self.needs[0]:
            e = xp.exp(-xp.abs(z))
            sig = xp.where(z >= 0, 1 / (1 + e), e / (1 + e))
            gz = sig - y if pw is None else (1 + (pw - 1) * y) * sig - pw * y
            gz = gz * scale
        if self.needs[1]:
            gy = (-z if pw is None else (pw - 1) * sp - z) * scale
        return gz, gy, None, None


def _broadcast_size(*arrays):
    shape = xp.broadcast_shapes(*(a.shape for a in arrays if a is not None))
    n = 1
    for s in shape:
        n *= s
    return n


# ---------------------------------------------------------------------- regression
class MseLoss(Op):
    """(x - y)^2; gradient 2 (x - y). Saves x and y (not x - y), so that the same backward
    runs on Tensors for create_graph."""

    _double = True

    def forward(self, x, y, reduction="mean"):
        diff = x - y
        self.saved = (x, y)
        self.reduction, self.n = reduction, diff.size
        return _reduce(diff * diff, reduction)

    def backward(self, grad):
        x, y = self.saved
        g = (2 * _scale(grad, self.reduction, self.n)) * (x - y)
        return g, (-g if self.needs[1] else None)


class L1Loss(Op):
    """|x - y|; gradient sign(x - y) (0 at 0, as PyTorch)."""

    def forward(self, x, y, reduction="mean"):
        diff = x - y
        self.saved = (diff,)
        self.reduction = reduction
        return _reduce(xp.abs(diff), reduction)

    def backward(self, grad):
        (diff,) = self.saved
        g = _sign(diff) * _scale(grad, self.reduction, diff.size)  # 0 at NaN, as PyTorch
        return g, (-g if self.needs[1] else None)


class SmoothL1Loss(Op):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (quadratic near 0, then linear)."""

    def forward(self, x, y, beta=1.0, reduction="mean"):
        diff = x - y
        ad = xp.abs(diff)
        if beta == 0:
            values = ad
        else:
            values = xp.where(ad < beta, 0.5 * diff * diff / beta, ad - 0.5 * beta)
        self.saved = (diff,)
        self.beta, self.reduction = beta, reduction
        return _reduce(values, reduction)

    def backward(self, grad):
        (diff,) = self.saved
        beta = self.beta
        local = xp.sign(diff) if beta == 0 else xp.clip(diff / beta, -1, 1)
        g = local * _scale(grad, self.reduction, diff.size)
        return g, (-g if self.needs[1] else None)


class HuberLoss(Op):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): SmoothL1 times delta."""

    def forward(self, x, y, delta=1.0, reduction="mean"):
        diff = x - y
        ad = xp.abs(diff)
        values = xp.where(ad < delta, 0.5 * diff * diff, delta * (ad - 0.5 * delta))
        self.saved = (diff,)
        self.delta, self.reduction = delta, reduction
        return _reduce(values, reduction)

    def backward(self, grad):
        (diff,) = self.saved
        g = xp.clip(diff, -self.delta, self.delta) * _scale(grad, self.reduction, diff.size)
        return g, (-g if self.needs[1] else None)


class KlDivLoss(Op):
    """KL(target || input) with ``input`` given as log-probabilities:
    target * (log target - input), 0 where target is 0 (or, with ``log_target``,
    e^target * (target - input))."""

    def forward(self, x, t, reduction="mean", log_target=False):
        if log_target:
            p = xp.exp(t)
            values = p * (t - x)
        else:
            p = t
            with xp.errstate(all="ignore"):  # xlogy(t, t): 0 at t = 0, nan below, as torch
                values = xp.where(t == 0, 0, t * xp.log(t)) - t * x
        self.saved = (x, t, p)
        self.reduction, self.log_target = reduction, log_target
        if reduction == "batchmean":
            return values.sum() / (x.shape[0] if x.ndim else 1)
        return _reduce(values, reduction)

    def backward(self, grad):
        x, t, p = self.saved
        if self.reduction == "batchmean":
            scale = grad / (x.shape[0] if x.ndim else 1)
        else:
            scale = _scale(grad, self.reduction, _broadcast_size(x, t))
        gx = (-p * scale) if self.needs[0] else None
        gt = None
        if self.needs[1]:
            if self.log_target:
                gt = p * (t - x + 1) * scale
            else:
                # log t + 1 - x, and nan outside 0 < t < inf (t = 0 included), as torch
                with xp.errstate(all="ignore"):
                    gt = xp.where((t > 0) & (t < xp.inf), xp.log(t) + 1 - x, xp.nan) * scale
        return gx, gt


# ---------------------------------------------------------------------- checking helpers
def check_reduction(reduction, op, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction (use one of {allowed})")


def legacy_reduction(size_average, reduce, reduction):
    """Map PyTorch's deprecated ``size_average`` / ``reduce`` flags onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='{}' instead.",
        stacklevel=3,
    )
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _tensor_arg(x, name, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def _float_arg(x, name, op):
    _tensor_arg(x, name, op)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected '{name}' to be a floating point tensor, got {x.dtype}")
    return x


def _same_shape(x, y, op, error=ValueError):
    if x._data.shape != y._data.shape:
        raise error(
            f"{op}: Using a target size ({y.shape}) that is different to the input size "
            f"({x.shape}). Please ensure they have the same size."
        )


def _const(t, dtype):
    """A weight argument as a plain array of the input's dtype (weights get no gradient)."""
    if t is None:
        return None
    data = t._data if isinstance(t, Tensor) else xp.asarray(t)
    return data.astype(dtype, copy=False)


def _elementwise_pair(input, target, op):
    """input and target of a regression loss; warns on broadcasting, as PyTorch does."""
    _float_arg(input, "input", op)
    _tensor_arg(target, "target", op)
    if input._data.shape != target._data.shape:
        try:
            xp.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            raise RuntimeError(
                f"{op}: the size of input {tuple(input.shape)} and target {tuple(target.shape)} "
                "cannot be broadcast together"
            ) from None
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )
    if target._data.dtype != input._data.dtype:
        target = target.type(input.dtype)  # a differentiable cast
    return input, target


def _weighted(fn, input, target, weight, reduction, op, by_weight=True, **kw):
    """An element-wise ``weight`` (same shape as input): weigh the 'none' losses, then sum,
    or for 'mean' divide the sum by the total weight (PyTorch's MSE and L1) or by the count
    (``by_weight=False``: PyTorch's Huber)."""
    if weight is None:
        return fn.apply(input, target, reduction=reduction, **kw)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Weights and input must have the same size (weight {tuple(weight.shape)}, input {tuple(input.shape)}).")
    values = fn.apply(input, target, reduction="none", **kw) * weight
    if reduction == "none":
        return values
    if reduction == "sum":
        return values.sum()
    return values.sum() / weight.sum() if by_weight else values.mean()


# ---------------------------------------------------------------------- the functions
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "mse_loss")
    input, target = _elementwise_pair(input, target, "mse_loss")
    return _weighted(MseLoss, input, target, weight, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "l1_loss")
    input, target = _elementwise_pair(input, target, "l1_loss")
    return _weighted(L1Loss, input, target, weight, reduction, "l1_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta})")
    input, target = _elementwise_pair(input, target, "smooth_l1_loss")
    return SmoothL1Loss.apply(input, target, beta=beta, reduction=reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got {delta})")
    input, target = _elementwise_pair(input, target, "huber_loss")
    return _weighted(HuberLoss, input, target, weight, reduction, "huber_loss", by_weight=False, delta=delta)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "kl_div", _REDUCTIONS + ("batchmean",))
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size. 'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition. 'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    input, target = _elementwise_pair(input, target, "kl_div")
    return KlDivLoss.apply(input, target, reduction=reduction, log_target=log_target)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """BCE on probabilities (the output of a sigmoid); prefer the logits version."""
    op = "binary_cross_entropy"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, op)
    _float_arg(input, "input", op)
    _tensor_arg(target, "target", op)
    _same_shape(input, target, op)
    x = input._data
    if x.size and not (x.min() >= 0 and x.max() <= 1):
        raise RuntimeError(
            f"{op}: all elements of input should be between 0 and 1 (got values from "
            f"{x.min()} to {x.max()}; apply a sigmoid first, or use binary_cross_entropy_with_logits)"
        )
    y = target._data
    if y.size and not (y.min() >= 0 and y.max() <= 1):
        raise RuntimeError(f"{op}: all elements of target should be between 0 and 1 (got {y.min()} to {y.max()})")
    if y.dtype != x.dtype and not target._requires_grad:
        target = Tensor._make(y.astype(x.dtype), None)
    w = _const(weight, x.dtype)
    return BinaryCrossEntropy.apply(input, target, w, reduction=reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """BCE on logits: sigmoid and BCE fused, stable for any logit. ``pos_weight`` (one per
    class, broadcast over the last dim) weighs the positive term."""
    op = "binary_cross_entropy_with_logits"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, op)
    _float_arg(input, "input", op)
    _tensor_arg(target, "target", op)
    if input._data.shape != target._data.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    x = input._data
    if target._data.dtype != x.dtype and not target._requires_grad:
        target = Tensor._make(target._data.astype(x.dtype), None)
    return BinaryCrossEntropyWithLogits.apply(
        input, target, _const(weight, x.dtype), _const(pos_weight, x.dtype), reduction=reduction
    )


def _classes_last(input, op):
    """(N, C, d1, ..., dk) logits -> (N * d1 * ... * dk, C), the class dim moved last."""
    if input._data.ndim == 1:
        return shape_ops.reshape(input, (1, -1))
    if input._data.ndim == 2:
        return input
    dims = (0,) + tuple(range(2, input._data.ndim)) + (1,)
    return shape_ops.reshape(shape_ops.permute(input, dims), (-1, input._data.shape[1]))


def _check_index_target(x, t, op):
    """Shapes of (N, C, d...) input and (N, d...) class-index target must agree."""
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension (the classes), got a 0-d tensor")
    expected = x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()
    if t.shape != expected:
        if x.ndim >= 2 and t.ndim >= 1 and t.shape[0] != x.shape[0]:
            raise ValueError(
                f"{op}: Expected input batch_size ({x.shape[0]}) to match target batch_size "
                f"({t.shape[0]})."
            )
        raise ValueError(
            f"{op}: a class-index target for input of shape {tuple(x.shape)} must have shape "
            f"{tuple(expected)}, got {tuple(t.shape)}"
        )


def _bad_targets(t, n_classes, ignore_index, op):
    bad = t[((t < 0) | (t >= n_classes)) & (t != ignore_index)]
    if bad.size:
        return IndexError(
            f"{op}: Target {bad.flat[0]} is out of bounds: there are {n_classes} classes, so a "
            f"target must be in [0, {n_classes - 1}] (or ignore_index={ignore_index})"
        )
    return None


def _class_weights(weight, n_classes, dtype, op):
    w = _const(weight, dtype)
    if w is not None and w.shape != (n_classes,):
        raise RuntimeError(
            f"{op}: weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {tuple(w.shape)}"
        )
    return w


def cross_entropy(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
    reduction="mean", label_smoothing=0.0,
):
    """Cross-entropy of logits ``input`` (N, C) — or (C,), or (N, C, d1, ...) — with
    ``target`` holding class indices (N,) or class probabilities shaped like ``input``."""
    op = "cross_entropy"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, op)
    _float_arg(input, "input", op)
    _tensor_arg(target, "target", op)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x, t = input._data, target._data
    if t.dtype.kind in "iu":
        _check_index_target(x, t, op)
        if x.ndim == 2 and weight is None and label_smoothing == 0:
            n_classes = x.shape[1]
            # Fast path: every target a valid class (no ignored ones). Read as unsigned, a
            # negative target becomes huge, so one max() checks both ends of the range.
            unsigned = t.view(t.dtype.str.replace("i", "u")) if t.dtype.kind == "i" else t
            if t.size == 0 or (
                unsigned.max() < n_classes
                and not (0 <= ignore_index < n_classes and (t == ignore_index).any())
            ):
                op = _fast.compiled_op("CrossEntropyIndices") or CrossEntropyIndices
                return op.apply(input, t, reduction=reduction)
        return _cross_entropy_indices(input, t, weight, ignore_index, reduction, label_smoothing, op)
    if t.dtype.kind != "f":
        raise RuntimeError(f"{op}: target must hold class indices (int64) or class probabilities (float), got {target.dtype}")
    if t.shape != x.shape:
        raise ValueError(
            f"{op}: a float target holds class probabilities and must have the input's shape "
            f"{tuple(x.shape)}, got {tuple(t.shape)} (for class indices use an integer tensor: "
            "target.long())"
        )
    return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, op)


def _target_weights(x, t, weight, ignore_index, op):
    """For class-index targets ``t``: the number of classes, the flat targets, which of them
    count (not ``ignore_index``), the targets with ignored ones replaced by 0 (safe to index
    with), the class weights (or None), and each target's weight (0 where ignored). Raises
    for a target out of range."""
    n_classes = x.shape[1] if x.ndim >= 2 else x.shape[0]
    error = _bad_targets(t, n_classes, ignore_index, op)
    if error is not None:
        raise error
    flat = t.reshape(-1)
    valid = flat != ignore_index
    safe = xp.where(valid, flat, 0)
    w = _class_weights(weight, n_classes, x.dtype, op)
    w_t = (w[safe] if w is not None else xp.ones(flat.shape, x.dtype)) * valid
    return n_classes, flat, valid, safe, w, w_t


def _cross_entropy_indices(input, t, weight, ignore_index, reduction, label_smoothing, op):
    x = input._data
    n_classes, flat, valid, safe, w, w_t = _target_weights(x, t, weight, ignore_index, op)
    logits = _classes_last(input, op)
    rows = xp.arange(flat.shape[0])
    q = xp.zeros((flat.shape[0], n_classes), dtype=x.dtype)
    q[rows, safe] = (1 - label_smoothing) * w_t
    if label_smoothing:
        spread = (label_smoothing / n_classes) * (w if w is not None else xp.ones(n_classes, x.dtype))
        q += spread[None, :] * valid[:, None]
    with xp.errstate(invalid="ignore", divide="ignore"):  # all rows ignored: 0/0 = nan, as PyTorch
        out = CrossEntropyDense.apply(logits, q, reduction=reduction, denom=w_t.sum())
    return shape_ops.reshape(out, t.shape) if reduction == "none" else out


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, op):
    x = input._data
    n_classes = x.shape[1] if x.ndim >= 2 else x.shape[0]
    logits = _classes_last(input, op)
    q = _classes_last(target, op)
    w = _class_weights(weight, n_classes, x.dtype, op)
    if target._requires_grad:  # build q with tensor ops so the gradient reaches the target
        if label_smoothing:
            q = q * (1 - label_smoothing) + label_smoothing / n_classes
        if w is not None:
            q = q * Tensor._make(w, None)
    else:
        qd = q._data.astype(x.dtype, copy=False)
        if label_smoothing:
            qd = qd * (1 - label_smoothing) + label_smoothing / n_classes
        if w is not None:
            qd = qd * w
        q = qd
    out = CrossEntropyDense.apply(logits, q, reduction=reduction, denom=logits._data.shape[0])
    if reduction == "none":
        return shape_ops.reshape(out, x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ())
    return out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (e.g. from log_softmax)."""
    op = "nll_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, op)
    _float_arg(input, "input", op)
    _tensor_arg(target, "target", op)
    x, t = input._data, target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: target must hold class indices (an integer tensor), got {target.dtype}")
    _check_index_target(x, t, op)
    _, _, _, safe, _, w_t = _target_weights(x, t, weight, ignore_index, op)
    log_probs = _classes_last(input, op)
    with xp.errstate(invalid="ignore", divide="ignore"):
        out = NllLoss.apply(log_probs, safe, w_t, reduction=reduction, denom=w_t.sum())
    return shape_ops.reshape(out, t.shape) if reduction == "none" else out

