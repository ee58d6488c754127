"""The numba kernels themselves (see ``__init__.py`` for what each one is the twin of).

Every loop below does, element by element, the same operations in the same order as its
NumPy twin does array by array, so the float results are the same."""
import numba
import numpy as np

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@_jit
def adam_flat(grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_out, c1, b2, c2,
              bias_correction2_sqrt, neg_step_size, eps, maximize, amsgrad):
    """Adam's 13 passes as one: the step to add to the parameters goes to ``step_out``;
    ``exp_avg``/``exp_avg_sq`` (and ``max_exp_avg_sq`` if amsgrad) are updated in place.
    The scalars come cast to the arrays' dtype (``c1`` = 1-beta1, ``c2`` = 1-beta2)."""
    for i in range(grad.size):
        g = -grad[i] if maximize else grad[i]
        m = exp_avg[i] + (g - exp_avg[i]) * c1
        exp_avg[i] = m
        v = exp_avg_sq[i] * b2 + (g * c2) * g
        exp_avg_sq[i] = v
        if amsgrad:
            if v > max_exp_avg_sq[i] or v != v:  # np.maximum propagates NaN
                max_exp_avg_sq[i] = v
            v = max_exp_avg_sq[i]
        step_out[i] = (m * neg_step_size) / (np.sqrt(v) / bias_correction2_sqrt + eps)


@_jit
def sgd_momentum(param, grad, buf, neg_lr, momentum, damp, nesterov, weight_decay, maximize,
                 first, use_wd, undamped):
    """SGD with momentum on one parameter (1-D views), in place; scalars cast to its dtype
    (``damp`` = 1-dampening). ``first``: the buffer starts as the gradient (PyTorch's first
    step) instead of being decayed."""
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        if use_wd:
            g = g + param[i] * weight_decay
        if first:
            b = g
        elif undamped:
            b = buf[i] * momentum + g
        else:
            b = buf[i] * momentum + g * damp
        buf[i] = b
        d = g + b * momentum if nesterov else b
        param[i] += d * neg_lr


@_jit
def cross_entropy_fwd(logits, target, losses, probs):
    """Per row: losses = log(sum(exp(z - max))) - (z[t] - max); probs = softmax(z)."""
    n, c = logits.shape
    for r in range(n):
        top = logits[r, 0]
        for k in range(1, c):
            if logits[r, k] > top:
                top = logits[r, k]
        total = np.exp(logits[r, 0] - top)
        probs[r, 0] = total
        for k in range(1, c):
            e = np.exp(logits[r, k] - top)
            probs[r, k] = e
            total += e
        losses[r] = np.log(total) - (logits[r, target[r]] - top)
        for k in range(c):
            probs[r, k] = probs[r, k] / total


@_jit
def cross_entropy_bwd(probs, target, scale, out):
    """out = probs * scale[r] with scale[r] taken off each row's target column."""
    n, c = probs.shape
    for r in range(n):
        s = scale[r]
        for k in range(c):
            out[r, k] = probs[r, k] * s
        out[r, target[r]] -= s


@_jit
def bias_relu_fwd(out, bias, mask):
    """out = max(out + bias, 0) in place (bias along the last axis); with a dropout ``mask``
    (the same shape, scaled by 1/(1-p)) also out *= mask. An empty mask means no dropout."""
    n, c = out.shape
    has_mask = mask.shape[0] > 0
    for r in range(n):
        for k in range(c):
            v = out[r, k] + bias[k]
            if v > 0 or v != v:  # np.maximum(v, 0) keeps a NaN
                out[r, k] = v * mask[r, k] if has_mask else v
            else:
                out[r, k] = 0


@_jit
def bias_relu_bwd(grad, out, mask, gin, gbias):
    """gin = grad * mask * (out > 0); gbias = gin summed over the rows, row after row (as
    NumPy's sum over axis 0 of a C-ordered array adds them)."""
    n, c = grad.shape
    has_mask = mask.shape[0] > 0
    for k in range(c):
        gbias[k] = 0
    for r in range(n):
        for k in range(c):
            g = grad[r, k] * mask[r, k] if has_mask else grad[r, k]
            if not out[r, k] > 0:
                g = g - g  # grad * False: 0, and NaN for an inf or NaN grad, as NumPy
            gin[r, k] = g
            gbias[k] += g


@_jit
def max_pool_fwd(xpad, out, arg, kh, kw, sh, sw, dh, dw):
    """Channels-last max pool of ``xpad`` (N, Hp, Wp, C) into ``out``/``arg`` (N, Ho, Wo, C):
    the maximum over each window and the first tap (row-major) holding it. As the reference
    (``ops.pool._max_over_taps``): a tap wins only if strictly greater, and a NaN propagates
    to ``out`` without moving ``arg``. The channel loop is innermost (contiguous, and
    branch-free enough to vectorise: 4-5x faster than looping the taps innermost)."""
    n, ho, wo, c = out.shape
    for b in range(n):
        for r in range(ho):
            for q in range(wo):
                for k in range(c):
                    out[b, r, q, k] = xpad[b, r * sh, q * sw, k]
                    arg[b, r, q, k] = 0
                for t in range(1, kh * kw):
                    i, j = r * sh + (t // kw) * dh, q * sw + (t % kw) * dw
                    for k in range(c):
                        v = xpad[b, i, j, k]
                        if v > out[b, r, q, k]:
                            out[b, r, q, k] = v
                            arg[b, r, q, k] = t
                        elif v != v:
                            out[b, r, q, k] = v


@_jit
def max_pool_bwd(g, arg, gpad, kh, kw, sh, sw, dh, dw, disjoint):
    """Each output's gradient to the tap that held its maximum, into ``gpad`` (N, Hp, Wp, C),
    tap after tap as the reference does (so overlapping windows add in the same order).
    ``disjoint`` windows write every tap (``g * (arg == t)``, as the reference's multiply: a
    NaN gradient stays NaN on the other taps too, -g gives -0.0); overlapping ones add."""
    n, ho, wo, c = g.shape
    for t in range(kh * kw):
        di, dj = (t // kw) * dh, (t % kw) * dw
        for b in range(n):
            for r in range(ho):
                for q in range(wo):
                    i, j = r * sh + di, q * sw + dj
                    for k in range(c):
                        v = g[b, r, q, k]
                        if disjoint:
                            gpad[b, i, j, k] = v if arg[b, r, q, k] == t else v * 0
                        elif arg[b, r, q, k] == t:
                            gpad[b, i, j, k] += v


@_jit
def max_pool_fwd_planes(xpad, out, arg, kh, kw, sh, sw, dh, dw):
    """``max_pool_fwd`` for NCHW memory: the same arrays as NCHW ``(N, C, H, W)``, walked
    plane by plane (each channel of each image, as a 2-d view) with the output row innermost,
    written as selects rather than branches so that the row loop vectorises (branching on
    random data, or indexing the 4-d arrays in the inner loop, was 3-5x slower)."""
    n, c, ho, wo = out.shape
    for b in range(n):
        for k in range(c):
            x, o, a = xpad[b, k], out[b, k], arg[b, k]
            for r in range(ho):
                for q in range(wo):
                    o[r, q] = x[r * sh, q * sw]
                    a[r, q] = 0
                for t in range(1, kh * kw):
                    i, dj = r * sh + (t // kw) * dh, (t % kw) * dw
                    for q in range(wo):
                        v, m = x[i, q * sw + dj], o[r, q]
                        greater = v > m  # strictly: on a tie the earlier tap keeps it
                        o[r, q] = v if (greater or v != v) else m  # a NaN propagates
                        a[r, q] = a[r, q] + (t - a[r, q]) * greater


@_jit
def max_pool_bwd_planes(g, arg, gpad, kh, kw, sh, sw, dh, dw, disjoint):
    """``max_pool_bwd`` for NCHW memory (arrays as NCHW), tap after tap as the reference."""
    n, c, ho, wo = g.shape
    for t in range(kh * kw):
        di, dj = (t // kw) * dh, (t % kw) * dw
        for b in range(n):
            for k in range(c):
                gk, ak, pk = g[b, k], arg[b, k], gpad[b, k]
                for r in range(ho):
                    i = r * sh + di
                    for q in range(wo):
                        v = gk[r, q]
                        if disjoint:
                            pk[i, q * sw + dj] = v if ak[r, q] == t else v * 0
                        elif ak[r, q] == t:
                            pk[i, q * sw + dj] += v


@_jit
def batch_norm_fwd(x, weight, bias, eps, out, x_hat, mean_out, var_out):
    """Training BatchNorm over the rows of ``x`` (rows = N*H*W pixels, columns = channels,
    channels-last): per channel the mean and the biased variance (summed in float64, then
    cast), x_hat = (x - mean) * invstd, out = x_hat * weight + bias. Returns invstd."""
    m, c = x.shape
    total = np.zeros(c)
    for r in range(m):
        for k in range(c):
            total[k] += x[r, k]
    for k in range(c):
        mean_out[k] = total[k] / m
        total[k] = 0.0
    for r in range(m):
        for k in range(c):
            d = x[r, k] - mean_out[k]
            total[k] += d * d
    invstd = np.empty(c, x.dtype)
    for k in range(c):
        var_out[k] = total[k] / m
        invstd[k] = 1 / np.sqrt(var_out[k] + eps)
    for r in range(m):
        for k in range(c):
            h = (x[r, k] - mean_out[k]) * invstd[k]
            x_hat[r, k] = h
            out[r, k] = h * weight[k] + bias[k]
    return invstd


@_jit
def batch_norm_bwd(grad, x_hat, invstd, weight, gx, gw, gb):
    """Training BatchNorm's backward over channels-last rows: gb = sum grad, gw = sum
    grad * x_hat (float64 sums), and gx = invstd * (g_hat - mean(g_hat) - x_hat *
    mean(g_hat * x_hat)) with g_hat = grad * weight."""
    m, c = grad.shape
    sg = np.zeros(c)
    sgx = np.zeros(c)
    for r in range(m):
        for k in range(c):
            g = grad[r, k]
            sg[k] += g
            sgx[k] += g * x_hat[r, k]
    mean_g = np.empty(c, grad.dtype)
    mean_gx = np.empty(c, grad.dtype)
    for k in range(c):
        gb[k] = sg[k]
        gw[k] = sgx[k]
        mean_g[k] = weight[k] * sg[k] / m
        mean_gx[k] = weight[k] * sgx[k] / m
    for r in range(m):
        for k in range(c):
            g_hat = grad[r, k] * weight[k]
            gx[r, k] = invstd[k] * (g_hat - mean_g[k] - x_hat[r, k] * mean_gx[k])


# Four interleaved partial sums in float64 over one plane of N*C*H*W memory: one running
# sum waits on each add (a sum may not be reordered, so it cannot vectorise), four keep the
# adder busy: BatchNorm's forward on 64x64x24x24 NCHW took 9.6 ms with one, ~2.5 ms so.
@_jit
def _plane_sum(a):
    n = a.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    q = 0
    while q + 4 <= n:
        s0 += a[q]
        s1 += a[q + 1]
        s2 += a[q + 2]
        s3 += a[q + 3]
        q += 4
    while q < n:
        s0 += a[q]
        q += 1
    return (s0 + s1) + (s2 + s3)


@_jit
def _plane_squares(a, centre):
    """``sum((a - centre) ** 2)`` (``centre`` in a's dtype, as the rows' kernel subtracts)."""
    n = a.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    q = 0
    while q + 4 <= n:
        d0, d1, d2, d3 = a[q] - centre, a[q + 1] - centre, a[q + 2] - centre, a[q + 3] - centre
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
        q += 4
    while q < n:
        d = a[q] - centre
        s0 += d * d
        q += 1
    return (s0 + s1) + (s2 + s3)


@_jit
def _plane_dot(a, b):
    n = a.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    q = 0
    while q + 4 <= n:
        s0 += a[q] * b[q]
        s1 += a[q + 1] * b[q + 1]
        s2 += a[q + 2] * b[q + 2]
        s3 += a[q + 3] * b[q + 3]
        q += 4
    while q < n:
        s0 += a[q] * b[q]
        q += 1
    return (s0 + s1) + (s2 + s3)


@_jit
def batch_norm_fwd_planes(x, weight, bias, eps, out, x_hat, mean_out, var_out):
    """``batch_norm_fwd`` for NCHW memory, over ``x`` as ``(N, C, H*W)``: the same float64
    statistics, added in another order (``_plane_sum``) than the rows' kernel."""
    n, c, p = x.shape
    m = n * p
    invstd = np.empty(c, x.dtype)
    for k in range(c):
        total = 0.0
        for b in range(n):
            total += _plane_sum(x[b, k])
        mean_out[k] = total / m
        total = 0.0
        for b in range(n):
            total += _plane_squares(x[b, k], mean_out[k])
        var_out[k] = total / m
        invstd[k] = 1 / np.sqrt(var_out[k] + eps)
    for b in range(n):
        for k in range(c):
            xr, hr, orow = x[b, k], x_hat[b, k], out[b, k]
            mk, ik, wk, bk = mean_out[k], invstd[k], weight[k], bias[k]  # in registers: the
            for q in range(p):  # loop vectorises (arrays might alias, so reloads would stay)
                h = (xr[q] - mk) * ik
                hr[q] = h
                orow[q] = h * wk + bk
    return invstd


@_jit
def batch_norm_bwd_planes(grad, x_hat, invstd, weight, gx, gw, gb):
    """``batch_norm_bwd`` for NCHW memory, over ``(N, C, H*W)`` arrays."""
    n, c, p = grad.shape
    m = n * p
    mean_g = np.empty(c, grad.dtype)
    mean_gx = np.empty(c, grad.dtype)
    for k in range(c):
        sg = 0.0
        sgx = 0.0
        for b in range(n):
            sg += _plane_sum(grad[b, k])
            sgx += _plane_dot(grad[b, k], x_hat[b, k])
        gb[k] = sg
        gw[k] = sgx
        mean_g[k] = weight[k] * sg / m
        mean_gx[k] = weight[k] * sgx / m
    for b in range(n):
        for k in range(c):
            gr, hr, xr = grad[b, k], x_hat[b, k], gx[b, k]
            wk, ik, mg, mgx = weight[k], invstd[k], mean_g[k], mean_gx[k]
            for q in range(p):
                xr[q] = ik * (gr[q] * wk - mg - hr[q] * mgx)
