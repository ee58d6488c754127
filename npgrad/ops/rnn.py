"""One recurrent layer (one direction) over a whole sequence, as one fused node.

``RecurrentLayer`` runs RNN (tanh / relu), LSTM (optionally projected) or GRU over a
time-major input ``x`` of shape (T, B, I):

- the input projection of every time step is one matmul, ``x @ W_ih.T + b_ih``;
- the time loop does only the hidden-state product and the gate math;
- backward is back-propagation through time written out in NumPy: the loop carries dL/dh (and
  dL/dc) backwards and stores each step's gate gradients, and the weight gradients are then
  one matmul each over all steps at once.

Variable lengths (packed sequences): ``batch_sizes[t]`` is the number of sequences still
running at step t, the longest first (so the running rows are a prefix). Rows past it keep
their state unchanged and output zeros; going forwards a row's state freezes at its last
step, going backwards (``reverse``) it waits at h0 until its last step comes. That is exactly
PyTorch's packed semantics.

The node has one output array: the outputs (T, B, H_out), h_n (B, H_out) and, for LSTM, c_n
(B, H) flattened and concatenated; ``run_layer`` splits it back with views.
"""
from .._backend import xp
from ..autograd.function import Op


def _sigmoid(x):
    # 0.5 * tanh(x / 2) + 0.5: no overflow for large |x|, one transcendental
    return 0.5 * xp.tanh(0.5 * x) + 0.5


class RecurrentLayer(Op):
    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr,
                mode="LSTM", reverse=False, batch_sizes=None):
        T, B, _ = x.shape
        H = w_hh.shape[1]  # size of the state fed back (proj_size when projected)
        Hc = w_hh.shape[0] // {"LSTM": 4, "GRU": 3}.get(mode, 1)  # cell / hidden size
        dt = x.dtype
        # (BLAS multiplies by a C-ordered right operand ~1.5x faster than by a transposed view:
        # the weights are transposed into fresh arrays once, not viewed at every step)
        xi = x.reshape(T * B, -1) @ xp.ascontiguousarray(w_ih.T)
        if b_ih is not None:
            xi += b_ih
        xi = xi.reshape(T, B, -1)
        w_hh_t = xp.ascontiguousarray(w_hh.T)
        w_hr_t = None if w_hr is None else xp.ascontiguousarray(w_hr.T)
        steps = range(T - 1, -1, -1) if reverse else range(T)
        sizes = [B] * T if batch_sizes is None else [int(n) for n in batch_sizes]
        out = xp.zeros((T, B, H), dt)
        hprev = xp.zeros((T, B, H), dt)  # the state each step started from
        h = h0.copy()
        keep = {}
        if mode == "LSTM":
            c = c0.copy()
            keep = {k: xp.zeros((T, B, Hc), dt) for k in ("i", "f", "g", "o", "c", "tc")}
        elif mode == "GRU":
            keep = {k: xp.zeros((T, B, Hc), dt) for k in ("r", "z", "n", "hn")}
        for t in steps:
            n = sizes[t]
            hp = h[:n]
            hprev[t, :n] = hp
            gh = hp @ w_hh_t
            if b_hh is not None:
                gh += b_hh
            if mode == "LSTM":
                g = xi[t, :n] + gh
                i, f, o = (_sigmoid(g[:, k * Hc:(k + 1) * Hc]) for k in (0, 1, 3))
                gg = xp.tanh(g[:, 2 * Hc:3 * Hc])
                keep["c"][t, :n] = c[:n]
                cn = f * c[:n] + i * gg
                tc = xp.tanh(cn)
                hn = o * tc
                if w_hr is not None:
                    hn = hn @ w_hr_t
                c[:n] = cn
                for k, v in (("i", i), ("f", f), ("g", gg), ("o", o), ("tc", tc)):
                    keep[k][t, :n] = v
            elif mode == "GRU":
                a = xi[t, :n]
                r = _sigmoid(a[:, :Hc] + gh[:, :Hc])
                z = _sigmoid(a[:, Hc:2 * Hc] + gh[:, Hc:2 * Hc])
                hhn = gh[:, 2 * Hc:]
                nn = xp.tanh(a[:, 2 * Hc:] + r * hhn)
                hn = nn + z * (hp - nn)
                for k, v in (("r", r), ("z", z), ("n", nn), ("hn", hhn)):
                    keep[k][t, :n] = v
            else:
                a = xi[t, :n] + gh
                hn = xp.tanh(a) if mode == "RNN_TANH" else xp.maximum(a, 0)
            h[:n] = hn
            out[t, :n] = hn
        self.saved = (x, w_ih, w_hh, w_hr, hprev, out, keep)
        self.mode, self.steps, self.sizes = mode, steps, sizes
        self.has_bias = (b_ih is not None, b_hh is not None)
        self.B, self.T, self.H, self.Hc = B, T, H, Hc
        parts = [out.ravel(), h.ravel()]
        if mode == "LSTM":
            parts.append(c.ravel())
        return xp.concatenate(parts)

    def backward(self, grad):
        x, w_ih, w_hh, w_hr, hprev, out, keep = self.saved
        mode, T, B, H, Hc = self.mode, self.T, self.B, self.H, self.Hc
        dt = x.dtype
        n_out = T * B * H
        dout = grad[:n_out].reshape(T, B, H)
        dh = grad[n_out:n_out + B * H].reshape(B, H).copy()
        G = w_hh.shape[0]
        dgi = xp.zeros((T, B, G), dt)  # dL/d(input gates) per step
        dgh = dgi if mode != "GRU" else xp.zeros((T, B, G), dt)  # dL/d(hidden gates)
        if mode == "LSTM":
            dc = grad[n_out + B * H:].reshape(B, Hc).copy()
            dhr_all = xp.zeros((T, B, H), dt) if w_hr is not None else None
        for t in reversed(self.steps):
            n = self.sizes[t]
            dht = dh[:n] + dout[t, :n]
            if mode == "LSTM":
                if w_hr is not None:
                    dhr_all[t, :n] = dht
                    dht = dht @ w_hr
                i, f, gg, o, tc = (keep[k][t, :n] for k in ("i", "f", "g", "o", "tc"))
                dct = dc[:n] + dht * o * (1 - tc * tc)
                d = dgi[t, :n]
                d[:, :Hc] = dct * gg * i * (1 - i)
                d[:, Hc:2 * Hc] = dct * keep["c"][t, :n] * f * (1 - f)
                d[:, 2 * Hc:3 * Hc] = dct * i * (1 - gg * gg)
                d[:, 3 * Hc:] = dht * tc * o * (1 - o)
                dc[:n] = dct * f
                dh[:n] = d @ w_hh
            elif mode == "GRU":
                r, z, nn, hhn = (keep[k][t, :n] for k in ("r", "z", "n", "hn"))
                dn = dht * (1 - z) * (1 - nn * nn)
                dr = dn * hhn * r * (1 - r)
                dz = dht * (hprev[t, :n] - nn) * z * (1 - z)
                di, dh_ = dgi[t, :n], dgh[t, :n]
                di[:, :Hc] = dr
                di[:, Hc:2 * Hc] = dz
                di[:, 2 * Hc:] = dn
                dh_[:, :2 * Hc] = di[:, :2 * Hc]
                dh_[:, 2 * Hc:] = dn * r
                dh[:n] = dht * z + dh_ @ w_hh
            else:
                ht = out[t, :n]
                d = dgi[t, :n]
                if mode == "RNN_TANH":
                    xp.multiply(dht, 1 - ht * ht, out=d)
                else:
                    xp.multiply(dht, ht > 0, out=d)
                dh[:n] = d @ w_hh
        needs = self.needs
        flat_i = dgi.reshape(T * B, G)
        flat_h = dgh.reshape(T * B, G)
        dx = (flat_i @ w_ih).reshape(x.shape) if needs[0] else None
        dh0 = dh if needs[1] else None
        dc0 = (dc if mode == "LSTM" else None) if needs[2] else None
        dw_ih = flat_i.T @ x.reshape(T * B, -1) if needs[3] else None
        dw_hh = flat_h.T @ hprev.reshape(T * B, H) if needs[4] else None
        db_ih = flat_i.sum(0) if self.has_bias[0] and needs[5] else None
        db_hh = flat_h.sum(0) if self.has_bias[1] and needs[6] else None
        dw_hr = None
        if w_hr is not None and needs[7]:
            hr = keep["o"] * keep["tc"]
            dw_hr = dhr_all.reshape(T * B, H).T @ hr.reshape(T * B, Hc)
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr


def run_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr=None, mode="LSTM", reverse=False,
              batch_sizes=None):
    """Tensors in: (outputs (T, B, H_out), h_n (B, H_out), c_n (B, H) or None)."""
    T, B = x.shape[0], x.shape[1]
    H = h0.shape[-1]
    flat = RecurrentLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr,
                                mode=mode, reverse=reverse, batch_sizes=batch_sizes)
    n_out = T * B * H
    out = flat[:n_out].reshape(T, B, H)
    h_n = flat[n_out:n_out + B * H].reshape(B, H)
    c_n = flat[n_out + B * H:].reshape(B, -1) if mode == "LSTM" else None
    return out, h_n, c_n
