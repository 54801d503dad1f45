"""Resizing: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, area), its
deprecated upsample forms, pixel_shuffle and pixel_unshuffle.

Interpolation is separable: along each resized dim, every output position is a weighted
sum of K input positions (K = 1 nearest, 2 linear, 4 cubic) whose indices never decrease
along the output, computed as PyTorch computes them (its float precision and rounding,
its scale from `scale_factor` when one is given). The forward gathers and weights, dim by
dim; the backward is its adjoint, which adds each output's gradient back to its sources,
one segment sum per tap (np.add.reduceat over the runs of equal indices). Each is the
other's derivative, so both differentiate any number of times. 'area' is adaptive average
pooling. pixel_shuffle and pixel_unshuffle are reshapes and permutes, each the other's
inverse and adjoint; channel_shuffle is one too.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from autograd.function import Node
from autograd.ops.base import needs_graph, to_tensor
from autograd.tensor import Tensor, _make

from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle"]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


# ---------------------------------------------------------------------------------------
# one dim's taps: indices (K, out) and weights (K, out), as PyTorch computes them


def _source_scale(n_in: int, n_out: int, align_corners: bool, scale, t) -> np.ndarray:
    """area_pixel_compute_scale: input positions per output position, in type t."""
    if align_corners:
        return t(n_in - 1) / t(n_out - 1) if n_out > 1 else t(0)
    if scale is not None and scale > 0:
        return t(1.0 / scale)
    return t(n_in) / t(n_out)


def _taps(mode: str, n_in: int, n_out: int, align_corners: bool, scale, t) -> tuple:
    dst = np.arange(n_out)
    if mode in ("nearest", "nearest-exact"):   # PyTorch computes these in float32
        if mode == "nearest" and n_out == n_in:
            return dst[None], None
        if mode == "nearest" and n_out == 2 * n_in:
            return (dst >> 1)[None], None
        s = _source_scale(n_in, n_out, False, scale, np.float32)
        if mode == "nearest":
            src = np.floor(dst.astype(np.float32) * s)
        else:
            src = np.floor(((dst + 0.5) * np.float64(s)).astype(np.float32))
        return np.minimum(src.astype(np.int64), n_in - 1)[None], None
    s = _source_scale(n_in, n_out, align_corners, scale, t)
    d = dst.astype(t)
    src = s * d if align_corners else s * (d + t(0.5)) - t(0.5)
    if mode != "bicubic":   # linear
        src = np.maximum(src, t(0))
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        lam = np.clip(src - i0.astype(t), t(0), t(1))
        i1 = i0 + (i0 < n_in - 1)
        return np.stack([i0, i1]), np.stack([t(1) - lam, lam])
    i0 = np.floor(src).astype(np.int64)
    x = src - i0.astype(t)
    w = np.stack(cubic_weights(x, t(-0.75))).astype(t)
    idx = np.clip(i0[None] + np.arange(-1, 3)[:, None], 0, n_in - 1)
    return idx, w


def cubic_weights(x, a) -> list:
    """Keys' cubic convolution (A = a) as PyTorch writes it: the weights of the taps at
    floor - 1, floor, floor + 1, floor + 2 for the fraction x (arrays or Tensors)."""
    near = lambda v: ((a + 2) * v - (a + 3)) * v * v + 1   # noqa: E731  (|v| <= 1)
    far = lambda v: ((a * v - 5 * a) * v + 8 * a) * v - 4 * a   # noqa: E731  (1 < |v| < 2)
    return [far(x + 1), near(x), near(1 - x), far(2 - x)]


def _gather(x: np.ndarray, axis: int, idx: np.ndarray, w) -> np.ndarray:
    shape = [1] * x.ndim
    shape[axis] = -1
    out = None
    for k in range(idx.shape[0]):
        part = np.take(x, idx[k], axis)
        if w is not None:
            part = part * w[k].reshape(shape)
        out = part if out is None else out + part
    return out


def _scatter(g: np.ndarray, axis: int, idx: np.ndarray, w, n_in: int) -> np.ndarray:
    """The adjoint of _gather: each output's gradient added to its sources."""
    shape = [1] * g.ndim
    shape[axis] = -1
    out_shape = list(g.shape)
    out_shape[axis] = n_in
    out = np.zeros(out_shape, g.dtype)
    at = (slice(None),) * axis
    for k in range(idx.shape[0]):
        part = g if w is None else g * w[k].reshape(shape)
        starts = np.flatnonzero(np.diff(idx[k], prepend=-1))   # runs of one source
        out[at + (idx[k][starts],)] += np.add.reduceat(part, starts, axis)
    return out


class _UpsampleNode(Node):
    """An interpolation: the backward adds each output's gradient back to its sources."""

    def backward(self, g):
        return (_resample(g, self.maps, False, type(self)),)


class UpsampleBackwardBackward0(Node):
    """The adjoint of an interpolation (its backward), differentiated by the interpolation."""

    def backward(self, g):
        return (_resample(g, self.maps, True, self.partner),)


_NODES = {(m, d): type(f"Upsample{name}{d}DBackward0", (_UpsampleNode,), {})
          for m, name, dims in (("nearest", "Nearest", (1, 2)),
                                ("nearest-exact", "NearestExact", (1, 2)),
                                ("linear", "Linear", (1,)), ("bilinear", "Bilinear", (2,)),
                                ("bicubic", "Bicubic", (2,))) for d in dims}


def _resample(x: Tensor, maps: tuple, forward: bool, cls: type) -> Tensor:
    """Interpolate x along each map's axis (forward) or add back (the adjoint); the node
    is `cls` (forward) or the adjoint's, either way the other direction's backward."""
    out = x._data
    for axis, n_in, idx, w in (maps if forward else reversed(maps)):
        out = _gather(out, axis, idx, w) if forward else _scatter(out, axis, idx, w, n_in)
    if not needs_graph(x):
        return _make(out)
    if forward:
        n = cls((x,))
    else:
        n = UpsampleBackwardBackward0((x,))
        n.partner = cls
    n.maps = maps
    return _make(out, n)


# ---------------------------------------------------------------------------------------
# interpolate


def _spatial_list(v, nd: int, what: str, x: Tensor) -> list:
    seq = list(v) if isinstance(v, (tuple, list)) else [v] * nd
    if len(seq) != nd:
        letter, of = ("o", "output size of") if what == "output size" else \
            ("s", "scale_factor of shape")
        who = "output" if what == "output size" else what
        raise ValueError(f"Input and {who} must have the same number of spatial dimensions, "
                         f"but got input with spatial dimensions of {list(x.shape[2:])} and "
                         f"{of} {v}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                         f"format and {what} in ({letter}1, {letter}2, ...,{letter}K) format.")
    return seq


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) to `size` or by `scale_factor` (output size
    floor(input size * scale_factor)). Modes: 'nearest', 'nearest-exact', 'linear' (3-D),
    'bilinear' and 'bicubic' (4-D), 'area'; `align_corners` (interpolating modes) maps the
    corner pixels' centres onto each other."""
    x = input
    if not isinstance(x, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not "
                        f"{type(x).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and not (mode in ("bilinear", "bicubic") and x.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    nd = x.ndim - 2
    if mode not in _MODES or nd not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {x.ndim}D) for the modes: nearest | linear | "
                                  f"bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    need = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}.get(mode)
    if need is not None and x.ndim != need:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {need}D input")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    scales = None
    if size is not None:
        sizes = _spatial_list(size, nd, "output size", x)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in sizes):
            raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] "
                            f"or Tuple[int, int, int], but got size with types "
                            f"{[type(s) for s in sizes]}")
        sizes = [int(s) for s in sizes]
    else:
        scales = [float(s) for s in _spatial_list(scale_factor, nd, "scale_factor", x)]
        sizes = [math.floor(n * s) for n, s in zip(x.shape[2:], scales)]
        if recompute_scale_factor:
            scales = None
    if nd == 3 or antialias:
        what = "antialias" if antialias else f"5-D input ({mode})"
        raise NotImplementedError(f"interpolate: {what} is not supported by this engine")
    names = ("H", "W")[-nd:] if nd == 2 else ("W",)
    if min(sizes) <= 0 or 0 in x.shape[2:]:
        ins = ", ".join(f"{n}: {s}" for n, s in zip(names, x.shape[2:]))
        outs = ", ".join(f"{n}: {s}" for n, s in zip(names, sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({ins}) output ({outs})")
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"interpolate ({mode}) is not implemented for "
                                  f"{x.dtype._legacy} tensors")
    if mode == "area":
        return (adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d)(x, sizes)
    t = x._data.dtype.type
    maps = []
    for i, (n_in, n_out) in enumerate(zip(x.shape[2:], sizes)):
        idx, w = _taps(mode, n_in, n_out, align_corners,
                       None if scales is None else scales[i], t)
        maps.append((2 + i, n_in, idx, w))
    return _resample(x, tuple(maps), True, _NODES[mode, nd])


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated: `interpolate`."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: `interpolate(..., mode='nearest')`."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: `interpolate(..., mode='bilinear', align_corners=True)`."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", UserWarning, stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------
# pixel shuffle: (*, C r^2, H, W) <-> (*, C, H r, W r)


def _shuffle_np(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return np.ascontiguousarray(y).reshape(*lead, c // (r * r), h * r, w * r)


def _unshuffle_np(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return np.ascontiguousarray(y).reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffleBackward0(Node):
    def backward(self, g):
        return (_shuffle(g, self.r, False),)


class PixelUnshuffleBackward0(Node):
    def backward(self, g):
        return (_shuffle(g, self.r, True),)


def _shuffle(x: Tensor, r: int, up: bool) -> Tensor:
    out = (_shuffle_np if up else _unshuffle_np)(x._data, r)
    if not needs_graph(x):
        return _make(out)
    n = (PixelShuffleBackward0 if up else PixelUnshuffleBackward0)((x,))
    n.r = r
    return _make(out, n)


def _factor(x, r, op: str, what: str) -> int:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{what}_factor' (position 2) must be int, not "
                        f"{type(r).__name__}")
    if x.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input "
                           f"with {x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{op} expects a positive {what}_factor, but got {r}")
    return int(r)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r): each group of r^2 channels becomes an
    r x r block of pixels (sub-pixel convolution's upsampling)."""
    r = _factor(input, upscale_factor, "pixel_shuffle", "upscale")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return _shuffle(input, r, True)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W): the inverse of pixel_shuffle."""
    r = _factor(input, downscale_factor, "pixel_unshuffle", "downscale")
    for name, d in (("height", -2), ("width", -1)):
        if input.shape[d] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({d})={input.shape[d]} is not "
                               f"divisible by {r}")
    return _shuffle(input, r, False)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with C = groups * k: channel g * k + i moves to i * groups + g (ShuffleNet)."""
    x = to_tensor(input, "input")
    if x.ndim <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c = x.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    return x.reshape(n, groups, c // groups, *x.shape[2:]).transpose(1, 2).reshape(x.shape)
