"""Activation functions (nn.functional): relu, leaky_relu, elu, gelu, silu, sigmoid, tanh,
softplus, softmax, log_softmax.

leaky_relu, elu, gelu, silu and softplus are primitives here (one node each, named as in
PyTorch); their derivative rules are written in Tensor ops, so they differentiate again.
"""

from __future__ import annotations

import math

import numpy as np

import autograd
from autograd.ops.base import to_tensor, unary
from autograd.ops.pointwise import _erf, _sigmoid
from autograd.tensor import Tensor

__all__ = ["relu", "relu_", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softplus",
           "softmax", "log_softmax", "logsigmoid"]

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K = math.sqrt(2.0 / math.pi)
_C = 0.044715


def _leaky_fwd(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * slope).astype(x.dtype, copy=False)


def _elu_fwd(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


def _gelu_fwd(x: np.ndarray) -> np.ndarray:
    return (x * 0.5 * (1.0 + _erf(x * _SQRT1_2))).astype(x.dtype, copy=False)


def _gelu_rule(g, x):
    cdf = (autograd.erf(x * _SQRT1_2) + 1.0) * 0.5
    pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


def _gelu_tanh_fwd(x: np.ndarray) -> np.ndarray:
    return (0.5 * x * (1.0 + np.tanh(_K * (x + _C * x * x * x)))).astype(x.dtype, copy=False)


def _gelu_tanh_rule(g, x):
    t = ((x + x * x * x * _C) * _K).tanh()
    return g * ((t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * _K * (x * x * (3 * _C) + 1.0))


def _silu_fwd(x: np.ndarray) -> np.ndarray:
    return x * _sigmoid(x)


def _silu_rule(g, x):
    s = x.sigmoid()
    return g * s * (x * (1.0 - s) + 1.0)


def _softplus_fwd(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    bx = x * beta
    return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta).astype(x.dtype, copy=False)


def _softplus_rule(g, x, beta, threshold):
    bx = x * beta
    big = bx > threshold
    return g * big + g * (bx <= threshold) * bx.sigmoid()


def _logsigmoid_fwd(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0, -x).astype(x.dtype, copy=False)


_leaky_relu = unary("leaky_relu", _leaky_fwd,
                    lambda g, x, slope: g * (x > 0) + g * ~(x > 0) * slope,   # NaN: slope
                    node="LeakyReluBackward0", register=False)
_elu = unary("elu", _elu_fwd,
             lambda g, x, out, alpha: g * (x > 0) + g * (x <= 0) * (out + alpha),
             node="EluBackward0", register=False)
_gelu = unary("gelu", _gelu_fwd, _gelu_rule, node="GeluBackward0", register=False)
_gelu_tanh = unary("gelu", _gelu_tanh_fwd, _gelu_tanh_rule, node="GeluBackward0",
                   register=False)
_silu = unary("silu", _silu_fwd, _silu_rule, node="SiluBackward0", register=False)
_softplus = unary("softplus", _softplus_fwd, _softplus_rule, node="SoftplusBackward0",
                  register=False)
_logsigmoid = unary("logsigmoid", _logsigmoid_fwd, lambda g, x: g * (-x).sigmoid(),
                    node="LogSigmoidBackward0", register=False)


def _check(input, name: str) -> Tensor:
    x = to_tensor(input, "input")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input, got {x.dtype}")
    return x


def _maybe_inplace(x: Tensor, out: Tensor, inplace: bool) -> Tensor:
    if not inplace:
        return out
    x._check_inplace()
    return x._inplace_from(out)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    x = to_tensor(input, "input")
    return x.relu_() if inplace else x.relu()


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    x = _check(input, "leaky_relu")
    src = x._alias_for_inplace() if inplace else x
    return _maybe_inplace(x, _leaky_relu(src, float(negative_slope)), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    x = _check(input, "elu")
    src = x._alias_for_inplace() if inplace else x
    return _maybe_inplace(x, _elu(src, float(alpha)), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (exact, with erf), or the tanh approximation with approximate='tanh'."""
    x = _check(input, "gelu")
    if approximate == "none":
        return _gelu(x)
    if approximate == "tanh":
        return _gelu_tanh(x)
    raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    x = _check(input, "silu")
    src = x._alias_for_inplace() if inplace else x
    return _maybe_inplace(x, _silu(src), inplace)


def sigmoid(input: Tensor) -> Tensor:
    return to_tensor(input, "input").sigmoid()


def tanh(input: Tensor) -> Tensor:
    return to_tensor(input, "input").tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    return _softplus(_check(input, "softplus"), float(beta), float(threshold))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed stably."""
    return _logsigmoid(_check(input, "logsigmoid"))


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    return to_tensor(input, "input").softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    return to_tensor(input, "input").log_softmax(dim, dtype=dtype)
