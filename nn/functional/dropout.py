"""dropout (nn.functional)."""

from __future__ import annotations

import numpy as np

from autograd.ops.base import to_tensor
from autograd.random import _rng
from autograd.tensor import Tensor, _make

__all__ = ["dropout"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) in training;
    the identity otherwise. The mask comes from the default generator (`manual_seed`)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = to_tensor(input, "input")
    if not training or p == 0.0:
        return x
    d = x._data
    if p == 1.0:
        scale = np.zeros(d.shape, dtype=d.dtype)
    else:
        keep = _rng(None).random(d.shape) >= p
        scale = keep.astype(d.dtype) * np.asarray(1.0 / (1.0 - p), dtype=d.dtype)
    return x.mul_(_make(scale)) if inplace else x * _make(scale)
