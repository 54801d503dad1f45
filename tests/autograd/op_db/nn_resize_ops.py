"""Registry entries: padding (F.pad), interpolation and pixel shuffling.

References work one output position at a time from PyTorch's definitions (its formulas
for source positions, in its float precision), independent of the vectorised ops.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as hs

import nn.functional as F

from .core import OpInfo, Sample, floats

# ---------------------------------------------------------------------------------------
# pad


def ref_pad(x, pad, mode="constant", value=None):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    pos = [(max(a, 0), max(b, 0)) for a, b in widths]
    neg = [(max(-a, 0), max(-b, 0)) for a, b in widths]
    if mode == "constant":
        x = np.pad(x, pos, constant_values=0 if value is None else value)
    else:
        x = np.pad(x, pos, mode={"replicate": "edge", "circular": "wrap"}.get(mode, mode))
    return x[tuple(slice(a, x.shape[i] - b) for i, (a, b) in enumerate(neg))]


@hs.composite
def _pad_sample(draw, mode):
    k = draw(hs.integers(1, 3))
    nd = k + draw(hs.integers(0 if mode == "constant" else 1, 2 if mode != "constant" else 1))
    shape = tuple(draw(hs.integers(1, 2)) for _ in range(nd - k)) + \
        tuple(draw(hs.integers(2, 4)) for _ in range(k))
    lo = -1 if mode in ("constant", "reflect", "replicate") else 0
    pad = []
    for d in range(k):   # the last dim first; every output size at least 1
        n = shape[-1 - d]
        hi = n - 1 if mode == "reflect" else 2
        left = draw(hs.integers(lo, hi))
        pad += [left, draw(hs.integers(max(lo, 1 - n - left), hi))]
    kw = dict(pad=tuple(pad), mode=mode)
    if mode == "constant" and draw(hs.booleans()):
        kw["value"] = 0.5
    return Sample((draw(floats(shape)),), kw)


# ---------------------------------------------------------------------------------------
# interpolate


def _weights(mode, n_in, n_out, align_corners, scale, t):
    """(n_out, n_in) matrix: output position i as a weighted sum of input positions."""
    m = np.zeros((n_out, n_in))
    f32 = np.float32
    for i in range(n_out):
        if mode in ("nearest", "nearest-exact"):
            s = f32(1.0 / scale) if scale else f32(n_in) / f32(n_out)
            if mode == "nearest":
                src = i if n_out == n_in else i // 2 if n_out == 2 * n_in else \
                    int(math.floor(f32(i) * s))
            else:
                src = int(math.floor(f32((i + 0.5) * float(s))))
            m[i, min(src, n_in - 1)] = 1
            continue
        if align_corners:
            s = t(n_in - 1) / t(n_out - 1) if n_out > 1 else t(0)
            x = s * t(i)
        else:
            s = t(1.0 / scale) if scale else t(n_in) / t(n_out)
            x = s * (t(i) + t(0.5)) - t(0.5)
        if mode == "linear":
            x = max(x, t(0))
            j = min(int(math.floor(x)), n_in - 1)
            lam = min(max(x - t(j), t(0)), t(1))
            m[i, j] += 1 - lam
            m[i, min(j + 1, n_in - 1)] += lam
        else:   # cubic, A = -0.75, indices clamped at the borders
            j = int(math.floor(x))
            u = x - j
            a = -0.75
            for tap, v in enumerate((u + 1, u, 1 - u, 2 - u)):
                v = abs(v)
                w = ((a + 2) * v - (a + 3)) * v * v + 1 if v <= 1 else \
                    ((a * v - 5 * a) * v + 8 * a) * v - 4 * a
                m[i, min(max(j - 1 + tap, 0), n_in - 1)] += w
    return m


def ref_interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    nd = x.ndim - 2
    scales = [scale_factor] * nd if isinstance(scale_factor, (int, float)) else \
        list(scale_factor or [None] * nd)
    sizes = [size] * nd if isinstance(size, int) else list(size) if size else \
        [math.floor(n * s) for n, s in zip(x.shape[2:], scales)]
    kind = "linear" if mode in ("linear", "bilinear") else mode
    if mode == "area":   # adaptive average pooling
        mats = []
        for n_in, n_out in zip(x.shape[2:], sizes):
            m = np.zeros((n_out, n_in))
            for i in range(n_out):
                a, b = i * n_in // n_out, -(-(i + 1) * n_in // n_out)
                m[i, a:b] = 1 / (b - a)
            mats.append(m)
    else:
        mats = [_weights(kind if kind != "bicubic" else "cubic", n_in, n_out, align_corners,
                         s, np.float64) for n_in, n_out, s in zip(x.shape[2:], sizes, scales)]
    out = np.einsum("ncl,ol->nco", x, mats[0]) if nd == 1 else \
        np.einsum("nchw,oh,pw->ncop", x, mats[0], mats[1])
    return out


@hs.composite
def _interp_sample(draw, mode):
    nd = 1 if mode == "linear" else 2 if mode in ("bilinear", "bicubic") else \
        draw(hs.integers(1, 2))
    shape = (draw(hs.integers(1, 2)), draw(hs.integers(1, 2))) + \
        tuple(draw(hs.integers(1, 4)) for _ in range(nd))
    kw = dict(mode=mode)
    if draw(hs.booleans()):
        sizes = tuple(draw(hs.integers(1, 6)) for _ in range(nd))
        kw["size"] = sizes if nd == 2 else sizes[0]
    else:
        scales = tuple(draw(hs.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])) for _ in range(nd))
        if any(math.floor(n * s) < 1 for n, s in zip(shape[2:], scales)):
            scales = (2.0,) * nd
        kw["scale_factor"] = scales if nd == 2 else scales[0]
    if mode in ("linear", "bilinear", "bicubic"):
        kw["align_corners"] = draw(hs.booleans())
    return Sample((draw(floats(shape)),), kw)


# ---------------------------------------------------------------------------------------
# pixel shuffle


def ref_pixel_shuffle(x, upscale_factor):
    r = upscale_factor
    n, c, h, w = x.shape
    out = np.empty((n, c // (r * r), h * r, w * r))
    for ch in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[:, ch, i::r, j::r] = x[:, ch * r * r + i * r + j]
    return out


def ref_pixel_unshuffle(x, downscale_factor):
    r = downscale_factor
    n, c, h, w = x.shape
    out = np.empty((n, c * r * r, h // r, w // r))
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                out[:, ch * r * r + i * r + j] = x[:, ch, i::r, j::r]
    return out


@hs.composite
def _shuffle_sample(draw, up):
    r = draw(hs.integers(1, 3))
    n, c, h, w = (draw(hs.integers(1, 2)) for _ in range(4))
    shape = (n, c * r * r, h, w) if up else (n, c, h * r, w * r)
    return Sample((draw(floats(shape)),), dict(upscale_factor=r) if up else
                  dict(downscale_factor=r))


def ref_channel_shuffle(x, groups):
    out = np.empty_like(x)
    k = x.shape[1] // groups
    for g in range(groups):
        for i in range(k):
            out[:, i * groups + g] = x[:, g * k + i]
    return out


@hs.composite
def _channel_shuffle_sample(draw):
    groups, k = draw(hs.integers(1, 3)), draw(hs.integers(1, 3))
    shape = (draw(hs.integers(1, 2)), groups * k) + \
        tuple(draw(hs.integers(1, 2)) for _ in range(draw(hs.integers(1, 2))))
    return Sample((draw(floats(shape)),), dict(groups=groups))


OPS = [
    *[OpInfo(f"nn.functional.pad_{mode}", F.pad, ref_pad, _pad_sample(mode))
      for mode in ("constant", "reflect", "replicate", "circular")],
    *[OpInfo(f"nn.functional.interpolate_{mode}", F.interpolate, ref_interpolate,
             _interp_sample(mode), ref_atol=1e-9)
      for mode in ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "area")],
    OpInfo("nn.functional.pixel_shuffle", F.pixel_shuffle, ref_pixel_shuffle,
           _shuffle_sample(True)),
    OpInfo("nn.functional.pixel_unshuffle", F.pixel_unshuffle, ref_pixel_unshuffle,
           _shuffle_sample(False)),
    OpInfo("nn.functional.channel_shuffle", F.channel_shuffle, ref_channel_shuffle,
           _channel_shuffle_sample()),
]
