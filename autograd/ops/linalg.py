"""Matrix products: matmul in all its 1-D/2-D/batched forms, and linear (x @ W.T + b).

Batch dims broadcast like elementwise ops; the engine sums the gradients back to each
input's batch shape, so the rules below only handle the matrix dims.
"""

from __future__ import annotations

import numpy as np

from .. import anomaly
from ..function import _BACKWARD_TWICE, Node, _edge, next_seq
from ..grad_mode import _grad_enabled
from ..tensor import Tensor, _make
from .base import method, needs_graph, operands

_new = object.__new__
_anomaly = anomaly._enabled


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


class MmBackward0(Node):
    """Gradients of a @ b for any ranks: 1-D operands are treated as a row / a column.

    The rule uses only what numpy arrays and Tensors share (`@`, `mT`, `[..., None, :]`),
    so the engine runs the same rule on arrays when no graph is being recorded."""

    arith = True

    def _rule(self, g, a, b):
        a1, b1 = self.a_1d, self.b_1d
        ga = gb = None
        if a1 and b1:                       # dot: g is 0-d
            ga = g * b if self.need_a else None
            gb = g * a if self.need_b else None
        elif a1:                            # (k) @ (..., k, m) -> (..., m)
            if self.need_a:
                ga = (g[..., None, :] @ b.mT)[..., 0, :]
            if self.need_b:
                gb = a[:, None] * g[..., None, :]
        elif b1:                            # (..., n, k) @ (k) -> (..., n)
            if self.need_a:
                ga = g[..., :, None] * b
            if self.need_b:
                gb = (a.mT @ g[..., :, None])[..., 0]
        else:                               # batch dims are summed away by the engine
            if self.need_a:
                ga = g @ b.mT
            if self.need_b:
                gb = a.mT @ g
        return (ga, gb)

    def _operands(self, saved):
        if self.save_both:
            return saved
        return (None, saved[0]) if self.need_a else (saved[0], None)

    def backward(self, g):
        return self._rule(g, *self._operands(self.saved()))

    def backward_fast(self, g):
        return self._rule(g, *self._operands(self.saved_data()))


DotBackward0 = type("DotBackward0", (MmBackward0,), {})
MvBackward0 = type("MvBackward0", (MmBackward0,), {})
BmmBackward0 = type("BmmBackward0", (MmBackward0,), {})


def _node_class(na: int, nb: int) -> type:
    if na == 1 and nb == 1:
        return DotBackward0
    if na == 2 and nb == 1:
        return MvBackward0
    if na == 2 and nb == 2:
        return MmBackward0
    return BmmBackward0


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
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if not needs_graph(a, b):
        return _make(out)
    n = _node_class(ad.ndim, bd.ndim)((a, b))
    n.a_1d, n.b_1d = ad.ndim == 1, bd.ndim == 1
    n.need_a, n.need_b = a._rg, b._rg
    n.save_both = a._rg and b._rg
    if n.save_both:
        n.save(a, b)
    else:
        n.save(b if a._rg else a)
    return _make(out, n)


Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)


@method("mm")
def mm(a, b) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return matmul(a, b)


@method("bmm")
def bmm(a, b) -> Tensor:
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm got {a.ndim}-D and {b.ndim}-D)")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {a.shape[0]} and {b.shape[0]}")
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


Tensor.inner = dot


@method("outer")
def outer(a, b) -> Tensor:
    return a.unsqueeze(-1) * b


class AddmmBackward0(Node):
    """linear: y = x @ W.T + b, for x of any rank >= 1 (leading dims are batch). The rule
    uses only what arrays and Tensors share, so it also runs on arrays (`arith`)."""

    arith = True
    __slots__ = ("has_bias", "need")   # (set by linear; slots: no instance dict to make)

    def _rule(self, g, x, w):
        need = self.need
        gx = gw = gb = None
        if need[0]:
            gx = g @ w if g.ndim <= 2 else \
                (g.reshape(-1, g.shape[-1]) @ w).reshape(g.shape[:-1] + (w.shape[1],))
        if g.ndim == 2:   # the common case, without the reshapes
            if need[1]:
                gw = g.T @ x
            if need[2]:
                gb = g.sum(0)
        else:
            if need[1]:
                if g.ndim == 1:
                    gw = g.reshape(-1, 1) * x.reshape(1, -1)
                else:
                    gw = g.reshape(-1, g.shape[-1]).mT @ x.reshape(-1, x.shape[-1])
            if need[2]:
                gb = g.sum(tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def backward(self, g):
        return self._rule(g, *self.saved())

    def backward_fast(self, g):
        s = self._saved   # (saved_data, in line: two inputs, no output)
        if s is None:
            raise RuntimeError(_BACKWARD_TWICE)
        x, w = s
        vx, vw = self._versions
        if x._vc[0] != vx or w._vc[0] != vw:
            return self.backward(g)   # raises the version error
        return self._rule(g, x._data, w._data)


MmLinearBackward0 = type("MmBackward0", (AddmmBackward0,), {})


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
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    rb = bias is not None and bias._rg
    if not ((x._rg or weight._rg or rb) and _grad_enabled()):
        return _make(out)
    # Node.__init__ and save(), in line
    n = _new(AddmmBackward0 if bias is not None else MmLinearBackward0)
    n.next_functions = ((_edge(x), _edge(weight)) if bias is None else
                        (_edge(x), _edge(weight), _edge(bias)))
    n._seq = next_seq()   # after the edges: an input's AccumulateGrad may be made there
    if _anomaly[0]:
        n._trace = anomaly._capture()
    n.has_bias, n.need = bias is not None, (x._rg, weight._rg, rb)
    n._saved, n._versions = (x, weight), (x._vc[0], weight._vc[0])
    return _make(out, n)
