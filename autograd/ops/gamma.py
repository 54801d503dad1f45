"""The gamma family: lgamma, digamma, polygamma, mvlgamma, and the Hurwitz zeta
(torch.special.zeta); numpy has none of them.

Vectorised float64 kernels, each element's branch chosen by masks:
- lgamma: a power series of lgamma(2 + z) for |z| <= 0.5 (so accurate near its zeros at 1
  and 2), reached by the recurrence Gamma(x + 1) = x Gamma(x) for 0 < x < 13, Stirling's
  series above, and the reflection formula for x <= 0 (inf at the poles, as PyTorch).
- digamma, trigamma (polygamma(1, .)) and the Hurwitz zeta behind polygamma(n >= 2, .)
  follow PyTorch's CPU kernels (Cephes' algorithms: recurrence, then an asymptotic
  series), so they give PyTorch's numbers, its values at the poles included.
Results are computed in float64 and cast back to the input's dtype; integers promote to
the default float dtype. Derivatives: lgamma' = digamma, digamma' = polygamma(1, .),
polygamma(n, .)' = polygamma(n + 1, .); zeta(s, q) has PyTorch's derivative in q only,
-s zeta(s + 1, q) (in s, backward raises its NotImplementedError).
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .base import (
    binary_overloads,
    derivative,
    float_data,
    inplace,
    method,
    record,
    to_tensor,
    unary,
)

_EULER = 0.5772156649015329
_MACHEP = 1.11022302462515654042e-16
# Euler-Maclaurin's coefficients (2k)! / B_2k of Cephes' zeta
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_PSI_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
          -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
          8.33333333333333333333e-2)
_PSI_10 = 2.25175258906672110764
# Stirling: B_2k / (2k (2k - 1)), k = 1..8
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_ZETA_FAR = 1e4


def _quiet():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def _zeta(s, q: np.ndarray) -> np.ndarray:
    """Hurwitz zeta(s, q) = sum_k (q + k) ** -s, as PyTorch's (Cephes') zeta: the sum's
    first terms until q + k > 9, then Euler-Maclaurin's tail; `s` a number or an array."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    out = np.full(q.shape, np.nan)
    with _quiet():
        pole = (s == 1) | ((q <= 0) & (q == np.floor(q)))
        # (q < -_ZETA_FAR: NaN; PyTorch's loop would take |q| steps up to 9, near forever)
        bad = (s < 1) | ((q <= 0) & (s != np.floor(s))) | (q < -_ZETA_FAR)
        out[(s == 1) | ((q <= 0) & (q == np.floor(q)) & (s > 1))] = np.inf
        todo = ~(pole | bad)
        s_, a = s[todo], q[todo]
        total = a ** -s_
        b = np.zeros_like(a)
        live = np.ones(a.shape, bool)          # not yet converged
        i = 0
        while True:
            step = live & ((i < 9) | (a <= 9.0))
            if not step.any():
                break
            i += 1
            a = np.where(step, a + 1.0, a)
            b = np.where(step, a ** -s_, b)
            total = np.where(step, total + b, total)
            live &= ~(step & (-_MACHEP * total < b) & (b < _MACHEP * total))
        w = a
        total = np.where(live, total + b * w / (s_ - 1.0) - 0.5 * b, total)
        fac, k = np.ones_like(a), 0.0
        for coef in _ZETA_A:
            fac = fac * (s_ + k)
            b = b / w
            t = fac * b / coef
            total = np.where(live, total + t, total)
            live &= ~(np.abs(t / total) < _MACHEP)
            k += 1.0
            fac = fac * (s_ + k)
            b = b / w
            k += 1.0
        out[todo] = total
    return out


# lgamma(2 + z) = (1 - gamma) z + sum_{k >= 2} (-1)^k (zeta(k) - 1) / k z^k, |z| <= 0.5
_LG2 = (0.0, 1 - _EULER) + tuple((-1) ** k * float(_zeta(k, 2.0)) / k for k in range(2, 31))


def _lgamma_near_2(z: np.ndarray) -> np.ndarray:
    p = np.full(z.shape, _LG2[-1])
    for c in _LG2[-2::-1]:
        p = p * z + c
    return p


def _lgamma_positive(x: np.ndarray) -> np.ndarray:
    """lgamma of positive float64 values."""
    out = np.empty(x.shape)
    small, near1 = x < 0.5, (x >= 0.5) & (x < 1.5)
    mid, big = (x >= 1.5) & (x < 13.0), x >= 13.0
    xs = x[small]                                 # Gamma(x) = Gamma(x + 2) / (x (x + 1))
    out[small] = _lgamma_near_2(xs) - np.log(xs) - np.log1p(xs)
    z = x[near1] - 1.0                            # exact: Gamma(1 + z) = Gamma(2 + z) / (1 + z)
    out[near1] = _lgamma_near_2(z) - np.log1p(z)
    xm = x[mid]                                   # down to [1.5, 2.5): Gamma(x) = prod * Gamma
    n = np.floor(xm - 1.5)
    prod = np.ones_like(xm)
    for j in range(1, 12):
        prod = np.where(j <= n, prod * (xm - j), prod)
    out[mid] = _lgamma_near_2(xm - (n + 2.0)) + np.log(prod)
    xb = x[big]                                   # Stirling's series
    inv, inv2 = 1.0 / xb, 1.0 / (xb * xb)
    series = np.full(xb.shape, _STIRLING[-1])
    for c in _STIRLING[-2::-1]:
        series = series * inv2 + c
    out[big] = (xb - 0.5) * np.log(xb) - xb + _HALF_LOG_2PI + series * inv
    return out


def _lgamma(x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    out = np.full(x64.shape, np.inf)       # poles (0, negative integers) and +-inf
    with _quiet():
        pos = (x64 > 0) & (x64 < np.inf)
        out[pos] = _lgamma_positive(x64[pos])
        neg = (x64 <= 0) & (x64 > -np.inf)
        xn = x64[neg]
        r = xn - np.round(xn)              # exact; sin(pi x) = +-sin(pi r)
        refl = np.log(np.pi / np.abs(np.sin(np.pi * r))) - _lgamma_positive(1.0 - xn)
        out[neg] = np.where(r == 0, np.inf, refl)
        out[np.isnan(x64)] = np.nan
        return out.astype(x.dtype)


def _digamma64(x: np.ndarray) -> np.ndarray:
    """PyTorch's calc_digamma on float64 values."""
    out = np.empty(x.shape)
    with _quiet():
        reflect = (x < 0) & (x != np.trunc(x))
        shift = np.zeros(x.shape)              # pi / tan(pi r), r = x's fractional part
        shift[reflect] = np.pi / np.tan(np.pi * np.fmod(x[reflect], 1.0))
        y = np.where(reflect, 1.0 - x, np.where(x > 0, x, np.nan))   # (poles: set below)
        result = np.zeros(x.shape)
        low = y < 10
        while low.any():
            result = np.where(low, result - 1.0 / y, result)
            y = np.where(low, y + 1.0, y)
            low = y < 10
        z = 1.0 / (y * y)
        poly = np.zeros(x.shape)
        for c in _PSI_A:
            poly = poly * z + c
        tail = np.where(y < 1.0e17, z * poly, 0.0)
        out = np.where(y == 10, result + _PSI_10, result + np.log(y) - 0.5 / y - tail)
        out = np.asarray(out - shift)
        out[x == 0] = np.copysign(np.inf, -x[x == 0])
        out[(x < 0) & (x == np.trunc(x))] = np.nan
    return out


def _trigamma(x: np.ndarray) -> np.ndarray:
    """PyTorch's trigamma (reflection below 0.5, six steps of the recurrence, then the
    asymptotic series), in float64 for float64 and in float32 below, as its two kernels
    (so near the poles of negative x, float32 gives PyTorch's float32 numbers)."""
    dt = np.float64 if x.dtype == np.float64 else np.float32
    x = x.astype(dt)
    pi, one = np.asarray(np.pi, dt), np.asarray(1.0, dt)
    k6, k30, k42 = (np.asarray(1 / d, dt) for d in (6, 30, 42))
    with _quiet():
        reflect = x < 0.5
        sin_pi_x = np.sin(pi * x)
        result = np.where(reflect, -(pi * pi) / (sin_pi_x * sin_pi_x), np.asarray(0, dt))
        y = np.where(reflect, one - x, x)
        for _ in range(6):
            result = result + one / (y * y)
            y = y + one
        ixx = one / (y * y)
        result = result + (one + one / (2 * y) + ixx * (k6 - ixx * (k30 - ixx * k42))) / y
        return np.where(reflect, -result, result)


def _polygamma_np(x: np.ndarray, n: int) -> np.ndarray:
    x64 = x.astype(np.float64)
    if n == 0:
        out = _digamma64(x64)
    elif n == 1:
        out = _trigamma(x)
    else:
        with _quiet():
            out = (1.0 if n % 2 else -1.0) * math.exp(math.lgamma(n + 1.0)) * _zeta(n + 1.0, x64)
    with _quiet():
        return out.astype(x.dtype)


# ---- the ops -------------------------------------------------------------------------------
lgamma = unary("lgamma", _lgamma, lambda g, x: g * digamma(x))
digamma = unary("digamma", lambda x: _polygamma_np(x, 0), lambda g, x: g * _polygamma(x, 1))
_polygamma = unary("polygamma", _polygamma_np, lambda g, x, n: g * _polygamma(x, n + 1),
                   register=False)


def polygamma(n: int, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
    """The n-th derivative of digamma (polygamma(0, x) is digamma(x))."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return _polygamma(input, int(n))


@method("polygamma")
def _polygamma_method(self, n: int) -> Tensor:
    return polygamma(n, self)


Tensor.polygamma_ = inplace(_polygamma_method)

_LOG_PI = math.log(math.pi)
Mvlgamma = derivative("MvlgammaBackward0",
                      lambda g, x, p: g * sum(digamma(x - i / 2) for i in range(p)))


@method("mvlgamma")
def mvlgamma(input: Tensor, p: int) -> Tensor:  # noqa: A002
    """The multivariate log-gamma of dimension p: sum_i lgamma(x - i / 2) + p (p - 1) / 4
    log(pi) (defined for x > (p - 1) / 2)."""
    x = to_tensor(input, "input")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    d = float_data(x)     # (PyTorch 2.13 no longer checks x > (p - 1) / 2: inf at poles)
    out = sum(_lgamma(d - np.asarray(i / 2, d.dtype)) for i in range(p))
    out = np.asarray(out + np.asarray(p * (p - 1) / 4 * _LOG_PI, d.dtype), d.dtype)
    return record(Mvlgamma, out, (x,), x=x, p=p)


Tensor.mvlgamma_ = inplace(mvlgamma)


def _zeta_fwd(s, q) -> np.ndarray:
    with _quiet():
        return _zeta(s, q).astype(np.result_type(s, q))   # (a Python number takes the other's)


def _zeta_rule_s(g):
    raise NotImplementedError("the derivative for 'zeta' is not implemented.")


zeta = binary_overloads("zeta", _zeta_fwd, _zeta_rule_s, lambda g, a, b: g * -a * zeta(a + 1.0, b),
                        node="SpecialZetaBackward", true_divide=True)
