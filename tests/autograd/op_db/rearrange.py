"""Registry entries: rearranging and combining (roll, rot90, tile, repeat_interleave, the
stacks and splits, meshgrid, cartesian_prod, combinations) and diagonals (diagonal, diag,
diag_embed, diagflat, trace, block_diag)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats


@hs.composite
def _x(draw, min_dims=0, max_dims=3, min_side=0, max_side=4, **kw):
    shape = draw(st.shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                           max_side=max_side))
    return Sample((draw(floats(shape)),), kw)


@hs.composite
def _roll_sample(draw):
    s = draw(_x())
    n = s.args[0].ndim
    if n == 0 or draw(hs.booleans()):
        s.kwargs = {"shifts": draw(hs.integers(-5, 5)), "dims": None}
    else:
        dims = draw(hs.lists(hs.integers(-n, n - 1), min_size=1, max_size=n, unique_by=lambda d:
                             d % n))
        s.kwargs = {"shifts": tuple(draw(hs.integers(-5, 5)) for _ in dims), "dims": tuple(dims)}
    return s


def _roll_ref(x, shifts, dims):
    if dims is None:
        return np.roll(x.ravel(), shifts).reshape(x.shape)
    return np.roll(x, shifts, dims)


@hs.composite
def _rot90_sample(draw):
    s = draw(_x(min_dims=2))
    n = s.args[0].ndim
    d0, d1 = draw(hs.lists(hs.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    s.kwargs = {"k": draw(hs.integers(-3, 4)), "dims": (d0, d1)}
    return s


@hs.composite
def _tile_sample(draw):
    s = draw(_x(max_dims=2, max_side=3))
    s.kwargs = {"dims": tuple(draw(hs.lists(hs.integers(1, 3), max_size=3)))}
    return s


def _tile_ref(x, dims):
    return np.tile(x, dims) if dims else x


@hs.composite
def _repeat_interleave_sample(draw):
    s = draw(_x(min_dims=1, max_side=3))
    x = s.args[0]
    dim = draw(hs.one_of(hs.none(), hs.integers(-x.ndim, x.ndim - 1)))
    n = x.size if dim is None else x.shape[dim]
    if draw(hs.booleans()):
        reps = np.asarray(draw(hs.lists(hs.integers(0, 3), min_size=n, max_size=n)), np.int64)
    else:
        reps = draw(hs.integers(0, 3))
    return Sample((x, reps), {"dim": dim})


def _repeat_interleave_ref(x, reps, dim):
    return np.repeat(x, reps, axis=dim)


def _atleast_ref(n):
    return {1: np.atleast_1d, 2: np.atleast_2d, 3: np.atleast_3d}[n]


@hs.composite
def _stack_sample(draw, max_dims=3):
    """2-3 arrays of one shape (0-3 dims), as the stack functions take."""
    shape = draw(st.shapes(max_dims=max_dims, min_side=1, max_side=3))
    return Sample(tuple(draw(floats(shape)) for _ in range(draw(hs.integers(2, 3)))))


@hs.composite
def _column_stack_sample(draw):
    n = draw(hs.integers(1, 3))
    shapes = draw(hs.lists(hs.sampled_from([(), (n,), (n, 2)]), min_size=1, max_size=3))
    if () in shapes:
        n = 1
        shapes = [(n,) + s[1:] if s else s for s in shapes]
    return Sample(tuple(draw(floats(s)) for s in shapes))


def _column_stack_ref(*arrs):
    return np.column_stack([np.reshape(a, (-1, 1)) if a.ndim < 2 else a for a in arrs])


@hs.composite
def _tensor_split_sample(draw):
    s = draw(_x(min_dims=1))
    x = s.args[0]
    dim = draw(hs.integers(-x.ndim, x.ndim - 1))
    if draw(hs.booleans()):
        ios = draw(hs.integers(1, 4))
    else:
        ios = sorted(draw(hs.lists(hs.integers(0, x.shape[dim] + 1), max_size=3)))
    return Sample((x,), {"ios": ios, "dim": dim})


def _split_fn(x, ios, dim):
    return ag.cat([p.reshape(-1) for p in ag.tensor_split(x, ios, dim)] +
                  [ag.zeros(0, dtype=x.dtype)])


def _split_ref(x, ios, dim):
    return np.concatenate([p.ravel() for p in np.array_split(x, ios, axis=dim)] + [np.zeros(0)])


@hs.composite
def _hsplit_sample(draw):
    n = draw(hs.integers(1, 3))
    rows = draw(hs.integers(1, 3))
    x = draw(floats((rows, n * draw(hs.integers(1, 2)))))
    return Sample((x,), {"sections": n})


@hs.composite
def _vectors(draw, n_min=1, n_max=3):
    k = draw(hs.integers(n_min, n_max))
    return Sample(tuple(draw(floats((draw(hs.integers(0, 3)),))) for _ in range(k)))


def _meshgrid_fn(*ts, indexing="ij"):
    return ag.stack(ag.meshgrid(*ts, indexing=indexing))


@hs.composite
def _meshgrid_sample(draw):
    s = draw(_vectors())
    s.kwargs = {"indexing": draw(hs.sampled_from(["ij", "xy"]))}
    return s


@hs.composite
def _combinations_sample(draw):
    x = draw(floats((draw(hs.integers(0, 4)),)))
    return Sample((x,), {"r": draw(hs.integers(1, 3)),
                         "with_replacement": draw(hs.booleans())})


def _combinations_ref(x, r, with_replacement):
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(x.tolist(), r))
    return np.asarray(rows, dtype=np.float64).reshape(-1, r)


@hs.composite
def _diagonal_sample(draw):
    s = draw(_x(min_dims=2))
    n = s.args[0].ndim
    d1, d2 = draw(hs.lists(hs.integers(-n, n - 1), min_size=2, max_size=2,
                           unique_by=lambda d: d % n))
    s.kwargs = {"offset": draw(hs.integers(-3, 3)), "dim1": d1, "dim2": d2}
    return s


def _diagonal_ref(x, offset, dim1, dim2):
    return np.diagonal(x, offset, dim1, dim2)


@hs.composite
def _diag_embed_sample(draw):
    s = draw(_x(min_dims=1, max_dims=2))
    n = s.args[0].ndim + 1
    d1, d2 = draw(hs.lists(hs.integers(-n, n - 1), min_size=2, max_size=2,
                           unique_by=lambda d: d % n))
    s.kwargs = {"offset": draw(hs.integers(-2, 2)), "dim1": d1, "dim2": d2}
    return s


def _diag_embed_ref(x, offset, dim1, dim2):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    r = np.arange(x.shape[-1]) + max(-offset, 0)
    out[..., r, r + offset] = x
    return np.moveaxis(out, (-2, -1), (dim1 % (x.ndim + 1), dim2 % (x.ndim + 1)))


@hs.composite
def _diag_sample(draw):
    s = draw(_x(min_dims=1, max_dims=2))
    s.kwargs = {"diagonal": draw(hs.integers(-2, 2))}
    return s


@hs.composite
def _block_diag_sample(draw):
    shapes = draw(hs.lists(hs.sampled_from([(), (2,), (1, 3), (2, 2), (0, 2)]), min_size=1,
                           max_size=3))
    return Sample(tuple(draw(floats(s)) for s in shapes))


def _block_diag_ref(*arrs):
    mats = [a.reshape((1, 1)) if a.ndim == 0 else a.reshape((1, -1)) if a.ndim == 1 else a
            for a in arrs]
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)))
    r = c = 0
    for m in mats:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


OPS = [
    OpInfo("roll", lambda x, shifts, dims: ag.roll(x, shifts, dims), _roll_ref, _roll_sample()),
    OpInfo("rot90", lambda x, k, dims: ag.rot90(x, k, dims),
           lambda x, k, dims: np.rot90(x, k, dims), _rot90_sample()),
    OpInfo("fliplr", ag.fliplr, np.fliplr, _x(min_dims=2)),
    OpInfo("flipud", ag.flipud, np.flipud, _x(min_dims=1)),
    OpInfo("tile", lambda x, dims: ag.tile(x, dims), _tile_ref, _tile_sample()),
    OpInfo("repeat_interleave", ag.repeat_interleave, _repeat_interleave_ref,
           _repeat_interleave_sample()),
    OpInfo("atleast_1d", ag.atleast_1d, _atleast_ref(1), _x()),
    OpInfo("atleast_2d", ag.atleast_2d, _atleast_ref(2), _x()),
    OpInfo("atleast_3d", ag.atleast_3d, _atleast_ref(3), _x()),
    OpInfo("hstack", lambda *ts: ag.hstack(ts), lambda *a: np.hstack(a), _stack_sample()),
    OpInfo("vstack", lambda *ts: ag.vstack(ts), lambda *a: np.vstack(a), _stack_sample()),
    OpInfo("dstack", lambda *ts: ag.dstack(ts), lambda *a: np.dstack(a), _stack_sample()),
    OpInfo("column_stack", lambda *ts: ag.column_stack(ts), _column_stack_ref,
           _column_stack_sample()),
    OpInfo("tensor_split", _split_fn, _split_ref, _tensor_split_sample()),
    OpInfo("hsplit", lambda x, sections: ag.stack(ag.hsplit(x, sections)),
           lambda x, sections: np.stack(np.hsplit(x, sections)), _hsplit_sample()),
    OpInfo("meshgrid", _meshgrid_fn,
           lambda *a, indexing: np.stack(np.meshgrid(*a, indexing=indexing)), _meshgrid_sample()),
    OpInfo("cartesian_prod", ag.cartesian_prod,
           lambda *a: np.asarray(list(itertools.product(*a))).reshape(-1, len(a))
           if len(a) > 1 else a[0], _vectors()),
    OpInfo("combinations", ag.combinations, _combinations_ref, _combinations_sample()),
    OpInfo("kron", ag.kron, np.kron,
           hs.tuples(st.shapes(max_dims=3, max_side=3), st.shapes(max_dims=3, max_side=3))
           .flatmap(lambda s: hs.tuples(floats(s[0]), floats(s[1]))).map(lambda ab: Sample(ab))),
    OpInfo("diagonal", lambda x, **kw: ag.diagonal(x, **kw), _diagonal_ref, _diagonal_sample()),
    OpInfo("diag_embed", lambda x, **kw: ag.diag_embed(x, **kw), _diag_embed_ref,
           _diag_embed_sample()),
    OpInfo("diag", lambda x, diagonal: ag.diag(x, diagonal),
           lambda x, diagonal: np.diag(x, diagonal), _diag_sample()),
    OpInfo("diagflat", lambda x, diagonal: ag.diagflat(x, diagonal),
           lambda x, diagonal: np.diagflat(x, diagonal), _diag_sample()),
    OpInfo("trace", ag.trace, np.trace, _x(min_dims=2, max_dims=2)),
    OpInfo("block_diag", ag.block_diag, _block_diag_ref, _block_diag_sample()),
]
