"""Inverses, determinants and solvers: inv, inv_ex, det, slogdet, logdet, solve,
solve_triangular, cholesky, cholesky_ex, pinv, lstsq, matrix_power, matrix_rank.

All take batches of matrices. Gradients are PyTorch's (written in Tensor ops, so they
differentiate again): inv' = -A^-T g A^-T, solve's through solve with A^T, det's through
A^-T (through the SVD where A is singular), cholesky's Murray (2016), pinv's Golub and
Pereyra's formula. Singular and non-positive-definite input raise LinAlgError with
PyTorch's text; the `_ex` forms return an `info` code instead.
"""

from __future__ import annotations

import math

import numpy as np

from .. import return_types
from ..ops.base import derivative, method, record
from ..tensor import Tensor, _make
from .core import (
    LinAlgError,
    batch_prefix,
    check_matrix,
    leading_minor,
    raise_singular,
    singular_info,
)


def _eye_like(A: Tensor) -> Tensor:
    n = A._data.shape[-1]
    return _make(np.broadcast_to(np.eye(n, dtype=A._data.dtype), A._data.shape))


# ---- inverse -------------------------------------------------------------------------------
InvEx = derivative("LinalgInvExBackward0", lambda g, out: -(out.mT @ g @ out.mT))


def _inv_np(A: np.ndarray, name: str, check: bool) -> tuple:
    try:
        return np.linalg.inv(A), np.zeros(A.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        if check:
            raise_singular(A, name)
    info = singular_info(A)
    out = np.full(A.shape, np.nan, A.dtype)
    ok = info == 0
    if ok.any():
        out[ok] = np.linalg.inv(A[ok])
    return out, info


def inv_ex(A: Tensor, *, check_errors: bool = False):
    """(inverse, info): info > 0 marks a singular matrix (its first zero pivot)."""
    check_matrix(A, "linalg.inv")
    out, info = _inv_np(A._data, "linalg.inv", check_errors)
    return return_types.linalg_inv_ex(record(InvEx, out.astype(A._data.dtype), (A,)),
                                      _make(info))


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix; LinAlgError if one is singular."""
    check_matrix(A, "linalg.inv")
    return record(InvEx, _inv_np(A._data, "linalg.inv", True)[0].astype(A._data.dtype), (A,))


@method("inverse")
def inverse(A: Tensor) -> Tensor:
    """torch.inverse: linalg.inv."""
    return inv(A)


# ---- determinants --------------------------------------------------------------------------
def _others_product(S: Tensor) -> Tensor:
    """prod_{j != i} S_j along the last dim, exact with zeros (exclusive cumprods)."""
    from ..creation import ones
    one = ones(S.shape[:-1] + (1,), dtype=S.dtype)
    n = S.shape[-1]
    from ..ops.shape import cat
    left = cat([one, S.narrow(-1, 0, n - 1)], -1).cumprod(-1)
    right = cat([one, S.flip(-1).narrow(-1, 0, n - 1)], -1).cumprod(-1).flip(-1)
    return left * right


def _det_rule(g, A, out):
    """d det / dA = det(A) A^-T; where A is singular, from its SVD (the cofactors)."""
    if A._data.shape[-1] == 0:
        return A * 0
    if bool((out._data != 0).all()):
        return (g * out).unsqueeze(-1).unsqueeze(-1) * inv(A).mT
    U, S, Vh = svd(A)
    alpha = (det(U) * det(Vh) * g).unsqueeze(-1)
    return (U * (_others_product(S) * alpha).unsqueeze(-2)) @ Vh


Det = derivative("LinalgDetBackward0", _det_rule)
Slogdet = derivative("LinalgSlogdetBackward0", lambda g, A: g.unsqueeze(-1).unsqueeze(-1) *
                     inv(A).mT)


@method("det")
def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix."""
    check_matrix(A, "linalg.det")
    return record(Det, np.asarray(np.linalg.det(A._data), A._data.dtype), (A,), A=A)


@method("slogdet")
def slogdet(A: Tensor):
    """(sign, log|det|) of each square matrix; sign 0 and -inf for a singular one."""
    check_matrix(A, "linalg.slogdet")
    sign, logabs = np.linalg.slogdet(A._data)
    logabs = record(Slogdet, np.asarray(logabs, A._data.dtype), (A,), A=A)
    return return_types.linalg_slogdet(_make(np.asarray(sign, A._data.dtype)), logabs)


@method("logdet")
def logdet(A: Tensor) -> Tensor:
    """log det A: NaN where det < 0, -inf where it is 0."""
    from ..ops.pointwise import where
    sign, logabs = slogdet(A)
    return where(sign < 0, math.nan, logabs)


# ---- solvers --------------------------------------------------------------------------------
def _vector_rhs(A: Tensor, B: Tensor) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) if it is 1-D, or has one dim less than A
    and A's batch shape."""
    b = B._data
    return b.ndim == 1 or b.ndim == A._data.ndim - 1 and b.shape == A._data.shape[:-1]


def _solve_rule(g, A, out, left, vector):
    """X = A^-1 B: gB = A^-T gX, gA = -gB X^T (for X A = B: gB = gX A^-T, gA = -X^T gB)."""
    gm, X = (g.unsqueeze(-1), out.unsqueeze(-1)) if vector else (g, out)
    gB = solve(A.mT, gm, left=left)
    gA = -(gB @ X.mT) if left else -(X.mT @ gB)
    return gA, gB.squeeze(-1) if vector else gB


SolveEx = derivative("LinalgSolveExBackward0", _solve_rule)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (or X A = B if not `left`); B may be a (batch of) vector(s)."""
    check_matrix(A, "linalg.solve")
    if B._data.dtype != A._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype._legacy} and B of type {B.dtype._legacy} instead")
    vector = left and _vector_rhs(A, B)
    b = B._data[..., None] if vector else B._data
    n = A._data.shape[-1]
    if b.ndim < 2 or (b.shape[-2] if left else b.shape[-1]) != n:
        shp = (b.shape[-2], b.shape[-1]) if b.ndim >= 2 else (b.shape[0], 1)
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {shp[0]}x{shp[1]})")
    try:
        X = np.linalg.solve(A._data, b) if left else \
            np.swapaxes(np.linalg.solve(np.swapaxes(A._data, -1, -2), np.swapaxes(b, -1, -2)),
                        -1, -2)
    except np.linalg.LinAlgError:
        raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is "
                          "singular.") from None
    except ValueError:
        raise RuntimeError(f"linalg.solve: the batch dims of A {list(A.shape[:-2])} and B "
                           f"{list(B.shape[:-1 if vector else -2])} cannot be broadcast "
                           "together") from None
    X = X[..., 0] if vector else X
    return record(SolveEx, np.asarray(X, A._data.dtype), (A, B), A=A, left=left,
                  vector=vector)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    """(result, info): solve, with info > 0 (the first zero pivot) for a singular A
    instead of an error (its result is then NaN)."""
    check_matrix(A, "linalg.solve")
    info = singular_info(A._data)
    if not info.any():
        return return_types.linalg_solve_ex(solve(A, B, left=left), _make(info))
    if check_errors:
        raise_singular(A._data, "linalg.solve")
    from ..ops.pointwise import where
    ok = _make(np.broadcast_to((info == 0)[..., None, None], A._data.shape))
    X = solve(where(ok, A, _eye_like(A)), B, left=left)
    bad = (info != 0).reshape(info.shape + (1,) * (X._data.ndim - info.ndim))
    return return_types.linalg_solve_ex(where(_make(~bad), X, np.nan), _make(info))


def _triangle(A: Tensor, upper: bool, unit: bool) -> np.ndarray:
    t = np.triu(A._data) if upper else np.tril(A._data)
    if unit:
        t = t.copy()
        idx = np.arange(t.shape[-1])
        t[..., idx, idx] = 1
    return t


def _solve_triangular_rule(g, A, out, upper, left, unitriangular):
    gB = solve_triangular(A.mT, g, upper=not upper, left=left, unitriangular=unitriangular)
    gA = -(gB @ out.mT) if left else -(out.mT @ gB)
    gA = gA.triu(int(unitriangular)) if upper else gA.tril(-int(unitriangular))
    return gA, gB


SolveTriangular = derivative("LinalgSolveTriangularBackward0", _solve_triangular_rule)


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (or X A = B) for triangular A (only its `upper` or lower triangle is
    read; its diagonal is taken as ones if `unitriangular`)."""
    check_matrix(A, "linalg.solve_triangular")
    if B._data.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    T = _triangle(A, upper, unitriangular)
    with np.errstate(divide="ignore", invalid="ignore"):
        if left:
            X = _tri_solve(T, B._data, upper)
        else:
            X = np.swapaxes(_tri_solve(np.swapaxes(T, -1, -2), np.swapaxes(B._data, -1, -2),
                                       not upper), -1, -2)
    return record(SolveTriangular, np.asarray(X, A._data.dtype), (A, B), A=A, upper=upper,
                  left=left, unitriangular=unitriangular)


def _tri_solve(T: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """Back (or forward) substitution, batched; a zero on the diagonal gives inf/NaN, as
    LAPACK's trtrs."""
    shape = np.broadcast_shapes(T.shape[:-2], b.shape[:-2])
    T = np.broadcast_to(T, shape + T.shape[-2:])
    X = np.array(np.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(T, b))
    n = T.shape[-1]
    rows = range(n - 1, -1, -1) if upper else range(n)
    for i in rows:
        later = slice(i + 1, n) if upper else slice(0, i)
        X[..., i, :] = (X[..., i, :] - np.einsum("...k,...kj->...j", T[..., i, later],
                                                 X[..., later, :])) / T[..., i, i, None]
    return X


def _cholesky_rule(g, out, upper):
    """Murray (2016): gA = L^-H Phi(L^H gL) L^-1, Phi = lower triangle with the diagonal
    halved, symmetrised."""
    L, gL = (out.mT, g.mT) if upper else (out, g)
    P = (L.mT @ gL).tril()
    P = 0.5 * (P + P.tril(-1).mT)
    P = solve_triangular(L.mT, P, upper=True)
    return solve_triangular(L, P, upper=False, left=False)


CholeskyEx = derivative("LinalgCholeskyExBackward0", _cholesky_rule)


def _cholesky_np(A: Tensor, upper: bool, check: bool) -> tuple:
    data = A._data
    try:
        L = np.linalg.cholesky(data)
        info = np.zeros(data.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        info = leading_minor(data)
        if check:
            k = int(np.flatnonzero(info.reshape(-1))[0])
            raise LinAlgError(f"linalg.cholesky: {batch_prefix(data, k)}The factorization could "
                              "not be completed because the input is not positive-definite (the "
                              f"leading minor of order {int(info.reshape(-1)[k])} is not "
                              "positive-definite).") from None
        L = np.tril(data).copy()
        ok = info == 0
        if ok.any():
            L[ok] = np.linalg.cholesky(data[ok])
    L = np.asarray(L, data.dtype)
    return (np.ascontiguousarray(np.swapaxes(L, -1, -2)) if upper else L), info


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """(L, info): info > 0 is the order of the first leading minor that is not PD."""
    check_matrix(A, "linalg.cholesky")
    L, info = _cholesky_np(A, upper, check_errors)
    return return_types.linalg_cholesky_ex(record(CholeskyEx, L, (A,), upper=upper),
                                           _make(info))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The lower (or upper) triangular L with A = L L^T, of the lower triangle of A."""
    check_matrix(A, "linalg.cholesky")
    return record(CholeskyEx, _cholesky_np(A, upper, True)[0], (A,), upper=upper)


@method("cholesky")
def cholesky_deprecated(A: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky (deprecated in PyTorch, with its warning): linalg.cholesky."""
    import warnings
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    return cholesky(A, upper=upper)


# ---- pseudo-inverse and least squares -------------------------------------------------------
def _pinv_rule(g, A, out):
    """PyTorch's pinv_backward (Golub and Pereyra), in the cheaper order for the shape."""
    m, n = A._data.shape[-2:]
    P, Ph, gh = out, out.mT, g.mT
    if m <= n:
        K = gh @ P
        KPh = K @ Ph
        return -(P @ K).mT + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -(K @ P).mT + (gh - A @ K) @ P @ Ph + PhK - PhK @ P @ A


Pinv = derivative("LinalgPinvBackward0", _pinv_rule)


def _tolerances(S: np.ndarray, shape: tuple, atol, rtol) -> np.ndarray:
    """The cut below which singular values count as zero: max(atol, rtol * S_max), with
    PyTorch's default rtol = eps * max(m, n) when neither is given."""
    if rtol is None:
        rtol = np.finfo(S.dtype).eps * max(shape[-2:]) if atol is None or atol == 0 else 0.0
    smax = S.max(-1, keepdims=True, initial=0)
    return np.maximum(np.asarray(0.0 if atol is None else _arr(atol))[..., None],
                      _arr(rtol)[..., None] * smax)


def _arr(v):
    return v._data if isinstance(v, Tensor) else np.asarray(v)


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse (singular values below the tolerance count as 0)."""
    check_matrix(A, "linalg.pinv", square=False)
    data = A._data
    if hermitian:
        w, V = np.linalg.eigh(data)
        cut = _tolerances(np.abs(w), data.shape, atol, rtol)
        with np.errstate(divide="ignore"):
            inv_w = np.where(np.abs(w) > cut, 1 / np.where(w == 0, 1, w), 0)
        out = (V * inv_w[..., None, :]) @ np.swapaxes(V, -1, -2)
    else:
        U, S, Vh = np.linalg.svd(data, full_matrices=False)
        cut = _tolerances(S, data.shape, atol, rtol)
        inv_s = np.where(S > cut, 1 / np.where(S == 0, 1, S), 0)
        out = (np.swapaxes(Vh, -1, -2) * inv_s[..., None, :]) @ np.swapaxes(U, -1, -2)
    return record(Pinv, np.asarray(out, data.dtype), (A,), A=A)


@method("pinverse")
def pinverse(A: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: pinv with a relative tolerance `rcond`."""
    return pinv(A, rtol=rcond)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver: str | None = None):
    """The least-squares solution X of A X = B (minimum norm if A is rank-deficient), with
    residuals, rank and singular values as PyTorch's CPU drivers report them."""
    check_matrix(A, "torch.linalg.lstsq", square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           f"gelsy, gelsd, gelss), but got {driver}")
    driver = driver or "gelsy"
    vector = _vector_rhs(A, B)
    Bm = B.unsqueeze(-1) if vector else B
    if Bm._data.shape[-2] != A._data.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A._data.shape[-2:]
    P = pinv(A, rtol=rcond)
    X = P @ Bm
    S = np.linalg.svd(A._data, compute_uv=False)
    rank = (S > _tolerances(S, A._data.shape, None, rcond)).sum(-1).astype(np.int64)
    empty = _make(np.zeros((0,), A._data.dtype))
    residuals = empty
    if driver != "gelsy" and m > n and (rank == n).all():
        residuals = ((A @ X - Bm) ** 2).sum(-2)
    return return_types.linalg_lstsq(
        X.squeeze(-1) if vector else X, residuals,
        _make(rank) if driver != "gels" else _make(np.zeros((0,), np.int64)),
        _make(np.asarray(S, A._data.dtype)) if driver in ("gelsd", "gelss") else empty)


# ---- powers and rank -------------------------------------------------------------------------
@method("matrix_power")
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A multiplied by itself n times (n < 0: of its inverse; n = 0: the identity)."""
    check_matrix(A, "linalg.matrix_power") if A._data.dtype.kind == "f" else \
        _check_int_square(A)
    if n == 0:   # the identity, with a zero gradient (CopyBackwards), as PyTorch
        from ..ops.pointwise import _copy_op
        return _copy_op(A, _make(np.eye(A._data.shape[-1], dtype=A._data.dtype)))
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result if result is not A else A.clone()


def _check_int_square(A: Tensor) -> None:
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they "
                           f"are {m} by {n} matrices")


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False,
                tol=None) -> Tensor:
    """How many singular values exceed max(atol, rtol * largest) (int64)."""
    check_matrix(A, "linalg.matrix_rank", square=False)
    if tol is not None:
        atol, rtol = tol, 0.0
    S = np.abs(np.linalg.eigvalsh(A._data)) if hermitian else \
        np.linalg.svd(A._data, compute_uv=False)
    return _make(np.asarray((S > _tolerances(S, A._data.shape, atol, rtol)).sum(-1),
                            np.int64))


from .decompositions import svd  # noqa: E402  (decompositions uses this module's solvers)
