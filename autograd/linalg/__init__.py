"""autograd.linalg, as torch.linalg: norms, inverses and solvers, determinants,
decompositions and matrix functions of (batches of) matrices, with PyTorch's gradients
and errors.

    import autograd as ag
    A = ag.randn(3, 3, dtype=ag.float64, requires_grad=True)
    ag.linalg.slogdet(A).logabsdet.backward()     # A.grad is A^-T
    Q, R = ag.linalg.qr(A)
    ag.linalg.solve(A, ag.ones(3))

Singular or non-positive-definite input raises `LinAlgError` (a RuntimeError) with
PyTorch's text; `inv_ex` and `cholesky_ex` return an `info` code instead. eig/eigvals
(complex results in PyTorch) are not supported: use eigh.
"""

from ..ops.linalg import matmul
from .core import LinAlgError
from .decompositions import eig, eigh, eigvals, eigvalsh, qr, svd, svdvals
from .functions import cross, diagonal, matrix_exp, multi_dot, vander, vecdot
from .inverses import (
    cholesky,
    cholesky_ex,
    det,
    inv,
    inv_ex,
    lstsq,
    matrix_power,
    matrix_rank,
    pinv,
    slogdet,
    solve,
    solve_ex,
    solve_triangular,
)
from .norms import cond, matrix_norm, norm, vector_norm

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig",
           "eigh", "eigvals", "eigvalsh", "inv", "inv_ex", "lstsq", "matmul", "matrix_exp",
           "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "vander", "vecdot",
           "vector_norm"]
