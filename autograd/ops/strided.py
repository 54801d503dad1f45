"""`as_strided`: a view of a tensor's storage given by sizes, strides and a storage offset
(in elements), as PyTorch's.

The storage is the memory block of the array at the root of the tensor's chain of numpy
views. The gradient, as PyTorch's `AsStridedBackward0`, is the output's gradient added
into a buffer laid out like the storage (elements read by several windows add up), then
read back where the input lies in it (divided by how often the input itself reads each
place, when it overlaps itself, as an expanded tensor does).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.array_utils import byte_bounds

from ..tensor import Tensor, _make
from .base import method, needs_graph
from .inplace import AsStridedBackward0, _check_inplace, _track_view


class _Memory:
    """A memory block as numpy's array interface; it keeps the array that owns it alive
    (as `base`, which storage lookups follow)."""

    def __init__(self, root: np.ndarray, start: int, n: int, dtype: np.dtype) -> None:
        self.base = root
        self.__array_interface__ = {"data": (start, not root.flags.writeable), "shape": (n,),
                                    "typestr": dtype.str, "version": 3}


def _storage(a: np.ndarray) -> tuple:
    """(the storage of `a` as a flat array of a's dtype, a's offset in it), in elements.
    The storage is the memory of the array at the root of a's chain of views (followed
    through the helper objects that numpy's and our own strided views keep as base)."""
    root = a
    while True:
        b = root.base
        if not isinstance(b, np.ndarray):
            b = getattr(b, "base", None)
        if not isinstance(b, np.ndarray):
            break
        root = b
    lo, hi = byte_bounds(root)
    size = a.itemsize
    flat = np.asarray(_Memory(root, lo, (hi - lo) // size, a.dtype))
    return flat, (a.__array_interface__["data"][0] - lo) // size


def _positions(offset: int, shape: tuple, strides: tuple) -> np.ndarray:
    """The storage positions of the elements of a view (`strides` in elements)."""
    pos = np.full(shape, offset, np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        pos += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - d - 1))
    return pos


def _int_tuple(value, arg: str, position: int) -> tuple:
    if isinstance(value, Tensor) or not isinstance(value, (tuple, list)) or \
            any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in value):
        raise TypeError(f"as_strided(): argument '{arg}' (position {position}) must be tuple of "
                        f"ints, not {type(value).__name__}")
    return tuple(int(v) for v in value)


def _checked_geometry(x: Tensor, size, stride, storage_offset) -> tuple:
    """(size, stride, offset, flat storage, x's offset), with PyTorch's errors."""
    size, stride = _int_tuple(size, "size", 1), _int_tuple(stride, "stride", 2)
    if storage_offset is not None and (isinstance(storage_offset, bool) or
                                       not isinstance(storage_offset, (int, np.integer))):
        raise TypeError("as_strided(): argument 'storage_offset' (position 3) must be int, not "
                        f"{type(storage_offset).__name__}")
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    flat, x_offset = _storage(x._data)
    offset = x_offset if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    need = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > flat.size:
        isz = flat.itemsize
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {isz} requiring a storage size of {need * isz} are out of bounds "
            f"for storage of size {flat.size * isz}")
    return size, stride, offset, flat, x_offset


def _overlaps(size: tuple, stride: tuple) -> bool:
    """Whether two elements of a view of these sizes and strides share a place (a
    sufficient test, PyTorch's: each dim's extent fits within the next larger stride)."""
    dims = sorted((s, n) for n, s in zip(size, stride) if n > 1)
    reach = 0
    for s, n in dims:
        if s <= reach:
            return True
        reach += (n - 1) * s
    return False


class AsStridedBackward1(AsStridedBackward0):
    """The node of `as_strided_` (PyTorch's name for the in-place variant)."""


@method("as_strided")
def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],  # noqa: A002
               storage_offset: int | None = None) -> Tensor:
    """A view of input's storage with the given sizes and strides (in elements), starting
    `storage_offset` elements into the storage (default: where input starts). A view whose
    elements overlap is read-only."""
    return _as_strided(input, size, stride, storage_offset, AsStridedBackward0)


def _as_strided(input: Tensor, size, stride, storage_offset, node: type) -> Tensor:  # noqa: A002
    size, stride, offset, flat, x_offset = _checked_geometry(input, size, stride,
                                                             storage_offset)
    isz = flat.itemsize
    start = min(offset, flat.size)   # (an empty view may start past the end)
    out = np.ndarray(size, flat.dtype, buffer=flat, offset=start * isz,
                     strides=tuple(s * isz for s in stride))
    if _overlaps(size, stride):
        out.flags.writeable = False
    n = None
    if needs_graph(input):
        n = node((input,))
        d = input._data
        out_pos = _positions(offset, size, stride)
        in_pos = _positions(x_offset, d.shape, tuple(s // isz for s in d.strides))
        lo = min(out_pos.min(initial=offset), in_pos.min(initial=x_offset))
        hi = max(out_pos.max(initial=offset), in_pos.max(initial=x_offset))
        n.idx, n.base_shape, n.read = out_pos - lo, (int(hi - lo) + 1,), in_pos - lo
        if _overlaps(d.shape, tuple(s // isz for s in d.strides)):
            n.count = np.bincount(n.read.ravel(), minlength=n.base_shape[0])[n.read]
    res = _make(out, n)
    _track_view(res, input)
    return res


@method("as_strided_")
def as_strided_(input: Tensor, size: Sequence[int], stride: Sequence[int],  # noqa: A002
                storage_offset: int | None = None) -> Tensor:
    """`as_strided`, in place: input becomes that view of its storage."""
    _check_inplace(input)
    view = _as_strided(input, size, stride, storage_offset, AsStridedBackward1)
    input._data = view._data
    if view.grad_fn is not None:
        input.grad_fn, input._rg, input._out_nr = view.grad_fn, True, 0
    return input
