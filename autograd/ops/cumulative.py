"""Cumulative ops along a dim: cumprod, cummax, cummin, logcumsumexp, and the composites
diff, trapezoid and cumulative_trapezoid. (cumsum is in reduction.py.)

cumprod's gradient is exact with zeros in the input (no division by x there); cummax and
cummin send the gradient to the index each running extreme came from (ties: the latest,
as PyTorch); logcumsumexp's gradient is computed in log space, stable for any input.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes, return_types
from ..tensor import Tensor, _make
from .base import derivative, inplace, method, record, to_tensor
from .numpy_names import numpy_names
from .reduction import _narrow, _wide
from .shape import _wrap_dim
from .sorting import selected_backward


def _reverse_cumsum(t: Tensor, dim: int) -> Tensor:
    return t.flip(dim).cumsum(dim).flip(dim)


def _cumprod_rule(g, x, out, dim):
    if x.ndim == 0:
        return g
    if not bool((x._data == 0).any()):
        return _reverse_cumsum(g * out, dim) / x
    # zeros: d out_j / d x_k = prod_{i <= j, i != k} x_i, from the cumprod of x with x_k = 1
    n = x.shape[dim]
    xs = x.movedim(dim, -1)
    rows = xs.unsqueeze(-2).expand(*xs.shape[:-1], n, n)      # (..., k, j)
    eye = _make(np.eye(n, dtype=bool))
    partial = rows.masked_fill(eye, 1.0).cumprod(-1)
    later = _make(np.triu(np.ones((n, n), bool)))              # j >= k
    gs = g.movedim(dim, -1).unsqueeze(-2)
    return (partial * gs).masked_fill(~later, 0.0).sum(-1).movedim(-1, dim)


def _logcumsumexp_rule(g, x, out, dim):
    """PyTorch's: the positive and negative parts of g, each summed in log space."""
    if x.ndim == 0:
        return g
    from .pointwise import where
    lowest = float(np.finfo(g._data.dtype).min)
    log_abs = g.abs().log()

    def part(mask):
        logs = where(mask, log_abs, lowest) - out
        return (logs.flip(dim).logcumsumexp(dim).flip(dim) + x).exp()

    return part(g > 0) - part(g < 0)


Cumprod = derivative("CumprodBackward0", _cumprod_rule)
Logcumsumexp = derivative("LogcumsumexpBackward0", _logcumsumexp_rule)
Cummax = derivative("CummaxBackward0", lambda g, dim, indices, shape:
                    selected_backward(g, dim, indices, shape, accumulate=True))
Cummin = derivative("CumminBackward0", lambda g, dim, indices, shape:
                    selected_backward(g, dim, indices, shape, accumulate=True))


def _int_to_long(d: np.ndarray) -> np.ndarray:
    """Integers and bools accumulate in int64, as in PyTorch."""
    return d.astype(np.int64) if d.dtype.kind in "biu" and d.dtype != np.int64 else d


@method("cumprod")
@numpy_names
def cumprod(x, dim: int, *, dtype=None) -> Tensor:
    """Running product along `dim`."""
    d = _wrap_dim(x, dim)
    if dtype is not None:
        x = x.to(dtype)
    data = _int_to_long(x._data)
    out = _narrow(np.cumprod(_wide(data), axis=d), data.dtype) if data.ndim else data.copy()
    return record(Cumprod, out, (x,), x=x, dim=d)


@method("logcumsumexp")
@numpy_names
def logcumsumexp(x, dim: int) -> Tensor:
    """log(cumsum(exp(x))) along `dim`, computed without overflow."""
    d = _wrap_dim(x, dim)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                  f"'{x.dtype._legacy}'")
    data = x._data   # (float16 accumulates in float32 and rounds once, as PyTorch)
    out = _narrow(np.logaddexp.accumulate(_wide(data), axis=d), data.dtype) if data.ndim else \
        data.copy()
    return record(Logcumsumexp, out, (x,), x=x, dim=d)


def _running_extreme(x, dim, is_max: bool):
    d = _wrap_dim(x, dim)
    data = x._data
    if data.ndim == 0 or data.size == 0:
        idx = np.zeros(data.shape, np.int64)
        vals = data.copy()
    else:
        m = np.moveaxis(data, d, -1)
        n = m.shape[-1]
        # a new extreme at j: x_j >= (or <=) the running one, or x_j is NaN; then NaN sticks
        run = (np.fmax if is_max else np.fmin).accumulate(m, axis=-1)
        nan = np.isnan(m) if data.dtype.kind == "f" else np.zeros(m.shape, bool)
        first_nan = np.where(nan.any(-1, keepdims=True), nan.argmax(-1)[..., None], n)
        pos = np.arange(n)
        hit = (m == run) & (pos < first_nan) | (pos == first_nan)
        idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=-1)
        vals = np.take_along_axis(m, idx, axis=-1)
        idx, vals = np.moveaxis(idx, -1, d), np.moveaxis(vals, -1, d)
    idx_t = _make(np.require(idx, np.int64, "C"))
    out = record(Cummax if is_max else Cummin, np.require(vals, requirements="C"), (x,), dim=d,
                 indices=idx_t, shape=data.shape)
    return (return_types.cummax if is_max else return_types.cummin)(out, idx_t)


@method("cummax")
@numpy_names
def cummax(x, dim: int):
    """(running max, index it came from) along `dim`; NaN propagates."""
    return _running_extreme(x, dim, True)


@method("cummin")
@numpy_names
def cummin(x, dim: int):
    """(running min, index it came from) along `dim`; NaN propagates."""
    return _running_extreme(x, dim, False)


# ---- composites ----------------------------------------------------------------------------
@method("diff")
@numpy_names
def diff(x, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along `dim` (for bools: x[i+1] != x[i])."""
    if x._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(x, dim)
    if n == 0:   # nothing to difference: prepend and append are ignored, as in PyTorch
        return x
    if prepend is not None or append is not None:
        from .shape import cat
        parts = [to_tensor(p, "prepend") for p in (prepend,) if p is not None] + [x] + \
            [to_tensor(a, "append") for a in (append,) if a is not None]
        x = cat(parts, d)
    for _ in range(n):
        size = x._data.shape[d]
        hi, lo = x.narrow(d, min(1, size), max(size - 1, 0)), x.narrow(d, 0, max(size - 1, 0))
        x = hi.logical_xor(lo) if x._data.dtype.kind == "b" else hi - lo
    return x


def _trapezoid_terms(y: Tensor, x, dx, dim: int, name: str) -> Tensor:
    """The area of each trapezoid along `dim`: (y[i] + y[i+1]) / 2 * (x[i+1] - x[i])."""
    d = _wrap_dim(y, dim)
    n = y._data.shape[d]
    if y._data.dtype.kind != "f":
        y = y.to(dtypes.get_default_dtype())
    mid = (y.narrow(d, 1, max(n - 1, 0)) + y.narrow(d, 0, max(n - 1, 0))) / 2
    if x is None:
        return mid * (1.0 if dx is None else dx)
    x = to_tensor(x, "x")
    if x._data.ndim == 1:
        if x._data.shape[0] != n:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        step = diff(x)
        shape = [1] * y._data.ndim
        shape[d] = max(n - 1, 0)
        return mid * step.reshape(shape)
    return mid * diff(x, dim=d)


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of y along `dim` by the trapezoidal rule (spacing `dx`, or points `x`)."""
    return _trapezoid_terms(y, x, dx, dim, "trapezoid").sum(_wrap_dim(y, dim))


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral of y along `dim` (one value fewer than y)."""
    return _trapezoid_terms(y, x, dx, dim, "cumulative_trapezoid").cumsum(_wrap_dim(y, dim))


Tensor.cumprod_ = inplace(cumprod)
Tensor.cumsum_ = inplace(Tensor.cumsum)
