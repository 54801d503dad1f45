"""Shape ops: views (reshape, transpose, permute, expand, squeeze...), copies and casts,
joining and splitting (cat, stack, split, chunk), pad, tril/triu, flip, repeat.

View results share their input's storage and version counter, so an in-place change
through either is seen by the version check of any node that saved the other.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..device import parse_to
from ..function import Node
from ..tensor import Tensor, _make
from .base import (
    derivative,
    method,
    needs_graph,
    normalize_dims,
    record,
    reorder,
    shape_mismatch,
    size_args,
    sum_to,
    to_tensor,
)
from .inplace import _check_inplace, _regenerate_views, _track_view
from .numpy_names import numpy_names

# ---- the derivative table ----------------------------------------------------------------
#           node name                 gradient of the input, from what the forward recorded
# (arith: the rule runs on arrays too, when no graph is recorded; see ops/base.py)
View = derivative("ViewBackward0", lambda g, shape: g.reshape(shape), arith=True)
Squeeze0 = derivative("SqueezeBackward0", lambda g, shape: g.reshape(shape), arith=True)
Squeeze1 = derivative("SqueezeBackward1", lambda g, shape: g.reshape(shape), arith=True)
Squeeze2 = derivative("SqueezeBackward2", lambda g, shape: g.reshape(shape), arith=True)
Unsqueeze = derivative("UnsqueezeBackward0", lambda g, shape: g.reshape(shape), arith=True)
Permute = derivative("PermuteBackward0", lambda g, inverse: reorder(g, inverse), arith=True)
Transpose = derivative("TransposeBackward0", lambda g, inverse: reorder(g, inverse), arith=True)
T = derivative("TBackward0", lambda g, inverse: reorder(g, inverse), arith=True)
Expand = derivative("ExpandBackward0", lambda g, shape: sum_to(g, shape), arith=True)
Tril = derivative("TrilBackward0", lambda g, k: g.tril(k))
Triu = derivative("TriuBackward0", lambda g, k: g.triu(k))
Flip = derivative("FlipBackward0", lambda g, dims: g.flip(dims))
Repeat = derivative("RepeatBackward0", lambda g, reps, padded, shape: _unrepeat(g, reps, padded,
                                                                                 shape))
Clone = derivative("CloneBackward0", lambda g: g, arith=True)
ToCopy = derivative("ToCopyBackward0", lambda g, dtype: g.to(dtype))


def _cat_backward(g, dim: int, sizes: list):
    """The gradient's slices along `dim` (views; on Tensors, or on arrays when no graph is
    recorded)."""
    if isinstance(g, Tensor):
        return g.split(sizes, dim)
    return tuple(np.split(g, np.cumsum(sizes[:-1]), axis=dim))


Cat = derivative("CatBackward0", _cat_backward, arith=True)
Stack = derivative("StackBackward0", lambda g, dim: g.unbind(dim))


def _unrepeat(g, reps: tuple, padded: tuple, shape: tuple):
    """The gradient of repeat: sum the tiles back onto one."""
    inter = []
    for r, s in zip(reps, padded):
        inter += [r, s]
    return g.reshape(tuple(inter)).sum(tuple(range(0, len(inter), 2))).reshape(shape)


def _wrap_dim(x: Tensor, dim: int, extra: int = 0) -> int:
    n = x._data.ndim + extra
    lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but "
                         f"got {dim})")
    return int(dim) % n if n else 0


# ---- reshape / view -------------------------------------------------------------------------
def _infer_shape(x: Tensor, shape: tuple, op: str) -> tuple:
    size = x._data.size
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
    return shape


@method("reshape")
def reshape(x, *shape) -> Tensor:
    """The same data in a new shape (a view when the layout allows, else a copy)."""
    shape = size_args(shape)
    if shape == x._data.shape:
        return x if not needs_graph(x) else _reshape(x, shape, x._data.reshape(shape))
    shape = _infer_shape(x, shape, "reshape")
    return _reshape(x, shape, x._data.reshape(shape))


def _reshape(x, shape, data, cls=View) -> Tensor:
    return record(cls, data, (x,), view_of=x, shape=x._data.shape)


@method("view")
def view(x, *shape) -> Tensor:
    """Like reshape, but never copies: raises PyTorch's error if the strides forbid it."""
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        raise NotImplementedError("view(dtype) is not supported; use .to(dtype)")
    shape = _infer_shape(x, size_args(shape), "view")
    data = x._data.view()
    try:
        data.shape = shape
    except AttributeError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None
    return _reshape(x, shape, data)


@method("view_as")
def view_as(x, other) -> Tensor:
    return view(x, other._data.shape)


@method("reshape_as")
def reshape_as(x, other) -> Tensor:
    return reshape(x, other._data.shape)


@method("flatten")
def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x._data.ndim == 0:
        return reshape(x, 1)
    s, e = _wrap_dim(x, start_dim), _wrap_dim(x, end_dim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = x._data.shape
    return reshape(x, shp[:s] + (-1 if 0 not in shp[s:e + 1] else 0,) + shp[e + 1:])


@method("ravel")
def ravel(x) -> Tensor:
    return reshape(x, -1)


@method("unflatten")
def unflatten(x, dim: int, sizes) -> Tensor:
    d = _wrap_dim(x, dim)
    shp = x._data.shape
    sizes = tuple(sizes)
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes = tuple(shp[d] // known if s == -1 else s for s in sizes)
    if int(np.prod(sizes)) != shp[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shp[d]}) in the input tensor")
    return reshape(x, shp[:d] + sizes + shp[d + 1:])


# ---- squeeze / unsqueeze ---------------------------------------------------------------------
def _reshape_named(x: Tensor, shape: tuple, cls) -> Tensor:
    return _reshape(x, shape, x._data.reshape(shape), cls)


@method("squeeze")
@numpy_names
def squeeze(x, dim=None) -> Tensor:
    """Drop dims of size 1 (all of them, or those among `dim` that have size 1)."""
    shp = x._data.shape
    if dim is None:
        return _reshape_named(x, tuple(s for s in shp if s != 1), Squeeze0)
    dims = normalize_dims(x, dim, "squeeze") or ()
    return _reshape_named(x, tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1)),
                          Squeeze1 if isinstance(dim, (int, np.integer)) else Squeeze2)


@method("unsqueeze")
@numpy_names
def unsqueeze(x, dim: int) -> Tensor:
    """Insert a dim of size 1 at `dim` (which may be ndim, or negative)."""
    d = _wrap_dim(x, dim, extra=1)
    shp = x._data.shape
    return _reshape_named(x, shp[:d] + (1,) + shp[d:], Unsqueeze)


# ---- transpose / permute ---------------------------------------------------------------------
def _permute(x: Tensor, perm: tuple, cls=Permute) -> Tensor:
    return record(cls, x._data.transpose(perm), (x,), view_of=x,   # (inverse: no numpy call)
                  inverse=tuple(sorted(range(len(perm)), key=perm.__getitem__)))


@method("permute")
def permute(x, *dims) -> Tensor:
    dims = size_args(dims)
    if len(dims) != x._data.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x._data.ndim} is not equal to len(dims) = {len(dims)}"
                           .replace("(sparse_coo)", ""))
    perm = tuple(_wrap_dim(x, d) for d in dims)
    if len(set(perm)) != len(perm):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permute(x, perm)


@method("transpose", "swapaxes", "swapdims")
def transpose(x, dim0: int, dim1: int) -> Tensor:
    perm = list(range(x._data.ndim))
    if x._data.ndim == 0:
        _wrap_dim(x, dim0), _wrap_dim(x, dim1)
        return _permute(x, (), Transpose)
    a, b = _wrap_dim(x, dim0), _wrap_dim(x, dim1)
    perm[a], perm[b] = perm[b], perm[a]
    return _permute(x, tuple(perm), Transpose)


@method("t")
def t(x) -> Tensor:
    """Transpose of a tensor with at most 2 dims."""
    _at_most_2d(x, "t")
    return _permute(x, tuple(range(x._data.ndim))[::-1], T)


def _at_most_2d(x: Tensor, op: str) -> None:
    if x._data.ndim > 2:
        raise RuntimeError(f"{op}() expects a tensor with <= 2 dimensions, but self is "
                           f"{x._data.ndim}D")


Tensor.T = property(lambda self: _permute(self, tuple(range(self._data.ndim))[::-1]))
Tensor.mT = property(lambda self: transpose(self, -2, -1) if self._data.ndim >= 2 else
                     _raise_mt(self))


def _raise_mt(x):
    raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                       f"{x._data.ndim}-D tensor.")


@method("movedim", "moveaxis")
def movedim(x, source, destination) -> Tensor:
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    src = tuple(_wrap_dim(x, s) for s in src)
    dst = tuple(_wrap_dim(x, d) for d in dst)
    perm = [d for d in range(x._data.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return _permute(x, tuple(perm))


# ---- in-place shape changes: squeeze_, unsqueeze_, t_, transpose_ ------------------------
# (PyTorch's nodes of the in-place forms have names of their own)
_INPLACE_NODES = {cls: derivative(name, cls.rule, arith=True) for cls, name in (
    (Squeeze0, "SqueezeBackward3"), (Squeeze1, "SqueezeBackward4"),
    (Squeeze2, "SqueezeBackward5"), (Unsqueeze, "UnsqueezeBackward1"),
    (T, "TBackward1"), (Transpose, "TransposeBackward1"))}


def _reshape_inplace(op):
    """The in-place form of the view op `op`: x itself takes the view's shape and strides
    (same storage), its version goes up, and when recording its node becomes the op's,
    with x's previous node as input (as PyTorch's `x.t_()`)."""
    def op_(self, *args, **kwargs):
        _check_inplace(self)
        res = op(self, *args, **kwargs)
        if res.grad_fn is not None:
            res.grad_fn.__class__ = _INPLACE_NODES[type(res.grad_fn)]
            self.grad_fn, self._out_nr = res.grad_fn, 0
        self._data = res._data
        self._vc[0] += 1
        if self._accum is not None:   # a leaf changed under no_grad: its gradient's shape
            self._accum.out_shape = self._data.shape
        if self.grad_fn is not None and self._base is None:
            _regenerate_views(self, None)   # (its views: AsStridedBackward0 of the new node)
        return self

    op_.__name__ = op_.__qualname__ = op.__name__ + "_"
    return op_


Tensor.squeeze_ = _reshape_inplace(squeeze)
Tensor.unsqueeze_ = _reshape_inplace(unsqueeze)
_t_ = _reshape_inplace(t)


def t_(x) -> Tensor:
    _at_most_2d(x, "t_")
    return _t_(x)


Tensor.t_ = t_
Tensor.transpose_ = Tensor.swapaxes_ = Tensor.swapdims_ = _reshape_inplace(transpose)


# ---- expand / repeat ------------------------------------------------------------------------
@method("expand")
def expand(x, *sizes) -> Tensor:
    """Broadcast to `sizes` without copying (-1 keeps a dim)."""
    sizes = size_args(sizes)
    shp = x._data.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand(autograd.{x.dtype._legacy}Tensor{{{list(shp)}}}, size="
                           f"{list(sizes)}): the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({len(shp)})")
    lead = len(sizes) - len(shp)
    for i, want in enumerate(sizes):   # (other dims get the "must match" error below)
        if (want < 0 and i < lead) or (want < -1 and shp[i - lead] == 1):
            where = "in a leading, non-existing dimension" if i < lead else "at dimension"
            raise RuntimeError(f"The expanded size of the tensor ({want}) isn't allowed {where} "
                               f"{i}: expand's sizes must be >= 0, or -1 to keep an existing "
                               f"dimension.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(shp)}")
    target = list(sizes)
    for i, s in enumerate(shp):
        want = sizes[lead + i]
        if want == -1:
            target[lead + i] = s
        elif s != 1 and s != want:
            raise RuntimeError(f"The expanded size of the tensor ({want}) must match the existing "
                               f"size ({s}) at non-singleton dimension {lead + i}.  Target "
                               f"sizes: {list(sizes)}.  Tensor sizes: {list(shp)}")
    target = tuple(target)
    if target == shp:
        return x if not needs_graph(x) else _expand(x, target)
    return _expand(x, target)


def _expand(x, target) -> Tensor:
    return record(Expand, np.broadcast_to(x._data, target), (x,), view_of=x,
                  shape=x._data.shape)


@method("expand_as")
def expand_as(x, other) -> Tensor:
    return expand(x, other._data.shape)


def broadcast_to(x, shape) -> Tensor:
    return expand(x, shape)


Tensor.broadcast_to = broadcast_to


def broadcast_tensors(*tensors) -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:
        try:
            shape = np.broadcast_shapes(shape, t._data.shape)
        except ValueError:
            raise shape_mismatch("broadcast_tensors", np.broadcast_to(0.0, shape),
                                 t._data) from None
    return tuple(expand(t, shape) for t in tensors)


def broadcast_shapes(*shapes):
    from ..tensor import Size
    try:
        return Size(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{', '.join(str(list(np.atleast_1d(s))) for s in shapes)}") from None


@method("sum_to_size")
def sum_to_size(x, *size) -> Tensor:
    """Sum broadcast dims away so that the result has shape `size` (undoes expand)."""
    shape = size_args(size)
    gs = x._data.shape
    lead = len(gs) - len(shape)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(shape, gs[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(gs)}}}.")
    dims = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(shape)
                                      if s == 1 and gs[lead + k] != 1)
    if dims:
        x = x.sum(dims, keepdim=True)
    return x.reshape(shape) if x._data.shape != shape else x


@method("repeat")
def repeat(x, *sizes) -> Tensor:
    """Tile the tensor `sizes` times along each dim (copies)."""
    reps = size_args(sizes)
    shp = x._data.shape
    if len(reps) < len(shp):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    padded = (1,) * (len(reps) - len(shp)) + shp
    return record(Repeat, np.tile(x._data.reshape(padded), reps), (x,), reps=reps,
                  padded=padded, shape=shp)


# ---- copies and casts -------------------------------------------------------------------------
@method("clone")
def clone(x, *, memory_format=None) -> Tensor:
    return record(Clone, np.array(x._data, copy=True), (x,))


@method("contiguous")
def contiguous(x, memory_format=None) -> Tensor:
    if x._data.flags.c_contiguous:
        return x
    return record(Clone, np.ascontiguousarray(x._data), (x,))


def to_dtype(x: Tensor, d: dtypes.dtype, copy: bool = False) -> Tensor:
    """Cast (ToCopyBackward0); gradients are cast back to the input's dtype."""
    npd = d.np
    if x._data.dtype == npd and not copy:
        return x
    out = x._data.astype(npd)
    if npd.kind != "f":
        return _make(out)
    return record(ToCopy, out, (x,), dtype=x.dtype)


@method("to")
def to(x, *args, **kwargs) -> Tensor:
    """`to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other_tensor)`; returns x itself
    when nothing changes (unless `copy=True`). Devices other than the CPU raise."""
    dtype, copy = parse_to(args, kwargs)
    if dtype is None:
        return clone(x) if copy else x
    return to_dtype(x, dtypes.from_np(dtypes.to_np(dtype)), copy)


for _name, _d in (("float", dtypes.float32), ("double", dtypes.float64), ("half", dtypes.float16),
                  ("long", dtypes.int64), ("int", dtypes.int32), ("bool", dtypes.bool),
                  ("short", dtypes.int16), ("byte", dtypes.uint8), ("char", dtypes.int8)):
    setattr(Tensor, _name, (lambda d: lambda self: to_dtype(self, d))(_d))


@method("type")
def type_(x, dtype=None, non_blocking: bool = False):
    """The type's name (`'autograd.FloatTensor'`) or a cast: to a dtype, a legacy type
    (`DoubleTensor`) or its name (`'torch.LongTensor'`)."""
    if dtype is None:
        return x._type_name()
    if isinstance(dtype, str):
        import autograd
        name = dtype.rsplit(".", 1)[-1]
        if not isinstance(getattr(autograd, name, None), type) or not name.endswith("Tensor"):
            raise RuntimeError(f"invalid type: '{dtype}'")
        dtype = getattr(autograd, name)
    return to(x, getattr(dtype, "dtype", dtype))


@method("cpu")
def cpu(x, memory_format=None) -> Tensor:
    return x


@method("type_as")
def type_as(x, other) -> Tensor:
    return to_dtype(x, other.dtype)


# ---- complex views of real tensors: the tensor itself --------------------------------------
Tensor.conj = Tensor.resolve_conj = Tensor.resolve_neg = lambda self: self
Tensor.is_conj = Tensor.is_neg = lambda self: False   # (no lazy conjugate or negative bits)


def resolve_conj(x: Tensor) -> Tensor:
    return x


resolve_neg = resolve_conj


def is_conj(x: Tensor) -> bool:
    return False


is_neg = is_conj


# ---- questions about a tensor --------------------------------------------------------------
@method("is_same_size")
def is_same_size(x, other) -> bool:
    return x._data.shape == other._data.shape


@method("is_signed")
def is_signed(x) -> bool:
    """Whether the dtype holds negative numbers (not bool, not uint8)."""
    return x._data.dtype.kind in "if"


@method("is_inference")
def is_inference(x) -> bool:
    """Whether x was made in inference_mode (and may not be saved for backward)."""
    return bool(x._extra and x._extra.get("inference"))
Tensor.real = property(lambda self: self)
Tensor.H = property(lambda self: self.T if self._data.ndim == 2 else _raise_h(self))
Tensor.mH = property(lambda self: self.mT)


def _raise_h(x):
    raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                       f"{x._data.ndim}-D tensor.")


def _imag(x):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


Tensor.imag = property(_imag)


# ---- sliding windows ---------------------------------------------------------------------
def _unfold_backward(g, shape, dim, size, step):
    """Each window's gradient added back where it read (windows overlap when step < size)."""
    starts = _make(np.arange(g.shape[dim]) * step)
    gx = g.new_zeros(shape)
    for j in range(size):
        gx = gx.index_add(dim, starts + j, g.select(-1, j))
    return gx


Unfold = derivative("UnfoldBackward0", _unfold_backward)


@method("unfold")
def unfold(x, dimension: int, size: int, step: int) -> Tensor:
    """The windows of `size` elements along `dimension`, every `step`, as a new last dim
    (a view: windows share x's memory)."""
    d = x._data
    if d.ndim == 0:
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return x.reshape(1)
    dim = x._wrap_dim(dimension)
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size > d.shape[dim]:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {d.shape[dim]} but "
                           f"size is {size}")
    n = (d.shape[dim] - size) // step + 1
    shape = d.shape[:dim] + (n,) + d.shape[dim + 1:] + (size,)
    strides = d.strides[:dim] + (d.strides[dim] * step,) + d.strides[dim + 1:] + \
        (d.strides[dim],)
    out = np.lib.stride_tricks.as_strided(d, shape, strides, writeable=False)
    return record(Unfold, out, (x,), view_of=x, shape=d.shape, dim=dim, size=size, step=step)


def _fill_diagonal_(x, fill_value, wrap: bool = False) -> Tensor:
    """Set the main diagonal (of a matrix, or of a tensor whose dims are all equal) to
    `fill_value`, in place; `wrap` continues it below the square part of a tall matrix."""
    d = x._data
    if d.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if d.ndim > 2 and len(set(d.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(d.shape, bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return x.masked_fill_(_make(mask), fill_value)


Tensor.fill_diagonal_ = _fill_diagonal_


# ---- joining and splitting ------------------------------------------------------------------
@numpy_names
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim (1-D empty tensors are skipped, as in PyTorch)."""
    tensors = [to_tensor(t, "tensors") for t in tensors]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    used = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or tensors[:1]
    ref = used[0]
    if ref._data.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(ref, dim)
    rt = dtypes.result_type(*[_make(np.empty((1,), t._data.dtype)) for t in used])
    for i, t in enumerate(used):
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{ref._data.ndim} and {t._data.ndim}")
        for k, (a, b) in enumerate(zip(ref._data.shape, t._data.shape)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {a} but got size {b} for tensor number {i} in "
                                   "the list.")
    used = [to_dtype(t, rt) for t in used]
    return record(Cat, np.concatenate([t._data for t in used], axis=d), tuple(used), dim=d,
                  sizes=[t._data.shape[d] for t in used])


concat = concatenate = cat


@numpy_names
def stack(tensors, dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim."""
    tensors = [to_tensor(t, "tensors") for t in tensors]
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t._data.shape != tensors[0]._data.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0]._data.shape)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    d = _wrap_dim(tensors[0], dim, extra=1)
    rt = dtypes.result_type(*[_make(np.empty((1,), t._data.dtype)) for t in tensors])
    tensors = [to_dtype(t, rt) for t in tensors]
    return record(Stack, np.stack([t._data for t in tensors], axis=d), tuple(tensors), dim=d)


@method("narrow")
@numpy_names
def narrow(x, dim: int, start: int, length: int) -> Tensor:
    d = _wrap_dim(x, dim)
    size = x._data.shape[d]
    if start < 0:
        start += size
    if not (0 <= start <= size and 0 <= length and start + length <= size):
        raise IndexError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return x[(slice(None),) * d + (slice(start, start + length),)]


@method("select")
@numpy_names
def select(x, dim: int, index: int) -> Tensor:
    d = _wrap_dim(x, dim)
    size = x._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(x._data.shape)} at dimension {d}")
    return x[(slice(None),) * d + (index,)]


@method("split")
def split(x, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of `split_size` along `dim` (last one smaller), or of the given sizes."""
    d = _wrap_dim(x, dim)
    size = x._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sizes = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    return _split_views(x, d, sizes, int_size=isinstance(split_size_or_sections,
                                                         (int, np.integer)))


class _SplitNode(Node):
    """split / chunk: one node with an output per piece, as PyTorch's; the backward puts
    the pieces' gradients into one array (zeros for a piece that got none), instead of
    one full-size array of zeros per piece, summed."""

    def backward(self, *grads):
        return (cat([_make(np.zeros(shape, self.out_dtypes)) if g is None else g   # (Tensor
                     for g, (shape, _) in zip(grads, self._out_meta)], self.dim),)  # ops)

    def backward_fast(self, grads):
        if self.n_outputs == 1:   # (one piece: a plain node, given its one gradient)
            grads = (grads,)
        make = np.empty if all(g is not None for g in grads) else np.zeros
        out = make(self.in_shape, self.out_dtypes)
        for g, key in zip(grads, self.keys):
            if g is not None:
                out[key] = g
        return (out,)


SplitBackward0 = type("SplitBackward0", (_SplitNode,), {})
SplitWithSizesBackward0 = type("SplitWithSizesBackward0", (_SplitNode,), {})


def _split_views(x: Tensor, d: int, sizes: list, int_size: bool) -> tuple:
    """The pieces of x along dim d (views), recorded by one multi-output node."""
    bounds = np.cumsum([0] + sizes)
    keys = [(slice(None),) * d + (slice(int(a), int(b)),) for a, b in zip(bounds, bounds[1:])]
    pieces = [x._data[k] for k in keys]
    outs = [_make(p) for p in pieces]
    if needs_graph(x):
        n = (SplitBackward0 if int_size else SplitWithSizesBackward0)((x,))
        n.n_outputs, n._out_meta = len(outs), tuple((p.shape, p.dtype) for p in pieces)
        n.out_shape, n.out_dtype = (pieces[0].shape, pieces[0].dtype) if len(outs) == 1 else \
            (None, None)
        n.dim, n.keys, n.in_shape, n.out_dtypes = d, keys, x._data.shape, x._data.dtype
        for k, t in enumerate(outs):
            t.grad_fn, t._rg, t._out_nr = n, True, k
    for t in outs:
        if np.may_share_memory(t._data, x._data):
            _track_view(t, x)
    return _multi_view(outs, "Split" if int_size else "SplitWithSizes")


@method("split_with_sizes")
def split_with_sizes(x, split_sizes, dim: int = 0) -> tuple:
    """Pieces of the given sizes along `dim` (views)."""
    return split(x, [int(s) for s in split_sizes], dim)


@method("narrow_copy")
def narrow_copy(x, dim: int, start: int, length: int) -> Tensor:
    """narrow, copied (not a view)."""
    return clone(narrow(x, dim, start, length))


@method("chunk")
@numpy_names
def chunk(x, chunks: int, dim: int = 0) -> tuple:
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = x._data.shape[_wrap_dim(x, dim)]
    step = -(-size // chunks) if size else 1
    return split(x, step, dim)


@method("unbind")
@numpy_names
def unbind(x, dim: int = 0) -> tuple:
    d = _wrap_dim(x, dim)
    return _multi_view([select(x, d, i) for i in range(x._data.shape[d])], "Unbind")


def _multi_view(outs: list, name: str) -> tuple:
    """Outputs of a function that returns several views may not be changed in place (as
    in PyTorch): each is marked with its function and position."""
    for i, t in enumerate(outs):
        if t._base is not None:
            t._extra = dict(t._extra or {}, multi_view=(name, i))
    return tuple(outs)


# ---- pad, tril/triu, flip ----------------------------------------------------------------------
def pad(x, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the last len(pad)//2 dims: (left, right) of the last dim first, as PyTorch does.

    Negative amounts crop. Modes: constant, reflect, replicate, circular, on any number of
    trailing dims. The op lives with nn's padding (nn/functional/padding.py, which also
    has `F.pad` with PyTorch's limits); this is its name in autograd.
    """
    from nn.functional.padding import _pad
    p = tuple(int(v) for v in pad)
    if len(p) % 2 or len(p) // 2 > x._data.ndim:
        raise RuntimeError(f"Padding length must be divisible by 2 and at most twice the number "
                           f"of dims of the input; got {len(p)} for a {x._data.ndim}-D input")
    return _pad(x, p, mode, value)


def _tri(x, k, lower: bool) -> Tensor:
    if x._data.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 "
                           "dimensions")
    return record(Tril if lower else Triu, (np.tril if lower else np.triu)(x._data, k), (x,),
                  k=k)


@method("tril")
def tril(x, diagonal: int = 0) -> Tensor:
    return _tri(x, diagonal, True)


@method("triu")
def triu(x, diagonal: int = 0) -> Tensor:
    return _tri(x, diagonal, False)


@method("flip")
def flip(x, *dims) -> Tensor:
    dims = normalize_dims(x, size_args(dims), "flip") or ()
    out = np.flip(x._data, dims) if dims else x._data.copy()
    return record(Flip, np.ascontiguousarray(out), (x,), dims=dims)
