"""The recurrent core of RNN, LSTM and GRU: one node per layer and direction that runs
every time step (`MkldnnRnnLayerBackward0`, PyTorch's name for its fused CPU layer).

The layer's input projection x @ W_ih^T + b_ih is one matmul for all steps, done by the
caller (`linear`); this node takes those projections `xg` (L, N, G*H) and runs the
recurrence h_t = cell(xg_t, h_{t-1}). Gate layouts are PyTorch's: LSTM rows (i, f, g, o),
GRU rows (r, z, n) with b_hn inside the reset product:

    LSTM  i, f, o = sigmoid(.), g = tanh(.);  c' = f c + i g;  h' = o tanh(c')  [@ W_hr^T]
    GRU   r, z = sigmoid(.);  n = tanh(xg_n + r (h W_hn^T + b_hn));  h' = n + z (h - n)
    RNN   h' = tanh(xg + h W_hh^T + b_hh)  (or relu)

Each cell is written twice, on purpose:
- numpy kernels (`_lstm_np`, `_gru_np`, `_rnn_np`) for the forward and for the backward
  when no graph is recorded: per step only what is truly sequential (the recurrent matmul
  and a few in-place ufuncs into preallocated buffers); every factor of the backward that
  does not depend on the incoming gradient is computed for all steps at once; the weight
  gradients are one matmul over all steps.
- the same equations in Tensor ops (`_reference_forward` / `_reference_backward`), for the
  backward under `create_graph=True`: the forward is recomputed from the saved inputs, so
  the gradient is itself a differentiable function of them (second derivatives and more).
The tests hold both to PyTorch, and to each other (gradgradcheck).
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.function import Node
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

__all__ = ["rnn_layer", "GATES"]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# The LSTM kernel prepares its per-step operands (and the backward its gate gradients) in
# chunks of steps of about this size: small enough to stay in a core's L2 cache from the
# chunk's whole-array passes to the steps that use them (6% faster than whole-sequence
# passes on the benchmark's backward)
_CHUNK_BYTES = 1 << 18


def _chunk(length: int, per_step: np.ndarray) -> int:
    """The number of steps per chunk, for per-step arrays like `per_step[0]`."""
    return min(length, max(1, _CHUNK_BYTES // per_step[0].nbytes))


def _chunk_starts(length: int, size: int, reverse: bool) -> dict:
    """{first step of a chunk in running order: (lo, hi)}: steps lo..hi-1 in chunks of
    `size`, cut from the end where the run starts when running backwards."""
    if reverse:
        return {hi - 1: (max(0, hi - size), hi) for hi in range(length, 0, -size)}
    return {lo: (lo, min(length, lo + size)) for lo in range(0, length, size)}


def _steps(length: int, reverse: bool) -> list:
    """(t, state slot before step t, state slot after it): states live in L+1 slots, the
    initial state in slot 0 (slot L when running backwards in time)."""
    if reverse:
        return [(t, t + 1, t) for t in range(length - 1, -1, -1)]
    return [(t, t, t + 1) for t in range(length)]


def _prev_slots(states: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step started from, for all steps: (L, N, .)."""
    return states[1:] if reverse else states[:-1]


def _row_blocks(w: np.ndarray, cols: int) -> np.ndarray:
    """w (R, K) viewed as (b, R / b, K), so that the per-step product w @ h, with h (K, cols),
    runs as b products of at most 100**3 multiply-adds each: OpenBLAS takes such products
    through its small-matrix kernels, about 25% faster at the sizes of a training step
    (R = 512, K = 128, cols = 16) than one product through its general path. w itself when
    it is small enough already or no split into 2 or 4 blocks gets there."""
    rows, k = w.shape
    for b in (2, 4):
        if rows * k * cols > 100 ** 3 and rows % b == 0 and rows // b * k * cols <= 100 ** 3:
            return w.reshape(b, rows // b, k)
    return w


def _transposed(a: np.ndarray, block: int = 64) -> np.ndarray:
    """a.T (a 2-D) as a C-contiguous copy, made in blocks of `block` rows of a: each
    block's reads stay in the cache (3x faster than one strided copy of a 512 x 128
    weight)."""
    out = np.empty(a.shape[::-1], a.dtype)
    for j in range(0, a.shape[0], block):
        out[:, j:j + block] = a[j:j + block].T
    return out


def _blend(new: np.ndarray, old: np.ndarray, m: np.ndarray) -> None:
    """Packed sequences: rows whose sequence is not running (m = 0) keep `old`, in place."""
    new -= old
    new *= m
    new += old


# ---------------------------------------------------------------------------------------
# numpy kernels. Each `forward` fills `cache` and returns [out (L, N, H_out), h_n] (+ c_n for
# an LSTM); each `backward` returns (d xg, dh0, dc0, dW_hh, db_hh, dW_hr).


class _Kernel:
    """What the three cells' time loops share: the state buffers and the packed-sequence
    bookkeeping around each step."""

    def __init__(self, hidden: int, w_hh: np.ndarray, b_hh, w_hr, reverse: bool, mask):
        self.hidden, self.w_hh, self.b_hh, self.w_hr = hidden, w_hh, b_hh, w_hr
        self.reverse, self.mask = reverse, mask

    def _states(self, length: int, h0: np.ndarray) -> np.ndarray:
        s = np.empty((length + 1,) + h0.shape, h0.dtype)
        s[length if self.reverse else 0] = h0
        return s

    def _row_outputs(self, states: np.ndarray) -> list:
        """[out (L, N, H), h_n] from the state slots (L+1, N, H) (or a view of them in that
        shape): contiguous copies, since the kernel keeps its buffers for backward, out of
        the user's reach."""
        length = states.shape[0] - 1
        out = states[:length] if self.reverse else states[1:]
        out = out.copy() if self.mask is None else np.multiply(out, self.mask, order="C")
        return [out, states[0 if self.reverse else length].copy()]

    def _carry_in(self, t: int, dh, dout):
        """The gradient reaching step t's new state: from the next step, plus the output's."""
        return dh if dout is None else dh + dout[t]

    def _masked(self, t: int, g):
        return g if self.mask is None or g is None else g * self.mask[t]

    def _carry_out(self, t: int, d_prev, d_state):
        """Add what skips step t for rows that are not running (packed sequences)."""
        if self.mask is None or d_state is None:
            return d_prev
        return d_prev + d_state * (1 - self.mask[t])


class _LSTMKernel(_Kernel):
    """Column layout: every per-step array is (features, N), contiguous, so each gate is a
    contiguous block of rows and every ufunc of the step takes numpy's fast path. Gates are
    kept in the order (o, i, f, g) inside (PyTorch's rows rolled by one block): the three
    sigmoid gates are rows [0, 3H) and the three gates whose gradient is d c' rows [H, 4H)."""

    def _internal(self, a: np.ndarray) -> np.ndarray:
        """PyTorch's gate rows (i, f, g, o) of `a` in the kernel's order (o, i, f, g)."""
        return np.concatenate([a[3 * self.hidden:], a[:3 * self.hidden]])

    def _load(self, xg: np.ndarray, pre: np.ndarray, acts: np.ndarray) -> None:
        """acts (steps, 4H, N) <- xg (steps, N, 4H) + b_hh, in the kernel's gate order, the
        pre-activations of o, i, f halved: sigmoid(x) = (tanh(x / 2) + 1) / 2, so that one
        tanh covers all four gates and one multiply-add makes three sigmoids."""
        H = self.hidden
        if self.b_hh is not None:
            xg = np.add(xg, self.b_hh, out=pre)
        np.multiply(xg[..., 3 * H:].transpose(0, 2, 1), 0.5, out=acts[:, :H])
        np.multiply(xg[..., :2 * H].transpose(0, 2, 1), 0.5, out=acts[:, H:3 * H])
        np.copyto(acts[:, 3 * H:], xg[..., 2 * H:3 * H].transpose(0, 2, 1))

    def forward(self, xg, h0, c0):
        length, n, gsize = xg.shape
        H, dt = self.hidden, xg.dtype
        acts = np.empty((length, gsize, n), dt)
        w = self._internal(self.w_hh)
        w[:3 * H] *= 0.5
        w_hr = self.w_hr
        mask = None if self.mask is None else self.mask.transpose(0, 2, 1)   # (L, 1, N)
        first = length if self.reverse else 0
        states = np.empty((length + 1, h0.shape[1], n), dt)
        states[first] = h0.T
        cells = np.empty((length + 1, H, n), dt)
        cells[first] = c0.T
        tanh_c = np.empty((length, H, n), dt)
        proj = None if w_hr is None else np.empty((length, H, n), dt)
        w = _row_blocks(w, n)
        tmp, ig = np.empty(w.shape[:-1] + (n,), dt), np.empty((H, n), dt)
        flat = tmp.reshape(gsize, n)
        size = _chunk(length, acts)
        pre = np.empty((size, n, gsize), dt)
        starts = _chunk_starts(length, size, self.reverse)
        for t, p, q in _steps(length, self.reverse):
            if t in starts:
                lo, hi = starts[t]
                self._load(xg[lo:hi], pre[:hi - lo], acts[lo:hi])
            a = acts[t]
            np.matmul(w, states[p], out=tmp)
            a += flat
            np.tanh(a, out=a)
            sig = a[:3 * H]
            sig *= 0.5
            sig += 0.5
            c = np.multiply(a[2 * H:3 * H], cells[p], out=cells[q])        # f c
            c += np.multiply(a[H:2 * H], a[3 * H:], out=ig)                # + i g
            tc = np.tanh(c, out=tanh_c[t])
            if w_hr is None:
                np.multiply(a[:H], tc, out=states[q])
            else:
                np.matmul(w_hr, np.multiply(a[:H], tc, out=proj[t]), out=states[q])
            if mask is not None:
                _blend(states[q], states[p], mask[t])
                _blend(cells[q], cells[p], mask[t])
        self.cache = (acts, states, cells, tanh_c, proj)
        c_n = cells[0 if self.reverse else length].T.copy()
        return self._row_outputs(states.transpose(0, 2, 1)) + [c_n]

    def _factors(self, lo: int, hi: int, k: np.ndarray, dc_dm: np.ndarray) -> None:
        """For steps lo..hi-1, into k and dc_dm: d gates = (dm, dc, dc, dc) * k, with dm
        the gradient of m = o tanh(c') and dc that of c'; dc_dm = dc' / dm."""
        acts, _, cells, tanh_c, _ = self.cache
        H, a, tc = self.hidden, acts[lo:hi], tanh_c[lo:hi]
        k, dc_dm = k[:hi - lo], dc_dm[:hi - lo]
        o, i, g = a[:, :H], a[:, H:2 * H], a[:, 3 * H:]
        sig = np.subtract(1, a[:, :3 * H], out=k[:, :3 * H])
        sig *= a[:, :3 * H]                                 # sigmoid' of o, i, f
        k[:, :H] *= tc
        k[:, H:2 * H] *= g
        k[:, 2 * H:3 * H] *= _prev_slots(cells, self.reverse)[lo:hi]
        kg = np.multiply(g, g, out=k[:, 3 * H:])
        np.subtract(1, kg, out=kg)
        kg *= i
        np.multiply(tc, tc, out=dc_dm)                      # o (1 - tanh(c')^2)
        np.subtract(1, dc_dm, out=dc_dm)
        dc_dm *= o

    def backward(self, dout, dhn, dcn):
        acts, states, cells, tanh_c, proj = self.cache
        length, gsize, n = acts.shape
        H, dt = self.hidden, acts.dtype
        f = acts[:, 2 * H:3 * H]
        w_t = _row_blocks(_transposed(self._internal(self.w_hh)), n)    # (H_out, 4H)
        w_hr_t = None if proj is None else np.ascontiguousarray(self.w_hr.T)
        mask = None if self.mask is None else self.mask.transpose(0, 2, 1)
        dout = None if dout is None else np.ascontiguousarray(dout.transpose(0, 2, 1))
        dproj = None if proj is None else np.empty((length,) + states.shape[1:], dt)
        dh = np.zeros_like(states[0]) if dhn is None else np.ascontiguousarray(dhn.T)
        dc = np.zeros_like(cells[0]) if dcn is None else np.ascontiguousarray(dcn.T)
        dxg = np.empty((length, n, gsize), dt)             # PyTorch's gate order
        # backwards in time, in chunks of steps whose scratch (factors, gate gradients)
        # stays in the L2 cache from the factors' passes to the chunk's last use
        size = _chunk(length, acts)
        k, dc_dm = np.empty((size, gsize, n), dt), np.empty((size, H, n), dt)
        dgates = np.empty((size, gsize, n), dt)
        for lo, hi in _chunk_starts(length, size, not self.reverse).values():
            self._factors(lo, hi, k, dc_dm)
            for t in (range(lo, hi) if self.reverse else range(hi - 1, lo - 1, -1)):
                gh = dh if dout is None else dh + dout[t]
                gc = dc
                if mask is not None:
                    gh, gc = gh * mask[t], dc * mask[t]
                if proj is not None:
                    dproj[t] = gh
                    gh = w_hr_t @ gh
                r = t - lo
                dct = gh * dc_dm[r]
                dct += gc
                d = dgates[r]
                np.multiply(k[r, :H], gh, out=d[:H])
                np.multiply(k[r, H:].reshape(3, H, n), dct, out=d[H:].reshape(3, H, n))
                dh_prev, dc_prev = (w_t @ d).reshape(dh.shape), dct * f[t]
                if mask is not None:
                    dh_prev += dh * (1 - mask[t])
                    dc_prev += dc * (1 - mask[t])
                dh, dc = dh_prev, dc_prev
            d = dgates[:hi - lo]
            np.copyto(dxg[lo:hi, :, :3 * H], d[:, H:].transpose(0, 2, 1))
            np.copyto(dxg[lo:hi, :, 3 * H:], d[:, :H].transpose(0, 2, 1))
        rows = dxg.reshape(-1, gsize)
        h_prev = _prev_slots(states, self.reverse).transpose(0, 2, 1)
        d_w_hh = rows.T @ h_prev.reshape(-1, h_prev.shape[-1])
        d_b_hh = None if self.b_hh is None else rows.sum(0)
        d_w_hr = None
        if proj is not None:
            dp, m = dproj.transpose(0, 2, 1), proj.transpose(0, 2, 1)
            d_w_hr = dp.reshape(-1, dp.shape[-1]).T @ m.reshape(-1, H)
        return dxg, dh.T.copy(), dc.T.copy(), d_w_hh, d_b_hh, d_w_hr


class _GRUKernel(_Kernel):
    def forward(self, xg, h0, c0=None):
        length, n, gsize = xg.shape
        H, dt = self.hidden, xg.dtype
        # r, z through tanh(x / 2) as for the LSTM; the n rows of hh stay unscaled (r * hn)
        scale = np.full(gsize, 0.5, dt)
        scale[2 * H:] = 1
        xs = xg * scale
        w_t = _transposed(self.w_hh)
        w_t *= scale
        b = None if self.b_hh is None else self.b_hh * scale
        states = self._states(length, h0)
        acts = np.empty((length, n, gsize), dt)       # r, z, n
        hh = np.empty((length, n, gsize), dt)         # h W_hh^T + b_hh (r, z rows halved)
        for t, p, q in _steps(length, self.reverse):
            u, a = hh[t], acts[t]
            np.matmul(states[p], w_t, out=u)
            if b is not None:
                u += b
            rz = np.add(xs[t, :, :2 * H], u[:, :2 * H], out=a[:, :2 * H])
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z, nn_ = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            np.multiply(r, u[:, 2 * H:], out=nn_)
            nn_ += xs[t, :, 2 * H:]
            np.tanh(nn_, out=nn_)
            h = np.subtract(states[p], nn_, out=states[q])
            h *= z
            h += nn_
            if self.mask is not None:
                _blend(states[q], states[p], self.mask[t])
        self.cache = (acts, hh, states)
        return self._row_outputs(states)

    def backward(self, dout, dhn, dcn=None):
        acts, hh, states = self.cache
        length, n, gsize = acts.shape
        H = self.hidden
        r, z, nv = acts[..., :H], acts[..., H:2 * H], acts[..., 2 * H:]
        hn = hh[..., 2 * H:]
        h_prev = _prev_slots(states, self.reverse)
        kn = (1 - z) * (1 - nv * nv)                # dn_pre / dh'
        kz = (h_prev - nv) * z * (1 - z)            # dz_pre / dh'
        kr = hn * r * (1 - r)                       # dr_pre / dn_pre
        dgx = np.empty_like(acts)
        dhh = np.empty_like(acts)
        dh = np.zeros_like(states[0]) if dhn is None else dhn
        for t, _, _ in reversed(_steps(length, self.reverse)):
            gh = self._masked(t, self._carry_in(t, dh, dout))
            dx, du = dgx[t], dhh[t]
            dn = np.multiply(gh, kn[t], out=dx[:, 2 * H:])
            np.multiply(dn, kr[t], out=dx[:, :H])
            np.multiply(gh, kz[t], out=dx[:, H:2 * H])
            du[:, :2 * H] = dx[:, :2 * H]
            np.multiply(dn, r[t], out=du[:, 2 * H:])
            dh = self._carry_out(t, gh * z[t] + du @ self.w_hh, dh)
        rows = dhh.reshape(-1, gsize)
        d_w_hh = rows.T @ h_prev.reshape(-1, h_prev.shape[-1])
        d_b_hh = None if self.b_hh is None else rows.sum(0)
        return dgx, dh, None, d_w_hh, d_b_hh, None


class _RNNKernel(_Kernel):
    relu = False

    def forward(self, xg, h0, c0=None):
        length = xg.shape[0]
        pre = xg if self.b_hh is None else xg + self.b_hh
        w_t = _transposed(self.w_hh)
        states = self._states(length, h0)
        for t, p, q in _steps(length, self.reverse):
            h = np.matmul(states[p], w_t, out=states[q])
            h += pre[t]
            if self.relu:
                np.maximum(h, 0, out=h)
            else:
                np.tanh(h, out=h)
            if self.mask is not None:
                _blend(states[q], states[p], self.mask[t])
        self.cache = (states,)
        return self._row_outputs(states)

    def backward(self, dout, dhn, dcn=None):
        (states,) = self.cache
        length = states.shape[0] - 1
        out = states[:-1] if self.reverse else states[1:]
        k = (out > 0).astype(out.dtype) if self.relu else 1 - out * out
        dpre = np.empty_like(out)
        dh = np.zeros_like(states[0]) if dhn is None else dhn
        for t, _, _ in reversed(_steps(length, self.reverse)):
            gh = self._masked(t, self._carry_in(t, dh, dout))
            np.multiply(gh, k[t], out=dpre[t])
            dh = self._carry_out(t, dpre[t] @ self.w_hh, dh)
        rows = dpre.reshape(-1, dpre.shape[-1])
        h_prev = _prev_slots(states, self.reverse)
        d_w_hh = rows.T @ h_prev.reshape(-1, h_prev.shape[-1])
        d_b_hh = None if self.b_hh is None else rows.sum(0)
        return dpre, dh, None, d_w_hh, d_b_hh, None


class _ReluKernel(_RNNKernel):
    relu = True


_KERNELS = {"LSTM": _LSTMKernel, "GRU": _GRUKernel, "RNN_TANH": _RNNKernel,
            "RNN_RELU": _ReluKernel}


# ---------------------------------------------------------------------------------------
# The same equations in Tensor ops (for create_graph): one step forward and its gradient.
# `w` = (w_hh, b_hh, w_hr); each step returns (h', c', what its backward needs).


def _hh(h: Tensor, w: tuple) -> Tensor:
    hh = h @ w[0].t()
    return hh if w[1] is None else hh + w[1]


def _lstm_step(gx, h, c, w, H):
    gates = gx + _hh(h, w)
    i, f = gates[:, :H].sigmoid(), gates[:, H:2 * H].sigmoid()
    g, o = gates[:, 2 * H:3 * H].tanh(), gates[:, 3 * H:].sigmoid()
    c2 = f * c + i * g
    tc = c2.tanh()
    m = o * tc
    return (m if w[2] is None else m @ w[2].t()), c2, (h, c, i, f, g, o, tc, m)


def _lstm_step_back(dh, dc, saved, w, H):
    h, c, i, f, g, o, tc, m = saved
    dm = dh if w[2] is None else dh @ w[2]
    dc = dc + dm * o * (1 - tc * tc)
    dgates = ag.cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                     dm * tc * o * (1 - o)], -1)
    return dgates, dgates, dgates @ w[0], dc * f, (None if w[2] is None else dh)


def _gru_step(gx, h, c, w, H):
    hh = _hh(h, w)
    r, z = (gx[:, :H] + hh[:, :H]).sigmoid(), (gx[:, H:2 * H] + hh[:, H:2 * H]).sigmoid()
    hn = hh[:, 2 * H:]
    n = (gx[:, 2 * H:] + r * hn).tanh()
    return n + z * (h - n), None, (h, r, z, n, hn)


def _gru_step_back(dh, dc, saved, w, H):
    h, r, z, n, hn = saved
    dn = dh * (1 - z) * (1 - n * n)
    dr = dn * hn * r * (1 - r)
    dz = dh * (h - n) * z * (1 - z)
    dhh = ag.cat([dr, dz, dn * r], -1)
    return ag.cat([dr, dz, dn], -1), dhh, dh * z + dhh @ w[0], None, None


def _rnn_step(gx, h, c, w, H, relu=False):
    pre = gx + _hh(h, w)
    a = pre.relu() if relu else pre.tanh()
    return a, None, (h, a)


def _rnn_step_back(dh, dc, saved, w, H, relu=False):
    h, a = saved
    da = dh * (a > 0) if relu else dh * (1 - a * a)
    return da, da, da @ w[0], None, None


def _relu_step(gx, h, c, w, H):
    return _rnn_step(gx, h, c, w, H, relu=True)


def _relu_step_back(dh, dc, saved, w, H):
    return _rnn_step_back(dh, dc, saved, w, H, relu=True)


_REFERENCE = {"LSTM": (_lstm_step, _lstm_step_back), "GRU": (_gru_step, _gru_step_back),
              "RNN_TANH": (_rnn_step, _rnn_step_back), "RNN_RELU": (_relu_step, _relu_step_back)}


def _order(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _reference_forward(mode, xg, h0, c0, w, H, reverse, mask):
    step = _REFERENCE[mode][0]
    h, c = h0, c0
    saved = [None] * xg.shape[0]
    for t in _order(xg.shape[0], reverse):
        h_new, c_new, saved[t] = step(xg[t], h, c, w, H)
        if mask is None:
            h, c = h_new, c_new
        else:
            m = mask[t]
            h = h_new * m + h * (1 - m)
            c = None if c is None else c_new * m + c * (1 - m)
    return saved


def _reference_backward(mode, d_out, d_hn, d_cn, saved, w, H, reverse, mask, h0, c0):
    back = _REFERENCE[mode][1]
    length = len(saved)
    dh = ag.zeros_like(h0) if d_hn is None else d_hn
    dc = None if c0 is None else (ag.zeros_like(c0) if d_cn is None else d_cn)
    dgx, dhh, dproj = [None] * length, [None] * length, [None] * length
    for t in _order(length, not reverse):
        g = dh if d_out is None else dh + d_out[t]
        gc = dc
        if mask is not None:
            g = g * mask[t]
            gc = None if dc is None else dc * mask[t]
        dgx[t], dhh[t], dh_prev, dc_prev, dproj[t] = back(g, gc, saved[t], w, H)
        if mask is not None:
            dh_prev = dh_prev + dh * (1 - mask[t])
            if dc is not None:
                dc_prev = dc_prev + dc * (1 - mask[t])
        dh, dc = dh_prev, dc_prev
    rows = ag.stack(dhh).reshape(-1, dhh[0].shape[-1])
    h_prev = ag.stack([s[0] for s in saved])
    d_w_hh = rows.t() @ h_prev.reshape(-1, h_prev.shape[-1])
    d_b_hh = None if w[1] is None else rows.sum(0)
    d_w_hr = None
    if w[2] is not None:
        dp, ms = ag.stack(dproj), ag.stack([s[-1] for s in saved])
        d_w_hr = dp.reshape(-1, dp.shape[-1]).t() @ ms.reshape(-1, ms.shape[-1])
    return ag.stack(dgx), dh, dc, d_w_hh, d_b_hh, d_w_hr


# ---------------------------------------------------------------------------------------
# The node


class MkldnnRnnLayerBackward0(Node):
    """Backward of one recurrent layer in one direction over all steps. Outputs: the
    per-step hidden states (L, N, H_out), h_n (N, H_out) and, for an LSTM, c_n (N, H)."""

    _plain = False   # release() also drops the kernel's per-step buffers
    kernel = None

    def release(self) -> None:
        super().release()
        self.kernel = None

    def _inputs(self, values: tuple) -> tuple:
        """(xg, h0, c0, w_hh, b_hh, w_hr) from the saved inputs, None where absent."""
        it = iter(values)
        return tuple(next(it) if has else None for has in self.layout)

    def _grads(self, grads: tuple) -> tuple:
        return tuple(g for g, has in zip(grads, self.layout) if has)

    def backward(self, d_out, d_hn=None, d_cn=None):
        """In Tensor ops: recompute the steps from the saved inputs, then backpropagate."""
        xg, h0, c0, w_hh, b_hh, w_hr = self._inputs(self.saved())
        w, mask = (w_hh, b_hh, w_hr), None if self.mask is None else _make(self.mask)
        saved = _reference_forward(self.mode, xg, h0, c0, w, self.hidden, self.reverse, mask)
        return self._grads(_reference_backward(self.mode, d_out, d_hn, d_cn, saved, w,
                                               self.hidden, self.reverse, mask, h0, c0))

    def backward_fast(self, grads):
        """On arrays, from the forward's buffers."""
        self.saved_data()   # raises after a release, or if an input was modified
        d_out, d_hn, d_cn = (list(grads) + [None] * 3)[:3]
        return self._grads(self.kernel.backward(d_out, d_hn, d_cn))


def _outputs(node: Node | None, arrays: list) -> tuple:
    """Wrap the forward's arrays as the outputs of `node` (several outputs)."""
    if node is None:
        return tuple(_make(a) for a in arrays)
    node.n_outputs = len(arrays)
    node._out_meta = tuple((a.shape, a.dtype) for a in arrays)
    node.out_shape = node.out_dtype = None
    outs = []
    for k, a in enumerate(arrays):
        t = _make(a)
        t.grad_fn, t._rg, t._out_nr = node, True, k
        outs.append(t)
    return tuple(outs)


def rnn_layer(mode: str, xg: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
              b_hh: Tensor | None, w_hr: Tensor | None = None, reverse: bool = False,
              mask: np.ndarray | None = None) -> tuple:
    """Run one recurrent layer in one direction over all steps.

    xg: the input projections x_t @ W_ih^T + b_ih, (L, N, G*H); h0 (N, H_out); c0 (N, H)
    for an LSTM, else None; w_hh (G*H, H_out); b_hh (G*H,) or None; w_hr (P, H) for an
    LSTM with projections. `reverse` runs from the last step to the first. `mask`
    (L, N, 1), 1 where a row's sequence is running (packed sequences).
    Returns (out (L, N, H_out), h_n, c_n or None).
    """
    hidden = w_hh.shape[0] // GATES[mode]
    if mask is not None:
        mask = np.asarray(mask, dtype=xg._data.dtype)
    present = (xg, h0, c0, w_hh, b_hh, w_hr)
    kernel = _KERNELS[mode](hidden, w_hh._data, None if b_hh is None else b_hh._data,
                            None if w_hr is None else w_hr._data, reverse, mask)
    with np.errstate(over="ignore"):
        arrays = kernel.forward(xg._data, h0._data, None if c0 is None else c0._data)
    tensors = tuple(v for v in present if v is not None)
    if not needs_graph(*tensors):
        res = _outputs(None, arrays)
    else:
        n = MkldnnRnnLayerBackward0(tensors)
        n.mode, n.reverse, n.hidden, n.mask, n.kernel = mode, reverse, hidden, mask, kernel
        n.layout = tuple(v is not None for v in present)
        n.save(*tensors)
        res = _outputs(n, arrays)
    return res if c0 is not None else res + (None,)
