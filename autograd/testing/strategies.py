"""Hypothesis strategies for property tests of tensor code (the project's own op registry
uses these same strategies).

    @given(st.tensors(shape=st.shapes(max_dims=3)))
    def test_double_neg(x): assert_close(-(-x), x)
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs
from hypothesis.extra import numpy as hnp

from ..dtypes import float64, to_np
from ..tensor import Tensor, _make

__all__ = ["shapes", "broadcastable_shapes", "valid_dims", "arrays", "tensors"]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4):
    """Array shapes, including 0-d (`()`) and, when min_side is 0, size-0 dims."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(n: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
                         max_side: int = 4):
    """A tuple of `n` shapes that broadcast together (some dims 1, some missing)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(
        lambda r: tuple(r.input_shapes))


@hs.composite
def valid_dims(draw, ndim: int, allow_none: bool = True, allow_tuple: bool = True,
               allow_negative: bool = True):
    """A valid `dim` argument for a tensor of `ndim` dims: None, an int, or a tuple of
    distinct dims (each possibly negative)."""
    kinds = ["int"] + (["none"] if allow_none else []) + (["tuple"] if allow_tuple and ndim
                                                            else [])
    kind = draw(hs.sampled_from(kinds))
    if kind == "none":
        return None
    n = max(ndim, 1)
    if kind == "int":
        return draw(hs.integers(-n if allow_negative else 0, n - 1))
    dims = draw(hs.lists(hs.integers(0, ndim - 1), unique=True, max_size=ndim))
    if allow_negative:
        dims = [d - ndim if draw(hs.booleans()) else d for d in dims]
    return tuple(dims)


def arrays(shape, dtype=float64, elements=None, low: float = -3.0, high: float = 3.0):
    """numpy arrays of `shape` (a shape or a strategy) with finite values in [low, high]."""
    npd = to_np(dtype)
    if elements is None:
        if npd.kind == "f":
            elements = hs.floats(low, high, allow_nan=False, allow_infinity=False, width=min(
                64, npd.itemsize * 8))
        elif npd.kind == "b":
            elements = hs.booleans()
        else:
            elements = hs.integers(int(low), int(high))
    return hnp.arrays(npd, shape, elements=elements)


@hs.composite
def tensors(draw, shape=None, dtype=float64, elements=None, requires_grad: bool = False,
            low: float = -3.0, high: float = 3.0) -> Tensor:
    """Tensors of the given (or a drawn) shape and dtype."""
    shape = draw(shapes()) if shape is None else shape
    if not isinstance(shape, tuple):
        shape = draw(shape)
    data = draw(arrays(shape, dtype, elements, low, high))
    t = _make(np.array(data))
    if requires_grad:
        t.requires_grad_(True)
    return t
