"""Diagonals and structured matrices: diagonal (a view), diag, diag_embed, diagflat, trace,
block_diag, tril_indices, triu_indices, vander, adjoint.

diagonal and diag_embed are each other's backward, so both are differentiable to any
order.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..tensor import Tensor, _make
from .base import derivative, inplace, method, record, to_tensor
from .shape import _wrap_dim


def _diag_positions(shape2: tuple, offset: int) -> tuple:
    """Row and column indices of the `offset` diagonal of a (rows, cols) matrix."""
    rows, cols = shape2
    n = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    r = np.arange(n) + max(-offset, 0)
    return r, r + offset


def _embed(g: Tensor, shape: tuple, offset: int, dim1: int, dim2: int) -> Tensor:
    """A zero tensor of `shape` with g (whose last dim runs along the diagonal) written on
    the `offset` diagonal of dims (dim1, dim2): the inverse of `diagonal`."""
    from ..creation import zeros
    rest = [s for i, s in enumerate(shape) if i not in (dim1, dim2)]
    z = zeros((*rest, shape[dim1], shape[dim2]), dtype=g.dtype)
    r, c = _diag_positions((shape[dim1], shape[dim2]), offset)
    out = z.index_put((Ellipsis, r, c), g)
    return out.movedim((-2, -1), (dim1, dim2))


Diagonal = derivative("DiagonalBackward0", lambda g, shape, offset, dim1, dim2:
                      _embed(g, shape, offset, dim1, dim2))
DiagEmbed = derivative("DiagEmbedBackward0", lambda g, offset, dim1, dim2:
                       g.diagonal(offset, dim1, dim2))
Trace = derivative("TraceBackward0", lambda g, shape:
                   g * _make(np.eye(shape[0], shape[1], dtype=g._data.dtype)))


def _dims_pair(x: Tensor, dim1: int, dim2: int, extra: int = 0) -> tuple:
    d1, d2 = _wrap_dim(x, dim1, extra), _wrap_dim(x, dim2, extra)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _diagonal_view(data: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """numpy's diagonal as a writeable view (numpy's own is read-only)."""
    r, _ = _diag_positions((data.shape[d1], data.shape[d2]), offset)
    start = [0] * data.ndim
    if len(r):
        start[d1], start[d2] = int(r[0]), int(r[0]) + offset
    base = data[tuple(slice(s, None) for s in start)] if len(r) else data
    keep = [i for i in range(data.ndim) if i not in (d1, d2)]
    shape = tuple(data.shape[i] for i in keep) + (len(r),)
    strides = tuple(data.strides[i] for i in keep) + (data.strides[d1] + data.strides[d2],)
    return np.lib.stride_tricks.as_strided(base, shape, strides,
                                           writeable=data.flags.writeable)


@method("diagonal")
def diagonal(x, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The `offset` diagonal of dims (dim1, dim2), as a view; it becomes the last dim."""
    if x._data.ndim < 2:
        raise RuntimeError(f"diagonal(): expected a tensor with at least 2 dims, but got "
                           f"{x._data.ndim}")
    d1, d2 = _dims_pair(x, dim1, dim2)
    out = _diagonal_view(x._data, offset, d1, d2)
    return record(Diagonal, out, (x,), view_of=x, shape=x._data.shape, offset=offset,
                  dim1=d1, dim2=d2)


@method("diag_embed")
def diag_embed(x, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose (dim1, dim2) matrices have x's last dim on their `offset` diagonal."""
    if x._data.ndim == 0:
        raise RuntimeError("diag_embed(): expected a tensor with at least 1 dim, but got 0")
    d1, d2 = _dims_pair(x, dim1, dim2, extra=1)
    n = x._data.shape[-1] + abs(offset)
    lead = x._data.shape[:-1]
    out = np.zeros((*lead, n, n), x._data.dtype)
    r, c = _diag_positions((n, n), offset)
    out[..., r, c] = x._data
    out = np.ascontiguousarray(np.moveaxis(out, (-2, -1), (d1, d2)))
    return record(DiagEmbed, out, (x,), offset=offset, dim1=d1, dim2=d2)


@method("diag")
def diag(x, diagonal: int = 0) -> Tensor:
    """1-D -> the square matrix with x on its `diagonal`; 2-D -> that diagonal (a copy)."""
    if x._data.ndim == 1:
        return diag_embed(x, diagonal)
    if x._data.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x._data.ndim}D")
    out = np.diagonal(x._data, diagonal).copy()
    return record(Diagonal, out, (x,), shape=x._data.shape, offset=diagonal, dim1=0, dim2=1)


def diagflat(x, offset: int = 0) -> Tensor:
    """The square matrix with the flattened x on its `offset` diagonal."""
    return diag_embed(x.reshape(-1), offset)


Tensor.diagflat = diagflat
Tensor.tril_, Tensor.triu_ = inplace(Tensor.tril), inplace(Tensor.triu)


@method("trace")
def trace(x) -> Tensor:
    """The sum of a matrix's main diagonal (integers sum to int64)."""
    if x._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x._data.ndim}")
    out = np.trace(x._data)
    if x._data.dtype.kind in "biu":
        out = np.int64(out)
    return record(Trace, np.asarray(out), (x,), shape=x._data.shape)


BlockDiag = derivative("BlockDiagBackward0", lambda g, spans: tuple(
    g[r0:r1, c0:c1].reshape(shape) for (r0, r1, c0, c1, shape) in spans))


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the inputs (0-d is 1x1, 1-D is one row)."""
    tensors = [to_tensor(t, "tensors") for t in tensors]
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
    mats = [t._data.reshape(t._data.shape if t._data.ndim == 2 else (1, -1) if t._data.ndim
                            else (1, 1)) for t in tensors]
    rt = dtypes.result_type(*tensors) if tensors else dtypes.get_default_dtype()
    rows, cols = sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)
    out = np.zeros((rows, cols) if tensors else (1, 0), rt.np)
    spans, r, c = [], 0, 0
    for t, m in zip(tensors, mats):
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        spans.append((r, r + m.shape[0], c, c + m.shape[1], t._data.shape))
        r, c = r + m.shape[0], c + m.shape[1]
    inputs = tuple(t if t.dtype is rt else t.to(rt) for t in tensors)
    return record(BlockDiag, out, inputs, spans=tuple(spans))


def _tri_indices(row: int, col: int, offset: int, dtype, lower: bool) -> Tensor:
    from ..dtypes import int64, to_np
    npd = to_np(int64 if dtype is None else dtype)
    if npd.kind not in "iu":
        raise NotImplementedError(f'"{"tril" if lower else "triu"}_indices" not implemented '
                                  f"for '{dtypes.from_np(npd)._legacy}'")
    r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    return _make(np.stack([r, c]).astype(npd).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """Coordinates (2, N) of the lower triangle of a row x col matrix, row by row."""
    return _tri_indices(row, col, offset, dtype, True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """Coordinates (2, N) of the upper triangle of a row x col matrix, row by row."""
    return _tri_indices(row, col, offset, dtype, False)


def vander(x, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of a 1-D x: columns x^(N-1), ..., x^1, x^0 (reversed with
    `increasing`); N defaults to len(x)."""
    from ..creation import ones
    from .shape import cat
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if x._data.dtype.kind in "biu":
        x = x.long()
    cols = [ones(x._data.shape[0], min(n, 1), dtype=x.dtype)]
    if n > 1:
        cols.append(x.unsqueeze(1).expand(x._data.shape[0], n - 1).cumprod(1))
    out = cat(cols, 1)
    return out if increasing else out.flip(1)


@method("adjoint")
def adjoint(x) -> Tensor:
    """The conjugate transpose of the last two dims (for real tensors: `x.mT`, a view)."""
    if x._data.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {x._data.ndim}-D tensor.")
    return x.transpose(-2, -1)

