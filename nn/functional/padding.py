"""Padding: `pad` (nn.functional.pad) in the constant, reflect, replicate and circular modes.

Constant padding is an entry of the derivative table (ConstantPadNdBackward0): its
backward crops, which is constant padding by negative amounts. The other modes map each
position along a padded dim to a position of the input (an index map: mirrored, clamped
or wrapped); the forward copies the map's runs (the inside, a mirrored or repeated
border) and the backward adds them back, its adjoint. Each is the other's derivative, so
both differentiate any number of times, and both are a few slice copies per dim, never a
per-element scatter.

`autograd.pad` is the same op without `F.pad`'s limits on which dims a mode may pad.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Node
from autograd.ops.base import derivative, needs_graph, record
from autograd.tensor import Tensor, _make

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


# ---------------------------------------------------------------------------------------
# constant


ConstantPadNd = derivative("ConstantPadNdBackward0",
                           lambda g, widths: _constant_pad(g, tuple(-p for p in widths), 0))


def _constant_pad(x: Tensor, pad: tuple, value) -> Tensor:
    shp = list(x._data.shape)
    src, dst = [slice(None)] * len(shp), [slice(None)] * len(shp)
    new = list(shp)
    for k in range(len(pad) // 2):
        d = len(shp) - 1 - k
        lo, hi = pad[2 * k], pad[2 * k + 1]
        new[d] = shp[d] + lo + hi
        if new[d] < 0:
            raise RuntimeError(f"narrow(): length must be non-negative. (pad: the input size "
                               f"{shp[d]} of dimension {d}, padded by {lo} and {hi}, gives "
                               f"{new[d]})")
        src[d] = slice(max(-lo, 0), shp[d] - max(-hi, 0))
        dst[d] = slice(max(lo, 0), new[d] - max(hi, 0))
    out = np.full(new, 0 if value is None else value, dtype=x._data.dtype)
    out[tuple(dst)] = x._data[tuple(src)]
    return record(ConstantPadNd, out, (x,), widths=pad)


# ---------------------------------------------------------------------------------------
# reflect, replicate, circular: index maps as runs


def _index_map(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each output position along a dim of size n padded by (lo, hi), its source."""
    s = np.arange(-lo, n + hi)
    if mode == "reflect":
        return np.where(s < 0, -s, np.where(s >= n, 2 * (n - 1) - s, s))
    if mode == "replicate":
        return np.clip(s, 0, n - 1)
    # circular: wraps around what is left after a negative pad's crop, as PyTorch does
    c0, c1 = max(-lo, 0), n - max(-hi, 0)
    return c0 + (s - c0) % (c1 - c0)


def _runs(idx: np.ndarray) -> tuple:
    """The map as maximal runs of one step (+1, -1, or 0 for a repeated source):
    (out_start, out_stop, first_source, step) each."""
    runs, j, n = [], 0, len(idx)
    steps = np.diff(idx).tolist()
    src = idx.tolist()
    while j < n:
        step = steps[j] if j < n - 1 and steps[j] in (-1, 0, 1) else 1
        k = j + 1
        while k < n and steps[k - 1] == step:
            k += 1
        runs.append((j, k, src[j], step))
        j = k
    return tuple(runs)


def _maps(shape: tuple, pad: tuple, mode: str) -> tuple:
    """(axis, input size, output size, runs) for each padded dim, the last dim first."""
    out = []
    for k in range(len(pad) // 2):
        d = len(shape) - 1 - k
        lo, hi = pad[2 * k], pad[2 * k + 1]
        if lo or hi:
            n_out = shape[d] + lo + hi
            runs = _runs(_index_map(shape[d], lo, hi, mode)) if n_out > 0 else ()
            out.append((d, shape[d], n_out, runs))
    return tuple(out)


def _at(axis: int, sl: slice) -> tuple:
    return (slice(None),) * axis + (sl,)


def _src(start: int, length: int, step: int) -> slice:
    if step == 1:
        return slice(start, start + length)
    if step == -1:
        return slice(start, start - length if start - length >= 0 else None, -1)
    return slice(start, start + 1)


def _copy_runs(x: np.ndarray, maps: tuple) -> np.ndarray:
    for axis, _, n_out, runs in maps:
        shape = list(x.shape)
        shape[axis] = n_out
        out = np.empty(shape, x.dtype)
        for a, b, s0, step in runs:
            out[_at(axis, slice(a, b))] = x[_at(axis, _src(s0, b - a, step))]
        x = out
    return x


def _add_runs(g: np.ndarray, maps: tuple) -> np.ndarray:
    for axis, n, _, runs in reversed(maps):
        shape = list(g.shape)
        shape[axis] = n
        out = np.zeros(shape, g.dtype)
        for a, b, s0, step in runs:
            part = g[_at(axis, slice(a, b))]
            if step == 0 and b - a > 1:
                part = part.sum(axis, keepdims=True)
            out[_at(axis, _src(s0, b - a, step))] += part
        g = out
    return g


class _IndexPadNode(Node):
    """reflect / replicate / circular padding: the backward adds the runs back (`partner`:
    the class of that node)."""

    def backward(self, g):
        return (_index_op(g, self.maps, self.partner, type(self), False),)


class _IndexFoldNode(Node):
    """The adjoint of an index padding (its backward), differentiated by the padding
    (`partner`: its class)."""

    def backward(self, g):
        return (_index_op(g, self.maps, self.partner, type(self), True),)


# PyTorch's names: ReflectionPad1DBackward0 ... by the number of padded dims; a circular
# pad is a composite of slice copies there, whose last node is CopySlices
_PAD_CLASSES = {}
for _mode, _stem in (("reflect", "ReflectionPad"), ("replicate", "ReplicationPad")):
    _PAD_CLASSES[_mode] = type(f"{_stem}BackwardBackward0", (_IndexFoldNode,), {})
    for _d in (1, 2, 3):
        _PAD_CLASSES[_mode, _d] = type(f"{_stem}{_d}DBackward0", (_IndexPadNode,), {})
_PAD_CLASSES["circular"] = type("CircularPadBackwardBackward0", (_IndexFoldNode,), {})
_PAD_CLASSES["circular", 1] = type("CopySlices", (_IndexPadNode,), {})


def _index_op(x: Tensor, maps: tuple, cls: type, partner: type, forward: bool) -> Tensor:
    """Pad x by the maps (forward) or add the runs back (the adjoint), recording `cls`
    whose backward is the other one, `partner`."""
    out = (_copy_runs if forward else _add_runs)(x._data, maps)
    if not needs_graph(x):
        return _make(out)
    n = cls((x,))
    n.maps, n.partner = maps, partner
    return _make(out, n)


def _pad(x: Tensor, pad: tuple, mode: str = "constant", value=None) -> Tensor:
    """Padding of the last len(pad) // 2 dims, the last dim first, any mode (negative
    amounts crop); the checks on dims and sizes every mode needs, not F.pad's limits."""
    if mode == "constant":
        return _constant_pad(x, pad, value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    shape = x._data.shape
    for k in range(len(pad) // 2):
        d = len(shape) - 1 - k
        n, lo, hi = shape[d], pad[2 * k], pad[2 * k + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            arg = (4, 6, 8)[k] if k < 3 else 2 * k + 4
            raise RuntimeError(f"Argument #{arg}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {d} of input {list(shape)}")
        if mode == "circular":
            if lo > n or hi > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if n + lo + hi < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        if n + lo + hi < 0 or (n == 0 and (lo > 0 or hi > 0)):
            raise RuntimeError(f"pad: padding ({lo}, {hi}) of dimension {d} of input "
                               f"{list(shape)} in {mode} mode gives no valid output size")
    maps = _maps(shape, pad, mode)
    if not maps:
        return _make(x._data.copy()) if not needs_graph(x) else x.clone()
    cls = _PAD_CLASSES[mode, 1 if mode == "circular" else min(len(pad) // 2, 3)]
    return _index_op(x, maps, cls, _PAD_CLASSES[mode], True)


def _pad_arg(pad) -> tuple:
    if isinstance(pad, Tensor) or not hasattr(pad, "__len__"):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not "
                        f"{type(pad).__name__}")
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but "
                            f"found element of type {type(p).__name__} at pos {i}")
        out.append(int(p))
    return tuple(out)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims of input: `pad` is (left, right) of the last dim,
    then (top, bottom) of the one before, ... Negative amounts crop. Modes: 'constant'
    (with `value`, default 0), 'reflect' (mirrored, without repeating the edge),
    'replicate' (the edge repeated), 'circular' (wrapped around); the last three pad the
    last dim of a 2-D/3-D input, the last two of a 3-D/4-D, the last three of a 4-D/5-D."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    p = _pad_arg(pad)
    if len(p) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(p) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(p)} and input of "
                           f"dimension {input.ndim}")
    if mode == "constant":
        return _constant_pad(input, p, value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(p) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(p)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    sizes = input.shape[-k:]
    outs = [n + p[2 * (k - 1 - i)] + p[2 * (k - 1 - i) + 1] for i, n in enumerate(sizes)]
    if mode in ("reflect", "replicate") and all(o < 1 for o in outs):
        names = ("D", "H", "W")[-k:]
        given = ", ".join(f"{a}: {n}" for a, n in zip(names, sizes))
        if k == 3:   # (PyTorch's spacing, as printed)
            given = given.replace(",", "", 1)
        elif k == 2 and mode == "replicate":
            given += " "
        raise RuntimeError(f"input ({given}) is too small. Calculated output "
                           f"{' '.join(f'{a}: {o}' for a, o in zip(names, outs))}")
    if mode in ("reflect", "replicate") and \
            0 in (input.shape[1:] if input.ndim == k + 2 else input.shape):
        dims = " or ".join(f"{d}D" for d in (k + 1, k + 2))
        raise RuntimeError(f"Expected {dims} (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    return _pad(input, p, mode)
