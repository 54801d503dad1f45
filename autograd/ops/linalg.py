"""Matrix products: matmul in all its 1-D/2-D/batched forms, and linear (x @ W.T + b).

Batch dims broadcast like elementwise ops; the engine sums the gradients back to each
input's batch shape, so the rules below only handle the matrix dims.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .base import derivative, method, operands, record
from .reduction import col_sum


def _dtype_check(a: Tensor, b: Tensor, op: str) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{op}: expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype._legacy.lower()} != {b.dtype._legacy.lower()}")


def _shape_error(a: Tensor, b: Tensor) -> RuntimeError:
    sa, sb = a._data.shape, b._data.shape
    if len(sa) == 2 and len(sb) == 2:
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
                            f"{sb[0]}x{sb[1]})")
    if len(sa) == 1 and len(sb) == 1:
        return RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src "
                            f"[{sb[0]}] to have the same number of elements, but got {sa[0]} and "
                            f"{sb[0]} elements respectively")
    return RuntimeError(f"matmul: shapes {list(sa)} and {list(sb)} cannot be multiplied (the "
                        f"last dim of the first must equal the "
                        f"{'first' if len(sb) == 1 else 'second-to-last'} dim of the second, and "
                        "batch dims must broadcast)")


def _matmul_backward(g, a, b, a_1d, b_1d, need):
    """Gradients of a @ b for any ranks: 1-D operands are treated as a row / a column;
    batch dims are summed away by the engine. Only the operand the other's gradient needs
    is saved (`a` or `b` may be None). Written in what numpy arrays and Tensors share
    (`@`, `mT`, `[..., None, :]`), so it also runs on arrays (arith)."""
    ga = gb = None
    if a_1d and b_1d:                   # dot: g is 0-d
        ga = g * b if need[0] else None
        gb = g * a if need[1] else None
    elif a_1d:                          # (k) @ (..., k, m) -> (..., m)
        if need[0]:
            ga = (g[..., None, :] @ b.mT)[..., 0, :]
        if need[1]:
            gb = a[:, None] * g[..., None, :]
    elif b_1d:                          # (..., n, k) @ (k) -> (..., n)
        if need[0]:
            ga = g[..., :, None] * b
        if need[1]:
            gb = (a.mT @ g[..., :, None])[..., 0]
    else:
        if need[0]:
            ga = g @ b.mT
        if need[1]:
            gb = a.mT @ g
    return ga, gb


def _linear_backward(g, x, w, need):
    """Gradients of x @ w.T + bias for x of any rank >= 1 (leading dims are batch):
    (bias, x, w), as PyTorch's addmm(bias, x, w.t()) lists them."""
    gx = gw = gb = None
    if need[1]:   # (>2-D: one 2-D product, not numpy's product per row block)
        gx = g @ w if g.ndim <= 2 else \
            (g.reshape(-1, g.shape[-1]) @ w).reshape(g.shape[:-1] + (w.shape[1],))
    if g.ndim == 2:   # the common case, without the reshapes
        if need[2]:
            gw = g.T @ x
    elif need[2]:
        gw = g.reshape(-1, 1) * x.reshape(1, -1) if g.ndim == 1 else \
            g.reshape(-1, g.shape[-1]).mT @ x.reshape(-1, x.shape[-1])
    if need[0]:
        if g.ndim == 1:
            gb = g
        elif isinstance(g, np.ndarray) and g.dtype.itemsize >= 4:   # one matrix-vector product
            gb = col_sum(g.reshape(-1, g.shape[-1]))
        else:
            gb = g.sum(tuple(range(g.ndim - 1)))
    return gb, gx, gw


# ---- the derivative table ----------------------------------------------------------------
Dot = derivative("DotBackward0", _matmul_backward, arith=True)
Mv = derivative("MvBackward0", _matmul_backward, arith=True)
Mm = derivative("MmBackward0", _matmul_backward, arith=True)
Bmm = derivative("BmmBackward0", _matmul_backward, arith=True)
Addmm = derivative("AddmmBackward0", _linear_backward, arith=True)
MmLinear = derivative("MmBackward0", lambda g, x, w, need: _linear_backward(
    g, x, w, (False,) + need)[1:], arith=True)


def _node_class(na: int, nb: int) -> type:
    if na == 1 and nb == 1:
        return Dot
    if na == 2 and nb == 1:
        return Mv
    if na == 2 and nb == 2:
        return Mm
    return Bmm


@method("matmul")
def matmul(a, b) -> Tensor:
    """Matrix product with numpy's rules for 1-D and batched operands."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        ops = operands(a, b)
        if ops is NotImplemented or not all(isinstance(t, Tensor) for t in ops):
            raise TypeError(f"matmul(): arguments must be Tensors, got {type(a).__name__} and "
                            f"{type(b).__name__}")
        a, b = ops
    _dtype_check(a, b, "matmul")
    ad, bd = a._data, b._data
    if ad.ndim == 0 or bd.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{ad.ndim}D and {bd.ndim}D")
    try:
        out = np.matmul(ad, bd)
    except ValueError:
        raise _shape_error(a, b) from None
    ra, rb = a._rg, b._rg
    return record(_node_class(ad.ndim, bd.ndim), out, (a, b), a=a if rb else None,
                  b=b if ra else None, a_1d=ad.ndim == 1, b_1d=bd.ndim == 1, need=(ra, rb))


Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)


@method("mm")
def mm(a, b) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return matmul(a, b)


@method("bmm")
def bmm(a, b) -> Tensor:
    """Batched matrix product of two 3-D tensors (no broadcasting)."""
    from .products import check_product_shapes
    check_product_shapes("bmm", a, b)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {a.dtype._legacy} but found {b.dtype._legacy}")
    return matmul(a, b)


@method("mv")
def mv(a, v) -> Tensor:
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv: expected a 2-D matrix and a 1-D vector, got {a.ndim}-D and "
                           f"{v.ndim}-D")
    return matmul(a, v)


@method("dot")
def dot(a, b) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)




@method("inner")
def inner(a, b) -> Tensor:
    """Inner product over the last dims: shape a.shape[:-1] + b.shape[:-1] (a dot
    product for vectors)."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    if a.ndim == 1 and b.ndim == 1:
        return dot(a, b)
    k = a.shape[-1]   # every row of a with every row of b: a's leading dims, then b's
    out = matmul(a.reshape(-1, k), b.reshape(-1, k).T)
    return out.reshape(tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


@method("outer")
def outer(a, b) -> Tensor:
    return a.unsqueeze(-1) * b


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ weight.T + bias in one fused op (AddmmBackward0), as nn.Linear uses."""
    xd, wd = x._data, weight._data
    if xd.dtype != wd.dtype or (bias is not None and bias._data.dtype != wd.dtype):
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {x.dtype._legacy} "
                           f"and {weight.dtype._legacy}")
    if xd.ndim == 0 or wd.ndim != 2 or xd.shape[-1] != wd.shape[1]:
        rows = int(np.prod(xd.shape[:-1])) if xd.ndim else 1
        cols = xd.shape[-1] if xd.ndim else 1
        w_in, w_out = (wd.shape[1], wd.shape[0]) if wd.ndim == 2 else ("?", "?")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                           f"{w_in}x{w_out})")
    if xd.ndim <= 2:
        out = xd @ wd.T
    else:   # one 2-D product: numpy's batched matmul runs one small product per row block
        out = (xd.reshape(-1, xd.shape[-1]) @ wd.T).reshape(xd.shape[:-1] + (wd.shape[0],))
    if bias is not None:
        if bias._data.shape not in ((wd.shape[0],), ()):
            raise RuntimeError(f"linear: bias of shape {list(bias._data.shape)} does not match "
                               f"the {wd.shape[0]} output features")
        out += bias._data
    if bias is None:
        return record(MmLinear, out, (x, weight), x=x, w=weight, need=(x._rg, weight._rg))
    return record(Addmm, out, (bias, x, weight), x=x, w=weight,
                  need=(bias._rg, x._rg, weight._rg))
