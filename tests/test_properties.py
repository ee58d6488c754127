"""Property tests (hypothesis): random broadcastable shapes, including 0-d tensors, size-1
and size-0 dimensions. For every example the op's value and every gradient must equal
torch's, and each gradient must have its input's shape and dtype."""
import numpy as np
import torch
from conftest import assert_same, pair
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import npgrad

SETTINGS = settings(max_examples=50, deadline=None)

BINARY = {
    "add": (lambda L, a, b: a + b, "real"),
    "sub": (lambda L, a, b: a - b, "real"),
    "mul": (lambda L, a, b: a * b, "real"),
    "div": (lambda L, a, b: a / b, "nonzero"),
    "pow": (lambda L, a, b: a**b, "positive"),
    "mod": (lambda L, a, b: a % b, "nonzero"),
    "maximum": (lambda L, a, b: L.maximum(a, b), "real"),
    "minimum": (lambda L, a, b: L.minimum(a, b), "real"),
    "where": (lambda L, a, b: L.where(a > b, a * 2, b), "real"),
    "chain": (lambda L, a, b: (a * b + a).sigmoid() - b.tanh() * a, "real"),
}

dtypes = st.sampled_from([np.float32, np.float64])
seeds = st.integers(0, 2**32 - 1)
shape_pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3)


def _array(rng, shape, domain, dtype):
    x = rng.uniform(0.5, 2.0, shape)
    if domain == "real":
        x = rng.uniform(-2.0, 2.0, shape)
    elif domain == "nonzero":
        x = x * rng.choice([-1.0, 1.0], shape)
    return x.astype(dtype)


def _compare_with_grads(fn, arrays):
    """Run fn on npgrad and torch inputs, backward a random weighting, compare everything."""
    pairs = [pair(a, requires_grad=True) for a in arrays]
    ours = fn(npgrad, *[p[0] for p in pairs])
    theirs = fn(torch, *[p[1] for p in pairs])
    assert_same(ours, theirs, "value", rtol=2e-5, atol=2e-6)
    w = np.random.default_rng(0).standard_normal(tuple(theirs.shape)).astype(arrays[0].dtype)
    (ours * npgrad.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    for i, (x, tx) in enumerate(pairs):
        assert x.grad is not None, f"input {i} got no gradient"
        assert x.grad.shape == x.shape, f"grad {i}: shape {x.grad.shape} != input's {x.shape}"
        assert x.grad.dtype == x.dtype, f"grad {i}: dtype {x.grad.dtype} != input's {x.dtype}"
        assert_same(x.grad, tx.grad, f"grad {i}", rtol=2e-5, atol=2e-6)


@SETTINGS
@given(op=st.sampled_from(sorted(BINARY)), shapes=shape_pairs, dtype=dtypes, seed=seeds)
def test_binary_ops_on_broadcastable_shapes(op, shapes, dtype, seed):
    fn, domain = BINARY[op]
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = _array(rng, a_shape, "positive" if op == "pow" else "real", dtype)
    b = _array(rng, b_shape, domain if op != "pow" else "real", dtype)
    _compare_with_grads(fn, [a, b])


@SETTINGS
@given(op=st.sampled_from(["add", "mul", "div", "maximum"]), shapes=shape_pairs,
       scalar=st.sampled_from([2, -1.5, 0.25]), reverse=st.booleans(), dtype=dtypes, seed=seeds)
def test_binary_ops_with_python_numbers(op, shapes, scalar, reverse, dtype, seed):
    fn, domain = BINARY[op]
    a = _array(np.random.default_rng(seed), shapes.input_shapes[0], domain, dtype)
    if op == "maximum":
        scalar_fn = lambda L, x: L.maximum(x, L.tensor(scalar, dtype=x.dtype))  # noqa: E731
    elif reverse:
        scalar_fn = lambda L, x: fn(L, scalar, x)  # noqa: E731
    else:
        scalar_fn = lambda L, x: fn(L, x, scalar)  # noqa: E731
    _compare_with_grads(scalar_fn, [a])


REDUCTIONS = {
    "sum": lambda L, x, d, k: x.sum(d, keepdim=k),
    "mean": lambda L, x, d, k: x.mean(d, keepdim=k),
    "amax": lambda L, x, d, k: x.amax(d, keepdim=k),
    "max_dim": lambda L, x, d, k: x.max(d[0], keepdim=k).values,
    "var": lambda L, x, d, k: x.var(d, keepdim=k),
    "std": lambda L, x, d, k: x.std(d, keepdim=k, correction=0),
    "logsumexp": lambda L, x, d, k: L.logsumexp(x, d, keepdim=k),
    "softmax": lambda L, x, d, k: L.softmax(x, d[0]),
    "log_softmax": lambda L, x, d, k: L.log_softmax(x, d[0]),
    "prod": lambda L, x, d, k: x.prod(d[0], keepdim=k),
}


@st.composite
def reduction_cases(draw):
    shape = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=3)))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                         unique_by=lambda d: d % len(shape)))
    return shape, tuple(dims)


@SETTINGS
@given(op=st.sampled_from(sorted(REDUCTIONS)), case=reduction_cases(), keepdim=st.booleans(),
       dtype=dtypes, seed=seeds)
def test_reductions_over_random_dims(op, case, keepdim, dtype, seed):
    shape, dims = case
    x = _array(np.random.default_rng(seed), shape, "real", dtype)
    _compare_with_grads(lambda L, t: REDUCTIONS[op](L, t, dims, keepdim), [x])


@st.composite
def matmul_shapes(draw):
    batch = draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=1, max_side=3))
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(0, 3)), draw(st.integers(1, 3))
    a_vec, b_vec = draw(st.booleans()), draw(st.booleans())
    a = (k,) if a_vec else batch.input_shapes[0] + (n, k)
    b = (k,) if b_vec else batch.input_shapes[1] + (k, m)
    return a, b


@SETTINGS
@given(shapes=matmul_shapes(), dtype=dtypes, seed=seeds)
def test_matmul_with_batches_and_vectors(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b = (_array(rng, s, "real", dtype) for s in shapes)
    _compare_with_grads(lambda L, x, y: x @ y, [a, b])


@SETTINGS
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), data=st.data(), dtype=dtypes, seed=seeds)
def test_integer_indexing_with_repeats_adds_gradients(rows, cols, data, dtype, seed):
    picks = data.draw(st.lists(st.integers(-rows, rows - 1), min_size=0, max_size=6))
    x = _array(np.random.default_rng(seed), (rows, cols), "real", dtype)
    _compare_with_grads(lambda L, t: t[L.tensor(picks, dtype=L.int64)] * 2, [x])
