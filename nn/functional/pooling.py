"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d, adaptive_max_pool1d/2d,
max_unpool1d/2d, lp_pool1d/2d.

max_pool2d is a primitive (MaxPool2DWithIndicesBackward0) that keeps the argmax of each
window; its backward scatters the gradient to those positions, and the scatter's own
backward gathers from them, so it is differentiable again (adaptive max pooling and max
unpooling are the same pair of scatter and gather). avg_pool2d (AvgPool2DBackward0) is
linear: its backward is the transposed window sum, expressed with the convolution
primitive (or a broadcast when windows tile the input); adaptive average pooling is a
product with averaging matrices on each side. Windows that tile the input (stride ==
kernel, no padding) take a fast path over strided views, with no copy.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.function import Node
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

from .conv import _CHUNK_BYTES, _input_grad, _pad_array, _windows

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool1d",
           "max_unpool2d", "lp_pool1d", "lp_pool2d"]


def _pair(v, name: str, op: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * 2
    if len(v) != 2:
        raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of two ints, "
                           f"got {list(v)}")
    return v


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size (ceil mode never starts a window in the right padding)."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode, op: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4) or x.numel() == 0:
        raise RuntimeError(f"{op}: non-empty 3D or 4D (batch mode) tensor expected for input, "
                           f"got input of size {list(x.shape)}")
    k = _pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _pair(stride, "stride", op)
    p = _pair(padding, "padding", op)
    d = _pair(dilation, "dilation", op)
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be greater than zero, "
                           f"got kernel_size={k}, stride={s}, dilation={d}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    h, w = x.shape[-2:]
    oh = _pool_out(h, k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode)
    if oh < 1 or ow < 1:
        c = x.shape[-3]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{oh}x{ow}). Output size is too small")
    return k, s, p, d, (oh, ow)


def _pads(shape: tuple, k, s, p, d, out) -> tuple:
    """(top, bottom, left, right) so that every window lies inside the padded input."""
    h, w = shape[-2:]
    bottom = max(p[0], (out[0] - 1) * s[0] + d[0] * (k[0] - 1) + 1 - h - p[0])
    right = max(p[1], (out[1] - 1) * s[1] + d[1] * (k[1] - 1) + 1 - w - p[1])
    return (p[0], bottom, p[1], right)


def _tiles(shape: tuple, k, s, p, d, out) -> bool:
    """True when the windows tile the input without overlap or padding."""
    return s == k and p == (0, 0) and d == (1, 1) and \
        out[0] * k[0] <= shape[-2] and out[1] * k[1] <= shape[-1]


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
    """Windows in general: values and flat (row * W + col) argmax indices (ties go to the
    first in the window), and where a window lies wholly in the padding (or None)."""
    n, c, h, w = x.shape
    oh, ow = out
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = _pad_array(x, _pads(x.shape, k, s, p, d, out), fill)
    cols = _windows(xp, k, s, d, out).reshape(n, c, oh, ow, k[0] * k[1])
    a = cols.argmax(-1)
    vals = np.take_along_axis(cols, a[..., None], -1)[..., 0]
    # flat index = window origin + the tap's offset, both as small lookup tables
    r0, c0 = np.arange(oh) * s[0] - p[0], np.arange(ow) * s[1] - p[1]
    base = r0[:, None] * w + c0
    taps_off = (np.arange(k[0])[:, None] * d[0] * w + np.arange(k[1]) * d[1]).ravel()
    if p == (0, 0) and (oh - 1) * s[0] + d[0] * (k[0] - 1) < h and \
            (ow - 1) * s[1] + d[1] * (k[1] - 1) < w:
        return vals, base + taps_off[a], None
    # with padding, a maximum may sit in the padding (ties with a real -inf, or a window
    # that lies wholly in the padding): take the first real tap, as PyTorch's loop does
    vr = (r0[:, None] + np.arange(k[0]) * d[0] >= 0) & (r0[:, None] + np.arange(k[0]) * d[0] < h)
    vc = (c0[:, None] + np.arange(k[1]) * d[1] >= 0) & (c0[:, None] + np.arange(k[1]) * d[1] < w)
    valid = (vr[:, None, :, None] & vc[None, :, None, :]).reshape(oh, ow, k[0] * k[1])
    ok = np.take_along_axis(np.broadcast_to(valid, a.shape + valid.shape[-1:]), a[..., None],
                            -1)[..., 0]
    empty = None
    if not ok.all():
        a = np.where(ok, a, valid.argmax(-1))
        if not valid.any(-1).all():       # no real element: -inf, no gradient
            empty = ~valid.any(-1)
            rs = r0 + np.maximum(-r0 + d[0] - 1, 0) // d[0] * d[0]
            cs = c0 + np.maximum(-c0 + d[1] - 1, 0) // d[1] * d[1]
            idx = np.where(empty, rs[:, None] * w + cs, base + taps_off[a])
            return vals, idx, np.broadcast_to(empty, a.shape)
    return vals, base + taps_off[a], empty


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size.
    With return_indices, also the flat H*W index of each maximum (int64)."""
    x = input
    k, s, p, d, out = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode,
                                 "max_pool2d")
    if x.ndim == 3:
        res = max_pool2d(x.unsqueeze(0), k, s, p, d, ceil_mode, return_indices)
        return (res[0].squeeze(0), res[1].squeeze(0)) if return_indices else res.squeeze(0)
    tap = idx = empty = None
    if _tiles(x.shape, k, s, p, d, out):
        vals, tap = _max_pool_tiles(x._data, k, out)
        if return_indices:
            idx = _tap_to_flat(tap, k, x.shape[-1])
    else:
        vals, idx, empty = _max_pool_forward(x._data, k, s, p, d, out)
    if not needs_graph(x):
        res = _make(vals)
    else:
        node = MaxPool2DWithIndicesBackward0((x,))
        node.tap, node.idx, node.k, node.shape = tap, idx, k, tuple(x.shape)
        node.unique = s[0] >= d[0] * (k[0] - 1) + 1 and s[1] >= d[1] * (k[1] - 1) + 1
        node.empty = empty
        res = _make(vals, node)
    return (res, _make(idx)) if return_indices else res


def _unbatched(fn, x: Tensor, *args) -> Tensor:
    if x.ndim == 3:
        return fn(x.unsqueeze(0), *args).squeeze(0)
    return fn(x, *args)


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


# ---------------------------------------------------------------------------------------
# average pooling


def _avg_divisor(shape: tuple, k, s, p, out, count_include_pad: bool, divisor_override):
    """(OH, OW) array of the divisor of each window, as PyTorch computes it."""
    if divisor_override is not None:
        return None
    h, w = shape[-2:]
    per_dim = []
    for size, kk, ss, pp, o in ((h, k[0], s[0], p[0], out[0]), (w, k[1], s[1], p[1], out[1])):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, size + pp)
        if count_include_pad:
            per_dim.append(end - start)
        else:
            per_dim.append(np.minimum(end, size) - np.maximum(start, 0))
    return np.outer(per_dim[0], per_dim[1])


class AvgPool2DBackward0(Node):
    def backward(self, g):
        div = self.divisor
        g = g / div if isinstance(div, (int, float)) else g / _make(div.astype(g._data.dtype))
        n, c, h, w = self.shape
        k, s, out = self.k, self.s, self.out
        if self.tiles:
            g = g.reshape(n, c, out[0], 1, out[1], 1).expand(n, c, out[0], k[0], out[1], k[1])
            g = g.reshape(n, c, out[0] * k[0], out[1] * k[1])
            return (ag.pad(g, (0, w - out[1] * k[1], 0, h - out[0] * k[0])),)
        ones = _make(np.ones((1, 1) + k, dtype=g._data.dtype))
        gx = _input_grad(g.reshape(n * c, 1, *out), ones, (n * c, 1, h, w), s, self.pads,
                         (1, 1), 1)
        return (gx.reshape(n, c, h, w),)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""
    x = input
    k, s, p, d, out = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    if divisor_override is not None and int(divisor_override) == 0:
        raise RuntimeError("avg_pool2d: divisor must be not zero")
    if x.ndim == 3:
        return _unbatched(avg_pool2d, x, k, s, p, ceil_mode, count_include_pad, divisor_override)
    xd = x._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"avg_pool2d: expected a floating-point input, got {x.dtype}")
    n, c, h, w = xd.shape
    tiles = _tiles(xd.shape, k, s, p, d, out)
    pads = _pads(xd.shape, k, s, p, d, out)
    if tiles:
        xv = xd[:, :, :out[0] * k[0], :out[1] * k[1]].reshape(n, c, out[0], k[0], out[1], k[1])
        sums = xv[:, :, :, 0, :, 0].copy()
        for t in range(1, k[0] * k[1]):     # add the kh*kw taps (strided views)
            sums += xv[:, :, :, t // k[1], :, t % k[1]]
    else:
        sums = _windows(_pad_array(xd, pads), k, s, d, out).sum((-2, -1))
    div = _avg_divisor(xd.shape, k, s, p, out, count_include_pad, divisor_override)
    if div is None:
        div = int(divisor_override)
        res = sums / div
    elif tiles:
        div = k[0] * k[1]
        res = sums / div
    else:
        res = sums / div.astype(xd.dtype)
    res = res.astype(xd.dtype, copy=False)
    if not needs_graph(x):
        return _make(res)
    node = AvgPool2DBackward0((x,))
    node.divisor, node.shape, node.k, node.s, node.out = div, xd.shape, k, s, out
    node.tiles, node.pads = tiles, pads
    return _make(res, node)


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


def _adaptive_check(x, output_size, op: str) -> tuple:
    if not isinstance(x, Tensor) or x.ndim not in (3, 4):
        colon = ":" if op == "adaptive_max_pool2d" else ""   # (PyTorch's two wordings)
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got{colon} "
                           f"{list(getattr(x, 'shape', []))}")
    oh, ow = _adaptive_size(x, output_size, 2)
    if oh < 0 or ow < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{oh}, {ow}}}")
    empty = [d for d in range(x.ndim - 3, x.ndim) if x.shape[d] == 0]
    if empty:
        raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                           f"dimensions, but input has sizes {list(x.shape)} with dimension "
                           f"{empty[0]} being empty")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {x.dtype}")
    return oh, ow


class AdaptiveAvgPool2DBackward0(Node):
    """y = A_h x A_w (averaging matrices): the gradient is A_h^T g A_w^T."""

    def backward(self, g):
        return (_make(self.ah.T) @ g @ _make(self.aw.T),)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, H, W) or (C, H, W) to a fixed output size (an int, or a
    pair with None = keep): window i spans floor(i*H/out) .. ceil((i+1)*H/out)."""
    x = input
    oh, ow = _adaptive_check(x, output_size, "adaptive_avg_pool2d")
    h, w = x.shape[-2:]
    if (oh, ow) == (1, 1):   # PyTorch takes the mean (MeanBackward1)
        return x.mean((-2, -1), keepdim=True)
    dt = x._data.dtype
    ah, aw = _adaptive_matrix(h, oh, dt), _adaptive_matrix(w, ow, dt).T.copy()
    out = ah @ x._data @ aw
    if not needs_graph(x):
        return _make(out)
    node = AdaptiveAvgPool2DBackward0((x,))
    node.ah, node.aw = ah, aw
    return _make(out, node)


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


def _adaptive_bounds(size: int, out: int) -> list:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _adaptive_max_np(x: np.ndarray, oh: int, ow: int) -> tuple:
    """Values and flat H*W indices of the first maximum (in row-major order) of each
    window: the maximum along each row's column span, then down the row span."""
    n, c, h, w = x.shape
    colmax = np.empty((n, c, h, ow), x.dtype)
    colarg = np.empty((n, c, h, ow), np.int64)
    for j, (c0, c1) in enumerate(_adaptive_bounds(w, ow)):
        a = x[..., c0:c1].argmax(-1)
        colarg[..., j] = a + c0
        colmax[..., j] = np.take_along_axis(x[..., c0:c1], a[..., None], -1)[..., 0]
    vals = np.empty((n, c, oh, ow), x.dtype)
    rows = np.empty((n, c, oh, ow), np.int64)
    for i, (r0, r1) in enumerate(_adaptive_bounds(h, oh)):
        a = colmax[:, :, r0:r1].argmax(2)
        rows[:, :, i] = a + r0
        vals[:, :, i] = np.take_along_axis(colmax[:, :, r0:r1], a[:, :, None], 2)[:, :, 0]
    return vals, rows * w + np.take_along_axis(colarg, rows, 2)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, H, W) or (C, H, W) to a fixed output size (an int, or a pair
    with None = keep); with return_indices, also the flat H*W index of each maximum."""
    x = input
    oh, ow = _adaptive_check(x, output_size, "adaptive_max_pool2d")
    if x.ndim == 3:
        res = adaptive_max_pool2d(x.unsqueeze(0), (oh, ow), return_indices)
        return (res[0].squeeze(0), res[1].squeeze(0)) if return_indices else res.squeeze(0)
    vals, idx = _adaptive_max_np(x._data, oh, ow)
    if not needs_graph(x):
        res = _make(vals)
    else:
        node = AdaptiveMaxPool2DBackward0((x,))
        node.idx, node.shape = idx, tuple(x.shape)
        res = _make(vals, node)
    return (res, _make(idx)) if return_indices else res


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
    if x.ndim == 3:
        return _max_unpool(x.unsqueeze(0), indices.unsqueeze(0), size).squeeze(0)
    n, c = x.shape[:2]
    hw = size[0] * size[1]
    idx = indices._data
    bad = (idx < 0) | (idx >= hw)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {idx[bad].flat[0]} (output volumes "
                           f"are of size {size[0]}x{size[1]})")
    out = np.zeros((n, c, hw), x._data.dtype)
    np.put_along_axis(out, idx.reshape(n, c, -1), x._data.reshape(n, c, -1), 2)
    out = out.reshape(n, c, *size)
    if not needs_graph(x):
        return _make(out)
    node = MaxUnpool2DBackward0((x,))
    node.idx = idx
    return _make(out, node)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: each value of (N, C, H, W) placed at its index
    (from `max_pool2d(..., return_indices=True)`) in zeros of the unpooled size."""
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise RuntimeError(f"max_unpool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(getattr(input, 'shape', []))}")
    k = _pair(kernel_size, "kernel_size", "max_unpool2d")
    s = k if stride is None else _pair(stride, "stride", "max_unpool2d")
    p = _pair(padding, "padding", "max_unpool2d")
    return _max_unpool(input, indices, _unpool_size(input, k, s, p, output_size))


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


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over each window)^(1/p) of (N, C, H, W) or (C, H, W); p = inf is max
    pooling of |x|."""
    kh, kw = _pair(kernel_size, "kernel_size", "lp_pool2d")
    if norm_type == float("inf"):
        return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """(sum of x^p over each window)^(1/p) of (N, C, L) or (C, L)."""
    if norm_type == float("inf"):
        return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    k = kernel_size if isinstance(kernel_size, (int, np.integer)) else tuple(kernel_size)[0]
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(k).pow(1.0 / norm_type)
