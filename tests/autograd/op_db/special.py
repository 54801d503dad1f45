"""Registry entries: special functions and the rest of torch's pointwise math (erfc,
erfinv, logit, xlogy, sinc, logaddexp, hypot, nan_to_num, sgn, round(decimals=), the
inverse hyperbolics, deg2rad, rad2deg, copysign, fmax, fmin, heaviside, float_power, ldexp,
nextafter, frexp, the gamma family, torch.special's entr, xlog1py, ndtri, erfcx, log_ndtr, i0,
i0e, i1, i1e and zeta), clamp with tensor bounds and lerp with a tensor weight."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, binary, floats, unary

_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def _polygamma(n, x, terms=50):
    """polygamma by its series, summed to x + 50, then Euler-Maclaurin's tail (n = 0:
    digamma's asymptotic expansion): independent of the implementation's kernels."""
    x = np.asarray(x, np.float64)
    y = x + terms
    if n == 0:
        head = sum(1 / (x + k) for k in range(terms))
        return (np.log(y) - 1 / (2 * y) - 1 / (12 * y ** 2) + 1 / (120 * y ** 4)
                - 1 / (252 * y ** 6) - head)
    head = sum((x + k) ** -(n + 1.0) for k in range(terms))
    tail = (y ** -n / n + y ** -(n + 1.0) / 2 + (n + 1) * y ** -(n + 2.0) / 12
            - (n + 1) * (n + 2) * (n + 3) * y ** -(n + 4.0) / 720)
    return (-1) ** (n + 1) * math.factorial(n) * (head + tail)


def _mvlgamma(x, p):
    return sum(_lgamma(x - i / 2) for i in range(p)) + p * (p - 1) / 4 * math.log(math.pi)


def _erfinv(y):
    """erfinv by bisection on math.erf: slow, simple, independent of the implementation."""
    lo, hi = np.full(np.shape(y), -6.0), np.full(np.shape(y), 6.0)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    for _ in range(60):
        mid = (lo + hi) / 2
        below = erf(mid) < y
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


def _sinc(x):
    return np.sinc(x)


def _logit(x, eps=None):
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x / (1 - x))


@hs.composite
def _logit_eps_sample(draw):
    """Inputs on both sides of the clamp (0.1, 0.9), away from its edges."""
    shape = draw(st.shapes())
    x = draw(floats(shape, 0.02, 0.98, avoid=(0.1, 0.9), gap=0.03))
    return Sample((x,), {"eps": 0.1})


@hs.composite
def _with_zeros(draw):
    """Floats with some exact zeros (where sinc's derivative takes its special branch)."""
    shape = draw(st.shapes())
    x = draw(floats(shape))
    return Sample((np.where(draw(st.arrays(shape, np.bool_)), 0.0, x),))


@hs.composite
def _nan_to_num_sample(draw):
    shape = draw(st.shapes(min_dims=1, min_side=1))
    x = draw(floats(shape))
    k = draw(hs.integers(0, x.size - 1))
    x.ravel()[k] = draw(hs.sampled_from([np.nan, np.inf, -np.inf]))
    return Sample((x,), {"nan": 0.5, "posinf": 3.0, "neginf": -3.0})


def _nan_to_num_ref(x, nan, posinf, neginf):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@hs.composite
def _clamp_sample(draw, which=("both", "min", "max")):
    """x and tensor bounds, broadcasting, with x kept away from both bounds (kinks)."""
    sx, sl, sh = draw(st.broadcastable_shapes(3))
    x = draw(floats(sx))
    lo = draw(floats(sl, -2.0, 0.0))
    hi = draw(floats(sh, 0.2, 2.0))
    shape = np.broadcast_shapes(sx, sl, sh)
    xb = np.broadcast_to(x, shape)
    near = (np.abs(xb - np.broadcast_to(lo, shape)) < 0.05) | \
        (np.abs(xb - np.broadcast_to(hi, shape)) < 0.05)
    if near.any():
        x = np.where(near, xb + 0.11, xb)
    kind = draw(hs.sampled_from(which))
    args = {"both": (x, lo, hi), "min": (x, lo), "max": (x, hi)}[kind]
    return Sample(args, {"kind": kind})


def _clamp_fn(x, b1=None, b2=None, kind="both"):
    if kind == "both":
        return ag.clamp(x, b1, b2)
    return ag.clamp(x, min=b1) if kind == "min" else ag.clamp(x, max=b1)


def _clamp_ref(x, b1=None, b2=None, kind="both"):
    if kind == "both":
        return np.minimum(np.maximum(x, b1), b2)
    return np.maximum(x, b1) if kind == "min" else np.minimum(x, b1)


@hs.composite
def _lerp_sample(draw):
    s = draw(st.broadcastable_shapes(3))
    return Sample(tuple(draw(floats(x)) for x in s))


@hs.composite
def _round_sample(draw):
    shape = draw(st.shapes())
    # away from the rounding midpoints at 2 decimals (k + 0.5) / 100
    x = np.round(draw(floats(shape)), 2) + 0.002
    return Sample((x,), {"decimals": 2})


@hs.composite
def _nonzero_pair(draw):
    """Two broadcastable arrays, both away from 0 (copysign's kinks)."""
    sa, sb = draw(st.broadcastable_shapes(2))
    return Sample((draw(floats(sa, avoid=(0,))), draw(floats(sb, avoid=(0,)))))



def _hurwitz(s, q, terms=50):
    """zeta(s, q) = sum_k (q + k) ** -s: the first 50 terms, then Euler-Maclaurin's tail."""
    s, q = np.asarray(s, np.float64), np.asarray(q, np.float64)
    y = q + terms
    head = sum((q + k) ** -s for k in range(terms))
    return head + y ** (1 - s) / (s - 1) + y ** -s / 2 + s * y ** (-s - 1) / 12 \
        - s * (s + 1) * (s + 2) * y ** (-s - 3) / 720


def _ndtr(x):
    return _erfc(-np.asarray(x) / math.sqrt(2)) / 2


def _ndtri(p):
    """The normal quantile by bisection on erfc: slow, simple, independent."""
    lo, hi = np.full(np.shape(p), -10.0), np.full(np.shape(p), 10.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = _ndtr(mid) < p
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


def _bessel_i1(x, terms=60):
    """I1 by its power series sum_k (x/2)^(2k+1) / (k! (k+1)!)."""
    x = np.asarray(x, np.float64)
    term, total = x / 2, x / 2
    for k in range(1, terms):
        term = term * (x / 2) ** 2 / (k * (k + 1))
        total = total + term
    return total


@hs.composite
def _zeta_sample(draw, scalar_q=False):
    """Integer orders s in 2..5 (an int tensor: PyTorch has no derivative in s), q > 0;
    with `scalar_q`, float orders and a Python q (no gradient then: differentiable=False)."""
    shape = draw(st.shapes())
    q = draw(floats(shape, 0.3, 3.0))
    if scalar_q:
        return Sample((draw(floats(shape, 1.5, 5.0)), draw(hs.floats(0.3, 3.0))))
    return Sample((draw(st.arrays(shape, np.int64, low=2, high=5)), q))

OPS = [
    OpInfo("lgamma", ag.lgamma, _lgamma, unary(0.1, 8.0)),
    OpInfo("lgamma_negative", ag.lgamma, _lgamma, unary(-2.9, -2.1)),
    OpInfo("digamma", ag.digamma, lambda x: _polygamma(0, x), unary(0.1, 8.0)),
    OpInfo("digamma_negative", ag.digamma, lambda x: _polygamma(0, x), unary(-1.9, -1.1)),
    *[OpInfo(f"polygamma{n}", lambda x, n=n: ag.polygamma(n, x),
             lambda x, n=n: _polygamma(n, x), unary(0.5, 6.0), rtol=1e-2)
      for n in (1, 2, 3)],
    OpInfo("mvlgamma", lambda x: ag.mvlgamma(x, 3), lambda x: _mvlgamma(x, 3), unary(1.2, 5.0)),
    OpInfo("special_entr", ag.special.entr, lambda x: -x * np.log(x), unary(0.1, 3.0)),
    OpInfo("special_xlog1py", ag.special.xlog1py, lambda a, b: a * np.log1p(b),
           binary(low_b=-0.8, high_b=3.0)),
    OpInfo("special_xlog1py_scalar_input", lambda b: ag.special.xlog1py(1.5, b),
           lambda b: 1.5 * np.log1p(b), unary(-0.8, 3.0)),
    OpInfo("special_xlog1py_scalar_other", ag.special.xlog1py, lambda a, b: a * np.log1p(b),
           binary(scalar_b=True, low_b=-0.8, high_b=3.0)),
    OpInfo("special_ndtri", ag.special.ndtri, _ndtri, unary(0.02, 0.98)),
    OpInfo("special_erfcx", ag.special.erfcx,
           lambda x: np.exp(x * x) * np.vectorize(math.erfc, otypes=[float])(x),
           unary(-3.0, 3.0)),
    OpInfo("special_log_ndtr", ag.special.log_ndtr, lambda x: np.log(_ndtr(x)), unary(-6.0, 3.0)),
    OpInfo("i0", ag.i0, np.i0, unary(-12.0, 12.0)),
    OpInfo("special_i0e", ag.special.i0e, lambda x: np.i0(x) * np.exp(-np.abs(x)),
           unary(-12.0, 12.0, avoid=(0,))),
    OpInfo("special_i1", ag.special.i1, _bessel_i1, unary(-12.0, 12.0, avoid=(0,)),
           notes="near 0 the second derivative cancels (as PyTorch's formula)"),
    OpInfo("special_i1e", ag.special.i1e, lambda x: _bessel_i1(x) * np.exp(-np.abs(x)),
           unary(-12.0, 12.0, avoid=(0,))),
    OpInfo("special_zeta", ag.special.zeta, _hurwitz, _zeta_sample()),
    OpInfo("special_zeta_scalar_input", lambda q: ag.special.zeta(2.5, q),
           lambda q: _hurwitz(2.5, q), unary(0.3, 3.0)),
    OpInfo("special_zeta_scalar_q", ag.special.zeta, _hurwitz, _zeta_sample(scalar_q=True),
           differentiable=False, gradgrad=False,
           notes="PyTorch has no derivative of zeta in s: backward raises"),
    OpInfo("acosh", ag.acosh, np.arccosh, unary(1.2, 4.0)),
    OpInfo("asinh", ag.asinh, np.arcsinh, unary(-3.0, 3.0)),
    OpInfo("atanh", ag.atanh, np.arctanh, unary(-0.9, 0.9)),
    OpInfo("deg2rad", ag.deg2rad, np.deg2rad, unary(-200.0, 200.0)),
    OpInfo("rad2deg", ag.rad2deg, np.rad2deg, unary(), ref_atol=1e-4),
    OpInfo("copysign", ag.copysign, np.copysign, _nonzero_pair()),
    OpInfo("copysign_scalar", lambda a: ag.copysign(a, -1.5), lambda a: np.copysign(a, -1.5),
           unary(avoid=(0,))),
    OpInfo("fmax", ag.fmax, np.fmax, binary(unequal=True)),
    OpInfo("fmin", ag.fmin, np.fmin, binary(unequal=True)),
    OpInfo("heaviside", ag.heaviside, lambda a, b: np.where(a == 0, b, a > 0).astype(a.dtype),
           _nonzero_pair(), differentiable=False, gradgrad=False),
    OpInfo("float_power", ag.float_power, np.power, binary(0.3, 2.0, -2.0, 2.0),
           keeps_dtype=False),
    OpInfo("ldexp", ag.ldexp, lambda a, b: a * np.exp2(b), binary()),
    OpInfo("nextafter", ag.nextafter, np.nextafter, binary(unequal=True)),
    OpInfo("frexp", lambda x: ag.frexp(x).mantissa, lambda x: np.frexp(x)[0],
           unary(0.55, 1.9, avoid=(1.0,))),
    OpInfo("erfc", ag.erfc, _erfc, unary()),
    OpInfo("erfinv", ag.erfinv, _erfinv, unary(-0.95, 0.95)),
    OpInfo("logit", ag.logit, _logit, unary(0.05, 0.95)),
    OpInfo("logit_eps", ag.logit, _logit, _logit_eps_sample()),
    OpInfo("sinc", ag.sinc, _sinc, unary(avoid=(0,))),
    OpInfo("sinc_with_zeros", ag.sinc, _sinc, _with_zeros(), gradgrad=False,
           notes="second derivative at 0 is masked to 0, as in PyTorch"),
    OpInfo("nan_to_num", ag.nan_to_num, _nan_to_num_ref, _nan_to_num_sample(),
           differentiable=False),
    OpInfo("nan_to_num_finite", lambda x: ag.nan_to_num(x, 0.0), np.nan_to_num, unary()),
    OpInfo("sgn", ag.sgn, np.sign, unary(avoid=(0,))),
    OpInfo("round_decimals", lambda x, decimals: ag.round(x, decimals=decimals),
           lambda x, decimals: np.round(x, decimals), _round_sample()),
    OpInfo("xlogy", ag.xlogy, lambda a, b: a * np.log(b), binary(low_b=0.2, high_b=3.0)),
    OpInfo("xlogy_scalar_other", lambda a, b: ag.xlogy(a, b), lambda a, b: a * np.log(b),
           binary(scalar_b=True, low_b=0.2, high_b=3.0)),
    OpInfo("xlogy_scalar_input", lambda b: ag.xlogy(1.5, b), lambda b: 1.5 * np.log(b),
           unary(0.2, 3.0)),
    OpInfo("logaddexp", ag.logaddexp, np.logaddexp, binary()),
    OpInfo("logaddexp2", ag.logaddexp2, np.logaddexp2, binary()),
    OpInfo("hypot", ag.hypot, np.hypot, binary(0.2, 2.0, 0.2, 2.0)),
    OpInfo("remainder_scalar", lambda a, b: ag.remainder(a, b), np.remainder,
           binary(0.1, 0.9, 1.1, 2.0, scalar_b=True)),
    OpInfo("fmod_scalar", lambda a, b: a.fmod(b), np.fmod, binary(0.1, 0.9, 1.1, 2.0,
                                                                   scalar_b=True)),
    OpInfo("clamp_tensor", _clamp_fn, _clamp_ref, _clamp_sample()),
    OpInfo("lerp_tensor_weight", ag.lerp, lambda a, b, w: a + w * (b - a), _lerp_sample()),
]
