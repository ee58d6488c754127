"""``DistributedDataParallel``: every rank holds a full copy of the model, trains on its own
share of each global batch, and the gradients are averaged across ranks before the
optimizer step, so every copy takes the same step.

How (the design of PyTorch's reducer, on MPI):

1. At construction rank 0's parameters and buffers are broadcast, so all copies start equal.
2. The parameters that need gradients are packed, in reverse order of registration (roughly
   the order backward produces their gradients), into buckets of about ``bucket_cap_mb``
   megabytes, one flat NumPy buffer per bucket.
3. A post-accumulate-grad hook on each parameter copies its fresh ``.grad`` into its bucket.
   When a bucket is full its non-blocking ``MPI_Iallreduce`` starts at once, while backward
   continues with the layers below (communication overlaps computation).
4. When the last bucket has started, all are waited for, divided by the world size, and
   copied back into the ``.grad`` of each parameter.

``no_sync()`` skips 2-4 (gradients just accumulate locally; the next synchronised backward
averages the sum). With ``find_unused_parameters=True`` each forward walks the output's graph
to find parameters that will get no gradient and marks them ready at once; a parameter no
rank used keeps its ``.grad`` as it was, as in PyTorch. Without it, a parameter that gets no
gradient leaves a bucket unfinished, and the next forward raises PyTorch's error instead of
stepping with unsynchronised gradients.
"""
import contextlib

import numpy as np

from ..._tensor import Tensor, wrap
from ...autograd.grad_mode import is_grad_enabled
from ..module import Module

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by "
    "making sure all `forward` function outputs participate in calculating loss. "
    "Parameters that got no gradient: {names}"
)


class _Bucket:
    def __init__(self, params, names):
        self.params, self.names = params, names
        self.offsets = np.cumsum([0] + [p._data.size for p in params])
        self.buffer = np.zeros(int(self.offsets[-1]), dtype=params[0]._data.dtype)
        self.pending = len(params)
        self.ready = [False] * len(params)
        self.work = None

    def slice(self, i):
        return self.buffer[self.offsets[i]:self.offsets[i + 1]]


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training; call it as you would call ``module``.

    Args follow PyTorch's. Those that only matter for GPUs (``device_ids``,
    ``output_device``, ``gradient_as_bucket_view``, ``static_graph``) are accepted and
    ignored. ``process_group`` (default: the world) must be initialised first with
    ``npgrad.distributed.init_process_group``."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False,
                 init_sync=True, **kwargs):
        super().__init__()
        from ... import distributed as dist

        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got "
                            f"{type(module).__name__}")
        if not dist.is_initialized():
            raise RuntimeError(
                "DistributedDataParallel: the default process group has not been initialized; "
                "call npgrad.distributed.init_process_group('mpi') first (and start the job "
                "with mpiexec -n N)")
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.dim = dim
        self.device_ids = device_ids
        self._world = dist.get_world_size(process_group)
        self._src = dist.get_process_group_ranks(process_group)[0] if process_group else 0
        if init_sync:
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(wrap(t._data), src=self._src, group=process_group)
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._buckets = self._make_buckets(named[::-1], cap)
        self._where = {}  # id(param) -> (bucket, index in the bucket)
        for bucket in self._buckets:
            for i, p in enumerate(bucket.params):
                self._where[id(p)] = (bucket, i)
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for _, p in named]
        self._expect_reduction = False  # a synchronised backward is due / under way
        self._started = 0  # buckets whose allreduce has started
        self._grads_seen = 0  # gradients that arrived since the last forward
        self._used = None

    @staticmethod
    def _make_buckets(named, cap):
        buckets, params, names, size = [], [], [], 0
        for name, p in named:
            if params and (size + p._data.nbytes > cap or p._data.dtype != params[0]._data.dtype):
                buckets.append(_Bucket(params, names))
                params, names, size = [], [], 0
            params.append(p)
            names.append(name)
            size += p._data.nbytes
        if params:
            buckets.append(_Bucket(params, names))
        return buckets

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        # As in PyTorch: gradients (and buffers) are synchronised whenever autograd is on
        # and we are not inside no_sync(), in train() and eval() mode alike.
        syncing = self.require_backward_grad_sync and is_grad_enabled()
        if self._expect_reduction and self._grads_seen and self._started < len(self._buckets):
            waiting = [n for b in self._buckets for n, ready in zip(b.names, b.ready) if not ready]
            self._reset()
            raise RuntimeError(_UNFINISHED.format(names=", ".join(waiting) or "(unknown)"))
        self._reset()
        if syncing and self.broadcast_buffers and self._world > 1:
            from ... import distributed as dist

            for b in self.module.buffers():
                dist.broadcast(wrap(b._data), src=self._src, group=self.process_group)
        output = self.module(*inputs, **kwargs)
        if syncing and self._buckets:
            self._expect_reduction = True
            if self.find_unused_parameters:
                self._mark_unused(output)
        return output

    def _reset(self):
        self._expect_reduction = False
        self._started = 0
        self._grads_seen = 0
        self._used = None
        for b in self._buckets:
            b.pending, b.work = len(b.params), None
            b.ready = [False] * len(b.params)

    def _mark_unused(self, output):
        reached = _leaves_reached(output)
        self._used = np.array([id(p) in reached for b in self._buckets for p in b.params],
                              dtype=np.int32)
        for b in self._buckets:
            for i, p in enumerate(b.params):
                if id(p) not in reached:
                    b.slice(i)[...] = 0  # this rank contributes nothing for it
                    self._mark(b, i)

    # ------------------------------------------------------------------ backward
    def _grad_ready(self, param):
        if not self._expect_reduction:
            return  # no_sync(), eval, or a backward that did not go through our forward
        bucket, i = self._where[id(param)]
        self._grads_seen += 1
        if bucket.ready[i]:
            return
        bucket.slice(i)[...] = param.grad._data.reshape(-1)
        self._mark(bucket, i)

    def _mark(self, bucket, i):
        from ... import distributed as dist

        bucket.ready[i] = True
        bucket.pending -= 1
        if bucket.pending:
            return
        bucket.work = dist.all_reduce(wrap(bucket.buffer), group=self.process_group,
                                      async_op=True)
        self._started += 1
        if self._started == len(self._buckets):
            self._finish()

    def _finish(self):
        from ... import distributed as dist

        used = None
        if self._used is not None:
            used = wrap(self._used.copy())
            dist.all_reduce(used, group=self.process_group)
            used = used._data
        k = 0
        for bucket in self._buckets:
            bucket.work.wait()
            bucket.buffer /= self._world
            for i, p in enumerate(bucket.params):
                if used is None or used[k]:
                    avg = bucket.slice(i).reshape(p._data.shape)
                    if p.grad is None:
                        p.grad = wrap(avg.copy())
                    else:
                        p.grad._data[...] = avg
                k += 1
        self._expect_reduction = False

    # ------------------------------------------------------------------ API
    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward only accumulates local gradients; the first synchronised
        backward after it averages the accumulated sums."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def remove_hooks(self):
        for h in self._handles:
            h.remove()
        self._handles = []

    def extra_repr(self):
        return f"world_size={self._world}, buckets={len(self._buckets)}"


def _leaves_reached(output):
    """ids of the leaf tensors the autograd graph of ``output`` (any nest of tensors) uses."""
    roots, stack = [], [output]
    while stack:
        obj = stack.pop()
        if isinstance(obj, Tensor):
            if obj.grad_fn is not None:
                roots.append(obj.grad_fn)
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
    reached, seen = set(), set()
    while roots:
        fn = roots.pop()
        if fn in seen:
            continue
        seen.add(fn)
        for t, parent in zip(fn.inputs, fn.parents):
            if parent is not None:
                roots.append(parent)
            elif t is not None:
                reached.add(id(t))
    return reached
