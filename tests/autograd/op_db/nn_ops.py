"""Registry entries: the ops behind nn.functional (activations, losses, conv, pooling,
normalisation). Each differentiable primitive that nn adds gets an entry here."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as hs

import nn.functional as F
from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats, unary

_K = math.sqrt(2.0 / math.pi)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _lsm(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


@hs.composite
def _class_sample(draw, log_probs=False):
    """Logits (N, C) or (N, C, d) and int64 class targets, with weight/ignore/smoothing."""
    n = draw(hs.integers(1, 4))
    c = draw(hs.integers(2, 4))
    extra = draw(hs.sampled_from([(), (2,)]))
    x = draw(floats((n, c) + extra))
    if log_probs:
        x = _lsm(x, 1)
    t = np.array(draw(hs.lists(hs.integers(0, c - 1), min_size=n * int(np.prod(extra)),
                               max_size=n * int(np.prod(extra))))).reshape((n,) + extra)
    kw = {"reduction": draw(hs.sampled_from(["mean", "sum", "none"]))}
    if draw(hs.booleans()):
        kw["ignore_index"] = int(t.reshape(-1)[0])
        if kw["reduction"] == "mean" and (t == kw["ignore_index"]).all():
            kw["reduction"] = "sum"  # all ignored: mean is nan
    w = np.array(draw(hs.lists(hs.floats(0.5, 2.0), min_size=c, max_size=c))) \
        if draw(hs.booleans()) else None
    if not log_probs and draw(hs.booleans()):
        kw["label_smoothing"] = draw(hs.sampled_from([0.1, 0.5]))
    return Sample((x, t, w), kw, diff=(True, False, False))


def _ce_ref(x, t, w=None, reduction="mean", ignore_index=-100, label_smoothing=0.0,
            log_probs=False):
    c = x.shape[1]
    lsm = x if log_probs else _lsm(x, 1)
    lsm = np.moveaxis(lsm, 1, -1).reshape(-1, c)
    tf = t.reshape(-1)
    w = np.ones(c) if w is None else w
    valid = tf != ignore_index
    ts = np.where(valid, tf, 0)
    wt = w[ts] * valid
    loss = -wt * lsm[np.arange(tf.size), ts]
    if label_smoothing:
        loss = (1 - label_smoothing) * loss + label_smoothing * (-(lsm * w).sum(1) / c) * valid
    if reduction == "none":
        return loss.reshape(t.shape)
    return loss.sum() if reduction == "sum" else loss.sum() / wt.sum()


def _weight(w):
    import autograd as ag
    return None if w is None else ag.tensor(w)


@hs.composite
def _pair_sample(draw, low=-2.0, high=2.0, target_low=-2.0, target_high=2.0):
    shape = draw(st.shapes(min_side=1, max_dims=3))
    return Sample((draw(floats(shape, low, high)), draw(floats(shape, target_low, target_high))),
                  {"reduction": draw(hs.sampled_from(["mean", "sum", "none"]))})


def _bce_ref(p, y, reduction):
    return _reduce(-(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100)),
                   reduction)


@hs.composite
def _bce_logits_sample(draw):
    """Logits, targets in [0, 1], and optionally a weight (same shape) and a pos_weight
    (over the last dim), all differentiable."""
    shape = draw(st.shapes(min_side=1, max_dims=3))
    args = [draw(floats(shape)), draw(floats(shape, 0.0, 1.0))]
    args.append(draw(floats(shape, 0.5, 2.0)) if draw(hs.booleans()) else None)
    args.append(draw(floats(shape[-1:], 0.5, 3.0)) if draw(hs.booleans()) else None)
    return Sample(tuple(args), {"reduction": draw(hs.sampled_from(["mean", "sum", "none"]))})


def _bce_logits_ref(z, y, w, pw, reduction):
    lw = 1 if pw is None else (pw - 1) * y + 1
    loss = ((1 - y) * z + lw * np.logaddexp(0, -z)) * (1 if w is None else w)
    return _reduce(loss, reduction)


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(_K * (x + 0.044715 * x ** 3)))


OPS: list = [
    OpInfo("F.leaky_relu", lambda x, **kw: F.leaky_relu(x, 0.2),
           lambda x, **kw: np.where(x > 0, x, 0.2 * x), unary(avoid=(0.0,))),
    OpInfo("F.elu", lambda x, **kw: F.elu(x, 0.7),
           lambda x, **kw: np.where(x > 0, x, 0.7 * np.expm1(x)), unary(avoid=(0.0,))),
    OpInfo("F.gelu", lambda x: F.gelu(x), lambda x: x * 0.5 * (1 + _erf(x / math.sqrt(2))),
           unary()),
    OpInfo("F.gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh, unary()),
    OpInfo("F.silu", lambda x: F.silu(x), lambda x: x / (1 + np.exp(-x)), unary()),
    OpInfo("F.softplus", lambda x: F.softplus(x, 2.0, 1.0),
           lambda x: np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2), unary(avoid=(0.5,))),
    OpInfo("F.logsigmoid", lambda x: F.logsigmoid(x), lambda x: -np.logaddexp(0, -x), unary()),
    OpInfo("F.cross_entropy",
           lambda x, t, w, **kw: F.cross_entropy(x, t, weight=_weight(w), **kw),
           _ce_ref, _class_sample()),
    OpInfo("F.nll_loss", lambda x, t, w, **kw: F.nll_loss(x, t, weight=_weight(w), **kw),
           lambda x, t, w, **kw: _ce_ref(x, t, w, log_probs=True, **kw),
           _class_sample(log_probs=True)),
    OpInfo("F.mse_loss", lambda x, y, **kw: F.mse_loss(x, y, **kw),
           lambda x, y, reduction: _reduce((x - y) ** 2, reduction), _pair_sample()),
    OpInfo("F.binary_cross_entropy", lambda p, y, **kw: F.binary_cross_entropy(p, y, **kw),
           _bce_ref, _pair_sample(0.1, 0.9, 0.0, 1.0)),
    OpInfo("F.binary_cross_entropy_with_logits",
           lambda z, y, w, pw, **kw: F.binary_cross_entropy_with_logits(z, y, weight=w,
                                                                         pos_weight=pw, **kw),
           _bce_logits_ref, _bce_logits_sample()),
]
