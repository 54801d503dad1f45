"""Registry entries: sorting, order statistics, NaN-aware reductions and cumulative ops
(sort, topk, kthvalue, median, quantile, mode, aminmax, std_mean, nansum, cumprod,
cummax, logcumsumexp, diff, trapezoid). Samples avoid ties (kinks of the order
statistics); cumprod also gets exact zeros."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats, np_dims, reduction_sample
from .reduction import _var_ref, _var_sample


def _distinct(x: np.ndarray) -> np.ndarray:
    """The same shape, all values distinct and at least 0.3 apart."""
    if not x.size:
        return x
    return np.asarray(np.argsort(np.argsort(x.ravel())).reshape(x.shape) * 0.37 + x * 0.01)


@hs.composite
def _dim_sample(draw, min_side=0, min_dims=1, distinct=True, keepdim=True, **kw):
    shape = draw(st.shapes(min_dims=min_dims, min_side=min_side))
    x = draw(floats(shape))
    x = _distinct(x) if distinct else x
    n = max(len(shape), 1)
    kwargs = {"dim": draw(hs.integers(-n, n - 1)), **kw}
    if keepdim:
        kwargs["keepdim"] = draw(hs.booleans())
    return Sample((x,), kwargs)


def _sort_ref(x, dim, descending=False, stable=None):
    out = np.sort(x, axis=dim) if x.ndim else x
    return np.flip(out, dim) if descending and x.ndim else out


@hs.composite
def _topk_sample(draw):
    s = draw(_dim_sample(keepdim=False))
    x, dim = s.args[0], s.kwargs["dim"]
    size = x.shape[dim] if x.ndim else 1
    s.kwargs["k"] = draw(hs.integers(0, size))
    s.kwargs["largest"] = draw(hs.booleans())
    return s


@hs.composite
def _topk_few_sample(draw):
    """k well below the size: the partition path."""
    n = draw(hs.integers(5, 9))
    lead = tuple(draw(hs.lists(hs.integers(1, 3), max_size=2)))
    x = _distinct(draw(floats(lead + (n,))))
    return Sample((x,), {"k": draw(hs.integers(1, (n - 1) // 4)), "dim": -1,
                         "largest": draw(hs.booleans())})


def _topk_ref(x, k, dim, largest):
    srt = _sort_ref(x, dim, descending=largest)
    return np.take(srt, np.arange(k), axis=dim) if x.ndim else srt


@hs.composite
def _kth_sample(draw):
    s = draw(_dim_sample(min_side=1))
    x, dim = s.args[0], s.kwargs["dim"]
    s.kwargs["k"] = draw(hs.integers(1, x.shape[dim] if x.ndim else 1))
    return s


def _kth_ref(x, k, dim, keepdim):
    if not x.ndim:
        return x
    out = np.take(np.sort(x, axis=dim), [k - 1], axis=dim)
    return out if keepdim else out.squeeze(dim)


def _lower_median(x, axis=None, keepdims=False):
    if axis is None:
        srt = np.sort(x.ravel())
        return srt[(srt.size - 1) // 2]
    srt = np.sort(x, axis=axis)
    out = np.take(srt, [(x.shape[axis] - 1) // 2], axis=axis)
    return out if keepdims else out.squeeze(axis)


@hs.composite
def _median_full_sample(draw, ties=False):
    """Distinct values; with `ties`, the value just above the median made equal to it (two
    tied medians, where central differences see the even split)."""
    shape = draw(st.shapes(min_side=2 if ties else 1, min_dims=1 if ties else 0))
    x = _distinct(draw(floats(shape)))
    if ties:
        order = np.argsort(x.ravel())
        k = (x.size - 1) // 2
        x.ravel()[order[k + 1]] = x.ravel()[order[k]]
    return Sample((x,))


def _median_full_ref(x):
    return _lower_median(x)


@hs.composite
def _nanmedian_sample(draw, full):
    s = draw(_dim_sample(min_side=2))
    x = s.args[0].copy()
    if x.size:
        x.ravel()[draw(hs.integers(0, x.size - 1))] = np.nan
    s.args = (x,)
    s.diff = (True,)
    if full:
        s.kwargs = {}
    return s


def _nanmedian_ref(x, dim=None, keepdim=False):
    if dim is None:
        v = np.sort(x[~np.isnan(x)])
        return v[(v.size - 1) // 2]
    axis = dim % x.ndim
    srt = np.sort(x, axis=axis)                           # NaN last
    count = (~np.isnan(x)).sum(axis=axis, keepdims=True)
    pos = np.maximum(count - 1, 0) // 2
    out = np.take_along_axis(srt, pos, axis=axis)
    return out if keepdim else out.squeeze(axis)


@hs.composite
def _quantile_sample(draw, nan=False):
    """With `nan`, one NaN among slices of at least 2 (none is all NaN)."""
    shape = draw(st.shapes(min_dims=1, min_side=2 if nan else 1))
    x = _distinct(draw(floats(shape)))
    if nan and x.size > 1:
        x = x.copy()
        x.ravel()[draw(hs.integers(0, x.size - 1))] = np.nan
    kw = {"interpolation": draw(hs.sampled_from(["linear", "lower", "higher", "midpoint",
                                                 "nearest"]))}
    if draw(hs.booleans()):
        kw["dim"] = draw(hs.integers(-len(shape), len(shape) - 1))
        kw["keepdim"] = draw(hs.booleans())
    q = draw(hs.one_of(hs.sampled_from([0.0, 0.3, 0.5, 1.0]),
                       hs.lists(hs.sampled_from([0.1, 0.25, 0.6, 0.9]), min_size=1,
                                max_size=3).map(np.array)))
    return Sample((x, q), kw, diff=(True, False))



def _quantile_ref(x, q, dim=None, keepdim=False, interpolation="linear", nan=False):
    fn = np.nanquantile if nan else np.quantile
    return fn(x, q, axis=None if dim is None else dim % x.ndim, keepdims=keepdim,
              method=interpolation)


@hs.composite
def _mode_sample(draw):
    """Integer-valued floats so that a value repeats; the most frequent one is unique."""
    shape = draw(st.shapes(min_dims=1, min_side=1, max_side=5))
    x = np.asarray(draw(st.arrays(shape, np.int64, low=0, high=2)), dtype=np.float64)
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    return Sample((x,), {"dim": dim, "keepdim": draw(hs.booleans())})


def _mode_ref(x, dim, keepdim):
    axis = dim % x.ndim
    m = np.moveaxis(x, axis, -1)
    vals = np.arange(3.0)
    counts = (m[..., None] == vals).sum(-2)
    best = vals[np.argmax(counts, -1)]   # ties: the smallest value
    return np.expand_dims(best, axis) if keepdim else best


def _red_ref(fn):
    def ref(x, **kw):
        return fn(x, axis=np_dims(kw.get("dim"), x.ndim), keepdims=kw.get("keepdim", False))
    return ref


@hs.composite
def _nan_reduction_sample(draw, min_side=0):
    """One NaN; with min_side 2 no reduced slice is all NaN."""
    s = draw(reduction_sample(min_side=min_side))
    x = s.args[0].copy()
    if x.size > (1 if min_side >= 2 else 0):
        x.ravel()[draw(hs.integers(0, x.size - 1))] = np.nan
    s.args = (x,)
    return s


@hs.composite
def _cumprod_sample(draw):
    shape = draw(st.shapes(min_dims=1, max_side=4))
    x = draw(floats(shape, 0.5, 1.5)) * draw(hs.sampled_from([1.0, -1.0]))
    if x.size and draw(hs.booleans()):   # exact zeros: the gradient must stay exact
        for _ in range(draw(hs.integers(1, 2))):
            x.ravel()[draw(hs.integers(0, x.size - 1))] = 0.0
    return Sample((x,), {"dim": draw(hs.integers(-len(shape), len(shape) - 1))})


def _cumext_ref(fn):
    def ref(x, dim):
        return fn.accumulate(x, axis=dim) if x.ndim else x
    return ref


@hs.composite
def _diff_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    x = draw(floats(shape))
    args, kw = [x], {"n": draw(hs.integers(0, 2)), "dim": dim}
    if draw(hs.booleans()):
        side = list(shape)
        side[dim] = draw(hs.integers(1, 2))
        args.append(draw(floats(tuple(side))))
        kw["with_prepend"] = True
    return Sample(tuple(args), kw)


def _diff_fn(x, p=None, n=1, dim=-1, with_prepend=False):
    return ag.diff(x, n=n, dim=dim, prepend=p)


def _diff_ref(x, p=None, n=1, dim=-1, with_prepend=False):
    return np.diff(x, n=n, axis=dim, prepend=p) if p is not None else np.diff(x, n=n, axis=dim)


@hs.composite
def _trapezoid_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1))
    dim = draw(hs.integers(-len(shape), len(shape) - 1))
    y = draw(floats(shape))
    if draw(hs.booleans()):
        xs = np.cumsum(draw(floats((shape[dim],), 0.1, 1.0)))
        return Sample((y, xs), {"dim": dim})
    return Sample((y,), {"dim": dim, "dx": 0.5})


def _trapz_ref(y, x=None, dim=-1, dx=1.0):
    return np.trapezoid(y, x=x, dx=dx, axis=dim)


def _cumtrapz_ref(y, x=None, dim=-1, dx=1.0):
    y = np.moveaxis(y, dim, -1)
    step = np.diff(x) if x is not None else dx
    out = np.cumsum((y[..., 1:] + y[..., :-1]) / 2 * step, -1)
    return np.moveaxis(out, -1, dim)


OPS = [
    OpInfo("sort", lambda x, dim, keepdim: ag.sort(x, dim).values,
           lambda x, dim, keepdim: _sort_ref(x, dim), _dim_sample()),
    OpInfo("sort_stable_descending",
           lambda x, dim, keepdim: x.sort(dim=dim, descending=True, stable=True).values,
           lambda x, dim, keepdim: _sort_ref(x, dim, True), _dim_sample()),
    OpInfo("msort", lambda x, dim, keepdim: ag.msort(x), lambda x, dim, keepdim:
           np.sort(x, axis=0) if x.ndim else x, _dim_sample()),
    OpInfo("topk", lambda x, **kw: ag.topk(x, **kw).values, _topk_ref, _topk_sample()),
    OpInfo("topk_few", lambda x, **kw: ag.topk(x, **kw).values, _topk_ref, _topk_few_sample()),
    OpInfo("kthvalue", lambda x, **kw: ag.kthvalue(x, **kw).values, _kth_ref, _kth_sample()),
    OpInfo("median_full", ag.median, _median_full_ref, _median_full_sample()),
    OpInfo("median_full_ties", ag.median, _median_full_ref, _median_full_sample(ties=True),
           gradgrad=False, notes="ties share the gradient evenly (central differences agree); "
           "the gradient itself jumps there"),
    OpInfo("median_dim", lambda x, dim, keepdim: ag.median(x, dim, keepdim).values,
           lambda x, dim, keepdim: _lower_median(x, dim % max(x.ndim, 1), keepdim)
           if x.ndim else x, _dim_sample(min_side=1)),
    OpInfo("nanmedian_full", ag.nanmedian, _nanmedian_ref,
           _nanmedian_sample(full=True)),
    OpInfo("nanmedian_dim", lambda x, dim, keepdim: ag.nanmedian(x, dim, keepdim).values,
           _nanmedian_ref, _nanmedian_sample(full=False)),
    OpInfo("mode", lambda x, dim, keepdim: ag.mode(x, dim, keepdim).values, _mode_ref,
           _mode_sample(), differentiable=False,
           notes="the mode changes under any perturbation that splits equal values; its "
           "gradient (to the returned index) is PyTorch's convention, checked against torch"),
    OpInfo("quantile", ag.quantile, _quantile_ref, _quantile_sample()),
    OpInfo("nanquantile", ag.nanquantile,
           lambda x, q, **kw: _quantile_ref(x, q, nan=True, **kw), _quantile_sample(nan=True)),
    OpInfo("aminmax", lambda x, **kw: ag.stack(list(ag.aminmax(x, **kw))),
           lambda x, **kw: np.stack([_red_ref(np.min)(x, **kw), _red_ref(np.max)(x, **kw)]),
           reduction_sample(min_side=1, distinct=True, single_dim=True)),
    OpInfo("std_mean", lambda x, **kw: ag.stack(list(ag.std_mean(x, **kw))),
           lambda x, **kw: np.stack([_var_ref(x, std=True, **kw),
                                     _red_ref(np.mean)(x, **kw)]), _var_sample()),
    OpInfo("var_mean", lambda x, **kw: ag.stack(list(ag.var_mean(x, **kw))),
           lambda x, **kw: np.stack([_var_ref(x, **kw), _red_ref(np.mean)(x, **kw)]),
           _var_sample()),
    OpInfo("nansum", ag.nansum, _red_ref(np.nansum), _nan_reduction_sample()),
    OpInfo("nanmean", ag.nanmean, _red_ref(np.nanmean), _nan_reduction_sample(min_side=2)),
    OpInfo("cumprod", lambda x, dim: ag.cumprod(x, dim), _cumext_ref(np.multiply),
           _cumprod_sample()),
    OpInfo("cummax", lambda x, dim, keepdim: ag.cummax(x, dim).values,
           lambda x, dim, keepdim: _cumext_ref(np.maximum)(x, dim), _dim_sample()),
    OpInfo("cummin", lambda x, dim, keepdim: ag.cummin(x, dim).values,
           lambda x, dim, keepdim: _cumext_ref(np.minimum)(x, dim), _dim_sample()),
    OpInfo("logcumsumexp", lambda x, dim, keepdim: ag.logcumsumexp(x, dim),
           lambda x, dim, keepdim: _cumext_ref(np.logaddexp)(x, dim),
           _dim_sample(distinct=False)),
    OpInfo("diff", _diff_fn, _diff_ref, _diff_sample()),
    OpInfo("trapezoid", lambda y, x=None, **kw: ag.trapezoid(y, x, **kw), _trapz_ref,
           _trapezoid_sample()),
    OpInfo("cumulative_trapezoid", lambda y, x=None, **kw: ag.cumulative_trapezoid(y, x, **kw),
           _cumtrapz_ref, _trapezoid_sample()),
]
