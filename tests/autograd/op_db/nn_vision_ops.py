"""Registry entries: affine_grid and grid_sample (spatial transformers).

The references follow PyTorch's scalar CPU kernel one output position at a time
(unnormalise, pad by clipping or reflecting, then read 1, 2^nd or 4 x 4 pixels),
independent of the vectorised composite. Sample grids keep positions away from pixel
centres (where the grid's gradient jumps), and reach outside the image.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as hs

import nn.functional as F

from .core import OpInfo, Sample, floats

# ---------------------------------------------------------------------------------------
# affine_grid


def ref_affine_grid(theta, size, align_corners):
    spatial = size[2:]
    axes = []
    for n in spatial:
        if n == 1:
            axes.append(np.zeros(1))
        elif align_corners:
            axes.append(np.linspace(-1, 1, n))
        else:
            axes.append((2 * np.arange(n) + 1) / n - 1)
    out = np.zeros((size[0], *spatial, len(spatial)))
    for pos in np.ndindex(*spatial):
        base = np.array([axes[d][pos[d]] for d in reversed(range(len(spatial)))] + [1.0])
        for b in range(size[0]):
            out[(b, *pos)] = theta[b] @ base
    return out


@hs.composite
def _affine_sample(draw):
    nd = draw(hs.sampled_from([2, 2, 3]))
    n = draw(hs.integers(1, 2))
    size = (n, draw(hs.integers(1, 2))) + tuple(draw(hs.integers(2, 4)) for _ in range(nd))
    theta = draw(floats((n, nd, nd + 1)))
    return Sample((theta,), dict(size=size, align_corners=draw(hs.booleans())))


# ---------------------------------------------------------------------------------------
# grid_sample


def _ref_unnormalize(coord, size, align_corners):
    return (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2


def _ref_pad(x, size, padding_mode, align_corners):
    if padding_mode == "reflection":
        lo, hi = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if lo == hi:
            x = 0.0
        else:
            mn, span = lo / 2, (hi - lo) / 2
            x = abs(x - mn)
            extra, flips = math.fmod(x, span), math.floor(x / span)
            x = extra + mn if flips % 2 == 0 else span - extra + mn
    if padding_mode != "zeros":
        x = min(max(x, 0), size - 1)
    return x


def _keys(d, a=-0.75):
    """Keys' cubic convolution kernel at distance d."""
    d = abs(d)
    if d <= 1:
        return ((a + 2) * d - (a + 3)) * d * d + 1
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a if d < 2 else 0.0


def ref_grid_sample(x, grid, mode, padding_mode, align_corners):
    spatial = x.shape[2:]
    nd = len(spatial)
    out = np.zeros(x.shape[:2] + grid.shape[1:-1])
    for b, *at in np.ndindex(x.shape[0], *grid.shape[1:-1]):
        # the position along each spatial dim (grid lists x, y, z: the dims reversed)
        raw = [_ref_unnormalize(grid[(b, *at, nd - 1 - d)], size, align_corners)
               for d, size in enumerate(spatial)]
        pos = [_ref_pad(p, size, padding_mode, align_corners) for p, size in zip(raw, spatial)]
        taps = []
        if mode == "nearest":
            taps = [([round(p) for p in pos], 1.0)]   # round half to even, as nearbyint
        elif mode == "bilinear":
            for offsets in itertools.product((0, 1), repeat=nd):
                corner = [math.floor(p) + o for p, o in zip(pos, offsets)]
                taps.append((corner, math.prod(1 - abs(p - k) for p, k in zip(pos, corner))))
        else:   # bicubic: 4 x 4 taps around the unpadded position, each tap padded
            for offsets in itertools.product(range(-1, 3), repeat=nd):
                corner = [math.floor(p) + o for p, o in zip(raw, offsets)]
                weight = math.prod(_keys(p - k) for p, k in zip(raw, corner))
                taps.append(([round(_ref_pad(k, size, padding_mode, align_corners))
                              for k, size in zip(corner, spatial)], weight))
        for corner, wt in taps:
            if all(0 <= k < size for k, size in zip(corner, spatial)):
                out[(b, slice(None), *at)] += wt * x[(b, slice(None), *corner)]
    return out


def to_grid(positions, spatial, align_corners):
    """The normalised grid (..., nd) whose points sit at the pixel positions `positions`
    (one array per spatial dim, in the input's dim order)."""
    return np.stack([p / max(size - 1, 1) * 2 - 1 if align_corners else (2 * p + 1) / size - 1
                     for p, size in reversed(list(zip(positions, spatial)))], -1)


@hs.composite
def _grid_sample_sample(draw, mode, padding_mode, nd=2):
    n, c = draw(hs.integers(1, 2)), draw(hs.integers(1, 2))
    spatial = tuple(draw(hs.integers(1, 3)) for _ in range(nd))
    out = tuple(draw(hs.integers(1, 3 if nd == 2 else 2)) for _ in range(nd))
    align_corners = draw(hs.booleans())

    def positions(size):   # pixels -2 .. size + 1 plus a fraction, not near 0 or 0.5
        whole = draw(hs.lists(hs.integers(-2, size + 1), min_size=n * math.prod(out),
                              max_size=n * math.prod(out)))
        part = draw(floats((n, *out), 0.1, 0.9, avoid=(0.5,), gap=0.1))
        return np.reshape(whole, (n, *out)) + part

    grid = to_grid([positions(size) for size in spatial], spatial, align_corners)
    return Sample((draw(floats((n, c, *spatial))), grid),
                  dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners))


OPS = [
    OpInfo("nn.functional.affine_grid", F.affine_grid, ref_affine_grid, _affine_sample(),
           ref_atol=1e-12),
    *[OpInfo(f"nn.functional.grid_sample_{mode}_{pad}", F.grid_sample, ref_grid_sample,
             _grid_sample_sample(mode, pad), ref_atol=1e-12)
      for mode in ("bilinear", "nearest") for pad in ("zeros", "border", "reflection")],
    *[OpInfo(f"nn.functional.grid_sample_bicubic_{pad}", F.grid_sample, ref_grid_sample,
             _grid_sample_sample("bicubic", pad), ref_atol=1e-12)
      for pad in ("zeros", "border", "reflection")],
    *[OpInfo(f"nn.functional.grid_sample_3d_{mode}_{pad}", F.grid_sample, ref_grid_sample,
             _grid_sample_sample(mode, pad, nd=3), ref_atol=1e-12)
      for mode in ("bilinear", "nearest") for pad in ("zeros", "border", "reflection")],
]
