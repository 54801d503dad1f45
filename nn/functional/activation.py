"""Activation functions (nn.functional): relu, relu6, leaky_relu, prelu, elu, selu, celu,
gelu, silu, mish, hardtanh, hardsigmoid, hardswish, threshold, hardshrink, softshrink,
tanhshrink, softsign, sigmoid, logsigmoid, tanh, softplus, glu, softmax, softmin,
log_softmax, gumbel_softmax.

Where PyTorch has one node (`HardtanhBackward0`, `EluBackward0`, ...) so does this module;
the rest (softsign, tanhshrink, softmin, gumbel_softmax) are composites, as in PyTorch.
Derivative rules are written in Tensor ops, so they differentiate again; at NaN and at
kinks they give PyTorch's values (relu6 and hardtanh pass the gradient at NaN, the
shrinks and hardsigmoid block it, elu-like ops take the positive branch).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import autograd
from autograd.function import Node
from autograd.ops.base import binary, derivative, needs_graph, record, to_tensor, unary
from autograd.ops.pointwise import _erf, _sigmoid
from autograd.random import _double_uniform01, _gen
from autograd.tensor import Tensor, _make

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu",
           "silu", "mish", "hardtanh", "hardsigmoid", "hardswish", "threshold", "hardshrink",
           "softshrink", "tanhshrink", "softsign", "sigmoid", "logsigmoid", "tanh", "softplus",
           "glu", "softmax", "softmin", "log_softmax", "gumbel_softmax", "rrelu", "rrelu_",
           "elu_", "leaky_relu_", "hardtanh_", "selu_", "celu_", "threshold_"]

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K = math.sqrt(2.0 / math.pi)
_C = 0.044715
# SELU's constants (Klambauer et al. 2017), as PyTorch writes them
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _leaky_fwd(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * slope).astype(x.dtype, copy=False)


def _elu_fwd(x: np.ndarray, alpha: float, scale: float, input_scale: float) -> np.ndarray:
    neg = (alpha * scale) * np.expm1(np.minimum(x, 0) * input_scale)
    return np.where(x > 0, x * scale, neg).astype(x.dtype, copy=False)


def _elu_rule(g, x, alpha, scale, input_scale):
    # PyTorch's elu_backward: the negative branch where x <= 0; NaN takes the positive one
    neg = g * (x * input_scale).exp() * (alpha * scale * input_scale)
    return autograd.where(x <= 0, neg, g * scale)


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


class GeluBackward0(Node):
    """GELU on float32/float64 data, exact or in GPT-2's tanh form: the forward keeps what
    it computed (Phi(x), or the tanh), and the array backward is the derivative from it,
    in place, in a few passes over the (large) hidden activations instead of a graph of
    Tensor ops."""

    def backward(self, g):
        return ((_gelu_tanh_rule if self.tanh else _gelu_rule)(g, self.saved()[0]),)

    def backward_fast(self, g):
        x, t = self.saved_data()
        with np.errstate(invalid="ignore", over="ignore"):
            if not self.tanh:   # Phi(x) + x * phi(x), times g
                a = np.multiply(x, x, out=np.empty_like(x))
                a *= -0.5
                np.exp(a, out=a)
                a *= _INV_SQRT_2PI
                a *= x
                a += t
                a *= g
                return (a,)
            # 0.5 * (1 + t) + 0.5 * x * (1 - t^2) * K * (1 + 3 C x^2), times g
            a = np.multiply(t, t, out=np.empty_like(t))
            np.subtract(1.0, a, out=a)
            b = np.multiply(x, x, out=np.empty_like(x))
            b *= 3 * _C
            b += 1.0
            b *= x
            b *= 0.5 * _K
            a *= b
            np.add(t, 1.0, out=b)
            b *= 0.5
            a += b
            a *= g
        return (a,)


def _gelu_fused(x: Tensor, tanh: bool) -> Tensor:
    """x * Phi(x) (Phi from erf), or 0.5 * x * (1 + tanh(K * (x + C * x^3))); Phi or the
    tanh kept for GeluBackward0."""
    d = x._data
    with np.errstate(invalid="ignore", over="ignore"):   # (-inf gives NaN, as PyTorch)
        if tanh:
            t = np.multiply(d, d, out=np.empty_like(d))   # (an array also for 0-d data)
            t *= d
            t *= _C
            t += d
            t *= _K
            np.tanh(t, out=t)
            out = t + 1.0
            out *= d
            out *= 0.5
        else:   # x * 0.5 * (1 + erf(x / sqrt 2)), as PyTorch orders it
            t = np.asarray(_erf(d * _SQRT1_2))
            t += 1.0
            out = np.multiply(d, 0.5, out=np.empty_like(d))
            out *= t
            t *= 0.5
    if not needs_graph(x):
        return _make(out)
    n = GeluBackward0((x,))
    n.tanh = tanh
    n.save(x, _make(t))
    return _make(out, n)


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
    with np.errstate(invalid="ignore"):
        return -np.logaddexp(0, -x).astype(x.dtype, copy=False)


def _mish_fwd(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (x * np.tanh(np.logaddexp(0, x))).astype(x.dtype, copy=False)


def _mish_rule(g, x):
    t = _softplus(x, 1.0, 20.0).tanh()
    return g * (t + x * x.sigmoid() * (1.0 - t * t))


def _hardtanh_fwd(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.minimum(np.maximum(x, lo), hi).astype(x.dtype, copy=False)


def _hardsigmoid_fwd(x: np.ndarray) -> np.ndarray:
    return (np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0).astype(x.dtype, copy=False)


def _hardswish_fwd(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (x * np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0).astype(x.dtype, copy=False)


def _hardswish_rule(g, x):
    # PyTorch: 0 up to -3, g * (x/3 + 1/2) below 3, g from 3 on (and at NaN)
    return autograd.where(x <= -3.0, g * 0.0, autograd.where(x < 3.0, g * (x / 3.0 + 0.5), g))


def _threshold_fwd(x: np.ndarray, th: float, value: float) -> np.ndarray:
    return np.where(x <= th, value, x).astype(x.dtype, copy=False)


def _shrink_fwd(x: np.ndarray, lambd: float, soft: bool) -> np.ndarray:
    inside = (x >= -lambd) & (x <= lambd)
    out = x - np.sign(x) * lambd if soft else x
    return np.where(inside, 0, out).astype(x.dtype, copy=False)


_leaky_relu = unary("leaky_relu", _leaky_fwd,
                    lambda g, x, slope: g * (x > 0) + g * ~(x > 0) * slope,   # NaN: slope
                    node="LeakyReluBackward0", register=False)
_elu = unary("elu", _elu_fwd, _elu_rule, node="EluBackward0", register=False)
_celu = unary("celu", _elu_fwd, _elu_rule, node="CeluBackward0", register=False)
_gelu = unary("gelu", _gelu_fwd, _gelu_rule, node="GeluBackward0", register=False)
_gelu_tanh = unary("gelu", _gelu_tanh_fwd, _gelu_tanh_rule, node="GeluBackward0",
                   register=False)
_silu = unary("silu", _silu_fwd, _silu_rule, node="SiluBackward0", register=False)
_softplus = unary("softplus", _softplus_fwd, _softplus_rule, node="SoftplusBackward0",
                  register=False)
_logsigmoid = unary("logsigmoid", _logsigmoid_fwd, lambda g, x: g * (-x).sigmoid(),
                    node="LogSigmoidBackward0", register=False)
_mish = unary("mish", _mish_fwd, _mish_rule, node="MishBackward0", register=False)
# the kinks: hardtanh passes the gradient at NaN and blocks it at its bounds; the
# shrinks and hardsigmoid block it at NaN; threshold passes it at NaN (PyTorch's masks)
_hardtanh = unary("hardtanh", _hardtanh_fwd,
                  lambda g, x, lo, hi: g * ~((x <= lo) | (x >= hi)),
                  node="HardtanhBackward0", float_only=False, register=False)
_hardsigmoid = unary("hardsigmoid", _hardsigmoid_fwd,
                     lambda g, x: g * ((x > -3.0) & (x < 3.0)) / 6.0,
                     node="HardsigmoidBackward0", register=False)
_hardswish = unary("hardswish", _hardswish_fwd, _hardswish_rule, node="HardswishBackward0",
                   register=False)
_threshold = unary("threshold", _threshold_fwd, lambda g, x, th, value: g * ~(x <= th),
                   node="ThresholdBackward0", float_only=False, register=False)
_softshrink = unary("softshrink", lambda x, lambd: _shrink_fwd(x, lambd, True),
                    lambda g, x, lambd: g * ((x > lambd) | (x < -lambd)),
                    node="SoftshrinkBackward0", register=False)
_hardshrink = unary("hardshrink", lambda x, lambd: _shrink_fwd(x, lambd, False),
                    lambda g, x, lambd: g * ((x > lambd) | (x < -lambd)),
                    node="HardshrinkBackward0", register=False)
# prelu: x where x > 0, else weight * x (weight broadcast along the channel dim)
_prelu = binary("prelu", lambda a, b: np.where(a > 0, a, a * b),
                lambda g, a, b: autograd.where(a > 0, g, g * b),
                lambda g, a: autograd.where(a > 0, g * 0.0, g * a),
                node="PreluKernelBackward0", register=False)


def _glu_rule(g, x, dim):
    h = x.shape[dim] // 2
    a, b = x.narrow(dim, 0, h), x.narrow(dim, h, h)
    s = b.sigmoid()
    return autograd.cat([g * s, g * a * s * (1.0 - s)], dim)


Glu = derivative("GluBackward0", _glu_rule)


def _check(input, kernel: str) -> Tensor:
    """The input as a floating-point Tensor; PyTorch's error for other dtypes."""
    x = to_tensor(input, "input")
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{x.dtype._legacy}\'')
    return x


def _maybe_inplace(x: Tensor, out: Tensor, inplace: bool) -> Tensor:
    if not inplace:
        return out
    x._check_inplace()
    return x._inplace_from(out)


def _apply(op, input, kernel: str | None, inplace: bool, *args) -> Tensor:
    """`op(x, *args)`, out of place or written into x (`inplace=True`); kernel=None
    accepts integer inputs too."""
    x = to_tensor(input, "input") if kernel is None else _check(input, kernel)
    src = x._alias_for_inplace() if inplace else x
    return _maybe_inplace(x, op(src, *args), inplace)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    x = to_tensor(input, "input")
    return x.relu_() if inplace else x.relu()


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return _apply(_hardtanh, input, None, inplace, 0.0, 6.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply(_hardtanh, input, None, inplace, min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return _apply(_leaky_relu, input, "leaky_relu_cpu", inplace, float(negative_slope))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, with one weight, or one per channel (dim 1)."""
    x, w = to_tensor(input, "input"), to_tensor(weight, "weight")
    if w.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.ndim}")
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {x.dtype._legacy} and "
                           f"{w.dtype._legacy}")
    n = w.numel()
    if n != 1:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        w = w.view((n,) + (1,) * (x.ndim - 2))
    elif x.ndim:
        w = w.view((1,) * x.ndim)
    return _prelu(x, w)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _apply(_elu, input, "elu_cpu", inplace, float(alpha), 1.0, 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return _apply(_elu, input, "elu_cpu", inplace, _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _apply(_celu, input, "elu_cpu", inplace, float(alpha), 1.0, 1.0 / alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (exact, with erf), or the tanh approximation with approximate='tanh'."""
    x = _check(input, "GeluKernelImpl")
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    if x._data.dtype.itemsize >= 4:
        return _gelu_fused(x, approximate == "tanh")
    return _gelu(x) if approximate == "none" else _gelu_tanh(x)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _apply(_silu, input, "silu_cpu", inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _apply(_mish, input, "mish_cpu", inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _apply(_hardsigmoid, input, "hardsigmoid_cpu", inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _apply(_hardswish, input, "hardswish_cpu", inplace)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    return _apply(_threshold, input, None, inplace, threshold, value)


# ---- the in-place forms, as functions of their own (PyTorch's F.elu_ & co) -----------------
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _apply(_threshold, input, None, True, threshold, value)


def _lambd(lambd: float, x: Tensor) -> float:
    if lambd < 0:
        hi = np.finfo(x._data.dtype).max
        raise RuntimeError(f"lambda must be in range [0, {hi:.6g}] for input dtype "
                           f"{x.dtype._legacy}, but found {lambd}")
    return float(lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""
    x = _check(input, "softshrink_check")
    return _softshrink(x, _lambd(lambd, x))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return _hardshrink(_check(input, "hardshrink_cpu"), float(lambd))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    x = to_tensor(input, "input")
    return x - x.tanh()


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    x = to_tensor(input, "input")
    return x / (x.abs() + 1)


def sigmoid(input: Tensor) -> Tensor:
    return to_tensor(input, "input").sigmoid()


def tanh(input: Tensor) -> Tensor:
    return to_tensor(input, "input").tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    return _softplus(_check(input, "softplus_cpu"), float(beta), float(threshold))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed stably."""
    return _logsigmoid(_check(input, "log_sigmoid_cpu"))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of the input along `dim`."""
    x = to_tensor(input, "input")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = x._wrap_dim(dim)
    size = x.shape[d]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    xd = x._data
    a, b = np.split(xd, 2, axis=d)
    return record(Glu, (a * _sigmoid(b)).astype(xd.dtype, copy=False), (x,), x=x, dim=d)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    return to_tensor(input, "input").softmax(dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(-x) along `dim`."""
    x = to_tensor(input, "input")
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning, stacklevel=_stacklevel)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return (-x).softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    return to_tensor(input, "input").log_softmax(dim, dtype=dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + Gumbel noise) / tau) along `dim`, a sample from the relaxed
    categorical; `hard=True` returns the one-hot of its argmax in the forward pass with the
    soft sample's gradient (straight-through). The noise is PyTorch's: -log of `exponential_()`
from the default generator."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    x = to_tensor(logits, "logits")
    gumbels = -autograd.empty(x.shape, dtype=x.dtype).exponential_().log()   # PyTorch's draws
    y_soft = ((x + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    y = y_soft._data
    if y.ndim == 0:
        hard_np = np.ones((), y.dtype)
    else:
        d = y_soft._wrap_dim(dim)
        hard_np = np.zeros(y.shape, y.dtype)
        np.put_along_axis(hard_np, np.expand_dims(np.argmax(y, axis=d), d), 1.0, axis=d)
    return (_make(hard_np) - y_soft.detach()) + y_soft


def _rrelu_slopes(x: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """PyTorch's rrelu_with_noise noise: for each element <= 0, in memory order, a slope
    from uniform_real_distribution<double>(lower, upper) on the default generator (the
    bounds first rounded to the input's precision); 1 elsewhere."""
    t = x.dtype.type
    lo, hi = float(t(lower)), float(t(upper))
    neg = x.ravel() <= 0
    noise = np.ones(x.size, x.dtype)
    u = _double_uniform01(_gen(None), int(np.count_nonzero(neg)))
    noise[neg] = u * (hi - lo) + lo
    return noise.reshape(x.shape)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: x if x > 0 else a * x, with a drawn from U(lower, upper) for
    each element in training, and a = (lower + upper) / 2 in evaluation."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    x = _check(input, "rrelu_with_noise_out_cpu")
    if not training:
        return leaky_relu(x, (lower + upper) / 2, inplace)
    noise = autograd.from_numpy(_rrelu_slopes(x._data, lower, upper))
    src = x._alias_for_inplace() if inplace else x
    return _maybe_inplace(x, src * noise, inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place rrelu."""
    return rrelu(input, lower, upper, training, True)
