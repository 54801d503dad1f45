"""BatchNorm1d, BatchNorm2d and LayerNorm, with PyTorch's buffers, state_dict keys and repr."""

from __future__ import annotations

import autograd
from autograd.grad_mode import no_grad
from autograd.tensor import Tensor

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = dtype if dtype is not None else autograd.get_default_dtype()
        if affine:
            self.weight = Parameter(autograd.empty(num_features, dtype=dt))
            if bias:
                self.bias = Parameter(autograd.empty(num_features, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", autograd.zeros(num_features, dtype=dt))
            self.register_buffer("running_var", autograd.ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", autograd.tensor(0, dtype=autograd.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _check_input_dim(self, input) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{self._get_name()}({self.extra_repr()}): expected input with "
                               f"{self.num_features} channels in dim 1, got input of shape "
                               f"{list(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:   # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L), per channel C."""

    def _check_input_dim(self, input) -> None:
        if not isinstance(input, Tensor) or input.ndim not in (2, 3):
            nd = input.ndim if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"expected 2D or 3D input (got {nd}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W), per channel C."""

    def _check_input_dim(self, input) -> None:
        if not isinstance(input, Tensor) or input.ndim != 4:
            nd = input.ndim if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"expected 4D input (got {nd}D input)")


class LayerNorm(Module):
    """Normalise over the trailing normalized_shape dims; weight ones, bias zeros."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = dtype if dtype is not None else autograd.get_default_dtype()
        if elementwise_affine:
            self.weight = Parameter(autograd.empty(*self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(autograd.empty(*self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)
