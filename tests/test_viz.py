"""``npgrad.viz.draw_graph`` / ``make_dot``: the autograd graph as Graphviz DOT, checked
against PyTorch's own graph (the same ops, the same edges, the same values and gradients),
and rendered to SVG/PNG where the graphviz package and its ``dot`` binary exist."""
import re
import shutil
import sys
from collections import Counter

import numpy as np
import pytest
import torch

import npgrad
from npgrad import viz

NODE = re.compile(r'^\s*(\w+) \[label=("(?:[^"\\]|\\.)*"|\w+)(.*)\]$', re.M)
EDGE = re.compile(r"^\s*(\w+) -> (\w+)$", re.M)


def _parse(source):
    """{node id: (label, rest of the attributes)}, [(tail, head)] from DOT text."""
    nodes = {m.group(1): (m.group(2).strip('"').replace("\\n", "\n"), m.group(3))
             for m in NODE.finditer(source)}
    return nodes, EDGE.findall(source)


def _fn_edges(nodes, edges):
    """The op-to-op edges of our picture (op -> tensor -> op), as (op, the op it feeds)."""
    into = {}
    for tail, head in edges:
        into.setdefault(tail, []).append(head)
    pairs = Counter()
    for tail, heads in into.items():
        if tail.startswith("f"):
            for t in heads:
                for op in into.get(t, []):
                    pairs[(nodes[tail][0], nodes[op][0])] += 1
    return pairs


def _torch_fn_edges(tensor):
    pairs, seen, stack = Counter(), set(), [tensor.grad_fn]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for parent, _ in fn.next_functions:
            if parent is not None and "AccumulateGrad" not in parent.name():
                pairs[(parent.name(), fn.name())] += 1
                stack.append(parent)
    return pairs


def _build(lib, dtype):
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=dtype)
    w = lib.tensor([0.2, -0.4, 0.6], dtype=dtype, requires_grad=True)
    b = lib.tensor(0.1, dtype=dtype, requires_grad=True)
    h = (x * w + b).relu()
    h.retain_grad()
    loss = (lib.tanh(h) * 2 - 1).mean() + h.sum().sigmoid().exp()
    loss.backward()
    return loss, w, b, h


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ops_and_edges_are_torchs(dtype):
    loss, w, b, h = _build(npgrad, getattr(npgrad, dtype))
    t_loss, t_w, t_b, t_h = _build(torch, getattr(torch, dtype))
    nodes, edges = _parse(viz.draw_graph(loss).source)
    ops = sorted(label for key, (label, _) in nodes.items() if key.startswith("f"))
    expected = sorted(name for name, _ in _torch_fn_edges(t_loss)) + [t_loss.grad_fn.name()]
    assert sorted(set(ops)) == sorted(set(expected))
    assert _fn_edges(nodes, edges) == _torch_fn_edges(t_loss)
    # every op node is drawn once; the leaves w and b and the retained h appear with grads
    assert len(ops) == len({id(f) for f in _fns(loss)})
    root = next(label for label, rest in nodes.values() if "lightblue" in rest)
    assert np.isclose(_numbers(root.split("value ")[1])[0], t_loss.item(), rtol=1e-3)
    grads = [_numbers(line[5:]) for label, _ in nodes.values() for line in label.split("\n")
             if line.startswith("grad ")]
    for t in (t_w, t_b, t_h):
        want = t.grad.double().numpy().ravel()
        assert any(g.shape == want.shape and np.allclose(g, want, rtol=1e-3, atol=1e-4)
                   for g in grads), (want, grads)


def _numbers(text):
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?", text)])


def _fns(tensor):
    out, stack = [], [tensor.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or any(fn is f for f in out):
            continue
        out.append(fn)
        stack.extend(fn.parents)
    return out


def test_chain_rule_values_and_names():
    w = npgrad.tensor(3.0, requires_grad=True)
    b = npgrad.tensor(1.0, requires_grad=True)
    y = w * 2.0 + b
    y.retain_grad()
    loss = (y - 5.0) ** 2
    loss.backward()
    nodes, edges = _parse(npgrad.viz.make_dot(loss, params={"w": w, "b": b}).source)
    labels = sorted(label for label, _ in nodes.values())
    assert "w ()\nvalue 3\ngrad 8" in labels and "b ()\nvalue 1\ngrad 4" in labels
    assert "shape ()\nvalue 7\ngrad 4" in labels  # y, with its retained gradient
    assert "shape ()\nvalue 4" in labels  # the loss: no grad of its own
    root = next(k for k, (label, rest) in nodes.items() if "lightblue" in rest)
    assert nodes[root][0] == "shape ()\nvalue 4"
    assert (f"f{id(loss.grad_fn)}", root) in edges


def test_big_tensors_show_only_their_shape_and_leaves_alone():
    x = npgrad.randn(4, 5, requires_grad=True)
    y = (x * 3).sum()
    nodes, _ = _parse(viz.draw_graph(y, max_values=8).source)
    big = [label for label, _ in nodes.values() if "(4, 5)" in label]
    assert big and all("value" not in label for label in big)
    alone = viz.draw_graph(npgrad.ones(2))  # no grad_fn: one node, no edges
    assert len(_parse(alone.source)[0]) == 1 and not _parse(alone.source)[1]
    with pytest.raises(TypeError, match="draw_graph: expected a Tensor"):
        viz.draw_graph(np.ones(3))


def test_without_the_graphviz_package_it_is_our_digraph(monkeypatch):
    w = npgrad.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if it were not installed
    ours = viz.draw_graph(loss)
    assert isinstance(ours, viz.Digraph)
    assert "MulBackward0" in ours.source and "SumBackward0" in ours.source


def test_without_the_graphviz_package_matches_it(monkeypatch):
    graphviz = pytest.importorskip("graphviz", reason="optional: pip install graphviz")
    w = npgrad.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    real = viz.draw_graph(loss)
    assert isinstance(real, graphviz.Digraph)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    assert viz.draw_graph(loss).source == real.source


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="rendering needs Graphviz's dot program: apt-get install graphviz")
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_renders_svg_and_png(tmp_path, fmt):
    w = npgrad.tensor(3.0, requires_grad=True)
    loss = (w * 2.0 - 5.0) ** 2
    loss.backward()
    path = viz.save_graph(loss, tmp_path / f"graph.{fmt}", params={"w": w})
    data = open(path, "rb").read()
    if fmt == "svg":
        assert b"<svg" in data and b"PowBackward0" in data and b"grad 4" in data
    else:
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    fallback = viz.Digraph()
    fallback.node("a", "x")
    fallback.edge("a", "b")
    assert b"<svg" in fallback.pipe("svg")


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="rendering needs Graphviz's dot program: apt-get install graphviz")
def test_the_lessons_draw_their_graphs(tmp_path, capsys):
    from npgrad import lessons

    chain = lessons.get("chain-rule").run(out_dir=tmp_path)
    svg = open(chain["autograd"]["figure"]).read()
    for needle in ("MulBackward0", "AddBackward0", "PowBackward0", "grad 8", "grad 4"):
        assert needle in svg
    auto = lessons.get("autograd").run(out_dir=tmp_path)
    svg = open(auto["graph"]).read()
    assert "MeanBackward0" in svg and "params (3,)" in svg and "time (20,)" in svg
    # drawing the graph leaves the lesson's numbers as they are without it
    assert auto["losses"] == lessons.get("autograd").run()["losses"]
    assert lessons.get("chain-rule").run()["autograd"]["figure"] is None
