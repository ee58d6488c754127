"""The import rules of docs/architecture.md, checked on every import in npgrad/ (including
those inside functions): a module may reach only the layers the page allows."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "npgrad"

#: top-level module or package of npgrad -> its layer (docs/architecture.md)
LAYER = {
    "_backend": 0, "_dtype": 0, "_threads": 0, "_format": 0, "random": 0, "_errors": 0,
    "_atomic": 0,
    "_tensor": 1, "_creation": 1, "autograd": 1, "_legacy_tensors": 1,
    "ops": 2, "_fast": 2, "_tensor_functions": 2,
    "nn": 3, "optim": 3, "distributed": 3,
    "utils": 4, "vision": 4, "serialization": 4,
    "models": 5, "train": 5, "lessons": 5, "cli": 5, "_summary": 5,
    # what programs probe about their environment (no accelerator here), and the settings
    "_settings": 1, "cuda": 5, "accelerator": 5, "backends": 5, "amp": 5, "compiler": 5,
    "cpu": 5, "jit": 5, "mps": 5, "xpu": 5,
    # what real programs reached for (issue 11, branch reach)
    "_type_info": 1, "_memory_format": 1, "_numpy_names": 2, "_out": 2, "_stats": 2, "_tensor_more": 2,
    "_rng_state": 2, "linalg": 3, "distributions": 3,
}
LAYER["onnx"] = 4  # ONNX export: a file format, like serialization (onnx imported lazily)
LAYER["viz"] = 5  # the autograd graph as a picture (graphviz imported lazily)
LAYER["serve"] = 5  # the web page: a program over train/ and the models
LAYER["_more_ops"] = 2  # atan2, cumprod, searchsorted, rot90, mv, median, ... as torch.X, Tensor.X
#: the edges the page allows beyond "any lower layer, or the same one"
EXTRA = {
    ("_tensor", "ops"), ("_creation", "ops"), ("autograd", "ops"),  # a Tensor's methods are ops
    ("_fast", "optim"),  # flat Adam is the twin of optim.adam
}
#: edges the page forbids although the layers would allow them
FORBIDDEN = {("models", name) for name in LAYER if name not in ("nn", "models")} | {
    ("nn", "_fast"), ("utils", "_fast"), ("vision", "_fast"),  # only ops/optim reach the seam
}
EXEMPT = {"__init__", "__main__"}  # the public face imports everything it re-exports


def _top(module):
    """'npgrad.ops.conv' -> 'ops'; 'npgrad' -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "npgrad" else None


def _imports(source, rel):
    """(line, imported npgrad module) for every import in ``source``, the text of the module
    at ``rel`` (e.g. Path('npgrad/ops/conv.py'))."""
    package = list(rel.with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("npgrad"):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("npgrad"):
                continue
            if node.module is None or module == "npgrad":  # from . import x: x is the module
                for alias in node.names:
                    yield node.lineno, f"{module}.{alias.name}"
            else:
                yield node.lineno, module


def _files():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_top_level_module_has_a_layer():
    names = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in _files()}
    unknown = sorted(names - set(LAYER) - EXEMPT)
    assert not unknown, (f"{unknown}: give each a layer in docs/architecture.md and in LAYER "
                         "here")


def _violations(source_text, rel):
    source = rel.parts[1].removesuffix(".py")
    if source in EXEMPT:
        return []
    bad = []
    for line, module in _imports(source_text, rel):
        target = _top(module)
        if target is None or target == source or target not in LAYER or source not in LAYER:
            continue  # the public face, or the module itself, or names the test above catches
        edge = (source, target)
        allowed = (LAYER[target] <= LAYER[source] or edge in EXTRA) and edge not in FORBIDDEN
        if not allowed:
            bad.append(f"line {line}: {source} (layer {LAYER[source]}) imports {module} "
                       f"(layer {LAYER[target]})")
    return bad


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path):
    bad = _violations(path.read_text(encoding="utf-8"), path.relative_to(PACKAGE.parent))
    assert not bad, "\n".join(bad)


def test_the_checker_flags_upward_and_forbidden_imports():
    engine = Path("npgrad/autograd/engine.py")
    lazy = "def f():\n    from ..train.learner import Learner\n"  # inside a function too
    assert _violations(lazy, engine) == [
        "line 2: autograd (layer 1) imports npgrad.train.learner (layer 5)"]
    assert _violations("from .. import train\n", engine)
    assert _violations("from ..ops import conv\n", engine) == []  # an allowed extra edge
    linear = Path("npgrad/nn/modules/linear.py")
    assert _violations("from ..._fast import threads\n", linear)  # only ops/optim reach it
    assert _violations("from ...ops import linalg\n", linear) == []


# ---------------------------------------------------------------------- building tensors
#: the core (layers 1-2 of docs/architecture.md): the only modules that may build a Tensor
#: with ``Tensor._make`` (an op result with its grad_fn) or swap a tensor's ``_data``
CORE = {"_tensor", "_creation", "_legacy_tensors", "autograd", "ops", "_tensor_functions",
        "_tensor_more", "_out", "_numpy_names", "_stats", "_rng_state", "_type_info", "_fast"}
TENSOR_CLASSES = {"Tensor", "Parameter", "Buffer"}  # Parameter and Buffer inherit _make


def _tensor_pokes(source_text):
    """(line, what) for every ``Tensor._make`` reached (called or not, under any alias the
    module imports it as) and every assignment to or deletion of an ``._data`` attribute
    (``x._data = ...``, ``a, x._data = ...``, ``setattr(x, "_data", ...)``). Writing into the
    array, ``x._data[...] = 0`` or ``x._data += 1`` (NumPy adds in place), is fine: the tensor
    keeps its storage."""
    tree = ast.parse(source_text)
    in_place = {id(n.target) for n in ast.walk(tree) if isinstance(n, ast.AugAssign)}
    classes = set(TENSOR_CLASSES)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("npgrad")):
            classes |= {a.asname for a in node.names if a.name in TENSOR_CLASSES and a.asname}
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Attribute, ast.Call)):
            continue
        if isinstance(node, ast.Call):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
            if (name in ("setattr", "__setattr__") and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value == "_data"):
                bad.append((node.lineno, "sets _data with setattr"))
            continue
        base = node.value
        base_name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else None
        if node.attr == "_make" and base_name in classes:
            bad.append((node.lineno, f"{base_name}._make"))
        elif (node.attr == "_data" and isinstance(node.ctx, (ast.Store, ast.Del))
              and id(node) not in in_place):
            bad.append((node.lineno, "assigns ._data"))
    return sorted(bad)


@pytest.mark.parametrize("path", [p for p in _files()
                                  if p.relative_to(PACKAGE).parts[0].removesuffix(".py") not in CORE],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_code_outside_the_core_builds_tensors_through_helpers(path):
    bad = _tensor_pokes(path.read_text(encoding="utf-8"))
    assert not bad, "\n".join(
        f"line {line}: {what}: outside the core, wrap a fresh array with npgrad._tensor.wrap "
        "(or the public npgrad.from_numpy / as_tensor / tensor) and swap a tensor's storage "
        "with `t.data = wrap(array)` (docs/architecture.md, 'Building tensors')"
        for line, what in bad)


def test_the_tensor_checker_flags_make_and_data_assignments():
    assert _tensor_pokes("t = Tensor._make(a, None)\n") == [(1, "Tensor._make")]
    assert _tensor_pokes("from .._tensor import Tensor as T\nmk = T._make\n") == [(2, "T._make")]
    assert _tensor_pokes("import npgrad\nnpgrad.Tensor._make(a, None)\n") == [(2, "Tensor._make")]
    assert _tensor_pokes("p._data = a\n") == [(1, "assigns ._data")]
    assert _tensor_pokes("x, p._data = 1, a\nfor p.grad._data in arrays: pass\n") == [
        (1, "assigns ._data"), (2, "assigns ._data")]
    assert _tensor_pokes("del p._data\n") == [(1, "assigns ._data")]
    assert _tensor_pokes("setattr(p, '_data', a)\n") == [(1, "sets _data with setattr")]
    # what code above the core may do: read the array, write into it, use the helpers
    fine = ("from .._tensor import wrap\nt = wrap(a)\np._data[...] = 0\nb = p._data\n"
            "p.grad._data += a\n"
            "p.data = wrap(a)\nrow = Point._make([1, 2])\n")
    assert _tensor_pokes(fine) == []
