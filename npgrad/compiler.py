"""``npgrad.compile`` and ``npgrad.compiler``: PyTorch's graph compiler has no npgrad
counterpart (npgrad runs each op with NumPy as it comes), so compiling returns the model
or function unchanged: programs that call ``model = torch.compile(model)`` run as they
would uncompiled, with the same numbers. The arguments are checked as PyTorch checks
them."""

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """Return ``model`` (a module or a function) itself; with no model, a decorator that
    does the same (``@npgrad.compile(mode="max-autotune")``)."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if model is None:
        def decorate(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, disable=disable)
        return decorate
    if not callable(model):
        raise RuntimeError("model must be callable, but got "
                           f"{type(model).__name__}")
    return model


def is_compiling():
    """False: nothing in npgrad is ever being compiled."""
    return False


def is_dynamo_compiling():
    return False


def disable(fn=None, recursive=True, *, reason=None):
    """``@npgrad.compiler.disable``: the function itself (nothing is compiled anyway)."""
    if fn is None:
        return lambda f: f
    return fn


def reset():
    """Forget compiled code: there is none."""


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn
