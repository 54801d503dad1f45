"""Registry entries: the margin, embedding, likelihood and CTC losses of nn.functional
(nn/functional/loss_margin.py, loss_likelihood.py, loss_ctc.py), with numpy references
written from PyTorch's definitions."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as hs

import nn.functional as F
from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats

REDUCTIONS = hs.sampled_from(["mean", "sum", "none"])


def _reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def _away(a, kinks, gap=0.05):
    """a with its values nudged off the kinks (finite differences stay valid)."""
    a = np.array(a, dtype=np.float64)
    for k in kinks:
        close = np.abs(a - k) < gap
        a[close] = k + 2 * gap
    return a


def _signs(draw, shape, values=(-1.0, 1.0)):
    n = int(np.prod(shape))
    return np.asarray(draw(hs.lists(hs.sampled_from(values), min_size=n, max_size=n)),
                      dtype=np.float64).reshape(shape)


# ---- cosine embedding, margin ranking, hinge embedding, soft margin -----------------------


@hs.composite
def _cosine_embedding_sample(draw):
    n, d = draw(hs.integers(1, 4)), draw(hs.integers(1, 3))
    x1, x2 = draw(floats((n, d), avoid=(0.0,), gap=0.3)), draw(floats((n, d), avoid=(0.0,),
                                                                      gap=0.3))
    t = _signs(draw, (n,), (-1.0, 1.0, 0.0))
    margin = draw(hs.sampled_from([0.0, 0.3, -0.4]))
    cos = (x1 * x2).sum(1) / np.sqrt((x1 * x1).sum(1) * (x2 * x2).sum(1))
    t = np.where(np.abs(cos - margin) < 0.05, 1.0, t)   # off the max(0, .) kink
    return Sample((x1, x2, t), {"margin": margin, "reduction": draw(REDUCTIONS)},
                  diff=(True, True, False))


def _cosine_embedding_ref(x1, x2, t, margin, reduction):
    cos = (x1 * x2).sum(1) / np.sqrt(((x1 * x1).sum(1) + 1e-12) * ((x2 * x2).sum(1) + 1e-12))
    loss = np.where(t == 1, 1 - cos, 0) + np.where(t == -1, np.maximum(cos - margin, 0), 0)
    return _reduce(loss, reduction)


@hs.composite
def _ranking_sample(draw):
    shape = draw(st.shapes(min_dims=1, max_dims=2, max_side=4))
    x1, x2 = draw(floats(shape)), draw(floats(shape))
    t = _signs(draw, shape)
    margin = draw(hs.sampled_from([0.0, 0.5]))
    x1 = x1 + np.where(np.abs(-t * (x1 - x2) + margin) < 0.05, 0.2, 0)
    return Sample((x1, x2, t), {"margin": margin, "reduction": draw(REDUCTIONS)},
                  diff=(True, True, False))


@hs.composite
def _hinge_sample(draw):
    shape = draw(st.shapes(min_dims=1, max_dims=2, max_side=4))
    margin = draw(hs.sampled_from([1.0, 0.5]))
    x = _away(draw(floats(shape, 0.0, 2.0)), (margin,))
    return Sample((x, _signs(draw, shape)), {"margin": margin,
                                             "reduction": draw(REDUCTIONS)},
                  diff=(True, False))


def _hinge_ref(x, t, margin, reduction):
    return _reduce(np.where(t == 1, x, np.maximum(margin - x, 0)), reduction)


@hs.composite
def _soft_margin_sample(draw):
    """Targets as integers: soft_margin_loss is not differentiable in the target."""
    shape = draw(st.shapes(min_dims=0, max_dims=2, max_side=4))
    return Sample((draw(floats(shape)), _signs(draw, shape).astype(np.int64)),
                  {"reduction": draw(REDUCTIONS)})


@hs.composite
def _multilabel_soft_sample(draw):
    n, c = draw(hs.integers(1, 3)), draw(hs.integers(1, 4))
    args = (draw(floats((n, c))), _signs(draw, (n, c), (0.0, 1.0)))
    if draw(hs.booleans()):
        return Sample(args + (draw(floats((c,), 0.5, 2.0)),), {"reduction": draw(REDUCTIONS)},
                      diff=(True, False, False))
    return Sample(args, {"reduction": draw(REDUCTIONS)}, diff=(True, False))


def _multilabel_soft_ref(x, t, w=None, reduction="mean"):
    loss = -(t * -np.logaddexp(0, -x) + (1 - t) * -np.logaddexp(0, x))
    if w is not None:
        loss = loss * w
    return _reduce(loss.mean(-1), reduction)


# ---- multi-class margins -------------------------------------------------------------------


@hs.composite
def _multi_margin_sample(draw):
    n, c = draw(hs.integers(1, 4)), draw(hs.integers(1, 4))
    x = draw(floats((n, c)))
    y = np.asarray(draw(hs.lists(hs.integers(0, c - 1), min_size=n, max_size=n)), np.int64)
    margin = draw(hs.sampled_from([1.0, 0.5]))
    z = margin - x[np.arange(n), y][:, None] + x
    x = x + np.where(np.abs(z) < 0.05, 0.2, 0) * (np.arange(c)[None] != y[:, None])
    kw = {"p": draw(hs.sampled_from([1, 2])), "margin": margin,
          "reduction": draw(REDUCTIONS)}
    if draw(hs.booleans()):
        return Sample((x, y, draw(floats((c,), 0.5, 2.0))), kw, diff=(True, False, False))
    return Sample((x, y), kw)


def _multi_margin(x, y, w=None, **kw):
    """(the weight takes no gradient in PyTorch: passed detached)"""
    return F.multi_margin_loss(x, y, weight=None if w is None else w.detach(), **kw)


def _multi_margin_ref(x, y, w=None, p=1, margin=1.0, reduction="mean"):
    n, c = x.shape
    w = np.ones(c) if w is None else w
    loss = np.zeros(n)
    for i, j in itertools.product(range(n), range(c)):
        if j != y[i]:
            loss[i] += max(0.0, margin - x[i, y[i]] + x[i, j]) ** p * w[y[i]] / c
    return _reduce(loss, reduction)


@hs.composite
def _multilabel_margin_sample(draw):
    n, c = draw(hs.integers(1, 3)), draw(hs.integers(1, 4))
    x = draw(floats((n, c)))
    x = x + np.arange(c) * 0.23   # pairwise differences off the kink at 1
    labels = np.asarray(draw(hs.lists(hs.integers(-1, c - 1), min_size=n * c,
                                      max_size=n * c)), np.int64).reshape(n, c)
    for i, j, k in itertools.product(range(n), range(c), range(c)):
        if abs(1 - x[i, j] + x[i, k]) < 0.05:
            x[i, j] += 0.11
    return Sample((x, labels), {"reduction": draw(REDUCTIONS)})


def _multilabel_margin_ref(x, labels, reduction):
    n, c = x.shape
    loss = np.zeros(n)
    for i in range(n):
        listed = []
        for v in labels[i]:
            if v == -1:
                break
            listed.append(v)
        for j in listed:
            for k in range(c):
                if k not in listed:
                    loss[i] += max(0.0, 1 - x[i, j] + x[i, k]) / c
    return _reduce(loss, reduction)


# ---- triplets --------------------------------------------------------------------------------


def _dist(u, v, p):
    return (np.abs(u - v + 1e-6) ** p).sum(-1) ** (1 / p)


@hs.composite
def _triplet_sample(draw, norms=(1.0, 2.0)):
    """Anchors, positives and negatives with margin + d(a, p) - d(a, n) (and, with swap,
    d(a, n) - d(p, n)) kept off their kinks, and no coordinates of two of them equal."""
    n, d = draw(hs.integers(1, 3)), draw(hs.integers(1, 3))
    a, pos, neg = (draw(floats((n, d))) for _ in range(3))
    pos, neg = pos + 0.3 * np.sign(pos - a + 1e-3), neg + 0.3 * np.sign(neg - a + 1e-3)
    kw = {"margin": draw(hs.sampled_from([1.0, 0.5])), "p": draw(hs.sampled_from(norms)),
          "swap": draw(hs.booleans()), "reduction": draw(REDUCTIONS)}
    p = kw["p"]
    for _ in range(20):
        d_an, d_pn = _dist(a, neg, p), _dist(pos, neg, p)
        inner = kw["margin"] + _dist(a, pos, p) - (np.minimum(d_an, d_pn) if kw["swap"]
                                                   else d_an)
        near = [np.abs(inner), np.abs(pos - neg), np.abs(a - neg)]
        if kw["swap"]:
            near.append(np.abs(d_an - d_pn))
        if not any((v < 0.05).any() for v in near):
            break
        neg = neg + 0.13
    return Sample((a, pos, neg), kw)


def _triplet_ref(a, pos, neg, margin, p, swap, reduction):
    dn = _dist(a, neg, p)
    if swap:
        dn = np.minimum(dn, _dist(pos, neg, p))
    return _reduce(np.maximum(margin + _dist(a, pos, p) - dn, 0), reduction)


# ---- Poisson and Gaussian NLL ------------------------------------------------------------------


@hs.composite
def _poisson_sample(draw):
    shape = draw(st.shapes(min_dims=0, max_dims=2, max_side=4))
    log_input = draw(hs.booleans())
    x = draw(floats(shape, -1.0, 1.0)) if log_input else draw(floats(shape, 0.2, 3.0))
    t = np.asarray(np.round(draw(floats(shape, 0.0, 4.0)) * 2) / 2)
    return Sample((x, t), {"log_input": log_input, "full": draw(hs.booleans()),
                           "reduction": draw(REDUCTIONS)}, diff=(True, False))


def _poisson_ref(x, t, log_input, full, reduction):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
        loss = loss + np.where(t <= 1, 0, stirling)
    return _reduce(loss, reduction)


@hs.composite
def _gaussian_sample(draw):
    n, d = draw(hs.integers(1, 3)), draw(hs.integers(1, 3))
    x, t = draw(floats((n, d))), draw(floats((n, d)))
    var_shape = draw(hs.sampled_from([(n, d), (n,), (n, 1)]))
    var = draw(floats(var_shape, 0.3, 2.0))
    return Sample((x, t, var), {"full": draw(hs.booleans()), "reduction": draw(REDUCTIONS)})


def _gaussian_ref(x, t, var, full, reduction):
    if var.shape == x.shape[:-1]:
        var = var[..., None]
    loss = 0.5 * (np.log(np.maximum(var, 1e-6)) + (x - t) ** 2 / np.maximum(var, 1e-6))
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- CTC ---------------------------------------------------------------------------------------


@hs.composite
def _ctc_sample(draw):
    """Logits (T, N, C) and targets (padded or concatenated) with feasible lengths; the
    op applies log_softmax, the input PyTorch's gradient convention is meant for."""
    t_max, n, c = draw(hs.integers(1, 5)), draw(hs.integers(1, 3)), draw(hs.integers(2, 4))
    x = draw(floats((t_max, n, c)))
    blank = draw(hs.integers(0, c - 1))
    labels = [k for k in range(c) if k != blank]
    in_len = np.asarray(draw(hs.lists(hs.integers(0, t_max), min_size=n, max_size=n)),
                        np.int64)
    seqs = []
    for i in range(n):
        length = draw(hs.integers(0, max(0, (int(in_len[i]) + 1) // 2)))
        seqs.append(draw(hs.lists(hs.sampled_from(labels), min_size=length, max_size=length)))
    tgt_len = np.asarray([len(s) for s in seqs], np.int64)
    if draw(hs.booleans()):
        width = max(1, int(tgt_len.max()) if n else 1)
        targets = np.full((n, width), blank, np.int64)
        for i, s in enumerate(seqs):
            targets[i, :len(s)] = s
    else:
        targets = np.asarray([v for s in seqs for v in s], np.int64)
    return Sample((x, targets, in_len, tgt_len),
                  {"blank": blank, "reduction": draw(REDUCTIONS), "zero_infinity": True})


def _ctc(x, targets, in_len, tgt_len, **kw):
    return F.ctc_loss(x.log_softmax(2), targets, in_len, tgt_len, **kw)


def _ctc_ref(x, targets, in_len, tgt_len, blank, reduction, zero_infinity):
    """Sum over every alignment (brute force over label paths: tiny inputs only)."""
    lp = x - np.log(np.exp(x).sum(2, keepdims=True))
    n, c = x.shape[1], x.shape[2]
    starts = np.concatenate([[0], np.cumsum(tgt_len)[:-1]])
    out = np.zeros(n)
    for i in range(n):
        t = int(in_len[i])
        seq = list(targets[i, :tgt_len[i]]) if targets.ndim == 2 else \
            list(targets[starts[i]:starts[i] + tgt_len[i]])
        total = 0.0
        for path in itertools.product(range(c), repeat=t):
            collapsed = [k for j, k in enumerate(path) if k != blank and
                         (j == 0 or path[j - 1] != k)]
            if collapsed == seq:
                total += np.exp(sum(lp[j, i, k] for j, k in enumerate(path)))
        out[i] = -np.log(total) if total > 0 else (0.0 if zero_infinity else np.inf)
    if reduction == "none":
        return out
    if reduction == "sum":
        return out.sum()
    return (out / np.maximum(tgt_len, 1)).mean()


OPS: list = [
    OpInfo("F.cosine_embedding_loss",
           lambda a, b, t, **kw: F.cosine_embedding_loss(a, b, t, **kw),
           _cosine_embedding_ref, _cosine_embedding_sample()),
    OpInfo("F.margin_ranking_loss", lambda a, b, t, **kw: F.margin_ranking_loss(a, b, t, **kw),
           lambda a, b, t, margin, reduction: _reduce(np.maximum(-t * (a - b) + margin, 0),
                                                      reduction), _ranking_sample()),
    OpInfo("F.hinge_embedding_loss", lambda x, t, **kw: F.hinge_embedding_loss(x, t, **kw),
           _hinge_ref, _hinge_sample()),
    OpInfo("F.soft_margin_loss", lambda x, t, **kw: F.soft_margin_loss(x, t, **kw),
           lambda x, t, reduction: _reduce(np.logaddexp(0, -t * x), reduction),
           _soft_margin_sample()),
    OpInfo("F.multilabel_soft_margin_loss",
           lambda x, t, *w, **kw: F.multilabel_soft_margin_loss(x, t, *w, **kw),
           _multilabel_soft_ref, _multilabel_soft_sample()),
    OpInfo("F.multi_margin_loss", _multi_margin, _multi_margin_ref, _multi_margin_sample()),
    OpInfo("F.multilabel_margin_loss", lambda x, y, **kw: F.multilabel_margin_loss(x, y, **kw),
           _multilabel_margin_ref, _multilabel_margin_sample()),
    OpInfo("F.triplet_margin_loss",
           lambda a, pos, neg, **kw: F.triplet_margin_loss(a, pos, neg, **kw),
           _triplet_ref, _triplet_sample()),
    OpInfo("F.triplet_margin_with_distance_loss",
           lambda a, pos, neg, p, **kw: F.triplet_margin_with_distance_loss(a, pos, neg, **kw),
           _triplet_ref, _triplet_sample(norms=(2.0,))),
    OpInfo("F.poisson_nll_loss", lambda x, t, **kw: F.poisson_nll_loss(x, t, **kw),
           _poisson_ref, _poisson_sample()),
    OpInfo("F.gaussian_nll_loss", lambda x, t, v, **kw: F.gaussian_nll_loss(x, t, v, **kw),
           _gaussian_ref, _gaussian_sample()),
    # PyTorch's CTC backward is not differentiable again (nor is this one)
    OpInfo("F.ctc_loss", _ctc, _ctc_ref, _ctc_sample(), gradgrad=False),
]
