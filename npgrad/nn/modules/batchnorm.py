"""Batch normalization: ``BatchNorm1d`` for (N, C) / (N, C, L), ``BatchNorm2d`` for (N, C, H, W).

Training normalizes each channel with the batch's mean and variance and updates the running
estimates (buffers, so they are saved in ``state_dict`` but not trained); evaluation uses the
running estimates, so one sample gives the same answer whatever batch it is in.
"""
from ... import _dtype
from ..._backend import xp
from ..._tensor import wrap
from .. import functional as F
from ..module import Module
from .normalization import affine_parameters, reset_affine


class _NormBase(Module):
    """What batch and instance norm share (PyTorch's ``_NormBase``): ``weight``/``bias`` when
    ``affine``, the running statistics as buffers when ``track_running_stats``, so the
    state_dict keys are torch's. Subclasses set the defaults and normalise."""

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, dtype, bias):
        super().__init__()
        float_dtype = _dtype.to_np(dtype) or _dtype.default_float
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        affine_parameters(self, num_features, dtype, affine, bias)
        if track_running_stats:
            self.register_buffer("running_mean", wrap(xp.zeros(num_features, float_dtype)))
            self.register_buffer("running_var", wrap(xp.ones(num_features, float_dtype)))
            self.register_buffer("num_batches_tracked", wrap(xp.array(0, dtype=xp.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        reset_affine(self)


class _BatchNorm(_NormBase):
    """What BatchNorm1d/2d share; they differ only in the input ranks they accept."""

    _ranks = ()  # accepted input dims, e.g. (2, 3)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype, bias)

    def _check_input_dim(self, input):
        if input.ndim not in self._ranks:
            wanted = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(
                f"{self._get_name()}: expected {wanted} input (got {input.ndim}D input of shape "
                f"{tuple(input.shape)})"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{self._get_name()}({self.num_features}): input has {input.shape[1]} channels "
                f"(dim 1), expected {self.num_features} (input shape {tuple(input.shape)})"
            )

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # a cumulative average over all batches seen
                factor = 1.0 / float(self.num_batches_tracked._data)
        # With no running statistics, evaluation too must use the batch's.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight, self.bias, use_batch, factor, self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs: statistics per feature C."""

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) images: statistics per channel C, over N, H and W."""

    _ranks = (4,)


class BatchNorm3d(_BatchNorm):
    _ranks = (5,)
