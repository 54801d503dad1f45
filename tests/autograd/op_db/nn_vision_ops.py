"""Registry entries: affine_grid and grid_sample (spatial transformers).

The references follow PyTorch's scalar CPU kernel one output position at a time
(unnormalise, pad by clipping or reflecting, then read 1 or 4 pixels), independent of the
vectorised composite. Sample grids keep positions away from pixel centres (where the
grid's gradient jumps), and reach outside the image.
"""

from __future__ import annotations

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


def _ref_source(coord, size, padding_mode, align_corners):
    x = (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2
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


def ref_grid_sample(x, grid, mode, padding_mode, align_corners):
    n, c, h, w = x.shape
    out = np.zeros((n, c, *grid.shape[1:3]))
    for b, i, j in np.ndindex(n, *grid.shape[1:3]):
        px = _ref_source(grid[b, i, j, 0], w, padding_mode, align_corners)
        py = _ref_source(grid[b, i, j, 1], h, padding_mode, align_corners)
        if mode == "nearest":
            taps = [(round(py), round(px), 1.0)]   # round half to even, as nearbyint
        else:
            x0, y0 = math.floor(px), math.floor(py)
            fx, fy = px - x0, py - y0
            taps = [(y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx),
                    (y0 + 1, x0, fy * (1 - fx)), (y0 + 1, x0 + 1, fy * fx)]
        for yy, xx, wt in taps:
            if 0 <= yy < h and 0 <= xx < w:
                out[b, :, i, j] += wt * x[b, :, yy, xx]
    return out


def to_grid(px, py, h, w, align_corners):
    """The normalised grid (..., 2) whose points sit at pixel positions (px, py)."""
    return np.stack([p / max(size - 1, 1) * 2 - 1 if align_corners else (2 * p + 1) / size - 1
                     for p, size in ((px, w), (py, h))], -1)


@hs.composite
def _grid_sample_sample(draw, mode, padding_mode):
    n, c = draw(hs.integers(1, 2)), draw(hs.integers(1, 2))
    h, w, ho, wo = (draw(hs.integers(1, 3)) for _ in range(4))
    align_corners = draw(hs.booleans())

    def positions(size):   # pixels -2 .. size + 1 plus a fraction, not near 0 or 0.5
        whole = draw(hs.lists(hs.integers(-2, size + 1), min_size=n * ho * wo,
                              max_size=n * ho * wo))
        part = draw(floats((n, ho, wo), 0.1, 0.9, avoid=(0.5,), gap=0.1))
        return np.reshape(whole, (n, ho, wo)) + part

    grid = to_grid(positions(w), positions(h), h, w, align_corners)
    return Sample((draw(floats((n, c, h, w))), grid),
                  dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners))


OPS = [
    OpInfo("nn.functional.affine_grid", F.affine_grid, ref_affine_grid, _affine_sample(),
           ref_atol=1e-12),
    *[OpInfo(f"nn.functional.grid_sample_{mode}_{pad}", F.grid_sample, ref_grid_sample,
             _grid_sample_sample(mode, pad), ref_atol=1e-12)
      for mode in ("bilinear", "nearest") for pad in ("zeros", "border", "reflection")],
]
