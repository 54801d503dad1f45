"""The recurrent core of RNN, LSTM and GRU: one node per layer and direction that runs
every time step (`MkldnnRnnLayerBackward0`, PyTorch's name for its fused CPU layer).

The layer's input projection x @ W_ih^T + b_ih is one matmul for all steps, done by the
caller (`linear`); this node takes those projections `xg` (L, N, G*H) and runs the
recurrence h_t = cell(xg_t, h_{t-1}) with the gate equations below. Its backward is the
same equations differentiated by hand (backpropagation through time): one pass over the
steps in reverse, then one matmul each for the gradients of W_hh and W_hr over all steps.

The equations are written once, in operators and a few functions taken from an `ops`
namespace, so they run on numpy arrays (the forward, and the backward when no graph is
recorded) and on Tensors (the backward under `create_graph=True`: the forward is then
recomputed in Tensor ops from the saved inputs, so that the gradient is itself a
differentiable function of them, and the layer can be differentiated twice and more).

Gate layouts are PyTorch's: LSTM rows (i, f, g, o), GRU rows (r, z, n) with b_hn inside
the reset product, `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import autograd as ag
from autograd.function import Node
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

__all__ = ["rnn_layer", "GATES"]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class _ArrayOps:
    """The functions the gate equations need, on numpy arrays."""

    @staticmethod
    def sigmoid(x):
        return 0.5 * np.tanh(0.5 * x) + 0.5   # stable for any x, no overflow in exp

    tanh = staticmethod(np.tanh)

    @staticmethod
    def relu(x):
        return np.maximum(x, 0, dtype=x.dtype)

    @staticmethod
    def cat(xs):
        return np.concatenate(xs, axis=-1)

    stack = staticmethod(np.stack)

    @staticmethod
    def zeros_like(x):
        return np.zeros_like(x)

    @staticmethod
    def contiguous_t(w):
        return np.ascontiguousarray(w.T)   # h @ W^T runs ~2x faster on a contiguous copy


class _TensorOps:
    """The same functions on Tensors (recorded when a graph is being built)."""

    sigmoid = staticmethod(Tensor.sigmoid)
    tanh = staticmethod(Tensor.tanh)
    relu = staticmethod(Tensor.relu)

    @staticmethod
    def cat(xs):
        return ag.cat(xs, -1)

    stack = staticmethod(ag.stack)

    @staticmethod
    def zeros_like(x):
        return ag.zeros_like(x)

    @staticmethod
    def contiguous_t(w):
        return w.t()


class _Weights(NamedTuple):
    """One layer-direction's recurrent weights (arrays or Tensors)."""

    w_hh: object            # (G*H, H_out)
    w_hh_t: object          # its transpose (H_out, G*H)
    b_hh: object            # (G*H,) or None
    w_hr: object            # LSTM projection (P, H) or None
    w_hr_t: object
    hidden: int             # H


# ---------------------------------------------------------------------------------------
# The gate equations: one step forward, and its gradient. `gx` is the input projection
# of this step (N, G*H); `hh` = h @ W_hh^T + b_hh. Each step returns (h', c', cache); each
# backward gets dh' and dc' and returns (d gx, d hh, dh, dc, d(projection input) or None).


def _hh(h, w: _Weights):
    hh = h @ w.w_hh_t
    return hh if w.b_hh is None else hh + w.b_hh


def _rnn_tanh_step(ops, gx, h, c, w: _Weights):
    a = ops.tanh(gx + _hh(h, w))
    return a, None, (h, a)


def _rnn_tanh_back(ops, dh, dc, cache, w: _Weights):
    h, a = cache
    da = dh * (1 - a * a)
    return da, da, da @ w.w_hh, None, None


def _rnn_relu_step(ops, gx, h, c, w: _Weights):
    a = ops.relu(gx + _hh(h, w))
    return a, None, (h, a)


def _rnn_relu_back(ops, dh, dc, cache, w: _Weights):
    h, a = cache
    da = dh * (a > 0)
    return da, da, da @ w.w_hh, None, None


def _lstm_step(ops, gx, h, c, w: _Weights):
    H = w.hidden
    gates = gx + _hh(h, w)
    if_ = ops.sigmoid(gates[:, :2 * H])
    i, f = if_[:, :H], if_[:, H:]
    g = ops.tanh(gates[:, 2 * H:3 * H])
    o = ops.sigmoid(gates[:, 3 * H:])
    c_new = f * c + i * g
    tc = ops.tanh(c_new)
    m = o * tc
    h_new = m if w.w_hr is None else m @ w.w_hr_t
    return h_new, c_new, (h, c, i, f, g, o, tc, m)


def _lstm_back(ops, dh, dc, cache, w: _Weights):
    h, c, i, f, g, o, tc, m = cache
    dm = dh if w.w_hr is None else dh @ w.w_hr
    do = dm * tc
    dc = dc + dm * o * (1 - tc * tc)
    dgates = ops.cat([dc * g * i * (1 - i), dc * c * f * (1 - f),
                      dc * i * (1 - g * g), do * o * (1 - o)])
    return dgates, dgates, dgates @ w.w_hh, dc * f, None if w.w_hr is None else dh


def _gru_step(ops, gx, h, c, w: _Weights):
    H = w.hidden
    hh = _hh(h, w)
    rz = ops.sigmoid(gx[:, :2 * H] + hh[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    hn = hh[:, 2 * H:]
    n = ops.tanh(gx[:, 2 * H:] + r * hn)
    return n + z * (h - n), None, (h, r, z, n, hn)


def _gru_back(ops, dh, dc, cache, w: _Weights):
    h, r, z, n, hn = cache
    dn = dh * (1 - z) * (1 - n * n)
    dr = dn * hn * r * (1 - r)
    dz = dh * (h - n) * z * (1 - z)
    dhh = ops.cat([dr, dz, dn * r])
    return ops.cat([dr, dz, dn]), dhh, dh * z + dhh @ w.w_hh, None, None


_STEPS = {"RNN_TANH": (_rnn_tanh_step, _rnn_tanh_back),
          "RNN_RELU": (_rnn_relu_step, _rnn_relu_back),
          "LSTM": (_lstm_step, _lstm_back), "GRU": (_gru_step, _gru_back)}


# ---------------------------------------------------------------------------------------
# The time loop, forward and backward. `mask` (L, N, 1), for packed sequences: rows whose
# sequence has ended (or, in reverse, not yet begun) keep their state and output zeros.


def _order(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _run_forward(ops, mode: str, xg, h0, c0, w: _Weights, reverse: bool, mask):
    step = _STEPS[mode][0]
    h, c = h0, c0
    length = xg.shape[0]
    outs, caches = [None] * length, [None] * length
    for t in _order(length, reverse):
        h_new, c_new, caches[t] = step(ops, xg[t], h, c, w)
        if mask is None:
            outs[t] = h = h_new
            c = c_new
        else:
            m = mask[t]
            outs[t] = h_new * m
            h = outs[t] + h * (1 - m)
            if c is not None:
                c = c_new * m + c * (1 - m)
    return ops.stack(outs), h, c, caches


def _run_backward(ops, mode: str, d_out, d_hn, d_cn, caches, w: _Weights, reverse: bool,
                  mask, h0, c0) -> tuple:
    """Gradients (xg, h0, c0, W_hh, b_hh, W_hr) from those of (out, h_n, c_n)."""
    back = _STEPS[mode][1]
    length = len(caches)
    dh = ops.zeros_like(h0) if d_hn is None else d_hn
    dc = None if c0 is None else (ops.zeros_like(c0) if d_cn is None else d_cn)
    dgx, dhh, dproj = [None] * length, [None] * length, [None] * length
    for t in _order(length, not reverse):
        g = dh if d_out is None else dh + d_out[t]
        gc = dc
        if mask is not None:
            m = mask[t]
            g = g * m
            gc = None if dc is None else dc * m
        dgx[t], dhh[t], dh_prev, dc_prev, dproj[t] = back(ops, g, gc, caches[t], w)
        if mask is not None:
            dh_prev = dh_prev + dh * (1 - m)
            if dc is not None:
                dc_prev = dc_prev + dc * (1 - m)
        dh, dc = dh_prev, dc_prev
    dhh_all = ops.stack(dhh)
    gh = dhh_all.shape[-1]
    dhh_rows = dhh_all.reshape(-1, gh)
    h_prev = ops.stack([cache[0] for cache in caches])
    d_w_hh = dhh_rows.T @ h_prev.reshape(-1, h_prev.shape[-1])
    d_b_hh = None if w.b_hh is None else dhh_rows.sum(0)
    d_w_hr = None
    if w.w_hr is not None:
        dp = ops.stack(dproj)
        ms = ops.stack([cache[-1] for cache in caches])
        d_w_hr = dp.reshape(-1, dp.shape[-1]).T @ ms.reshape(-1, ms.shape[-1])
    dxg = dhh_all if mode != "GRU" else ops.stack(dgx)
    return dxg, dh, dc, d_w_hh, d_b_hh, d_w_hr


# ---------------------------------------------------------------------------------------
# The node


class MkldnnRnnLayerBackward0(Node):
    """Backward of one recurrent layer in one direction over all steps. Outputs: the
    per-step hidden states (L, N, H_out), h_n (N, H_out) and, for an LSTM, c_n (N, H)."""

    _plain = False   # release() also drops the forward's per-step caches
    caches = None

    def release(self) -> None:
        super().release()
        self.caches = None

    def _inputs(self, values: tuple) -> tuple:
        """(xg, h0, c0, w_hh, b_hh, w_hr) from the saved values, None where absent."""
        it = iter(values)
        return tuple(next(it) if has else None for has in self.layout)

    def _weights(self, ops, w_hh, b_hh, w_hr) -> _Weights:
        return _Weights(w_hh, ops.contiguous_t(w_hh), b_hh, w_hr,
                        None if w_hr is None else ops.contiguous_t(w_hr), self.hidden)

    def _grads(self, grads: tuple) -> tuple:
        return tuple(g for g, has in zip(grads, self.layout) if has)

    def backward(self, d_out, d_hn=None, d_cn=None):
        """In Tensor ops: recompute the steps from the saved inputs, then backpropagate."""
        xg, h0, c0, w_hh, b_hh, w_hr = self._inputs(self.saved())
        ops = _TensorOps
        w = self._weights(ops, w_hh, b_hh, w_hr)
        mask = None if self.mask is None else _make(self.mask)
        _, _, _, caches = _run_forward(ops, self.mode, xg, h0, c0, w, self.reverse, mask)
        return self._grads(_run_backward(ops, self.mode, d_out, d_hn, d_cn, caches, w,
                                         self.reverse, mask, h0, c0))

    def backward_fast(self, grads):
        """On arrays, from the forward's caches."""
        xg, h0, c0, w_hh, b_hh, w_hr = self._inputs(self.saved_data())
        w = self._weights(_ArrayOps, w_hh, b_hh, w_hr)
        d_out, d_hn, d_cn = (list(grads) + [None] * 3)[:3]
        return self._grads(_run_backward(_ArrayOps, self.mode, d_out, d_hn, d_cn,
                                         self.caches, w, self.reverse, self.mask, h0, c0))


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
    present = (xg, h0, c0, w_hh, b_hh, w_hr)
    layout = tuple(v is not None for v in present)
    tensors = tuple(v for v in present if v is not None)
    data = [None if v is None else v._data for v in present]
    w = _Weights(data[3], _ArrayOps.contiguous_t(data[3]), data[4], data[5],
                 None if data[5] is None else _ArrayOps.contiguous_t(data[5]), hidden)
    with np.errstate(over="ignore"):
        out, h_n, c_n, caches = _run_forward(_ArrayOps, mode, data[0], data[1], data[2], w,
                                             reverse, mask)
    arrays = [out, h_n] + ([c_n] if c0 is not None else [])
    if not needs_graph(*tensors):
        res = _outputs(None, arrays)
    else:
        n = MkldnnRnnLayerBackward0(tensors)
        n.mode, n.reverse, n.hidden, n.layout = mode, reverse, hidden, layout
        n.mask, n.caches = mask, caches
        n.save(*tensors)
        res = _outputs(n, arrays)
    return res if c0 is not None else res + (None,)
