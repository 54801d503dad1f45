"""Converters of the pointwise ops: math, arithmetic and comparison operators, where,
clamp, casts.

Arithmetic computes in the dtype of the result that run A produced (`g.out`), so ints,
Python numbers and mixed dtypes follow PyTorch's promotion without rules of their own.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..ops import pointwise as P
from ..ops import shape as S
from ..tensor import Tensor
from .graph import Graph, converts

# ---- unary: one ONNX op each ---------------------------------------------------------------
_UNARY = {P.neg: "Neg", P.exp: "Exp", P.log: "Log", P.sqrt: "Sqrt", P.sin: "Sin", P.cos: "Cos",
          P.tan: "Tan", P.asin: "Asin", P.acos: "Acos", P.atan: "Atan", P.sinh: "Sinh",
          P.cosh: "Cosh", P.tanh: "Tanh", P.sigmoid: "Sigmoid", P.abs: "Abs",
          P.reciprocal: "Reciprocal", P.sign: "Sign", P.floor: "Floor", P.ceil: "Ceil",
          P.round: "Round", P.erf: "Erf"}
_PREDICATES = {P.isnan: "IsNaN", P.isinf: "IsInf"}


def _out_dtype(g: Graph) -> np.dtype:
    return g.out._data.dtype


def _unary(op_type: str):
    def conv(g: Graph, x, *args):
        if args:
            raise g.unsupported(why=f"extra arguments {args}")
        d = _out_dtype(g)
        if op_type in ("Floor", "Ceil", "Round") and x._data.dtype.kind != "f":
            return g.cast(g.v(x), d)   # integers are their own floor
        return g.op(op_type, g.vt(x, d))
    return conv


for _fn, _op in _UNARY.items():
    converts(_fn)(_unary(_op))


@converts(P.relu)
def _relu(g: Graph, x):
    if x._data.dtype.kind == "f":
        return g.op("Relu", g.v(x))
    return g.op("Max", g.v(x), g.scalar(0, x._data.dtype))   # (no integer Relu in onnxruntime)


def _predicate(op_type: str):
    def conv(g: Graph, x):
        return g.op(op_type, g.v(x)) if x._data.dtype.kind == "f" else _never(g, x)
    return conv


for _fn, _op in _PREDICATES.items():
    converts(_fn)(_predicate(_op))


def _never(g: Graph, x: Tensor) -> str:
    """isnan/isinf of integers: all False, shaped like x."""
    return g.cast(g.op("Mul", g.vt(x, np.int64), g.scalar(0, np.int64)), bool)


def _composite(build):
    """A converter computing `build(g, v, k)`: v the input in the result's dtype, `k(c)` a
    constant of that dtype."""
    def conv(g: Graph, x):
        d = _out_dtype(g)
        return build(g, g.vt(x, d), lambda c: g.scalar(c, d))
    return conv


converts(P.rsqrt)(_composite(lambda g, v, k: g.op("Reciprocal", g.op("Sqrt", v))))
converts(P.square)(_composite(lambda g, v, k: g.op("Mul", v, v)))
converts(P.exp2)(_composite(lambda g, v, k: g.op("Pow", k(2.0), v)))
converts(P.expm1)(_composite(lambda g, v, k: g.op("Sub", g.op("Exp", v), k(1.0))))
converts(P.log1p)(_composite(lambda g, v, k: g.op("Log", g.op("Add", v, k(1.0)))))
converts(P.log2)(_composite(lambda g, v, k: g.op("Div", g.op("Log", v), k(math.log(2.0)))))
converts(P.log10)(_composite(lambda g, v, k: g.op("Div", g.op("Log", v), k(math.log(10.0)))))
converts(P.isfinite)(lambda g, x: g.op("Not", g.op("Or", g.op("IsNaN", g.v(x)), g.op(
    "IsInf", g.v(x)))) if x._data.dtype.kind == "f" else g.op("Not", _never(g, x)))
converts(P.logical_not)(lambda g, x: g.op("Not", g.vt(x, bool)))


def _trunc(g: Graph, v: str, d) -> str:
    neg = g.op("Less", v, g.scalar(0, d))
    return g.op("Where", neg, g.op("Ceil", v), g.op("Floor", v))


@converts(P.trunc)
def _trunc_conv(g: Graph, x):
    if x._data.dtype.kind != "f":
        return g.v(x)
    return _trunc(g, g.v(x), x._data.dtype)


@converts(P.frac)
def _frac(g: Graph, x):
    v = g.vt(x, _out_dtype(g))
    return g.op("Sub", v, _trunc(g, v, _out_dtype(g)))


# ---- binary ----------------------------------------------------------------------------------
_ARITH = {P.add: "Add", P.sub: "Sub", P.mul: "Mul", P.div: "Div", P.maximum: "Max",
          P.minimum: "Min"}
_COMPARE = {P.eq: "Equal", P.lt: "Less", P.le: "LessOrEqual", P.gt: "Greater",
            P.ge: "GreaterOrEqual"}
_LOGICAL = {P.logical_and: "And", P.logical_or: "Or", P.logical_xor: "Xor"}
_BITWISE = {P.bitwise_and: ("And", "BitwiseAnd"), P.bitwise_or: ("Or", "BitwiseOr"),
            P.bitwise_xor: ("Xor", "BitwiseXor")}


def arith(g: Graph, op_type: str, a, b) -> str:
    """a (op) b computed in the result's dtype."""
    d = _out_dtype(g)
    return g.op(op_type, g.vt(a, d), g.vt(b, d))


def _operand_dtype(a, b) -> np.dtype:
    return dtypes.result_type(*[x for x in (a, b)]).np


def compare(g: Graph, op_type: str, a, b) -> str:
    d = _operand_dtype(a, b)
    return g.op(op_type, g.vt(a, d), g.vt(b, d))


def _arith(op_type: str):
    return lambda g, a, b: arith(g, op_type, a, b)


for _fn, _op in _ARITH.items():
    converts(_fn)(_arith(_op))
for _fn, _op in _COMPARE.items():
    converts(_fn)(lambda g, a, b, _op=_op: compare(g, _op, a, b))
for _fn, _op in _LOGICAL.items():
    converts(_fn)(lambda g, a, b, _op=_op: g.op(_op, g.vt(a, bool), g.vt(b, bool)))
converts(P.ne)(lambda g, a, b: g.op("Not", compare(g, "Equal", a, b)))


def _bitwise(ops: tuple):
    def conv(g: Graph, a, b):
        d = _out_dtype(g)
        if d == np.bool_:
            return g.op(ops[0], g.vt(a, d), g.vt(b, d))
        if g.opset < 18:
            raise g.unsupported(why="bitwise ops on integers need opset 18")
        return g.op(ops[1], g.vt(a, d), g.vt(b, d))
    return conv


for _fn, _ops in _BITWISE.items():
    converts(_fn)(_bitwise(_ops))


def _alpha_method(op: str):
    """x.add(other, alpha=...) and x.sub(...): x (op) alpha * other."""
    def conv(g: Graph, x, other, *, alpha=1):
        if alpha != 1:
            d = _out_dtype(g)
            return g.op(op, g.vt(x, d), g.op("Mul", g.vt(other, d), g.scalar(alpha, d)))
        return arith(g, op, x, other)
    return conv


converts(Tensor.__dict__["add"])(_alpha_method("Add"))
converts(Tensor.__dict__["sub"])(_alpha_method("Sub"))


@converts(P.rsub)
def _rsub(g: Graph, x, other, *, alpha=1):
    d = _out_dtype(g)
    rhs = g.vt(x, d) if alpha == 1 else g.op("Mul", g.vt(x, d), g.scalar(alpha, d))
    return g.op("Sub", g.vt(other, d), rhs)


@converts(P.floor_divide)
def _floor_divide(g: Graph, a, b) -> str:
    d = _out_dtype(g)
    if d.kind == "f":
        return g.op("Floor", g.op("Div", g.vt(a, d), g.vt(b, d)))
    q = g.op("Floor", g.op("Div", g.vt(a, np.float64), g.vt(b, np.float64)))
    return g.cast(q, d)


@converts(P.remainder)
def _remainder(g: Graph, a, b):
    d = _out_dtype(g)
    if d.kind != "f":
        return g.op("Mod", g.vt(a, d), g.vt(b, d))
    va, vb = g.vt(a, d), g.vt(b, d)
    return g.op("Sub", va, g.op("Mul", g.op("Floor", g.op("Div", va, vb)), vb))


@converts(P.fmod)
def _fmod(g: Graph, a, b):
    d = _out_dtype(g)
    return g.op("Mod", g.vt(a, d), g.vt(b, d), fmod=1)


@converts(P.pow)
def _pow(g: Graph, x, exponent):
    d = _out_dtype(g)
    return g.op("Pow", g.vt(x, d), g.vt(exponent, d))


_BINARY = {**{f: _arith(o) for f, o in _ARITH.items()},
           P.floor_divide: _floor_divide, P.remainder: _remainder,
           **{f: _bitwise(o) for f, o in _BITWISE.items()}}
for _name, _fn in (("__radd__", P.add), ("__rsub__", P.sub), ("__rmul__", P.mul),
                   ("__rtruediv__", P.div), ("__rfloordiv__", P.floor_divide),
                   ("__rmod__", P.remainder), ("__rand__", P.bitwise_and),
                   ("__ror__", P.bitwise_or), ("__rxor__", P.bitwise_xor)):
    # `other (op) self`
    converts(Tensor.__dict__[_name])(lambda g, self, other, _c=_BINARY[_fn]: _c(g, other, self))
converts(Tensor.__dict__["__rpow__"])(lambda g, self, base: _pow(g, base, self))
converts(Tensor.__dict__["__pos__"])(lambda g, x: g.op("Identity", g.v(x)))


@converts(Tensor.__dict__["__invert__"])
def _invert(g: Graph, x):
    if x._data.dtype == np.bool_:
        return g.op("Not", g.v(x))
    if g.opset < 18:
        raise g.unsupported(why="~ on integers needs opset 18 (BitwiseNot)")
    return g.op("BitwiseNot", g.v(x))


# ---- where, clamp ----------------------------------------------------------------------------
@converts(P.where, accepts=lambda condition, input=None, other=None: input is not None or
          other is not None)
def _where(g: Graph, condition, input=None, other=None):  # noqa: A002
    d = _out_dtype(g)
    return g.op("Where", g.vt(condition, bool), g.vt(input, d), g.vt(other, d))


@converts(P.masked_fill)
def _masked_fill(g: Graph, x, mask, value):
    d = x._data.dtype
    return g.op("Where", g.vt(mask, bool), g.vt(value, d), g.v(x))


@converts(P.clamp)
def _clamp(g: Graph, x, min=None, max=None):  # noqa: A002
    d = _out_dtype(g)
    if isinstance(min, Tensor) or isinstance(max, Tensor):   # tensor bounds: Max, then Min
        v = g.vt(x, d)
        if min is not None:
            v = g.op("Max", v, g.vt(min, d))
        return v if max is None else g.op("Min", v, g.vt(max, d))
    lo = None if min is None else g.scalar(min, d)
    hi = None if max is None else g.scalar(max, d)
    return g.op("Clip", g.vt(x, d), lo, hi)


converts(P.clamp_min)(lambda g, x, min: _clamp(g, x, min=min))
converts(P.clamp_max)(lambda g, x, max: _clamp(g, x, max=max))


@converts(P.lerp)
def _lerp(g: Graph, start, end, weight):
    d = _out_dtype(g)
    s = g.vt(start, d)
    w = g.vt(weight, d) if isinstance(weight, Tensor) else g.scalar(weight, d)
    return g.op("Add", s, g.op("Mul", w, g.op("Sub", g.vt(end, d), s)))


# ---- casts and copies: the value in the result's dtype ----------------------------------------
def cast_to_result(g: Graph, x, *args, **kwargs):
    return g.op("Identity", g.vt(x, _out_dtype(g)))


_CASTS = [S.to, S.to_dtype, S.type_as, S.type_, S.cpu, S.clone, S.contiguous,
          Tensor.__dict__["detach"], Tensor.__dict__["detach_"], Tensor.__dict__["data"].fget] + \
         [Tensor.__dict__[n] for n in ("float", "double", "half", "long", "int", "bool", "short",
                                       "byte", "char")]
converts(*_CASTS)(cast_to_result)
