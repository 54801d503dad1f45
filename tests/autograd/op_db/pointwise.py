"""Registry entries: pointwise ops."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, binary, floats, unary

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


U = [
    # name        fn                      numpy reference               sample
    ("neg", lambda x: -x, np.negative, unary()),
    ("exp", ag.exp, np.exp, unary()),
    ("exp2", ag.exp2, np.exp2, unary()),
    ("expm1", ag.expm1, np.expm1, unary()),
    ("log", ag.log, np.log, unary(0.1, 3.0)),
    ("log2", ag.log2, np.log2, unary(0.1, 3.0)),
    ("log10", ag.log10, np.log10, unary(0.1, 3.0)),
    ("log1p", ag.log1p, np.log1p, unary(-0.8, 3.0)),
    ("sqrt", ag.sqrt, np.sqrt, unary(0.1, 3.0)),
    ("rsqrt", ag.rsqrt, lambda x: 1 / np.sqrt(x), unary(0.1, 3.0)),
    ("sin", ag.sin, np.sin, unary()),
    ("cos", ag.cos, np.cos, unary()),
    ("tan", ag.tan, np.tan, unary(-1.2, 1.2)),
    ("asin", ag.asin, np.arcsin, unary(-0.9, 0.9)),
    ("acos", ag.acos, np.arccos, unary(-0.9, 0.9)),
    ("atan", ag.atan, np.arctan, unary()),
    ("sinh", ag.sinh, np.sinh, unary()),
    ("cosh", ag.cosh, np.cosh, unary()),
    ("tanh", ag.tanh, np.tanh, unary()),
    ("sigmoid", ag.sigmoid, _sigmoid, unary(-4, 4)),
    ("relu", ag.relu, lambda x: np.maximum(x, 0), unary(avoid=(0,))),
    ("abs", ag.abs, np.abs, unary(avoid=(0,))),
    ("reciprocal", ag.reciprocal, np.reciprocal, unary(0.2, 3.0)),
    ("square", ag.square, np.square, unary()),
    ("sign", ag.sign, np.sign, unary(avoid=(0,))),
    ("floor", ag.floor, np.floor, unary(avoid=(-2, -1, 0, 1, 2))),
    ("ceil", ag.ceil, np.ceil, unary(avoid=(-2, -1, 0, 1, 2))),
    ("trunc", ag.trunc, np.trunc, unary(avoid=(-2, -1, 0, 1, 2))),
    ("round", ag.round, np.round, unary(avoid=(-1.5, -0.5, 0.5, 1.5))),
    ("frac", ag.frac, lambda x: x - np.trunc(x), unary(avoid=(-2, -1, 0, 1, 2))),
    ("erf", ag.erf, _erf, unary()),
    ("pow_scalar", lambda x: x ** 3, lambda x: x ** 3, unary()),
    ("pow_scalar_frac", lambda x: x ** 2.5, lambda x: x ** 2.5, unary(0.2, 3.0)),
    ("pow_scalar_neg", lambda x: x ** -1.5, lambda x: x ** -1.5, unary(0.2, 3.0)),
    ("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, unary()),
    ("clamp", lambda x: ag.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
     unary(avoid=(-0.5, 0.7))),
    ("clamp_min", lambda x: x.clamp(min=0.3), lambda x: np.maximum(x, 0.3), unary(avoid=(0.3,))),
    ("clamp_min_fn", lambda x: ag.clamp_min(x, 0.3), lambda x: np.maximum(x, 0.3),
     unary(avoid=(0.3,))),
    ("clamp_max_", lambda x: (x * 1).clamp_max_(0.3), lambda x: np.minimum(x, 0.3),
     unary(avoid=(0.3,))),
    ("div_floor_scalar", lambda x: ag.div(x, 0.7, rounding_mode="floor") + x,
     lambda x: np.floor_divide(x, 0.7) + x, unary(avoid=(-1.4, -0.7, 0, 0.7, 1.4))),
    ("rsub_scalar", lambda x: 1.5 - x, lambda x: 1.5 - x, unary()),
    ("rdiv_scalar", lambda x: 1.5 / x, lambda x: 1.5 / x, unary(0.2, 3.0)),
]

B = [
    ("add", ag.add, np.add, binary()),
    ("sub", ag.sub, np.subtract, binary()),
    ("mul", ag.mul, np.multiply, binary()),
    ("div", ag.div, np.divide, binary(low_b=0.3, high_b=2.0)),
    ("pow", ag.pow, np.power, binary(0.3, 2.0, -2.0, 2.0)),
    ("maximum", ag.maximum, np.maximum, binary(unequal=True)),
    ("minimum", ag.minimum, np.minimum, binary(unequal=True)),
    ("atan2", ag.atan2, np.arctan2, binary(low_b=0.3, high_b=2.0)),
    ("remainder", ag.remainder, np.remainder, binary(0.1, 0.9, 1.1, 2.0)),
    ("fmod", ag.fmod, np.fmod, binary(0.1, 0.9, 1.1, 2.0)),
    ("add_scalar", lambda a, b: a + b, np.add, binary(scalar_b=True)),
    ("mul_scalar", lambda a, b: a * b, np.multiply, binary(scalar_b=True)),
    ("div_scalar", lambda a, b: a / b, np.divide, binary(scalar_b=True, low_b=0.3, high_b=2)),
    ("lerp", lambda a, b: ag.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a), binary()),
    # rounded quotients (zero gradient), with a / b in (0, 1) or (-1, 0): no jump nearby
    ("div_trunc", lambda a, b: ag.div(a, b, rounding_mode="trunc") + a * b,
     lambda a, b: np.trunc(a / b) + a * b, binary(0.1, 0.9, 1.1, 2.0)),
    ("div_floor", lambda a, b: ag.div(a, b, rounding_mode="floor") + a * b,
     lambda a, b: np.floor(a / b) + a * b, binary(-0.9, -0.1, 1.1, 2.0)),
]
# x.gt_(other) & co overwrite x with 0/1: a zero gradient to x (and to a tensor `other`)
_COMPARE = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
            "gt": np.greater, "ge": np.greater_equal}
U += [(f"{n}_", lambda x, n=n: getattr(x * 1, n + "_")(0.3) + x,
       lambda x, f=f: f(x, 0.3) + x, unary(avoid=(0.3,))) for n, f in _COMPARE.items()]
B += [(f"{n}_tensor", lambda a, b, n=n: getattr(a * 1, n + "_")(b) + a * b,
       lambda a, b, f=f: f(a, b) + a * b, binary(unequal=True).filter(
           lambda s: np.broadcast_shapes(*(np.shape(a) for a in s.args)) == np.shape(s.args[0])))
      for n, f in _COMPARE.items()]


@hs.composite
def _where_sample(draw):
    sc, sa, sb = draw(st.broadcastable_shapes(3))
    cond = draw(st.arrays(sc, np.bool_))
    return Sample((cond, draw(floats(sa)), draw(floats(sb))))


@hs.composite
def _masked_fill_sample(draw):
    sx, sm = draw(st.broadcastable_shapes(2))
    shape = np.broadcast_shapes(sx, sm)
    return Sample((draw(floats(shape)), draw(st.arrays(sm, np.bool_))))


@hs.composite
def _addcmul_sample(draw):
    s = draw(st.broadcastable_shapes(3))
    return Sample(tuple(draw(floats(x, 0.3, 2.0)) for x in s))


def _copy_into(x, src):
    y = x * 1.0          # a non-leaf, which may be overwritten in place
    return y.copy_(src)


def _fill(x):
    y = x * 1.0
    return y.fill_(0.5) + x   # the filled part has a zero gradient


OPS = [OpInfo(n, f, r, s) for n, f, r, s in U] + [OpInfo(n, f, r, s) for n, f, r, s in B] + [
    OpInfo("where", ag.where, np.where, _where_sample()),
    OpInfo("masked_fill", lambda x, m: x.masked_fill(m, 0.25),
           lambda x, m: np.where(m, 0.25, x), _masked_fill_sample()),
    OpInfo("addcmul", lambda a, b, c: ag.addcmul(a, b, c, value=0.5),
           lambda a, b, c: a + 0.5 * b * c, _addcmul_sample()),
    OpInfo("addcdiv", lambda a, b, c: ag.addcdiv(a, b, c, value=0.5),
           lambda a, b, c: a + 0.5 * b / c, _addcmul_sample()),
    OpInfo("copy_", _copy_into, lambda x, src: np.broadcast_to(src, x.shape) + 0.0,
           binary().filter(lambda s: np.broadcast_shapes(*(np.shape(a) for a in s.args)) ==
                           np.shape(s.args[0]))),
    OpInfo("fill_", _fill, lambda x: x + 0.5, unary()),
]
