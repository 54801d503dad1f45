"""Registry entries for the sequence primitives: the recurrent layer node (RNN tanh/relu,
LSTM with and without projection, GRU; forwards and backwards in time; packed-sequence
masks) and scaled dot-product attention (masks, causal, scale, broadcast batch dims).
References are plain float64 loops written from PyTorch's documented equations."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
import nn.functional as F
from nn.functional.rnn import GATES, rnn_layer

from .core import OpInfo, Sample, floats


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _cell_ref(mode, gx, h, c, w_hh, b_hh, w_hr):
    hh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    H = w_hh.shape[0] // GATES[mode]
    if mode == "LSTM":
        i, f, g, o = (gx[:, k * H:(k + 1) * H] + hh[:, k * H:(k + 1) * H] for k in range(4))
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        return (h if w_hr is None else h @ w_hr.T), c
    if mode == "GRU":
        r = _sig(gx[:, :H] + hh[:, :H])
        z = _sig(gx[:, H:2 * H] + hh[:, H:2 * H])
        n = np.tanh(gx[:, 2 * H:] + r * hh[:, 2 * H:])
        return (1 - z) * n + z * h, None
    pre = gx + hh
    return (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)), None


def _rnn_ref(xg, h0, c0, w_hh, b_hh, w_hr, mode, reverse=False, mask=None):
    h, c = h0, c0
    outs = [None] * xg.shape[0]
    steps = range(xg.shape[0] - 1, -1, -1) if reverse else range(xg.shape[0])
    for t in steps:
        hn, cn = _cell_ref(mode, xg[t], h, c, w_hh, b_hh, w_hr)
        m = 1.0 if mask is None else mask[t]
        outs[t] = hn * m
        h = hn * m + h * (1 - m)
        c = None if c is None else cn * m + c * (1 - m)
    parts = [np.stack(outs).ravel(), h.ravel()] + ([] if c is None else [c.ravel()])
    return np.concatenate(parts)


def _rnn_fn(xg, h0, c0, w_hh, b_hh, w_hr, mode, reverse=False, mask=None):
    out, h, c = rnn_layer(mode, xg, h0, c0, w_hh, b_hh, w_hr, reverse, mask)
    return ag.cat([t.reshape(-1) for t in (out, h, c) if t is not None])


@hs.composite
def _rnn_sample(draw):
    mode = draw(hs.sampled_from(list(GATES)))
    L, N, H = draw(hs.integers(1, 3)), draw(hs.integers(1, 2)), draw(hs.integers(1, 3))
    proj = mode == "LSTM" and H > 1 and draw(hs.booleans())
    P = H - 1 if proj else H
    G = GATES[mode] * H
    avoid = (0.0,) if mode == "RNN_RELU" else ()
    xg = draw(floats((L, N, G), avoid=avoid))
    h0 = draw(floats((N, P)))
    c0 = draw(floats((N, H))) if mode == "LSTM" else None
    w_hh = draw(floats((G, P), -0.8, 0.8))
    b_hh = draw(floats((G,), -0.5, 0.5)) if draw(hs.booleans()) else None
    w_hr = draw(floats((P, H), -0.8, 0.8)) if proj else None
    kw = {"mode": mode, "reverse": draw(hs.booleans())}
    if N > 1 and L > 1 and draw(hs.booleans()):    # packed: row 1 shorter than row 0
        lengths = [L, draw(hs.integers(1, L - 1))]
        kw["mask"] = (np.arange(N)[None, :] < np.array(
            [sum(n > t for n in lengths) for t in range(L)])[:, None]).astype(float)[:, :, None]
    return Sample((xg, h0, c0, w_hh, b_hh, w_hr), kw)


def _softmax(s):
    m = np.max(s, -1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(s - m)
    tot = e.sum(-1, keepdims=True)
    return e / np.where(tot == 0, 1, tot)


def _sdpa_ref(q, k, v, attn_mask=None, is_causal=False, scale=None):
    s = (q @ np.swapaxes(k, -1, -2)) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if attn_mask is not None:
        s = np.where(attn_mask, s, -np.inf) if attn_mask.dtype == bool else s + attn_mask
    if is_causal:
        s = np.where(np.tri(s.shape[-2], s.shape[-1], dtype=bool), s, -np.inf)
    return _softmax(s) @ v


@hs.composite
def _sdpa_sample(draw):
    L, S, E, Ev = (draw(hs.integers(1, 3)) for _ in range(4))
    batch = draw(hs.sampled_from([(), (2,), (2, 1)]))
    kv_batch = draw(hs.sampled_from([batch, batch[-1:]]))
    q = draw(floats(batch + (L, E)))
    k = draw(floats(kv_batch + (S, E)))
    v = draw(floats(kv_batch + (S, Ev)))
    kw = {}
    kind = draw(hs.sampled_from(["none", "causal", "bool", "float"]))
    args = (q, k, v)
    if kind == "causal":
        kw["is_causal"] = True
    elif kind == "bool":
        args = (q, k, v, np.array(draw(hs.lists(hs.booleans(), min_size=L * S,
                                                max_size=L * S))).reshape(L, S))
    elif kind == "float":
        args = (q, k, v, draw(floats((L, S))))
    if draw(hs.booleans()):
        kw["scale"] = draw(hs.sampled_from([0.3, 1.5]))
    return Sample(args, kw)


def _sdpa_fn(q, k, v, attn_mask=None, **kw):
    return F.scaled_dot_product_attention(q, k, v, attn_mask, **kw)


OPS = [
    OpInfo("nn.rnn_layer", _rnn_fn, _rnn_ref, _rnn_sample(), ref_atol=1e-10,
           notes="RNN/LSTM/GRU layer over all steps (MkldnnRnnLayerBackward0)"),
    OpInfo("nn.scaled_dot_product_attention", _sdpa_fn, _sdpa_ref, _sdpa_sample(),
           ref_atol=1e-10),
]
