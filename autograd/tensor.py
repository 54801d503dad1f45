"""The Tensor: a numpy array plus what autograd needs to differentiate through it.

This file is the bottom of the package: it imports nothing of autograd above dtypes and
grad modes. It holds the data model (data, `.grad`, `grad_fn`, `requires_grad`, the
version counter shared with views, conversions, `repr`); everything above attaches
itself to Tensor: the ops in `autograd/ops/` (methods and operators), `function.py` the
graph-facing methods (`register_hook`, `retain_grad`), `gradients.py` `backward`, and
`creation.py` the constructor `Tensor(data)`.
"""

from __future__ import annotations

import copy
import warnings
import weakref
from collections.abc import Callable

import numpy as np

from . import dtypes
from ._format import format_tensor
from .device import CPU, NO_ACCELERATOR, device, raise_for_cuda

__all__ = ["Tensor", "Size", "RemovableHandle", "memory_format", "contiguous_format",
           "preserve_format", "channels_last", "channels_last_3d", "layout", "strided"]

_new = object.__new__


class Size(tuple):
    """A tensor's shape: a tuple that prints as `autograd.Size([2, 3])`."""

    def __repr__(self) -> str:
        return f"autograd.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class RemovableHandle:
    """Returned by `register_hook`; `.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict, fn: Callable) -> None:
        self._hooks_ref = weakref.ref(hooks) if _weakrefable(hooks) else (lambda: hooks)
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id
        hooks[self.id] = fn

    def remove(self) -> None:
        hooks = self._hooks_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def size_args(args) -> tuple:
    """Accept f(2, 3), f((2, 3)) and f([2, 3]) alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"sizes must be integers, got {a!r} of type {type(a).__name__}")
        out.append(int(a))
    return tuple(out)


def _weakrefable(obj) -> bool:
    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


def _make(data: np.ndarray, grad_fn=None) -> Tensor:
    """Wrap an ndarray (the fast internal constructor; no copy, no checks)."""
    t = _new(Tensor)
    t._data = data
    t.grad_fn = grad_fn
    t._vc = [0]
    if grad_fn is None:
        t._rg = False
    else:
        t._rg = True
        grad_fn.out_shape = data.shape
        grad_fn.out_dtype = data.dtype
    return t


# autograd's per-tensor state kept in the instance dict, which copies do not carry over
_OWN_STATE = frozenset(("_grad", "_accum", "_out_nr", "_base", "_views", "_extra"))


class Tensor:
    """A multi-dimensional array that records the ops applied to it.

    Create tensors with `autograd.tensor(...)`, `zeros`, `randn`, ...; the constructor
    `Tensor(data)` behaves like `autograd.tensor(data)` for PyTorch users who call it.
    """

    # hot fields are slots; rare ones live in the instance dict (made on first use) and
    # default to the class attributes below, so making a tensor sets only four fields
    __slots__ = ("_data", "grad_fn", "_rg", "_vc", "__dict__", "__weakref__")
    _grad = None      # .grad
    _accum = None     # the AccumulateGrad node of a leaf that requires grad
    _out_nr = 0       # which output of grad_fn this tensor is
    _base = None      # the tensor whose storage this view shares (not itself a view)
    _views = None     # (of a base) weak refs to the views taken of it while recording
    _extra = None     # rarely used flags (inference tensors)
    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operators

    # `Tensor(data)` is `autograd.tensor(data)`: `__new__` is set by creation.py

    def __init__(self, *args, **kwargs) -> None:
        pass

    # ---- basic attributes --------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes._FROM_NP[self._data.dtype]

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def element_size(self) -> int:
        return self._data.itemsize

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def stride(self, dim: int | None = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[self._wrap_dim(dim)]

    def _wrap_dim(self, dim: int) -> int:
        n = self._data.ndim
        lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                             f"but got {dim})")
        return int(dim) % n if n else 0

    def _type_name(self) -> str:
        return f"autograd.{self.dtype._legacy}Tensor"

    # ---- autograd attributes -----------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self.retains_grad and self._grad is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
                "mistake, make sure you access the leaf Tensor instead.", UserWarning,
                stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a "
                    f"tensor of size '{list(self.shape)}'. Please ensure that the gradient "
                    "and the tensor are the same size")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"'{value.dtype}' to a tensor with dtype '{self.dtype}'. "
                                   "Please ensure that the gradient and the tensor have the "
                                   "same dtype")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return fn is not None and fn._retain is not None and fn._retain() is self

    @property
    def output_nr(self) -> int:
        return self._out_nr

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's storage has seen (shared with views)."""
        return self._vc[0]

    def detach(self) -> Tensor:
        """A new leaf sharing data and version counter with self, outside the graph."""
        t = _make(self._data)
        t._vc = self._vc   # in-place changes through t are still caught by saved-tensor checks
        return t

    def detach_(self) -> Tensor:
        if self._base is not None and self._base._rg and self.grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def data(self) -> Tensor:
        """The same data as a tensor outside the graph (no version-counter sharing)."""
        return _make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        if self._accum is not None:   # the leaf's gradient sink expects the new shape
            self._accum.out_shape, self._accum.out_dtype = value._data.shape, value._data.dtype

    # ---- conversions ---------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """`np.asarray(t)` shares memory with t (as `t.numpy()`); a `dtype` other than t's,
        or `copy=True`, makes a copy."""
        if self._rg:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        a = self._data
        if dtype is not None and np.dtype(dtype) != a.dtype:
            if copy is False:
                raise ValueError(f"Unable to avoid copy while creating an array as requested "
                                 f"(a {a.dtype} tensor as {np.dtype(dtype)})")
            return a.astype(dtype)
        return a.copy() if copy else a

    def __array_wrap__(self, array, context=None, return_scalar: bool = False):
        """numpy's ufuncs on tensors return tensors (`np.exp(t)`), as with PyTorch."""
        array = np.asarray(array)
        return _make(array) if array.dtype in dtypes._FROM_NP else array

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def __complex__(self) -> complex:
        return complex(self._scalar())

    def _scalar(self):
        """The value of a one-element tensor, for float(t), int(t) and "%.2f" % t."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with "
                               f"{'no values' if self._data.size == 0 else 'more than one value'}"
                               " is ambiguous")
        return bool(self._data.reshape(()).item())

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__   # by identity (ops/pointwise.py sets it again after __eq__)

    def __reduce_ex__(self, protocol):
        raise TypeError("Tensors are not pickled by this project; use autograd.save / "
                        "autograd.load, which write .npz files that never run code")

    # copy.copy / copy.deepcopy (matplotlib copies what it plots), as in PyTorch
    def __copy__(self) -> Tensor:
        """A new leaf sharing this tensor's storage and version counter, outside the graph
        (requires_grad kept, `.grad` not copied), of the same class."""
        new = _new(type(self))
        new._data, new.grad_fn, new._rg, new._vc = self._data, None, self._rg, self._vc
        self._copy_attributes(new, lambda v: v)
        return new

    def __deepcopy__(self, memo) -> Tensor:
        """An independent copy of a leaf: data, requires_grad, `.grad` and attributes."""
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        new = _new(type(self))
        new._data, new.grad_fn, new._rg, new._vc = self._data.copy(), None, self._rg, [0]
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = _make(self._grad._data.copy())
        self._copy_attributes(new, lambda v: copy.deepcopy(v, memo))
        return new

    def _copy_attributes(self, new: Tensor, copy_value: Callable) -> None:
        """Users' attributes and subclasses' slots (not autograd's own state)."""
        for k, v in self.__dict__.items():
            if k not in _OWN_STATE:
                new.__dict__[k] = copy_value(v)
        for cls in type(self).__mro__[:type(self).__mro__.index(Tensor)]:
            for slot in getattr(cls, "__slots__", ()):
                if hasattr(self, slot):
                    setattr(new, slot, copy_value(getattr(self, slot)))

    # ---- printing ------------------------------------------------------------------------
    def __repr__(self) -> str:
        return format_tensor(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its value (`f"{loss:.4f}"`, and `f"{loss}"` gives the
        full float); other tensors only without a format spec (their str)."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)

    # ---- DLPack: zero-copy exchange with numpy, PyTorch, JAX ----------------------------
    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule sharing this tensor's memory (`np.from_dlpack(t)`,
        `torch.from_dlpack(t)`); as in PyTorch, a tensor that requires grad is refused."""
        if self._rg:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        if stream not in (None, -1):
            raise BufferError(f"stream={stream!r} given for a CPU tensor; only None is valid")
        kwargs = {} if max_version is None else {"max_version": max_version}
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        if copy is not None:
            kwargs["copy"] = copy
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple:
        return self._data.__dlpack_device__()

    # ==== devices (autograd/device.py): every tensor lives on the CPU ======================
    is_cpu = True
    is_cuda = is_mps = is_meta = is_sparse = is_quantized = is_nested = False

    @property
    def device(self) -> device:
        return CPU

    def get_device(self) -> int:
        """-1: the CPU (PyTorch's answer for CPU tensors)."""
        return -1

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
        raise_for_cuda(device)

    def pin_memory(self, device=None) -> Tensor:
        raise RuntimeError(NO_ACCELERATOR)   # pinning is for copies to an accelerator

    def is_pinned(self, device=None) -> bool:
        return False

    # ==== sizes and memory layout ============================================================
    def nelement(self) -> int:
        return self._data.size

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.size * self._data.itemsize

    def storage_offset(self) -> int:
        """Where this tensor starts in the storage it shares (in elements)."""
        root = self._data
        while isinstance(root.base, np.ndarray):
            root = root.base
        return (_address(self._data) - _address(root)) // self._data.itemsize

    def data_ptr(self) -> int:
        return _address(self._data)

    def dim_order(self) -> tuple:
        """The dims from outermost to innermost in memory (by decreasing stride)."""
        st = self._data.strides
        return tuple(sorted(range(self._data.ndim), key=lambda d: -st[d]))

    def is_complex(self) -> bool:
        return False

    def share_memory_(self) -> Tensor:
        return self   # processes here share nothing; kept so that such programs run

    def apply_(self, fn: Callable) -> Tensor:
        """Replace each element by `fn(element)`, in place (a Python loop; not recorded)."""
        return self._apply_python("apply_", fn, self._data)

    def map_(self, other: Tensor, fn: Callable) -> Tensor:
        """Replace each element by `fn(element, other's element)`, in place."""
        return self._apply_python("map_", fn, self._data,
                                  np.broadcast_to(other._data, self._data.shape))

    def _apply_python(self, name: str, fn: Callable, *arrays) -> Tensor:
        if self._rg:
            raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                               f"var.detach().{name}() instead.")
        self._check_inplace()
        if self._data.size:
            self._data[...] = np.vectorize(fn, otypes=[self._data.dtype])(*arrays)
        self._vc[0] += 1
        return self

    # ==== new tensors with this one's dtype: new_zeros, new_full, new_tensor, ... ============
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        from .creation import tensor
        if isinstance(data, Tensor):
            warnings.warn("To copy construct from a tensor, it is recommended to use "
                          "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                          ".requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                          UserWarning, stacklevel=2)
        return tensor(data, dtype=self.dtype if dtype is None else dtype, device=device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False,
                  layout=None, pin_memory: bool = False) -> Tensor:
        from .creation import zeros
        return zeros(*size, dtype=self.dtype if dtype is None else dtype, device=device,
                     requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False,
                 layout=None, pin_memory: bool = False) -> Tensor:
        from .creation import ones
        return ones(*size, dtype=self.dtype if dtype is None else dtype, device=device,
                    requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False,
                  layout=None, pin_memory: bool = False) -> Tensor:
        from .creation import empty
        return empty(*size, dtype=self.dtype if dtype is None else dtype, device=device,
                     requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad: bool = False,
                 layout=None, pin_memory: bool = False) -> Tensor:
        from .creation import full
        return full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                    device=device, requires_grad=requires_grad)

    def new(self, *args, **kwargs) -> Tensor:
        """The legacy constructor: `x.new(2, 3)` (uninitialised) or `x.new(data)`."""
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            return self.new_tensor(args[0], **kwargs)
        return self.new_empty(*args, **kwargs)


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


class memory_format:
    """PyTorch's memory formats (`autograd.channels_last`, ...), accepted where PyTorch takes
    them; numpy's layout here is whatever the op that made the array chose."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"autograd.{self._name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


class layout(memory_format):
    """A tensor's layout: always `autograd.strided` (dense arrays)."""

    __slots__ = ()


strided = layout("strided")
Tensor.layout = property(lambda self: strided, doc="autograd.strided: dense numpy arrays")
