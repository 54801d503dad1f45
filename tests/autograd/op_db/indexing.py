"""Registry entries: indexing and index assignment, gather/scatter and friends."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats


@hs.composite
def _basic_index(draw):
    """ints, slices (with steps), None and a trailing Ellipsis over the leading dims."""
    shape = draw(st.shapes(min_dims=1, min_side=1))
    idx = []
    for n in shape[:draw(hs.integers(1, len(shape)))]:
        if draw(hs.booleans()) and draw(hs.booleans()):
            idx.append(None)                      # a new axis consumes no dim
        if draw(hs.booleans()):
            idx.append(draw(hs.integers(-n, n - 1)))
        else:
            idx.append(slice(draw(hs.integers(0, n)), None, draw(hs.integers(1, 2))))
    if draw(hs.booleans()):
        idx.append(Ellipsis)
    return Sample((draw(floats(shape)),), {"idx": tuple(idx)})


@hs.composite
def _advanced_index(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1))
    n = shape[0]
    kind = draw(hs.sampled_from(["ints", "bool", "mixed"]))
    if kind == "ints":   # repeats allowed: gradients must accumulate
        idx = (np.array(draw(hs.lists(hs.integers(-n, n - 1), min_size=0, max_size=5)),
                        dtype=np.int64),)
    elif kind == "bool":
        idx = (draw(st.arrays(shape, np.bool_)),)
    else:
        idx = (slice(None), np.array(draw(hs.lists(hs.integers(0, shape[1] - 1), max_size=4)),
                                     dtype=np.int64)) if len(shape) > 1 else \
            (np.array([0, n - 1, 0], dtype=np.int64),)
    return Sample((draw(floats(shape)),), {"idx": idx})


@hs.composite
def _index_put_sample(draw, accumulate):
    s = draw(_advanced_index())
    x = s.args[0]
    target = x[s.kwargs["idx"]].shape
    v_shape = target[draw(hs.integers(0, len(target))):]   # broadcasts to the target
    v = draw(floats(v_shape))
    return Sample((x, v), {"idx": s.kwargs["idx"], "accumulate": accumulate})


def _no_repeats(s):
    """index_put without accumulate: with repeated targets the last write wins, undefined."""
    x, idx = s.args[0], s.kwargs["idx"]
    hits = np.zeros(x.shape, int)
    np.add.at(hits, idx, 1)
    return hits.max(initial=0) <= 1


def _index_put_ref(x, v, idx, accumulate):
    out = x.copy()
    if accumulate:
        np.add.at(out, idx, v)
    else:
        out[idx] = v
    return out


@hs.composite
def _setitem_sample(draw):
    s = draw(_basic_index())
    x = s.args[0]
    return Sample((x, draw(floats(x[s.kwargs["idx"]].shape))), s.kwargs)


def _setitem(x, v, idx):
    y = x * 1.0  # a non-leaf copy, which may be modified in place
    y[idx] = v
    return y


def _setitem_ref(x, v, idx):
    y = x.copy()
    y[idx] = v
    return y


def _view_iadd(x, v, idx):
    """`y[idx] += v` on a non-leaf: two in-place ops on a view (add_, then the copy_ of
    __setitem__), each rewriting y's history (CopySlices)."""
    y = x * 1.0
    y[idx] += v
    return y


def _view_iadd_ref(x, v, idx):
    y = x.copy()
    y[idx] += v
    return y


def _base_changed_under_view(x, idx):
    """A view taken before its base changes in place sees the new values, and its gradient
    goes through the base's in-place op (AsStridedBackward0)."""
    y = x * 1.0
    w = y[idx]
    y.mul_(2.0)
    return w * 3.0


@hs.composite
def _gather_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    ishape = tuple(draw(hs.integers(0, s)) if i != dim % len(shape) else draw(hs.integers(0, 4))
                   for i, s in enumerate(shape))
    index = draw(st.arrays(ishape, np.int64, low=0, high=shape[dim] - 1))
    return Sample((draw(floats(shape)),), {"dim": dim, "index": index})


@hs.composite
def _scatter_sample(draw, add):
    s = draw(_gather_sample())
    x, dim, index = s.args[0], s.kwargs["dim"], s.kwargs["index"]
    if not add:   # distinct targets along dim, or scatter's result depends on the write order
        d = dim % x.ndim
        n = x.shape[d]
        k = min(index.shape[d], n)
        index = np.take(index, range(k), axis=d) if k < index.shape[d] else index
        perm = np.array(draw(hs.permutations(range(n))))[:k]
        shape = [1] * x.ndim
        shape[d] = k
        index = np.broadcast_to(perm.reshape(shape), index.shape).copy()
    src = draw(floats(index.shape))
    return Sample((x, src), {"dim": dim, "index": index})


def _grids(x, dim, index):
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim % x.ndim] = index
    return tuple(grids)


def _gather_ref(x, dim, index):
    return x[_grids(x, dim, index)]


def _scatter_ref(x, src, dim, index, add=False):
    out = x.copy()
    if add:
        np.add.at(out, _grids(x, dim, index), src)
    else:
        out[_grids(x, dim, index)] = src
    return out


@hs.composite
def _index_select_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    index = np.array(draw(hs.lists(hs.integers(0, shape[dim] - 1), max_size=4)), np.int64)
    return Sample((draw(floats(shape)),), {"dim": dim, "index": index})


@hs.composite
def _mixed_index(draw):
    """PyTorch's index forms numpy reads differently or not at all: ints among index arrays
    (PyTorch selects with the ints first), Python ranges and lists of tensors. Arrays hold
    distinct entries, so that assignments through them are well defined."""
    shape = draw(st.shapes(min_dims=2, max_dims=4, min_side=1))
    kinds = draw(hs.lists(hs.sampled_from(["int", "slice", "array", "range"]),
                          min_size=len(shape), max_size=len(shape)))
    kinds[draw(hs.integers(0, len(shape) - 1))] = draw(hs.sampled_from(["array", "range"]))
    k = draw(hs.integers(1, min(shape)))   # the index arrays' common length
    idx = []
    for n, kind in zip(shape, kinds):
        if kind == "int":
            idx.append(draw(hs.integers(-n, n - 1)))
        elif kind == "slice":
            idx.append(slice(draw(hs.integers(0, n)), None))
        elif kind == "array":
            idx.append(np.array(draw(hs.permutations(range(n)))[:k], dtype=np.int64))
        else:
            start = draw(hs.integers(0, n - k))
            idx.append(range(start, start + k))
    return Sample((draw(floats(shape)),), {"idx": tuple(idx)})


def _two_steps(idx):
    """PyTorch's semantics, independently: select with the ints, then index the rest."""
    first = tuple(i if isinstance(i, int) else slice(None) for i in idx)
    rest = tuple(list(i) if isinstance(i, range) else i if not isinstance(i, slice) else i
                 for i in idx if not isinstance(i, int))
    return first, rest


def _mixed_ref(x, idx):
    first, rest = _two_steps(idx)
    return x[first][rest]


def _as_tensors(idx):
    return tuple(ag.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)


@hs.composite
def _mixed_setitem_sample(draw):
    s = draw(_mixed_index())
    x = s.args[0]
    return Sample((x, draw(floats(_mixed_ref(x, s.kwargs["idx"]).shape))), s.kwargs)


def _mixed_setitem(x, v, idx):
    y = x * 1.0
    y[_as_tensors(idx)] = v
    return y


def _mixed_setitem_ref(x, v, idx):
    y = x.copy()
    first, rest = _two_steps(idx)
    y[first][rest] = v
    return y


OPS = [
    OpInfo("getitem_mixed", lambda x, idx: x[_as_tensors(idx)], _mixed_ref, _mixed_index()),
    OpInfo("setitem_mixed", _mixed_setitem, _mixed_setitem_ref, _mixed_setitem_sample()),
    OpInfo("getitem_basic", lambda x, idx: x[idx], lambda x, idx: x[idx], _basic_index()),
    OpInfo("getitem_advanced", lambda x, idx: x[idx], lambda x, idx: x[idx], _advanced_index()),
    OpInfo("index_put", lambda x, v, idx, accumulate: x.index_put(idx, v, accumulate),
           _index_put_ref, _index_put_sample(False).filter(_no_repeats)),
    OpInfo("index_put_accumulate", lambda x, v, idx, accumulate: x.index_put(idx, v, accumulate),
           _index_put_ref, _index_put_sample(True)),
    OpInfo("setitem", _setitem, _setitem_ref, _setitem_sample()),
    OpInfo("view_iadd", _view_iadd, _view_iadd_ref, _setitem_sample()),
    OpInfo("base_inplace_under_view", _base_changed_under_view,
           lambda x, idx: x[idx] * 6.0, _basic_index()),
    OpInfo("gather", lambda x, dim, index: x.gather(dim, ag.tensor(index)), _gather_ref,
           _gather_sample()),
    OpInfo("scatter", lambda x, src, dim, index: x.scatter(dim, ag.tensor(index), src),
           _scatter_ref, _scatter_sample(False)),
    OpInfo("scatter_add", lambda x, src, dim, index: x.scatter_add(dim, ag.tensor(index), src),
           lambda x, src, dim, index: _scatter_ref(x, src, dim, index, True),
           _scatter_sample(True)),
    OpInfo("index_select", lambda x, dim, index: x.index_select(dim, ag.tensor(index)),
           lambda x, dim, index: np.take(x, index, dim), _index_select_sample()),
]
