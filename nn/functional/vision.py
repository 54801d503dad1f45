"""Spatial transformers (nn.functional): affine_grid and grid_sample.

affine_grid maps each output pixel's normalised position [x, y, (z,) 1] through a batch of
affine matrices. grid_sample reads the input at those positions: each output is a weighted
sum of up to four input pixels (bilinear; eight voxels for 5-D input, trilinear), sixteen
(bicubic) or one (nearest), gathered with `Tensor.gather`.
Both are composites of differentiable Tensor ops, run without recording; each call is one
node of PyTorch's name (`GridSampler2DBackward0`, `GridSampler3DBackward0`,
`AffineGridGeneratorBackward0`) whose backward records the composite again on the saved
inputs and differentiates it, so gradients reach the input and the grid and differentiate
again. Sample positions are computed as PyTorch's CPU kernel
computes them (same arithmetic, same rounding: its 2-D kernel is vectorised, its 3-D one
scalar, and they differ), because the grid's gradient jumps where a position crosses a
pixel centre: a position that lands exactly on one must fall on the same side as in
PyTorch.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections.abc import Callable

import numpy as np

import autograd
from autograd import grad_mode
from autograd.function import Node
from autograd.ops.base import needs_graph, to_tensor
from autograd.tensor import Tensor, _make

from ._checks import require_tensor
from .resize import cubic_weights

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


def _sizes(t: Tensor) -> str:
    return str(list(t.shape))


# ---------------------------------------------------------------------------------------
# one node per call


class _Recomputed(Node):
    """A composite op as one node: backward records `fn` again on the saved inputs and
    differentiates that graph (on the inputs themselves when a graph of the gradient is
    being recorded, so that it differentiates again; on detached copies otherwise)."""

    fn: Callable

    def backward(self, g):
        inputs = self.saved()
        create = grad_mode.is_grad_enabled()
        with grad_mode.enable_grad():
            if not create:
                inputs = tuple(t.detach().requires_grad_(t.requires_grad) for t in inputs)
            out = self.fn(*inputs)
            wanted = [t for t in inputs if t.requires_grad]
            grads = iter(autograd.grad(out, wanted, g, create_graph=create, allow_unused=True))
        return tuple(next(grads) if t.requires_grad else None for t in inputs)


class GridSampler2DBackward0(_Recomputed):
    """grid_sample of a 4-D input."""


class GridSampler3DBackward0(_Recomputed):
    """grid_sample of a 5-D input."""


class AffineGridGeneratorBackward0(_Recomputed):
    """affine_grid."""


def _one_node(node: type, fn: Callable, *inputs: Tensor) -> Tensor:
    """fn(*inputs), computed without recording, as one `node` of the inputs."""
    if not needs_graph(*inputs):
        return fn(*inputs)
    with grad_mode.no_grad():
        out = fn(*inputs)
    n = node(inputs)
    n.save(*inputs)
    n.fn = fn
    return _make(out._data, n)


# ---------------------------------------------------------------------------------------
# affine_grid


def _base_coords(n: int, align_corners: bool, dtype) -> np.ndarray:
    """PyTorch's linspace_from_neg_one: n pixel positions in [-1, 1]."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    r = np.linspace(-1.0, 1.0, n).astype(dtype)
    return r if align_corners else r * dtype(n - 1) / dtype(n)


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) for a batch of affine matrices
    theta (N, 2, 3) (or (N, 3, 4)) and an output size (N, C, H, W) (or (N, C, D, H, W))."""
    require_tensor(theta, "affine_grid", "theta", 1)
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if theta.dtype.category != autograd.dtypes._FLOAT:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta holds {theta.shape[0]} matrices but size asks "
                           f"for a batch of {size[0]} (theta {_sizes(theta)}, size "
                           f"{list(size)})")
    return _one_node(AffineGridGeneratorBackward0,
                     functools.partial(_affine_grid, size=size, align_corners=align_corners),
                     theta)


def _affine_grid(theta: Tensor, size: tuple, align_corners: bool) -> Tensor:
    """affine_grid's composite, on checked arguments."""
    spatial = size[2:]
    dt = theta._data.dtype.type
    # [x, y, (z,) 1] per output pixel, x varying fastest (the last spatial dim)
    axes = [_base_coords(n, align_corners, dt) for n in reversed(spatial)]
    mesh = np.meshgrid(*axes, indexing="ij")   # dims ordered (W, H, D)
    base = np.stack([m.transpose(*reversed(range(len(spatial)))) for m in mesh]
                    + [np.ones(spatial, dt)], -1)
    base = autograd.from_numpy(np.ascontiguousarray(base.reshape(1, -1, len(spatial) + 1)))
    grid = base @ theta.transpose(1, 2)
    return grid.view(size[0], *spatial, len(spatial))


# ---------------------------------------------------------------------------------------
# grid_sample


def _constant_with_slope(value: np.ndarray, x: Tensor, slope) -> Tensor:
    """`value` (computed from x outside the graph) whose derivative in x is `slope`.

    x - x.detach() is exactly zero, so the forward is `value` bit for bit."""
    return (x - x.detach()) * slope + autograd.from_numpy(value)


def _clip(ix: Tensor, size: int) -> Tensor:
    """Clamp to [0, size - 1]; PyTorch counts the borders as outside (gradient 0 there)."""
    v = ix._data
    inside = (v > 0) & (v < size - 1)
    return _constant_with_slope(np.clip(v, 0, size - 1), ix, inside.astype(v.dtype))


def _reflect_np(v: np.ndarray, size: int, align_corners: bool) -> tuple:
    """Positions reflected into the image by its borders (align_corners) or its edges,
    and the derivative (+-1) of each; not yet clipped."""
    t = v.dtype.type
    low = t(0) if align_corners else t(-0.5)
    twice_span = t(2 * (size - 1)) if align_corners else t(2 * size)
    if twice_span == 0:
        return np.zeros_like(v), np.zeros_like(v)
    m = v - low
    a = np.abs(m)
    extra = a - np.trunc(a / twice_span) * twice_span
    flip = extra > twice_span / 2
    value = np.where(flip, twice_span - extra, extra) + low
    slope = np.where(m < 0, t(-1), t(1)) * np.where(flip, t(-1), t(1))
    return value.astype(v.dtype), slope


def _reflect(ix: Tensor, size: int, align_corners: bool) -> Tensor:
    """Reflect into the image, then clip."""
    value, slope = _reflect_np(ix._data, size, align_corners)
    return _clip(_constant_with_slope(value, ix, slope), size)


def _pad_taps(k: np.ndarray, size: int, padding_mode: str, align_corners: bool) -> np.ndarray:
    """Bicubic's integer tap positions, padded (PyTorch pads each tap, not the position)."""
    if padding_mode == "reflection":
        k = _reflect_np(k, size, align_corners)[0]
    return k if padding_mode == "zeros" else np.clip(k, 0, size - 1)


def _source_index(coord: Tensor, size: int, padding_mode: str, align_corners: bool,
                  volumetric: bool) -> Tensor:
    """A grid coordinate in [-1, 1] as a pixel position, padded as asked. PyTorch's 2-D
    (vectorised) and 3-D (scalar) CPU kernels round this differently; each is followed."""
    if align_corners:
        ix = ((coord + 1) / 2) * (size - 1) if volumetric else (coord + 1) * ((size - 1) / 2)
    elif volumetric:
        ix = ((coord + 1) * size - 1) / 2
    else:
        ix = (coord + 1) * (size / 2) - 0.5
    if padding_mode == "border":
        return _clip(ix, size)
    if padding_mode == "reflection":
        return _reflect(ix, size, align_corners)
    return ix


def _check_grid_sample(x: Tensor, grid: Tensor) -> None:
    """PyTorch's grid_sampler checks, in its order and words."""
    if grid.ndim == 0 or x.ndim == 0 or x.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {_sizes(x)} and grid with sizes "
                           f"{_sizes(grid)}")
    if grid.shape[-1] != x.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last "
                           f"dimension, but got grid with sizes {_sizes(grid)}")
    for d in range(2, x.ndim):
        if x.shape[d] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {_sizes(x)} with dimension "
                               f"{d} being empty")
    if x.ndim != grid.ndim or x.ndim not in (4, 5):
        kind = "4D" if x.ndim == 4 else "5D"   # PyTorch's wording for any other input
        raise RuntimeError(f"grid_sampler(): expected {kind} input and grid with same number "
                           f"of dimensions, but got input with sizes {_sizes(x)} and grid with "
                           f"sizes {_sizes(grid)}")
    if x.dtype != grid.dtype:
        raise RuntimeError(f"grid_sample: expected scalar type {grid.dtype._legacy} but found "
                           f"{x.dtype._legacy} (input is {x.dtype}, grid is {grid.dtype}; "
                           "they must match)")
    if x.dtype.category != autograd.dtypes._FLOAT:
        raise RuntimeError(f"grid_sampler_2d_cpu not implemented for '{x.dtype._legacy}'")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample `input` (N, C, H, W) at the normalised positions `grid` (N, Ho, Wo, 2), or
    (N, C, D, H, W) at grid (N, Do, Ho, Wo, 3).

    grid[..., 0] is x (along W), grid[..., 1] y (along H), grid[..., 2] z (along D); -1 and
    1 are the image's edges (or its corner pixels' centres when align_corners=True).
    Positions outside read zeros, the border pixels ('border') or the image reflected
    ('reflection'). mode='bicubic' (4-D input only) reads 4 x 4 pixels."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    x, grid = to_tensor(input, "input"), to_tensor(grid, "grid")
    _check_grid_sample(x, grid)
    if mode == "bicubic" and x.ndim == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    return _one_node(GridSampler2DBackward0 if x.ndim == 4 else GridSampler3DBackward0,
                     functools.partial(_grid_sample, mode=mode, padding_mode=padding_mode,
                                       align_corners=align_corners), x, grid)


def _grid_sample(x: Tensor, grid: Tensor, mode: str, padding_mode: str,
                 align_corners: bool) -> Tensor:
    """grid_sample's composite, on checked arguments."""
    n, c, *spatial = x.shape
    nd, out_shape = len(spatial), tuple(grid.shape[1:-1])
    # pos[d]: positions along spatial dim d (grid's last axis lists x, y, (z): reversed);
    # bicubic pads its taps instead
    pos = [_source_index(grid[..., nd - 1 - d], size,
                         "zeros" if mode == "bicubic" else padding_mode, align_corners, nd == 3)
           for d, size in enumerate(spatial)]
    if mode == "bicubic":   # 4 x 4 taps around floor(pos), weighted by cubic convolution
        lo = [np.floor(p._data) for p in pos]
        coeffs = [cubic_weights(p - autograd.from_numpy(k), -0.75) for p, k in zip(pos, lo)]
        taps = [[_pad_taps(k + i, size, padding_mode, align_corners) for i in range(-1, 3)]
                for k, size in zip(lo, spatial)]
        corners, weights = [], []
        for offsets in itertools.product(range(4), repeat=nd):
            corners.append([taps[d][o] for d, o in enumerate(offsets)])
            weights.append(coeffs[1][offsets[1]] * coeffs[0][offsets[0]])
    elif mode == "nearest":
        corners = [[np.round(p._data) for p in pos]]   # half to even, as nearbyint
        # no gradient in the grid, but a zero one (as PyTorch's) rather than none
        weights = [_constant_with_slope(np.ones_like(pos[0]._data), sum(pos), 0)]
    else:
        lo = [np.floor(p._data) for p in pos]
        if nd == 2:   # (1 - f, f), f = pos - floor(pos)
            factors = [(1 - f, f) for f in (p - autograd.from_numpy(k) for p, k in zip(pos, lo))]
        else:         # (floor(pos) + 1 - pos, pos - floor(pos))
            factors = [(autograd.from_numpy(k + 1) - p, p - autograd.from_numpy(k))
                       for p, k in zip(pos, lo)]
        corners, weights = [], []
        for offsets in itertools.product((0, 1), repeat=nd):
            corners.append([k + o for k, o in zip(lo, offsets)])
            w = factors[-1][offsets[-1]]   # the product x * y (* z), in PyTorch's order
            for d in reversed(range(nd - 1)):
                w = w * factors[d][offsets[d]]
            weights.append(w)
    # one gather for every corner: flat pixel indices (N, K * out), clipped into the
    # image; the corners outside it get weight zero
    index, inside = [], []
    for corner in corners:
        inside.append(np.logical_and.reduce([(k >= 0) & (k <= size - 1)
                                             for k, size in zip(corner, spatial)]))
        index.append(np.ravel_multi_index([np.clip(k, 0, size - 1).astype(np.int64)
                                           for k, size in zip(corner, spatial)], spatial))
    k, m = len(corners), math.prod(out_shape)
    index = np.stack(index, 1).reshape(n, 1, k * m)
    vals = x.reshape(n, c, -1).gather(2, autograd.from_numpy(
        np.broadcast_to(index, (n, c, k * m)))).view(n, c, k, *out_shape)
    mask = autograd.from_numpy(np.stack(inside, 1).astype(x._data.dtype))
    weight = (autograd.stack(weights, 1) * mask).unsqueeze(1)
    return (vals * weight).sum(2)
