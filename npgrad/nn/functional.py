"""``npgrad.nn.functional`` (imported as ``F``): layers and losses as plain functions.

The modules in ``npgrad.nn`` hold parameters and settings, then call these. The ops behind
them — forward beside backward — live in ``npgrad.ops`` (activation, loss, normalization,
embedding, padding).
"""
import warnings

from .._backend import xp
from .._tensor import Tensor, wrap
from ..ops import activation as _activation
from ..ops import normalization, unary
from ..ops.activation import dropout, elu, gelu, hardtanh, leaky_relu, silu, softplus  # noqa: F401
from ..ops.embedding import Embedding as _Embedding
from ..ops.linalg import linear  # noqa: F401
from ..ops.activation import dropout2d  # noqa: F401
from ..ops.conv import conv2d  # noqa: F401
from ..ops.pool import (  # noqa: F401
    adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_pool2d_with_indices,
)
from ..ops.loss import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, kl_div,
    l1_loss, mse_loss, nll_loss, smooth_l1_loss,
)
from ..ops.padding import Pad as _Pad


# ---------------------------------------------------------------------- activations
def relu(input, inplace=False):
    """max(x, 0)."""
    return _activation.maybe_inplace(input, _activation.relu, inplace)


def relu_(input):
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def sigmoid(input):
    return _activation.sigmoid(input)


def tanh(input):
    return unary.tanh(input)


def _softmax_dim(input, dim, name):
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """e^x / sum(e^x) along ``dim`` (the max is subtracted first: no overflow)."""
    if dtype is not None:
        input = input.type(dtype)
    return _activation.softmax(input, _softmax_dim(input, dim, "softmax"))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) computed as x - logsumexp(x): stable where log(softmax) is not."""
    if dtype is not None:
        input = input.type(dtype)
    return _activation.log_softmax(input, _softmax_dim(input, dim, "log_softmax"))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, _softmax_dim(input, dim, "softmin"), dtype=dtype)


# ---------------------------------------------------------------------- dropout
# ---------------------------------------------------------------------- normalization
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) by batch statistics (training) or running ones.

    In training the running buffers, when given, are updated in place.
    """
    shape = input._data.shape
    if input._data.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), got shape {tuple(shape)}")
    if training and input._data.size // shape[1] <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {input.shape}"
        )
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
    return normalization.batch_norm_function().apply(
        input, weight, bias,
        running_mean=None if running_mean is None else running_mean._data,
        running_var=None if running_var is None else running_var._data,
        training=training, momentum=momentum, eps=eps,
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing ``normalized_shape`` dims of each sample."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    shape = tuple(input._data.shape)
    k = len(normalized_shape)
    if shape[len(shape) - k:] != normalized_shape or k > len(shape):
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {list(shape)}"
        )
    return normalization.LayerNorm.apply(input, weight, bias, n_axes=k, eps=eps)


# ---------------------------------------------------------------------- lookup, padding
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by the integer tensor ``input``."""
    indices = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if indices.dtype.kind not in "iu":
        raise RuntimeError(
            f"embedding: expected indices of an integer type (Long or Int), got {indices.dtype}"
        )
    n = weight._data.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        bad = indices[(indices < 0) | (indices >= n)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for a table of {n} rows")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        _renorm_rows(weight._data, indices, max_norm, norm_type)
    return _Embedding.apply(weight, indices, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _renorm_rows(table, indices, max_norm, norm_type):
    """Rescale, in place, the looked-up rows whose norm exceeds ``max_norm`` (PyTorch's
    ``max_norm``: it modifies the weight, outside the graph)."""
    rows = xp.unique(indices)
    norms = xp.linalg.norm(table[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    scale = (max_norm / (norms[over] + 1e-7)).astype(table.dtype)
    table[rows[over]] *= scale[:, None]


def one_hot(tensor, num_classes=-1):
    """Integer class indices -> int64 one-hot rows: shape (*tensor.shape, num_classes)."""
    t = tensor._data
    if t.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    elif t.size and t.max() >= num_classes:
        raise RuntimeError(f"Class values must be smaller than num_classes ({num_classes}); got {int(t.max())}.")
    out = xp.zeros(t.shape + (num_classes,), dtype=xp.int64)
    xp.put_along_axis(out, t[..., None].astype(xp.int64), 1, axis=-1)
    return wrap(out)


#: (number of padded dims, input rank) that the non-constant padding modes accept (as torch)
_NON_CONSTANT_PAD = {(1, 2), (1, 3), (2, 3), (2, 4), (3, 4), (3, 5)}


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (before, after) from the last dim."""
    if len(pad) % 2:
        raise ValueError(f"Padding length must be divisible by 2, got {len(pad)} values: {tuple(pad)}")
    ndim = input._data.ndim
    if len(pad) // 2 > ndim:
        raise ValueError(f"Padding length {len(pad)} too large for a {ndim}-d input")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (use constant, reflect, replicate or circular)")
    if mode != "constant" and value:
        raise ValueError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if mode != "constant" and (len(pad) // 2, ndim) not in _NON_CONSTANT_PAD:
        raise NotImplementedError(
            f"pad: padding size {len(pad)} is not supported for {ndim}D input in mode {mode!r}; "
            "non-constant modes pad the last dimension of 2D/3D input (size 2), the last 2 of "
            "3D/4D input (size 4) or the last 3 of 4D/5D input (size 6)")
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        before, after = int(pad[2 * i]), int(pad[2 * i + 1])
        axis = ndim - 1 - i
        if mode != "constant" and (before < 0 or after < 0):
            raise ValueError(f"pad: negative padding is only supported in constant mode, got {tuple(pad)}")
        if mode == "reflect" and max(before, after) >= input._data.shape[axis]:
            raise RuntimeError(
                f"Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({before}, {after}) at dimension {axis} of input {list(input.shape)}"
            )
        if mode == "circular" and max(before, after) > input._data.shape[axis]:
            raise RuntimeError(
                f"pad: padding ({before}, {after}) at dimension {axis} of input "
                f"{list(input.shape)} wraps around more than once in circular mode")
        widths[axis] = (before, after)
    return _Pad.apply(input, widths=tuple(widths), mode=mode, value=0.0 if value is None else value)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(||x||_p, eps) along ``dim``."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


from ._functional_extra import (  # noqa: E402,F401  (issue 11: more layers as functions)
    bilinear, cosine_similarity, embedding_bag, group_norm, instance_norm, mish,
    pairwise_distance,
)
# ---------------------------------------------------------------------- convolution, resampling
from ..ops.conv_transpose import conv1d, conv_transpose1d, conv_transpose2d  # noqa: E402,F401
from ..ops.pool1d import (  # noqa: E402,F401
    adaptive_avg_pool1d, adaptive_max_pool1d, adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices, avg_pool1d, max_pool1d,
)
from ..ops.resample import (  # noqa: E402,F401
    interpolate, pixel_shuffle, pixel_unshuffle, upsample, upsample_bilinear, upsample_nearest,
)
from ..ops.fold import fold, unfold  # noqa: E402,F401
from ..ops.attention import scaled_dot_product_attention  # noqa: E402,F401
from .modules.multihead import multi_head_attention_forward  # noqa: E402,F401
from .modules.rmsnorm import rms_norm  # noqa: E402,F401
from .modules import activation_more as _activation_more  # noqa: E402
for _name in _activation_more.FUNCTIONS:
    globals().setdefault(_name, getattr(_activation_more, _name))
from ..ops.conv3d import conv3d  # noqa: E402,F401  (branch moreops)
from ..ops.pool3d import avg_pool3d, max_pool3d, max_pool3d_with_indices  # noqa: E402,F401
