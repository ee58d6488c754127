"""``npgrad.jit``: TorchScript's entry points, for programs that script or trace a model
and then call it. npgrad has no TorchScript compiler: ``script`` returns its argument,
``trace`` runs the function once on the example inputs (as PyTorch does, so errors show
up there) and returns it; the result behaves as the input does. ``save``/``load`` of
TorchScript archives are not supported: save ``model.state_dict()`` with ``npgrad.save``.
"""
import warnings


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``obj`` itself (a module, a function or a class): it runs as it would scripted."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, _force_outplace=False,
          _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Run ``func`` once on ``example_inputs`` (a tensor or a tuple of them) and return
    ``func`` itself: calling the result computes what ``func`` computes."""
    warnings.warn("`torch.jit.trace` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning, stacklevel=2)
    from .autograd import grad_mode

    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("npgrad.jit.trace: example_inputs (a tensor or a tuple of "
                           "tensors) are needed to trace")
    args = example_inputs if isinstance(example_inputs, tuple) else (
        () if example_inputs is None else (example_inputs,))
    with grad_mode.no_grad():
        func(*args, **(example_kwarg_inputs or {}))
    return func


def trace_module(mod, inputs, **kwargs):
    for method, args in inputs.items():
        getattr(mod, method)(*(args if isinstance(args, tuple) else (args,)))
    return mod


def ignore(drop=False, **kwargs):
    """``@jit.ignore`` / ``@jit.ignore(drop=True)``: the function itself."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def is_scripting():
    return False


def is_tracing():
    return False


def annotate(the_type, the_value):
    return the_value


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def _no_archive(what):
    raise NotImplementedError(
        f"npgrad.jit.{what}: npgrad has no TorchScript, so it cannot write or read "
        "TorchScript archives. Save the weights instead: "
        "npgrad.save(model.state_dict(), path), and model.load_state_dict(npgrad.load(path))."
    )


def save(m, f, _extra_files=None):
    _no_archive("save")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    _no_archive("load")


class _Final:
    """``jit.Final[int]``: a type annotation; subscripting returns the type."""

    def __getitem__(self, item):
        return item


Final = _Final()
