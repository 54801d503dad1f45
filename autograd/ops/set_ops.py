"""Set-like ops: unique (of elements or of slices along a dim), unique_consecutive, with
PyTorch's optional inverse indices and counts; isin. None has a gradient, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _make
from .base import method
from .shape import _wrap_dim


def _results(values: np.ndarray, inverse: np.ndarray, counts: np.ndarray,
             return_inverse: bool, return_counts: bool):
    out = [_make(np.require(values, requirements="C"))]
    if return_inverse:
        out.append(_make(inverse.astype(np.int64)))
    if return_counts:
        out.append(_make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _as_rows(data: np.ndarray, d: int) -> np.ndarray:
    """The slices along d as rows (n, -1), to compare them whole."""
    return np.moveaxis(data, d, 0).reshape(data.shape[d], -1)


def _from_rows(rows: np.ndarray, data: np.ndarray, d: int) -> np.ndarray:
    moved = np.moveaxis(data, d, 0).shape
    return np.moveaxis(rows.reshape((rows.shape[0],) + moved[1:]), 0, d)


@method("unique")
def unique(x, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements (or slices along `dim`), sorted; optionally the index of each
    input element in them and how often each occurs. NaNs are all distinct."""
    data = x._data
    if dim is None:
        flat = data.reshape(-1)
        order = np.argsort(flat, kind="stable")
        s = flat[order]
        new = np.ones(s.shape, bool)
        new[1:] = s[1:] != s[:-1]            # NaN != NaN: each NaN stays its own value
        group = np.cumsum(new) - 1
        inverse = np.empty(flat.shape, np.int64)
        inverse[order] = group
        counts = np.diff(np.append(np.flatnonzero(new), s.size))
        return _results(s[new], inverse.reshape(data.shape), counts, return_inverse,
                        return_counts)
    d = _wrap_dim(x, dim)
    rows = _as_rows(data, d)
    if rows.shape[0] == 0:
        return _results(data, np.zeros(0, np.int64), np.zeros(0, np.int64), return_inverse,
                        return_counts)
    values, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    return _results(_from_rows(values, data, d), inverse.reshape(-1), counts, return_inverse,
                    return_counts)


@method("unique_consecutive")
def unique_consecutive(x, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Collapse runs of equal elements (or slices along `dim`) to one."""
    data = x._data
    if dim is None:
        rows = data.reshape(-1, 1)
        d = None
    else:
        d = _wrap_dim(x, dim)
        rows = _as_rows(data, d)
    n = rows.shape[0]
    new = np.ones(n, bool)
    if n:
        new[1:] = (rows[1:] != rows[:-1]).any(1)
    inverse = np.cumsum(new) - 1
    counts = np.diff(np.append(np.flatnonzero(new), n))
    values = rows[new]
    values = values.reshape(-1) if d is None else _from_rows(values, data, d)
    inverse = inverse.reshape(data.shape) if d is None else inverse
    return _results(values, inverse, counts, return_inverse, return_counts)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Whether each element of `elements` is among `test_elements` (either may be a number;
    a bool tensor of elements' shape; no gradient)."""
    from ..creation import tensor
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() expected at least one of elements and test_elements to be a "
                        f"Tensor, got {type(elements).__name__} and "
                        f"{type(test_elements).__name__}")
    e = elements._data if isinstance(elements, Tensor) else tensor(elements)._data
    t = test_elements._data if isinstance(test_elements, Tensor) else \
        tensor(test_elements)._data
    return _make(np.isin(e, t, assume_unique=assume_unique, invert=invert))
