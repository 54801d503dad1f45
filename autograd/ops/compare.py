"""Comparing whole tensors: isclose, allclose, equal (PyTorch's dtype and shape rules)."""

from __future__ import annotations

import builtins

import numpy as np

from ..tensor import Tensor, _make
from .base import method, shape_mismatch


def _pair(a, b, name: str) -> tuple:
    if not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{a.dtype._legacy} did not match {b.dtype._legacy}")
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise shape_mismatch(name, a._data, b._data) from None
    return a._data, b._data


@method("isclose")
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise (NaN equal if `equal_nan`)."""
    a, b = _pair(input, other, "isclose")
    return _make(np.asarray(np.isclose(a, b, rtol, atol, equal_nan)))


@method("allclose")
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """True if isclose holds everywhere."""
    a, b = _pair(input, other, "allclose")
    return builtins.bool(np.allclose(a, b, rtol, atol, equal_nan))


@method("equal")
def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """True if both have the same shape and the same values (dtypes may differ)."""
    return input.shape == other.shape and builtins.bool(np.array_equal(input._data, other._data))
