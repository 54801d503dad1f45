"""Indexing: `x[idx]`, `x[idx] = v`, and gather/scatter/index_select built on them.

Two primitives carry every derivative here:
  index  (x[idx])                        grad: zeros.index_put(idx, g, accumulate=True)
  index_put(x, idx, v, accumulate)       grads: x <- g with idx zeroed (or g), v <- g[idx]
Each is the other's backward, so indexing is differentiable to any order, and repeated
indices accumulate (`x[[0, 0]].sum()` gives grad 2).
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import grad_mode
from ..function import Node
from ..tensor import Tensor, _make
from .base import derivative, inplace, method, needs_graph, record, to_tensor
from .numpy_names import numpy_names
from .shape import _wrap_dim

_SEQUENCE_AS_TUPLE = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
    "a different result")


def _as_tuple(idx) -> tuple:
    """PyTorch's reading of an index as a tuple of per-dim parts: a list holding a tensor, a
    sequence, a slice, None or ... is read as a tuple (with PyTorch's deprecation warning);
    any other list, like every other index, is one part."""
    if type(idx) is tuple:
        return idx
    if type(idx) is list and len(idx) < 32:
        for item in idx:
            if item is None or item is Ellipsis or isinstance(
                    item, (Tensor, list, tuple, range, slice, np.ndarray)):
                warnings.warn(_SEQUENCE_AS_TUPLE, UserWarning, stacklevel=4)
                return tuple(idx)
    return (idx,)


def _index_part(i):
    """One part of an index, as numpy takes it: an int, slice, None, ..., or an index array."""
    if isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
        return i
    if isinstance(i, slice):
        if i.step is not None and i.step < 0:
            raise ValueError("step must be greater than zero")
        return i
    if i is None or i is Ellipsis:
        return i
    if isinstance(i, Tensor):
        a = i._data
        if a.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return int(a) if a.ndim == 0 and a.dtype.kind in "iu" else a   # x[t0] is a view
    if isinstance(i, (bool, np.bool_)):
        return np.asarray(i)   # x[True] adds a dim of size 1, x[False] one of size 0
    if isinstance(i, range):
        return np.arange(i.start, i.stop, i.step)
    if isinstance(i, (list, tuple)):
        a = np.asarray(i) if i else np.empty(0, np.int64)
        if a.dtype.kind not in "iub":
            raise IndexError(f"lists used as indices must hold integers or booleans, got "
                             f"{a.dtype}")
        return a
    if isinstance(i, np.ndarray):
        if i.dtype.kind not in "iub":
            raise IndexError(f"arrays used as indices must be integer or boolean, got {i.dtype}")
        return i
    raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(i).__name__})")


def _norm_index(idx, shape: tuple):
    """An index in PyTorch's sense as one numpy can apply (to read or to assign), and whether
    it is advanced (copies) rather than basic (a view)."""
    parts = tuple([_index_part(i) for i in _as_tuple(idx)])
    adv = mask = ints = False
    for p in parts:
        if type(p) is np.ndarray:
            adv = True
            mask = mask or p.dtype.kind == "b"
        elif type(p) is int or isinstance(p, np.integer):
            ints = True
    if not adv:
        return parts, False
    if mask:
        _check_masks(parts, shape)
    if ints and _ints_reorder(parts):
        return _torch_order(parts, shape), True
    return parts, True


def _check_masks(parts: tuple, shape: tuple) -> None:
    """PyTorch's errors for too many indices and for boolean masks of the wrong shape."""
    used = sum(0 if p is None or p is Ellipsis else p.ndim if _is_mask(p) else 1 for p in parts)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0
    for k, p in enumerate(parts):
        if p is Ellipsis:
            dim = len(shape) - sum(0 if q is None or q is Ellipsis else q.ndim if _is_mask(q)
                                   else 1 for q in parts[k + 1:])
        elif _is_mask(p):
            for j, n in enumerate(p.shape):
                if n != shape[dim + j]:
                    raise IndexError(f"The shape of the mask {list(p.shape)} at index {j} does not "
                                     f"match the shape of the indexed tensor {list(shape)} at "
                                     f"index {dim + j}")
            dim += p.ndim
        elif p is not None:
            dim += 1


def _is_mask(p) -> bool:
    return type(p) is np.ndarray and p.dtype.kind == "b"


def _ints_reorder(parts: tuple) -> bool:
    """True if numpy would place the result's dims differently from PyTorch. numpy counts
    integers among the advanced indices (`a[0, :, [1, 2]]` puts the indexed dim first, as
    the two are not adjacent); PyTorch selects with integers first and looks at the index
    arrays alone (and keeps that dim in place)."""
    kinds = ["a" if type(p) is np.ndarray else "i" if isinstance(p, (int, np.integer)) else "b"
             for p in parts]
    if "i" not in kinds:
        return False
    return _adjacent(kinds, "ai") != _adjacent([k for k in kinds if k != "i"], "a")


def _adjacent(kinds: list, advanced: str) -> bool:
    pos = [j for j, k in enumerate(kinds) if k in advanced]
    return pos[-1] - pos[0] == len(pos) - 1


def _torch_order(parts: tuple, shape: tuple) -> tuple:
    """The index as integer arrays that pick, in PyTorch's order, the elements that
    selecting with the integers first and then indexing with the arrays picks."""
    step1, step2 = [], []
    for p in parts:
        if type(p) is np.ndarray:
            step1.extend([slice(None)] * (p.ndim if _is_mask(p) else 1))
            step2.append(p)
        else:   # ints, slices, None and ... act in the first step
            step1.append(p)
            if not isinstance(p, (int, np.integer)):
                step2.append(p if p is Ellipsis else slice(None))
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    return np.unravel_index(flat[tuple(step1)][tuple(step2)], shape)


def _index_error(e: IndexError, shape) -> IndexError:
    """numpy's IndexError in PyTorch's words, with the shape indexed."""
    msg = str(e).replace("axis", "dimension")
    if msg.startswith("too many indices"):
        msg = f"too many indices for tensor of dimension {len(shape)}"
    return IndexError(f"{msg} (indexing a tensor of shape {list(shape)})")


def _unindex(g, shape, idx, adv):
    """The gradient of x[idx]: g put at idx in zeros of x's shape (summed where an advanced
    index repeats itself). (On Tensors, or on arrays when no graph is recorded.)"""
    if isinstance(g, Tensor):
        return _make(np.zeros(shape, g._data.dtype)).index_put(idx, g, accumulate=adv)
    out = np.zeros(shape, g.dtype)
    key = idx if len(idx) != 1 else idx[0]
    if adv:
        np.add.at(out, key, g)
    else:
        out[key] = g
    return out


# ---- the derivative table ----------------------------------------------------------------
Index = derivative("IndexBackward0", _unindex, arith=True)
Select = derivative("SelectBackward0", _unindex, arith=True)
Slice = derivative("SliceBackward0", _unindex, arith=True)
IndexSelect = derivative("IndexSelectBackward0", _unindex, arith=True)
Gather = derivative("GatherBackward0", _unindex, arith=True)


# a basic index is a view; PyTorch makes it as a chain of views, and users print the last
Alias = derivative("AliasBackward0", _unindex, arith=True)
IndexUnsqueeze = derivative("UnsqueezeBackward0", _unindex, arith=True)


def _basic_node_class(idx: tuple, shape: tuple) -> type:
    """The grad_fn PyTorch shows for x[idx] with a basic index: the last of the views it
    applies left to right (a select per int, an unsqueeze per None, a slice per slice
    that does not keep its whole dim, unless it is the only part), else an alias."""
    if len(idx) == 1 and isinstance(idx[0], slice):
        return Slice
    cls, dim = Alias, 0
    for k, p in enumerate(idx):
        if p is Ellipsis:   # (the dims it covers: all but those the parts after it use)
            dim = len(shape) - sum(q is not None and q is not Ellipsis for q in idx[k + 1:])
        elif p is None:
            cls = IndexUnsqueeze
        else:
            if not isinstance(p, slice):
                cls = Select
            elif p.indices(shape[dim]) != (0, shape[dim], 1):
                cls = Slice
            dim += 1
    return cls


def getitem(x: Tensor, idx, node_cls=None) -> Tensor:
    idx, adv = _norm_index(idx, x._data.shape)
    key = idx if len(idx) != 1 else idx[0]
    if not adv and Ellipsis not in idx:
        key = idx + (Ellipsis,)   # x[0] of a vector: a 0-d view, as in PyTorch, not a copy
    try:
        out = x._data[key]
    except IndexError as e:
        raise _index_error(e, x._data.shape) from None
    cls = node_cls or (Index if adv else _basic_node_class(idx, x._data.shape))
    return record(cls, out, (x,), view_of=None if adv else x, shape=x._data.shape, idx=idx,
                  adv=adv)


Tensor.__getitem__ = getitem


class IndexPutBackward0(Node):
    def backward(self, g):
        gx = gv = None
        if self.which[0]:
            gx = g if self.accumulate else index_put(g, self.idx, _zero_like_scalar(g))
        if self.which[1]:
            gv = getitem(g, self.idx)
        return (gx, gv)


def _zero_like_scalar(g: Tensor) -> Tensor:
    return _make(np.zeros((), g._data.dtype))


@method("index_put")
def index_put(x: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of x with x[indices] set to (or, with accumulate, increased by) values."""
    idx, adv = _norm_index(indices, x._data.shape)
    v = to_tensor(values, "values", like=x)
    if v._data.dtype != x._data.dtype:
        v = v.to(x.dtype)
    out = x._data.copy()
    key = idx if len(idx) != 1 else idx[0]
    try:
        if accumulate:
            np.add.at(out, key, v._data)
        else:
            out[key] = v._data
    except IndexError as e:
        raise _index_error(e, x._data.shape) from None
    except ValueError:
        target = np.shape(x._data[key])
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v._data.shape)} cannot "
                           f"be broadcast to indexing result of shape {list(target)}") from None
    tensors = (x, v)
    if not needs_graph(*tensors):
        return _make(out)
    n = IndexPutBackward0(tensors)
    n.idx, n.accumulate, n.which = idx, accumulate, (x._rg, v._rg)
    return _make(out, n)


Tensor.index_put_ = inplace(index_put)


def setitem(x: Tensor, idx, value) -> None:
    """`x[idx] = value`, in place, as PyTorch: through a view (`x[idx].copy_(value)`) for
    basic indices, `index_put_` for advanced ones; differentiable with respect to x and
    value when a graph is being recorded."""
    nidx, adv = _norm_index(idx, x._data.shape)
    if grad_mode._grad_enabled() and (x._rg or isinstance(value, Tensor) and value._rg):
        if adv:
            x.index_put_(nidx, value)
        else:
            getitem(x, nidx).copy_(value)
        return
    x._check_inplace()
    v = value._data if isinstance(value, Tensor) else value
    try:
        x._data[nidx if len(nidx) != 1 else nidx[0]] = v
    except IndexError as e:
        raise _index_error(e, x._data.shape) from None
    except ValueError:
        target = np.shape(x._data[nidx if len(nidx) != 1 else nidx[0]])
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot "
                           f"be broadcast to indexing result of shape {list(target)}") from None
    x._vc[0] += 1


Tensor.__setitem__ = setitem


# ---- dim-wise indexing, expressed with the two primitives ---------------------------------------


def _index_1d(index, name: str) -> np.ndarray:
    i = to_tensor(index, "index")._data
    if i.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {i.dtype}")
    return i


@method("index_select")
@numpy_names
def index_select(x, dim: int, index) -> Tensor:
    """Entries of x at `index` (1-D) along `dim`."""
    d = _wrap_dim(x, dim)
    i = _index_1d(index, "index_select")
    if i.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return getitem(x, (slice(None),) * d + (i.reshape(-1),), IndexSelect)


def _gather_index(x_shape: tuple, d: int, index: np.ndarray) -> tuple:
    """Advanced-index tuple that picks x[i0, .., index[i], .., in] for every i of index."""
    grids = np.indices(index.shape, sparse=True)
    return tuple(index if k == d else grids[k] for k in range(index.ndim))


def _check_gather(x: Tensor, d: int, index: np.ndarray, name: str) -> None:
    if index.ndim != x._data.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input "
                           f"tensor ({name}: index {list(index.shape)}, input "
                           f"{list(x._data.shape)})")
    for k, (a, b) in enumerate(zip(index.shape, x._data.shape)):
        if k != d and a > b:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be smaller than self "
                               f"{list(x._data.shape)} apart from dimension {d}")
    if index.size and (index.min() < -x._data.shape[d] or index.max() >= x._data.shape[d]):
        raise RuntimeError(f"index {int(index.max())} is out of bounds for dimension {d} with "
                           f"size {x._data.shape[d]}")


@method("gather")
@numpy_names
def gather(x, dim: int, index) -> Tensor:
    """out[i][j] = x[i][index[i][j]] (for dim=1), for any rank."""
    d = _wrap_dim(x, dim)
    i = _index_1d(index, "gather")
    _check_gather(x, d, i, "gather")
    return getitem(x, _gather_index(x._data.shape, d, i), Gather)


ScatterBackward0 = type("ScatterBackward0", (IndexPutBackward0,), {})
ScatterAddBackward0 = type("ScatterAddBackward0", (IndexPutBackward0,), {})


def _scatter(x, dim, index, src, accumulate: bool, name: str) -> Tensor:
    d = _wrap_dim(x, dim)
    i = _index_1d(index, name)
    _check_gather(x, d, i, name)
    if isinstance(src, Tensor):
        if src._data.ndim != i.ndim or any(a > b for a, b in zip(i.shape, src._data.shape)):
            raise RuntimeError(f"{name}(): Expected src {list(src._data.shape)} to be at least "
                               f"as large as index {list(i.shape)} in every dimension")
        src = src[tuple(slice(0, s) for s in i.shape)] if src._data.shape != i.shape else src
    out = index_put(x, _gather_index(x._data.shape, d, i), src, accumulate=accumulate)
    if out.grad_fn is not None:
        out.grad_fn.__class__ = ScatterAddBackward0 if accumulate else ScatterBackward0
    return out


@method("scatter")
def scatter(x, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """A copy of x with x[i][index[i][j]] = src[i][j] (for dim=1)."""
    if reduce is not None:
        if reduce != "add":
            raise NotImplementedError(f"scatter(reduce='{reduce}') is not supported")
        return scatter_add(x, dim, index, src)
    if src is None:
        src = value
    return _scatter(x, dim, index, src, False, "scatter")


@method("scatter_add")
def scatter_add(x, dim: int, index, src) -> Tensor:
    return _scatter(x, dim, index, src, True, "scatter_add")


Tensor.scatter_ = inplace(scatter)
Tensor.scatter_add_ = inplace(scatter_add)


def unravel_index(indices, shape) -> tuple:
    """The coordinates in a tensor of `shape` of the flat (C-order) positions `indices`, as
    a tuple of int64 tensors of indices' shape (positions wrap around modulo the size, as
    PyTorch's)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a Tensor, but got "
                        f"{type(indices).__name__}")
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got "
                         f"{tuple(shape)}")
    rest, coords = indices._data.astype(np.int64), []
    for size in reversed(shape):
        coords.append(np.remainder(rest, size) if size else np.zeros_like(rest))
        rest = np.floor_divide(rest, size) if size else rest
    return tuple(_make(c) for c in reversed(coords))
