"""Registry entries: the conv / pooling / normalisation / embedding ops behind nn.

References are direct loops over output positions in numpy (test-only code), written
from PyTorch's definitions, independent of the im2col implementations they check.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import assume
from hypothesis import strategies as hs

import nn.functional as F

from .core import OpInfo, Sample, floats


def _tup(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def _distinct(x: np.ndarray) -> np.ndarray:
    """Same shape, all values distinct and >= 0.1 apart (no ties at max-pool kinks)."""
    if not x.size:
        return x
    ranks = np.argsort(np.argsort(x.ravel())).reshape(x.shape)
    return ranks * 0.1 - x.size * 0.05 + 0.01 * np.tanh(x)


# ---------------------------------------------------------------------------------------
# references


def ref_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    nd = x.ndim - 2
    k = w.shape[2:]
    s, d = _tup(stride, nd), _tup(dilation, nd)
    if padding == "valid":
        pads = [(0, 0)] * nd
    elif padding == "same":
        pads = [(dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for kk, dd in zip(k, d)]
    else:
        pads = [(p, p) for p in _tup(padding, nd)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    outs = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    n, o = x.shape[0], w.shape[0]
    cg, og = w.shape[1], o // groups
    out = np.zeros((n, o, *outs))
    for oc in range(o):
        grp = oc // og
        xs = xp[:, grp * cg:(grp + 1) * cg]
        for pos in itertools.product(*map(range, outs)):
            sl = tuple(slice(p * s[i], p * s[i] + d[i] * (k[i] - 1) + 1, d[i])
                       for i, p in enumerate(pos))
            out[(slice(None), oc) + pos] = (xs[(slice(None), slice(None)) + sl] * w[oc]).sum(
                tuple(range(1, nd + 2)))
    if b is not None:
        out += b.reshape((-1,) + (1,) * nd)
    return out


def _pool_size(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    o = int(np.ceil(num / s) if ceil_mode else np.floor(num / s)) + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def ref_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    k = _tup(kernel_size, 2)
    s = k if stride is None else _tup(stride, 2)
    p, d = _tup(padding, 2), _tup(dilation, 2)
    h, w = x.shape[2:]
    oh, ow = (_pool_size(h, k[0], s[0], p[0], d[0], ceil_mode),
              _pool_size(w, k[1], s[1], p[1], d[1], ceil_mode))
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            best = np.full(x.shape[:2], -np.inf)
            for a in range(k[0]):
                for c in range(k[1]):
                    r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + c * d[1]
                    if 0 <= r < h and 0 <= q < w:
                        best = np.maximum(best, x[:, :, r, q])
            out[:, :, i, j] = best
    return out


def ref_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                   count_include_pad=True, divisor_override=None):
    k = _tup(kernel_size, 2)
    s = k if stride is None else _tup(stride, 2)
    p = _tup(padding, 2)
    h, w = x.shape[2:]
    oh, ow = (_pool_size(h, k[0], s[0], p[0], 1, ceil_mode),
              _pool_size(w, k[1], s[1], p[1], 1, ceil_mode))
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, h0:h1, w0:w1].sum((2, 3))
            div = divisor_override or (size if count_include_pad else (h1 - h0) * (w1 - w0))
            out[:, :, i, j] = total / div
    return out


def ref_adaptive_avg_pool2d(x, output_size):
    oh, ow = _tup(output_size, 2)
    h, w = x.shape[2:]
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r = slice(int(np.floor(i * h / oh)), int(np.ceil((i + 1) * h / oh)))
            c = slice(int(np.floor(j * w / ow)), int(np.ceil((j + 1) * w / ow)))
            out[:, :, i, j] = x[:, :, r, c].mean((2, 3))
    return out


def ref_batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
                   eps=1e-5):
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    out = np.empty_like(x)
    for ch in range(c):
        v = x[:, ch]
        if training:
            m, var = v.mean(), ((v - v.mean()) ** 2).mean()
        else:
            m, var = running_mean[ch], running_var[ch]
        out[:, ch] = (v - m) / np.sqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def ref_layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    k = len(normalized_shape)
    rows = x.reshape((-1,) + tuple(normalized_shape))
    out = np.empty_like(rows)
    for i, r in enumerate(rows):
        out[i] = (r - r.mean()) / np.sqrt(r.var() + eps)
    out = out.reshape(x.shape)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    assert k >= 1
    return out


def ref_embedding(idx, weight, padding_idx=None):
    out = np.empty(idx.shape + weight.shape[1:])
    for pos in itertools.product(*map(range, idx.shape)):
        out[pos] = weight[idx[pos]]
    return out


# ---------------------------------------------------------------------------------------
# samples


@hs.composite
def _conv_sample(draw, nd=2):
    groups = draw(hs.integers(1, 2))
    cg, og = draw(hs.integers(1, 2)), draw(hs.integers(1, 2))
    n = draw(hs.integers(1, 2))
    k = tuple(draw(hs.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(hs.integers(1, 2)) for _ in range(nd))
    s = tuple(draw(hs.integers(1, 2)) for _ in range(nd))
    pad = draw(hs.sampled_from([0, 1, "same", "valid", (0, 1)[:nd] if nd == 2 else 1]))
    if pad == "same" and any(v > 1 for v in s):
        pad = 1
    p = (0,) * nd if isinstance(pad, str) else _tup(pad, nd)
    size = tuple(max(dd * (kk - 1) + 1 - 2 * pp, 1) + draw(hs.integers(0, 2))
                 for kk, dd, pp in zip(k, d, p))
    x = draw(floats((n, cg * groups) + size))
    w = draw(floats((og * groups, cg) + k))
    args = (x, w) + ((draw(floats((og * groups,))),) if draw(hs.booleans()) else ())
    kw = dict(stride=s if draw(hs.booleans()) else s[0], padding=pad,
              dilation=d, groups=groups)
    return Sample(args, kw)


@hs.composite
def _pool_sample(draw, avg=False):
    k = (draw(hs.integers(1, 3)), draw(hs.integers(1, 3)))
    s = (draw(hs.integers(1, 3)), draw(hs.integers(1, 3)))
    d = (1, 1) if avg else (draw(hs.integers(1, 2)), draw(hs.integers(1, 2)))
    p = tuple(draw(hs.integers(0, (dd * (kk - 1) + 1) // 2)) for kk, dd in zip(k, d))
    size = tuple(max(dd * (kk - 1) + 1 - 2 * pp, 1) + draw(hs.integers(0, 3))
                 for kk, dd, pp in zip(k, d, p))
    x = draw(floats((draw(hs.integers(1, 2)), draw(hs.integers(1, 2))) + size))
    kw = dict(kernel_size=k, stride=draw(hs.sampled_from([None, s])), padding=p,
              ceil_mode=draw(hs.booleans()))
    if avg:
        kw["count_include_pad"] = draw(hs.booleans())
        kw["divisor_override"] = draw(hs.sampled_from([None, 3]))
        return Sample((x,), kw)
    kw["dilation"] = d
    x = _distinct(x)
    # a window lying wholly in the padding gives -inf (no finite differences): redraw
    assume(np.isfinite(ref_max_pool2d(x, **kw)).all())
    return Sample((x,), kw)


@hs.composite
def _adaptive_sample(draw):
    x = draw(floats((1, 2, draw(hs.integers(1, 5)), draw(hs.integers(1, 5)))))
    return Sample((x,), dict(output_size=(draw(hs.integers(1, 3)), draw(hs.integers(1, 3)))))


@hs.composite
def _bn_sample(draw):
    c = draw(hs.integers(1, 3))
    shape = (draw(hs.integers(2, 3)), c) + tuple(draw(hs.lists(hs.integers(1, 2), max_size=2)))
    x = draw(floats(shape))
    training = draw(hs.booleans())
    rm = draw(floats((c,)))
    rv = draw(floats((c,), 0.5, 2.0))
    affine = draw(hs.booleans())
    w = draw(floats((c,))) if affine else None
    b = draw(floats((c,))) if affine else None
    if training:   # running stats would be updated in place: leave them out
        return Sample((x, None, None, w, b), dict(training=True))
    return Sample((x, rm, rv, w, b), dict(training=False),
                  diff=(True, False, False, True, True))


@hs.composite
def _ln_sample(draw):
    lead = tuple(draw(hs.lists(hs.integers(1, 2), min_size=1, max_size=2)))
    ns = tuple(draw(hs.lists(hs.integers(1, 3), min_size=1, max_size=2)))
    if int(np.prod(ns)) == 1:
        ns = ns[:-1] + (2,)
    x = draw(floats(lead + ns))
    if draw(hs.booleans()):
        return Sample((x, ns, draw(floats(ns)), draw(floats(ns))))
    return Sample((x, ns))


@hs.composite
def _embedding_sample(draw):
    v, d = draw(hs.integers(1, 4)), draw(hs.integers(1, 3))
    shape = tuple(draw(hs.lists(hs.integers(1, 3), max_size=2)))
    idx = np.asarray(draw(hs.lists(hs.integers(0, v - 1), min_size=int(np.prod(shape)),
                                   max_size=int(np.prod(shape))))).reshape(shape).astype(np.int64)
    # padding_idx deliberately gives a gradient that disagrees with finite differences (no
    # gradient for a row the forward reads): tested in tests/nn/test_embedding.py instead
    return Sample((idx, draw(floats((v, d)))))


def _bn(x, rm, rv, w=None, b=None, training=False):
    return F.batch_norm(x, rm, rv, w, b, training=training)


def _ln(x, ns, w=None, b=None):
    return F.layer_norm(x, ns, w, b)


OPS = [
    OpInfo("nn.functional.conv2d", lambda x, w, b=None, **kw: F.conv2d(x, w, b, **kw), ref_conv,
           _conv_sample(2)),
    OpInfo("nn.functional.conv1d", lambda x, w, b=None, **kw: F.conv1d(x, w, b, **kw), ref_conv,
           _conv_sample(1)),
    OpInfo("nn.functional.max_pool2d", F.max_pool2d, ref_max_pool2d, _pool_sample()),
    OpInfo("nn.functional.avg_pool2d", F.avg_pool2d, ref_avg_pool2d, _pool_sample(avg=True)),
    OpInfo("nn.functional.adaptive_avg_pool2d", F.adaptive_avg_pool2d, ref_adaptive_avg_pool2d,
           _adaptive_sample()),
    OpInfo("nn.functional.batch_norm", _bn,
           lambda x, rm, rv, w=None, b=None, training=False:
           ref_batch_norm(x, rm, rv, w, b, training), _bn_sample(), atol=1e-4),
    OpInfo("nn.functional.layer_norm", _ln, ref_layer_norm, _ln_sample(), atol=1e-4),
    OpInfo("nn.functional.embedding", lambda i, w, **kw: F.embedding(i, w, **kw),
           lambda i, w, **kw: ref_embedding(i, w), _embedding_sample()),
]
