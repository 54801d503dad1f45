"""Registry entries: index_add, index_copy, index_fill, scatter_reduce (every reduction),
masked_select, masked_scatter, take, take_along_dim."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats


@hs.composite
def _index_sample(draw, unique=False, with_source=True):
    shape = draw(st.shapes(min_dims=1, min_side=1, max_side=3))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    idx = draw(hs.lists(hs.integers(0, n - 1), max_size=n if unique else 4, unique=unique))
    idx = np.asarray(idx, np.int64)
    x = draw(floats(shape))
    if not with_source:
        return Sample((x, idx), {"dim": dim})
    src_shape = list(shape)
    src_shape[dim] = len(idx)
    return Sample((x, idx, draw(floats(tuple(src_shape)))), {"dim": dim})


def _index_add_ref(x, idx, src, dim, alpha=1):
    out = x.copy()
    np.add.at(out, (slice(None),) * (dim % x.ndim) + (idx,), src * alpha)
    return out


def _index_copy_ref(x, idx, src, dim):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (idx,)] = src
    return out


def _index_fill_ref(x, idx, value, dim):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (idx,)] = value
    return out


@hs.composite
def _scatter_reduce_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1, max_side=3))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    idx_shape = tuple(draw(hs.integers(1, s)) if i != dim % len(shape) else
                      draw(hs.integers(1, 4)) for i, s in enumerate(shape))
    idx = np.asarray(draw(st.arrays(idx_shape, np.int64, low=0, high=shape[dim] - 1)))
    reduce = draw(hs.sampled_from(["sum", "prod", "mean", "amax", "amin"]))
    x = draw(floats(shape, 0.5, 2.0))
    src = draw(floats(idx_shape, 0.5, 2.0))
    if reduce in ("amax", "amin"):   # distinct values: no ties between x and src
        vals = np.arange(x.size + src.size, dtype=np.float64) * 0.3 + 0.5
        perm = draw(hs.permutations(range(vals.size)))
        vals = vals[list(perm)]
        x, src = vals[:x.size].reshape(shape), vals[x.size:].reshape(idx_shape)
    return Sample((x, idx, src), {"dim": dim, "reduce": reduce,
                                  "include_self": draw(hs.booleans())})


def _scatter_reduce_ref(x, idx, src, dim, reduce, include_self):
    d = dim % x.ndim
    out = x.copy()
    grids = np.indices(idx.shape, sparse=True)
    key = tuple(idx if k == d else grids[k] for k in range(idx.ndim))
    count = np.zeros(x.shape)
    np.add.at(count, key, 1)
    if not include_self:
        out[count > 0] = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
             "amin": np.minimum}[reduce]
    ufunc.at(out, key, src)
    if reduce == "mean":
        out = out / np.maximum(count + include_self, 1)
    return out


@hs.composite
def _masked_select_sample(draw):
    sx, sm = draw(st.broadcastable_shapes(2))
    return Sample((draw(floats(sx)), draw(st.arrays(sm, np.bool_))))


def _masked_select_ref(x, m):
    shape = np.broadcast_shapes(x.shape, m.shape)
    return np.broadcast_to(x, shape)[np.broadcast_to(m, shape)]


@hs.composite
def _masked_scatter_sample(draw):
    shape = draw(st.shapes())
    m = draw(st.arrays(shape, np.bool_))
    src = draw(floats((int(m.sum()) + draw(hs.integers(0, 2)),)))
    return Sample((draw(floats(shape)), m, src))


def _masked_scatter_ref(x, m, src):
    out = x.copy()
    out[m] = src[:int(m.sum())]
    return out


@hs.composite
def _take_sample(draw):
    shape = draw(st.shapes(min_side=1))
    n = int(np.prod(shape))
    idx = np.asarray(draw(st.arrays(st.shapes(max_dims=2), np.int64, low=-n, high=n - 1)))
    return Sample((draw(floats(shape)), idx))


@hs.composite
def _take_along_dim_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1, max_side=3))
    if draw(hs.booleans()):
        n = int(np.prod(shape))
        idx = np.asarray(draw(st.arrays((draw(hs.integers(0, 4)),), np.int64, low=0,
                                        high=n - 1)))
        return Sample((draw(floats(shape)), idx), {"dim": None})
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    ishape = tuple(draw(hs.integers(0, 3)) if i == dim % len(shape) else
                   draw(hs.sampled_from([1, s])) for i, s in enumerate(shape))
    xshape = tuple(1 if i != dim % len(shape) and ishape[i] == s and draw(hs.booleans())
                   else s for i, s in enumerate(shape))   # both sides broadcast
    idx = np.asarray(draw(st.arrays(ishape, np.int64, low=0, high=shape[dim] - 1)))
    return Sample((draw(floats(xshape)), idx), {"dim": dim})


def _take_along_dim_ref(x, idx, dim):
    if dim is None:
        return np.take_along_axis(x.ravel(), idx.ravel(), 0)
    d = dim % x.ndim
    xs, ks = list(x.shape), list(idx.shape)
    xs[d] = ks[d] = 1
    common = np.broadcast_shapes(tuple(xs), tuple(ks))
    xb = np.broadcast_to(x, common[:d] + (x.shape[d],) + common[d + 1:])
    ib = np.broadcast_to(idx, common[:d] + (idx.shape[d],) + common[d + 1:])
    return np.take_along_axis(xb, ib, d)


OPS = [
    OpInfo("index_add", lambda x, i, s, dim: ag.index_add(x, dim, i, s, alpha=1.5),
           lambda x, i, s, dim: _index_add_ref(x, i, s, dim, 1.5), _index_sample()),
    OpInfo("index_copy", lambda x, i, s, dim: ag.index_copy(x, dim, i, s), _index_copy_ref,
           _index_sample(unique=True)),
    OpInfo("index_fill", lambda x, i, dim: ag.index_fill(x, dim, i, -1.5),
           lambda x, i, dim: _index_fill_ref(x, i, -1.5, dim), _index_sample(with_source=False)),
    OpInfo("index_fill_tensor_value", lambda x, i, v, dim: ag.index_fill(x, dim, i, v),
           lambda x, i, v, dim: _index_fill_ref(x, i, v, dim),
           _index_sample(with_source=False).flatmap(
               lambda s: floats(()).map(lambda v: Sample(s.args + (v,), s.kwargs)))),
    OpInfo("scatter_reduce", lambda x, i, s, **kw: ag.scatter_reduce(x, kw.pop("dim"), i, s,
                                                                     **kw),
           _scatter_reduce_ref, _scatter_reduce_sample()),
    OpInfo("masked_select", ag.masked_select, _masked_select_ref, _masked_select_sample()),
    OpInfo("masked_scatter", ag.masked_scatter, _masked_scatter_ref, _masked_scatter_sample()),
    OpInfo("take", ag.take, lambda x, i: x.ravel()[i], _take_sample()),
    OpInfo("take_along_dim", ag.take_along_dim, _take_along_dim_ref, _take_along_dim_sample()),
]


# ---- the *_scatter functions, index_reduce, put (composites of the ops above) ---------------
@hs.composite
def _slice_scatter_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1, max_side=4))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    start, step = draw(hs.integers(0, n - 1)), draw(hs.integers(1, 2))
    count = len(range(start, n, step))
    src_shape = list(shape)
    src_shape[dim] = count
    return Sample((draw(floats(shape)), draw(floats(tuple(src_shape)))),
                  {"dim": dim, "start": start, "step": step})


def _slice_scatter_ref(x, src, dim, start, step):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (slice(start, None, step),)] = src
    return out


@hs.composite
def _select_scatter_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1, max_side=4))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    d = dim % len(shape)
    return Sample((draw(floats(shape)), draw(floats(shape[:d] + shape[d + 1:]))), {"dim": dim})


def _select_scatter_ref(x, src, dim):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (-1,)] = src
    return out


@hs.composite
def _diagonal_scatter_sample(draw):
    shape = draw(st.shapes(min_dims=2, max_dims=3, min_side=1, max_side=4))
    offset = draw(hs.integers(-1, 1))
    x = draw(floats(shape))
    src_shape = np.diagonal(x, offset, 0, 1).shape
    return Sample((x, draw(floats(src_shape))), {"offset": offset})


def _diagonal_scatter_ref(x, src, offset):
    out = x.copy()
    rows, cols = np.nonzero(np.eye(x.shape[0], x.shape[1], offset, bool))
    out[rows, cols] = np.moveaxis(src, -1, 0)
    return out


@hs.composite
def _index_reduce_sample(draw):
    s = draw(_index_sample())
    reduce = draw(hs.sampled_from(["prod", "mean", "amax", "amin"]))
    x, idx, src = s.args
    x, src = np.abs(x) * 0.75 + 0.5, np.abs(src) * 0.75 + 0.5   # (as scatter_reduce's)
    if reduce in ("amax", "amin"):   # distinct values: no ties
        vals = np.arange(x.size + src.size, dtype=np.float64) * 0.3 - 1
        vals = vals[list(draw(hs.permutations(range(vals.size))))]
        x, src = vals[:x.size].reshape(x.shape), vals[x.size:].reshape(src.shape)
    return Sample((x, idx, src), {"dim": s.kwargs["dim"], "reduce": reduce,
                                  "include_self": draw(hs.booleans())})


def _index_reduce_ref(x, idx, src, dim, reduce, include_self):
    d = dim % x.ndim
    spread = np.expand_dims(idx, tuple(k for k in range(x.ndim) if k != d))
    return _scatter_reduce_ref(x, np.broadcast_to(spread, src.shape).copy(), src, d, reduce,
                               include_self)


@hs.composite
def _put_sample(draw):
    shape = draw(st.shapes(min_dims=0, min_side=1, max_side=3))
    n = int(np.prod(shape))
    accumulate = draw(hs.booleans())
    idx = np.asarray(draw(hs.lists(hs.integers(-n, n - 1), max_size=4, unique=not accumulate)
                          .filter(lambda v: len({i % n for i in v}) == len(v) or accumulate)),
                     np.int64)
    return Sample((draw(floats(shape)), idx, draw(floats(idx.shape))),
                  {"accumulate": accumulate})


def _put_ref(x, idx, src, accumulate):
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, idx % out.size, src)
    else:
        out[idx % out.size] = src
    return out.reshape(x.shape)


OPS += [
    OpInfo("slice_scatter", lambda x, src, **kw: x.slice_scatter(src, **kw),
           _slice_scatter_ref, _slice_scatter_sample()),
    OpInfo("select_scatter", lambda x, src, dim: ag.select_scatter(x, src, dim, -1),
           _select_scatter_ref, _select_scatter_sample()),
    OpInfo("diagonal_scatter", lambda x, src, offset: ag.diagonal_scatter(x, src, offset),
           _diagonal_scatter_ref, _diagonal_scatter_sample()),
    OpInfo("index_reduce", lambda x, idx, src, **kw: x.index_reduce(kw.pop("dim"), idx, src,
                                                                     **kw),
           _index_reduce_ref, _index_reduce_sample()),
    OpInfo("put", lambda x, idx, src, accumulate: x.put(idx, src, accumulate), _put_ref,
           _put_sample()),
]
