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


def _windows_nd(x, k, s, p, d, ceil_mode):
    """Per output position: (position, the window's in-range slices per dim, its size
    including the padding as avg pooling counts it)."""
    nd = x.ndim - 2
    sizes = x.shape[2:]
    outs = [_pool_size(sizes[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)]
    for pos in itertools.product(*map(range, outs)):
        starts = [pos[i] * s[i] - p[i] for i in range(nd)]
        yield pos, outs, starts


def ref_max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    nd = x.ndim - 2
    k = _tup(kernel_size, nd)
    s = k if stride is None else _tup(stride, nd)
    p, d = _tup(padding, nd), _tup(dilation, nd)
    out = None
    for pos, outs, starts in _windows_nd(x, k, s, p, d, ceil_mode):
        if out is None:
            out = np.empty(x.shape[:2] + tuple(outs))
        best = np.full(x.shape[:2], -np.inf)
        for tap in itertools.product(*map(range, k)):
            at = tuple(starts[i] + tap[i] * d[i] for i in range(nd))
            if all(0 <= at[i] < x.shape[2 + i] for i in range(nd)):
                best = np.maximum(best, x[(slice(None), slice(None)) + at])
        out[(slice(None), slice(None)) + pos] = best
    return out


def ref_avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
    nd = x.ndim - 2
    k = _tup(kernel_size, nd)
    s = k if stride is None else _tup(stride, nd)
    p = _tup(padding, nd)
    out = None
    for pos, outs, starts in _windows_nd(x, k, s, p, (1,) * nd, ceil_mode):
        if out is None:
            out = np.empty(x.shape[:2] + tuple(outs))
        ends = [min(starts[i] + k[i], x.shape[2 + i] + p[i]) for i in range(nd)]
        size = int(np.prod([e - b for b, e in zip(starts, ends)]))
        lo = [max(b, 0) for b in starts]
        hi = [min(e, x.shape[2 + i]) for i, e in enumerate(ends)]
        window = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        div = divisor_override or (size if count_include_pad else
                                   int(np.prod([b - a for a, b in zip(lo, hi)])))
        out[(slice(None), slice(None)) + pos] = window.sum(tuple(range(2, 2 + nd))) / div
    return out


ref_max_pool2d = ref_max_pool3d = ref_max_pool
ref_avg_pool2d = ref_avg_pool3d = ref_avg_pool


def _ref_adaptive(x, output_size, reduce):
    """Each output position reduces floor(i*size/out) .. ceil((i+1)*size/out) per dim."""
    nd = x.ndim - 2
    outs = _tup(output_size, nd)
    sizes = x.shape[2:]
    out = np.empty(x.shape[:2] + outs)
    for pos in itertools.product(*map(range, outs)):
        sl = tuple(slice(i * n // o, -(-(i + 1) * n // o)) for i, n, o in zip(pos, sizes, outs))
        out[(slice(None), slice(None)) + pos] = reduce(x[(slice(None), slice(None)) + sl],
                                                       tuple(range(2, 2 + nd)))
    return out


def ref_adaptive_avg_pool2d(x, output_size):
    return _ref_adaptive(x, output_size, np.mean)


def ref_conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                       dilation=1):
    """Each input pixel scatters its kernel-weighted copy (the definition of a transposed
    convolution), on a canvas that is then cropped by the padding."""
    nd = x.ndim - 2
    k = w.shape[2:]
    s, p, op, d = (_tup(v, nd) for v in (stride, padding, output_padding, dilation))
    n, cin = x.shape[:2]
    cg_out = w.shape[1]
    out = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
           for i in range(nd)]
    canvas = np.zeros((n, cg_out * groups) + tuple(p[i] + out[i] + d[i] * (k[i] - 1) + s[i]
                                                  for i in range(nd)))
    cin_g = cin // groups
    for ic in range(cin):
        grp = ic // cin_g
        for pos in itertools.product(*map(range, x.shape[2:])):
            for tap in itertools.product(*map(range, k)):
                at = tuple(pos[i] * s[i] + tap[i] * d[i] for i in range(nd))
                canvas[(slice(None), slice(grp * cg_out, (grp + 1) * cg_out)) + at] += \
                    x[(slice(None), ic) + pos][:, None] * w[(ic, slice(None)) + tap]
    res = canvas[(slice(None), slice(None)) + tuple(slice(p[i], p[i] + out[i])
                                                    for i in range(nd))]
    if b is not None:
        res = res + b.reshape((-1,) + (1,) * nd)
    return res


def ref_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    k, d, p, s = (_tup(v, 2) for v in (kernel_size, dilation, padding, stride))
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (xp.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = []
    for i in range(oh):
        for j in range(ow):
            block = xp[:, :, i * s[0]:i * s[0] + d[0] * (k[0] - 1) + 1:d[0],
                       j * s[1]:j * s[1] + d[1] * (k[1] - 1) + 1:d[1]]
            cols.append(block.reshape(x.shape[0], -1))
    return np.stack(cols, -1)


def ref_fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    k, d, p, s = (_tup(v, 2) for v in (kernel_size, dilation, padding, stride))
    h, w = _tup(output_size, 2)
    n, c = cols.shape[0], cols.shape[1] // (k[0] * k[1])
    out = np.zeros((n, c, h + 2 * p[0], w + 2 * p[1]))
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    for b in range(cols.shape[2]):
        i, j = divmod(b, ow)
        out[:, :, i * s[0]:i * s[0] + d[0] * (k[0] - 1) + 1:d[0],
            j * s[1]:j * s[1] + d[1] * (k[1] - 1) + 1:d[1]] += cols[:, :, b].reshape(n, c, *k)
    return out[:, :, p[0]:p[0] + h, p[1]:p[1] + w]


def ref_adaptive_max_pool2d(x, output_size):
    return _ref_adaptive(x, output_size, np.max)


def ref_max_unpool(x, idx, kernel_size, stride=None, padding=0, output_size=None):
    nd = x.ndim - 2
    k = _tup(kernel_size, nd)
    s = k if stride is None else _tup(stride, nd)
    p = _tup(padding, nd)
    size = output_size or tuple((x.shape[2 + i] - 1) * s[i] + k[i] - 2 * p[i]
                                for i in range(nd))
    out = np.zeros(x.shape[:2] + (int(np.prod(size)),))
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            out[n, c, idx[n, c].ravel()] = x[n, c].ravel()
    return out.reshape(x.shape[:2] + tuple(size))


ref_max_unpool2d = ref_max_unpool


def ref_lp_pool(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    k = _tup(kernel_size, x.ndim - 2)
    sums = ref_avg_pool(x ** norm_type, k, stride, 0, ceil_mode) * int(np.prod(k))
    return sums ** (1.0 / norm_type)


ref_lp_pool2d = ref_lp_pool


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


def _most(nd: int) -> tuple:
    """(largest kernel, extra size, batch) of a sample: 3-D samples stay tiny (the suite
    gradchecks them in float64, element by element)."""
    return (2, 1, 1) if nd == 3 else (3, 2, 2)


@hs.composite
def _conv_sample(draw, nd=2):
    kmax, extra, nmax = _most(nd)
    groups = draw(hs.integers(1, 2))
    cg, og = draw(hs.integers(1, 2)), draw(hs.integers(1, 2))
    n = draw(hs.integers(1, nmax))
    k = tuple(draw(hs.integers(1, kmax)) for _ in range(nd))
    d = tuple(draw(hs.integers(1, 2)) for _ in range(nd))
    s = tuple(draw(hs.integers(1, 2)) for _ in range(nd))
    pad = draw(hs.sampled_from([0, 1, "same", "valid", (0, 1, 0)[:nd] if nd > 1 else 1]))
    if pad == "same" and any(v > 1 for v in s):
        pad = 1
    p = (0,) * nd if isinstance(pad, str) else _tup(pad, nd)
    size = tuple(max(dd * (kk - 1) + 1 - 2 * pp, 1) + draw(hs.integers(0, extra))
                 for kk, dd, pp in zip(k, d, p))
    x = draw(floats((n, cg * groups) + size))
    w = draw(floats((og * groups, cg) + k))
    args = (x, w) + ((draw(floats((og * groups,))),) if draw(hs.booleans()) else ())
    kw = dict(stride=s if draw(hs.booleans()) else s[0], padding=pad,
              dilation=d, groups=groups)
    return Sample(args, kw)


@hs.composite
def _pool_sample(draw, avg=False, nd=2):
    kmax, extra, nmax = _most(nd)
    k = tuple(draw(hs.integers(1, kmax)) for _ in range(nd))
    s = tuple(draw(hs.integers(1, kmax)) for _ in range(nd))
    d = (1,) * nd if avg else tuple(draw(hs.integers(1, 2)) for _ in range(nd))
    p = tuple(draw(hs.integers(0, (dd * (kk - 1) + 1) // 2)) for kk, dd in zip(k, d))
    size = tuple(max(dd * (kk - 1) + 1 - 2 * pp, 1) + draw(hs.integers(0, extra + 1))
                 for kk, dd, pp in zip(k, d, p))
    x = draw(floats((draw(hs.integers(1, nmax)), draw(hs.integers(1, 2))) + size))
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
def _adaptive_sample(draw, nd=2):
    top = 3 if nd == 3 else 5
    x = draw(floats((1, 2) + tuple(draw(hs.integers(1, top)) for _ in range(nd))))
    return Sample((x,), dict(output_size=tuple(draw(hs.integers(1, 3)) for _ in range(nd))))


@hs.composite
def _conv_transpose_sample(draw, nd=2):
    kmax, _, nmax = _most(nd)
    groups = draw(hs.integers(1, 2))
    cin_g, cout_g = draw(hs.integers(1, 2)), draw(hs.integers(1, 2))
    n = draw(hs.integers(1, nmax))
    k = tuple(draw(hs.integers(1, kmax)) for _ in range(nd))
    s = tuple(draw(hs.integers(1, 2)) for _ in range(nd))
    d = tuple(draw(hs.integers(1, 2)) for _ in range(nd))
    size = tuple(draw(hs.integers(1, kmax)) for _ in range(nd))
    op = tuple(draw(hs.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d))
    p = tuple(draw(hs.integers(0, ((i - 1) * ss + dd * (kk - 1) + o) // 2))
              for i, ss, dd, kk, o in zip(size, s, d, k, op))
    x = draw(floats((n, cin_g * groups) + size))
    w = draw(floats((cin_g * groups, cout_g) + k))
    args = (x, w) + ((draw(floats((cout_g * groups,))),) if draw(hs.booleans()) else ())
    return Sample(args, dict(stride=s, padding=p, output_padding=op, groups=groups,
                             dilation=d))


@hs.composite
def _fold_args(draw):
    k = (draw(hs.integers(1, 3)), draw(hs.integers(1, 2)))
    d = (draw(hs.integers(1, 2)), 1)
    s = (draw(hs.integers(1, 2)), draw(hs.integers(1, 2)))
    p = (draw(hs.integers(0, 1)), draw(hs.integers(0, 1)))
    size = tuple(max(dd * (kk - 1) + 1 - 2 * pp, 1) + draw(hs.integers(0, 2))
                 for kk, dd, pp in zip(k, d, p))
    return size, dict(kernel_size=k, dilation=d, padding=p, stride=s)


@hs.composite
def _unfold_sample(draw):
    size, kw = draw(_fold_args())
    return Sample((draw(floats((draw(hs.integers(1, 2)), draw(hs.integers(1, 2))) + size)),),
                  kw)


@hs.composite
def _fold_sample(draw):
    size, kw = draw(_fold_args())
    blocks = ref_unfold(np.zeros((1, 1) + size), **kw).shape[-1]
    c = draw(hs.integers(1, 2)) * kw["kernel_size"][0] * kw["kernel_size"][1]
    return Sample((draw(floats((draw(hs.integers(1, 2)), c, blocks))),),
                  dict(output_size=size, **kw))


@hs.composite
def _adaptive_max_sample(draw, nd=2):
    top, nmax = (3, 1) if nd == 3 else (5, 2)
    size = tuple(draw(hs.integers(1, top)) for _ in range(nd))
    x = _distinct(draw(floats((draw(hs.integers(1, nmax)), 2) + size)))
    out = tuple(draw(hs.integers(1, 4)) for _ in range(nd))
    return Sample((x,), dict(output_size=out if nd > 1 else out[0]))


@hs.composite
def _unpool_sample(draw, nd=2):
    kmax, _, nmax = _most(nd)
    k = tuple(draw(hs.integers(1, kmax)) for _ in range(nd))
    pooled = tuple(draw(hs.integers(1, kmax)) for _ in range(nd))
    n, c = draw(hs.integers(1, nmax)), draw(hs.integers(1, 2))
    size = int(np.prod([h * kk for h, kk in zip(pooled, k)]))
    rng = np.random.default_rng(draw(hs.integers(0, 2 ** 16)))
    # distinct positions per channel, as a max-pool's indices are
    m = int(np.prod(pooled))
    idx = np.stack([rng.permutation(size)[:m] for _ in range(n * c)])
    return Sample((draw(floats((n, c) + pooled)), idx.reshape((n, c) + pooled).astype(np.int64)),
                  dict(kernel_size=k))


@hs.composite
def _lp_sample(draw, nd=2):
    kmax, extra, _ = _most(nd)
    k = tuple(draw(hs.integers(1, kmax)) for _ in range(nd))
    size = tuple(kk + draw(hs.integers(0, extra + 1)) for kk in k)
    x = draw(floats((1, draw(hs.integers(1, 2))) + size, 0.5, 2.0))
    kw = dict(norm_type=draw(hs.sampled_from([1.5, 2, 3])),
              kernel_size=k if nd > 1 else k[0], ceil_mode=draw(hs.booleans()))
    return Sample((x,), kw)


@hs.composite
def _pool1d_sample(draw, avg=False):
    """A 2-D pooling sample's width: (N, C, W) and the width's settings."""
    s2 = draw(_pool_sample(avg=avg))
    kw = {k: (v[1] if isinstance(v, tuple) else v) for k, v in s2.kwargs.items()
          if k != "divisor_override"}
    if not avg:   # (the 2-D sample's padding may have been drawn for a dilation of 2)
        kw["dilation"] = 1
        kw["padding"] = min(kw["padding"], kw["kernel_size"] // 2)
    x = _distinct(s2.args[0][:, :, 0])
    if not avg:   # a window wholly in the padding: -inf
        assume(np.isfinite(_as_1d(ref_max_pool2d)(x, **kw)).all())
    return Sample((x,), kw)


def _as_1d(ref2d):
    """A 2-D pooling reference used on (N, C, W) as a height-1 image."""
    def ref(x, kernel_size, stride=None, padding=0, **kw):
        if "dilation" in kw:
            kw["dilation"] = (1, kw["dilation"])
        return ref2d(x[:, :, None], (1, kernel_size), None if stride is None else (1, stride),
                     (0, padding), **kw)[:, :, 0]
    return ref


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
    OpInfo("nn.functional.conv_transpose2d",
           lambda x, w, b=None, **kw: F.conv_transpose2d(x, w, b, **kw), ref_conv_transpose,
           _conv_transpose_sample(2)),
    OpInfo("nn.functional.conv_transpose1d",
           lambda x, w, b=None, **kw: F.conv_transpose1d(x, w, b, **kw), ref_conv_transpose,
           _conv_transpose_sample(1)),
    OpInfo("nn.functional.unfold", F.unfold, ref_unfold, _unfold_sample()),
    OpInfo("nn.functional.fold", F.fold, ref_fold, _fold_sample()),
    OpInfo("nn.functional.max_pool1d", F.max_pool1d, _as_1d(ref_max_pool2d),
           _pool1d_sample()),
    OpInfo("nn.functional.avg_pool1d", F.avg_pool1d, _as_1d(ref_avg_pool2d),
           _pool1d_sample(avg=True)),
    OpInfo("nn.functional.adaptive_max_pool2d", F.adaptive_max_pool2d, ref_adaptive_max_pool2d,
           _adaptive_max_sample(2)),
    OpInfo("nn.functional.adaptive_max_pool1d", F.adaptive_max_pool1d,
           lambda x, output_size: ref_adaptive_max_pool2d(x[:, :, None], (1, output_size))[
               :, :, 0], _adaptive_max_sample(1)),
    OpInfo("nn.functional.adaptive_avg_pool1d", F.adaptive_avg_pool1d,
           lambda x, output_size: ref_adaptive_avg_pool2d(x[:, :, None], (1, output_size))[
               :, :, 0], _adaptive_max_sample(1)),
    OpInfo("nn.functional.max_unpool2d", F.max_unpool2d, ref_max_unpool2d, _unpool_sample()),
    OpInfo("nn.functional.lp_pool2d", F.lp_pool2d, ref_lp_pool2d, _lp_sample(2), atol=1e-4),
    OpInfo("nn.functional.lp_pool1d", F.lp_pool1d,
           lambda x, norm_type, kernel_size, ceil_mode: ref_lp_pool2d(
               x[:, :, None], norm_type, (1, kernel_size), None, ceil_mode)[:, :, 0],
           _lp_sample(1), atol=1e-4),
    OpInfo("nn.functional.conv3d", lambda x, w, b=None, **kw: F.conv3d(x, w, b, **kw), ref_conv,
           _conv_sample(3)),
    OpInfo("nn.functional.conv_transpose3d",
           lambda x, w, b=None, **kw: F.conv_transpose3d(x, w, b, **kw), ref_conv_transpose,
           _conv_transpose_sample(3)),
    OpInfo("nn.functional.max_pool3d", F.max_pool3d, ref_max_pool3d, _pool_sample(nd=3)),
    OpInfo("nn.functional.avg_pool3d", F.avg_pool3d, ref_avg_pool3d,
           _pool_sample(avg=True, nd=3)),
    OpInfo("nn.functional.adaptive_avg_pool3d", F.adaptive_avg_pool3d, ref_adaptive_avg_pool2d,
           _adaptive_sample(3)),
    OpInfo("nn.functional.adaptive_max_pool3d", F.adaptive_max_pool3d, ref_adaptive_max_pool2d,
           _adaptive_max_sample(3)),
    OpInfo("nn.functional.max_pool3d_with_indices",
           lambda x, **kw: F.max_pool3d_with_indices(x, **kw)[0], ref_max_pool3d,
           _pool_sample(nd=3)),
    OpInfo("nn.functional.max_unpool3d", F.max_unpool3d, ref_max_unpool, _unpool_sample(3)),
    OpInfo("nn.functional.lp_pool3d", F.lp_pool3d, ref_lp_pool, _lp_sample(3), atol=1e-4),
    OpInfo("nn.functional.batch_norm", _bn,
           lambda x, rm, rv, w=None, b=None, training=False:
           ref_batch_norm(x, rm, rv, w, b, training), _bn_sample(), atol=1e-4),
    OpInfo("nn.functional.layer_norm", _ln, ref_layer_norm, _ln_sample(), atol=1e-4),
    OpInfo("nn.functional.embedding", lambda i, w, **kw: F.embedding(i, w, **kw),
           lambda i, w, **kw: ref_embedding(i, w), _embedding_sample()),
]
