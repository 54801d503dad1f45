"""Norms: vector_norm (any order), matrix_norm ('fro', 'nuc', 2, -2, 1, -1, inf, -inf) and
norm, which picks one of them as PyTorch does.

vector_norm's gradient is PyTorch's norm_backward: 0 where the norm is 0 (no NaN), the
inf-norms shared evenly among the tied largest (smallest) magnitudes. The matrix norms
are compositions (of vector_norm, svdvals, sums and amax/amin), as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..ops.base import derivative, normalize_dims, record
from ..ops.numpy_names import numpy_names
from ..ops.reduction import _unreduce
from ..tensor import Tensor


def _vector_norm_rule(g, x, out, ord, dims, keepdim):  # noqa: A002 - PyTorch's name
    from ..ops.pointwise import where
    g = _unreduce(g, x.shape, dims, keepdim)
    norm = _unreduce(out, x.shape, dims, keepdim)
    p = ord
    if p == 0:   # piecewise constant: no gradient, as PyTorch
        return None
    if p == 1:
        return x.sgn() * g
    if p == 2:
        return g * where(norm == 0, 0.0, x / where(norm == 0, 1.0, norm))
    if math.isinf(p):
        a = x.abs()
        mask = (a == norm) | a.isnan()
        count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
        return x.sgn() * (g / count) * mask
    a = where(x == 0, 1.0, x.abs())
    if p < 1:
        scaled = where(x == 0, 0.0, x.sgn() * a ** (p - 1))
        return scaled * g * norm ** (1 - p)
    scale = where(norm == 0, 0.0, g / where(norm == 0, 1.0, norm) ** (p - 1))
    return x.sgn() * a ** (p - 1) * scale


VectorNorm = derivative("LinalgVectorNormBackward0", _vector_norm_rule)


def _vector_norm_np(a: np.ndarray, p: float, axis) -> np.ndarray:
    """(in float32 for float16 data, as PyTorch accumulates; the caller rounds once)"""
    a = np.abs(a.astype(np.float32) if a.dtype == np.float16 else a)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axis))
    if p == 1:
        return np.sum(a, axis=axis)
    if p == math.inf:
        return np.max(a, axis=axis, initial=0)
    if p == -math.inf:
        return np.min(a, axis=axis)
    if p == 0:
        return np.sum(a != 0, axis=axis).astype(a.dtype)
    with np.errstate(divide="ignore"):
        return np.sum(a ** p, axis=axis) ** (1 / p)


@numpy_names
def vector_norm(x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *,  # noqa: A002
                dtype=None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over `dim` (all elements by default); ord may be inf, -inf
    (largest, smallest |x|) or 0 (the count of non-zeros)."""
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    if dtype is not None:
        if dtypes.to_np(dtype).kind != "f":
            raise RuntimeError(f"linalg.vector_norm: dtype should be floating point or complex, "
                               f"but got {dtypes.from_np(dtypes.to_np(dtype))._legacy}")
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {x.dtype._legacy}")
    dims = normalize_dims(x, dim, "linalg.vector_norm")
    ord = float(ord)  # noqa: A001
    reduced = x._data.size if dims is None else int(np.prod([x._data.shape[d] for d in dims]))
    if (ord < 0 or math.isinf(ord)) and reduced == 0:
        name = "inf" if ord == math.inf else "-inf" if ord == -math.inf else f"{ord:g}"
        raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty "
                           "tensor because the operation does not have an identity")
    out = _vector_norm_np(x._data, ord, dims)
    if keepdim:
        out = np.reshape(out, [1 if dims is None or i in dims else s
                               for i, s in enumerate(x._data.shape)])
    with np.errstate(over="ignore"):   # (computed in float32 for float16: inf if too big)
        out = np.asarray(out).astype(x._data.dtype, copy=False)
    return record(VectorNorm, out, (x,), x=x, ord=ord, dims=dims,
                  keepdim=keepdim)


_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


@numpy_names
def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *,  # noqa: A002
                dtype=None) -> Tensor:
    """A matrix norm over the two dims `dim`: 'fro', 'nuc' (sum of singular values), 2 / -2
    (largest / smallest singular value), 1 / -1 (max / min column sum of |A|), inf / -inf
    (max / min row sum)."""
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(map(str, dims))}")
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (A._wrap_dim(d) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        from .decompositions import svdvals
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = S.sum(-1) if ord == "nuc" else S.amax(-1) if ord == 2 else S.amin(-1)
        if keepdim:
            out = out.unsqueeze(-1).unsqueeze(-1).movedim((-2, -1), (d0, d1))
        return out
    # 1 / -1: sum over rows (d0) then max/min over columns; inf / -inf the other way
    first, second = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = A.abs().sum(first, keepdim=keepdim)
    second = second - 1 if not keepdim and second > first else second
    return sums.amax(second, keepdim) if ord > 0 else sums.amin(second, keepdim)


@numpy_names
def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """A vector or matrix norm, as PyTorch picks: by `dim` (an int: vector, a pair:
    matrix), else by A's rank when `ord` is given; the 2-norm of all elements otherwise."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) > 2:
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dims)}")
        if len(dims) == 2 or isinstance(ord, str):
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A._data.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A._data.ndim}D.")
    if A._data.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number of each matrix in the norm `p` (default: 2, the ratio of the
    largest to the smallest singular value; -2 the inverse ratio; 'fro', 'nuc', 1, -1,
    inf, -inf: norm(A) * norm(A^-1), which needs square invertible matrices)."""
    if p in (None, 2, -2):
        from .decompositions import svdvals
        S = svdvals(A)
        big, small = S.amax(-1), S.amin(-1)
        return big / small if p != -2 else small / big
    from .inverses import inv_ex
    A_inv, info = inv_ex(A)
    out = matrix_norm(A, p) * matrix_norm(A_inv, p)
    if info._data.any():   # singular: infinitely ill-conditioned, as PyTorch
        from ..ops.pointwise import where
        out = where(info != 0, math.inf, out)
    return out
