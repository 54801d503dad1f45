"""Selecting and placing along a dim or by mask: index_add, index_copy, index_fill,
scatter_reduce, masked_select, masked_scatter, take, take_along_dim, nonzero, argwhere.

Each differentiable op is in the derivative table under PyTorch's grad_fn name; the rules
use index_select / index_fill / masked ops / gather, so they differentiate again.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _make
from .base import derivative, inplace, method, record, to_tensor
from .indexing import _check_gather, _gather_index
from .shape import _wrap_dim


def _zeros(shape, dtype) -> Tensor:
    from ..creation import zeros
    return zeros(shape, dtype=dtype)


def _index_arg(index, name: str, dim: int, x: Tensor, *, negative: bool = False,
               error: type = IndexError, prefix: str = "") -> Tensor:
    """A 0-d or 1-D integer index along `dim`, checked against the size there (negative
    values count from the end only where PyTorch allows it: index_fill)."""
    i = to_tensor(index, "index")
    if i._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got "
                           f"{i.dtype._legacy}")
    if i._data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    size = x._data.shape[dim] if x._data.ndim else 1
    bad = (i._data < (-size if negative else 0)) | (i._data >= size)
    if bad.any():
        raise error(f"{prefix}index {int(i._data[bad].reshape(-1)[0])} is out of bounds for "
                    f"dimension {dim} with size {size}")
    return _make(np.where(i._data < 0, i._data + size, i._data).reshape(-1).astype(np.int64))


def _along(dim: int, index: Tensor) -> tuple:
    """The numpy key that addresses the entries at `index` along `dim`."""
    return (slice(None),) * dim + (index._data,)


def _same_dtype(x: Tensor, t: Tensor, name: str, what: str) -> Tensor:
    if t._data.dtype != x._data.dtype:
        raise RuntimeError(f"{name}(): self ({x.dtype._legacy}) and {what} ({t.dtype._legacy}) "
                           "must have the same scalar type")
    return t


# ---- index_add / index_copy / index_fill ----------------------------------------------------
IndexAdd = derivative("IndexAddBackward0", lambda g, dim, index, alpha, src_shape: (
    g, (g.index_select(dim, index) * alpha).reshape(src_shape)))
IndexCopy = derivative("IndexCopyBackward0", lambda g, dim, index, src_shape: (
    g.index_fill(dim, index, 0.0), g.index_select(dim, index).reshape(src_shape)))
IndexFill0 = derivative("IndexFillBackward0", lambda g, dim, index: g.index_fill(dim, index, 0.0))
IndexFill1 = derivative("IndexFillBackward1", lambda g, dim, index, unique: (
    g.index_fill(dim, index, 0.0), g.index_select(dim, unique).sum()))


def _source(x: Tensor, dim: int, index: Tensor, source, name: str) -> Tensor:
    src = _same_dtype(x, to_tensor(source, "source"), name, "source")
    expect = list(x._data.shape)
    if expect:
        expect[dim] = index._data.size
    if src._data.ndim and list(src._data.shape) != expect or \
            not src._data.ndim and index._data.size != 1:
        n = src._data.shape[dim] if src._data.ndim > dim else 1
        if n != index._data.size:
            raise IndexError(f"{name}(): Number of indices ({index._data.size}) should be equal "
                             f"to source.size(dim) ({n})")
        raise RuntimeError(f"{name}(): source of shape {list(src._data.shape)} does not match "
                           f"the indexed input, expected shape {expect}")
    return src


@method("index_add")
def index_add(x, dim: int, index, source, *, alpha=1) -> Tensor:
    """x with alpha * source added at `index` along `dim` (repeated indices accumulate)."""
    d = _wrap_dim(x, dim)
    i = _index_arg(index, "index_add", d, x, error=RuntimeError)
    src = _source(x, d, i, source, "index_add")
    out = x._data.reshape(x._data.shape or (1,)).copy()
    key = _along(d, i)
    vals = src._data.reshape(out[key].shape)
    np.add.at(out, key, vals * alpha if alpha != 1 else vals)
    return record(IndexAdd, out.reshape(x._data.shape), (x, src), dim=d, index=i, alpha=alpha,
                  src_shape=src._data.shape)


@method("index_copy")
def index_copy(x, dim: int, index, source) -> Tensor:
    """x with source's slices written at `index` along `dim`."""
    d = _wrap_dim(x, dim)
    i = _index_arg(index, "index_copy_", d, x, prefix="index_copy_(): ")
    src = _source(x, d, i, source, "index_copy_")
    out = x._data.reshape(x._data.shape or (1,)).copy()
    key = _along(d, i)
    out[key] = src._data.reshape(out[key].shape)
    return record(IndexCopy, out.reshape(x._data.shape), (x, src), dim=d, index=i,
                  src_shape=src._data.shape)


@method("index_fill")
def index_fill(x, dim: int, index, value) -> Tensor:
    """x with `value` (a number or a 0-d tensor) at `index` along `dim`."""
    d = _wrap_dim(x, dim)
    i = _index_arg(index, "index_fill_", d, x, negative=True)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    out = x._data.reshape(x._data.shape or (1,)).copy()
    out[_along(d, i)] = value._data if isinstance(value, Tensor) else value
    out = out.reshape(x._data.shape)
    if isinstance(value, Tensor):
        v = value if value._data.dtype == x._data.dtype else value.to(x.dtype)
        return record(IndexFill1, out, (x, v), dim=d, index=i,
                      unique=_make(np.unique(i._data)))   # each filled position once
    return record(IndexFill0, out, (x,), dim=d, index=i)


for _f in (index_add, index_copy, index_fill):
    setattr(Tensor, _f.__name__ + "_", inplace(_f))


# ---- scatter_reduce --------------------------------------------------------------------------
_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
           "amin": np.minimum}


def _scatter_reduce_np(x, key, src, reduce: str, include_self: bool):
    """The forward: (result, how many values were reduced into each position)."""
    out = x.copy()
    count = np.zeros(x.shape, np.int64)
    np.add.at(count, key, 1)
    if not include_self:   # scattered-to positions start from the reduction's identity
        ident = {"sum": 0, "mean": 0, "prod": 1,
                 "amax": -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min,
                 "amin": np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).max}[reduce]
        out[count > 0] = ident
    _UFUNCS[reduce].at(out, key, src)
    n = count + include_self
    if reduce == "mean":
        safe = np.maximum(n, 1)
        out = out / safe if out.dtype.kind == "f" else out // safe
    return out.astype(x.dtype, copy=False), n


def _scatter_reduce_rule(g, x, src, out, dim, index, reduce, include_self, counts):
    """PyTorch's scatter_reduce_backward."""
    scattered = counts - include_self > 0
    if reduce == "sum":
        gx, gs = g, g.gather(dim, index)
    elif reduce == "mean":
        gn = g / counts.clamp_min(1)
        gx, gs = gn, gn.gather(dim, index)
    elif reduce == "prod":
        # products of the other factors, exact when some factors are 0
        masked_x = x.masked_fill(x == 0, 1.0)
        gx = g * masked_x.scatter_reduce(dim, index, src, "prod", include_self=include_self) \
            / masked_x
        src_zero = src == 0
        zeros_at = _zeros(x.shape, x.dtype).scatter_add(dim, index, src_zero.to(x.dtype))
        single = src_zero & (zeros_at.gather(dim, index) == 1)
        masked_src_result = x.scatter_reduce(dim, index, src.masked_fill(single, 1.0), "prod",
                                             include_self=include_self)
        gs = (g * masked_src_result).gather(dim, index)
        gs = gs.masked_fill(~single, 0.0) + \
            ((g * out).gather(dim, index) / src.masked_fill(src_zero, 1.0)).masked_fill(single,
                                                                                      0.0)
    else:   # amax / amin: shared evenly among the values equal to the result
        picked = out.gather(dim, index)
        src_hit = (src == picked).to(g.dtype)
        x_hit = (x == out).to(g.dtype)   # (counted even without include_self, as PyTorch)
        n = _zeros(x.shape, g.dtype).scatter_add(dim, index, src_hit) + x_hit
        share = g / n.masked_fill(n == 0, 1.0)
        gx, gs = share * x_hit, share.gather(dim, index) * src_hit
    if not include_self:
        gx = gx.masked_fill(scattered, 0.0)
    return gx, gs


ScatterReduce = derivative("ScatterReduceBackward0", _scatter_reduce_rule)


@method("scatter_reduce")
def scatter_reduce(x, dim: int, index, src, reduce: str, *, include_self: bool = True) -> Tensor:
    """x with src's values reduced ("sum", "prod", "mean", "amax", "amin") into the
    positions `index` names along `dim` (x's own values included if `include_self`)."""
    if reduce not in _UFUNCS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d = _wrap_dim(x, dim)
    i = to_tensor(index, "index")
    if i._data.dtype.kind not in "iu":
        raise RuntimeError(f"scatter_reduce(): Expected dtype int64 for index, got "
                           f"{i.dtype._legacy}")
    _check_gather(x, d, i._data, "scatter_reduce")
    src = _same_dtype(x, to_tensor(src, "src"), "scatter_reduce", "src")
    if src._data.ndim != i._data.ndim or any(a > b for a, b in zip(i._data.shape,
                                                                   src._data.shape)):
        raise RuntimeError(f"scatter_reduce(): Expected src {list(src._data.shape)} to be at "
                           f"least as large as index {list(i._data.shape)} in every dimension")
    src_used = src if src._data.shape == i._data.shape else \
        src[tuple(slice(0, s) for s in i._data.shape)]
    idx = np.where(i._data < 0, i._data + x._data.shape[d], i._data)
    key = _gather_index(x._data.shape, d, idx)
    out, counts = _scatter_reduce_np(x._data, key, src_used._data, reduce, include_self)
    return record(ScatterReduce, out, (x, src_used), x=x, src=src_used, dim=d,
                  index=_make(idx.astype(np.int64)), reduce=reduce,
                  include_self=int(include_self), counts=_make(counts))


Tensor.scatter_reduce_ = inplace(scatter_reduce)


# ---- masks -----------------------------------------------------------------------------------
def _bool_mask(mask, name: str) -> Tensor:
    m = to_tensor(mask, "mask")
    if m._data.dtype.kind != "b":
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype "
                           f"{m.dtype._legacy}")
    return m


MaskedSelect = derivative("MaskedSelectBackward0", lambda g, mask, shape:
                          _zeros(shape, g.dtype).masked_scatter(mask, g))
MaskedScatter = derivative("MaskedScatterBackward0", lambda g, mask, src_shape: (
    g.masked_fill(mask, 0.0), _pad_to(g.masked_select(mask), src_shape)))


def _pad_to(flat: Tensor, shape: tuple) -> Tensor:
    """The first values of a tensor of `shape`, the rest 0."""
    n = int(np.prod(shape))
    if flat._data.size < n:
        from .shape import cat
        flat = cat([flat, _zeros((n - flat._data.size,), flat.dtype)])
    return flat.reshape(shape)


@method("masked_select")
def masked_select(x, mask) -> Tensor:
    """The elements where `mask` (broadcast with x) is True, as a 1-D tensor."""
    m = _bool_mask(mask, "masked_select:")
    try:
        shape = np.broadcast_shapes(x._data.shape, m._data.shape)
    except ValueError:
        from .base import shape_mismatch
        raise shape_mismatch("masked_select", m._data, x._data) from None
    mb = _make(np.broadcast_to(m._data, shape))
    out = np.broadcast_to(x._data, shape)[mb._data]
    return record(MaskedSelect, out, (x,), mask=mb, shape=shape)


@method("masked_scatter")
def masked_scatter(x, mask, source) -> Tensor:
    """x with the positions where `mask` is True filled, in order, from source's values."""
    m = _bool_mask(mask, "masked_scatter_")
    src = _same_dtype(x, to_tensor(source, "source"), "masked_scatter_", "source")
    mb = _make(np.broadcast_to(m._data, x._data.shape))
    k = int(mb._data.sum())
    if k > src._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = x._data.copy()
    out[mb._data] = src._data.reshape(-1)[:k]
    return record(MaskedScatter, out, (x, src), mask=mb, src_shape=src._data.shape)


Tensor.masked_scatter_ = inplace(masked_scatter)


# ---- take --------------------------------------------------------------------------------------
Take = derivative("TakeBackward0", lambda g, index, shape:
                  _zeros((int(np.prod(shape)),), g.dtype)
                  .index_add(0, index.reshape(-1), g.reshape(-1)).reshape(shape))


@method("take")
def take(x, index) -> Tensor:
    """Elements of x at the flat `index` (any shape; negatives count from the end)."""
    i = to_tensor(index, "index")
    if i._data.dtype.kind not in "iu":
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {i.dtype._legacy}")
    n = x._data.size
    bad = (i._data < -n) | (i._data >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(i._data[bad].reshape(-1)[0])}"
                         f" on a tensor of {n} elements.")
    idx = _make(np.where(i._data < 0, i._data + n, i._data).astype(np.int64))
    return record(Take, x._data.reshape(-1)[idx._data], (x,), index=idx, shape=x._data.shape)


@method("take_along_dim")
def take_along_dim(x, indices, dim: int | None = None) -> Tensor:
    """Values of x at `indices` along `dim` (x and indices broadcast in the other dims);
    of the flattened x if dim is None."""
    i = to_tensor(indices, "indices")
    if dim is None:
        return x.reshape(-1).gather(0, i.reshape(-1))
    d = _wrap_dim(x, dim)
    if i._data.ndim != x._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x._data.ndim} dimensions for input, "
                           f"and {i._data.ndim} dimensions for indices")
    xs, ks = list(x._data.shape), list(i._data.shape)
    xs[d] = ks[d] = 1
    try:
        common = list(np.broadcast_shapes(tuple(xs), tuple(ks)))
    except ValueError:
        from .base import shape_mismatch
        raise shape_mismatch("take_along_dim", np.empty(xs), np.empty(ks)) from None
    x_shape, i_shape = list(common), list(common)
    x_shape[d], i_shape[d] = x._data.shape[d], i._data.shape[d]
    xe = x.expand(x_shape) if tuple(x_shape) != x._data.shape else x
    ie = i.expand(i_shape) if tuple(i_shape) != i._data.shape else i
    return xe.gather(d, ie)


# ---- nonzero -----------------------------------------------------------------------------------
@method("nonzero")
def nonzero(x, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (N, ndim) int64 tensor, or one per dim."""
    data = x._data if x._data.ndim else x._data.reshape(1)
    nz = np.nonzero(data)
    if as_tuple:
        return tuple(_make(a.astype(np.int64)) for a in nz)
    if x._data.ndim == 0:
        return _make(np.zeros((int(bool(data[0])), 0), np.int64))
    return _make(np.stack(nz, axis=1).astype(np.int64))


@method("argwhere")
def argwhere(x) -> Tensor:
    """nonzero(x) as an (N, ndim) tensor."""
    return nonzero(x)



# ---- the *_scatter functions: a copy with one part replaced ---------------------------------
def _scatter_into(x, src, view, what: str = "slice") -> Tensor:
    """A copy of x whose part `view(copy)` is src (differentiable through both)."""
    out = x.clone()
    part = view(out)
    if part._data.shape != tuple(src.shape):
        raise RuntimeError(f"expected src to have a size equal to the {what} of self. src size "
                           f"= {list(src.shape)}, {what} size = {list(part._data.shape)}")
    part.copy_(src)
    return out


@method("slice_scatter")
def slice_scatter(x, src, dim: int = 0, start: int | None = None, end: int | None = None,
                  step: int = 1) -> Tensor:
    """A copy of x with `x[start:end:step]` along `dim` replaced by src."""
    d = _wrap_dim(x, dim)
    return _scatter_into(x, src, lambda t: t[(slice(None),) * d + (slice(start, end, step),)])


@method("select_scatter")
def select_scatter(x, src, dim: int, index: int) -> Tensor:
    """A copy of x with `x.select(dim, index)` replaced by src."""
    return _scatter_into(x, src, lambda t: t.select(dim, index))


@method("diagonal_scatter")
def diagonal_scatter(x, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of x with the diagonal `diagonal(offset, dim1, dim2)` replaced by src."""
    return _scatter_into(x, src, lambda t: t.diagonal(offset, dim1, dim2))


_INDEX_REDUCE = ("prod", "mean", "amax", "amin")


@method("index_reduce")
def index_reduce(x, dim: int, index, source, reduce: str, *, include_self: bool = True):
    """Reduce the slices of `source` along `dim` into the slices `index` of x (prod, mean,
    amax or amin; x's own values take part unless `include_self=False`): scatter_reduce
    with the index spread along the other dims."""
    if reduce not in _INDEX_REDUCE:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = _wrap_dim(x, dim) if x._data.ndim else 0
    idx = _index_arg(index, "index_reduce", d, x)
    src = _source(x, d, idx, source, "index_reduce")
    if x._data.ndim == 0:
        return scatter_reduce(x, 0, idx.reshape(()), src, reduce, include_self=include_self)
    shape = [1] * x._data.ndim
    shape[d] = -1
    spread = idx.reshape(shape).expand(src._data.shape)
    return scatter_reduce(x, d, spread, src, reduce, include_self=include_self)


Tensor.index_reduce_ = inplace(index_reduce)


@method("put")
def put(x, index, source, accumulate: bool = False) -> Tensor:
    """A copy of x with the elements at the flat positions `index` (negative from the end)
    set to (or, with `accumulate`, increased by) the elements of `source`."""
    i, src = to_tensor(index, "index"), to_tensor(source, "source")
    if i._data.dtype.kind not in "iu":
        raise IndexError(f"put_(): Expected a long tensor for index, but got "
                         f"{i.dtype._legacy}")
    if i._data.size != src._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {src._data.size}, index.numel() "
                         f"= {i._data.size}")
    n = x._data.size
    bad = (i._data < -n) | (i._data >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(i._data[bad][0])} on a "
                         f"tensor of {n} elements.")
    flat = _make(np.where(i._data < 0, i._data + n, i._data).reshape(-1).astype(np.int64))
    out = x.reshape(-1).index_put((flat,), _same_dtype(x, src, "put_", "source").reshape(-1),
                                  accumulate=accumulate)
    return out.reshape(x._data.shape)


Tensor.put_ = inplace(put)
