"""Matrix functions and products: matrix_exp, cross, vecdot, multi_dot, vander, diagonal.

matrix_exp is Higham's (2005) scaling and squaring with a degree-13 Pade approximant; its
gradient is the upper-right block of the exponential of [[A^T, g], [0, A^T]] (Mathias
1996, as PyTorch), itself differentiable.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..ops.base import derivative, method, record, shape_mismatch, to_tensor
from ..tensor import Tensor
from .core import check_matrix

_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def _expm(A: np.ndarray) -> np.ndarray:
    """exp of each square matrix (float64 inside)."""
    a = A.astype(np.float64)
    n = a.shape[-1]
    if n == 0:
        return A.copy()
    norm1 = np.abs(a).sum(-2).max(-1)
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(np.maximum(norm1, 1e-300) / _THETA13))).astype(int)
    a = a / (2.0 ** s)[..., None, None]
    b = _PADE13
    eye = np.eye(n)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for k in range(int(s.max(initial=0))):
        square = (s > k)[..., None, None]
        r = np.where(square, r @ r, r)
    return r.astype(A.dtype)


def _matrix_exp_rule(g, A):
    from ..ops.selection import _zeros
    from ..ops.shape import cat
    n = A.shape[-1]
    At = A.mT
    block = cat([cat([At, g], -1), cat([_zeros(At.shape, At.dtype), At], -1)], -2)
    return matrix_exp(block)[..., :n, n:]


MatrixExp = derivative("LinalgMatrixExpBackward0", _matrix_exp_rule)


@method("matrix_exp")
def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of each square matrix."""
    check_matrix(A, "linalg.matrix_exp")
    return record(MatrixExp, _expm(A._data), (A,), A=A)


Cross = derivative("LinalgCrossBackward0", lambda g, a, b, dim: (cross(b, g, dim=dim),
                                                                 cross(g, a, dim=dim)))


def cross(a: Tensor, b: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along `dim` (inputs broadcast)."""
    if a._data.ndim != b._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = a._wrap_dim(dim)
    if a._data.shape[d] != 3 or b._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a._data.shape[d]} and {b._data.shape[d]}")
    try:
        out = np.cross(a._data, b._data, axis=d)
    except ValueError:
        raise shape_mismatch("linalg.cross", a._data, b._data) from None
    return record(Cross, np.asarray(out), (a, b), a=a, b=b, dim=d)


@method("cross")
def cross_legacy(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """torch.cross: dim defaults (deprecated) to the first dim of size 3."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        dims = [i for i, s in enumerate(input._data.shape) if s == 3]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        dim = dims[0]
    return cross(input, other, dim=dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along `dim` (inputs broadcast)."""
    return (x * y).sum(dim)


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices (the first may be a row vector, the last a
    column vector)."""
    tensors = [to_tensor(t, "tensors") for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    if first._data.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got "
                           f"{first._data.ndim}D")
    if last._data.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got "
                           f"{last._data.ndim}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    for i, t in enumerate(tensors):
        if t._data.dtype != first._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {first.dtype._legacy.lower()} and tensor {i} "
                               f"{t.dtype._legacy.lower()}")
    out = first.unsqueeze(0) if first._data.ndim == 1 else first
    for t in tensors[1:-1]:
        out = out @ t
    out = out @ (last.unsqueeze(-1) if last._data.ndim == 1 else last)
    if last._data.ndim == 1:
        out = out.squeeze(-1)
    return out.squeeze(0) if first._data.ndim == 1 else out


def vander(x: Tensor, N: int | None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """Columns x^0, x^1, ..., x^(N-1) (increasing powers) for the last dim of x."""
    n = x._data.shape[-1] if x._data.ndim else 1
    N = n if N is None else N  # noqa: N806
    if x._data.ndim == 0 or N <= 1:
        raise RuntimeError("N must be greater than 1.")
    from ..creation import ones
    from ..ops.shape import cat
    powers = x.unsqueeze(-1).expand(*x.shape, N - 1).cumprod(-1)
    return cat([ones(*x.shape, 1, dtype=x.dtype), powers], -1)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """linalg.diagonal: the diagonals of the last two dims by default."""
    return A.diagonal(offset, dim1, dim2)

