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
