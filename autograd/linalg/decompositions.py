"""Decompositions with several differentiable outputs: qr, svd (and svdvals), eigh (and
eigvalsh). Each is one node with PyTorch's name (LinalgSvdBackward0, ...) whose backward
takes the gradients of all outputs at once, with PyTorch's formulas: for svd and eigh
these need distinct singular values / eigenvalues (as in PyTorch; a loss that depends on
the sign of a singular vector is ill-defined anyway). eig and eigvals return complex
numbers in PyTorch, which this engine does not have: they raise and point to eigh.
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from ..ops.base import method
from ..tensor import Tensor
from .core import check_matrix, multi_output


# ---- QR --------------------------------------------------------------------------------------
def _copyltu(M: Tensor) -> Tensor:
    """The symmetric matrix with M's lower triangle."""
    return M.tril() + M.tril(-1).mT


def _qr_square_backward(gQ, gR, Q, R):
    """A = QR with m >= n: gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    from .inverses import solve_triangular
    M = 0
    if gR is not None:
        M = R @ gR.mT
    if gQ is not None:
        M = M - gQ.mT @ Q
    b = Q @ _copyltu(M) if isinstance(M, Tensor) else 0
    if gQ is not None:
        b = b + gQ
    return solve_triangular(R.mT, b, upper=False, left=False)


def _qr_backward(grads, outs, mode):
    gQ, gR = grads
    Q, R = outs
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    if m >= n:
        return _qr_square_backward(gQ, gR, Q, R)
    # m < n: A = [X | Y] with X = Q U square, R = [U | V]
    U, V = R.narrow(-1, 0, m), R.narrow(-1, m, n - m)
    gU = gR.narrow(-1, 0, m) if gR is not None else None
    gV = gR.narrow(-1, m, n - m) if gR is not None else None
    Y = Q @ V
    gQx = gQ
    if gV is not None:
        gQx = Y @ gV.mT if gQx is None else gQx + Y @ gV.mT
    gX = _qr_square_backward(gQx, gU, Q, U)
    gY = Q @ gV if gV is not None else _zeros(Y)
    from ..ops.shape import cat
    return cat([gX, gY], -1)


def _zeros(t: Tensor) -> Tensor:
    from ..creation import zeros
    return zeros(t.shape, dtype=t.dtype)


def _qr_np(A: np.ndarray, mode: str) -> tuple:
    if mode == "r":
        R = np.linalg.qr(A, mode="r")
        return np.zeros((0,), A.dtype), R
    Q, R = np.linalg.qr(A, mode=mode)
    return Q, R


LinalgQr = multi_output("LinalgQrBackward0", _qr_np, _qr_backward)


def qr(A: Tensor, mode: str = "reduced"):
    """(Q, R) with A = Q R, Q orthonormal columns, R upper triangular; mode 'reduced',
    'complete' or 'r' (R only)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    check_matrix(A, "linalg.qr", square=False)
    Q, R = LinalgQr.apply(A, mode)
    return return_types.linalg_qr(Q, R)


@method("qr")
def qr_deprecated(A: Tensor, some: bool = True):
    """torch.qr: linalg.qr with `some` for mode 'reduced' (True) or 'complete'."""
    Q, R = qr(A, "reduced" if some else "complete")
    return return_types.qr(Q, R)


# ---- SVD -------------------------------------------------------------------------------------
def _svd_backward(grads, outs, full_matrices):
    """PyTorch's svd_backward, for real matrices with distinct singular values."""
    gU, gS, gVh = grads
    U, S, Vh = outs
    k = S.shape[-1]
    if full_matrices:   # only the first k singular vectors enter the gradient
        U, Vh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k)
        gU = gU.narrow(-1, 0, k) if gU is not None else None
        gVh = gVh.narrow(-2, 0, k) if gVh is not None else None
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        return (U * gS.unsqueeze(-2)) @ Vh
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = E + _eye(k, E)                              # 1 on the diagonal
    Sr, Sc = S.unsqueeze(-2), S.unsqueeze(-1)
    if gU is not None:
        UhgU = U.mT @ gU
        UhgU = UhgU - UhgU.mT
    if gVh is not None:
        VhgV = Vh @ gVh.mT
        VhgV = VhgV - VhgV.mT
    if gU is not None and gVh is not None:
        gA = (UhgU * Sr + Sc * VhgV) / E
    elif gU is not None:
        gA = (UhgU / E) * Sr
    else:
        gA = Sc * (VhgV / E)
    if gS is not None:
        gA = gA + gS.diag_embed()
    if m > k and gU is not None:
        gA = U @ gA
        gUSinv = gU / Sr
        gA = (gA + gUSinv - U @ (U.mT @ gUSinv)) @ Vh
    elif n > k and gVh is not None:
        gA = gA @ Vh
        SinvgVh = gVh / Sc
        gA = U @ (gA + SinvgVh - (SinvgVh @ Vh.mT) @ Vh)
    else:
        gA = U @ gA @ Vh
    return gA


def _eye(k: int, like: Tensor) -> Tensor:
    from ..tensor import _make
    return _make(np.eye(k, dtype=like._data.dtype))


LinalgSvd = multi_output("LinalgSvdBackward0",
                         lambda A, full: np.linalg.svd(A, full_matrices=full), _svd_backward)


def svd(A: Tensor, full_matrices: bool = True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending; U and Vh square if
    `full_matrices`, else with min(m, n) columns / rows."""
    check_matrix(A, "linalg.svd", square=False)
    U, S, Vh = LinalgSvd.apply(A, full_matrices)
    return return_types.linalg_svd(U, S, Vh)


def svdvals(A: Tensor) -> Tensor:
    """The singular values, descending."""
    check_matrix(A, "linalg.svdvals", square=False)
    return svd(A, full_matrices=False).S


@method("svd")
def svd_deprecated(A: Tensor, some: bool = True, compute_uv: bool = True):
    """torch.svd: (U, S, V) with V = Vh^T (reduced if `some`)."""
    U, S, Vh = svd(A, full_matrices=not some)
    if not compute_uv:
        return return_types.svd(U.detach() * 0, S, Vh.detach().mT * 0)
    return return_types.svd(U, S, Vh.mT)


# ---- symmetric eigendecomposition ------------------------------------------------------------
def _eigh_backward(grads, outs, uplo):
    """gA = V (diag(gL) + skew(V^T gV) / 2 / E) V^T, E_ij = L_j - L_i (symmetric)."""
    gL, gV = grads
    L, V = outs
    if gV is None:
        return (V * gL.unsqueeze(-2)) @ V.mT
    VhgV = V.mT @ gV
    VhgV = 0.5 * (VhgV - VhgV.mT)
    E = L.unsqueeze(-2) - L.unsqueeze(-1)
    E = E + _eye(L.shape[-1], E)
    inner = VhgV / E
    if gL is not None:
        inner = inner + gL.diag_embed()
    return V @ inner @ V.mT


LinalgEigh = multi_output("LinalgEighBackward0",
                          lambda A, uplo: np.linalg.eigh(A, UPLO=uplo), _eigh_backward)


def eigh(A: Tensor, UPLO: str = "L"):  # noqa: N803 - PyTorch's name
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices, from their
    lower (UPLO='L') or upper triangle."""
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    check_matrix(A, "linalg.eigh")
    L, V = LinalgEigh.apply(A, UPLO)
    return return_types.linalg_eigh(L, V)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues of symmetric matrices, ascending."""
    return eigh(A, UPLO).eigenvalues


def _complex(name: str):
    def refuse(A, *args, **kwargs):
        raise NotImplementedError(
            f"linalg.{name}: returns complex tensors in PyTorch, and this engine has no complex "
            "dtypes; for symmetric matrices use linalg.eigh / linalg.eigvalsh")
    refuse.__name__ = name
    return refuse


eig = _complex("eig")
eigvals = _complex("eigvals")
