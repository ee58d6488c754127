"""``einsum``: the full subscript language (``...``, implicit output, repeated labels).

The equation is first rewritten with letters only (``...`` becomes unused letters, the
implicit output is made explicit), so forward and backward are plain ``np.einsum`` calls.
The gradient of operand i is itself an einsum: the output's gradient contracted with the
other operands, written back onto operand i's labels. Labels only operand i has (summed
away) are broadcast back; repeated labels (``ii``) put the gradient on the diagonal; a
size-1 label that broadcast against a larger one sums back to 1.
"""
import math
import string

from .._backend import xp
from .._memory_format import fresh, sorted_axes
from .._tensor import Tensor
from ..autograd.function import Op

_LETTERS = string.ascii_letters


def _run(eq, *arrays):
    """np.einsum; with ``optimize`` (BLAS-backed contractions, pairwise order) unless the
    arrays are so small that planning the path costs more than it saves."""
    big = len(arrays) > 2 or max(a.size for a in arrays) > 4096
    return xp.einsum(eq, *arrays, optimize=big)


def _parse(equation, shapes):
    """(input subscripts, output subscripts) with letters only."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise RuntimeError(
            f"einsum(): {len(inputs)} operands in the equation '{equation}' but "
            f"{len(shapes)} were given"
        )
    for part in inputs + ([rhs] if arrow else []):
        bad = set(part.replace("...", "")) - set(_LETTERS)
        if bad:
            raise RuntimeError(f"einsum(): invalid subscript {sorted(bad)[0]!r} in '{equation}': "
                               "subscripts must be letters in [a-zA-Z]")
    used = set(lhs.replace("...", ""))
    spare = [c for c in _LETTERS if c not in used]
    ell_ndim = 0
    for sub, shape in zip(inputs, shapes):
        named = len(sub.replace("...", ""))
        if "..." in sub:
            ell_ndim = max(ell_ndim, len(shape) - named)
        elif named != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in '{sub}' ({named}) does not match the "
                f"number of dimensions ({len(shape)}) of its operand"
            )
    ell = "".join(spare[:ell_ndim])
    subs = []
    for sub, shape in zip(inputs, shapes):
        if "..." in sub:
            k = len(shape) - len(sub.replace("...", ""))
            if k < 0:
                raise RuntimeError(f"einsum(): '{sub}' has more subscripts than its operand has dimensions ({len(shape)})")
            sub = sub.replace("...", ell[ell_ndim - k:] if k else "")
        subs.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if c not in "".join(subs):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input operand")
        if len(set(out)) != len(out):
            raise RuntimeError(f"einsum(): output subscript appears more than once in '{equation}'")
    else:
        named = "".join(s for s in inputs).replace("...", "")
        out = ell + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return subs, out


def _torch_layout(result, subs, out, arrays):
    """``result`` laid out in memory as PyTorch's, which contracts the operands left to right,
    a pair at a time, as one batched matrix product each. The last product's memory order:
    the output labels both operands carry (size > 1 in both), then the left operand's own
    labels, then the right's, each group in the output's order; but the right's first where
    the output names all of them before any of the left's, unless some label was summed
    before (in one operand alone, or by an earlier pair). The rule was read off torch 2.13's
    results. So ``einsum('bqhd,bkhd->bhqk', q, k)`` is contiguous as in torch,
    ``'bhqk,bkhd->bqhd'`` not. Equations with a repeated label, or whose last pair sums
    nothing (torch multiplies element-wise), keep NumPy's layout (mostly torch's too)."""
    if len(subs) < 2 or any(len(set(s)) != len(s) for s in subs):
        return result
    cur, cur_big = subs[0], {c for c, n in zip(subs[0], arrays[0].shape) if n > 1}
    before = False  # some label already summed away
    for i in range(1, len(subs)):
        nxt, nxt_big = subs[i], {c for c, n in zip(subs[i], arrays[i].shape) if n > 1}
        later = set(out).union(*subs[i + 1:])
        summed = [c for c in cur if c in nxt and c not in later]
        before = before or any(c not in nxt and c not in later for c in cur) or any(
            c not in cur and c not in later for c in nxt)
        if i == len(subs) - 1:
            break
        before = before or bool(summed)
        cur = "".join(c for c in dict.fromkeys(cur + nxt) if c in later)
        cur_big = {c for c in cur if c in cur_big or c in nxt_big}
    if not summed:
        return _product_layout(result, subs, out, arrays) if len(subs) == 2 else result
    both = [k for k, c in enumerate(out) if c in cur_big and c in nxt_big]
    left = [k for k, c in enumerate(out) if c in cur_big and c not in nxt_big]
    right = [k for k, c in enumerate(out) if c in nxt_big and c not in cur_big]
    if left and right and right[-1] < left[0] and not before:
        left, right = right, left
    order = both + left + right
    order += [k for k in range(len(out)) if k not in order]
    if result.transpose(order).flags.c_contiguous:
        return result
    return xp.ascontiguousarray(result.transpose(order)).transpose(xp.argsort(order))


def _product_layout(result, subs, out, arrays):
    """Two operands, nothing summed between them: torch multiplies them element-wise, and its
    result's memory order follows the operands' strides (TensorIterator): per pair of output
    dims, the first operand whose strides along both are non-zero decides which lies outer.
    An operand with a label summed alone is a fresh (contiguous) sum in the output's order."""
    steps = []
    for sub, a in zip(subs, arrays):
        alone = any(c not in out for c in sub)
        own = [c for c in out if c in sub] if alone else list(sub)
        size = dict(zip(sub, a.shape))
        step, by_label = 1, {}
        for c in reversed(own):
            by_label[c] = step if size[c] > 1 else 0
            step *= size[c]
        steps.append([by_label.get(c, 0) for c in out])

    def swap(d0, d1):  # 1: d0 (now the inner of the two) belongs further out
        for st in steps:
            if st[d0] and st[d1] and st[d0] != st[d1]:
                return 1 if st[d0] > st[d1] else -1
        return 0

    order = sorted_axes(len(out), swap)
    if result.transpose(order).flags.c_contiguous:
        return result
    return xp.ascontiguousarray(result.transpose(order)).transpose(xp.argsort(order))


def _contract_pair(a, b, sa, sb, out):
    """A two-operand contraction as PyTorch computes it, one batched matrix product:
    a as (batch, a's own, summed) @ b as (batch, summed, b's own). Its result lies in memory
    as torch's (see _torch_layout: the same rule) and it is as fast as NumPy's einsum.
    None where it does not apply (a repeated label, a label broadcast from size 1, nothing
    summed)."""
    if len(set(sa)) != len(sa) or len(set(sb)) != len(sb):
        return None
    if any(n != b.shape[sb.index(c)] for c, n in zip(sa, a.shape) if c in sb):
        return None
    summed = [c for c in sa if c in sb and c not in out]
    if not summed:
        return None
    alone = False  # a label only one operand has, not in the output: summed away first
    only = [c for c in sa if c not in sb and c not in out]
    if only:
        a = a.sum(axis=tuple(sa.index(c) for c in only))
        sa, alone = "".join(c for c in sa if c not in only), True
    only = [c for c in sb if c not in sa and c not in out]
    if only:
        b = b.sum(axis=tuple(sb.index(c) for c in only))
        sb, alone = "".join(c for c in sb if c not in only), True
    size = dict(zip(sa, a.shape)) | dict(zip(sb, b.shape))
    batch = [c for c in out if c in sa and c in sb]
    own_a = [c for c in out if c in sa and c not in sb]
    own_b = [c for c in out if c in sb and c not in sa]
    big_a, big_b = [c for c in own_a if size[c] > 1], [c for c in own_b if size[c] > 1]
    if big_a and big_b and out.index(big_b[-1]) < out.index(big_a[0]) and not alone:
        a, b, sa, sb, own_a, own_b = b, a, sb, sa, own_b, own_a

    def grouped(x, sub, first, second):  # x as (batch, first, second), each group flattened
        x = x.transpose([sub.index(c) for c in batch + first + second])
        return x.reshape([math.prod(size[c] for c in g) for g in (batch, first, second)])

    product = xp.matmul(grouped(a, sa, own_a, summed), grouped(b, sb, summed, own_b))
    memory = batch + own_a + own_b
    product = product.reshape([size[c] for c in memory])
    return product.transpose([memory.index(c) for c in out])


class Einsum(Op):
    def forward(self, *arrays, subs, out):
        self.subs, self.out = subs, out
        self.saved = arrays
        eq = ",".join(subs) + "->" + out
        if len(arrays) == 2:
            result = _contract_pair(*arrays, *subs, out)
            if result is not None:
                return result
        result = _run(eq, *arrays)
        if len(arrays) == 1 and set(subs[0]) - set(out):  # a sum: contiguous, as torch's
            return fresh(result)
        return _torch_layout(result, subs, out, arrays)

    def backward(self, grad):
        arrays = self.saved
        sizes = {}
        for sub, a in zip(self.subs, arrays):
            for c, n in zip(sub, a.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        return tuple(
            self._grad_of(i, grad, arrays, sizes) if self.needs[i] else None
            for i in range(len(arrays))
        )

    def _grad_of(self, i, grad, arrays, sizes):
        sub, a = self.subs[i], arrays[i]
        others = [s for j, s in enumerate(self.subs) if j != i]
        other_arrays = [x for j, x in enumerate(arrays) if j != i]
        unique = "".join(dict.fromkeys(sub))
        reachable = self.out + "".join(others)
        avail = "".join(c for c in unique if c in reachable)
        eq = ",".join([self.out] + others) + "->" + avail
        g = _run(eq, grad, *other_arrays)
        # labels only this operand had: the output does not depend on them, broadcast back
        own = {c: n for c, n in zip(sub, a.shape)}
        g = g.reshape(tuple(g.shape[avail.index(c)] if c in avail else 1 for c in unique))
        if len(avail) != len(unique):
            g = xp.broadcast_to(g, tuple(g.shape[k] if c in avail else own[c] for k, c in enumerate(unique))).copy()
        # size-1 labels that broadcast against a bigger one: sum back down
        axes = tuple(k for k, c in enumerate(unique) if own[c] == 1 and g.shape[k] != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        if len(unique) == len(sub):
            return g
        # repeated labels (a diagonal): the gradient lives on the diagonal, zeros elsewhere
        full = xp.zeros(a.shape, dtype=g.dtype)
        grids = xp.indices(g.shape, sparse=True)
        full[tuple(grids[unique.index(c)] for c in sub)] = g
        return full


def einsum(equation, *operands):
    """``einsum('ij,jk->ik', a, b)``; operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError("einsum(): the sublist format is not supported; pass an equation string")
    for t in operands:
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operands must be Tensors, not {type(t).__name__}")
    subs, out = _parse(equation, [t._data.shape for t in operands])
    dtypes = {t._data.dtype for t in operands}
    if len(dtypes) > 1:
        raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got {sorted(map(str, dtypes))}")
    for sub, t in zip(subs, operands):
        seen = {}
        for c, n in zip(sub, t._data.shape):
            if seen.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand of shape {tuple(t._data.shape)} but the sizes don't match, {seen[c]} != {n}")
    return Einsum.apply(*operands, subs=subs, out=out)
