"""nn.Parameter and nn.Buffer: tensors that a Module registers when they are assigned to it."""

from __future__ import annotations

import numpy as np

from autograd.serialization import register_tensor_class
from autograd.tensor import Tensor, _make

__all__ = ["Parameter", "Buffer"]

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
