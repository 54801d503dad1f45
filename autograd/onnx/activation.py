"""Converters of the activations beyond the ones every network uses (those are in
`layers`): hardtanh and relu6, prelu, selu, celu, mish, hardsigmoid, hardswish,
threshold, the shrinks, softsign, glu. Each registers only if nn.functional has it."""

from __future__ import annotations

from nn.functional import activation as A

from .graph import Graph, converts
from .layers import float_op

_SELU = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)


def _register(name: str, build, accepts=None) -> None:
    fn = getattr(A, name, None)
    if fn is not None:
        converts(fn, accepts=accepts)(float_op(build))


_register("hardtanh", lambda g, v, k, min_val=-1.0, max_val=1.0, inplace=False, **kw: g.op(
    "Clip", v, k(kw.get("min_value") or min_val), k(kw.get("max_value") or max_val)))
_register("relu6", lambda g, v, k, inplace=False: g.op("Clip", v, k(0.0), k(6.0)))
_register("selu", lambda g, v, k, inplace=False: g.op("Selu", v, alpha=_SELU[0],
                                                      gamma=_SELU[1]))
_register("celu", lambda g, v, k, alpha=1.0, inplace=False: g.op("Celu", v, alpha=float(alpha)))
_register("mish", lambda g, v, k, inplace=False: g.op(
    "Mul", v, g.op("Tanh", g.op("Softplus", v))))
_register("hardsigmoid", lambda g, v, k, inplace=False: g.op(
    "HardSigmoid", v, alpha=1.0 / 6, beta=0.5))
_register("hardswish", lambda g, v, k, inplace=False: g.op(
    "Mul", v, g.op("HardSigmoid", v, alpha=1.0 / 6, beta=0.5)))
_register("threshold", lambda g, v, k, threshold, value, inplace=False: g.op(
    "Where", g.op("Greater", v, k(threshold)), v, k(value)))
_register("softshrink", lambda g, v, k, lambd=0.5: g.op("Shrink", v, bias=float(lambd),
                                                        lambd=float(lambd)))
_register("hardshrink", lambda g, v, k, lambd=0.5: g.op("Shrink", v, bias=0.0,
                                                        lambd=float(lambd)))
_register("softsign", lambda g, v, k: g.op("Softsign", v))


_prelu = getattr(A, "prelu", None)
if _prelu is not None:
    @converts(_prelu)
    def _prelu_conv(g: Graph, input, weight) -> str:
        w = g.v(weight)
        if weight.numel() > 1 and input.ndim > 2:   # one slope per channel (dim 1)
            w = g.op("Reshape", w, g.ints([-1] + [1] * (input.ndim - 2)))
        return g.op("PRelu", g.v(input), w)

_glu = getattr(A, "glu", None)
if _glu is not None:
    @converts(_glu)
    def _glu_conv(g: Graph, input, dim: int = -1) -> str:
        axis = dim % input.ndim
        half = input.shape[axis] // 2
        a, b = g.op("Split", g.v(input), g.ints([half, half]), axis=axis, outputs=2)
        return g.op("Mul", a, g.op("Sigmoid", b))

