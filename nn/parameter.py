"""nn.Parameter and nn.Buffer: tensors that a Module registers when they are assigned to it."""

from __future__ import annotations

import numpy as np

from autograd.serialization import register_tensor_class
from autograd.tensor import Tensor, _make

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"]

_new = object.__new__


def _alias(cls, data, requires_grad: bool):
    """An instance of `cls` sharing data and version counter with `data` (a leaf)."""
    if data is None:
        data = _make(np.empty((0,), dtype=np.float32))
    elif not isinstance(data, Tensor):
        from autograd import tensor
        data = tensor(data)
    t = _new(cls)
    t._data = data._data
    t.grad_fn = None
    t._rg = False
    t._grad = None
    t._vc = data._vc
    t._accum = None
    t._out_nr = 0
    t._base = None
    t._extra = None
    if requires_grad:
        if data._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._rg = True
    return t


class Parameter(Tensor):
    """A Tensor that a Module lists in `parameters()`: a leaf with requires_grad=True
    (even under no_grad), sharing storage with `data`. Ops on it return plain Tensors."""

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        return _alias(cls, data, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


register_tensor_class(Parameter)  # checkpoints give back Parameters as Parameters


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute
    (`self.running_mean = nn.Buffer(zeros(3))`); `persistent=False` keeps it out of
    `state_dict`."""

    __slots__ = ("persistent",)

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        rg = isinstance(data, Tensor) and data._rg
        t = _alias(cls, data, rg and data.grad_fn is None)
        t.persistent = persistent
        return t


_UNINITIALIZED = ("Attempted to use an uninitialized parameter in {}. This error happens when "
                  "you are using a `LazyModule` or explicitly manipulating "
                  "`nn.parameter.UninitializedParameter` objects. When using LazyModules Call "
                  "`forward` with a dummy batch to initialize the parameters before calling "
                  "autograd functions")


class _UninitializedTensor:
    """What an uninitialized parameter and buffer share: a dtype but no shape (asking for
    its shape or numel raises, as in PyTorch; `size()` is allowed there, and is (0,)) until
    `materialize(shape)` gives it data and turns it, in place, into `cls_to_become`, so an
    optimizer or module holding it sees the data afterwards."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate (uninitialised) data of `shape` and become `cls_to_become`."""
        from autograd import dtypes
        dt = self._data.dtype if dtype is None else dtypes.to_np(dtype)
        self._data = np.empty(tuple(shape), dt)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "This error usually happens in `load_state_dict` when trying to "
                           "load an uninitialized parameter into an initialized one. Call "
                           "`forward` to initialize the parameters before accessing their "
                           "attributes.")

    def numel(self) -> int:
        raise ValueError(_UNINITIALIZED.format("numel"))

    def detach(self):   # state_dict() lists it as it is
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__


def _empty(dtype):
    from autograd import empty, get_default_dtype
    return empty(0, dtype=dtype or get_default_dtype())


class UninitializedParameter(_UninitializedTensor, Parameter):
    """A Parameter whose shape is not known yet (a lazy layer's, before its first call);
    `materialize(shape)` makes it a plain Parameter."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None
                ) -> UninitializedParameter:
        return _alias(cls, _empty(dtype), requires_grad)


class UninitializedBuffer(_UninitializedTensor, Tensor):
    """A buffer whose shape is not known yet (a lazy norm layer's running statistics);
    `materialize(shape)` makes it a plain Tensor."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None
                ) -> UninitializedBuffer:
        return _alias(cls, _empty(dtype), requires_grad)
