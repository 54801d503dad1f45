"""Sorting and searching: sort, argsort, msort, topk, kthvalue, searchsorted, bucketize.

Sorts are stable (equal values keep their order, also when descending); NaN sorts as the
largest value, as in PyTorch. The values of sort/topk/kthvalue are differentiable: the
gradient goes back to the index each value came from (`selected_backward`), which the
median, mode and cummax families share.
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..tensor import Tensor, _make
from .base import derivative, method, record, to_tensor
from .numpy_names import numpy_names
from .shape import _wrap_dim


def selected_backward(g: Tensor, dim: int, indices: Tensor, shape: tuple, keepdim: bool = True,
                      accumulate: bool = False) -> Tensor:
    """The gradient of values picked from an input of `shape` at `indices` along `dim`:
    zeros with g written (or, with repeated indices, added) at those indices."""
    if not shape:
        return g.reshape(())
    if not keepdim:
        g, indices = g.unsqueeze(dim), indices.unsqueeze(dim)
    from ..creation import zeros
    z = zeros(shape, dtype=g.dtype)
    return z.scatter_add(dim, indices, g) if accumulate else z.scatter(dim, indices, g)


def selected_rule(g, dim, indices, shape, keepdim):
    """The derivative-table rule of ops whose values are x's at `indices` along `dim`."""
    return selected_backward(g, dim, indices, shape, keepdim)


Sort0 = derivative("SortBackward0", selected_rule)
Sort1 = derivative("SortBackward1", selected_rule)
Topk = derivative("TopkBackward0", selected_rule)
Kthvalue = derivative("KthvalueBackward0", selected_rule)


def stable_argsort(d: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """Stable argsort along `axis`; descending keeps equal values in their order too (and
    puts NaN first, as the largest)."""
    if not descending:
        return np.argsort(d, axis=axis, kind="stable")
    n = d.shape[axis]
    rev = np.argsort(np.flip(d, axis), axis=axis, kind="stable")
    return n - 1 - np.flip(rev, axis)


def values_at(x: Tensor, cls, idx: np.ndarray, d: int, keepdim: bool = True) -> tuple:
    """(x's values at `idx` along `d`, recorded as `cls`: the gradient goes back to those
    indices; the indices as a tensor). `idx` keeps dim d; without `keepdim` both drop it."""
    data = x._data
    if data.ndim == 0:
        vals = data.copy()
    else:
        vals = np.take_along_axis(data, idx, axis=d)
        if not keepdim:
            vals = vals.squeeze(d)
    idx_t = _make(np.require(idx if keepdim or data.ndim == 0 else idx.squeeze(d), np.int64,
                             "C"))
    return record(cls, vals, (x,), dim=d, indices=idx_t, shape=data.shape, keepdim=keepdim), idx_t


def _sorted_pick(x: Tensor, cls, d: int, positions=None, descending: bool = False,
                 keepdim: bool = True) -> tuple:
    """values_at the given positions (all if None) of x's stable sorted order along d."""
    if x._data.ndim == 0:
        idx = np.zeros((), np.int64)
    else:
        idx = stable_argsort(x._data, d, descending)
        if positions is not None:
            idx = np.take(idx, positions, axis=d)
    return values_at(x, cls, idx, d, keepdim)


@method("sort")
@numpy_names
def sort(x, dim: int = -1, descending: bool = False, stable: bool | None = None):
    """(values, indices) sorted along `dim`; stable (ties keep their order)."""
    vals, idx_t = _sorted_pick(x, Sort0 if stable is None else Sort1, _wrap_dim(x, dim),
                               descending=descending)
    return return_types.sort(vals, idx_t)


@method("argsort")
@numpy_names
def argsort(x, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort `x` along `dim` (stable)."""
    d = _wrap_dim(x, dim)
    if x._data.ndim == 0:
        return _make(np.zeros((), np.int64))
    return _make(stable_argsort(x._data, d, descending).astype(np.int64))


@method("msort")
def msort(x) -> Tensor:
    """`sort(x, dim=0).values`."""
    return sort(x, 0).values


@method("topk")
@numpy_names
def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The `k` largest (or smallest) values along `dim`, with their indices."""
    d = _wrap_dim(x, dim)
    size = x._data.shape[d] if x._data.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"selected index k out of range (topk: k={k}, but dim {d} of the "
                           f"input of shape {list(x._data.shape)} has size {size})")
    if x._data.ndim == 0 or k == 0 or 4 * k >= size:
        vals, idx_t = _sorted_pick(x, Topk, d, np.arange(k), largest)
    else:
        vals, idx_t = values_at(x, Topk, _top_indices(x._data, k, d, largest), d)
    return return_types.topk(vals, idx_t)


def _top_indices(data: np.ndarray, k: int, d: int, largest: bool) -> np.ndarray:
    """The indices of the k largest (smallest) along d, in sorted order (ties by index):
    a partition, then a sort of the k alone (an O(n) pass instead of a full sort)."""
    n = data.shape[d]
    part = np.argpartition(data, n - k if largest else k - 1, axis=d)
    cand = np.take(part, np.arange(n - k, n) if largest else np.arange(k), axis=d)
    cand = np.take_along_axis(cand, np.argsort(cand, axis=d), d)    # by index first...
    vals = np.take_along_axis(data, cand, d)
    return np.take_along_axis(cand, stable_argsort(vals, d, largest), d)   # ...then value


@method("kthvalue")
@numpy_names
def kthvalue(x, k: int, dim: int = -1, keepdim: bool = False):
    """The k-th smallest value (k counts from 1) along `dim`, with its index."""
    d = _wrap_dim(x, dim)
    size = x._data.shape[d] if x._data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} "
                           f"(k={k}, size {size})")
    vals, idx_t = _sorted_pick(x, Kthvalue, d, [k - 1], keepdim=keepdim)
    return return_types.kthvalue(vals, idx_t)


# ---- searching -----------------------------------------------------------------------------
def _side(right: bool, side: str | None) -> bool:
    if side is None:
        return right
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got "
                           f"{side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got "
                           "side of left while right was True")
    return side == "right"


def searchsorted(sorted_sequence, input, *, out_int32: bool = False,  # noqa: A002
                 right: bool = False, side: str | None = None, sorter=None) -> Tensor:
    """Indices where `input`'s values would be inserted into the innermost dim of
    `sorted_sequence` to keep it sorted (`right`: after equal values)."""
    seq = to_tensor(sorted_sequence, "sorted_sequence")._data
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._data
    right = _side(right, side)
    if sorter is not None:
        seq = np.take_along_axis(seq, to_tensor(sorter, "sorter")._data, axis=-1)
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           "first N-1 dimensions of boundaries tensor and input value tensor must "
                           "match, but we got boundaries tensor [] and input value tensor "
                           f"{list(vals.shape)}")
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side="right" if right else "left")
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               f"the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
        before = np.less_equal if right else np.less   # sorted: the count of those before
        out = before(seq[..., None, :], vals[..., :, None]).sum(-1)
    return _make(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32: bool = False,  # noqa: A002
              right: bool = False) -> Tensor:
    """The bucket of each value: i such that boundaries[i-1] < v <= boundaries[i] (`right`:
    boundaries[i-1] <= v < boundaries[i])."""
    b = to_tensor(boundaries, "boundaries")
    if b._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b._data.ndim})")
    return searchsorted(b, input, out_int32=out_int32, right=right)
