"""Order statistics and NaN-aware reductions: median, nanmedian, quantile, nanquantile,
mode, aminmax, std_mean, var_mean, nansum, nanmean, count_nonzero; cov and corrcoef.

Gradients follow PyTorch's conventions at ties: a full `median()` splits the gradient
evenly among the elements equal to the median, `median(dim)` and `mode` send it to the
index they return, `aminmax` splits evenly (as amin/amax). quantile is sort + gather +
lerp, so its gradient is theirs, as in PyTorch.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes, return_types
from ..tensor import Tensor, _make
from .base import derivative, method, normalize_dims, record, to_tensor
from .numpy_names import numpy_names
from .reduction import _narrow, _unreduce, _wide
from .shape import _wrap_dim
from .sorting import selected_rule, stable_argsort, values_at


def _evenly(g, x, out):
    """g shared evenly among the elements of x equal to out (NaN: among the NaNs)."""
    mask = x.isnan() if bool(np.isnan(out._data)) else x == out
    return g * mask / mask.sum()


MedianFull = derivative("MedianBackward0", _evenly)
NanmedianFull = derivative("NanmedianBackward0", _evenly)
MedianDim = derivative("MedianBackward1", selected_rule)
NanmedianDim = derivative("NanmedianBackward1", selected_rule)
Mode = derivative("ModeBackward0", selected_rule)
Nansum = derivative("NansumBackward0", lambda g, x, dims, keepdim:
                    _unreduce(g, x.shape, dims, keepdim) * ~x.isnan())


def _lower_median_pos(data: np.ndarray, ignore_nan: bool) -> np.ndarray:
    """Per row of the last dim: the position, in stable sorted order, of the lower median
    (of the non-NaN values if `ignore_nan`; the first NaN if a NaN is present otherwise)."""
    n = data.shape[-1]
    nan = np.isnan(data) if data.dtype.kind == "f" else np.zeros(data.shape, bool)
    if ignore_nan:
        count = n - nan.sum(-1)
        return np.maximum(count - 1, 0) // 2
    return np.where(nan.any(-1), n - nan.sum(-1), (n - 1) // 2)   # NaNs sort last


def _median(x, dim, keepdim, ignore_nan: bool):
    name = "nanmedian" if ignore_nan else "median"
    data = x._data
    if dim is None:
        flat = data.reshape(-1)
        if flat.size == 0:
            return _make(np.asarray(np.nan, data.dtype))
        order = stable_argsort(flat, 0)
        value = flat[order[_lower_median_pos(flat, ignore_nan)]]
        return record(NanmedianFull if ignore_nan else MedianFull, np.asarray(value), (x,),
                      x=x)
    d = _wrap_dim(x, dim)
    idx = np.zeros((), np.int64)
    if data.ndim:
        if data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        m = np.moveaxis(data, d, -1)
        order = stable_argsort(m, -1)
        pos = _lower_median_pos(m, ignore_nan)[..., None] if m.size else \
            np.zeros(m.shape[:-1] + (1,), np.int64)
        idx = np.moveaxis(np.take_along_axis(order, pos, -1), -1, d)
    out, idx_t = values_at(x, NanmedianDim if ignore_nan else MedianDim, idx, d, keepdim)
    return (return_types.nanmedian if ignore_nan else return_types.median)(out, idx_t)


@method("median")
@numpy_names
def median(x, dim: int | None = None, keepdim: bool = False):
    """The lower median: of all elements, or (values, indices) along `dim`. NaN if any."""
    return _median(x, dim, keepdim, False)


@method("nanmedian")
@numpy_names
def nanmedian(x, dim: int | None = None, keepdim: bool = False):
    """median ignoring NaNs (NaN only where all values are NaN)."""
    return _median(x, dim, keepdim, True)


@method("mode")
@numpy_names
def mode(x, dim: int = -1, keepdim: bool = False):
    """(most frequent value, its last index) along `dim`; ties go to the smallest value."""
    d = _wrap_dim(x, dim)
    data = x._data
    idx = np.zeros((), np.int64)
    if data.ndim:
        if data.shape[d] == 0:
            raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
        m = np.moveaxis(data, d, -1)
        n = m.shape[-1]
        order = stable_argsort(m, -1)
        v = np.take_along_axis(m, order, -1)
        start = np.ones(v.shape, bool)
        start[..., 1:] = v[..., 1:] != v[..., :-1]
        pos = np.arange(n)
        run_start = np.maximum.accumulate(np.where(start, pos, 0), axis=-1)
        # the first position where a run reaches the longest length ends the longest run of
        # the smallest value; in stable order it is that value's last index
        best = np.argmax(pos - run_start, axis=-1)[..., None] if n else \
            np.zeros(m.shape[:-1] + (1,), np.int64)
        idx = np.moveaxis(np.take_along_axis(order, best, -1), -1, d)
    out, idx_t = values_at(x, Mode, idx, d, keepdim)
    return return_types.mode(out, idx_t)


# ---- quantiles -----------------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan: bool) -> Tensor:
    name = "nanquantile" if ignore_nan else "quantile"
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if x._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    scalar_q = not isinstance(q, Tensor)
    qd = np.asarray(q, dtype=x._data.dtype) if scalar_q else q._data
    if not scalar_q:
        if qd.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if qd.dtype != x._data.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if ((qd < 0) | (qd > 1)).any():
        bad = qd[(qd < 0) | (qd > 1)].reshape(-1)[0]
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {bad:g}" if
                           scalar_q else f"{name}() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if dim is None:
        src, d = x.reshape(-1), None
    else:
        d = _wrap_dim(x, dim)
        src = x.movedim(d, -1) if x._data.ndim else x.reshape(1)
    srt = src.sort(-1).values                                   # NaNs last
    sd = srt._data
    nan = np.isnan(sd)
    n = sd.shape[-1]
    last = n - 1 - nan.sum(-1, keepdims=True) if ignore_nan else n - 1
    ranks = qd.reshape(-1) * np.maximum(last, 0).astype(sd.dtype)   # (..., nq)
    if not ignore_nan:   # a NaN anywhere: the result is NaN (the last, sorted value)
        ranks = np.where(nan.any(-1, keepdims=True), n - 1, ranks).astype(sd.dtype)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.rint(ranks)
    below = np.floor(ranks).astype(np.int64)
    out = srt.gather(-1, _make(below))
    if interpolation in ("linear", "midpoint"):
        above = srt.gather(-1, _make(np.ceil(ranks).astype(np.int64)))
        w = np.full(ranks.shape, 0.5, sd.dtype) if interpolation == "midpoint" else \
            (ranks - below).astype(sd.dtype)
        out = out.lerp(above, _make(w))
    out = out.movedim(-1, 0)                                     # (nq, ...)
    if keepdim:
        shape = (1,) * x._data.ndim if d is None else \
            x._data.shape[:d] + (1,) + x._data.shape[d + 1:]
        out = out.reshape((out.shape[0],) + shape)
    return out[0] if scalar_q else out


@method("quantile")
@numpy_names
def quantile(x, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles (q a float or a 1-D tensor, leading the result's dims)."""
    return _quantile(x, q, dim, keepdim, interpolation, False)


@method("nanquantile")
@numpy_names
def nanquantile(x, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile ignoring NaNs."""
    return _quantile(x, q, dim, keepdim, interpolation, True)


# ---- reductions with two results, NaN-aware sums -------------------------------------------
@method("aminmax")
@numpy_names
def aminmax(x, *, dim: int | None = None, keepdim: bool = False):
    """(amin, amax) in one call; ties share the gradient evenly, as amin/amax."""
    if dim is None and x._data.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is not None and x._data.ndim and x._data.shape[_wrap_dim(x, dim)] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {_wrap_dim(x, dim)} to have non-zero "
                         "size.")
    dims = () if dim is None else dim
    return return_types.aminmax(x.amin(dims, keepdim), x.amax(dims, keepdim))


def _stat_mean(x, dim, unbiased, keepdim, correction, std: bool):
    if isinstance(dim, bool):   # var_mean(x, True): the old positional `unbiased`
        dim, unbiased = None, dim
    fn = x.std if std else x.var
    return (fn(dim, unbiased=unbiased, keepdim=keepdim, correction=correction),
            x.mean(dim, keepdim=keepdim))


@numpy_names
def std_mean(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> tuple:
    """(std, mean) over `dim`."""
    return _stat_mean(x, dim, unbiased, keepdim, correction, True)


@numpy_names
def var_mean(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> tuple:
    """(var, mean) over `dim`."""
    return _stat_mean(x, dim, unbiased, keepdim, correction, False)


@method("nansum")
@numpy_names
def nansum(x, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """sum treating NaN as 0 (NaNs get no gradient)."""
    if dtype is not None:
        x = x.to(dtype)
    dims = normalize_dims(x, dim, "nansum")
    data = x._data
    if data.dtype.kind in "biu":
        data = data.astype(np.int64)
    out = _narrow(np.nansum(_wide(data), axis=dims, keepdims=keepdim), data.dtype)  # (as sum)
    return record(Nansum, out, (x,), x=x, dims=dims, keepdim=keepdim)


@method("nanmean")
@numpy_names
def nanmean(x, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """mean over the non-NaN elements."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {x.dtype._legacy}")
    count = (~x.isnan()).sum(dim, keepdim=keepdim)
    with np.errstate(invalid="ignore"):   # an all-NaN slice: 0 / 0 = NaN, silently
        return nansum(x, dim, keepdim) / count


@method("count_nonzero")
@numpy_names
def count_nonzero(x, dim=None) -> Tensor:
    """How many elements are not zero, over `dim` (int or tuple; all by default)."""
    x = to_tensor(x, "input")
    dims = normalize_dims(x, dim, "count_nonzero")
    return _make(np.asarray(np.count_nonzero(x._data, axis=dims), dtype=np.int64))


# ---- covariance and correlation of the rows of a matrix -------------------------------------
def _cov_weights(w, name: str, n: int, integral: bool) -> Tensor:
    w = to_tensor(w, name)
    if w._data.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w._data.ndim} dimensions")
    if w._data.size != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w._data.size} != {n}")
    if integral and w._data.dtype.kind not in "iu":
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights "
                           f"with {w.dtype._legacy} dtype")
    if not integral and w._data.dtype.kind != "f":
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                           f"aweights with {w.dtype._legacy} dtype")
    if (w._data < 0).any():
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return w


@method("cov")
def cov(x, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of x (observations in columns;
    a 1-D x is one variable), with frequency and/or importance weights per observation."""
    if x._data.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x._data.ndim} dimensions")
    x = x.reshape(1, -1) if x._data.ndim < 2 else x
    if x._data.dtype.kind != "f":
        x = x.to(dtypes.get_default_dtype())
    n = x._data.shape[1]
    w = None
    if fweights is not None:
        w = _cov_weights(fweights, "fweights", n, True)
    if aweights is not None:
        a = _cov_weights(aweights, "aweights", n, False)
        w = a if w is None else w * a
    w = None if w is None else w.to(x.dtype)
    w_sum = x.new_tensor(n) if w is None else w.sum()
    avg = x.mean(1) if w is None else (x * w).sum(1) / w_sum
    if correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = w_sum - correction
    else:
        norm = w_sum - correction * (w * a).sum() / w_sum
    xm = x - avg.unsqueeze(1)
    c = xm @ (xm if w is None else xm * w).T
    if norm.item() > 0:
        return (c / norm).squeeze()
    warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than "
                  "the number of observations.", UserWarning, stacklevel=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (c / norm.clamp_min(0)).squeeze()


@method("corrcoef")
def corrcoef(x) -> Tensor:
    """Pearson's correlation coefficients of the rows of x (cov normalised, within [-1, 1])."""
    c = cov(x)
    if c._data.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)
