"""Pointwise ops: forward in numpy, derivative rule in Tensor ops, one line each.

Rules: `g` is the gradient of the output; `x` (or `a`, `b`) the inputs; `out` the result.
Kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, clamp passes the gradient at its bounds,
maximum/minimum split ties evenly.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import dtypes
from ..tensor import Tensor, _make
from .base import (
    _cast,
    binary,
    derivative,
    inplace,
    method,
    operands,
    record,
    shape_mismatch,
    to_tensor,
    unary,
)

LN2, LN10 = math.log(2.0), math.log(10.0)


def _zero(g):
    return _make(np.zeros(g._data.shape, g._data.dtype))


def _quiet(fn, *arrays):
    """fn(*arrays) without numpy's warnings: outside the domain the value is NaN (or inf at a
    pole), silently, as in PyTorch."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return fn(*arrays)


def _sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5  # stable for any x, no overflow in exp


_ZEROS: dict = {}   # dtype -> read-only zeros (the largest asked for so far), for _relu
_ZEROS_MAX = 1 << 20


def _sign(x):
    """numpy's sign, with sign(nan) = 0 as in PyTorch."""
    out = np.sign(x)
    if out.dtype.kind == "f" and np.isnan(out).any():
        out = np.where(np.isnan(out), 0, out).astype(out.dtype)
    return out


def _relu(x):
    if x.dtype.kind != "f":
        return np.maximum(x, 0)
    n = x.size
    if n < 1024 or n > _ZEROS_MAX or not x.flags.c_contiguous:
        return np.maximum(x, 0, dtype=x.dtype)
    # numpy's maximum against a scalar runs a slow loop: 25 us on a 128x512 float32 array,
    # 154 us on 64x8x28x28; against an array of zeros of the same layout it is vectorized
    # (9 and 61 us). The zeros are kept (one array per dtype, up to 4 MiB in float32).
    z = _ZEROS.get(x.dtype)
    if z is None or z.size < n:
        z = _ZEROS[x.dtype] = np.zeros(max(n, 1 << 16), x.dtype)
        z.flags.writeable = False
    return np.maximum(x, z[:n].reshape(x.shape))


# ---- unary: name, numpy forward, derivative ----------------------------------------------
# (rules: `g` is the gradient of the result, `x` the input, `out` the result)
neg = unary("neg", np.negative, "-g", float_only=False)
exp = unary("exp", np.exp, "g * out")
exp2 = unary("exp2", np.exp2, "g * out * LN2")
expm1 = unary("expm1", np.expm1, "g * (out + 1)")
log = unary("log", np.log, "g / x")
log2 = unary("log2", np.log2, "g / (x * LN2)")
log10 = unary("log10", np.log10, "g / (x * LN10)")
log1p = unary("log1p", np.log1p, "g / (x + 1)")
sqrt = unary("sqrt", np.sqrt, "g / (out * 2)")
rsqrt = unary("rsqrt", lambda x: 1 / np.sqrt(x), "g * out * out * out * -0.5")
sin = unary("sin", np.sin, "g * x.cos()")
cos = unary("cos", np.cos, "-g * x.sin()")
tan = unary("tan", np.tan, "g * (out * out + 1)")
asin = unary("asin", np.arcsin, "g * (1 - x * x).rsqrt()")
acos = unary("acos", np.arccos, "-g * (1 - x * x).rsqrt()")
atan = unary("atan", np.arctan, "g / (x * x + 1)")
acosh = unary("acosh", lambda x: _quiet(np.arccosh, x), "g * (x * x - 1).rsqrt()")
asinh = unary("asinh", np.arcsinh, "g * (x * x + 1).rsqrt()")
atanh = unary("atanh", lambda x: _quiet(np.arctanh, x), "g / (1 - x * x)")
deg2rad = unary("deg2rad", lambda x: x * np.asarray(math.pi / 180, x.dtype),
                "g * 0.017453292519943295", node="Deg2RadBackward0")    # (pi / 180)
rad2deg = unary("rad2deg", lambda x: x * np.asarray(180 / math.pi, x.dtype),
                "g * 57.29577951308232", node="Rad2DegBackward0")       # (180 / pi)
sinh = unary("sinh", np.sinh, "g * x.cosh()")
cosh = unary("cosh", np.cosh, "g * x.sinh()")
tanh = unary("tanh", np.tanh, "g * (1 - out * out)")
sigmoid = unary("sigmoid", _sigmoid, "g * out * (1 - out)")
relu = unary("relu", _relu, "g * (out != 0)", float_only=False)  # out >= 0; NaN passes
abs = unary("abs", np.abs, "g * x.sign()", float_only=False)  # noqa: A001
reciprocal = unary("reciprocal", np.reciprocal, "-g * out * out")
square = unary("square", np.square, "g * x * 2", float_only=False)
sign = unary("sign", _sign, _zero, float_only=False)
floor = unary("floor", np.floor, _zero, float_only=False)
ceil = unary("ceil", np.ceil, _zero, float_only=False)
trunc = unary("trunc", np.trunc, _zero, float_only=False)
frac = unary("frac", lambda x: x - np.trunc(x), "g")
_round = unary("round", np.round, _zero, float_only=False, register=False)
logical_not = unary("logical_not", np.logical_not, None, float_only=False)
isnan = unary("isnan", np.isnan, None, float_only=False, register=False)
isinf = unary("isinf", np.isinf, None, float_only=False, register=False)
isfinite = unary("isfinite", np.isfinite, None, float_only=False, register=False)
Tensor.isnan, Tensor.isinf, Tensor.isfinite = isnan, isinf, isfinite   # (no in-place forms)
Tensor.negative, Tensor.negative_ = Tensor.neg, Tensor.neg_
Tensor.arcsin, Tensor.arccos, Tensor.arctan = asin, acos, atan
Tensor.arcsin_, Tensor.arccos_, Tensor.arctan_ = Tensor.asin_, Tensor.acos_, Tensor.atan_
Tensor.arccosh, Tensor.arcsinh, Tensor.arctanh = acosh, asinh, atanh
Tensor.arccosh_, Tensor.arcsinh_, Tensor.arctanh_ = Tensor.acosh_, Tensor.asinh_, Tensor.atanh_
Tensor.absolute, Tensor.absolute_ = abs, Tensor.abs_
fix = Tensor.fix = trunc
Tensor.fix_ = Tensor.trunc_


def _erf(x: np.ndarray) -> np.ndarray:
    """erf (numpy has none): float64 data per element by math.erf; float32 and float16 by
    a vectorised approximation to 6e-8 relative (`_erf_approx`), in float64 blocks small
    enough to stay in cache (13x math.erf's speed; within one ulp of the float32 value)."""
    if x.dtype == np.float64 or x.dtype.kind != "f":
        return np.asarray(_erf_ufunc(x), dtype=np.float64).astype(x.dtype)
    flat = x.reshape(-1)
    out = np.empty(flat.shape, x.dtype)
    for i in range(0, flat.size, 8192):
        out[i:i + 8192] = _erf_approx(flat[i:i + 8192].astype(np.float64))
    return out.reshape(x.shape)


_erf_ufunc = np.frompyfunc(math.erf, 1, 1)
# erfc(a) = t exp(-a^2 + P(t)), t = 1 / (1 + a / 2), a >= 0: relative error < 1.2e-7
# (Numerical Recipes' erfcc, a Chebyshev fit); for a < 0.5, where 1 - erfc would lose
# digits, erf's Taylor series to the x^15 term (relative error < 1e-9)
_ERFC_COEF = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
              -1.13520398, 1.48851587, -0.82215223, 0.17087277)
_ERF_TAYLOR = tuple((-1) ** n * 2 / (math.sqrt(math.pi) * math.factorial(n) * (2 * n + 1))
                    for n in range(8))


def _horner(z: np.ndarray, coefs: tuple) -> np.ndarray:
    """sum(coefs[i] * z**i), in place in one new array."""
    p = np.multiply(z, coefs[-1])
    p += coefs[-2]
    for c in coefs[-3::-1]:
        p *= z
        p += c
    return p


def _erf_approx(x: np.ndarray) -> np.ndarray:
    """erf of a float64 array to 6e-8 relative (NaN, +-inf and -0.0 as erf gives them)."""
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * a)
    z = a * a
    p = _horner(t, _ERFC_COEF)
    p -= z
    with np.errstate(over="ignore", invalid="ignore"):
        np.exp(p, out=p)
    p *= t
    np.subtract(1.0, p, out=p)                 # erf(a) = 1 - erfc(a)
    np.copyto(p, _horner(z, _ERF_TAYLOR) * a, where=a < 0.5)
    return np.copysign(p, x, out=p)
erf = unary("erf", _erf, "g * (x * x * -1).exp() * TWO_OVER_SQRT_PI")


# ---- ops with scalar parameters ------------------------------------------------------
def _round_decimals(x, decimals):
    """PyTorch's rounding to `decimals` places: scale, round half to even, unscale, all in
    x's dtype."""
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"round_cpu" not implemented for '
                                  f"'{dtypes.from_np(x.dtype)._legacy}'")
    scale = np.asarray(10.0 ** builtins.abs(decimals), x.dtype)
    if decimals > 0:
        return np.rint(x * scale) / scale
    return np.rint(x / scale) * scale


_round_dec = unary("round", _round_decimals, lambda g, decimals: _zero(g),
                   node="RoundBackward1", float_only=False, register=False)


@method("round")
def round(x, *, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even, to `decimals` decimal places (RoundBackward0/1: zero gradient)."""
    return _round(x) if decimals == 0 else _round_dec(x, decimals)


Tensor.round_ = inplace(round)


def _pow_scalar_rule(g, x, p):
    if p == 0:
        return g * 0
    return g * p * x ** (p - 1)


_pow_scalar = unary("pow", lambda x, p: np.power(x, p), _pow_scalar_rule, node="PowBackward0",
                    float_only=False, register=False)


def _clamp_rule(g, x, lo, hi):
    mask = None
    if lo is not None:
        mask = x >= lo
    if hi is not None:
        mask = (x <= hi) if mask is None else mask & (x <= hi)
    return g * mask


def _clamp_fwd(x, lo, hi):
    out = x
    if lo is not None:
        out = np.maximum(out, lo, dtype=x.dtype) if x.dtype.kind == "f" else np.maximum(out, lo)
    if hi is not None:
        out = np.minimum(out, hi, dtype=x.dtype) if x.dtype.kind == "f" else np.minimum(out, hi)
    return out if out is not x else x.copy()


_clamp = unary("clamp", _clamp_fwd, _clamp_rule, node="ClampBackward1", float_only=False,
               register=False)


@method("clamp", "clip")
def clamp(x, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Limit values to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensors(x, min, max)
    return _clamp(_float_for_bounds(x, min, max), min, max)


def _float_for_bounds(x: Tensor, *bounds) -> Tensor:
    """x, cast to the default float dtype if it is integral and a bound is a float."""
    if x._data.dtype.kind != "f" and builtins.any(isinstance(b, float) for b in bounds):
        return _make(x._data.astype(dtypes._DEFAULT[0].np))
    return x


def _clamp_tensors_rule(g, x, lo, hi):
    """PyTorch's ClampBackward0: x gets the gradient where lo <= x <= hi (a tie goes to x);
    a bound gets it where it is the result; NaN anywhere gives 0."""
    keep = x >= lo if hi is None else x <= hi if lo is None else (x >= lo) & (x <= hi)
    grads = [where(keep, g, 0.0)]
    if lo is not None:
        grads.append(where(x < lo if hi is None else (x < lo) & (lo < hi), g, 0.0))
    if hi is not None:
        grads.append(where(x > hi if lo is None else (x > hi) | (hi < lo), g, 0.0))
    return tuple(grads)


_ClampTensors = derivative("ClampBackward0", _clamp_tensors_rule)


def _clamp_tensors(x, lo, hi) -> Tensor:
    """clamp with tensor bounds (ClampBackward0)."""
    if not all(b is None or isinstance(b, Tensor) for b in (lo, hi)):
        kinds = ", ".join(type(v).__name__ for v in (x, lo, hi))
        raise TypeError(f"clamp() received an invalid combination of arguments - got ({kinds}), "
                        "but expected one of:\n"
                        " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = "
                        "None)\n"
                        " * (Tensor input, Number min = None, Number max = None, *, Tensor out = "
                        "None)\n")
    present = [b for b in (lo, hi) if b is not None]
    rt = dtypes.result_type(x, *present)
    x, lo, hi = (None if t is None else _cast(t, rt) for t in (x, lo, hi))
    out = x._data
    try:
        if lo is not None:
            out = np.maximum(out, lo._data)
        if hi is not None:
            out = np.minimum(out, hi._data)
    except ValueError:
        raise shape_mismatch("clamp", x._data, (lo if lo is not None else hi)._data) from None
    inputs = (x, *(b for b in (lo, hi) if b is not None))
    return record(_ClampTensors, out, inputs, x=x, lo=lo, hi=hi)


Tensor.clamp_ = Tensor.clip_ = inplace(clamp)


_clamp_min = unary("clamp_min", lambda x, lo: _clamp_fwd(x, lo, None), "g * (x >= lo)",
                   args=("lo",), node="ClampMinBackward0", float_only=False, register=False)
_clamp_max = unary("clamp_max", lambda x, hi: _clamp_fwd(x, None, hi), "g * (x <= hi)",
                   args=("hi",), node="ClampMaxBackward0", float_only=False, register=False)


@method("clamp_min")
def clamp_min(x, min) -> Tensor:  # noqa: A002
    """max(x, min) elementwise (ClampMinBackward0: the gradient passes where x >= min)."""
    if isinstance(min, Tensor):
        return clamp(x, min=min)
    return _clamp_min(_float_for_bounds(x, min), min)


@method("clamp_max")
def clamp_max(x, max) -> Tensor:  # noqa: A002
    """min(x, max) elementwise (ClampMaxBackward0: the gradient passes where x <= max)."""
    if isinstance(max, Tensor):
        return clamp(x, max=max)
    return _clamp_max(_float_for_bounds(x, max), max)


Tensor.clamp_min_, Tensor.clamp_max_ = inplace(clamp_min), inplace(clamp_max)


# ---- binary ------------------------------------------------------------------------------
def _pow_exp_rule(g, a, out):
    # d/db a**b = a**b * log(a); PyTorch's convention: 0 where a == 0 (and b >= 0)
    safe = where(a == 0, 1.0, a) if bool((a._data == 0).any()) else a
    return g * out * safe.log()


# (rules: `g` is the gradient of the result, `a` and `b` the operands, `out` the result;
# maximum/minimum: a tie splits the gradient, and a NaN on either side gives both all of
# it, as in PyTorch)
#              name         forward       d/da                 d/db
add = binary("add", np.add, "g", "g")
sub = binary("sub", np.subtract, "g", "-g")
mul = binary("mul", np.multiply, "g * b", "g * a")
_true_div = binary("div", np.true_divide, "g / b", "-g * (a / b) / b",   # (not b * b: float16)
                   true_divide=True, register=False)
_ROUNDED = derivative("DivBackward2", lambda g, metas: tuple(
    _make(np.zeros(shape, dtype)) for shape, dtype in metas))


def _div_rounded(a: np.ndarray, b: np.ndarray, mode: str) -> np.ndarray:
    """a / b rounded down ("floor", as Python's //) or toward zero ("trunc")."""
    if np.result_type(a, b).kind != "f":
        if not np.all(b):
            raise RuntimeError("ZeroDivisionError")
        q = np.floor_divide(a, b)
        if mode == "trunc":   # (exact for any int64, unlike trunc(a / b) in floats)
            q = q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))
        return q
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor_divide(a, b) if mode == "floor" else np.trunc(np.true_divide(a, b))


def div(a, b, *, rounding_mode: str | None = None) -> Tensor:
    """a / b, true division; `rounding_mode` "floor" or "trunc" rounds the quotient (in the
    operands' promoted dtype, integral for integers; a zero gradient, as PyTorch's)."""
    if rounding_mode is None:
        return _true_div(a, b)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    ops = operands(a, b)
    if ops is NotImplemented:
        raise TypeError(f"div(): unsupported operand types {type(a).__name__} and "
                        f"{type(b).__name__}")
    tensors = tuple(t for t in ops if isinstance(t, Tensor))
    ad, bd = (t._data if isinstance(t, Tensor) else t for t in ops)
    try:
        np.broadcast_shapes(np.shape(ad), np.shape(bd))
    except ValueError:
        raise shape_mismatch("div", ad, bd) from None
    out = np.asarray(_div_rounded(ad, bd, rounding_mode)).astype(tensors[0]._data.dtype
                                                                 if len(tensors) == 1 else
                                                                 np.result_type(ad, bd))
    return record(_ROUNDED, out, tensors, metas=[(t._data.shape, t._data.dtype)
                                                  for t in tensors])


Tensor.div = Tensor.divide = Tensor.true_divide = div
Tensor.div_ = inplace(div)


def _pow_base_rule(g, a, b):
    # d/da a**b = b * a**(b - 1), and 0 where b == 0 as in PyTorch: masked only where a == 0
    # too (0 * 0 ** -1 would be NaN), so that the rule stays differentiable in b elsewhere
    zero = (a == 0) & (b == 0)
    if bool(zero._data.any()):
        return where(zero, 0.0, g * b * a ** (b - 1))
    return g * b * a ** (b - 1)


_pow_tt = binary("pow", np.power, _pow_base_rule, _pow_exp_rule, node="PowBackward1",
                 register=False)
maximum = binary("maximum", np.maximum, "g - g * (a < b) - g * (a == b) * 0.5",
                 "g - g * (b < a) - g * (a == b) * 0.5", node="MaximumBackward0")
minimum = binary("minimum", np.minimum, "g - g * (a > b) - g * (a == b) * 0.5",
                 "g - g * (b > a) - g * (a == b) * 0.5", node="MinimumBackward0")
atan2 = binary("atan2", np.arctan2, "g * b / (a * a + b * b)", "-g * a / (a * a + b * b)")
# remainder and fmod: node ...Backward1 for two tensors, ...Backward0 with a number (PyTorch's)
_remainder = [binary("remainder", np.remainder, "g", "-g * a.floor_divide(b)",
                     node=f"RemainderBackward{k}", register=False) for k in (0, 1)]
_fmod = [binary("fmod", np.fmod, "g", "-g * (a / b).trunc()", node=f"FmodBackward{k}",
                register=False) for k in (0, 1)]


@method("remainder")
def remainder(a, b) -> Tensor:
    """a - floor(a / b) * b: Python's %, the sign of b."""
    return _remainder[isinstance(a, Tensor) and isinstance(b, Tensor)](a, b)


@method("fmod")
def fmod(a, b) -> Tensor:
    """a - trunc(a / b) * b: C's fmod, the sign of a."""
    return _fmod[isinstance(a, Tensor) and isinstance(b, Tensor)](a, b)


Tensor.remainder_, Tensor.fmod_ = inplace(remainder), inplace(fmod)
floor_divide = binary("floor_divide", np.floor_divide, None, None)
eq = binary("eq", np.equal, None, None)
ne = binary("ne", np.not_equal, None, None)
lt = binary("lt", np.less, None, None)
le = binary("le", np.less_equal, None, None)
gt = binary("gt", np.greater, None, None)
ge = binary("ge", np.greater_equal, None, None)
logical_and = binary("logical_and", np.logical_and, None, None)
logical_or = binary("logical_or", np.logical_or, None, None)
logical_xor = binary("logical_xor", np.logical_xor, None, None)
bitwise_and = binary("bitwise_and", np.bitwise_and, None, None)
bitwise_or = binary("bitwise_or", np.bitwise_or, None, None)
bitwise_xor = binary("bitwise_xor", np.bitwise_xor, None, None)
Tensor.multiply, Tensor.subtract = mul, sub
Tensor.greater, Tensor.less, Tensor.greater_equal, Tensor.less_equal = gt, lt, ge, le
Tensor.not_equal = ne
Tensor.arctan2, Tensor.arctan2_ = atan2, Tensor.atan2_


def _compare_inplace(op):
    """`x.gt_(other)` & co: x becomes 1 where the comparison holds, else 0. Recorded as
    PyTorch does, by a node (GtBackward0 with a number, GtBackward1 with a tensor) that
    gives every input a zero gradient: x's old value no longer matters."""
    name = op.__name__.capitalize()
    nodes = (derivative(f"{name}Backward0", lambda g: _zero(g)),
             derivative(f"{name}Backward1", lambda g, other: (_zero(g), _make(np.zeros(*other)))))

    def compare(x, other) -> Tensor:
        out = op(x, other)._data.astype(x._data.dtype)
        if isinstance(other, Tensor):
            return record(nodes[1], out, (x, other), other=(other._data.shape, other._data.dtype))
        return record(nodes[0], out, (x,))

    compare.__name__ = op.__name__
    return inplace(compare)


for _op in (eq, ne, lt, le, gt, ge):
    setattr(Tensor, _op.__name__ + "_", _compare_inplace(_op))
Tensor.greater_, Tensor.less_ = Tensor.gt_, Tensor.lt_
Tensor.greater_equal_, Tensor.less_equal_, Tensor.not_equal_ = Tensor.ge_, Tensor.le_, Tensor.ne_


@method("pow")
def pow(x, exponent) -> Tensor:  # noqa: A001
    """x ** exponent for tensor or scalar exponents (PowBackward0/1)."""
    if isinstance(x, Tensor) and not isinstance(exponent, Tensor):
        e = exponent.item() if isinstance(exponent, np.generic) else exponent
        if x._data.dtype.kind != "f" and isinstance(e, float):
            x = _make(x._data.astype(dtypes._DEFAULT[0].np))
        if x._data.dtype.kind in "iu" and isinstance(e, int) and e < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return _pow_scalar(x, e)
    if not isinstance(x, Tensor):
        return _rpow(exponent, x)
    return _pow_tt(x, exponent)


Tensor.pow_ = inplace(pow)


def _rpow(x: Tensor, base) -> Tensor:
    """base ** x for a scalar base (PowBackward2)."""
    ops = operands(base, x)
    if ops is NotImplemented:
        return NotImplemented
    base, x = ops
    return _rpow_op(x, base)


def _rpow_rule(g, out, base):
    return g * out * (math.log(base) if base > 0 else 0.0 if base == 0 else math.nan)


_rpow_op = unary("rpow", lambda x, base: np.power(base, x), _rpow_rule, node="PowBackward2",
                 float_only=False, register=False)


def add_alpha(x, other, *, alpha=1):
    return add(x, other if alpha == 1 else other * alpha)


def sub_alpha(x, other, *, alpha=1):
    return sub(x, other if alpha == 1 else other * alpha)


@method("add")
def _add_method(self, other, *, alpha=1) -> Tensor:
    return add(self, other) if alpha == 1 else add(self, other * alpha)


@method("sub")
def _sub_method(self, other, *, alpha=1) -> Tensor:
    return sub(self, other) if alpha == 1 else sub(self, other * alpha)


Tensor.add_ = inplace(_add_method)
Tensor.sub_ = Tensor.subtract_ = inplace(_sub_method)
Tensor.multiply_ = Tensor.mul_
Tensor.divide_ = Tensor.true_divide_ = Tensor.div_


@method("rsub")
def rsub(x, other, *, alpha=1) -> Tensor:
    """other - x (RsubBackward1 in PyTorch)."""
    return sub(other, x * alpha if alpha != 1 else x)


def _lerp_np(start, end, weight):
    """PyTorch's formula, exact at both ends: from start below weight 0.5, from end above."""
    w = weight if isinstance(weight, np.ndarray) else np.asarray(weight, np.asarray(start).dtype)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(w) < 0.5, start + w * (end - start), end - (end - start) * (1 - w))


Lerp0 = derivative("LerpBackward0", lambda g, weight: (g * (1 - weight), g * weight))
Lerp1 = derivative("LerpBackward1", lambda g, start, end, weight: (
    g * (1 - weight), g * weight, g * (end - start)))


@method("lerp")
def lerp(start, end, weight) -> Tensor:
    """start + weight * (end - start), with a number or a tensor weight (all broadcast)."""
    end = to_tensor(end, "end")
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != start._data.dtype:
            raise RuntimeError(f"expected dtype {start.dtype._legacy.lower()} for `{name}` but "
                               f"got dtype {t.dtype._legacy.lower()}")
    if isinstance(weight, Tensor):
        try:
            out = _lerp_np(start._data, end._data, weight._data).astype(start._data.dtype)
        except ValueError:
            raise shape_mismatch("lerp", np.broadcast_to(0, np.broadcast_shapes(
                start._data.shape, end._data.shape)), weight._data) from None
        return record(Lerp1, out, (start, end, weight), start=start, end=end, weight=weight)
    try:
        out = _lerp_np(start._data, end._data, weight).astype(start._data.dtype)
    except ValueError:
        raise shape_mismatch("lerp", start._data, end._data) from None
    return record(Lerp0, out, (start, end), weight=float(weight))


Tensor.lerp_ = inplace(lerp)


@method("addcmul")
def addcmul(x, t1, t2, *, value=1) -> Tensor:
    return x + t1 * t2 * value


@method("addcdiv")
def addcdiv(x, t1, t2, *, value=1) -> Tensor:
    return x + t1 / t2 * value


Tensor.addcmul_, Tensor.addcdiv_ = inplace(addcmul), inplace(addcdiv)


# ---- where, masked_fill, fills and copies ------------------------------------------------------
def _where_backward(g, cond, which):
    """The gradient goes to the branch each element came from (for the branches that are
    tensors, `which`); the values are never multiplied in, so a NaN in the branch not
    taken does not leak (as PyTorch). (On Tensors, or on arrays when no graph is
    recorded.)"""
    if isinstance(g, Tensor):
        zero = g * 0
        return ((where(cond, g, zero),) if which[0] else ()) + \
            ((where(cond, zero, g),) if which[1] else ())
    c, zero = cond, np.zeros((), g.dtype)   # (cond is the saved array here)
    return ((np.where(c, g, zero),) if which[0] else ()) + \
        ((_zero_where(g, c),) if which[1] else ())


def _zero_where(g: np.ndarray, c: np.ndarray) -> np.ndarray:
    """A copy of g with zeros where c (broadcast) is True: masked_fill's backward, in
    about half the time of np.where."""
    out = np.array(g, copy=True)
    np.copyto(out, 0, where=c)
    return out


def _copy_backward(g, which, src_dtype):
    """x.copy_(src): the old x gets zero, src the gradient (cast to its dtype)."""
    return ((_zero(g),) if which[0] else ()) + \
        ((g.to(src_dtype) if g.dtype is not src_dtype else g,) if which[1] else ())


Where = derivative("WhereBackward0", _where_backward, arith=True)
MaskedFill = derivative("MaskedFillBackward0", _where_backward, arith=True)
Fill = derivative("FillBackward0", lambda g: _zero(g))
Copy = derivative("CopyBackwards", _copy_backward)


def where(condition, input=None, other=None, *, _node=Where) -> Tensor:  # noqa: A002
    """Elements of `input` where `condition`, else of `other` (scalars allowed)."""
    if input is None and other is None:
        from .selection import nonzero
        return nonzero(condition, as_tuple=True)
    cond = to_tensor(condition, "condition")
    if cond._data.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {cond.dtype}")
    ops = operands(input, other)
    if ops is NotImplemented:
        raise TypeError(f"where(): unsupported operand types {type(input).__name__} and "
                        f"{type(other).__name__}")
    a, b = ops
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = _make(np.asarray(a, dtype=dtypes.result_type(a, b).np))
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    ad, bd = (a._data if ta else a), (b._data if tb else b)
    try:
        out = np.where(cond._data, ad, bd)
    except ValueError:
        raise RuntimeError(f"where: shapes {list(cond.shape)}, {list(np.shape(ad))} and "
                           f"{list(np.shape(bd))} cannot be broadcast together") from None
    if ta and not tb or tb and not ta:  # a scalar branch must not change the tensor's dtype
        out = out.astype((a if ta else b)._data.dtype, copy=False)
    tensors = tuple(t for t in (a, b) if isinstance(t, Tensor))
    return record(_node, out, tensors, cond=cond, which=(ta, tb))


@method("where")
def _where_method(self, condition, other) -> Tensor:
    return where(condition, self, other)


@method("masked_fill")
def masked_fill(x, mask, value) -> Tensor:
    """Replace elements where `mask` is True by `value` (MaskedFillBackward0)."""
    mask = to_tensor(mask, "mask")
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    if not isinstance(value, Tensor):
        value = _make(np.asarray(value, dtype=x._data.dtype))
    elif value._data.dtype != x._data.dtype:
        value = value.to(x.dtype)
    try:
        shape = np.broadcast_shapes(mask._data.shape, x._data.shape)
    except ValueError:
        raise shape_mismatch("masked_fill (a: mask, b: input)", mask._data, x._data) from None
    if shape != x._data.shape:
        raise RuntimeError(f"masked_fill: the mask of shape {list(mask.shape)} is not "
                           f"broadcastable to the input of shape {list(x.shape)}")
    out = np.array(x._data, copy=True)   # (a copy with the value put in: 2x np.where's speed)
    np.copyto(out, value._data, where=mask._data)
    return record(MaskedFill, out, (value, x), cond=mask, which=(True, True))


Tensor.masked_fill_ = inplace(masked_fill)


# ---- Python operators ------------------------------------------------------------------------
def _r(op):
    def rop(self, other):
        return op(other, self)
    return rop


Tensor.__add__, Tensor.__radd__ = add, _r(add)
Tensor.__sub__, Tensor.__rsub__ = sub, _r(sub)
Tensor.__mul__, Tensor.__rmul__ = mul, _r(mul)
Tensor.__truediv__, Tensor.__rtruediv__ = div, _r(div)
Tensor.__floordiv__, Tensor.__rfloordiv__ = floor_divide, _r(floor_divide)
Tensor.__mod__, Tensor.__rmod__ = remainder, _r(remainder)
Tensor.__pow__ = pow
Tensor.__rpow__ = _rpow
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = abs
Tensor.__eq__, Tensor.__ne__ = eq, ne
Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__ = lt, le, gt, ge
Tensor.__and__, Tensor.__rand__ = bitwise_and, _r(bitwise_and)
Tensor.__or__, Tensor.__ror__ = bitwise_or, _r(bitwise_or)
Tensor.__xor__, Tensor.__rxor__ = bitwise_xor, _r(bitwise_xor)
Tensor.__invert__ = lambda self: logical_not(self) if self._data.dtype.kind == "b" else \
    _make(np.invert(self._data))
Tensor.__iadd__ = Tensor.add_
Tensor.__isub__ = Tensor.sub_
Tensor.__imul__ = Tensor.mul_
Tensor.__itruediv__ = Tensor.div_
Tensor.__ipow__ = Tensor.pow_
Tensor.__hash__ = object.__hash__   # by identity, as PyTorch (in C: dicts keyed by tensors)


# ---- in-place fills: the old value gets a zero gradient ----------------------------------------
def _overwrite(x: Tensor, data: np.ndarray) -> Tensor:
    """A result equal to `data` whose gradient with respect to x is zero."""
    return record(Fill, np.asarray(data, dtype=x._data.dtype), (x,))


def _fill_op(x, value):
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        return _copy_op(x, value)
    return _overwrite(x, np.full(x._data.shape, value, x._data.dtype))


def _copy_op(x, src):
    src = to_tensor(src, "src")
    try:
        data = np.broadcast_to(src._data, x._data.shape).astype(x._data.dtype)
    except ValueError:
        raise RuntimeError(f"copy_: the source of shape {list(src.shape)} is not broadcastable "
                           f"to the destination of shape {list(x.shape)}") from None
    return record(Copy, np.array(data), (x, src), which=(x._rg, src._rg), src_dtype=src.dtype)


Tensor.fill_ = inplace(_fill_op)
Tensor.zero_ = inplace(lambda x: _overwrite(x, np.zeros_like(x._data)))
Tensor.copy_ = inplace(lambda x, src, non_blocking=False: _copy_op(x, src))

