"""Converters of the shape ops (views, joins, pad, tril/triu, flip), indexing and the
factories.

Reshapes are exported from the shapes of the result in the two runs: a size that stays
is a constant, one that changes is copied from the input (0) or computed from the
dynamic axes, and at most one is left to Reshape's -1. Permutations are read off the op
itself, run on a probe tensor whose sizes are all different.
"""

from __future__ import annotations

import numpy as np

from ..creation import (
    arange,
    empty,
    empty_like,
    full,
    full_like,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from ..ops import indexing as I
from ..ops import shape as S
from ..ops import sorting
from ..tensor import Tensor, _make
from .errors import OnnxExporterError
from .graph import INT64_MAX, INT64_MIN, Graph, converts

# ---- reshapes --------------------------------------------------------------------------------


def out_shape(g: Graph, x: Tensor | None, like=None) -> list:
    """The result's sizes for a Reshape/Expand target: ints, 0 (copy x's size at that
    index), Syms, and at most one -1 (what remains)."""
    a, b = tuple(g.out.shape), tuple(g.out_b.shape)
    if like is not None:
        a, b = like
    xa, xb = g.shapes[g.v(x)] if x is not None else ((), ())
    target: list = []
    for i, (sa, sb) in enumerate(zip(a, b)):
        if sa == sb:
            if sa == 0:
                raise g.unsupported(why=f"a result with a zero size ({list(a)})")
            target.append(sa)
        elif i < len(xa) and (xa[i], xb[i]) == (sa, sb):
            target.append(0)
        else:
            target.append(g.exact(sa, sb))
    rest = [i for i, t in enumerate(target) if t is None]
    if len(rest) == 1 and x is not None:
        target[rest[0]] = -1
        return target
    near = (x,) if x is not None else ()
    failed = []
    for i in rest:
        try:
            target[i] = g.dyn(a[i], b[i], near)
        except OnnxExporterError:
            failed.append(i)
    if len(failed) == 1 and x is not None:
        target[failed[0]] = -1
    elif failed:
        g.dyn(a[failed[0]], b[failed[0]], near)   # raises
    return target


def reshape(g: Graph, x: Tensor, *args, **kwargs) -> str:
    return g.op("Reshape", g.v(x), g.ints(out_shape(g, x)))


converts(S.reshape, S.view, S.view_as, S.reshape_as, S.flatten, S.ravel, S.unflatten, S.squeeze,
         S.unsqueeze)(reshape)


def permutation(g: Graph) -> list:
    """The permutation that the current call applies to the dims of its first argument:
    the call repeated on a tensor whose dims all have different sizes."""
    x = g.call.args[0]
    probe = _make(np.zeros(tuple(range(2, x.ndim + 2)), np.float32))
    out = g.call.fn(probe, *g.call.args[1:], **g.call.kwargs)
    return [probe.shape.index(s) for s in out.shape]


def transpose(g: Graph, x: Tensor, *args, **kwargs) -> str:
    return g.op("Transpose", g.v(x), perm=permutation(g))


converts(S.permute, S.transpose, S.t, S.movedim, Tensor.__dict__["T"].fget,
         Tensor.__dict__["mT"].fget)(transpose)


@converts(S.expand, S.expand_as, S.broadcast_to)
def _expand(g: Graph, x: Tensor, *args, **kwargs) -> str:
    a, b = tuple(g.out.shape), tuple(g.out_b.shape)
    xa, xb = g.shapes[g.v(x)]
    lead = len(a) - len(xa)
    target = []
    for i, (sa, sb) in enumerate(zip(a, b)):
        j = i - lead
        if sa == sb:
            target.append(sa)
        elif j >= 0 and (xa[j], xb[j]) == (sa, sb):
            target.append(1)    # Expand keeps x's size
        else:
            target.append(g.dyn(sa, sb, near=(x,)))
    return g.op("Expand", g.v(x), g.ints(target))


@converts(S.repeat)
def _repeat(g: Graph, x: Tensor, *sizes) -> str:
    reps = list(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else \
        list(sizes)
    v = g.v(x)
    if len(reps) > x.ndim:
        v = g.op("Unsqueeze", v, g.ints(range(len(reps) - x.ndim)))
    return g.op("Tile", v, g.ints(reps))


# ---- joins ---------------------------------------------------------------------------------
@converts(S.cat)
def _cat(g: Graph, tensors, dim: int = 0) -> str:
    d = g.out._data.dtype
    used = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors[:1])
    axis = dim % used[0].ndim
    return g.op("Concat", *[g.vt(t, d) for t in used], axis=axis)


@converts(S.stack)
def _stack(g: Graph, tensors, dim: int = 0) -> str:
    d = g.out._data.dtype
    axis = dim % (tensors[0].ndim + 1)
    parts = [g.op("Unsqueeze", g.vt(t, d), g.ints([axis])) for t in tensors]
    return g.op("Concat", *parts, axis=axis)


@converts(S.split)
def _split(g: Graph, x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    d = dim % x.ndim
    sizes = [p.shape[d] for p in S.split(x.detach(), split_size_or_sections, d)]
    if len(sizes) == 1:
        return (g.op("Identity", g.v(x)),)
    outs = g.op("Split", g.v(x), g.ints(sizes), axis=d, outputs=len(sizes))
    return tuple(outs)


# ---- pad, tril/triu, flip -------------------------------------------------------------------
def slice_(g: Graph, v: str, axes, starts, ends, steps=None) -> str:
    steps = steps or [1] * len(axes)
    return g.op("Slice", v, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps))


@converts(S.pad)
def _pad(g: Graph, x: Tensor, pad, mode: str = "constant", value=None) -> str:
    n = x.ndim
    pairs = [(pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)]   # last dim first
    v = g.v(x)
    if mode == "circular":
        for k, (lo, hi) in enumerate(pairs):
            ax = n - 1 - k
            parts = ([slice_(g, v, [ax], [-lo], [INT64_MAX])] if lo > 0 else []) + [v] + \
                ([slice_(g, v, [ax], [0], [hi])] if hi > 0 else [])
            v = g.op("Concat", *parts, axis=ax) if len(parts) > 1 else v
            if lo < 0 or hi < 0:
                v = slice_(g, v, [ax], [max(-lo, 0)], [-hi if hi < 0 else INT64_MAX])
        return v
    begins, ends = [0] * n, [0] * n
    for k, (lo, hi) in enumerate(pairs):
        begins[n - 1 - k], ends[n - 1 - k] = lo, hi
    onnx_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}.get(mode)
    if onnx_mode is None:
        raise g.unsupported(why=f"padding mode '{mode}'")
    fill = g.scalar(0 if value is None else value, x._data.dtype) if mode == "constant" else None
    return g.op("Pad", v, g.ints(begins + ends), fill, mode=onnx_mode)


def _tri(upper: int):
    def conv(g: Graph, x: Tensor, diagonal=0) -> str:
        if g.opset < 14:
            raise g.unsupported(why="tril/triu need opset 14 (Trilu)")
        return g.op("Trilu", g.v(x), g.scalar(diagonal, np.int64), upper=upper)
    return conv


try:   # F.pad, when nn.functional has a padding module of its own
    from nn.functional.padding import pad as _f_pad
    converts(_f_pad)(_pad)
except ImportError:
    pass


converts(S.tril)(_tri(0))
converts(S.triu)(_tri(1))


@converts(S.flip)
def _flip(g: Graph, x: Tensor, *dims) -> str:
    dims = list(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else list(dims)
    if not dims:
        return g.op("Identity", g.v(x))
    axes = [d % x.ndim for d in dims]
    return slice_(g, g.v(x), axes, [-1] * len(axes), [INT64_MIN] * len(axes), [-1] * len(axes))


# ---- indexing --------------------------------------------------------------------------------
def _is_advanced(i) -> bool:
    """An index tensor (or list or array) of ints, of one dim or more."""
    if isinstance(i, Tensor):
        return i._data.dtype.kind in "iu" and i.ndim > 0
    return isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype.kind in "iu"


def _index_value(g: Graph, i) -> str:
    if isinstance(i, Tensor):
        return g.vt(i, np.int64)
    return g.const(np.asarray(i, dtype=np.int64))


@converts(I.getitem)
def _getitem(g: Graph, x: Tensor, idx, node_cls=None) -> str:
    idx = idx if isinstance(idx, tuple) else (idx,)
    for i in idx:
        if isinstance(i, bool) or isinstance(i, Tensor) and i._data.dtype.kind == "b" or \
                isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype.kind == "b":
            raise g.unsupported(why="indexing with a boolean mask (the result's size depends "
                                    "on the values)")
    consumed = sum(1 for i in idx if i is not None and i is not Ellipsis)
    ellipsis = [k for k, i in enumerate(idx) if i is Ellipsis]
    if ellipsis:
        k = ellipsis[0]
        idx = idx[:k] + (slice(None),) * (x.ndim - consumed) + idx[k + 1:]
    advanced = [k for k, i in enumerate(idx) if _is_advanced(i)]
    if len(advanced) > 1:
        raise g.unsupported(why="more than one index tensor")
    if advanced:
        pos = [k for k, i in enumerate(idx) if k in advanced or isinstance(i, (int, np.integer))
               or isinstance(i, Tensor) and i.ndim == 0]
        if pos != list(range(pos[0], pos[-1] + 1)):
            raise g.unsupported(why="an index tensor and ints separated by slices")
    v = g.v(x)
    ax = 0
    pending = []   # (axis, start, stop, step), applied at the end (their axes stay put)
    for i in idx:
        if _is_advanced(i):
            v = g.op("Gather", v, _index_value(g, i), axis=ax)
            ax += np.ndim(i)
        elif isinstance(i, Tensor) and i.ndim == 0 and i._data.dtype.kind in "iu":
            v = g.op("Gather", v, g.vt(i, np.int64), axis=ax)
        elif i is None:
            v = g.op("Unsqueeze", v, g.ints([ax]))
            ax += 1
        elif isinstance(i, slice):
            step = 1 if i.step is None else i.step
            if (i.start, i.stop, step) != (None, None, 1):
                start = i.start if i.start is not None else (0 if step > 0 else INT64_MAX)
                stop = i.stop if i.stop is not None else (INT64_MAX if step > 0 else INT64_MIN)
                pending.append((ax, start, stop, step))
            ax += 1
        elif isinstance(i, (int, np.integer)):
            v = g.op("Gather", v, g.scalar(i, np.int64), axis=ax)
        else:
            raise g.unsupported(why=f"an index of type {type(i).__name__}")
    if pending:
        axes, starts, stops, steps = zip(*pending)
        v = slice_(g, v, list(axes), list(starts), list(stops), list(steps))
    elif v == g.v(x):
        v = g.op("Identity", v)
    return v


@converts(sorting.argsort)
def _argsort(g: Graph, x: Tensor, dim: int = -1, descending: bool = False,
             stable: bool = False) -> str:
    """TopK of all the dim's elements (ONNX's order of ties is its own)."""
    d = dim % max(x.ndim, 1)
    return g.op("TopK", g.v(x), g.ints([x.shape[d]]), outputs=2, axis=d,
                largest=int(descending), sorted=1)[1]


@converts(I.gather)
def _gather(g: Graph, x: Tensor, dim: int, index) -> str:
    return g.op("GatherElements", g.v(x), g.vt(index, np.int64), axis=dim % max(x.ndim, 1))


@converts(I.index_select)
def _index_select(g: Graph, x: Tensor, dim: int, index) -> str:
    idx = g.vt(index, np.int64) if isinstance(index, Tensor) else g.const(
        np.asarray(index, np.int64))
    return g.op("Gather", g.v(x), g.op("Reshape", idx, g.ints([-1])), axis=dim % max(x.ndim, 1))


# ---- factories (reached only when a size depends on the dynamic axes; else constants) ------
def _sizes(size) -> list:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return list(size[0])
    return list(size)


def _filled(g: Graph, shape: str, value) -> str:
    d = g.out._data.dtype
    from onnx import numpy_helper
    return g.op("ConstantOfShape", shape, value=numpy_helper.from_array(
        np.asarray([value], dtype=d), "value"))


converts(zeros, empty)(lambda g, *size, **kw: _filled(g, g.ints(_sizes(size)), 0))
converts(ones)(lambda g, *size, **kw: _filled(g, g.ints(_sizes(size)), 1))
converts(full)(lambda g, size, fill_value, **kw: _filled(g, g.ints(_sizes((size,))), fill_value))
converts(zeros_like, empty_like)(lambda g, x, *a, **kw: _filled(g, g.op("Shape", g.v(x)), 0))
converts(ones_like)(lambda g, x, *a, **kw: _filled(g, g.op("Shape", g.v(x)), 1))
converts(full_like)(lambda g, x, fill_value, *a, **kw: _filled(g, g.op("Shape", g.v(x)),
                                                               fill_value))


@converts(arange)
def _arange(g: Graph, start, end=None, step=1, **kwargs) -> str:
    if end is None:
        start, end = 0, start
    d = g.out._data.dtype
    return g.op("Range", g.scalar(start, d), g.scalar(end, d), g.scalar(step, d))
