"""The engine, opened — backpropagation by hand over the graph that autograd records.

Every op on a tensor that requires grad records a node: ``y.grad_fn`` is the op that made
``y`` (``MulBackward0`` for a product), and each node remembers the tensors it was given
(``node.inputs``) and the nodes that made them (``node.parents``; None for a leaf, a tensor
you created). ``loss.backward()`` then does three things, and this lesson does them by hand:

1. **Order** the nodes so that each comes before the nodes that made its inputs (a
   topological order, found with an explicit stack: no recursion, so a chain of 100,000
   ops works).
2. **Walk** that order from the loss down. Each node receives dLoss/dOutput, the sum of
   what every use of its output sent, and its ``backward`` turns that into dLoss/dInput for
   each input: the chain rule, one local derivative at a time.
3. **Deliver** what reaches a leaf into its ``.grad``.

The graph is the one of micrograd's first lecture: ``L = (a*b + c) * f``.
"""
import npgrad as torch

from ._common import heading, note


def build():
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(-3.0, requires_grad=True)
    c = torch.tensor(10.0, requires_grad=True)
    f = torch.tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + c
    L = d * f
    return {"a": a, "b": b, "c": c, "f": f}, {"e": e, "d": d, "L": L}


def topological_order(root):
    """Every node that ``root`` depends on, each before the nodes that made its inputs."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:  # all of its parents are in ``order``: it may follow them
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if p is not None)
    return order[::-1]  # the loss's node first


def backward_by_hand(loss, names):
    """Steps 1-3 for ``loss``; returns {leaf name: gradient} without touching ``.grad``."""
    grads = {loss.grad_fn: 1.0}  # dL/dL
    leaf_grads = {}
    for node in topological_order(loss.grad_fn):
        grad = grads.pop(node)
        node.needs = [True] * len(node.inputs)  # compute every input's gradient
        input_grads = node.backward(torch.tensor(grad)._data)
        shown = ", ".join(f"dL/d{names.get(id(t), '?')} = {float(g):g}"
                          for t, g in zip(node.inputs, input_grads) if t is not None)
        print(f"  {node.name():<14} gets dL/dout = {float(grad):g}  ->  {shown}")
        for tensor, parent, g in zip(node.inputs, node.parents, input_grads):
            if tensor is None:
                continue
            if parent is None:  # a leaf: step 3
                leaf_grads[names[id(tensor)]] = leaf_grads.get(names[id(tensor)], 0.0) + float(g)
            else:  # sum what every use of the parent's output sends
                grads[parent] = grads.get(parent, 0.0) + float(g)
    return leaf_grads


def run(out_dir=None, quick=False, data_dir=None):
    leaves, inner = build()
    names = {id(t): n for n, t in {**leaves, **inner}.items()}
    L = inner["L"]
    heading("The graph autograd recorded for L = (a*b + c) * f")
    print(f"  a = 2, b = -3, c = 10, f = -2  ->  e = a*b = {inner['e'].item():g}, "
          f"d = e + c = {inner['d'].item():g}, L = d*f = {L.item():g}")
    for node in topological_order(L.grad_fn):
        made_from = ", ".join(names.get(id(t), "?") for t in node.inputs if t is not None)
        print(f"  {node.name():<14} made {names.get(id(_output_of(node, inner)), '?')} "
              f"from {made_from}")
    note("that list is the topological order: every node before the ones that made its inputs")

    heading("Backward by hand: the chain rule, node by node")
    by_hand = backward_by_hand(L, names)
    heading("Backward by npgrad: L.backward()")
    L.backward()
    by_engine = {n: t.grad.item() for n, t in leaves.items()}
    for n in leaves:
        print(f"  {n}.grad = {by_engine[n]:g}   (by hand: {by_hand[n]:g})")
    same = all(by_hand[n] == by_engine[n] for n in leaves)
    note("identical: .backward() is this loop, plus freeing each node's saved tensors once it "
         "has run, summing broadcast gradients to their input's shape, and hooks"
         if same else "they differ!")
    return {"by_hand": by_hand, "by_engine": by_engine, "same": same,
            "order": [node.name() for node in topological_order(L.grad_fn)]}


def _output_of(node, tensors):
    for t in tensors.values():
        if t.grad_fn is node:
            return t
    return None
