"""Converters of the reductions (sum, mean, prod, max/min, arg-extremes, all/any,
var/std, logsumexp, norm), softmax and cumsum."""

from __future__ import annotations

import math

import numpy as np

from ..ops import reduction as R
from ..tensor import Tensor
from .graph import Graph, converts


def axes_of(x: Tensor, dim) -> list | None:
    """`dim` (None, an int or a sequence) as a sorted list of axes; None for all."""
    if dim is None or dim == ():
        return None
    dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
    n = max(x.ndim, 1)
    return sorted({int(d) % n for d in dims}) if x.ndim else None


def reduce(g: Graph, op_type: str, v: str, axes: list | None, keepdim: bool) -> str:
    """A Reduce* node: axes as an input where the opset wants one (ReduceSum from 13, the
    others from 18), else as an attribute; None reduces every axis."""
    if axes is None:
        return g.op(op_type, v, keepdims=int(keepdim))
    if op_type == "ReduceSum" or g.opset >= 18:
        return g.op(op_type, v, g.ints(axes), keepdims=int(keepdim))
    return g.op(op_type, v, axes=axes, keepdims=int(keepdim))


def _reduction(op_type: str):
    def conv(g: Graph, x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> str:
        return reduce(g, op_type, g.vt(x, g.out._data.dtype), axes_of(x, dim), keepdim)
    return conv


converts(R.sum)(_reduction("ReduceSum"))
converts(R.mean)(_reduction("ReduceMean"))
converts(R.prod)(_reduction("ReduceProd"))
converts(R.amax)(_reduction("ReduceMax"))
converts(R.amin)(_reduction("ReduceMin"))
converts(R.logsumexp)(_reduction("ReduceLogSumExp"))


@converts(R.norm, accepts=lambda x, p="fro", *a, **k: p != "nuc")
def _norm(g: Graph, x: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> str:
    """ReduceL2 / ReduceL1, the largest (smallest) |x| for inf (-inf), the count of
    non-zeros for 0, else (sum |x|^p)^(1/p)."""
    d = g.out._data.dtype
    v, axes = g.vt(x, d), axes_of(x, dim)
    if p in ("fro", 2, 2.0, None):
        return reduce(g, "ReduceL2", v, axes, keepdim)
    if p == 1:
        return reduce(g, "ReduceL1", v, axes, keepdim)
    if p == 0:
        nonzero = g.cast(g.op("Not", g.op("Equal", v, g.scalar(0, d))), d)
        return reduce(g, "ReduceSum", nonzero, axes, keepdim)
    a = g.op("Abs", v)
    if math.isinf(p):
        return reduce(g, "ReduceMax" if p > 0 else "ReduceMin", a, axes, keepdim)
    total = reduce(g, "ReduceSum", g.op("Pow", a, g.scalar(p, d)), axes, keepdim)
    return g.op("Pow", total, g.scalar(1 / p, d))


def _extreme(reduce_op: str, arg_op: str):
    def conv(g: Graph, x: Tensor, dim=None, keepdim: bool = False):
        v = g.v(x)
        if dim is None:
            return reduce(g, reduce_op, v, None, False)
        if isinstance(dim, Tensor):
            return g.op("Max" if reduce_op == "ReduceMax" else "Min", v, g.v(dim))
        if x.ndim == 0:
            return g.op("Identity", v), g.cast(g.op("Mul", g.vt(x, np.int64), g.scalar(
                0, np.int64)), np.int64)
        axis = int(dim) % x.ndim
        return (reduce(g, reduce_op, v, [axis], keepdim),
                g.op(arg_op, v, axis=axis, keepdims=int(keepdim)))
    return conv


converts(R.max)(_extreme("ReduceMax", "ArgMax"))
converts(R.min)(_extreme("ReduceMin", "ArgMin"))


def _arg(op_type: str):
    def conv(g: Graph, x: Tensor, dim=None, keepdim: bool = False) -> str:
        if dim is None:
            flat = g.op(op_type, g.op("Reshape", g.v(x), g.ints([-1])), axis=0, keepdims=0)
            return g.op("Reshape", flat, g.ints([1] * x.ndim)) if keepdim else flat
        return g.op(op_type, g.v(x), axis=int(dim) % max(x.ndim, 1), keepdims=int(keepdim))
    return conv


converts(R.argmax)(_arg("ArgMax"))
converts(R.argmin)(_arg("ArgMin"))


def _all_any(op_type: str):
    def conv(g: Graph, x: Tensor, dim=None, keepdim: bool = False) -> str:
        nonzero = g.cast(g.vt(x, bool), np.int32)
        r = reduce(g, op_type, nonzero, axes_of(x, dim), keepdim)
        return g.cast(r, bool)
    return conv


converts(R.all)(_all_any("ReduceMin"))
converts(R.any)(_all_any("ReduceMax"))


def _var(std: bool):
    def conv(g: Graph, x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None) -> str:
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        c = R._correction(unbiased, correction)
        axes = axes_of(x, dim)
        d = x._data.dtype
        v = g.v(x)
        centred = g.op("Sub", v, reduce(g, "ReduceMean", v, axes, True))
        ss = reduce(g, "ReduceSum", g.op("Mul", centred, centred), axes, keepdim)
        count = 1
        sizes = g.dims(x)
        for a in (range(x.ndim) if axes is None else axes):
            count = sizes[a] * count
        out = g.op("Div", ss, g.scalar(count - int(c) if c == int(c) else count - c, d))
        return g.op("Sqrt", out) if std else out
    return conv


converts(R.var)(_var(False))
converts(R.std)(_var(True))


def _softmax(op_type: str):
    def conv(g: Graph, x: Tensor, dim=None, dtype=None) -> str:
        if dim is None:
            dim = 0 if x.ndim in (0, 1, 3) else 1
        if x.ndim == 0:
            raise g.unsupported(why="a 0-d input")
        return g.op(op_type, g.vt(x, g.out._data.dtype), axis=int(dim) % x.ndim)
    return conv


converts(R.softmax)(_softmax("Softmax"))
converts(R.log_softmax)(_softmax("LogSoftmax"))


@converts(R.cumsum)
def _cumsum(g: Graph, x: Tensor, dim, *, dtype=None) -> str:
    if x.ndim == 0:
        return g.op("Identity", g.vt(x, g.out._data.dtype))
    return g.op("CumSum", g.vt(x, g.out._data.dtype), g.scalar(int(dim) % x.ndim, np.int64))
