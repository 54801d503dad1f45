"""Reductions (sum, mean, prod, max/min, var/std, logsumexp, norm) and softmax.

Each backward first restores the reduced dims (`_unreduce`), then broadcasts against the
input. Ties follow PyTorch: a full `max()` and `amax` split the gradient evenly among
tied elements; `max(dim)` sends it to the index it returned.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes, return_types
from ..tensor import Tensor, _make
from .base import broadcast, derivative, inplace, method, normalize_dims, record
from .numpy_names import numpy_names
from .pointwise import maximum, minimum, where

_int_kinds = "iub"


def _wide(d: np.ndarray) -> np.ndarray:
    """float16 data as float32: reductions accumulate in float32 and round the result once
    (`_narrow`), as PyTorch does (in float16, the variance of values near 1000 is inf)."""
    return d.astype(np.float32) if d.dtype == np.float16 else d


def _narrow(out, dtype) -> np.ndarray:
    """A result computed wide, rounded back to `dtype` (inf where it does not fit in
    float16, silently, as PyTorch)."""
    out = np.asarray(out)
    if out.dtype == dtype:
        return out
    with np.errstate(over="ignore"):
        return out.astype(dtype)


def row_sum(a: np.ndarray) -> np.ndarray:
    """The sums of the rows of a 2-D array, as one matrix-vector product: numpy reduces a
    short last axis row by row, several times slower. (float16: numpy's sum.)"""
    if a.dtype.itemsize < 4:
        return np.add.reduce(a, axis=1)
    return a @ _ones(a.shape[1], a.dtype)


def _ones(n: int, dtype) -> np.ndarray:
    """np.ones(n, dtype) in two C calls (np.ones is a Python function around them)."""
    v = np.empty(n, dtype)
    v.fill(1)
    return v


def row_max(a: np.ndarray) -> np.ndarray:
    """The max of each row of a 2-D float array (NaN if the row has one). numpy's row max
    is slow for short rows: fewer than 32 columns are reduced on the transposed copy (as
    vectorized steps down the columns); otherwise `initial=-inf` takes numpy's faster loop
    (2.5x for rows of 32 or 64)."""
    if a.shape[1] < 32 <= a.shape[0]:
        return np.maximum.reduce(np.ascontiguousarray(a.T), axis=0)
    return np.maximum.reduce(a, axis=1, initial=-np.inf)


def col_sum(a: np.ndarray) -> np.ndarray:
    """The sums of the columns of a 2-D array (a bias's gradient), as one product."""
    return _ones(a.shape[0], a.dtype) @ a


def _unreduce(g: Tensor, shape: tuple, dims: tuple | None, keepdim: bool) -> Tensor:
    """Reshape a reduced gradient so that it broadcasts against the input `shape`."""
    if dims is None:
        return g.reshape((1,) * len(shape)) if len(shape) else g
    if not keepdim:
        kept = list(shape)
        for d in dims:
            kept[d] = 1
        return g.reshape(tuple(kept))
    return g


def _reduced_count(shape: tuple, dims: tuple | None) -> int:
    n = 1
    for d in (range(len(shape)) if dims is None else dims):
        n *= shape[d]
    return n


def _sum_backward(g, shape, dims, keepdim, cast=None):
    """(on Tensors, or on arrays when no graph is recorded)"""
    if cast is not None:   # sum(dtype=...) changed the dtype
        g = g.to(cast) if isinstance(g, Tensor) else g.astype(cast.np)
    return broadcast(_unreduce(g, shape, dims, keepdim), shape)


def _mean_backward(g, shape, dims, keepdim):
    """(on Tensors, or on arrays when no graph is recorded)"""
    return broadcast(_unreduce(g, shape, dims, keepdim) / _reduced_count(shape, dims), shape)


def _even_ties(g, x, out, shape, dims, keepdim, nan_ties=False):
    """The gradient of an extreme value, split evenly among the elements equal to it (and,
    for max()/min(), among NaNs when the result is NaN, as PyTorch)."""
    out = _unreduce(out, shape, dims, keepdim)
    g = _unreduce(g, shape, dims, keepdim)
    mask = x == out
    if nan_ties:
        mask = mask | (x.isnan() & out.isnan())
    count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
    return g * mask / count


def _to_index(g, idx, shape, dims, keepdim):
    """max(dim)/min(dim): the gradient goes to the index that was returned."""
    dim = dims[0]
    if not keepdim:
        g, idx = g.unsqueeze(dim), idx.unsqueeze(dim)
    return _make(np.zeros(shape, g._data.dtype)).scatter(dim, idx, g)


def _var_backward(g, x, shape, dims, keepdim, denom):
    g = _unreduce(g, shape, dims, keepdim)
    mu = x.mean(dims, keepdim=True) if dims is not None else x.mean()
    return g * (x - mu) * (2.0 / denom if denom > 0 else math.inf)


def _std_backward(g, x, out, shape, dims, keepdim, denom):
    g = _unreduce(g, shape, dims, keepdim)
    out = _unreduce(out, shape, dims, keepdim)
    mu = x.mean(dims, keepdim=True) if dims is not None else x.mean()
    return g * (x - mu) / (out * denom) if denom > 0 else g * (x - mu) * math.inf


def _softmax_backward(g, out, dim):
    """(on Tensors, or on arrays when no graph is recorded)"""
    if isinstance(g, Tensor):
        return out * (g - (g * out).sum(dim, keepdim=True))
    go = g * out
    go2 = _rows(go, dim) if np.ndim(go) else None
    if go2 is None:
        return out * (g - np.add.reduce(go, axis=dim if np.ndim(g) else None, keepdims=True))
    s = row_sum(go2).reshape(go.shape[:-1] + (1,))   # (the sums as one matrix-vector product)
    return np.multiply(out, np.subtract(g, s, out=go), out=go)


def _log_softmax_backward(g, out, dim):
    """(on Tensors, or on arrays when no graph is recorded)"""
    if isinstance(g, Tensor):
        return g - out.exp() * g.sum(dim, keepdim=True)
    g2 = _rows(g, dim) if np.ndim(g) else None
    if g2 is None:
        return g - np.exp(out) * np.add.reduce(g, axis=dim if np.ndim(g) else None,
                                               keepdims=True)
    e = np.exp(out)   # (the sums as one matrix-vector product, as in _softmax_backward)
    np.multiply(e, row_sum(g2).reshape(g.shape[:-1] + (1,)), out=e)
    return np.subtract(g, e, out=e)


def _logsumexp_backward(g, x, out, shape, dims, keepdim):
    g = _unreduce(g, shape, dims, keepdim)
    return g * (x - _unreduce(out, shape, dims, keepdim)).exp()


def _norm_backward(g, x, out, shape, dims, keepdim):
    """2-norm: x / ||x||, and 0 where the norm is 0 (PyTorch's subgradient)."""
    g = _unreduce(g, shape, dims, keepdim)
    out = _unreduce(out, shape, dims, keepdim)
    safe = where(out == 0, 1.0, out)
    return where(out == 0, 0.0, g * x / safe)


def _prod_backward(g, x, out, shape, dims, keepdim):
    """Exact, also where x holds zeros: the product of all the other elements."""
    dim = 0 if dims is None else dims[0]
    src = x.reshape(-1) if dims is None else x
    g = _unreduce(g, shape, dims, keepdim)
    out = _unreduce(out, shape, dims, keepdim)
    if not bool((src._data == 0).any()):
        return g * out / x
    n = src.shape[dim]
    moved = src.movedim(dim, -1).unsqueeze(-2).expand(*src.shape[:dim], *src.shape[dim + 1:],
                                                     n, n)
    eye = _make(np.eye(n, dtype=bool))
    others = moved.masked_fill(eye, 1.0).prod(-1)          # (..., n)
    return g * others.movedim(-1, dim).reshape(shape)


# ---- the derivative table ----------------------------------------------------------------
Sum0 = derivative("SumBackward0", _sum_backward, arith=True)
Sum1 = derivative("SumBackward1", _sum_backward, arith=True)
Mean0 = derivative("MeanBackward0", _mean_backward, arith=True)
Mean1 = derivative("MeanBackward1", _mean_backward, arith=True)
Prod0 = derivative("ProdBackward0", _prod_backward)
Prod1 = derivative("ProdBackward1", _prod_backward)
Max1 = derivative("MaxBackward1", lambda g, x, out, shape, dims, keepdim: _even_ties(
    g, x, out, shape, dims, keepdim, nan_ties=True))
Min1 = derivative("MinBackward1", lambda g, x, out, shape, dims, keepdim: _even_ties(
    g, x, out, shape, dims, keepdim, nan_ties=True))
Amax = derivative("AmaxBackward0", _even_ties)
Amin = derivative("AminBackward0", _even_ties)
Max0 = derivative("MaxBackward0", _to_index)
Min0 = derivative("MinBackward0", _to_index)
Var = derivative("VarBackward0", _var_backward)
Std = derivative("StdBackward0", _std_backward)
Logsumexp = derivative("LogsumexpBackward0", _logsumexp_backward)
Softmax = derivative("SoftmaxBackward0", _softmax_backward, arith=True)
LogSoftmax = derivative("LogSoftmaxBackward0", _log_softmax_backward, arith=True)
Norm = derivative("NormBackward1", _norm_backward)
Cumsum = derivative("CumsumBackward0",
                    lambda g, dim: g if g.ndim == 0 else g.flip(dim).cumsum(dim).flip(dim))


# ---- sum / mean --------------------------------------------------------------------------
@method("sum")
@numpy_names
def sum(x, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over `dim` (int or tuple; all dims if None). Ints and bools sum to int64."""
    dims = normalize_dims(x, dim, "sum")
    d = x._data
    if dtype is not None:
        d = d.astype(dtypes.to_np(dtype))
    elif d.dtype.kind in "bi" and d.dtype != np.int64 or d.dtype.kind == "u":
        d = d.astype(np.int64)
    out = _narrow(np.sum(_wide(d), axis=dims, keepdims=keepdim), d.dtype)
    return record(Sum0 if dim is None else Sum1, out, (x,), shape=x._data.shape, dims=dims,
                  keepdim=keepdim, cast=x.dtype if out.dtype != x._data.dtype else None)


@method("mean")
@numpy_names
def mean(x, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over `dim`; defined for floating-point tensors only, as in PyTorch."""
    d = x._data
    if dtype is not None:
        d = d.astype(dtypes.to_np(dtype))
    if d.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {x.dtype._legacy}")
    dims = normalize_dims(x, dim, "mean")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.mean(_wide(d), axis=dims, keepdims=keepdim) if d.size else \
            np.sum(d, axis=dims, keepdims=keepdim) / 0.0
    return record(Mean0 if dim is None else Mean1, _narrow(out, d.dtype), (x,),
                  shape=x._data.shape, dims=dims, keepdim=keepdim)


# ---- prod --------------------------------------------------------------------------------


@method("prod")
@numpy_names
def prod(x, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over one dim (or all); exact gradients even with zeros in the input."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): dim must be an int, got {dim!r}")
    dims = normalize_dims(x, dim, "prod")
    d = x._data
    if dtype is not None:
        d = d.astype(dtypes.to_np(dtype))
    elif d.dtype.kind in "bu" or d.dtype.kind == "i" and d.dtype != np.int64:
        d = d.astype(np.int64)
    out = _narrow(np.prod(_wide(d), axis=dims, keepdims=keepdim), d.dtype)
    return record(Prod0 if dim is None else Prod1, out, (x,), x=x, shape=x._data.shape,
                  dims=dims, keepdim=keepdim)


# ---- max / min / amax / amin ---------------------------------------------------------------


def _extreme(x, dim, keepdim, is_max: bool, name: str):
    if dim is None:
        if x._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        return record(Max1 if is_max else Min1, x._data.max() if is_max else x._data.min(),
                      (x,), x=x, shape=x._data.shape, dims=None, keepdim=False)
    if isinstance(dim, Tensor):  # max(x, other) is maximum
        return (maximum if is_max else minimum)(x, dim)
    d = x._wrap_dim(dim)
    dims = (d,)
    if x._data.ndim == 0:   # max(dim=0) of a 0-d tensor: itself, index 0
        idx_t = _make(np.zeros((), np.int64))
        out = x.clone()
        return (return_types.max if is_max else return_types.min)(out, idx_t)
    if x._data.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    idx = np.asarray((np.argmax if is_max else np.argmin)(x._data, axis=d, keepdims=keepdim))
    values = np.take_along_axis(x._data, idx if keepdim else np.expand_dims(idx, d), axis=d)
    if not keepdim:
        values = values.squeeze(d)
    idx_t = _make(idx.astype(np.int64))
    rt = return_types.max if is_max else return_types.min
    return rt(record(Max0 if is_max else Min0, values, (x,), idx=idx_t, shape=x._data.shape,
                     dims=dims, keepdim=keepdim), idx_t)


@method("max")
@numpy_names
def max(x, dim=None, keepdim: bool = False):  # noqa: A001
    """`max()` -> value; `max(dim)` -> (values, indices); `max(other)` -> maximum."""
    return _extreme(x, dim, keepdim, True, "max")


@method("min")
@numpy_names
def min(x, dim=None, keepdim: bool = False):  # noqa: A001
    return _extreme(x, dim, keepdim, False, "min")


def _amax(x, dim, keepdim, is_max: bool) -> Tensor:
    name = "amax" if is_max else "amin"
    dims = normalize_dims(x, () if dim is None else dim, name) or None
    if x._data.size == 0 and (dims is None or any(x._data.shape[d] == 0 for d in dims)):
        raise IndexError(f"{name}(): Expected reduction dim to have non-zero size.")
    out = (np.max if is_max else np.min)(x._data, axis=dims, keepdims=keepdim)
    return record(Amax if is_max else Amin, out, (x,), x=x, shape=x._data.shape, dims=dims,
                  keepdim=keepdim)


@method("amax")
@numpy_names
def amax(x, dim=(), keepdim: bool = False) -> Tensor:
    """Max over `dim` (all dims by default), ties sharing the gradient evenly."""
    return _amax(x, dim if dim != () else None, keepdim, True)


@method("amin")
@numpy_names
def amin(x, dim=(), keepdim: bool = False) -> Tensor:
    return _amax(x, dim if dim != () else None, keepdim, False)


@method("argmax")
@numpy_names
def argmax(x, dim=None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, np.argmax)


@method("argmin")
@numpy_names
def argmin(x, dim=None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, np.argmin)


def _arg(x, dim, keepdim, fn) -> Tensor:
    if dim is None:
        out = np.asarray(fn(x._data))
        return _make((out.reshape((1,) * x.ndim) if keepdim else out).astype(np.int64))
    d = x._wrap_dim(dim)
    if x._data.ndim == 0:
        return _make(np.zeros((), np.int64))
    return _make(np.asarray(fn(x._data, axis=d, keepdims=keepdim)).astype(np.int64))


@method("all")
@numpy_names
def all(x, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return _make(np.asarray(np.all(x._data, axis=normalize_dims(x, dim, "all"), keepdims=keepdim)))


@method("any")
@numpy_names
def any(x, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return _make(np.asarray(np.any(x._data, axis=normalize_dims(x, dim, "any"), keepdims=keepdim)))


# ---- var / std -------------------------------------------------------------------------------
def _correction(unbiased, correction) -> float:
    if correction is not None:
        if unbiased is not None:
            raise RuntimeError("var/std: pass either unbiased= or correction=, not both")
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


def _var(x, dim, unbiased, keepdim, correction, std: bool):
    name = "std" if std else "var"
    if isinstance(dim, bool):  # var(x, False): PyTorch's old positional `unbiased`
        dim, unbiased = None, dim
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): input dtype should be floating point, got {x.dtype}")
    dims = normalize_dims(x, dim, name)
    c = _correction(unbiased, correction)
    count = _reduced_count(x._data.shape, dims)
    denom = count - c
    if denom <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.var(_wide(x._data), axis=dims, ddof=c, keepdims=keepdim) if denom > 0 else \
            np.full(np.sum(x._data, axis=dims, keepdims=keepdim).shape, np.nan, x._data.dtype)
        if std:
            out = np.sqrt(out)
    return record(Std if std else Var, _narrow(out, x._data.dtype), (x,), x=x,
                  shape=x._data.shape, dims=dims, keepdim=keepdim, denom=denom)


@method("var")
@numpy_names
def var(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over `dim`; unbiased (correction=1) by default."""
    return _var(x, dim, unbiased, keepdim, correction, std=False)


@method("std")
@numpy_names
def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return _var(x, dim, unbiased, keepdim, correction, std=True)


# ---- logsumexp, softmax, log_softmax ---------------------------------------------------------
def _max_shift(d: np.ndarray, axis) -> np.ndarray:
    """The max along `axis` (kept), or 0 where it is not finite: what a stable softmax or
    logsumexp subtracts. (ufunc.reduce: ndarray.max adds a Python call around it.)"""
    if not d.size:
        return np.zeros([1 if (axis is None or i in axis) else s for i, s in enumerate(d.shape)],
                        d.dtype)
    return _finite_or_zero(np.maximum.reduce(
        d, axis=axis, keepdims=True, **({"initial": -np.inf} if d.dtype.kind == "f" else {})))


def _finite_or_zero(m: np.ndarray) -> np.ndarray:
    """A max to subtract: 0 where it is not finite (a row of -inf, or with inf or NaN)."""
    if not np.isfinite(m).all():
        m = np.where(np.isfinite(m), m, 0).astype(m.dtype, copy=False)
    return m


@method("logsumexp")
@numpy_names
def logsumexp(x, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over `dim`, shifted by the max: stable for inputs of any size."""
    d = x._data if x._data.dtype.kind == "f" else x._data.astype(dtypes._DEFAULT[0].np)
    dims = normalize_dims(x, dim, "logsumexp")
    dw = _wide(d)
    m = _max_shift(dw, dims)
    with np.errstate(divide="ignore"):
        out = _narrow(np.log(np.sum(np.exp(dw - m), axis=dims, keepdims=True)) + m, d.dtype)
    if not keepdim:
        out = out.squeeze(dims) if dims is not None else out.reshape(())
    return record(Logsumexp, out, (x,), x=x, shape=x._data.shape, dims=dims, keepdim=keepdim)


def _softmax_dim(x, dim, name: str) -> int:
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return x._wrap_dim(dim)


def _rows(d: np.ndarray, dim: int) -> np.ndarray | None:
    """d as (rows, cols) when `dim` is its last dim and it is C-contiguous float32 or
    float64 (a view), else None."""
    if dim != d.ndim - 1 or not d.flags.c_contiguous or not d.size or d.dtype.kind != "f" \
            or d.itemsize < 4:
        return None
    return d.reshape(-1, d.shape[-1])


def _softmax_np(d: np.ndarray, dim: int) -> np.ndarray:
    """Along a C-contiguous last dim (attention's): one (rows, cols) pass, the row sums
    as a matrix-vector product, the result C-contiguous as PyTorch's. The max subtracted
    is the row's own: a row holding inf or NaN, or all -inf, comes out NaN, as PyTorch."""
    d2 = _rows(d, dim)
    with np.errstate(invalid="ignore"):   # (inf - inf in such a row: NaN, silently)
        if d2 is None:
            e = np.exp(d - _row_max_kept(d, dim))
            s = np.add.reduce(e, axis=dim, keepdims=True)
        else:
            e = d2 - row_max(d2)[:, None]
            np.exp(e, out=e)
            s = row_sum(e)[:, None]
        np.divide(e, s, out=e)
    return e.reshape(d.shape)


def _log_softmax_np(d: np.ndarray, dim: int) -> np.ndarray:
    """As `_softmax_np`: x - max - log(sum(exp(x - max))), along a C-contiguous last dim in
    one (rows, cols) pass, the result C-contiguous as PyTorch's."""
    d2 = _rows(d, dim)
    with np.errstate(invalid="ignore"):
        if d2 is None:
            s = d - _row_max_kept(d, dim)
            return s - np.log(np.add.reduce(np.exp(s), axis=dim, keepdims=True))
        s = d2 - row_max(d2)[:, None]
        lse = np.log(row_sum(np.exp(s)))
        np.subtract(s, lse[:, None], out=s)
    return s.reshape(d.shape)


def _row_max_kept(d: np.ndarray, dim: int) -> np.ndarray:
    """The max along `dim`, kept (nothing for a size-0 input)."""
    if not d.size:
        return np.zeros(d.shape[:dim] + (1,) + d.shape[dim + 1:], d.dtype)
    return np.maximum.reduce(d, axis=dim, keepdims=True)


def _softmax_family(x, dim, dtype, name: str, np_fn, cls, zero_d) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    d = x._data if x._data.dtype.kind == "f" else x._data.astype(dtypes._DEFAULT[0].np)
    dim = _softmax_dim(x, dim, name)
    out = _narrow(np_fn(_wide(d), dim), d.dtype) if d.ndim else np.full_like(d, zero_d)
    return record(cls, out, (x,), dim=dim)


@method("softmax")
@numpy_names
def softmax(x, dim=None, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, computed with the max subtracted (stable)."""
    return _softmax_family(x, dim, dtype, "softmax", _softmax_np, Softmax, 1.0)


@method("log_softmax")
@numpy_names
def log_softmax(x, dim=None, dtype=None) -> Tensor:
    """x - logsumexp(x) along `dim` (stable)."""
    return _softmax_family(x, dim, dtype, "log_softmax", _log_softmax_np, LogSoftmax,
                           0.0)


# ---- norm ------------------------------------------------------------------------------------
@method("norm")
def norm(x, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector p-norm over `dim` ('fro' and 2 are the 2-norm; inf, -inf, 0, 1 and any p)."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be floating point, got {x.dtype}")
    if p in ("fro", 2, 2.0, None):
        dims = normalize_dims(x, dim, "norm")
        xw = _wide(x._data)
        out = _narrow(np.sqrt(np.sum(xw * xw, axis=dims, keepdims=keepdim)), x._data.dtype)
        return record(Norm, out, (x,), x=x, shape=x._data.shape, dims=dims, keepdim=keepdim)
    if p == "nuc":
        raise NotImplementedError("norm(p='nuc') is not supported")
    from ..linalg.norms import vector_norm  # (which builds on this module)
    return vector_norm(x, p, dim, keepdim)   # PyTorch's gradient: 0 where the norm is 0


@method("cumsum")
@numpy_names
def cumsum(x, dim, *, dtype=None) -> Tensor:
    """Cumulative sum along `dim` (CumsumBackward0: reversed cumsum of the gradient)."""
    d = x._wrap_dim(dim)
    data = x._data if dtype is None else x._data.astype(dtypes.to_np(dtype))
    if data.dtype.kind in "bu" or data.dtype.kind == "i" and data.dtype != np.int64:
        data = data.astype(np.int64)
    out = _narrow(np.cumsum(_wide(data), axis=d), data.dtype) if x.ndim else data.copy()
    return record(Cumsum, out, (x,), dim=d)


@method("renorm")
def renorm(x, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice of x along `dim` whose p-norm exceeds `maxnorm` scaled down to norm
    `maxnorm` (the others unchanged)."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if x._data.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x._data.ndim} "
                           "dimensions")
    d = x._wrap_dim(dim)
    norm = x.norm(p, tuple(k for k in range(x._data.ndim) if k != d), keepdim=True)
    return x * where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


Tensor.renorm_ = inplace(renorm)
