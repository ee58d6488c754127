"""``npgrad.summary(model, input_size)``: a table of a model's layers.

One row per layer (every module that is not a bare container), in the order the forward
pass calls them, with its output shape and its own parameter count; then the totals.
It runs one forward pass on zeros, in eval mode and without recording a graph, then puts
the model back as it was (mode, buffers such as BatchNorm's running statistics untouched).

    >>> npgrad.summary(model, (1, 28, 28))       # the input's shape without the batch dim

prints the table and returns a ``ModelSummary`` (``str()`` of it is the table again;
``.total_params``, ``.trainable_params`` and ``.rows`` hold the numbers).
"""
from . import _creation
from ._tensor import Tensor
from .autograd import grad_mode


class ModelSummary:
    """The result of ``summary``: rows of (name, type, output shape, parameter count)."""

    def __init__(self, model_name, rows, total, trainable, input_shapes, param_bytes):
        self.model_name = model_name
        self.rows = rows
        self.total_params = total
        self.trainable_params = trainable
        self.non_trainable_params = total - trainable
        self.input_shapes = input_shapes
        self.param_bytes = param_bytes

    def __str__(self):
        headers = ("Layer (type)", "Output Shape", "Param #")
        body = [(f"{name or self.model_name} ({kind})", shape, f"{count:,}") for name, kind, shape, count in self.rows]
        widths = [max([len(h)] + [len(r[i]) for r in body]) + 2 for i, h in enumerate(headers)]
        widths[0] = max(widths[0], len(self.model_name) + 2)
        line_width = sum(widths) + 4
        lines = [self.model_name, "=" * line_width]
        fmt = "{:<%d}  {:<%d}  {:>%d}" % tuple(widths)
        lines.append(fmt.format(*headers))
        lines.append("=" * line_width)
        lines += [fmt.format(*r) for r in body]
        lines.append("=" * line_width)
        lines.append(f"Total params: {self.total_params:,}")
        lines.append(f"Trainable params: {self.trainable_params:,}")
        lines.append(f"Non-trainable params: {self.non_trainable_params:,}")
        lines.append("-" * line_width)
        shapes = ", ".join(str(list(s)) for s in self.input_shapes)
        lines.append(f"Input shape: {shapes}")
        lines.append(f"Params size (MB): {self.param_bytes / 2**20:.2f}")
        lines.append("=" * line_width)
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"ModelSummary({self.model_name}: {len(self.rows)} layers, "
            f"total_params={self.total_params:,}, trainable_params={self.trainable_params:,})"
        )


def _is_container(module):
    from .nn.modules.container import ModuleDict, ModuleList, Sequential

    return isinstance(module, (Sequential, ModuleList, ModuleDict))


def _shape_of(output):
    """The output shape as text, with the batch dim shown as -1 (like torchsummary)."""
    if isinstance(output, Tensor):
        return str([-1] + list(output.shape[1:])) if output.ndim else "[]"
    if isinstance(output, (tuple, list)):
        return ", ".join(_shape_of(o) for o in output)
    return type(output).__name__


def summary(model, input_size, batch_size=2, dtypes=None, print_summary=True):
    """Print (and return) a table of ``model``'s layers for an input of shape ``input_size``.

    ``input_size`` leaves out the batch dimension: ``(784,)`` for an MLP, ``(1, 28, 28)`` for
    a CNN; a list of such shapes for a model with several inputs. A batch of ``batch_size``
    zeros is run through the model.
    """
    sizes = [input_size] if isinstance(input_size, int) or (
        isinstance(input_size, (tuple, list)) and all(isinstance(s, int) for s in input_size)
    ) else list(input_size)
    shapes = [((s,) if isinstance(s, int) else tuple(s)) for s in sizes]
    dtypes = dtypes or [None] * len(shapes)
    inputs = [_creation.zeros((batch_size,) + s, dtype=d) for s, d in zip(shapes, dtypes)]

    rows, handles = [], []
    names = {m: name for name, m in model.named_modules()}

    def record(module, args, output):
        own = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append((names[module], type(module).__name__, _shape_of(output), own))

    for module in model.modules():
        leaf_root = module is model and not model._modules  # a lone layer lists itself
        if leaf_root or (module is not model and not _is_container(module)):
            handles.append(module.register_forward_hook(record))
    was_training = {m: m.training for m in model.modules()}
    saved = [(b, b._data.copy()) for b in model.buffers()]
    try:
        model.eval()
        with grad_mode.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for m, mode in was_training.items():
            m.training = mode
        for b, data in saved:
            b._data[...] = data

    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    param_bytes = sum(p.numel() * p.element_size() for p in params)
    result = ModelSummary(type(model).__name__, rows, total, trainable,
                          [(-1,) + s for s in shapes], param_bytes)
    if print_summary:
        print(result)
    return result
