"""Registry entries: shape ops, joins and splits, pad, tril/triu, casts."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats


@hs.composite
def _x(draw, min_dims=0, max_dims=3, min_side=0, **kw):
    shape = draw(st.shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side))
    return Sample((draw(floats(shape)),), kw)


@hs.composite
def _reshape_sample(draw):
    s = draw(_x())
    x = s.args[0]
    sizes = [d for d in range(1, x.size + 1) if x.size % d == 0] or [1]
    first = draw(hs.sampled_from(sizes)) if x.size else 0
    s.kwargs["shape"] = (first, -1) if x.size else (0, 3)
    return s


@hs.composite
def _perm_sample(draw):
    s = draw(_x())
    s.kwargs["dims"] = tuple(draw(hs.permutations(range(s.args[0].ndim))))
    return s


@hs.composite
def _two_dims(draw, min_dims=1):
    s = draw(_x(min_dims=min_dims))
    n = s.args[0].ndim
    s.kwargs["d0"] = draw(hs.integers(-n, n - 1))
    s.kwargs["d1"] = draw(hs.integers(-n, n - 1))
    return s


@hs.composite
def _unsqueeze_sample(draw):
    s = draw(_x())
    n = s.args[0].ndim + 1
    s.kwargs["d"] = draw(hs.integers(-n, n - 1))
    return s


@hs.composite
def _unfold_sample(draw):
    s = draw(_x(min_dims=1, min_side=1))
    x = s.args[0]
    d = draw(hs.integers(-x.ndim, x.ndim - 1))
    s.kwargs.update(dimension=d, size=draw(hs.integers(1, x.shape[d])),
                    step=draw(hs.integers(1, 3)))
    return s


def _np_unfold(x, dimension, size, step):
    dimension %= x.ndim   # (the windows add a last axis: a negative dim would move)
    w = np.lib.stride_tricks.sliding_window_view(x, size, axis=dimension)
    return np.take(w, range(0, x.shape[dimension] - size + 1, step), axis=dimension)


@hs.composite
def _as_strided_sample(draw):
    """A 1-D or 2-D storage and a window over it (strides may overlap: stride 0, or
    smaller than the extent of another dim); `expand`: the input is x expanded to 2 rows,
    whose elements overlap in the storage."""
    nd = draw(hs.integers(0, 2))
    size = tuple(draw(hs.integers(0, 3)) for _ in range(nd))
    stride = tuple(draw(hs.integers(0, 3)) for _ in range(nd))
    offset = draw(hs.integers(0, 2))
    extent = 0 if 0 in size else sum((n - 1) * k for n, k in zip(size, stride))
    length = offset + extent + 1 + draw(hs.integers(0, 2))
    rows = 2 if length % 2 == 0 and draw(hs.booleans()) else 1
    x = draw(floats((rows, length // rows)))
    return Sample((x,), dict(size=size, stride=stride, storage_offset=offset))


def _np_as_strided(x, size, stride, storage_offset):
    flat = x.reshape(-1)[storage_offset:]
    return np.lib.stride_tricks.as_strided(flat, size, [k * x.itemsize for k in stride])


@hs.composite
def _fill_diagonal_sample(draw):
    rows, cols = draw(hs.integers(1, 5)), draw(hs.integers(1, 4))
    return Sample((draw(floats((rows, cols))),), {"wrap": draw(hs.booleans())})


def _np_fill_diagonal(x, wrap):
    out = x.copy()
    np.fill_diagonal(out, 0.5, wrap=wrap)
    return out


@hs.composite
def _expand_sample(draw):
    shape = draw(st.shapes(max_side=3))
    target = tuple(draw(hs.sampled_from([1, 3])) if d == 1 else d for d in shape)
    lead = tuple(draw(hs.lists(hs.integers(0, 3), max_size=2)))
    s = Sample((draw(floats(shape)),), {"size": lead + target})
    return s


@hs.composite
def _repeat_sample(draw):
    s = draw(_x(max_dims=2, min_side=1))
    n = s.args[0].ndim
    s.kwargs["reps"] = tuple(draw(hs.lists(hs.integers(1, 3), min_size=n, max_size=n + 1)))
    return s


@hs.composite
def _cat_sample(draw, stack=False):
    shape = draw(st.shapes(min_dims=0 if stack else 1))
    n = draw(hs.integers(1, 3))
    if stack:
        arrays = [draw(floats(shape)) for _ in range(n)]
        return Sample(tuple(arrays), {"dim": draw(hs.integers(-len(shape) - 1, len(shape)))})
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    arrays = []
    for _ in range(n):
        s = list(shape)
        s[dim] = draw(hs.integers(0, 3))
        arrays.append(draw(floats(tuple(s))))
    return Sample(tuple(arrays), {"dim": dim})


@hs.composite
def _split_sample(draw):
    s = draw(_x(min_dims=1, min_side=1))
    n = s.args[0].ndim
    s.kwargs["dim"] = draw(hs.integers(-n, n - 1))
    s.kwargs["size"] = draw(hs.integers(1, 3))
    return s


@hs.composite
def _pad_sample(draw):
    s = draw(_x(min_dims=1, min_side=2))
    n = min(s.args[0].ndim, 2)
    s.kwargs["pad"] = tuple(draw(hs.lists(hs.integers(-1, 2), min_size=2 * n, max_size=2 * n)))
    return s


@hs.composite
def _pad_mode_sample(draw, mode):
    shape = draw(st.shapes(min_dims=2, max_dims=3, min_side=3))
    n = draw(hs.integers(1, 2))
    return Sample((draw(floats(shape)),), {"pad": tuple(draw(hs.lists(
        hs.integers(0, 2), min_size=2 * n, max_size=2 * n))), "mode": mode})


def _np_pad(x, pad, mode="constant"):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    neg = [(max(-a, 0), max(-b, 0)) for a, b in widths]
    pos = [(max(a, 0), max(b, 0)) for a, b in widths]
    x = np.pad(x, pos, mode={"replicate": "edge", "circular": "wrap"}.get(mode, mode))
    return x[tuple(slice(a, x.shape[i] - b) for i, (a, b) in enumerate(neg))]


def _squeeze_sample():
    @hs.composite
    def draw_sample(draw):
        shape = tuple(draw(hs.lists(hs.sampled_from([1, 1, 2, 3]), max_size=3)))
        s = Sample((draw(floats(shape)),))
        if shape and draw(hs.booleans()):
            dim = draw(hs.integers(-len(shape), len(shape) - 1))
            s.kwargs["dim"] = (dim,) if draw(hs.booleans()) else dim   # (SqueezeBackward2/5)
        return s
    return draw_sample()


def _np_squeeze(x, dim=None):
    dims = tuple(d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim or ()))
    return np.squeeze(x, tuple(d for d in dims if x.shape[d] == 1) if dim is not None else None)


@hs.composite
def _tri_sample(draw):
    s = draw(_x(min_dims=2))
    s.kwargs["k"] = draw(hs.integers(-2, 2))
    return s


@hs.composite
def _split_sizes_sample(draw):
    """split with a list of sizes (SplitWithSizesBackward0), zeros among them."""
    s = draw(_x(min_dims=1, min_side=1))
    n = s.args[0].ndim
    dim = draw(hs.integers(-n, n - 1))
    left = s.args[0].shape[dim]
    sizes = []
    while left:
        sizes.append(draw(hs.integers(0, left)))
        left -= sizes[-1]
    s.kwargs["dim"], s.kwargs["sizes"] = dim, sizes + [0] * draw(hs.integers(0, 1))
    return s


def _split_sizes_ref(x, sizes, dim):
    return np.concatenate([np.sum(p * (i + 1)) * np.ones(1) for i, p in enumerate(
        np.split(x, np.cumsum(sizes)[:-1], axis=dim))])


def _split_ref(x, size, dim):
    n = x.shape[dim]
    return np.concatenate([np.sum(p * (i + 1)) * np.ones(1) for i, p in enumerate(
        np.split(x, list(range(size, n, size)), axis=dim))])


OPS = [
    OpInfo("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(shape),
           _reshape_sample()),
    OpInfo("view", lambda x, shape: x.view(shape), lambda x, shape: x.reshape(shape),
           _reshape_sample()),
    OpInfo("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), _x()),
    OpInfo("permute", lambda x, dims: x.permute(dims), lambda x, dims: x.transpose(dims),
           _perm_sample()),
    OpInfo("transpose", lambda x, d0, d1: x.transpose(d0, d1),
           lambda x, d0, d1: np.swapaxes(x, d0, d1), _two_dims()),
    OpInfo("T", lambda x: x.T, lambda x: x.T, _x()),
    OpInfo("t", lambda x: x.t(), lambda x: x.T, _x(max_dims=2)),
    OpInfo("select", lambda x, d0, d1: x.select(d0, 0), lambda x, d0, d1: np.take(x, 0, d0),
           _two_dims(min_dims=1).filter(lambda s: s.args[0].size > 0)),
    OpInfo("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), _x(min_dims=2)),
    OpInfo("movedim", lambda x, d0, d1: x.movedim(d0, d1),
           lambda x, d0, d1: np.moveaxis(x, d0, d1), _two_dims()),
    OpInfo("squeeze", lambda x, **kw: x.squeeze(**kw), _np_squeeze, _squeeze_sample()),
    OpInfo("unsqueeze", lambda x, d: x.unsqueeze(d), lambda x, d: np.expand_dims(
        x, d % (x.ndim + 1)), _unsqueeze_sample()),
    # the in-place shape changes, on a non-leaf (x * 1), and used after the change
    OpInfo("squeeze_", lambda x, **kw: (x * 1).squeeze_(**kw) * 2,
           lambda x, **kw: _np_squeeze(x, **kw) * 2, _squeeze_sample()),
    OpInfo("unsqueeze_", lambda x, d: (x * 1).unsqueeze_(d) * 2, lambda x, d: np.expand_dims(
        x, d % (x.ndim + 1)) * 2, _unsqueeze_sample()),
    OpInfo("t_", lambda x: (x * 1).t_() * 2, lambda x: x.T * 2, _x(max_dims=2)),
    OpInfo("transpose_", lambda x, d0, d1: (x * 1).transpose_(d0, d1) * 2,
           lambda x, d0, d1: np.swapaxes(x, d0, d1) * 2, _two_dims()),
    OpInfo("expand", lambda x, size: x.expand(size), lambda x, size: np.broadcast_to(x, size),
           _expand_sample()),
    OpInfo("repeat", lambda x, reps: x.repeat(reps), lambda x, reps: np.tile(x, reps),
           _repeat_sample()),
    OpInfo("clone", lambda x: x.clone(), lambda x: x.copy(), _x()),
    OpInfo("contiguous_T", lambda x: x.T.contiguous(), lambda x: x.T.copy(), _x()),
    OpInfo("to_float32_and_back", lambda x: x.float().double() * 1.0,
           lambda x: x.astype(np.float32).astype(np.float64), _x(), atol=1e-2, rtol=1e-2,
           ref_atol=1e-6, keeps_dtype=False, eps=1e-2),  # linear: a large step is exact
    OpInfo("cat", lambda *xs, dim: ag.cat(xs, dim), lambda *xs, dim: np.concatenate(xs, dim),
           _cat_sample()),
    OpInfo("stack", lambda *xs, dim: ag.stack(xs, dim), lambda *xs, dim: np.stack(xs, dim),
           _cat_sample(stack=True)),
    OpInfo("split", lambda x, size, dim: ag.cat([p.sum().reshape(1) * (i + 1) for i, p in
                                                 enumerate(x.split(size, dim))]),
           _split_ref, _split_sample()),
    OpInfo("split_sizes", lambda x, sizes, dim: ag.cat([p.sum().reshape(1) * (i + 1) for i, p
                                                        in enumerate(x.split(sizes, dim))]),
           _split_sizes_ref, _split_sizes_sample()),
    OpInfo("chunk", lambda x, size, dim: ag.cat([p.sum().reshape(1) * (i + 1) for i, p in
                                                 enumerate(x.chunk(size, dim))]),
           None, _split_sample()),
    OpInfo("pad", lambda x, pad: ag.pad(x, pad), _np_pad, _pad_sample()),
    OpInfo("pad_reflect", lambda x, pad, mode: ag.pad(x, pad, mode), _np_pad,
           _pad_mode_sample("reflect")),
    OpInfo("pad_replicate", lambda x, pad, mode: ag.pad(x, pad, mode), _np_pad,
           _pad_mode_sample("replicate")),
    OpInfo("pad_circular", lambda x, pad, mode: ag.pad(x, pad, mode), _np_pad,
           _pad_mode_sample("circular")),
    OpInfo("tril", lambda x, k: x.tril(k), lambda x, k: np.tril(x, k), _tri_sample()),
    OpInfo("triu", lambda x, k: x.triu(k), lambda x, k: np.triu(x, k), _tri_sample()),
    OpInfo("flip", lambda x, d0, d1: x.flip(d0), lambda x, d0, d1: np.flip(x, d0),
           _two_dims()),
    OpInfo("unfold", lambda x, **kw: x.unfold(**kw), _np_unfold, _unfold_sample()),
    OpInfo("as_strided", lambda x, **kw: x.as_strided(**kw), _np_as_strided,
           _as_strided_sample()),
    OpInfo("as_strided_", lambda x, **kw: (x * 1).as_strided_(**kw), _np_as_strided,
           _as_strided_sample()),
    OpInfo("as_strided_expanded_input", lambda x, **kw: ag.as_strided(
        x.reshape(-1).expand(2, x.numel()), **kw), _np_as_strided, _as_strided_sample()),
    OpInfo("narrow_copy", lambda x, d0, d1: x.narrow_copy(d0, 0, 1),
           lambda x, d0, d1: np.take(x, [0], d0),
           _two_dims(min_dims=1).filter(lambda s: s.args[0].size > 0)),
    OpInfo("split_with_sizes", lambda x, sizes, dim: ag.cat([
        p.sum().reshape(1) * (i + 1) for i, p in enumerate(x.split_with_sizes(sizes, dim))]),
           _split_sizes_ref, _split_sizes_sample()),
    OpInfo("adjoint", lambda x: x.adjoint(), lambda x: np.swapaxes(x, -1, -2), _x(min_dims=2)),
    OpInfo("fill_diagonal_", lambda x, wrap: x.clone().fill_diagonal_(0.5, wrap=wrap),
           _np_fill_diagonal, _fill_diagonal_sample()),
]
