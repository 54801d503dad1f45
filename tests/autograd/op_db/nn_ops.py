"""Registry entries: the ops behind nn.functional (activations, losses, conv, pooling,
normalisation). Each differentiable primitive that nn adds gets an entry here."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
import nn.functional as F
from autograd.testing import strategies as st

from ..torch_cpu_rng import TorchCPUStream
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


@hs.composite
def _few_classes_sample(draw):
    """The classifier's case cross_entropy computes in one pass over the transposed copy:
    (N, C) logits with N >= 32 rows of C < 32 classes, plain targets, 'mean'."""
    n, c = draw(hs.integers(32, 34)), draw(hs.integers(2, 3))
    t = np.array(draw(hs.lists(hs.integers(0, c - 1), min_size=n, max_size=n)))
    return Sample((draw(floats((n, c))), t, None), {"reduction": "mean"},
                  diff=(True, False, False))


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


_SELU_A, _SELU_S = 1.6732632423543772, 1.0507009873554805


def _elu_ref(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return np.where(x > 0, scale * x, scale * alpha * np.expm1(x * input_scale))


def _softplus_ref(x):
    return np.logaddexp(0, x)


@hs.composite
def _prelu_sample(draw):
    """(N, C, *) or smaller inputs, with one weight or one per channel."""
    shape = draw(st.shapes(min_dims=0, max_dims=3, max_side=3))
    x = draw(floats(shape, avoid=(0.0,)))
    per_channel = len(shape) >= 2 and draw(hs.booleans())
    w = draw(floats((shape[1],) if per_channel else (1,), 0.05, 0.9))
    return Sample((x, w))


def _prelu_ref(x, w):
    if w.size != 1:
        w = w.reshape((-1,) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, w * x)


@hs.composite
def _glu_sample(draw):
    shape = list(draw(st.shapes(min_dims=1, max_dims=3, max_side=3)))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    shape[dim] *= 2
    return Sample((draw(floats(tuple(shape))),), {"dim": dim})


def _glu_ref(x, dim):
    a, b = np.split(x, 2, axis=dim)
    return a / (1 + np.exp(-b))


@hs.composite
def _dim_sample(draw):
    """A tensor and one valid dim of it."""
    shape = draw(st.shapes(max_side=3))
    return Sample((draw(floats(shape)),), {"dim": draw(st.valid_dims(len(shape),
                                                                     allow_none=False,
                                                                     allow_tuple=False))})


def _softmin_ref(x, dim):
    if x.ndim == 0 or x.size == 0:
        return np.ones_like(x)
    e = np.exp(-x - (-x).max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _gumbel(x, **kw):
    """gumbel_softmax with a fixed draw of the noise (the default generator reseeded)."""
    ag.manual_seed(7)
    return F.gumbel_softmax(x, **kw)


def _seeded(fn):
    """A random op with a fixed draw (the default generator reseeded before each call), so
    that finite differences see one function."""
    def call(x, **kw):
        ag.manual_seed(11)
        return fn(x, **kw)
    return call


@hs.composite
def _channels_sample(draw, min_dims, max_dims):
    shape = draw(st.shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=3))
    return Sample((draw(floats(shape)),), {"p": draw(hs.sampled_from([0.2, 0.5])),
                                           "training": True})


@hs.composite
def _gumbel_sample(draw):
    s = draw(_dim_sample())
    return Sample(s.args, {"dim": s.kwargs["dim"], "tau": draw(hs.sampled_from([0.5, 1.0, 2.0]))})


@hs.composite
def _group_norm_sample(draw):
    """(N, C, *) with C a multiple of the groups and more than one value per group."""
    groups = draw(hs.integers(1, 3))
    n, per = draw(hs.integers(1, 3)), draw(hs.integers(1, 2))
    spatial = tuple(draw(hs.lists(hs.integers(1, 3), max_size=2)))
    if n * per * int(np.prod(spatial)) == 1:
        per = 2
    c = groups * per
    x = draw(floats((n, c) + spatial))
    args = (x, groups)
    if draw(hs.booleans()):
        args += (draw(floats((c,))), draw(floats((c,))))
    return Sample(args, {"eps": draw(hs.sampled_from([1e-5, 0.1]))})


def _group_norm_ref(x, groups, w=None, b=None, eps=1e-5):
    n, c = x.shape[:2]
    xg = x.reshape(n, groups, -1)
    out = ((xg - xg.mean(2, keepdims=True)) / np.sqrt(xg.var(2, keepdims=True) + eps))
    out = out.reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if w is not None:
        out = out * w.reshape(shape) + b.reshape(shape)
    return out


@hs.composite
def _instance_norm_sample(draw):
    n, c = draw(hs.integers(1, 3)), draw(hs.integers(1, 3))
    spatial = tuple(draw(hs.lists(hs.integers(1, 3), min_size=1, max_size=2)))
    if int(np.prod(spatial)) == 1:
        spatial = spatial[:-1] + (2,)
    args = (draw(floats((n, c) + spatial)),)
    if draw(hs.booleans()):
        args += (draw(floats((c,))), draw(floats((c,))))
    return Sample(args)


def _instance_norm(x, w=None, b=None):
    return F.instance_norm(x, weight=w, bias=b)


def _instance_norm_ref(x, w=None, b=None):
    dims = tuple(range(2, x.ndim))
    out = (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + 1e-5)
    if w is not None:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        out = out * w.reshape(shape) + b.reshape(shape)
    return out


@hs.composite
def _rms_norm_sample(draw):
    lead = tuple(draw(hs.lists(hs.integers(0, 3), max_size=2)))
    ns = tuple(draw(hs.lists(hs.integers(1, 3), min_size=1, max_size=2)))
    args = (draw(floats(lead + ns, avoid=(0.0,), gap=0.3)), ns)
    if draw(hs.booleans()):
        args += (draw(floats(ns)),)
    return Sample(args, {"eps": draw(hs.sampled_from([None, 1e-3]))})


def _rms_norm_ref(x, ns, w=None, eps=None):
    eps = np.finfo(np.float64).eps if eps is None else eps
    dims = tuple(range(x.ndim - len(ns), x.ndim))
    out = x / np.sqrt((x * x).mean(dims, keepdims=True) + eps)
    return out if w is None else out * w


@hs.composite
def _lrn_sample(draw):
    shape = (draw(hs.integers(1, 2)), draw(hs.integers(1, 5))) + tuple(
        draw(hs.lists(hs.integers(1, 3), min_size=1, max_size=2)))
    return Sample((draw(floats(shape)), draw(hs.integers(1, 4))),
                  {"alpha": draw(hs.sampled_from([1e-4, 0.5])), "beta": 0.75,
                   "k": draw(hs.sampled_from([1.0, 2.0]))})


def _lrn_ref(x, size, alpha, beta, k):
    c = x.shape[1]
    div = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(ch - size // 2, 0), min(ch + (size - 1) // 2 + 1, c)
        div[:, ch] = (x[:, lo:hi] ** 2).sum(1) / size
    return x / (k + alpha * div) ** beta


@hs.composite
def _embedding_bag_sample(draw):
    """Indices as (B, N) bags or 1-D with offsets, a weight table with distinct values (no
    ties in max mode), a mode, maybe per-sample weights (sum) and a padding index."""
    v, d = draw(hs.integers(1, 5)), draw(hs.integers(1, 3))
    w = draw(floats((v, d)))
    w = w + np.arange(w.size).reshape(v, d) * 0.37   # distinct
    mode = draw(hs.sampled_from(["sum", "mean", "max"]))
    kw = {"mode": mode}
    if draw(hs.booleans()):
        b, n = draw(hs.integers(1, 3)), draw(hs.integers(1, 3))
        idx = np.asarray(draw(hs.lists(hs.integers(0, v - 1), min_size=b * n,
                                       max_size=b * n))).reshape(b, n)
        args = (idx, w)
    else:
        n = draw(hs.integers(0, 6))
        idx = np.asarray(draw(hs.lists(hs.integers(0, v - 1), min_size=n, max_size=n)),
                         dtype=np.int64)
        cuts = sorted(draw(hs.lists(hs.integers(0, n), max_size=3)))
        args = (idx, w, np.asarray([0] + cuts, dtype=np.int64))
    if mode == "sum" and draw(hs.booleans()):
        kw["per_sample_weights"] = True
    if draw(hs.booleans()):
        kw["padding_idx"] = draw(hs.integers(0, v - 1))
    if kw.pop("per_sample_weights", False):
        return Sample(args + (draw(floats(idx.shape, 0.1, 2.0)),), kw)
    return Sample(args, kw)


def _embedding_bag(idx, w, *rest, **kw):
    offsets = next((r for r in rest if r.dtype == ag.int64), None)
    psw = next((r for r in rest if r.dtype != ag.int64), None)
    return F.embedding_bag(idx, w, offsets, per_sample_weights=psw, **kw)


def _embedding_bag_ref(idx, w, *rest, mode, padding_idx=None):
    offsets = next((r for r in rest if r.dtype == np.int64), None)
    psw = next((r for r in rest if r.dtype != np.int64), None)
    if idx.ndim == 2:
        offsets = np.arange(idx.shape[0]) * idx.shape[1]
        idx, psw = idx.reshape(-1), None if psw is None else psw.reshape(-1)
    ends = list(offsets[1:]) + [idx.size]
    out = np.zeros((len(offsets), w.shape[1]))
    for i, (a, b) in enumerate(zip(offsets, ends)):
        keep = [j for j in range(a, b) if idx[j] != padding_idx]
        if not keep:
            continue
        rows = w[idx[keep]] * (1 if psw is None else psw[keep][:, None])
        out[i] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


@hs.composite
def _distance_sample(draw, with_dim=False):
    sa, sb = draw(st.broadcastable_shapes(2, min_dims=1, min_side=1, max_side=3))
    a, b = draw(floats(sa, avoid=(0.0,), gap=0.2)), draw(floats(sb, avoid=(0.0,), gap=0.2))
    shape = np.broadcast_shapes(sa, sb)
    close = np.abs(np.broadcast_to(a, shape) - np.broadcast_to(b, shape)) < 0.1
    if close.any():   # keep |a - b| off 0, the norm's kink
        a = np.broadcast_to(a, shape).copy()
        a[close] += 0.3
    if with_dim:
        nd = max(len(sa), len(sb))
        return Sample((a, b), {"dim": draw(hs.integers(-nd, nd - 1))})
    return Sample((a, b), {"p": draw(hs.sampled_from([1.0, 2.0, 3.0])),
                           "keepdim": draw(hs.booleans())})


def _cosine_ref(a, b, dim):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), 1e-8)
    nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), 1e-8)
    return ((a / na) * (b / nb)).sum(dim)


def _pairwise_ref(a, b, p, keepdim):
    d = np.abs(a - b + 1e-6)
    return (d ** p).sum(-1, keepdims=keepdim) ** (1 / p)


@hs.composite
def _normalize_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1, max_side=3))
    x = draw(floats(shape, avoid=(0.0,), gap=0.2))
    return Sample((x,), {"p": draw(hs.sampled_from([1.0, 2.0, 3.0])),
                         "dim": draw(hs.integers(-len(shape), len(shape) - 1))})


def _normalize_ref(x, p, dim):
    return x / np.maximum((np.abs(x) ** p).sum(dim, keepdims=True) ** (1 / p), 1e-12)


def _pdist_ref(x, p):
    n = x.shape[0]
    d = [np.abs(x[i] - x[j]) for i in range(n) for j in range(i + 1, n)]
    if p == 0:
        return np.array([np.count_nonzero(v) for v in d], float)
    if p == math.inf:
        return np.array([v.max(initial=0) for v in d])
    return np.array([(v ** p).sum() ** (1 / p) for v in d])


@hs.composite
def _pdist_sample(draw):
    shape = (draw(hs.integers(0, 4)), draw(hs.integers(1, 3)))
    # x[i, c] = i * (0.7 + 0.1 c) +- 0.02: the coordinates of a difference are away from
    # zero and from each other (no kinks, no ties for p = inf)
    i, c = np.indices(shape)
    x = draw(floats(shape, -0.02, 0.02)) + i * (0.7 + 0.1 * c)
    return Sample((x,), {"p": draw(hs.sampled_from([0, 0.5, 1, 1.5, 2, 3,
                                                                      math.inf]))})


def _rrelu_ref(x, lower, upper, training):
    if not training:
        return np.where(x > 0, x, x * (lower + upper) / 2)
    stream = TorchCPUStream(11)   # _seeded's seed: one draw per element <= 0, in order
    flat = x.ravel()
    out = flat.copy()
    for k in range(flat.size):
        if flat[k] <= 0:
            out[k] = flat[k] * (stream.uniform_double() * (upper - lower) + lower)
    return out.reshape(x.shape)


@hs.composite
def _rrelu_sample(draw):
    lower = draw(hs.sampled_from([0.0, 0.1, 0.125]))
    return Sample((draw(floats(draw(st.shapes()), avoid=(0.0,))),),
                  {"lower": lower, "upper": lower + draw(hs.sampled_from([0.0, 0.2])),
                   "training": draw(hs.booleans())})


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
    OpInfo("F.relu6", lambda x: F.relu6(x), lambda x: np.clip(x, 0, 6),
           unary(-1.0, 7.0, avoid=(0.0, 6.0))),
    OpInfo("F.hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5),
           unary(avoid=(-0.5, 1.5))),
    OpInfo("F.hardsigmoid", lambda x: F.hardsigmoid(x), lambda x: np.clip(x / 6 + 0.5, 0, 1),
           unary(-4.0, 4.0, avoid=(-3.0, 3.0))),
    OpInfo("F.hardswish", lambda x: F.hardswish(x), lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
           unary(-4.0, 4.0, avoid=(-3.0, 3.0))),
    OpInfo("F.mish", lambda x: F.mish(x), lambda x: x * np.tanh(_softplus_ref(x)), unary()),
    OpInfo("F.selu", lambda x: F.selu(x), lambda x: _elu_ref(x, _SELU_A, _SELU_S),
           unary(avoid=(0.0,))),
    OpInfo("F.celu", lambda x: F.celu(x, 0.7), lambda x: _elu_ref(x, 0.7, 1.0, 1 / 0.7),
           unary(avoid=(0.0,))),
    OpInfo("F.threshold", lambda x: F.threshold(x, 0.3, -1.5),
           lambda x: np.where(x > 0.3, x, -1.5), unary(avoid=(0.3,))),
    OpInfo("F.softshrink", lambda x: F.softshrink(x, 0.5),
           lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
           unary(avoid=(-0.5, 0.5))),
    OpInfo("F.hardshrink", lambda x: F.hardshrink(x, 0.5),
           lambda x: np.where(np.abs(x) > 0.5, x, 0), unary(avoid=(-0.5, 0.5))),
    OpInfo("F.tanhshrink", lambda x: F.tanhshrink(x), lambda x: x - np.tanh(x), unary()),
    OpInfo("F.softsign", lambda x: F.softsign(x), lambda x: x / (1 + np.abs(x)),
           unary(avoid=(0.0,))),
    OpInfo("F.prelu", lambda x, w: F.prelu(x, w), _prelu_ref, _prelu_sample()),
    OpInfo("F.glu", lambda x, **kw: F.glu(x, **kw), _glu_ref, _glu_sample()),
    OpInfo("F.softmin", lambda x, **kw: F.softmin(x, **kw), _softmin_ref, _dim_sample()),
    OpInfo("F.gumbel_softmax", _gumbel, None, _gumbel_sample()),
    OpInfo("F.cross_entropy",
           lambda x, t, w, **kw: F.cross_entropy(x, t, weight=_weight(w), **kw),
           _ce_ref, _class_sample()),
    OpInfo("F.cross_entropy (few classes, many rows)",
           lambda x, t, w, **kw: F.cross_entropy(x, t, **kw), _ce_ref, _few_classes_sample()),
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
    OpInfo("F.group_norm", lambda x, g, *wb, **kw: F.group_norm(x, g, *wb, **kw),
           _group_norm_ref, _group_norm_sample(), atol=1e-4),
    OpInfo("F.instance_norm", _instance_norm, _instance_norm_ref, _instance_norm_sample(),
           atol=1e-4),
    OpInfo("F.rms_norm", lambda x, ns, *w, **kw: F.rms_norm(x, ns, *w, **kw), _rms_norm_ref,
           _rms_norm_sample(), atol=1e-4),
    OpInfo("F.local_response_norm", lambda x, size, **kw: F.local_response_norm(x, size, **kw),
           _lrn_ref, _lrn_sample()),
    OpInfo("F.embedding_bag", _embedding_bag, _embedding_bag_ref, _embedding_bag_sample()),
    OpInfo("F.cosine_similarity", lambda a, b, **kw: F.cosine_similarity(a, b, **kw),
           _cosine_ref, _distance_sample(with_dim=True)),
    OpInfo("F.pairwise_distance", lambda a, b, **kw: F.pairwise_distance(a, b, **kw),
           _pairwise_ref, _distance_sample()),
    OpInfo("F.normalize", lambda x, **kw: F.normalize(x, **kw), _normalize_ref,
           _normalize_sample()),
    OpInfo("F.dropout1d", _seeded(F.dropout1d), None, _channels_sample(2, 3)),
    OpInfo("F.dropout2d", _seeded(F.dropout2d), None, _channels_sample(4, 4)),
    OpInfo("F.dropout3d", _seeded(F.dropout3d), None, _channels_sample(4, 5)),
    OpInfo("F.alpha_dropout", _seeded(F.alpha_dropout), None, _channels_sample(0, 3)),
    OpInfo("F.feature_alpha_dropout", _seeded(F.feature_alpha_dropout), None,
           _channels_sample(2, 4)),
    OpInfo("F.pdist", lambda x, **kw: F.pdist(x, **kw), _pdist_ref, _pdist_sample(),
           ref_atol=1e-12),
    OpInfo("F.rrelu", _seeded(F.rrelu), _rrelu_ref, _rrelu_sample(), ref_atol=1e-12),
]
