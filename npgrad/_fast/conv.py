"""The fast 2-d convolution: the twin of ``npgrad/ops/conv.py``'s reference ``Conv2d``, same
arguments, same results to float rounding (``tests/test_conv.py`` checks them against each
other and against PyTorch).

How a convolution becomes one matrix multiply ("im2col")
--------------------------------------------------------
Every output pixel is a dot product between the weights and the ``kh x kw x C`` patch of
input under the kernel. ``sliding_window_view`` shows all those patches as a strided *view*
(no copy) shaped ``(N, Ho, Wo, C, kh, kw)``; copying it once into a ``(N*Ho*Wo, kh*kw*C)``
matrix ("cols") turns the whole layer into ``cols @ weight_matrix``: one BLAS call.

Four tricks make that fast (measured on the 32->64, 3x3, 26x26, batch-64 layer of the
PyTorch MNIST example):

1. **Channels-last inside the op.** The im2col copy reads runs of ``kw*C`` contiguous floats
   from channels-last memory instead of single floats from NCHW memory: 15 ms instead of
   49 ms for that layer's im2col. So each chunk of images is copied channels-last first (in
   cache, on its worker thread), the matmul writes a chunk of ``(rows, O)`` channels-last
   output, and that chunk is copied into the NCHW output while still in cache. What leaves
   the op is in the input's memory format, as in PyTorch: NCHW-contiguous for an NCHW input,
   channels-last (written by the matmul directly, no copies) for a channels-last one.
2. **Patch order (kh, kw, C)**, channel fastest, for the same reason (the weight matrix is
   reordered to match; it is tiny).
3. **The input gradient as kh*kw scatter-adds of matmuls.** Backward needs
   ``dcols = grad @ weight_matrix.T`` folded back onto the image (col2im). Folding a
   ``(N*Ho*Wo, kh*kw*C)`` matrix whose rows interleave the offsets reads 32-float runs:
   18 ms of matmul + 38 ms of folding. Computing each kernel offset's slice as its own small
   matmul (``grad @ W[:, :, i, j]``, contiguous) and adding it onto the shifted window of the
   padded input gradient takes 24 ms in all, and never materialises the big matrix.
4. **Chunks that fit in cache** (see ``Conv2d._im2col``): 12 ms instead of 25 ms for the
   forward (one core).
5. **Chunks on every core.** ``import npgrad`` keeps BLAS on one thread (best for small
   matrices, see ``npgrad/_threads.py``), so the chunks are dealt out to worker threads
   instead (``threads.py`` beside this file): on 2 cores the forward takes 14 ms, not 27 ms.

The window helpers it shares with pooling live in ``npgrad/ops/spatial.py``.

Groups are handled by one batched matmul over the group axis (for ``groups=1`` the batch
has one element and the transposes are free views).
"""
from .._backend import xp
from ..autograd.function import Op
from ..ops.spatial import (
    channels_last, nchw, nhwc, nhwc_memory, out_size, pad_nhwc, tap_slices, unpad_nhwc, windows,
)
from . import threads
from .threads import run_split


# --------------------------------------------------------------------------- chunks
# A chunk of im2col rows small enough to stay in cache while its matmul reads it (trick 4).
_CHUNK_BYTES = 2 << 20


def batch_chunks(n, bytes_per_image):
    """Split ``range(n)`` images into ``(start, stop)`` chunks of about ``_CHUNK_BYTES``;
    a layer whose whole cols fit in two chunks is split evenly between the workers."""
    total = n * bytes_per_image
    if total <= 2 * _CHUNK_BYTES:
        step = -(-n // min(n, threads.worker_count())) if n else 1
    else:
        step = max(1, _CHUNK_BYTES // max(1, bytes_per_image))
    return [(a, min(a + step, n)) for a in range(0, n, step)] or [(0, 0)]


# --------------------------------------------------------------------------- conv2d
class Conv2d(Op):
    """``out[n, o] = bias[o] + sum_{c,i,j} weight[o, c, i, j] * xpad[n, c, s*h + d*i, s*w + d*j]``
    (within each group).

    ``pads`` is ``(top, bottom, left, right)``; ``padding_mode`` one of 'zeros', 'reflect',
    'replicate', 'circular'. Inputs are 4-d (N, C, H, W); the functional layer handles 3-d
    inputs and checks shapes.
    """

    def forward(self, x, weight, bias, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1),
                groups=1, padding_mode="zeros"):
        n, c, h, w = x.shape
        o, cg, kh, kw = weight.shape
        g, og = groups, o // groups
        xpad = pad_nhwc(nhwc(x), pads, padding_mode)
        self.nhwc_input = nhwc_memory(xpad)
        ho = out_size(h, kh, stride[0], pads[0] + pads[1], dilation[0])
        wo = out_size(w, kw, stride[1], pads[2] + pads[3], dilation[1])
        self.geometry = (x.shape, pads, padding_mode, stride, dilation, g, (ho, wo))
        self.kernel_hw = (kh, kw)
        chunks, small = self._chunks(x.itemsize)
        # a small layer copies all its cols into one buffer, kept for backward (trick 4)
        kept = xp.empty((n, ho, wo, g, kh, kw, cg), x.dtype) if small else None
        # an NCHW input is copied channels-last chunk by chunk (trick 1) into ``staged``,
        # kept for backward, which then rebuilds its cols without transposing again
        staged = None
        if cg > 1 and kept is None and not xpad.flags.c_contiguous:
            staged = xp.empty(xpad.shape, xpad.dtype)

        # weight (O, Cg, kh, kw) -> per group a (kh*kw*Cg, Og) matrix, rows in cols' order
        wmat = weight.reshape(g, og, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(g, -1, og)
        # the bias repeated along one output row (Wo pixels x O channels): adding it to rows
        # of Wo*O numbers instead of O keeps NumPy's inner loop long (0.45 -> 0.1 ms, O = 8)
        bias_row = None if bias is None else xp.tile(bias, wo)
        # the output in PyTorch's memory format: channels-last (which the matmul writes
        # directly) if the input or the weight is, else NCHW (the default)
        if channels_last(x) or channels_last(weight):
            out = xp.empty((n, ho, wo, o), x.dtype)
        else:
            out = nhwc(xp.empty((n, o, ho, wo), x.dtype))
        direct = out.flags.c_contiguous

        def work(share):
            if not direct:  # one chunk's channels-last result, copied to NCHW while in cache
                buf = xp.empty(((chunks[0][1] - chunks[0][0]) * ho * wo, g, og), x.dtype)
            for a, b, cols in self._im2col(xpad, share, chunks[0], kept, staged):
                rows = out[a:b].reshape(-1, g, og) if direct else buf[: (b - a) * ho * wo]
                # (G, rows, Kg) @ (G, Kg, Og) -> (G, rows, Og)
                xp.matmul(cols, wmat, out=rows.transpose(1, 0, 2))
                if bias_row is not None:  # while the chunk is still in cache
                    rows.reshape(-1, wo * o)[...] += bias_row
                if not direct:
                    out[a:b] = rows.reshape(b - a, ho, wo, o)

        run_split(work, chunks)
        self.saved = (xpad if staged is None else staged, weight, kept)
        return nchw(out)

    def backward(self, grad):
        xpad, weight, kept = self.saved
        (n, c, h, w), pads, padding_mode, stride, dilation, g, (ho, wo) = self.geometry
        o, cg, kh, kw = weight.shape
        og = o // g
        need_x, need_w, need_b = self.needs[0], self.needs[1], self.needs[2]
        gx = None
        if need_x:
            gpad = xp.zeros(xpad.shape, grad.dtype)  # channels-last
            # the input's gradient in the input's memory format: with zero padding each
            # chunk's images are copied there while in cache, else all at the end
            if padding_mode == "zeros":
                gx = (xp.empty((n, h, w, c), grad.dtype) if self.nhwc_input
                      else nhwc(xp.empty((n, c, h, w), grad.dtype)))
            # tap (i, j) of the weight as a (G, Og, Cg) matrix, contiguous
            taps = xp.ascontiguousarray(weight.reshape(g, og, cg, kh, kw).transpose(3, 4, 0, 1, 2))

        chunks, _ = self._chunks(grad.itemsize)
        partial = {}  # chunk start -> its (weight gradient, bias gradient)

        def work(share):
            """One thread's chunks: the weight and bias gradients of each (into ``partial``)
            and the input gradient of its images (into ``gpad``). While a chunk of the
            gradient is in cache it serves all three."""
            gw = gb = None
            if not need_w:
                with_cols = ((a, b, None) for a, b in share)
            elif kept is not None:  # a small layer: forward left all its cols here
                with_cols = ((a, b, _as_cols(kept[a:b])) for a, b in share)
            else:  # a big layer: rebuild each chunk's cols, in cache
                with_cols = self._im2col(xpad, share, chunks[0])
            for a, b, cols in with_cols:
                # the incoming gradient of these images as (G, rows, Og): channels-last
                gimg = xp.ascontiguousarray(nhwc(grad[a:b])).reshape(b - a, ho * wo, g, og)
                gchunk = _by_group(gimg)
                if need_b:  # bias: the sum over the output pixels, as ones @ grad: a BLAS
                    gb = xp.matmul(ones(gchunk.shape[1], grad.dtype), gchunk)  # call, 15x
                    # faster than grad.sum(axis=0)
                if need_w:  # weight: cols^T @ grad
                    gw = xp.matmul(cols.transpose(0, 2, 1), gchunk)
                partial[a] = (gw, gb)
                if need_x:  # input: tap (i, j) sends grad @ W[:, :, i, j] back onto the
                    for i in range(kh):  # window it read (trick 3)
                        for j in range(kw):
                            part = xp.matmul(gchunk, taps[i, j])  # (G, rows, Cg)
                            part = part.transpose(1, 0, 2).reshape(b - a, ho, wo, c)
                            rows, cols_ = tap_slices(i, j, stride, dilation, (ho, wo))
                            gpad[a:b, rows, cols_] += part
                    if gx is not None:
                        top, left = pads[0], pads[2]
                        gx[a:b] = gpad[a:b, top : top + h, left : left + w]

        run_split(work, chunks)
        parts = [partial[a] for a, _ in chunks]  # summed in chunk order: deterministic
        gw = gb = None
        if need_b:
            gb = sum(p[1] for p in parts).reshape(o)
        if need_w:  # (G, kh*kw*Cg, Og) -> (O, Cg, kh, kw)
            gw = sum(p[0] for p in parts)
            gw = gw.reshape(g, kh, kw, cg, og).transpose(0, 4, 3, 1, 2).reshape(o, cg, kh, kw)
        if need_x and gx is None:
            gx = unpad_nhwc(gpad, pads, padding_mode, h, w)
            if not self.nhwc_input:  # an NCHW input
                gx = nhwc(xp.ascontiguousarray(nchw(gx)))
        return (None if gx is None else nchw(gx)), gw, gb

    def _chunks(self, itemsize):
        """The chunks of images, and whether the layer is small (all its cols within two
        chunks' worth: forward then keeps them all for backward)."""
        (n, c, _, _), _, _, _, _, _, (ho, wo) = self.geometry
        kh, kw = self.kernel_hw
        per_image = ho * wo * kh * kw * c * itemsize
        return batch_chunks(n, per_image), n * per_image <= 2 * _CHUNK_BYTES

    def _im2col(self, xpad, share, largest, kept=None, staged=None):
        """Yield ``(start, stop, cols)`` for each chunk of ``share``; ``cols`` is
        ``(G, rows, kh*kw*Cg)``, copied into ``kept`` when given, else into one reused buffer;
        ``staged``: where to copy an NCHW input's images channels-last first (kept for backward)
        the size of the ``largest`` chunk.

        Trick 4: the patches are copied a few images at a time into a buffer and consumed
        by the matmul while still in cache. One 42 MB cols matrix for the whole batch costs
        fresh pages (page faults) and a trip through main memory: the chunked forward of the
        32->64 layer takes 12 ms instead of 25 ms. For a big layer the buffer is one chunk,
        reused, and backward rebuilds the chunks (an im2col copy costs less than reading
        42 MB back from memory); a small layer fills ``kept`` once, in forward.
        """
        (n, c, _, _), _, _, stride, dilation, g, (ho, wo) = self.geometry
        kh, kw = self.kernel_hw
        cg = c // g
        if kept is None:
            buf = xp.empty((largest[1] - largest[0], ho, wo, g, kh, kw, cg), xpad.dtype)
        for a, b in share:
            part = kept[a:b] if kept is not None else buf[: b - a]
            src = xpad[a:b]
            if staged is not None:  # these images channels-last first, in cache (trick 1)
                src = staged[a:b]
                src[...] = xpad[a:b]
            if cg == 1:  # one channel per group (a first layer, depthwise): copy tap by tap,
                for i in range(kh):  # so NumPy's inner loop runs along Wo, not over kw
                    for j in range(kw):  # taps (1->8 on 28x28: 0.7 ms instead of 1.2 ms)
                        rows, cols = tap_slices(i, j, stride, dilation, (ho, wo))
                        part[:, :, :, :, i, j, 0] = src[:, rows, cols]
            else:
                if not src.flags.c_contiguous:  # NCHW memory: these images channels-last
                    src = xp.ascontiguousarray(src)  # first, in cache (trick 1)
                win = windows(src, (kh, kw), stride, dilation, (ho, wo))  # (n, Ho, Wo, C, kh, kw)
                win = win.reshape(b - a, ho, wo, g, cg, kh, kw).transpose(0, 1, 2, 3, 5, 6, 4)
                xp.copyto(part, win)  # im2col: the one copy
            yield a, b, _as_cols(part)


_ONES = {}


def ones(n, dtype):
    """``n`` ones, read-only and cached: ``ones(n) @ m`` sums the ``n`` rows of ``m`` in BLAS."""
    vector = _ONES.get(dtype)
    if vector is None or len(vector) < n:
        vector = xp.ones(n, dtype)
        vector.flags.writeable = False
        _ONES[dtype] = vector
    return vector[:n]


def _as_cols(part):
    """An im2col block ``(images, Ho, Wo, G, kh, kw, Cg)`` as ``(G, rows, kh*kw*Cg)`` (a view)."""
    g = part.shape[3]
    return part.reshape(-1, g, part[0, 0, 0, 0].size).transpose(1, 0, 2)


def _by_group(gchunk):
    """``(images, Ho*Wo, G, Og)`` -> ``(G, images*Ho*Wo, Og)`` (a view)."""
    g, og = gchunk.shape[2:]
    return gchunk.reshape(-1, g, og).transpose(1, 0, 2)
