"""The autograd graph as a picture: ``draw_graph(loss)`` (alias ``make_dot``, the name
torchviz made familiar).

    w = torch.tensor(3.0, requires_grad=True)
    loss = (w * 2.0 + 1.0 - 5.0) ** 2
    loss.backward()
    g = npgrad.viz.draw_graph(loss, params={"w": w})
    g.render("graph", format="svg")      # with the graphviz package and its `dot` binary
    print(g.source)                      # always: the DOT text

Walking back from ``tensor.grad_fn`` through each node's ``inputs`` and ``parents``, it draws

- each op as a box named like PyTorch's node (``MulBackward0``);
- each tensor as an ellipse with its shape and, when it holds at most ``max_values``
  numbers, its value and (if it has one) its gradient: leaves are green, the output blue;
- an edge from every tensor into the op that used it, and from an op to the tensor it made.

Without the optional ``graphviz`` Python package the result is a ``Digraph`` of our own
with the same ``source``, ``save`` and ``render`` (``render`` then needs the ``dot`` binary
on PATH and says so if it is missing).
"""
import os
import re
import shutil
import subprocess

import numpy as np

__all__ = ["Digraph", "draw_graph", "make_dot", "save_graph"]


class Digraph:
    """The few parts of ``graphviz.Digraph`` that ``draw_graph`` needs, for when that
    package is not installed: ``node``, ``edge``, ``source``, ``save``, ``render``."""

    def __init__(self, name="autograd", graph_attr=None, node_attr=None):
        self.name = name
        self.graph_attr = dict(graph_attr or {})
        self.node_attr = dict(node_attr or {})
        self.body = []

    def node(self, name, label=None, **attrs):
        text = _attrs(attrs)
        if label is not None:
            text = f" [label={_quote(label)}" + (" " + text[2:] if text else "]")
        self.body.append(f"\t{_quote(name)}{text}\n")

    def edge(self, tail, head, **attrs):
        self.body.append(f"\t{_quote(tail)} -> {_quote(head)}{_attrs(attrs)}\n")

    @property
    def source(self):
        lines = [f"digraph {_quote(self.name)} {{\n"]
        if self.graph_attr:
            lines.append(f"\tgraph{_attrs(self.graph_attr)}\n")
        if self.node_attr:
            lines.append(f"\tnode{_attrs(self.node_attr)}\n")
        return "".join(lines + self.body + ["}\n"])

    def save(self, filename):
        with open(filename, "w") as f:
            f.write(self.source)
        return filename

    def pipe(self, format="svg"):
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("Digraph.render: the Graphviz 'dot' program is not installed "
                               "(apt-get install graphviz); the DOT text is in .source")
        return subprocess.run([dot, f"-T{format}"], input=self.source.encode(),
                              capture_output=True, check=True).stdout

    def render(self, filename, format="svg", cleanup=True):
        """Write ``filename.FORMAT`` (and, unless ``cleanup``, ``filename`` with the DOT)."""
        data = self.pipe(format)
        out = f"{filename}.{format}"
        with open(out, "wb") as f:
            f.write(data)
        if not cleanup:
            self.save(filename)
        return out

    def _repr_svg_(self):
        return self.pipe("svg").decode()

    def __str__(self):
        return self.source


def _quote(text):
    """DOT quoting as the graphviz package does it: plain names bare, the rest in quotes
    (backslash escapes such as the line break ``\\n`` are kept as they are)."""
    text = str(text)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?)", text):
        return text
    return '"' + re.sub(r'(?<!\\)"', '\\"', text) + '"'


def _attrs(attrs):
    if not attrs:
        return ""
    return " [" + " ".join(f"{k}={_quote(v)}" for k, v in sorted(attrs.items())) + "]"


def _new_graph(name):
    graph_attr = {"rankdir": "BT", "fontname": "Helvetica"}
    node_attr = {"fontname": "Helvetica", "fontsize": "11", "style": "filled",
                 "fillcolor": "white"}
    try:
        import graphviz
    except ImportError:
        return Digraph(name, graph_attr=graph_attr, node_attr=node_attr)
    return graphviz.Digraph(name, graph_attr=graph_attr, node_attr=node_attr)


def _numbers(array, digits=4):
    array = np.asarray(array)
    if array.ndim == 0:
        return f"{float(array):.{digits}g}"
    return np.array2string(np.asarray(array, dtype=np.float64), precision=digits,
                           separator=", ", suppress_small=True).replace("\n", "")


def _tensor_label(t, name, max_values):
    shape = "(" + ", ".join(str(s) for s in t.shape) + ("," if len(t.shape) == 1 else "") + ")"
    lines = [f"{name} {shape}" if name else f"shape {shape}"]
    if t._data.size <= max_values:
        lines.append(f"value {_numbers(t._data)}")
        if t.grad is not None:
            lines.append(f"grad {_numbers(t.grad._data)}")
    return "\\n".join(lines)  # DOT's line break, kept as the two characters


def draw_graph(tensor, params=None, max_values=8, name="autograd"):
    """A Graphviz digraph of the autograd graph that produced ``tensor``.

    Args:
        tensor: the result (often a loss); it needs a ``grad_fn`` or it is drawn alone.
        params: optional ``{name: tensor}`` (e.g. ``dict(model.named_parameters())``) to
            label the tensors you know by name.
        max_values: a tensor with at most this many numbers shows its value and gradient.
    Returns a ``graphviz.Digraph`` when that package is installed, else ``npgrad.viz.Digraph``;
    both have ``.source`` (DOT text) and ``.render(filename, format='svg'|'png')``.
    """
    from ._tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    names = {id(t): n for n, t in (params or {}).items()}
    dot = _new_graph(name)
    seen_tensors, seen_fns = set(), set()

    def add_tensor(t, color):
        key = f"t{id(t)}"
        if id(t) not in seen_tensors:
            seen_tensors.add(id(t))
            dot.node(key, _tensor_label(t, names.get(id(t), ""), max_values), shape="ellipse",
                     fillcolor=color)
        return key

    root = add_tensor(tensor, "lightblue")
    if tensor.grad_fn is None:
        return dot
    dot.edge(f"f{id(tensor.grad_fn)}", root)
    stack = [tensor.grad_fn]
    while stack:
        fn = stack.pop()
        if id(fn) in seen_fns:
            continue
        seen_fns.add(id(fn))
        fkey = f"f{id(fn)}"
        dot.node(fkey, fn.name(), shape="box", fillcolor="lightgrey")
        for t, parent in zip(fn.inputs, fn.parents):
            if t is None:
                continue
            new = id(t) not in seen_tensors
            leaf = parent is None
            tkey = add_tensor(t, "darkolivegreen1" if leaf and t.requires_grad else "white")
            dot.edge(tkey, fkey)
            if parent is not None and new:  # a tensor used twice is still made once
                dot.edge(f"f{id(parent)}", tkey)
                stack.append(parent)
    return dot


make_dot = draw_graph


def save_graph(tensor, path, dot_fallback=True, **kwargs):
    """Render ``draw_graph(tensor, **kwargs)`` to ``path`` (``.svg`` or ``.png``) and return
    the path written. Where Graphviz's ``dot`` program is missing, write the DOT text to
    ``path`` with ``.dot`` instead, or, with ``dot_fallback=False``, raise ImportError
    (which the lessons' ``figure`` helper reports as a skipped figure)."""
    dot = draw_graph(tensor, **kwargs)
    base, ext = os.path.splitext(os.fspath(path))
    fmt = ext.lstrip(".") or "svg"
    if shutil.which("dot") is None:
        if not dot_fallback:
            raise ImportError("drawing the graph needs Graphviz's dot program "
                              "(apt-get install graphviz)")
        out = base + ".dot"
        with open(out, "w") as f:
            f.write(dot.source)
        return out
    return dot.render(base, format=fmt, cleanup=True)


def _lesson_graph(tensor, path, **kwargs):
    """For the lessons' ``figure`` helper: render, or ImportError when dot is missing."""
    return save_graph(tensor, path, dot_fallback=False, **kwargs)
