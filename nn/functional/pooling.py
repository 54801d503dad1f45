"""Pooling: max_pool1d/2d/3d, avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d,
adaptive_max_pool1d/2d/3d, max_unpool1d/2d/3d, lp_pool1d/2d/3d (1-D runs as 2-D of
height 1; 2-D and 3-D share one code path over any number of spatial dims).

max pooling is a primitive (MaxPool2DWithIndicesBackward0) that keeps the argmax of each
window; its backward scatters the gradient to those positions, and the scatter's own
backward gathers from them, so it is differentiable again (adaptive max pooling and max
unpooling are the same pair of scatter and gather). avg pooling (AvgPool2DBackward0) is
linear: its backward is the transposed window sum, expressed with the convolution
primitive (or a broadcast when windows tile the input); adaptive average pooling is a
product with an averaging matrix along each spatial dim. 2-D windows that tile the input
(stride == kernel, no padding) take a fast path over strided views, with no copy.
"""

from __future__ import annotations

import math

import numpy as np

import autograd as ag
from autograd.function import Node
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

from .conv import _CHUNK_BYTES, _input_grad, _pad_array, _windows

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d",
           "lp_pool1d", "lp_pool2d", "lp_pool3d"]

_COUNT = {1: "one", 2: "two", 3: "three"}


def _ntuple(v, nd: int, name: str, op: str) -> tuple:
    """An int or a sequence of 1 or nd ints, as nd ints (PyTorch's error otherwise)."""
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        either = "" if op == "avg_pool3d" else "either "   # (PyTorch's two wordings)
        raise RuntimeError(f"{op}: {name} must {either}be a single int, or a tuple of "
                           f"{_COUNT[nd]} ints, got {list(v)}")
    return v


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size (ceil mode never starts a window in the right padding)."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode, op: str,
               nd: int = 2):
    """(kernel, stride, padding, dilation, output size), nd ints each, checked."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2) or x.numel() == 0:
        raise RuntimeError(f"{op}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor "
                           f"expected for input, got input of size {list(x.shape)}")
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _ntuple(stride, nd, "stride", op)
    p = _ntuple(padding, nd, "padding", op)
    d = _ntuple(dilation, nd, "dilation", op)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be greater than zero, "
                           f"got kernel_size={k}, stride={s}, dilation={d}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    sizes = tuple(x.shape[-nd:])
    out = tuple(_pool_out(*a, ceil_mode) for a in zip(sizes, k, s, p, d))
    if min(out) < 1:
        c = x.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + sizes))}). "
                           f"Calculated output size: ({'x'.join(map(str, (c,) + out))}). "
                           "Output size is too small")
    return k, s, p, d, out


def _pads(shape: tuple, k, s, p, d, out) -> tuple:
    """(lo, hi) per spatial dim, flat, so that every window lies inside the padded input."""
    sizes = shape[-len(k):]
    return sum(((pp, max(pp, (o - 1) * ss + dd * (kk - 1) + 1 - size - pp))
                for size, kk, ss, pp, dd, o in zip(sizes, k, s, p, d, out)), ())


def _tiles(shape: tuple, k, s, p, d, out) -> bool:
    """True when the windows tile the input without overlap or padding."""
    return s == k and not any(p) and all(dd == 1 for dd in d) and \
        all(o * kk <= size for o, kk, size in zip(out, k, shape[-len(k):]))


def _grid(parts, axes, ndim: int, combine):
    """Per-dim arrays combined (`combine`: np.add, np.multiply, ...) into one grid:
    parts[i] spans the grid's axes axes[i] (a tuple), broadcast along the others."""
    res = None
    for part, ax in zip(parts, axes):
        shape = [1] * ndim
        for a, n in zip(ax, np.shape(part)):
            shape[a] = n
        v = np.reshape(part, shape)
        res = v if res is None else combine(res, v)
    return res


def _flat_strides(sizes: tuple) -> tuple:
    """Row-major strides (in elements) of an array of `sizes`."""
    return tuple(math.prod(sizes[i + 1:]) for i in range(len(sizes)))


# ---------------------------------------------------------------------------------------
# scatter / gather at flat spatial indices: a pair of primitives, each the other's backward


class _PutFlatBackward(Node):
    def backward(self, g):
        return (_take_flat(g, self.idx),)


class _TakeFlatBackward(Node):
    def backward(self, g):
        return (_put_flat(g, self.idx, self.shape, self.unique),)


def _take_flat(x: Tensor, idx: np.ndarray) -> Tensor:
    """out[n, c, i, j] = x[n, c].flat[idx[n, c, i, j]]."""
    n, c = idx.shape[:2]
    out = np.take_along_axis(x._data.reshape(n, c, -1), idx.reshape(n, c, -1), 2)
    out = out.reshape(idx.shape)
    if not needs_graph(x):
        return _make(out)
    node = _TakeFlatBackward((x,))
    node.idx, node.shape, node.unique = idx, tuple(x.shape), False
    return _make(out, node)


def _put_flat(g: Tensor, idx: np.ndarray, shape: tuple, unique: bool) -> Tensor:
    """zeros(shape) with g added at the flat spatial positions idx (repeats accumulate)."""
    n, c = shape[:2]
    hw = int(np.prod(shape[2:]))
    gd = g._data
    flat = (idx + (np.arange(n * c, dtype=np.int64) * hw).reshape(
        n, c, *(1,) * (idx.ndim - 2))).ravel()
    if unique:
        out = np.zeros(n * c * hw, dtype=gd.dtype)
        out[flat] = gd.ravel()
    else:
        out = np.bincount(flat, weights=gd.ravel(), minlength=n * c * hw)
        out = out.astype(gd.dtype, copy=False)
    out = out.reshape(shape)
    if not needs_graph(g):
        return _make(out)
    node = _PutFlatBackward((g,))
    node.idx = idx
    return _make(out, node)


# ---------------------------------------------------------------------------------------
# max pooling


class MaxPool2DWithIndicesBackward0(Node):
    """The gradient goes to each window's maximum. Windows that tile the input keep the
    tap (0 .. kh*kw-1) of their maximum (`tap`, int8) and scatter on arrays; otherwise the
    flat H*W index (`idx`) drives a scatter that is differentiable again."""

    empty = tap = idx = None

    def flat(self) -> np.ndarray:
        if self.idx is None:
            self.idx = _tap_to_flat(self.tap, self.k, self.shape[-1])
        return self.idx

    def backward(self, g):
        if self.empty is not None:   # windows wholly in the padding pass no gradient
            keep = _make((~self.empty).astype(g._data.dtype))
            idx = np.where(self.empty, 0, self.flat())
            return (_put_flat(g * keep, idx, self.shape, False),)
        return (_put_flat(g, self.flat(), self.shape, self.unique),)

    def backward_fast(self, g):
        if self.tap is None:
            return Node.backward_fast(self, g)
        return (_scatter_taps(g, self.tap, self.shape, self.k),)


class MaxPool3DWithIndicesBackward0(MaxPool2DWithIndicesBackward0):
    """The same for 3-D windows (which always keep flat D*H*W indices)."""


_MAX_POOL_NODES = {2: MaxPool2DWithIndicesBackward0, 3: MaxPool3DWithIndicesBackward0}


def _tap_to_flat(tap: np.ndarray, k: tuple, w: int) -> np.ndarray:
    """Flat H*W indices of tiled windows' maxima from their taps."""
    oh, ow = tap.shape[-2:]
    base = (np.arange(oh) * k[0])[:, None] * w + np.arange(ow) * k[1]
    offs = (np.arange(k[0])[:, None] * w + np.arange(k[1])).ravel()
    return base + offs[tap]


def _chunks(n: int, image_bytes: int):
    """Slices of the batch whose images take about _CHUNK_BYTES (so that the passes over a
    chunk's strided views run in cache)."""
    step = max(1, _CHUNK_BYTES // max(image_bytes, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def _scatter_taps(g: np.ndarray, tap: np.ndarray, shape: tuple, k: tuple) -> np.ndarray:
    """Tiled windows: dx with g at each window's maximum, one masked product per tap."""
    n, c, h, w = shape
    (kh, kw), (oh, ow) = k, tap.shape[-2:]
    dx = np.empty(shape, g.dtype) if oh * kh == h and ow * kw == w else np.zeros(shape, g.dtype)
    dxv = dx[:, :, :oh * kh, :ow * kw].reshape(n, c, oh, kh, ow, kw)
    mask = np.empty(tap.shape, bool)
    for sl in _chunks(n, dx[0].nbytes):
        for t in range(kh * kw):
            np.equal(tap[sl], t, out=mask[sl])
            np.multiply(g[sl], mask[sl], out=dxv[sl, :, :, t // kw, :, t % kw])
    return dx


def _max_pool_tiles(x: np.ndarray, k, out) -> tuple:
    """Windows that tile the input: values and the tap of each window's first maximum,
    by a running maximum over the kh*kw taps (strided views, no copy), a chunk of images
    at a time. NaN: PyTorch's scan (a NaN wins, a later NaN over an earlier one)."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = k, out
    xv = x[:, :, :oh * kh, :ow * kw].reshape(n, c, oh, kh, ow, kw)
    taps = [xv[:, :, :, t // kw, :, t % kw] for t in range(kh * kw)]
    tdt = np.int8 if len(taps) < 128 else np.int64
    vals = np.empty((n, c, oh, ow), x.dtype)
    tap, step = np.zeros(vals.shape, tdt), np.empty(vals.shape, tdt)
    hit = np.empty(vals.shape, bool)
    for sl in _chunks(n, x[0].nbytes):
        v, a, h_, st = vals[sl], tap[sl], hit[sl], step[sl]
        v[...] = taps[0][sl]
        for t in range(1, len(taps)):
            np.greater(taps[t][sl], v, out=h_)
            np.maximum(v, taps[t][sl], out=v)
            # a hit at t beats every earlier tap, and t grows: the tap is the largest hit
            np.multiply(h_, tdt(t), out=st)
            np.maximum(a, st, out=a)
    if x.dtype.kind == "f" and np.isnan(vals).any():
        run, tap = taps[0].copy(), np.zeros_like(tap)
        for t in range(1, len(taps)):
            hit = (taps[t] > run) | np.isnan(taps[t])
            run = np.where(hit, taps[t], run)
            tap[hit] = t
        vals = run
    return vals, tap


def _max_pool_forward(x: np.ndarray, k, s, p, d, out) -> tuple:
    """Windows in general (any number of spatial dims): values and flat (row-major over
    the spatial dims) argmax indices (ties go to the first in the window), and where a
    window lies wholly in the padding (or None)."""
    n, c, sizes, nd = x.shape[0], x.shape[1], x.shape[2:], len(k)
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = _pad_array(x, _pads(x.shape, k, s, p, d, out), fill)
    cols = _windows(xp, k, s, d, out).reshape(n, c, *out, math.prod(k))
    a = cols.argmax(-1)
    vals = np.take_along_axis(cols, a[..., None], -1)[..., 0]
    # flat index = window origin + the tap's offset, both as small lookup tables
    strides = _flat_strides(sizes)
    starts = [np.arange(o) * ss - pp for o, ss, pp in zip(out, s, p)]
    one_dims = [(i,) for i in range(nd)]
    base = _grid([st * m for st, m in zip(starts, strides)], one_dims, nd, np.add)
    taps_off = _grid([np.arange(kk) * dd * m for kk, dd, m in zip(k, d, strides)], one_dims,
                     nd, np.add).ravel()
    if not any(p) and all((o - 1) * ss + dd * (kk - 1) < size
                          for o, ss, dd, kk, size in zip(out, s, d, k, sizes)):
        return vals, base + taps_off[a], None
    # with padding, a maximum may sit in the padding (ties with a real -inf, or a window
    # that lies wholly in the padding): take the first real tap, as PyTorch's loop does
    real = [(st[:, None] + np.arange(kk) * dd >= 0) & (st[:, None] + np.arange(kk) * dd < size)
            for st, kk, dd, size in zip(starts, k, d, sizes)]
    valid = _grid(real, [(i, nd + i) for i in range(nd)], 2 * nd, np.logical_and)
    valid = valid.reshape(*out, math.prod(k))
    ok = np.take_along_axis(np.broadcast_to(valid, a.shape + valid.shape[-1:]), a[..., None],
                            -1)[..., 0]
    empty = None
    if not ok.all():
        a = np.where(ok, a, valid.argmax(-1))
        if not valid.any(-1).all():       # no real element: -inf, no gradient
            empty = ~valid.any(-1)
            first = [st + np.maximum(-st + dd - 1, 0) // dd * dd for st, dd in zip(starts, d)]
            idx = np.where(empty, _grid([f * m for f, m in zip(first, strides)], one_dims, nd,
                                        np.add), base + taps_off[a])
            return vals, idx, np.broadcast_to(empty, a.shape)
    return vals, base + taps_off[a], empty


def _max_pool(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool,
              return_indices: bool, nd: int, op: str):
    k, s, p, d, out = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, op, nd)
    if x.ndim == nd + 1:
        res = _max_pool(x.unsqueeze(0), k, s, p, d, ceil_mode, return_indices, nd, op)
        return (res[0].squeeze(0), res[1].squeeze(0)) if return_indices else res.squeeze(0)
    tap = idx = empty = None
    if nd == 2 and _tiles(x.shape, k, s, p, d, out):
        vals, tap = _max_pool_tiles(x._data, k, out)
        if return_indices:
            idx = _tap_to_flat(tap, k, x.shape[-1])
    else:
        vals, idx, empty = _max_pool_forward(x._data, k, s, p, d, out)
    if not needs_graph(x):
        res = _make(vals)
    else:
        node = _MAX_POOL_NODES[nd]((x,))
        node.tap, node.idx, node.k, node.shape = tap, idx, k, tuple(x.shape)
        node.unique = all(ss >= dd * (kk - 1) + 1 for ss, dd, kk in zip(s, d, k))
        node.empty = empty
        res = _make(vals, node)
    return (res, _make(idx)) if return_indices else res


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size.
    With return_indices, also the flat H*W index of each maximum (int64)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d")


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W); stride defaults to kernel_size.
    With return_indices, also the flat D*H*W index of each maximum (int64)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     3, "max_pool3d")


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling over (N, C, L) or (C, L), via max_pool2d on a height-1 input."""
    one = lambda v: v if v is None or isinstance(v, (int, np.integer)) else tuple(v)[0]  # noqa: E731
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got "
                           f"{list(getattr(input, 'shape', []))}")
    k, st = one(kernel_size), one(stride)
    res = max_pool2d(input.unsqueeze(-2), (1, k), None if st is None else (1, st),
                     (0, one(padding)), (1, one(dilation)), ceil_mode, return_indices)
    if return_indices:
        return res[0].squeeze(-2), res[1].squeeze(-2)
    return res.squeeze(-2)


def _named(fn, base, what: str):
    fn.__name__ = fn.__qualname__ = f"{base.__name__}_with_indices"
    fn.__doc__ = f"{base.__name__} returning (values, flat {what} indices of the maxima)."
    return fn


def _max_with_indices(pool, what: str):
    """PyTorch's `max_pool{n}d_with_indices`: the pool with return_indices=True always."""
    def with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                     ceil_mode: bool = False, return_indices: bool = False):
        return pool(input, kernel_size, stride, padding, dilation, ceil_mode, True)
    return _named(with_indices, pool, what)


def _adaptive_with_indices(pool, what: str):
    """PyTorch's `adaptive_max_pool{n}d_with_indices`."""
    def with_indices(input: Tensor, output_size, return_indices: bool = False):
        return pool(input, output_size, True)
    return _named(with_indices, pool, what)


# ---------------------------------------------------------------------------------------
# average pooling


def _avg_divisor(shape: tuple, k, s, p, out, count_include_pad: bool, divisor_override):
    """The (*out) array of each window's divisor, as PyTorch computes it."""
    if divisor_override is not None:
        return None
    per_dim = []
    for size, kk, ss, pp, o in zip(shape[-len(k):], k, s, p, out):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, size + pp)
        if count_include_pad:
            per_dim.append(end - start)
        else:
            per_dim.append(np.minimum(end, size) - np.maximum(start, 0))
    return _grid(per_dim, [(i,) for i in range(len(k))], len(k), np.multiply)


class AvgPool2DBackward0(Node):
    def backward(self, g):
        div = self.divisor
        g = g / div if isinstance(div, (int, float)) else g / _make(div.astype(g._data.dtype))
        (n, c), sizes = self.shape[:2], self.shape[2:]
        k, s, out, nd = self.k, self.s, self.out, len(self.k)
        if self.tiles:   # each output's gradient spread over its window, zeros after
            g = g.reshape(n, c, *sum(((o, 1) for o in out), ()))
            g = g.expand(n, c, *sum(((o, kk) for o, kk in zip(out, k)), ()))
            g = g.reshape(n, c, *(o * kk for o, kk in zip(out, k)))
            return (ag.pad(g, sum(((0, size - o * kk) for size, o, kk in
                                   reversed(list(zip(sizes, out, k)))), ())),)
        ones = _make(np.ones((1, 1) + k, dtype=g._data.dtype))
        gx = _input_grad(g.reshape(n * c, 1, *out), ones, (n * c, 1, *sizes), s, self.pads,
                         (1,) * nd, 1)
        return (gx.reshape(self.shape),)


class AvgPool3DBackward0(AvgPool2DBackward0):
    """The same for 3-D windows."""


_AVG_POOL_NODES = {2: AvgPool2DBackward0, 3: AvgPool3DBackward0}


def _avg_pool(x: Tensor, kernel_size, stride, padding, ceil_mode: bool,
              count_include_pad: bool, divisor_override, nd: int, op: str) -> Tensor:
    k, s, p, d, out = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, op, nd)
    if divisor_override is not None and int(divisor_override) == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    if x.ndim == nd + 1:
        return _avg_pool(x.unsqueeze(0), k, s, p, ceil_mode, count_include_pad,
                         divisor_override, nd, op).squeeze(0)
    xd = x._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {x.dtype}")
    n, c = xd.shape[:2]
    tiles = _tiles(xd.shape, k, s, p, d, out)
    pads = _pads(xd.shape, k, s, p, d, out)
    if tiles:   # add the taps up (strided views, no copy)
        crop = xd[(..., *(slice(0, o * kk) for o, kk in zip(out, k)))]
        xv = crop.reshape(n, c, *sum(((o, kk) for o, kk in zip(out, k)), ()))
        taps = [(slice(None),) * 2 + sum(((slice(None), t) for t in tap), ())
                for tap in np.ndindex(*k)]
        sums = xv[taps[0]].copy()
        for tap in taps[1:]:
            sums += xv[tap]
    else:
        sums = _windows(_pad_array(xd, pads), k, s, d, out).sum(tuple(range(-nd, 0)))
    div = _avg_divisor(xd.shape, k, s, p, out, count_include_pad, divisor_override)
    if div is None:
        div = int(divisor_override)
        res = sums / div
    elif tiles:
        div = math.prod(k)
        res = sums / div
    else:
        res = sums / div.astype(xd.dtype)
    res = res.astype(xd.dtype, copy=False)
    if not needs_graph(x):
        return _make(res)
    node = _AVG_POOL_NODES[nd]((x,))
    node.divisor, node.shape, node.k, node.s, node.out = div, xd.shape, k, s, out
    node.tiles, node.pads = tiles, pads
    return _make(res, node)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W); stride defaults to
    kernel_size."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 3, "avg_pool3d")


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L), via avg_pool2d on a height-1 input."""
    one = lambda v: v if v is None or isinstance(v, (int, np.integer)) else tuple(v)[0]  # noqa: E731
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got "
                           f"{list(getattr(input, 'shape', []))}")
    st = one(stride)
    return avg_pool2d(input.unsqueeze(-2), (1, one(kernel_size)), None if st is None else
                      (1, st), (0, one(padding)), ceil_mode, count_include_pad).squeeze(-2)


# ---------------------------------------------------------------------------------------
# adaptive average pooling: separable averaging matrices


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) matrix averaging rows floor(i*size/out) .. ceil((i+1)*size/out)."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    j = np.arange(size)
    mask = (j >= start[:, None]) & (j < end[:, None])
    return (mask / (end - start)[:, None]).astype(dtype)


def _adaptive_size(x: Tensor, output_size, nd: int) -> tuple:
    """output_size as a tuple of nd ints (None keeps the input's size)."""
    if isinstance(output_size, (int, np.integer)):
        output_size = (int(output_size),) * nd
    output_size = tuple(output_size)
    if len(output_size) == 1:
        output_size *= nd
    return tuple(x.shape[-nd + i] if o is None else int(o) for i, o in enumerate(output_size))


def _adaptive_check(x, output_size, op: str, nd: int = 2) -> tuple:
    """output_size as nd ints, checked with the input."""
    if not isinstance(x, Tensor) or x.ndim not in (nd + 1, nd + 2):
        colon = ":" if op.startswith("adaptive_max") else ""   # (PyTorch's two wordings)
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{colon} "
                           f"{list(getattr(x, 'shape', []))}")
    if not isinstance(output_size, (int, np.integer)) and len(output_size) not in (1, nd):
        raise RuntimeError(f"{op}: output_size must be {nd}, got {list(output_size)}")
    out = _adaptive_size(x, output_size, nd)
    if min(out) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{', '.join(map(str, out))}}}")
    empty = [d for d in range(x.ndim - nd - 1, x.ndim) if x.shape[d] == 0]
    if empty:
        raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                           f"dimensions, but input has sizes {list(x.shape)} with dimension "
                           f"{empty[0]} being empty")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {x.dtype}")
    return out


def _along(x, mats: list):
    """x with mats[i] (out_i, size_i) applied along its i-th of len(mats) trailing dims
    (numpy arrays for an array x, Tensors for a Tensor x)."""
    nd = len(mats)
    x = mats[-2] @ (x @ mats[-1].T) if nd > 1 else x @ mats[-1].T
    for i in range(nd - 3, -1, -1):   # (earlier dims: the dims after them as one)
        shape = tuple(x.shape)
        ax = len(shape) - nd + i
        x = (mats[i] @ x.reshape(*shape[:ax], shape[ax], -1)).reshape(
            *shape[:ax], mats[i].shape[0], *shape[ax + 1:])
    return x


class AdaptiveAvgPool2DBackward0(Node):
    """y = x averaged along each spatial dim by the matrix A_i: the gradient is g with
    A_i^T along each dim."""

    def backward(self, g):
        return (_along(g, [_make(np.ascontiguousarray(m.T)) for m in self.mats]),)


class AdaptiveAvgPool3DBackward0(AdaptiveAvgPool2DBackward0):
    """The same for 3-D."""


def _adaptive_avg_pool(x: Tensor, output_size, nd: int, op: str) -> Tensor:
    out = _adaptive_check(x, output_size, op, nd)
    if out == (1,) * nd:   # PyTorch takes the mean (MeanBackward1)
        return x.mean(tuple(range(-nd, 0)), keepdim=True)
    dt = x._data.dtype
    mats = [_adaptive_matrix(size, o, dt) for size, o in zip(x.shape[-nd:], out)]
    res = _along(x._data, mats)
    if not needs_graph(x):
        return _make(res)
    node = (AdaptiveAvgPool2DBackward0 if nd == 2 else AdaptiveAvgPool3DBackward0)((x,))
    node.mats = mats
    return _make(res, node)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, H, W) or (C, H, W) to a fixed output size (an int, or a
    pair with None = keep): window i spans floor(i*H/out) .. ceil((i+1)*H/out)."""
    return _adaptive_avg_pool(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size (an int,
    or a triple with None = keep)."""
    return _adaptive_avg_pool(input, output_size, 3, "adaptive_avg_pool3d")


def _check_1d(x, op: str) -> None:
    if not isinstance(x, Tensor) or x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {getattr(x, 'ndim', 0)}-"
                           f"dimensional tensor for argument #1 'self' (while checking "
                           f"arguments for {op})")


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to a fixed length."""
    _check_1d(input, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _adaptive_size(
        input, output_size, 1)[0])).squeeze(-2)


# ---------------------------------------------------------------------------------------
# adaptive max pooling: the maximum of each (variable) window, row by row then down


class AdaptiveMaxPool2DBackward0(Node):
    """The gradient goes to each window's maximum (windows may overlap: it adds up)."""

    def backward(self, g):
        return (_put_flat(g, self.idx, self.shape, False),)


class AdaptiveMaxPool3DBackward0(AdaptiveMaxPool2DBackward0):
    """The same for 3-D."""


def _adaptive_bounds(size: int, out: int) -> list:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _adaptive_max_np(x: np.ndarray, out: tuple) -> tuple:
    """Values and flat (row-major over the spatial dims) indices of the first maximum of
    each window: the maxima along the last dim's spans, then along the dim before, ..."""
    nd = len(out)
    sizes = x.shape[-nd:]
    vals, idx = x, None
    for i in range(nd - 1, -1, -1):
        ax, lead = x.ndim - nd + i, (slice(None),) * (x.ndim - nd + i)
        shape = vals.shape[:ax] + (out[i],) + vals.shape[ax + 1:]
        new_vals, new_idx = np.empty(shape, x.dtype), np.empty(shape, np.int64)
        step = math.prod(sizes[i + 1:])
        for j, (a0, a1) in enumerate(_adaptive_bounds(sizes[i], out[i])):
            seg = vals[lead + (slice(a0, a1),)]
            a = np.expand_dims(seg.argmax(ax), ax)
            new_vals[lead + (j,)] = np.take_along_axis(seg, a, ax).squeeze(ax)
            pos = (a.squeeze(ax) + a0) * step
            if idx is not None:
                pos += np.take_along_axis(idx[lead + (slice(a0, a1),)], a, ax).squeeze(ax)
            new_idx[lead + (j,)] = pos
        vals, idx = new_vals, new_idx
    return vals, idx


def _adaptive_max_pool(x: Tensor, output_size, return_indices: bool, nd: int, op: str):
    out = _adaptive_check(x, output_size, op, nd)
    if x.ndim == nd + 1:
        res = _adaptive_max_pool(x.unsqueeze(0), out, return_indices, nd, op)
        return (res[0].squeeze(0), res[1].squeeze(0)) if return_indices else res.squeeze(0)
    vals, idx = _adaptive_max_np(x._data, out)
    if not needs_graph(x):
        res = _make(vals)
    else:
        node = (AdaptiveMaxPool2DBackward0 if nd == 2 else AdaptiveMaxPool3DBackward0)((x,))
        node.idx, node.shape = idx, tuple(x.shape)
        res = _make(vals, node)
    return (res, _make(idx)) if return_indices else res


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, H, W) or (C, H, W) to a fixed output size (an int, or a pair
    with None = keep); with return_indices, also the flat H*W index of each maximum."""
    return _adaptive_max_pool(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size (an int, or
    a triple with None = keep); with return_indices, also the flat D*H*W index of each
    maximum."""
    return _adaptive_max_pool(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) or (C, L) to a fixed length."""
    _check_1d(input, "adaptive_max_pool1d")
    res = adaptive_max_pool2d(input.unsqueeze(-2), (1, _adaptive_size(input, output_size,
                                                                       1)[0]), return_indices)
    return (res[0].squeeze(-2), res[1].squeeze(-2)) if return_indices else res.squeeze(-2)


# ---------------------------------------------------------------------------------------
# max unpooling: each value back at its max-pool index, zeros elsewhere


class MaxUnpool2DBackward0(Node):
    def backward(self, g):
        return (_take_flat(g, self.idx),)


class MaxUnpool3DBackward0(MaxUnpool2DBackward0):
    """The same for 3-D."""


def _unpool_size(x: Tensor, k, s, p, output_size) -> tuple:
    """PyTorch's default output size, or output_size checked against it."""
    nd = len(k)
    default = [(x.shape[-nd + d] - 1) * s[d] + k[d] - 2 * p[d] for d in range(nd)]
    if output_size is None:
        return tuple(default)
    output_size = list(output_size)
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d in range(nd):
        lo, hi = default[d] - s[d], default[d] + s[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                             f"between {lo} and {hi})")
    return tuple(output_size)


def _max_unpool(x: Tensor, indices: Tensor, size: tuple) -> Tensor:
    if not isinstance(indices, Tensor) or indices._data.dtype != np.int64:
        dt = indices.dtype._legacy if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"elements in indices should be type int64 but got: {dt}")
    if tuple(indices.shape) != tuple(x.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if x.ndim == len(size) + 1:
        return _max_unpool(x.unsqueeze(0), indices.unsqueeze(0), size).squeeze(0)
    n, c = x.shape[:2]
    hw = math.prod(size)
    idx = indices._data
    bad = (idx < 0) | (idx >= hw)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {idx[bad].flat[0]} (output volumes "
                           f"are of size {'x'.join(map(str, size))})")
    out = np.zeros((n, c, hw), x._data.dtype)
    np.put_along_axis(out, idx.reshape(n, c, -1), x._data.reshape(n, c, -1), 2)
    out = out.reshape(n, c, *size)
    if not needs_graph(x):
        return _make(out)
    node = (MaxUnpool3DBackward0 if len(size) == 3 else MaxUnpool2DBackward0)((x,))
    node.idx = idx
    return _make(out, node)


def _max_unpool_nd(x, indices, kernel_size, stride, padding, output_size, nd: int,
                   op: str) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(getattr(x, 'shape', []))}")
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None else _ntuple(stride, nd, "stride", op)
    p = _ntuple(padding, nd, "padding", op)
    return _max_unpool(x, indices, _unpool_size(x, k, s, p, output_size))


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: each value of (N, C, H, W) placed at its index
    (from `max_pool2d(..., return_indices=True)`) in zeros of the unpooled size."""
    return _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, 2,
                          "max_unpool2d")


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool3d on (N, C, D, H, W) or (C, D, H, W)."""
    return _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, 3,
                          "max_unpool3d")


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool1d on (N, C, L) or (C, L)."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise RuntimeError(f"max_unpool1d(): Expected 2D or 3D tensor, but got "
                           f"{list(getattr(input, 'shape', []))}")
    one = lambda v: (int(v),) if isinstance(v, (int, np.integer)) else tuple(v)  # noqa: E731
    k = one(kernel_size)
    size = _unpool_size(input, k, k if stride is None else one(stride), one(padding),
                        output_size)
    if not isinstance(indices, Tensor):
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{type(indices).__name__}")
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + (1,)).squeeze(-1)


# ---------------------------------------------------------------------------------------
# power-average pooling, composed as PyTorch composes it


def _lp_pool(x: Tensor, norm_type: float, kernel_size, stride, ceil_mode: bool, nd: int,
             op: str, max_pool, avg_pool) -> Tensor:
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    if norm_type == float("inf"):
        return max_pool(x.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-x.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(x.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over each window)^(1/p) of (N, C, L) or (C, L)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d",
                    max_pool1d, avg_pool1d)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over each window)^(1/p) of (N, C, H, W) or (C, H, W); p = inf is max
    pooling of |x|."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d",
                    max_pool2d, avg_pool2d)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over each window)^(1/p) of (N, C, D, H, W) or (C, D, H, W)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d",
                    max_pool3d, avg_pool3d)


max_pool1d_with_indices = _max_with_indices(max_pool1d, "L")
max_pool2d_with_indices = _max_with_indices(max_pool2d, "H*W")
max_pool3d_with_indices = _max_with_indices(max_pool3d, "D*H*W")
adaptive_max_pool1d_with_indices = _adaptive_with_indices(adaptive_max_pool1d, "L")
adaptive_max_pool2d_with_indices = _adaptive_with_indices(adaptive_max_pool2d, "H*W")
adaptive_max_pool3d_with_indices = _adaptive_with_indices(adaptive_max_pool3d, "D*H*W")
