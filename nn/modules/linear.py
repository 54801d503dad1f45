"""Identity, Linear, Bilinear."""

from __future__ import annotations

import math
import numbers
from typing import Any

import autograd
from autograd.ops.linalg import linear as _linear  # F.linear's op, called directly
from autograd.tensor import Tensor

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


def _check_features(layer: str, **sizes: Any) -> None:
    """A clear error naming the size argument that is not a non-negative int."""
    for name, v in sizes.items():
        if not isinstance(v, numbers.Integral):
            raise TypeError(f"{layer}: {name} must be an int, got {v!r} "
                            f"({type(v).__name__})")
        if v < 0:
            raise RuntimeError(f"{layer}: {name} must be non-negative, got {name}={v} "
                               f"(Trying to create tensor with negative dimension {v})")


class Identity(Module):
    """Returns its input; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:   # anything, as PyTorch's Identity
        return input


class Linear(Module):
    """y = x @ weight.T + bias, weight (out_features, in_features); input (*, in_features).
    Initialised as PyTorch does: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        _check_features("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        dt = dtype if dtype is not None else autograd.get_default_dtype()
        self.weight = Parameter(autograd.empty(out_features, in_features, dtype=dt))
        if bias:
            self.bias = Parameter(autograd.empty(out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fan_in), +) for the bias."""
        init._default_reset_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor) or not input._data.shape or \
                input._data.shape[-1] != self.in_features:
            shape = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise RuntimeError(f"{self._get_name()}({self.extra_repr()}): expected input with "
                               f"last dimension {self.in_features}, got shape {shape}")
        ps = self._parameters   # (read directly: a module's __getattr__ is slow)
        w, b = ps.get("weight"), ps.get("bias")
        return _linear(input, self.weight if w is None else w, self.bias if b is None else b)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y = x1^T A x2 + b, weight (out, in1, in2), bias (out,); both U(-1/sqrt(in1), ...)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        _check_features("Bilinear", in1_features=in1_features, in2_features=in2_features,
                        out_features=out_features)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dt = dtype if dtype is not None else autograd.get_default_dtype()
        self.weight = Parameter(autograd.empty(out_features, in1_features, in2_features,
                                               dtype=dt))
        if bias:
            self.bias = Parameter(autograd.empty(out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is the last dim of its first input; then a plain Linear
    (initialised as Linear(in_features, out_features) would be, from the same RNG state)."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        _check_features("LazyLinear", out_features=out_features)
        self.out_features = out_features
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """in_features from the input's last dim; allocate and initialise as Linear does."""
        if not self.has_uninitialized_params():
            return
        if not isinstance(input, Tensor) or input.ndim == 0:
            shape = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise IndexError(f"LazyLinear: in_features is the last dim of the first input, "
                             f"but the input has none (shape {shape})")
        with autograd.no_grad():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()

    def _after_load(self) -> None:
        if not isinstance(self.weight, UninitializedParameter):
            self.in_features = self.weight.shape[1]
