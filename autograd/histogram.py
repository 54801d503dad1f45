"""Histograms as PyTorch computes them: `histc` (counts over [min, max], in the input's dtype),
`histogram` / `histogramdd` (counts and bin edges, numpy's rules: bins are [a, b) except the
last, which is closed) and `bincount`. Counts carry no gradient.

    hist, edges = autograd.histogram(x, bins=4)
    autograd.histc(x, bins=4, min=0, max=3)
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from . import dtypes
from .ops.base import method, to_tensor
from .tensor import Tensor, _make

__all__ = ["histc", "histogram", "histogramdd", "bincount"]

histogram_result = namedtuple("histogram", ["hist", "bin_edges"])
histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])


def _kernel_error(kernel: str, d: np.dtype) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.from_np(d)._legacy}'")


def _c_float(v: float) -> str:
    """A bound as PyTorch's C++ prints it (1, 2.5, inf, -nan)."""
    return "-nan" if np.isnan(v) else f"{v:g}"


def _check_bins(bins, op: str) -> int:
    if isinstance(bins, builtins.bool) or not isinstance(bins, (builtins.int, np.integer)):
        raise TypeError(f"{op}(): argument 'bins' (position 2) must be int, not "
                        f"{type(bins).__name__}")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    return builtins.int(bins)


@method("histc")
def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts of the elements in `bins` equal-width bins over [min, max] (the data's range if
    min == max), in the input's dtype; elements outside are ignored."""
    d = input._data
    if d.dtype.kind != "f":
        raise _kernel_error("histogram_cpu", d.dtype)
    bins = _check_bins(bins, "histc")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = d.dtype.type(min), d.dtype.type(max)
    if lo == hi and d.size:
        lo, hi = d.min(), d.max()
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histc: range of [{_c_float(lo)}, {_c_float(hi)}] is not "
                               "finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    x = d.reshape(-1)
    x = x[(x >= lo) & (x <= hi)]
    # PyTorch's arithmetic, in the input's dtype: the bin of x is (x - lo) * bins / (hi - lo)
    pos = ((x - lo) * d.dtype.type(bins) / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return _make(np.bincount(pos, minlength=bins).astype(d.dtype))


def histogram(input: Tensor, bins=100, *, range=None, weight: Tensor | None = None,  # noqa: A002
              density: bool = False) -> histogram_result:
    """`(hist, bin_edges)` of the flattened input: `bins` equal-width bins over `range` (the
    data's range by default) or the bin edges given as a 1-D tensor."""
    if isinstance(bins, (list, tuple)):
        raise TypeError("histogram() received an invalid combination of arguments - got "
                        "(Tensor, bins=list), but expected one of: (Tensor input, Tensor bins, "
                        "*, Tensor weight, bool density), (Tensor input, int bins = 100, *, "
                        "tuple of floats range, Tensor weight, bool density)")
    _check_dd_input(input)
    w = weight.reshape(-1) if isinstance(weight, Tensor) and \
        weight._data.shape == input._data.shape else weight
    hist, edges = histogramdd(input.reshape(-1, 1), [bins], range=range, weight=w,
                              density=density)
    return histogram_result(hist, edges[0])


def _check_dd_input(x: Tensor) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"histogram(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind != "f" or x._data.dtype == np.float16:
        raise _kernel_error("histogramdd", x._data.dtype)


def histogramdd(input: Tensor, bins, *, range=None, weight: Tensor | None = None,  # noqa: A002
                density: bool = False) -> histogramdd_result:
    """The D-dimensional histogram of the points `input[..., :]` (the last dim holds the D
    coordinates): `(hist, bin_edges)` with one tensor of edges per dimension."""
    _check_dd_input(input)
    d = input._data
    if d.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    n_dims = d.shape[-1]
    points = d.reshape(-1, n_dims)
    edges = _bin_edges(points, bins, range)
    counts_shape = tuple(len(e) - 1 for e in edges)
    keep = np.ones(points.shape[0], bool)
    which = []
    for k, e in enumerate(edges):
        x = points[:, k]
        keep &= (x >= e[0]) & (x <= e[-1])
        which.append(np.minimum(np.searchsorted(e, x, side="right") - 1, len(e) - 2))
    w = _weights(input, weight)
    flat = np.ravel_multi_index(tuple(i[keep] for i in which), counts_shape) if keep.any() \
        else np.zeros(0, np.int64)
    hist = np.bincount(flat, None if w is None else w[keep],
                       minlength=int(np.prod(counts_shape))).reshape(counts_shape)
    if density:
        widths = np.ix_(*[np.diff(e) for e in edges])
        volume = widths[0]
        for w_k in widths[1:]:
            volume = volume * w_k
        hist = hist / (hist.sum() * volume)
    return histogramdd_result(_make(hist.astype(d.dtype)),
                              tuple(_make(e.astype(d.dtype)) for e in edges))


def _bin_edges(points: np.ndarray, bins, range) -> list:  # noqa: A002
    """One array of edges per dimension, from bin counts (over `range` or the data's range)
    or from the edges given."""
    n_dims = points.shape[1]
    if isinstance(bins, (builtins.int, np.integer)):
        bins = [bins] * n_dims
    bins = list(bins)
    if any(isinstance(b, Tensor) for b in bins):
        if len(bins) != n_dims:
            raise RuntimeError(f"torch.histogramdd: expected {n_dims} sequences of bin edges for "
                               f"a {n_dims}-dimensional histogram but got {len(bins)}")
        return [_given_edges(to_tensor(b, "bins"), points.dtype, k) for k, b in enumerate(bins)]
    if len(bins) != n_dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    if range is not None and len(range) != 2 * n_dims:
        raise RuntimeError(f"torch.histogramdd: for a {n_dims}-dimensional histogram range "
                           f"should have {2 * n_dims} elements, but got {len(range)}")
    edges = []
    for k, b in enumerate(bins):
        if b <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b} for dimension "
                               f"{k}")
        if range is not None:
            lo, hi = builtins.float(range[2 * k]), builtins.float(range[2 * k + 1])
            if lo > hi:
                raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                                   f"{lo:g} max {hi:g} for dimension {k}")
        elif points.shape[0]:
            lo, hi = builtins.float(points[:, k].min()), builtins.float(points[:, k].max())
        else:
            lo, hi = 0.0, 1.0   # numpy's range for no data
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension {k}'s range [{lo:g}, {hi:g}] is "
                               "not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5   # numpy's rule
        edges.append(np.linspace(lo, hi, builtins.int(b) + 1).astype(points.dtype))
    return edges


def _given_edges(b: Tensor, dtype: np.dtype, k: int) -> np.ndarray:
    e = b._data
    if e.dtype != dtype:
        raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the "
                           f"same dtype, but got input with dtype {_C_NAME.get(dtype.name)} and "
                           f"bins for dimension {k} with dtype {_C_NAME.get(e.dtype.name)}")
    if e.ndim != 1:
        raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got "
                           f"{e.ndim} dimensions in the bins tensor for dimension {k}")
    if e.shape[0] < 2:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {e.shape[0] - 1} for "
                           f"dimension {k}")
    return e


_C_NAME = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
           "float16": "c10::Half", "bool": "bool", "uint8": "unsigned char"}


def _weights(input: Tensor, weight) -> np.ndarray | None:  # noqa: A002
    if weight is None:
        return None
    w = to_tensor(weight, "weight")._data
    d = input._data
    if w.shape != d.shape[:-1]:
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the "
                           f"same shape as the input tensor excluding its innermost dimension, "
                           f"but got input with shape {list(d.shape)} and weight with shape "
                           f"{list(w.shape)}")
    if w.dtype != d.dtype:
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor and "
                           f"weight tensor should have the same dtype, but got "
                           f"input({_C_NAME.get(d.dtype.name)}), and "
                           f"weight({_C_NAME.get(w.dtype.name)})")
    return w.reshape(-1)


@method("bincount")
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each value 0, 1, ... occurs in a 1-D tensor of non-negative integers (int64),
    or the sum of `weights` at each value (float64, float32 for float32 weights)."""
    d = input._data
    if d.dtype.kind not in "iu":
        raise _kernel_error("bincount_cpu", d.dtype)
    if d.ndim != 1 or (d.size and d.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _make(np.bincount(d, minlength=minlength).astype(np.int64))
    w = to_tensor(weights, "weights")._data
    if w.ndim != 1 or w.shape[0] != d.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = np.float32 if w.dtype == np.float32 else np.float64
    return _make(np.bincount(d, w.astype(np.float64), minlength=minlength).astype(out_dtype))


Tensor.histogram = histogram
