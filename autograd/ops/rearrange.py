"""Rearranging and combining tensors: roll, rot90, fliplr/flipud, tile, repeat_interleave,
atleast_1d/2d/3d, hstack/vstack/dstack/column_stack/row_stack, tensor_split and
hsplit/vsplit/dsplit, meshgrid, cartesian_prod, combinations.

roll and rot90 are in the derivative table; the rest are compositions of views, cat,
stack and index_select, so their gradients are those ops'.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from ..tensor import Tensor, _make
from .base import derivative, method, record, size_args, to_tensor
from .numpy_names import numpy_names
from .shape import _wrap_dim, cat, stack

Roll = derivative("RollBackward0", lambda g, shifts, dims: g.roll(tuple(-s for s in shifts), dims)
                  if dims is not None else g.roll(-shifts[0]))
Rot90 = derivative("Rot90Backward0", lambda g, k, dims: g.rot90(-k, dims))


@method("roll")
def roll(x, shifts, dims=None) -> Tensor:
    """Shift elements along `dims` cyclically (of the flattened tensor if dims is None)."""
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:   # of the flattened tensor
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        out = np.roll(x._data.reshape(-1), shifts[0]).reshape(x._data.shape)
        return record(Roll, out, (x,), shifts=shifts, dims=None)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(_wrap_dim(x, d) for d in dims)
    out = np.roll(x._data, shifts, dims) if x._data.ndim else x._data.copy()
    return record(Roll, out, (x,), shifts=shifts, dims=dims)


@method("rot90")
def rot90(x, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times, from the first toward the second of `dims`."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x._data.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x._data.ndim}")
    d0, d1 = _wrap_dim(x, dims[0]), _wrap_dim(x, dims[1])
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    out = np.ascontiguousarray(np.rot90(x._data, k, (d0, d1)))
    return record(Rot90, out, (x,), k=k, dims=(d0, d1))


@method("fliplr")
def fliplr(x) -> Tensor:
    """Flip the columns (dim 1)."""
    if x._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return x.flip(1)


@method("flipud")
def flipud(x) -> Tensor:
    """Flip the rows (dim 0)."""
    if x._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return x.flip(0)


@method("tile")
def tile(x, *dims) -> Tensor:
    """Repeat x `dims` times along each dim; missing leading reps count as 1."""
    reps = size_args(dims)
    reps = (1,) * (x._data.ndim - len(reps)) + reps
    return x.repeat(reps)


@method("repeat_interleave")
@numpy_names
def repeat_interleave(x, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element `repeats` times (an int, or one count per element along dim).
    With only a tensor of counts, returns the indices repeated by those counts."""
    if repeats is None:   # repeat_interleave(counts)
        counts = x._data
        return _make(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    if dim is None:
        x, d = x.flatten(), 0
    else:
        d = _wrap_dim(x, dim)
    n = x._data.shape[d] if x._data.ndim else 1
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if r.ndim == 1 and r.size != 1 and r.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {r.size} and input.size({d}) = {n}")
        r = r.reshape(-1)
    else:
        r = np.asarray([int(repeats)])
    if (r < 0).any():
        raise RuntimeError("repeats can not be negative")
    r = np.broadcast_to(r, (n,))
    if output_size is not None and output_size != r.sum():
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {int(r.sum())} but "
                           f"got {output_size}")
    if x._data.ndim == 0:
        x = x.reshape(1)
    if not isinstance(repeats, Tensor):   # each element k times: a broadcast, as PyTorch
        shape = x._data.shape
        k = int(r[0]) if n else 0
        wide = x.unsqueeze(d + 1).expand(*shape[:d + 1], k, *shape[d + 1:])
        return wide.reshape(*shape[:d], n * k, *shape[d + 1:])
    return x.index_select(d, _make(np.repeat(np.arange(n, dtype=np.int64), r)))


# ---- atleast_nd and the stacks -------------------------------------------------------------
def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(to_tensor(t, "tensors")) for t in tensors[0])
    if len(tensors) == 1:
        return fn(to_tensor(tensors[0], "input"))
    return tuple(fn(to_tensor(t, "tensors")) for t in tensors)


def _at1(t: Tensor) -> Tensor:
    return t.reshape(1) if t._data.ndim == 0 else t


def _at2(t: Tensor) -> Tensor:
    n = t._data.ndim
    return t.reshape(1, 1) if n == 0 else t.unsqueeze(0) if n == 1 else t


def _at3(t: Tensor) -> Tensor:
    n = t._data.ndim
    if n == 0:
        return t.reshape(1, 1, 1)
    if n == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    return t.unsqueeze(-1) if n == 2 else t


def atleast_1d(*tensors):
    """Each input with at least one dim (a 0-d tensor becomes shape (1,))."""
    return _atleast(tensors, _at1)


def atleast_2d(*tensors):
    """Each input with at least two dims: (n,) becomes (1, n)."""
    return _atleast(tensors, _at2)


def atleast_3d(*tensors):
    """Each input with at least three dims: (n,) becomes (1, n, 1), (m, n) (m, n, 1)."""
    return _atleast(tensors, _at3)


def _stack_inputs(tensors, name: str, fn) -> list:
    tensors = [to_tensor(t, "tensors") for t in tensors]
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return [fn(t) for t in tensors]


def hstack(tensors) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-D inputs), after atleast_1d."""
    ts = _stack_inputs(tensors, "hstack", _at1)
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenate along dim 0, after atleast_2d (row_stack is the same)."""
    return cat(_stack_inputs(tensors, "vstack", _at2), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Concatenate along dim 2, after atleast_3d."""
    return cat(_stack_inputs(tensors, "dstack", _at3), 2)


def column_stack(tensors) -> Tensor:
    """Stack 0-d and 1-D inputs as columns (and concatenate 2-D ones) along dim 1."""
    return cat(_stack_inputs(tensors, "column_stack", lambda t: t.reshape(-1, 1)
                             if t._data.ndim <= 1 else t), 1)


# ---- splitting -----------------------------------------------------------------------------
@method("tensor_split")
def tensor_split(x, indices_or_sections, dim: int = 0) -> tuple:
    """Views of x split along `dim` into n nearly equal parts (the first n % size ones one
    longer), or at the given indices."""
    d = _wrap_dim(x, dim)
    size = x._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.dtype.kind not in "iu" or ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have "
                               "dtype of long, but got a tensor with another dtype or more "
                               "than one dim")
        ios = int(ios._data) if ios._data.ndim == 0 else ios._data.tolist()
    if isinstance(ios, (int, np.integer)):
        n = int(ios)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds = np.cumsum([0] + [q + 1] * r + [q] * (n - r))
    else:
        bounds = [0] + [min(max(int(i), 0), size) for i in ios] + [size]
    parts = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        a = min(a, size)
        parts.append(x.narrow(d, a, max(min(b, size) - a, 0)))
    return tuple(parts)


def _split_along(x, ios, d: int, need: int, name: str) -> tuple:
    if x._data.ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but "
                           f"got a tensor with {x._data.ndim} dimensions!")
    if isinstance(ios, (int, np.integer)):
        size = x._data.shape[d]
        if ios == 0 or size % ios:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the "
                               f"size of the dimension {size} is not divisible by the split_size "
                               f"{ios}!")
    return tensor_split(x, ios, d)


@method("hsplit")
def hsplit(x, indices_or_sections) -> tuple:
    """tensor_split along dim 1 (dim 0 for 1-D); an int must divide the size."""
    return _split_along(x, indices_or_sections, 1 if x._data.ndim > 1 else 0, 1, "hsplit")


@method("vsplit")
def vsplit(x, indices_or_sections) -> tuple:
    """tensor_split along dim 0 of a tensor with at least 2 dims."""
    return _split_along(x, indices_or_sections, 0, 2, "vsplit")


@method("dsplit")
def dsplit(x, indices_or_sections) -> tuple:
    """tensor_split along dim 2 of a tensor with at least 3 dims."""
    return _split_along(x, indices_or_sections, 2, 3, "dsplit")


# ---- grids and combinations ----------------------------------------------------------------
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids of 0-d/1-D tensors: 'ij' (matrix) or 'xy' (Cartesian) indexing."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = [to_tensor(t, "tensors") for t in tensors]
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {list(t._data.shape)}")
    sizes = [t._data.size for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        order[0], order[1] = 1, 0
    shape = tuple(sizes[i] for i in order)
    out = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[order.index(i)] = sizes[i]
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def cartesian_prod(*tensors) -> Tensor:
    """All tuples of elements, one from each 1-D input, as rows (itertools.product)."""
    if len(tensors) == 1:
        return to_tensor(tensors[0], "tensors")
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(x, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of a 1-D tensor's elements, as rows."""
    if x._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(x._data.shape)}")
    if r == 0:
        return _make(np.zeros((0,), x._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.asarray(list(pick(range(x._data.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return stack([x.index_select(0, _make(idx[:, k].copy())) for k in range(r)], 1)
