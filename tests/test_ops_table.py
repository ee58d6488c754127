"""One table of ops drives three checks against PyTorch.

Each row names an op and how to call it. ``fn(L, *inputs)`` is written once and run twice:
with ``L = npgrad`` on npgrad tensors and with ``L = torch`` on torch tensors, so the two
calls are the same code. For every row and every set of input shapes:

- ``test_matches_torch`` (float32 and float64): the outputs' values, shapes and dtypes equal
  torch's; after a backward from a random weighting of the outputs, every input's gradient
  equals torch's and has the input's shape and dtype;
- ``test_gradcheck`` (float64): the analytic gradients equal central differences.
"""
import zlib
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch
from conftest import assert_same, pair

import npgrad
from npgrad.autograd import gradcheck


class Op(NamedTuple):
    name: str
    fn: Callable  # fn(L, *inputs), L being the npgrad or the torch module
    shapes: tuple  # one tuple of input shapes per case
    domain: object = "real"  # per input (or one for all): real, positive, nonzero, ties, ...
    gradcheck: bool = True  # False where the op is not differentiable at the inputs (ties)
    # False where torch's backward raises "not implemented" (a // b, 5.0 % a): there the
    # gradients are left to gradcheck (a // b has none, and npgrad records no graph for it)
    torch_grad: bool = True


# ------------------------------------------------------------------ input shapes
ONE = [((2, 3),), ((),), ((1,),), ((0, 3),), ((2, 1, 3),)]
# broadcasting pairs, 0-d, size-1 and empty dimensions
PAIRS = [
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((2, 1, 3), (4, 1)),
    ((0, 3), (1, 3)),
    ((1,), (0,)),
]
MATRIX = [((3, 4),)]
CUBE = [((2, 3, 4),)]


def _values(rng, shape, domain, dtype):
    """Random inputs kept away from where an op is undefined or not differentiable."""
    if domain == "real":
        x = rng.uniform(-2, 2, shape)
    elif domain == "positive":
        x = rng.uniform(0.5, 2, shape)
    elif domain == "nonzero":  # divisors: |x| in [0.5, 2]
        x = rng.uniform(0.5, 2, shape) * rng.choice([-1, 1], shape)
    elif domain == "unit":  # (-1, 1), e.g. for log1p
        x = rng.uniform(-0.9, 0.9, shape)
    elif domain == "ties":  # repeated values and zeros: tie-breaking and kinks
        x = rng.choice([-1.0, 0.0, 1.0], shape)
    elif domain == "big":  # ±1000: the stability edge
        x = rng.choice([-1000.0, 1000.0, 999.0, 0.0], shape)
    else:
        raise ValueError(domain)
    return np.asarray(x, dtype=dtype)


def _inputs(op, shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    domains = op.domain if isinstance(op.domain, tuple) else (op.domain,) * len(shapes)
    return [_values(rng, s, d, dtype) for s, d in zip(shapes, domains)]


def _outputs(out):
    """An op's result as a flat list of tensors (split gives a tuple, max(dim) a pair)."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _outputs(o)]
    return [out]


# ------------------------------------------------------------------ the table
def _idx(L, values):
    return L.tensor(values)


OPS = [
    # -------- operators and element-wise arithmetic
    Op("add", lambda L, a, b: a + b, PAIRS),
    Op("add_fn", lambda L, a, b: L.add(a, b), PAIRS[:3]),
    Op("add_alpha", lambda L, a, b: a.add(b, alpha=2), PAIRS[:2]),
    Op("sub", lambda L, a, b: a - b, PAIRS),
    Op("sub_fn", lambda L, a, b: L.sub(a, b), PAIRS[:3]),
    Op("mul", lambda L, a, b: a * b, PAIRS),
    Op("mul_fn", lambda L, a, b: L.mul(a, b), PAIRS[:3]),
    Op("div", lambda L, a, b: a / b, PAIRS, ("real", "nonzero")),
    Op("div_fn", lambda L, a, b: L.div(a, b), PAIRS[:3], ("real", "nonzero")),
    Op("floordiv", lambda L, a, b: a // b, PAIRS, ("real", "nonzero"), torch_grad=False),
    Op("mod", lambda L, a, b: a % b, PAIRS, ("real", "nonzero")),
    Op("pow", lambda L, a, b: a**b, PAIRS, ("positive", "real")),
    Op("pow_fn", lambda L, a, b: L.pow(a, b), PAIRS[:3], ("positive", "real")),
    Op("neg", lambda L, a: -a, ONE),
    Op("neg_fn", lambda L, a: L.neg(a), ONE[:2]),
    Op("abs", lambda L, a: abs(a), ONE, "nonzero"),
    Op("abs_fn", lambda L, a: L.abs(a), ONE[:2], "nonzero"),
    Op("abs_ties", lambda L, a: a.abs(), ONE[:1], "ties", gradcheck=False),
    # Python numbers on either side
    Op("add_scalar", lambda L, a: a + 2.5, ONE),
    Op("radd_scalar", lambda L, a: 3 + a, ONE[:2]),
    Op("rsub_scalar", lambda L, a: 1.5 - a, ONE),
    Op("mul_scalar", lambda L, a: a * 3, ONE[:2]),
    Op("rmul_scalar", lambda L, a: 0.5 * a, ONE[:2]),
    Op("div_scalar", lambda L, a: a / 4, ONE[:2]),
    Op("rdiv_scalar", lambda L, a: 2 / a, ONE, "nonzero"),
    Op("floordiv_scalar", lambda L, a: a // 0.7, ONE[:2], torch_grad=False),
    Op("rfloordiv_scalar", lambda L, a: 3 // a, ONE[:2], "nonzero", torch_grad=False),
    Op("mod_scalar", lambda L, a: a % 1.5, ONE[:2]),
    Op("rmod_scalar", lambda L, a: 5.0 % a, ONE[:2], "nonzero", torch_grad=False),
    Op("pow_int", lambda L, a: a**3, ONE),
    Op("pow_two", lambda L, a: a**2, ONE[:2]),
    Op("pow_half", lambda L, a: a**0.5, ONE, "positive"),
    Op("pow_negative", lambda L, a: a**-1, ONE[:2], "nonzero"),
    Op("rpow", lambda L, a: 2**a, ONE),
    Op("rpow_float", lambda L, a: 1.5**a, ONE[:2]),
    Op("pow_scalar_fn", lambda L, a: L.pow(a, 2), ONE[:2]),
    Op("pow_zero_exponent", lambda L, a: a**0, ONE[:1], "ties", gradcheck=False),
    Op("pow_zero_tensor_exponent", lambda L, a, b: a ** (b * 0), PAIRS[:2], "ties", gradcheck=False),
    # matmul: vectors, matrices, batches with broadcasting, empty inner/outer sizes
    Op(
        "matmul",
        lambda L, a, b: a @ b,
        [
            ((2, 3), (3, 4)),
            ((3,), (3, 4)),
            ((2, 3), (3,)),
            ((3,), (3,)),
            ((2, 2, 3), (3, 4)),
            ((3,), (2, 3, 4)),
            ((2, 1, 2, 3), (3, 3, 2)),
            ((0, 3), (3, 2)),
            ((2, 0), (0, 3)),
        ],
    ),
    Op("matmul_fn", lambda L, a, b: L.matmul(a, b), [((2, 3), (3, 4))]),
    Op("mm", lambda L, a, b: a.mm(b), [((2, 3), (3, 4))]),
    # -------- element-wise math
    Op("exp", lambda L, a: L.exp(a), ONE),
    Op("exp_method", lambda L, a: a.exp(), ONE[:2]),
    Op("log", lambda L, a: L.log(a), ONE, "positive"),
    Op("log_method", lambda L, a: a.log(), ONE[:2], "positive"),
    Op("log1p", lambda L, a: L.log1p(a), ONE, "unit"),
    Op("sqrt", lambda L, a: L.sqrt(a), ONE, "positive"),
    Op("sqrt_method", lambda L, a: a.sqrt(), ONE[:2], "positive"),
    Op("sin", lambda L, a: L.sin(a), ONE),
    Op("cos", lambda L, a: L.cos(a), ONE),
    Op("tanh", lambda L, a: L.tanh(a), ONE),
    Op("tanh_method", lambda L, a: a.tanh(), ONE[:2]),
    Op("sigmoid", lambda L, a: L.sigmoid(a), ONE),
    Op("sigmoid_method", lambda L, a: a.sigmoid(), ONE[:2]),
    Op("relu", lambda L, a: L.relu(a), ONE, "nonzero"),
    Op("relu_method", lambda L, a: a.relu(), ONE[:2], "nonzero"),
    Op("relu_ties", lambda L, a: L.relu(a), ONE[:1], "ties", gradcheck=False),
    Op("clamp", lambda L, a: L.clamp(a, -0.5, 0.7), ONE),
    Op("clamp_min", lambda L, a: a.clamp(min=0.3), ONE[:2]),
    Op("clamp_max", lambda L, a: a.clamp(max=-0.2), ONE[:2]),
    Op("clamp_ties", lambda L, a: a.clamp(-1.0, 0.0), ONE[:1], "ties", gradcheck=False),
    Op("clip", lambda L, a: L.clip(a, -1, 1), ONE[:2]),
    Op("clip_method", lambda L, a: a.clip(-1, 1), ONE[:2]),
    Op("maximum", lambda L, a, b: L.maximum(a, b), PAIRS),
    Op("maximum_ties", lambda L, a, b: L.maximum(a, b), PAIRS[:3], "ties", gradcheck=False),
    Op("minimum", lambda L, a, b: L.minimum(a, b), PAIRS),
    Op("minimum_ties", lambda L, a, b: L.minimum(a, b), PAIRS[:3], "ties", gradcheck=False),
    Op("where", lambda L, a, b: L.where(a > 0, a, b), PAIRS),
    Op("where_scalar", lambda L, a: L.where(a > 0, a, 0.0), ONE[:2]),
    Op("where_method", lambda L, a, b: a.where(b > 0, b), PAIRS[:3]),
    Op("sign", lambda L, a: L.sign(a), ONE),
    Op("sign_ties", lambda L, a: a.sign(), ONE[:1], "ties", gradcheck=False),
    Op("floor", lambda L, a: L.floor(a), ONE),
    Op("ceil", lambda L, a: L.ceil(a), ONE),
    Op("round", lambda L, a: L.round(a), ONE),
    Op("round_method", lambda L, a: a.round(), ONE[:2]),
    # -------- reductions
    Op("sum", lambda L, a: a.sum(), ONE),
    Op("sum_fn", lambda L, a: L.sum(a), ONE[:2]),
    Op("sum_dim", lambda L, a: a.sum(1), MATRIX + CUBE + [((0, 3),), ((2, 0),)]),
    Op("sum_neg_dim", lambda L, a: a.sum(-1), MATRIX + CUBE),
    Op("sum_tuple", lambda L, a: a.sum((0, 2)), CUBE),
    Op("sum_keepdim", lambda L, a: a.sum(1, keepdim=True), MATRIX + CUBE),
    Op("sum_tuple_keepdim", lambda L, a: L.sum(a, (0, -1), keepdim=True), CUBE),
    Op("sum_0d_dim", lambda L, a: a.sum(0), [((),)]),
    Op("mean", lambda L, a: a.mean(), ONE),
    Op("mean_fn", lambda L, a: L.mean(a), ONE[:2]),
    Op("mean_dim", lambda L, a: a.mean(0), MATRIX + CUBE + [((3, 0),)]),
    Op("mean_tuple_keepdim", lambda L, a: a.mean((1, 2), keepdim=True), CUBE),
    Op("prod", lambda L, a: a.prod(), ONE),
    Op("prod_fn", lambda L, a: L.prod(a), ONE[:2]),
    Op("prod_dim", lambda L, a: a.prod(1), MATRIX + CUBE + [((0, 3),), ((2, 0),)]),
    Op("prod_keepdim", lambda L, a: a.prod(-1, keepdim=True), MATRIX + CUBE),
    Op("prod_zeros", lambda L, a: a.prod(1), MATRIX + CUBE, "ties", gradcheck=False),
    Op("prod_zeros_all", lambda L, a: a.prod(), MATRIX, "ties", gradcheck=False),
    Op("max", lambda L, a: a.max(), ONE[:3] + ONE[4:]),
    Op("max_fn", lambda L, a: L.max(a), ONE[:2]),
    Op("max_ties", lambda L, a: a.max(), MATRIX, "ties", gradcheck=False),
    Op("max_dim", lambda L, a: a.max(1), MATRIX + CUBE),
    Op("max_dim_fn", lambda L, a: L.max(a, 1), MATRIX),
    Op("max_dim_keepdim", lambda L, a: a.max(-1, keepdim=True), MATRIX + CUBE),
    Op("max_dim_0d", lambda L, a: a.max(0), [((),)]),
    Op("max_dim_values", lambda L, a: a.max(dim=0).values * 2, MATRIX),
    Op("max_dim_indices", lambda L, a: a.max(dim=0).indices, MATRIX),
    Op("max_dim_ties", lambda L, a: a.max(0), MATRIX, "ties", gradcheck=False),
    Op("max_binary", lambda L, a, b: L.max(a, b), PAIRS[:3]),
    Op("min", lambda L, a: a.min(), ONE[:3] + ONE[4:]),
    Op("min_fn", lambda L, a: L.min(a), ONE[:2]),
    Op("min_ties", lambda L, a: a.min(), MATRIX, "ties", gradcheck=False),
    Op("min_dim", lambda L, a: a.min(0), MATRIX + CUBE),
    Op("min_dim_fn", lambda L, a: L.min(a, 1, keepdim=True), MATRIX),
    Op("argmax", lambda L, a: a.argmax(), ONE[:3] + ONE[4:]),
    Op("argmax_dim", lambda L, a: L.argmax(a, 1), MATRIX + CUBE),
    Op("argmax_keepdim", lambda L, a: a.argmax(1, keepdim=True), MATRIX),
    Op("argmax_0d_dim", lambda L, a: a.argmax(0), [((),)]),
    Op("argmin", lambda L, a: L.argmin(a), ONE[:3]),
    Op("argmin_dim", lambda L, a: a.argmin(dim=-1), MATRIX + CUBE),
    Op("var", lambda L, a: a.var(), MATRIX + CUBE + [((2,),)]),
    Op("var_fn", lambda L, a: L.var(a), MATRIX),
    Op("var_dim", lambda L, a: a.var(1), MATRIX + CUBE),
    Op("var_tuple", lambda L, a: a.var((0, 2)), CUBE),
    Op("var_keepdim", lambda L, a: a.var(0, keepdim=True), MATRIX),
    Op("var_biased", lambda L, a: a.var(1, unbiased=False), MATRIX),
    Op("var_correction", lambda L, a: a.var(1, correction=0), MATRIX + CUBE),
    Op("var_correction2", lambda L, a: L.var(a, dim=1, correction=2), MATRIX),
    Op("std", lambda L, a: a.std(), MATRIX + CUBE),
    Op("std_fn", lambda L, a: L.std(a), MATRIX),
    Op("std_dim", lambda L, a: a.std(-1), MATRIX + CUBE),
    Op("std_biased", lambda L, a: a.std(0, unbiased=False, keepdim=True), MATRIX),
    Op("std_correction", lambda L, a: L.std(a, dim=(0, 1), correction=0), CUBE),
    Op("std_constant", lambda L, a: (a * 0 + 1).std(1), MATRIX, gradcheck=False),
    Op("norm", lambda L, a: a.norm(), ONE[:3] + MATRIX),
    Op("norm_dim", lambda L, a: a.norm(dim=1, keepdim=True), MATRIX + CUBE),
    Op("norm_p1", lambda L, a: a.norm(p=1), MATRIX, "nonzero"),
    Op("norm_zero", lambda L, a: (a * 0).norm(dim=0), MATRIX, gradcheck=False),
    Op("all", lambda L, a: (a > 0).all(), ONE),
    Op("all_dim", lambda L, a: L.all(a > -1, 1), MATRIX + CUBE),
    Op("any", lambda L, a: (a > 1).any(), ONE),
    Op("any_dim_keepdim", lambda L, a: L.any(a > 1, dim=0, keepdim=True), MATRIX),
    Op("logsumexp", lambda L, a: L.logsumexp(a, 1), MATRIX + CUBE + [((2, 0),)]),
    Op("logsumexp_keepdim", lambda L, a: a.logsumexp(-1, keepdim=True), MATRIX),
    Op("logsumexp_tuple", lambda L, a: a.logsumexp((0, 1)), MATRIX + CUBE),
    Op("logsumexp_0d", lambda L, a: L.logsumexp(a, 0), [((),)]),
    Op("logsumexp_big", lambda L, a: L.logsumexp(a, 1), MATRIX, "big", gradcheck=False),
    Op("softmax", lambda L, a: L.softmax(a, 1), MATRIX + CUBE + [((0, 3),)]),
    Op("softmax_dim0", lambda L, a: a.softmax(0), MATRIX + CUBE),
    Op("softmax_neg", lambda L, a: a.softmax(dim=-1), CUBE + [((),), ((1,),)]),
    Op("softmax_big", lambda L, a: L.softmax(a, 1), MATRIX, "big", gradcheck=False),
    Op("log_softmax", lambda L, a: L.log_softmax(a, 1), MATRIX + CUBE + [((0, 3),)]),
    Op("log_softmax_dim0", lambda L, a: a.log_softmax(0), MATRIX + [((),)]),
    Op("log_softmax_big", lambda L, a: a.log_softmax(-1), MATRIX, "big", gradcheck=False),
    Op("sigmoid_big", lambda L, a: a.sigmoid(), MATRIX, "big", gradcheck=False),
    Op("tanh_big", lambda L, a: a.tanh(), MATRIX, "big", gradcheck=False),
    # -------- shapes
    Op("reshape", lambda L, a: a.reshape(4, 3), MATRIX),
    Op("reshape_fn", lambda L, a: L.reshape(a, (2, -1)), MATRIX + CUBE),
    Op("reshape_tuple", lambda L, a: a.reshape((-1,)), ONE),
    Op("reshape_0d", lambda L, a: a.reshape(1, 1), [((),)]),
    Op("reshape_to_0d", lambda L, a: a.reshape(()), [((1,),)]),
    Op("view", lambda L, a: a.view(-1), MATRIX + CUBE),
    Op("view_sizes", lambda L, a: a.view(6, 2), MATRIX),
    Op("flatten", lambda L, a: a.flatten(), ONE),
    Op("flatten_fn", lambda L, a: L.flatten(a, 1), CUBE),
    Op("flatten_range", lambda L, a: a.flatten(0, 1), CUBE),
    Op("squeeze", lambda L, a: a.squeeze(), ONE + [((1, 3, 1),)]),
    Op("squeeze_dim", lambda L, a: a.squeeze(1), [((2, 1, 3),)] + MATRIX),
    Op("squeeze_fn", lambda L, a: L.squeeze(a, -1), [((3, 1),)]),
    Op("unsqueeze", lambda L, a: a.unsqueeze(0), ONE),
    Op("unsqueeze_last", lambda L, a: L.unsqueeze(a, -1), ONE[:2] + MATRIX),
    Op("transpose", lambda L, a: a.transpose(0, 1), MATRIX + CUBE),
    Op("transpose_fn", lambda L, a: L.transpose(a, -1, 0), CUBE),
    Op("permute", lambda L, a: a.permute(2, 0, 1), CUBE),
    Op("permute_tuple", lambda L, a: L.permute(a, (1, 2, 0)), CUBE),
    Op("t", lambda L, a: a.t(), MATRIX + [((3,),), ((),)]),
    Op("t_fn", lambda L, a: L.t(a), MATRIX),
    Op("T", lambda L, a: a.T, MATRIX),
    Op("expand", lambda L, a: a.expand(2, 3, 4), [((3, 1),), ((4,),), ((),), ((1, 1, 4),)]),
    Op("expand_minus1", lambda L, a: a.expand(3, -1), [((1, 4),)]),
    Op("expand_empty", lambda L, a: a.expand(0, 3), [((1, 3),)]),
    Op("repeat", lambda L, a: a.repeat(2, 3), [((3, 4),), ((4,),), ((1, 2),)]),
    Op("repeat_more_dims", lambda L, a: a.repeat(2, 1, 2), [((3, 4),), ((2,),)]),
    Op("cat", lambda L, a, b: L.cat([a, b]), [((2, 3), (4, 3)), ((2,), (3,)), ((0, 3), (2, 3))]),
    Op("cat_dim1", lambda L, a, b: L.cat((a, b), dim=1), [((2, 3), (2, 1))]),
    Op("cat_neg_dim", lambda L, a, b, c: L.cat([a, b, c], -1), [((2, 1, 3), (2, 1, 2), (2, 1, 1))]),
    Op("stack", lambda L, a, b: L.stack([a, b]), [((2, 3), (2, 3)), ((), ()), ((0,), (0,))]),
    Op("stack_dim", lambda L, a, b: L.stack((a, b), dim=2), [((2, 3), (2, 3))]),
    Op("stack_neg_dim", lambda L, a, b, c: L.stack([a, b, c], -1), [((2, 3), (2, 3), (2, 3))]),
    Op("split", lambda L, a: a.split(2), [((5, 3),), ((4,),)]),
    Op("split_fn", lambda L, a: L.split(a, 2, dim=1), [((2, 5),)]),
    Op("split_sizes", lambda L, a: L.split(a, [1, 3, 1], 1), [((2, 5),)]),
    Op("split_sum", lambda L, a: sum(p.sum() * (i + 1) for i, p in enumerate(a.split(2))), [((5, 3),)]),
    Op("chunk", lambda L, a: a.chunk(2), [((4, 3),), ((5,),)]),
    Op("chunk_fn", lambda L, a: L.chunk(a, 3, dim=1), [((2, 7),), ((2, 6),)]),
    # -------- indexing
    Op("index_int", lambda L, a: a[1], MATRIX + CUBE),
    Op("index_negative", lambda L, a: a[-1], MATRIX),
    Op("index_two_ints", lambda L, a: a[1, 2], MATRIX),
    Op("index_chain", lambda L, a: a[0][1], MATRIX),
    Op("index_slice", lambda L, a: a[:, 1:3], MATRIX + CUBE),
    Op("index_step", lambda L, a: a[::2], MATRIX + [((5,),)]),
    Op("index_empty_slice", lambda L, a: a[2:2], MATRIX),
    Op("index_none", lambda L, a: a[None], MATRIX + [((),)]),
    Op("index_none_mid", lambda L, a: a[:, None, 1:], MATRIX),
    Op("index_ellipsis", lambda L, a: a[..., 0], MATRIX + CUBE),
    Op("index_ellipsis_none", lambda L, a: a[1, ..., None], CUBE),
    Op("index_0d_ellipsis", lambda L, a: a[...], [((),)]),
    Op("index_tensor", lambda L, a: a[L.tensor([0, 2])], MATRIX),
    Op("index_repeated", lambda L, a: a[L.tensor([0, 2, 0, 0])], MATRIX + [((3,),)]),
    Op("index_repeated_2d", lambda L, a: a[L.tensor([[1, 1], [0, 1]])], MATRIX),
    Op("index_numpy", lambda L, a: a[np.array([1, 1, 2])], MATRIX),
    Op("index_list", lambda L, a: a[[2, 0, 2]], MATRIX),
    Op("index_tensor_dim1", lambda L, a: a[:, L.tensor([3, 3, 0])], MATRIX),
    Op("index_two_tensors", lambda L, a: a[L.tensor([0, 1, 0]), L.tensor([2, 2, 2])], MATRIX),
    Op("index_tensor_slice", lambda L, a: a[L.tensor([1, 1]), 1:], CUBE),
    Op("index_mask", lambda L, a: a[a > 0], MATRIX + CUBE),
    Op("index_mask_rows", lambda L, a: a[L.tensor([True, False, True])], MATRIX),
    Op("index_mask_none", lambda L, a: a[a > 10], MATRIX),
    Op("index_mask_cols", lambda L, a: a[:, L.tensor([True, False, True, True])], MATRIX),
    Op("gather", lambda L, a: L.gather(a, 1, _idx(L, [[0, 0], [3, 1], [2, 2]])), MATRIX),
    Op("gather_dim0", lambda L, a: a.gather(0, _idx(L, [[0, 1, 2, 0], [2, 2, 2, 2]])), MATRIX),
    Op("gather_3d", lambda L, a: a.gather(-1, _idx(L, [[[1], [0], [3]], [[2], [2], [0]]])), CUBE),
    Op("masked_fill", lambda L, a: a.masked_fill(a > 0, 0.5), MATRIX + CUBE + ONE[:2]),
    Op("masked_fill_fn", lambda L, a, b: L.masked_fill(a, b > 0, -3.0), [((3, 4), (3, 4)), ((3, 4), (4,))]),
    Op("masked_fill_broadcast", lambda L, a: a.masked_fill(L.tensor([True, False, False, True]), 0.0), MATRIX),
    # -------- more ops (branch moreops): atan2, cumprod, logcumsumexp, cummax/cummin, rot90,
    # diag_embed
    Op("atan2", lambda L, a, b: L.atan2(a, b), PAIRS),
    Op("atan2_method", lambda L, a, b: a.atan2(b), PAIRS[:3]),
    Op("arctan2", lambda L, a, b: L.arctan2(a, b), PAIRS[:2]),
    Op("arctan2_method", lambda L, a, b: a.arctan2(b), PAIRS[:1]),
    Op("atan2_axes", lambda L, a, b: L.atan2(a * 0, b), PAIRS[:1], ("real", "nonzero"), gradcheck=False),
    Op("cumprod", lambda L, a: L.cumprod(a, 0), ONE),
    Op("cumprod_dim", lambda L, a: a.cumprod(1), MATRIX + CUBE + [((2, 0),)]),
    Op("cumprod_neg_dim", lambda L, a: a.cumprod(dim=-1), MATRIX + CUBE),
    Op("cumprod_zeros", lambda L, a: a.cumprod(1), MATRIX + CUBE + [((3, 8),)], "ties"),
    Op("cumprod_zeros_dim0", lambda L, a: L.cumprod(a, 0), [((6, 5),)], "ties"),
    Op("cumprod_dtype", lambda L, a: L.cumprod(a, 1, dtype=L.float64), MATRIX),
    Op("logcumsumexp", lambda L, a: L.logcumsumexp(a, 0), ONE),
    Op("logcumsumexp_dim", lambda L, a: a.logcumsumexp(1), MATRIX + CUBE + [((2, 0),)]),
    Op("logcumsumexp_neg_dim", lambda L, a: a.logcumsumexp(-1), CUBE),
    Op("logcumsumexp_big", lambda L, a: L.logcumsumexp(a, 1), MATRIX, "big", gradcheck=False),
    Op("cummax", lambda L, a: L.cummax(a, 1), MATRIX + CUBE),
    Op("cummax_method", lambda L, a: a.cummax(0), MATRIX + [((),)]),
    Op("cummax_ties", lambda L, a: L.cummax(a, 1), MATRIX, "ties", gradcheck=False),
    Op("cummin", lambda L, a: L.cummin(a, -1), MATRIX + CUBE),
    Op("cummin_method", lambda L, a: a.cummin(dim=0), MATRIX),
    Op("cummin_ties", lambda L, a: a.cummin(0), MATRIX, "ties", gradcheck=False),
    Op("rot90", lambda L, a: L.rot90(a), MATRIX + CUBE),
    Op("rot90_k2", lambda L, a: L.rot90(a, 2), MATRIX + CUBE),
    Op("rot90_k3_dims", lambda L, a: L.rot90(a, 3, [1, 2]), CUBE),
    Op("rot90_negative_k", lambda L, a: a.rot90(-1, (2, 0)), CUBE),
    Op("rot90_k0", lambda L, a: a.rot90(0, [0, 1]), MATRIX),
    Op("rot90_k5", lambda L, a: a.rot90(5, [-1, -2]), MATRIX + CUBE),
    Op("diag_embed", lambda L, a: L.diag_embed(a), [((3,),), ((2, 3),), ((2, 2, 3),), ((0,),)]),
    Op("diag_embed_offset", lambda L, a: a.diag_embed(1), MATRIX),
    Op("diag_embed_negative_offset", lambda L, a: L.diag_embed(a, -2), MATRIX),
    Op("diag_embed_dims", lambda L, a: L.diag_embed(a, 0, 0, 2), MATRIX + CUBE),
    Op("diag_embed_dims_swapped", lambda L, a: L.diag_embed(a, 1, 2, 0), MATRIX + CUBE),
    Op("diag_embed_dims_middle", lambda L, a: a.diag_embed(-1, dim1=1, dim2=-1), CUBE),
    # ops/more_ops2.py
    Op("mv", lambda L, m, v: L.mv(m, v), [((3, 4), (4,)), ((0, 2), (2,)), ((2, 0), (0,))]),
    Op("mv_method", lambda L, m, v: m.mv(v), [((1, 3), (3,))]),
    Op("select", lambda L, a: a.select(1, 2), MATRIX + CUBE),
    Op("select_fn_negative", lambda L, a: L.select(a, -1, -1), MATRIX + CUBE + [((4,),)]),
    Op("fliplr", lambda L, a: L.fliplr(a), MATRIX + CUBE),
    Op("flipud", lambda L, a: a.flipud(), MATRIX + CUBE + [((3,),)]),
    Op("take", lambda L, a: L.take(a, L.tensor([[0, 5], [-1, 5]])), MATRIX + CUBE),
    Op("take_method_0d", lambda L, a: a.take(L.tensor(0)), [((),), ((1,),)]),
    Op("tensor_split", lambda L, a: L.tensor_split(a, 3), [((7, 2),), ((2,),)]),
    Op("tensor_split_indices", lambda L, a: a.tensor_split([1, -1, 9, 2], dim=1), MATRIX + CUBE),
    Op("hsplit", lambda L, a: L.hsplit(a, 2), [((3, 4),), ((4,),)]),
    Op("vsplit_indices", lambda L, a: a.vsplit([1]), MATRIX + CUBE),
    Op("dsplit", lambda L, a: L.dsplit(a, 2), CUBE),
    Op("median", lambda L, a: L.median(a), ONE[:3] + ONE[4:] + [((3, 4),)]),
    Op("median_ties", lambda L, a: a.median(), MATRIX + CUBE, "ties", gradcheck=False),
    Op("median_dim", lambda L, a: L.median(a, 1), MATRIX + CUBE),
    Op("median_dim_keepdim", lambda L, a: a.median(-1, keepdim=True), MATRIX + CUBE + [((),)]),
    Op("median_dim_ties", lambda L, a: a.median(0), MATRIX + [((9, 5),)], "ties", gradcheck=False),
    Op("nanmedian", lambda L, a: L.nanmedian(a), MATRIX),
    Op("nanmedian_dim", lambda L, a: a.nanmedian(0, True), MATRIX + CUBE),
    Op("kthvalue", lambda L, a: L.kthvalue(a, 2), MATRIX + CUBE + [((5,),)]),
    Op("kthvalue_dim_keepdim", lambda L, a: a.kthvalue(3, 0, True), [((4, 3),), ((5, 2, 2),)]),
    Op("kthvalue_ties", lambda L, a: a.kthvalue(4, 0), [((9, 5),), ((20, 3),)], "ties",
       gradcheck=False),
    Op("aminmax", lambda L, a: L.aminmax(a), ONE[:3] + ONE[4:]),
    Op("aminmax_dim", lambda L, a: a.aminmax(dim=1), MATRIX + CUBE),
    Op("aminmax_dim_keepdim", lambda L, a: L.aminmax(a, dim=-1, keepdim=True), MATRIX + CUBE),
    Op("aminmax_ties", lambda L, a: L.aminmax(a, dim=0), MATRIX, "ties", gradcheck=False),
]

CASES = [
    pytest.param(op, shapes, id=f"{op.name}-{'-'.join(map(str, shapes))}".replace(" ", ""))
    for op in OPS
    for shapes in op.shapes
]


def _seed(op, shapes):
    return zlib.crc32(f"{op.name}{shapes}".encode())


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("op, shapes", CASES)
def test_matches_torch(op, shapes, dtype):
    arrays = _inputs(op, shapes, dtype, _seed(op, shapes))
    pairs = [pair(a, requires_grad=True) for a in arrays]
    ours_in = [p[0] for p in pairs]
    theirs_in = [p[1] for p in pairs]

    ours = _outputs(op.fn(npgrad, *ours_in))
    theirs = _outputs(op.fn(torch, *theirs_in))
    assert len(ours) == len(theirs), f"{op.name}: {len(ours)} outputs, torch gives {len(theirs)}"
    for k, (o, t) in enumerate(zip(ours, theirs)):
        assert_same(o, t, f"{op.name}: output {k}")
        if not op.torch_grad:
            continue
        assert o.requires_grad == t.requires_grad, (
            f"{op.name}: output {k} requires_grad={o.requires_grad}, torch says {t.requires_grad}"
        )

    # Backward from a random weighting of every output that carries a graph.
    rng = np.random.default_rng(1)
    ours_loss, theirs_loss = None, None
    for o, t in zip(ours, theirs):
        if not (t.requires_grad and op.torch_grad):
            continue
        w = rng.standard_normal(tuple(t.shape)).astype(dtype)
        ours_term = (o * npgrad.tensor(w)).sum()
        theirs_term = (t * torch.tensor(w)).sum()
        ours_loss = ours_term if ours_loss is None else ours_loss + ours_term
        theirs_loss = theirs_term if theirs_loss is None else theirs_loss + theirs_term
    if theirs_loss is None:
        return
    ours_loss.backward()
    theirs_loss.backward()
    for i, (x, tx) in enumerate(zip(ours_in, theirs_in)):
        if tx.grad is None:
            assert x.grad is None, f"{op.name}: input {i} got a gradient; torch gives none"
            continue
        assert x.grad is not None, f"{op.name}: input {i} got no gradient"
        assert x.grad.shape == x.shape and x.grad.dtype == x.dtype, (
            f"{op.name}: gradient of input {i} is {tuple(x.grad.shape)} {x.grad.dtype}, "
            f"input is {tuple(x.shape)} {x.dtype}"
        )
        assert_same(x.grad, tx.grad, f"{op.name}: gradient of input {i}")


GRADCHECK_CASES = [c for c in CASES if c.values[0].gradcheck]


@pytest.mark.parametrize("op, shapes", GRADCHECK_CASES)
def test_gradcheck(op, shapes):
    arrays = _inputs(op, shapes, np.float64, _seed(op, shapes))
    inputs = [npgrad.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *xs: op.fn(npgrad, *xs), inputs)


def test_gradcheck_catches_a_wrong_gradient():
    """gradcheck itself must be able to fail: a Function whose backward is off by 2x."""

    class WrongSquare(npgrad.autograd.function.Op):
        def forward(self, x):
            self.saved = (x,)
            return x * x

        def backward(self, grad):
            return (grad * self.saved[0],)  # should be 2 * x * grad

    x = npgrad.tensor([0.5, -1.5], dtype=npgrad.float64, requires_grad=True)
    with pytest.raises(npgrad.autograd.GradcheckError, match="Jacobian mismatch"):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_every_listed_op_is_in_the_table():
    """The issue's list of ops, each with at least one row (the table must not shrink)."""
    listed = (
        "add sub mul div floordiv mod pow matmul neg abs exp log log1p sqrt sin cos tanh "
        "sigmoid relu clamp clip maximum minimum where sign floor ceil round sum mean prod max "
        "min argmax argmin var std all any logsumexp softmax log_softmax reshape view flatten "
        "squeeze unsqueeze transpose permute t expand repeat cat stack split chunk index_int "
        "index_slice index_none index_ellipsis index_tensor index_mask index_repeated gather "
        "masked_fill"
    ).split()
    names = {op.name for op in OPS}
    assert [n for n in listed if n not in names] == []
