"""Converters of matmul and linear, and of nn.functional's layers: convolution, pooling,
normalisation, embedding, dropout and the activations that ONNX has (or composes)."""

from __future__ import annotations

import math

import numpy as np

from nn.functional import activation as A
from nn.functional import conv as C
from nn.functional import normalization as N
from nn.functional import pooling as PL
from nn.functional import sparse as SP
from nn.functional.dropout import dropout as _dropout_fn

from ..ops import linalg as L
from ..tensor import Tensor
from .graph import Graph, converts
from .reduction import reduce
from .shape import slice_

# ---- matmul, linear -------------------------------------------------------------------------
converts(L.matmul)(lambda g, a, b: g.op("MatMul", g.v(a), g.v(b)))


@converts(L.linear)
def _linear(g: Graph, x: Tensor, weight: Tensor, bias: Tensor | None = None) -> str:
    if x.ndim == 2 and weight.ndim == 2 and (bias is None or bias.ndim == 1):
        return g.op("Gemm", g.v(x), g.v(weight), None if bias is None else g.v(bias), transB=1)
    y = g.op("MatMul", g.v(x), g.op("Transpose", g.v(weight), perm=[1, 0]))
    return y if bias is None else g.op("Add", y, g.v(bias))


# ---- convolution and pooling -----------------------------------------------------------------
def _unbatched(g: Graph, x: Tensor, nd: int, body) -> str:
    """Run `body(value) -> value` on a batch of one if x has no batch dim."""
    if x.ndim == nd + 1:
        y = body(g.op("Unsqueeze", g.v(x), g.ints([0])))
        return g.op("Squeeze", y, g.ints([0]))
    return body(g.v(x))


def _conv(nd: int):
    def conv(g: Graph, input, weight, bias=None, stride=1, padding=0, dilation=1,
             groups: int = 1) -> str:
        op = f"conv{nd}d"
        k = tuple(weight.shape[2:])
        stride = C._tuple(stride, nd, "stride", op)
        dilation = C._tuple(dilation, nd, "dilation", op)
        pads = C._resolve_padding(padding, k, stride, dilation, op)
        onnx_pads = [lo for lo, _ in pads] + [hi for _, hi in pads]
        return _unbatched(g, input, nd, lambda v: g.op(
            "Conv", v, g.v(weight), None if bias is None else g.v(bias), kernel_shape=list(k),
            strides=list(stride), pads=onnx_pads, dilations=list(dilation), group=groups))
    return conv


converts(C.conv1d)(_conv(1))
converts(C.conv2d)(_conv(2))
converts(C.conv3d)(_conv(3))


def _conv_transpose(nd: int):
    def conv(g: Graph, input, weight, bias=None, stride=1, padding=0, output_padding=0,
             groups: int = 1, dilation=1) -> str:
        op = f"conv_transpose{nd}d"
        k = tuple(weight.shape[2:])
        stride = C._tuple(stride, nd, "stride", op)
        dilation = C._tuple(dilation, nd, "dilation", op)
        pad = C._tuple(padding, nd, "padding", op)
        extra = C._tuple(output_padding, nd, "output_padding", op)
        if all(p >= e for p, e in zip(pad, extra)):   # the extra rows: less cropping at the end
            pads, extra = list(pad) + [p - e for p, e in zip(pad, extra)], (0,) * nd
        else:
            pads = list(pad) * 2
        return _unbatched(g, input, nd, lambda v: g.op(
            "ConvTranspose", v, g.v(weight), None if bias is None else g.v(bias),
            kernel_shape=list(k), strides=list(stride), pads=pads, dilations=list(dilation),
            group=groups, output_padding=list(extra)))
    return conv


for _nd in (1, 2, 3):   # (with the transposed convolutions)
    _fn = getattr(C, f"conv_transpose{_nd}d", None)
    if _fn is not None:
        converts(_fn)(_conv_transpose(_nd))


def _pool_attrs(x, kernel_size, stride, padding, dilation, ceil_mode, op: str, nd: int) -> dict:
    k, s, p, d, _ = PL._pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, op, nd)
    return dict(kernel_shape=list(k), strides=list(s), pads=list(p) * 2,
                ceil_mode=int(ceil_mode), dilations=list(d))


def _max_pool(nd: int):
    def max_pool(g: Graph, input, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode: bool = False, return_indices: bool = False) -> str:
        attrs = _pool_attrs(input, kernel_size, stride, padding, dilation, ceil_mode,
                            f"max_pool{nd}d", nd)
        return _unbatched(g, input, nd, lambda v: g.op("MaxPool", v, **attrs))
    return max_pool


def _avg_pool(nd: int):
    def avg_pool(g: Graph, input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None) -> str:
        attrs = _pool_attrs(input, kernel_size, stride, padding, 1, ceil_mode,
                            f"avg_pool{nd}d", nd)
        del attrs["dilations"]   # (AveragePool has them only from opset 19)
        if divisor_override is not None:
            count_include_pad = True

        def body(v):
            y = g.op("AveragePool", v, count_include_pad=int(count_include_pad), **attrs)
            if divisor_override is not None:
                y = g.op("Mul", y, g.scalar(math.prod(attrs["kernel_shape"]) / divisor_override,
                                            input._data.dtype))
            return y
        return _unbatched(g, input, nd, body)
    return avg_pool


for _nd in (2, 3):
    converts(getattr(PL, f"max_pool{_nd}d"),
             accepts=lambda *a, **k: not (k.get("return_indices") or (len(a) > 6 and a[6])))(
        _max_pool(_nd))
    converts(getattr(PL, f"avg_pool{_nd}d"))(_avg_pool(_nd))


def _is_global(output_size) -> bool:
    sizes = [output_size] if isinstance(output_size, int) else list(output_size)
    return all(s == 1 for s in sizes)


def _adaptive_sizes(g: Graph, x, nd: int) -> tuple:
    """(input sizes, output sizes) of the pooled dims, which must not be dynamic."""
    dims = g.dims(x)[-nd:]
    if any(type(d) is not int for d in dims):
        raise g.unsupported(why="adaptive pooling of a dynamic size to other than 1")
    return tuple(dims), tuple(g.out.shape[-nd:])


@converts(PL.adaptive_avg_pool2d)
def _adaptive_avg_pool2d(g: Graph, input, output_size) -> str:
    if _is_global(output_size):
        return _unbatched(g, input, 2, lambda v: g.op("GlobalAveragePool", v))
    (h, w), (oh, ow) = _adaptive_sizes(g, input, 2)
    d = input._data.dtype
    ah = g.const(PL._adaptive_matrix(h, oh, d))           # (oh, h): averaging rows
    aw = g.const(PL._adaptive_matrix(w, ow, d).T.copy())  # (w, ow)
    return g.op("MatMul", g.op("MatMul", ah, g.v(input)), aw)


@converts(PL.adaptive_avg_pool1d, accepts=lambda input, output_size: _is_global(output_size))
def _global_avg_pool1d(g: Graph, input, output_size) -> str:
    return _unbatched(g, input, 1, lambda v: g.op("GlobalAveragePool", v))


def _adaptive_by_slices(g: Graph, input, nd: int, reducer: str) -> str:
    """Adaptive pooling one dim at a time: window i of a dim spans floor(i*size/out) ..
    ceil((i+1)*size/out); the max (or mean) of a box is the max (mean) along each dim."""
    v = g.v(input)
    for i, (size, out) in enumerate(zip(*_adaptive_sizes(g, input, nd))):
        axis = input.ndim - nd + i
        parts = [reduce(g, reducer, slice_(g, v, [axis], [j * size // out],
                                           [-(-(j + 1) * size // out)]), [axis], True)
                 for j in range(out)]
        v = g.op("Concat", *parts, axis=axis) if len(parts) > 1 else parts[0]
    return v


def _adaptive_max_pool(nd: int):
    def adaptive_max_pool(g: Graph, input, output_size, return_indices=False) -> str:
        if _is_global(output_size):
            return _unbatched(g, input, nd, lambda v: g.op("GlobalMaxPool", v))
        sizes, outs = _adaptive_sizes(g, input, nd)
        if all(s % o == 0 for s, o in zip(sizes, outs)):
            k = [s // o for s, o in zip(sizes, outs)]
            return _unbatched(g, input, nd, lambda v: g.op("MaxPool", v, kernel_shape=k,
                                                            strides=k))
        return _adaptive_by_slices(g, input, nd, "ReduceMax")
    return adaptive_max_pool


for _nd in (2, 3):
    converts(getattr(PL, f"adaptive_max_pool{_nd}d"),
             accepts=lambda input, output_size, return_indices=False: not return_indices)(
        _adaptive_max_pool(_nd))


@converts(PL.adaptive_avg_pool3d)
def _adaptive_avg_pool3d(g: Graph, input, output_size) -> str:
    if _is_global(output_size):
        return _unbatched(g, input, 3, lambda v: g.op("GlobalAveragePool", v))
    return _adaptive_by_slices(g, input, 3, "ReduceMean")


# ---- normalisation ---------------------------------------------------------------------------
def _affine(g: Graph, y: str, weight, bias, shape: list) -> str:
    """y * weight + bias with both reshaped to `shape` (either may be None)."""
    if weight is not None:
        y = g.op("Mul", y, g.op("Reshape", g.v(weight), g.ints(shape)))
    if bias is not None:
        y = g.op("Add", y, g.op("Reshape", g.v(bias), g.ints(shape)))
    return y


def normalize(g: Graph, v: str, axes: list, eps: float, dtype) -> str:
    """(v - mean) / sqrt(var + eps) over `axes` (biased variance)."""
    centred = g.op("Sub", v, reduce(g, "ReduceMean", v, axes, True))
    var = reduce(g, "ReduceMean", g.op("Mul", centred, centred), axes, True)
    return g.op("Div", centred, g.op("Sqrt", g.op("Add", var, g.scalar(eps, dtype))))


@converts(N.batch_norm)
def _batch_norm(g: Graph, input, running_mean, running_var, weight=None, bias=None,
                training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> str:
    x = input
    c, d = x.shape[1], x._data.dtype
    if training:   # batch statistics (a BatchNorm without running statistics)
        y = normalize(g, g.v(x), [0] + list(range(2, x.ndim)), eps, d)
        return _affine(g, y, weight, bias, [1, c] + [1] * (x.ndim - 2))
    scale, shift = _ones_zeros(g, weight, bias, c, d)
    return g.op("BatchNormalization", g.v(x), scale, shift, g.vt(running_mean, d),
                g.vt(running_var, d), epsilon=eps)


@converts(N.layer_norm)
def _layer_norm(g: Graph, input, normalized_shape, weight=None, bias=None,
                eps: float = 1e-5) -> str:
    x = input
    k = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    d = x._data.dtype
    if g.opset >= 17:
        ns = list(x.shape[x.ndim - k:])
        scale = g.v(weight) if weight is not None else g.const(np.ones(ns, d))
        return g.op("LayerNormalization", g.v(x), scale, None if bias is None else g.v(bias),
                    axis=-k, epsilon=eps)
    y = normalize(g, g.v(x), list(range(x.ndim - k, x.ndim)), eps, d)
    return _affine(g, y, weight, bias, list(x.shape[x.ndim - k:]))


def _ones_zeros(g: Graph, weight, bias, c: int, d) -> tuple:
    """(scale, shift) values: the weights, or ones and zeros of size c."""
    return (g.v(weight) if weight is not None else g.const(np.ones(c, d)),
            g.v(bias) if bias is not None else g.const(np.zeros(c, d)))


_group_norm = getattr(N, "group_norm", None)
if _group_norm is not None:
    @converts(_group_norm)
    def _group_norm_conv(g: Graph, input, num_groups: int, weight=None, bias=None,
                         eps: float = 1e-5) -> str:
        x = input
        grouped = g.op("Reshape", g.v(x), g.ints([0, int(num_groups), -1]))
        y = normalize(g, grouped, [2], eps, x._data.dtype)
        y = g.op("Reshape", y, g.op("Shape", g.v(x)))
        return _affine(g, y, weight, bias, [1, x.shape[1]] + [1] * (x.ndim - 2))

_instance_norm = getattr(N, "instance_norm", None)
if _instance_norm is not None:
    @converts(_instance_norm, accepts=lambda input, *a, **k: input.ndim >= 3)
    def _instance_norm_conv(g: Graph, input, running_mean=None, running_var=None, weight=None,
                            bias=None, use_input_stats: bool = True, momentum: float = 0.1,
                            eps: float = 1e-5) -> str:
        x = input
        d = x._data.dtype
        scale, shift = _ones_zeros(g, weight, bias, x.shape[1], d)
        if use_input_stats:
            return g.op("InstanceNormalization", g.v(x), scale, shift, epsilon=eps)
        return g.op("BatchNormalization", g.v(x), scale, shift, g.vt(running_mean, d),
                    g.vt(running_var, d), epsilon=eps)

_lrn = getattr(N, "local_response_norm", None)
if _lrn is not None:
    @converts(_lrn, accepts=lambda input, *a, **k: input.ndim >= 3)
    def _lrn_conv(g: Graph, input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                  k: float = 1.0) -> str:
        """x / (k + alpha * mean of x^2 over `size` channels)^beta, the window placed as
        PyTorch places it (ONNX's LRN centres even windows the other way)."""
        x, size = input, int(size)
        d, rest = x._data.dtype, [0] * (x.ndim - 2)
        v = g.v(x)
        squares = g.op("Unsqueeze", g.op("Mul", v, v), g.ints([1]))   # (N, 1, C, ...)
        mean = g.op("AveragePool", squares, kernel_shape=[size] + [1] * len(rest),
                    pads=[size // 2] + rest + [(size - 1) // 2] + rest, count_include_pad=1)
        scaled = g.op("Add", g.op("Mul", g.op("Squeeze", mean, g.ints([1])),
                                  g.scalar(alpha, d)), g.scalar(k, d))
        return g.op("Div", v, g.op("Pow", scaled, g.scalar(beta, d)))


# ---- embedding, dropout ----------------------------------------------------------------------
@converts(SP.embedding, accepts=lambda input, weight, padding_idx=None, max_norm=None, *a, **k:
          max_norm is None)
def _embedding(g: Graph, input, weight, *args, **kwargs) -> str:
    return g.op("Gather", g.v(weight), g.vt(input, np.int64), axis=0)


@converts(_dropout_fn)
def _dropout(g: Graph, input, p: float = 0.5, training: bool = True, inplace: bool = False):
    if training and p > 0:
        raise g.unsupported(why="dropout in training mode (export the model in eval mode, "
                                "as export does by default)")
    return g.op("Identity", g.v(input))


# ---- activations -----------------------------------------------------------------------------
def float_op(build):
    """A converter for an activation `build(g, value, k) -> value`, `k(number)` making a
    constant of the input's dtype; extra arguments are passed after k."""
    def conv(g: Graph, input, *args, **kwargs) -> str:
        d = input._data.dtype
        return build(g, g.v(input), lambda c: g.scalar(c, d), *args, **kwargs)
    return conv


converts(A.leaky_relu)(float_op(lambda g, v, k, negative_slope=0.01, inplace=False: g.op(
    "LeakyRelu", v, alpha=float(negative_slope))))
converts(A.elu)(float_op(lambda g, v, k, alpha=1.0, inplace=False: g.op(
    "Elu", v, alpha=float(alpha))))
converts(A.silu)(float_op(lambda g, v, k, inplace=False: g.op("Mul", v, g.op("Sigmoid", v))))
converts(A.logsigmoid)(float_op(lambda g, v, k: g.op("Neg", g.op("Softplus", g.op("Neg", v)))))


def _gelu(g: Graph, v: str, k, approximate: str = "none") -> str:
    if g.opset >= 20:
        return g.op("Gelu", v, approximate=approximate)
    half_x = g.op("Mul", v, k(0.5))
    if approximate == "tanh":
        inner = g.op("Mul", g.op("Add", v, g.op("Mul", g.op("Mul", g.op("Mul", v, v), v),
                                                 k(0.044715))), k(math.sqrt(2.0 / math.pi)))
        return g.op("Mul", half_x, g.op("Add", g.op("Tanh", inner), k(1.0)))
    return g.op("Mul", half_x, g.op("Add", g.op("Erf", g.op("Mul", v, k(1 / math.sqrt(2.0)))),
                                    k(1.0)))


converts(A.gelu)(float_op(_gelu))


def _softplus(g: Graph, v: str, k, beta: float = 1.0, threshold: float = 20.0) -> str:
    bx = g.op("Mul", v, k(beta)) if beta != 1 else v
    soft = g.op("Softplus", bx)
    if beta != 1:
        soft = g.op("Div", soft, k(beta))
    return g.op("Where", g.op("Greater", bx, k(threshold)), v, soft)


converts(A.softplus)(float_op(_softplus))
