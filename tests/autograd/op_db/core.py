"""OpInfo and the sample-drawing helpers shared by the registry's family files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as hs

from autograd.testing import strategies as st


@dataclass
class Sample:
    """Inputs for one call: `args` are numpy arrays (tensors) or plain values."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    # which array args are differentiable (default: every floating-point array)
    diff: tuple | None = None


@dataclass
class OpInfo:
    name: str
    fn: Callable                     # (*tensors, **kwargs) -> Tensor
    ref: Callable | None             # (*arrays, **kwargs) -> array, or None
    sample: Callable                 # hypothesis composite: draw -> Sample
    differentiable: bool = True
    gradgrad: bool = True            # also run gradgradcheck
    atol: float = 1e-5
    rtol: float = 1e-3
    ref_atol: float = 1e-6           # forward vs reference (float64)
    keeps_dtype: bool = True         # float32 in -> float32 out
    eps: float = 1e-6                # finite-difference step
    notes: str = ""
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return self.name


def floats(shape, low=-2.0, high=2.0, avoid=(), gap=0.05):
    """Float64 arrays in [low, high], nudged away from the kinks in `avoid`."""
    def nudge(a):
        a = np.array(a, dtype=np.float64)
        for k in avoid:
            close = np.abs(a - k) < gap
            a[close] = k + gap * 2
        return a
    return st.arrays(shape, np.float64, low=low, high=high).map(nudge)


def unary(low=-2.0, high=2.0, avoid=(), min_side=0, **kwargs):
    @hs.composite
    def draw_sample(draw):
        shape = draw(st.shapes(min_side=min_side))
        return Sample((draw(floats(shape, low, high, avoid)),), dict(kwargs))
    return draw_sample()


def binary(low_a=-2.0, high_a=2.0, low_b=-2.0, high_b=2.0, avoid_b=(), scalar_b=False,
           unequal=False):
    """Two broadcastable float arrays (or an array and a Python float)."""
    @hs.composite
    def draw_sample(draw):
        sa, sb = draw(st.broadcastable_shapes(2))
        a = draw(floats(sa, low_a, high_a))
        if scalar_b:
            b = draw(hs.floats(low_b, high_b).filter(lambda v: all(abs(v - k) > 0.05
                                                                   for k in avoid_b)))
            return Sample((a, b))
        b = draw(floats(sb, low_b, high_b, avoid_b))
        if unequal:  # keep |a - b| away from 0 (kinks of max/min), in float64
            shape = np.broadcast_shapes(a.shape, b.shape)
            close = np.abs(np.broadcast_to(a, shape) - np.broadcast_to(b, shape)) < 0.05
            if close.any():
                a = np.broadcast_to(a, shape).copy()
                a[close] += 0.2
        return Sample((a, b))
    return draw_sample()


@hs.composite
def reduction_sample(draw, min_side=0, low=-2.0, high=2.0, single_dim=False, allow_none=True,
                     distinct=False):
    shape = draw(st.shapes(min_side=min_side))
    x = draw(floats(shape, low, high))
    if distinct and x.size:  # no ties (max/min kinks)
        x = np.asarray(np.argsort(np.argsort(x.ravel())).reshape(x.shape) * 0.37 + x * 0.01)
    dim = draw(st.valid_dims(len(shape), allow_none=allow_none, allow_tuple=not single_dim))
    keepdim = draw(hs.booleans())
    kw: dict[str, Any] = {"keepdim": keepdim}
    if dim is not None:
        kw["dim"] = dim
    return Sample((x,), kw)


def np_dims(dim, ndim):
    """numpy's axis for PyTorch's dim (where an empty tuple means every dim)."""
    if dim is None or dim == () or ndim == 0:
        return None
    if isinstance(dim, int):
        return dim % max(ndim, 1) if ndim else None
    return tuple(d % ndim for d in dim)
