"""What the linalg modules share: PyTorch's input checks and error texts, the error raised
for singular or non-positive-definite input, and a multi-output op helper."""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor, _make


class LinAlgError(RuntimeError):
    """A matrix function failed on valid-looking input (singular, not positive-definite):
    `torch.linalg.LinAlgError`, a RuntimeError."""


def check_matrix(A: Tensor, name: str, square: bool = True, arg: str = "A") -> None:
    """A float tensor of (batches of) matrices, square if `square`."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(A).__name__}")
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{A.dtype._legacy}")
    m, n = A._data.shape[-2:]
    if square and m != n:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are {m} "
                           f"by {n} matrices")


def batch_prefix(A: np.ndarray, k: int) -> str:
    """'(Batch element k): ' for batched input, '' for a single matrix."""
    return f"(Batch element {k}): " if A.ndim > 2 else ""


def zero_pivot(a: np.ndarray) -> int:
    """1-based index of the first exactly-zero pivot of LU with partial pivoting (LAPACK's
    getrf `info`), 0 if there is none."""
    a = a.astype(np.float64, copy=True)
    n = a.shape[0]
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        a[[j, p]] = a[[p, j]]
        a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return 0


def singular_info(A: np.ndarray) -> np.ndarray:
    """getrf's info for every matrix of a batch (int32, batch shape)."""
    flat = A.reshape((-1,) + A.shape[-2:])
    return np.asarray([zero_pivot(m) for m in flat], np.int32).reshape(A.shape[:-2])


def raise_singular(A: np.ndarray, name: str) -> None:
    """PyTorch's error for the first singular matrix of A (the caller saw numpy fail)."""
    info = singular_info(A).reshape(-1)
    bad = np.flatnonzero(info)
    k = int(bad[0]) if len(bad) else 0
    pivot = int(info[k]) if len(bad) else A.shape[-1]
    raise LinAlgError(f"{name}: {batch_prefix(A, k)}The diagonal element {pivot} is zero, the "
                      "inversion could not be completed because the input matrix is singular.")


def leading_minor(A: np.ndarray) -> np.ndarray:
    """For every matrix of a batch, the order of the first leading minor that is not
    positive-definite (potrf's info), 0 if the matrix is positive-definite."""
    flat = A.reshape((-1,) + A.shape[-2:])
    out = []
    for m in flat:
        info = 0
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            info = next(k for k in range(1, m.shape[0] + 1)
                        if not _is_pd(m[:k, :k]))
        out.append(info)
    return np.asarray(out, np.int32).reshape(A.shape[:-2])


def _is_pd(m: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


def multi_output(name: str, forward, backward, non_differentiable=()) -> type:
    """An op with several differentiable outputs (qr, svd, eigh), as a Function whose node
    is named `name` (PyTorch's grad_fn name). `forward(A_data, *args)` returns the output
    arrays; `backward(grads, outputs, *args)` gets one gradient per output (None where
    there is none) and the outputs as graph tensors, and returns A's gradient."""

    def fwd(ctx, A, *args):
        outs = tuple(_make(np.require(o, requirements="C")) for o in forward(A._data, *args))
        ctx.set_materialize_grads(False)
        ctx.args = args
        ctx.save_for_backward(*outs)
        ctx.mark_non_differentiable(*(outs[i] for i in non_differentiable))
        return outs

    def bwd(ctx, *grads):
        return (backward(grads, ctx.saved_tensors, *ctx.args),) + (None,) * len(ctx.args)

    cls = type(name, (Function,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd)})
    cls._backward_cls.__name__ = cls._backward_cls.__qualname__ = name
    return cls
