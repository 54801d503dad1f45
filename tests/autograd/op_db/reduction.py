"""Registry entries: reductions, softmax family, norms."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats, np_dims, reduction_sample


def _kw(x, kw):
    return np_dims(kw.get("dim"), x.ndim), kw.get("keepdim", False)


def _np_red(fn):
    def ref(x, **kw):
        axis, keep = _kw(x, kw)
        return fn(x, axis=axis, keepdims=keep)
    return ref


def _logsumexp(x, dim, keepdim=False):
    axis = np_dims(dim, x.ndim)
    m = np.max(x, axis=axis, keepdims=True) if x.size else 0
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=axis if axis is not None else None)


@hs.composite
def _dim_sample(draw, min_side=0, distinct=False, low=-2.0, high=2.0):
    """A tensor and one (int) dim, for ops that need exactly one."""
    shape = draw(st.shapes(min_dims=1, min_side=min_side))
    x = draw(floats(shape, low, high))
    if distinct and x.size:
        x = np.asarray(np.argsort(np.argsort(x.ravel())).reshape(x.shape) * 0.37 + x * 0.01)
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    return Sample((x,), {"dim": dim, "keepdim": draw(hs.booleans())})


@hs.composite
def _var_sample(draw):
    s = draw(reduction_sample(min_side=2, distinct=True).filter(lambda s: s.args[0].ndim > 0))
    s.kwargs["correction"] = draw(hs.sampled_from([0, 1]))
    return s


def _var_ref(x, dim=None, keepdim=False, correction=1, std=False):
    axis = np_dims(dim, x.ndim)
    out = np.var(x, axis=axis, ddof=correction, keepdims=keepdim)
    return np.sqrt(out) if std else out


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@hs.composite
def _softmax_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1))
    return Sample((draw(floats(shape)),), {"dim": draw(hs.integers(-len(shape), len(shape) - 1))})


@hs.composite
def _prod_sample(draw):
    shape = draw(st.shapes(max_side=3))
    x = draw(floats(shape, 0.5, 1.5))
    if x.size and draw(hs.booleans()):   # exact zeros: the gradient must still be right
        x.ravel()[draw(hs.integers(0, x.size - 1))] = 0.0
    kw = {}
    if shape and draw(hs.booleans()):
        kw = {"dim": draw(hs.integers(-len(shape), len(shape) - 1)),
              "keepdim": draw(hs.booleans())}
    return Sample((x,), kw)


def _prod_ref(x, dim=None, keepdim=False):
    return np.prod(x, axis=np_dims(dim, x.ndim), keepdims=keepdim) if dim is not None \
        else np.prod(x)


OPS = [
    OpInfo("sum", lambda x, **kw: x.sum(**kw), _np_red(np.sum), reduction_sample()),
    OpInfo("mean", lambda x, **kw: x.mean(**kw), _np_red(np.mean), reduction_sample(min_side=1)),
    OpInfo("prod", lambda x, **kw: x.prod(**kw), _prod_ref, _prod_sample()),
    OpInfo("amax", lambda x, **kw: x.amax(**{"dim": kw.get("dim", ()),
                                              "keepdim": kw["keepdim"]}),
           _np_red(np.max), reduction_sample(min_side=1, distinct=True)),
    OpInfo("amin", lambda x, **kw: x.amin(**{"dim": kw.get("dim", ()),
                                              "keepdim": kw["keepdim"]}),
           _np_red(np.min), reduction_sample(min_side=1, distinct=True)),
    OpInfo("max_full", lambda x, keepdim: x.max(), lambda x, keepdim: np.max(x),
           reduction_sample(min_side=1, distinct=True, allow_none=True)
           .map(lambda s: Sample(s.args, {"keepdim": False}))),
    OpInfo("min_full", lambda x, keepdim: x.min(), lambda x, keepdim: np.min(x),
           reduction_sample(min_side=1, distinct=True)
           .map(lambda s: Sample(s.args, {"keepdim": False}))),
    OpInfo("max_dim", lambda x, dim, keepdim: x.max(dim, keepdim).values,
           lambda x, dim, keepdim: np.max(x, axis=dim, keepdims=keepdim),
           _dim_sample(min_side=1, distinct=True)),
    OpInfo("min_dim", lambda x, dim, keepdim: x.min(dim, keepdim).values,
           lambda x, dim, keepdim: np.min(x, axis=dim, keepdims=keepdim),
           _dim_sample(min_side=1, distinct=True)),
    OpInfo("var", lambda x, **kw: x.var(**kw), _var_ref, _var_sample()),
    OpInfo("std", lambda x, **kw: x.std(**kw), lambda x, **kw: _var_ref(x, std=True, **kw),
           _var_sample()),
    OpInfo("logsumexp", lambda x, dim, keepdim: x.logsumexp(dim, keepdim), _logsumexp,
           _dim_sample(min_side=1)),
    OpInfo("softmax", lambda x, dim: x.softmax(dim), _softmax, _softmax_sample()),
    OpInfo("log_softmax", lambda x, dim: x.log_softmax(dim),
           lambda x, dim: np.log(_softmax(x, dim)), _softmax_sample()),
    OpInfo("norm", lambda x, **kw: x.norm(**kw),
           lambda x, **kw: np.sqrt(_np_red(np.sum)(x * x, **kw)),
           reduction_sample(min_side=1, low=0.3, high=2.0)),
    OpInfo("norm_p1", lambda x, dim, keepdim: x.norm(1, dim, keepdim),
           lambda x, dim, keepdim: np.sum(np.abs(x), axis=dim, keepdims=keepdim),
           _dim_sample(min_side=1, low=0.2, high=2.0)),
    OpInfo("norm_p3", lambda x, dim, keepdim: x.norm(3, dim, keepdim),
           lambda x, dim, keepdim: np.sum(np.abs(x) ** 3, axis=dim, keepdims=keepdim) ** (1 / 3),
           _dim_sample(min_side=1, low=0.2, high=2.0)),
    OpInfo("cumsum", lambda x, dim, keepdim: x.cumsum(dim),
           lambda x, dim, keepdim: np.cumsum(x, axis=dim), _dim_sample()),
]
