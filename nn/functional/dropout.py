"""Dropout (nn.functional): dropout, dropout1d/2d/3d (whole channels), alpha_dropout and
feature_alpha_dropout (for SELU networks: dropped units take SELU's negative saturation
value and an affine map keeps mean and variance).

As in PyTorch on the CPU, each is a multiplication by a random mask (`MulBackward0`),
plus an addition for the alpha forms (`AddBackward0`); the identity (the input itself)
in eval mode, for p = 0 or an empty input. Masks come from the default generator
(`manual_seed`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from autograd.ops.base import to_tensor
from autograd.random import _bernoulli_mask
from autograd.tensor import Tensor, _make

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

_SELU_SATURATION = 1.7580993408473766   # -scale * alpha of SELU: where SELU's output tends


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p: float, training: bool, inplace: bool, kept_dims: int | None = None,
             alpha: bool = False) -> Tensor:
    """Drop elements (kept_dims=None) or whole channels: the mask has the input's first
    `kept_dims` sizes ((N, C) batched, (C,) unbatched) and 1 elsewhere. Survivors are
    scaled by 1/(1-p); with `alpha`, the output is x * a * mask + b, dropped units landing
    on SELU's saturation value."""
    _check_p(p)
    x = to_tensor(input, "input")
    d = x._data
    if not training or p == 0.0 or d.size == 0:
        return x
    if kept_dims == 2 and d.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1.0:
        zero = _make(np.zeros((), d.dtype))
        return x.mul_(zero) if inplace else x * zero
    shape = d.shape if kept_dims is None else \
        d.shape[:kept_dims] + (1,) * (d.ndim - kept_dims)
    # PyTorch's mask (bernoulli_(1 - p) from the default generator): its numbers after the
    # same seed
    kept = _bernoulli_mask(shape, 1.0 - p)
    if not alpha:
        scale = np.multiply(kept, np.asarray(1.0 / (1.0 - p), dtype=d.dtype))
        return x.mul_(_make(scale)) if inplace else x * _make(scale)
    keep = kept.astype(d.dtype)
    a = 1.0 / math.sqrt((_SELU_SATURATION ** 2 * p + 1) * (1 - p))
    mul = _make(keep * np.asarray(a, dtype=d.dtype))
    add = _make(((keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p)
                .astype(d.dtype, copy=False))
    return x.mul_(mul).add_(add) if inplace else x * mul + add


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) in training;
    the identity otherwise."""
    return _dropout(input, p, training, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) with probability p."""
    _check_p(p)
    x = to_tensor(input, "input")
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _dropout(x, p, training, inplace, 2 if x.ndim == 3 else 1)


def _warn_dims(name: str, ndim: int, spatial: int) -> None:
    if ndim not in (spatial + 1, spatial + 2):
        warnings.warn(
            f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result "
            "in an error in a future release. To retain the behavior and silence this warning, "
            f"please use dropout instead. Note that {name} exists to provide channel-wise "
            f"dropout on inputs with {spatial} spatial dimensions, a channel dimension, and an "
            f"optional batch dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).",
            stacklevel=3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) with probability p (a 3-D input
    is read as (N, C, L), with PyTorch's warning)."""
    _check_p(p)
    x = to_tensor(input, "input")
    _warn_dims("dropout2d", x.ndim, 2)
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _dropout(x, p, training, inplace, 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p."""
    _check_p(p)
    x = to_tensor(input, "input")
    _warn_dims("dropout3d", x.ndim, 3)
    return _dropout(x, p, training, inplace, 2 if x.ndim == 5 else 1)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: keeps the input's mean and variance (note PyTorch's
    default training=False)."""
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels (dim 1) of (N, C, *)."""
    return _dropout(input, p, training, inplace, 2, alpha=True)
