"""Convolutions (`conv1d`, `conv2d`): a differentiable primitive, ConvolutionBackward0.

Three numpy kernels, each one matmul: the forward y = conv(x, w) (im2col by
a strided window view, one copy), the input gradient dx = A_w^T g (w^T @ g, then col2im
by adding each kernel tap's columns back, a loop over the kh*kw taps) and the weight
gradient dw = B_x^T g (g @ im2col(x)^T). As y is bilinear in (x, w), each of the three is
the backward of the others: the nodes of dx and dw differentiate themselves with conv,
dx and dw again, so convolutions are differentiable any number of times
(`create_graph=True`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd.function import Node
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

__all__ = ["conv1d", "conv2d"]


def _tuple(v, n: int, name: str, op: str) -> tuple:
    """An int or a length-n sequence of ints, as a tuple of n ints."""
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                           f"{n} values to match the convolution dimensions, but got "
                           f"{name}={list(v)}")
    return v


# ---------------------------------------------------------------------------------------
# numpy forward


def _windows(xp: np.ndarray, k: tuple, stride: tuple, dilation: tuple, out: tuple):
    """(N, C, OH, OW, kh, kw) read-only view of the windows of a padded (N, C, H, W) array."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = k, stride, dilation, out
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (xp.shape[0], xp.shape[1], oh, ow, kh, kw),
                      (s0, s1, s2 * sh, s3 * sw, s2 * dh, s3 * dw), writeable=False)


def _pad_array(x: np.ndarray, pads: tuple, value=0) -> np.ndarray:
    """Pad the last two dims by (top, bottom, left, right) with `value`."""
    pt, pb, pl, pr = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + pt + pb, w + pl + pr), value, dtype=x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _out_size(size: int, lo: int, hi: int, d: int, k: int, s: int) -> int:
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _cols(xp: np.ndarray, k: tuple, stride: tuple, dilation: tuple, out: tuple,
          groups: int) -> np.ndarray:
    """im2col of a padded (N, C, H, W) array: (G, C/G * kh * kw, N * OH * OW), copied with
    the output column (OW) innermost so that the copy runs along memory."""
    n, c = xp.shape[:2]
    kh, kw = k
    oh, ow = out
    if kh == 1 and kw == 1 and stride == (1, 1):
        cols = xp[:, :, :oh, :ow].transpose(1, 0, 2, 3)
    else:
        cols = _windows(xp, k, stride, dilation, out).transpose(1, 4, 5, 0, 2, 3)
    return cols.reshape(groups, (c // groups) * kh * kw, n * oh * ow)


def _geometry(x_shape: tuple, w_shape: tuple, stride, pads, dilation) -> tuple:
    oh = _out_size(x_shape[2], pads[0], pads[1], dilation[0], w_shape[2], stride[0])
    ow = _out_size(x_shape[3], pads[2], pads[3], dilation[1], w_shape[3], stride[1])
    return oh, ow


def _conv_np(x: np.ndarray, w: np.ndarray, stride, pads, dilation, groups) -> tuple:
    """y = conv(x, w): one (G, O/G, K) @ (G, K, N*P) product. Returns (y, im2col of x)."""
    n = x.shape[0]
    o = w.shape[0]
    oh, ow = _geometry(x.shape, w.shape, stride, pads, dilation)
    cols = _cols(_pad_array(x, pads), w.shape[2:], stride, dilation, (oh, ow), groups)
    out = np.matmul(w.reshape(groups, o // groups, -1), cols)       # (G, O/G, N*P)
    return np.ascontiguousarray(out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)), cols


def _weight_grad_np(g: np.ndarray, x: np.ndarray, w_shape: tuple, stride, pads, dilation,
                    groups, cols: np.ndarray | None = None) -> np.ndarray:
    """dL/dw = g (G, O/G, N*P) @ cols(x).T: one product (cols: the forward's im2col)."""
    n, o, oh, ow = g.shape
    if cols is None:
        cols = _cols(_pad_array(x, pads), w_shape[2:], stride, dilation, (oh, ow), groups)
    gm = g.transpose(1, 0, 2, 3).reshape(groups, o // groups, n * oh * ow)
    return np.matmul(gm, cols.transpose(0, 2, 1)).reshape(w_shape)


def _input_grad_np(g: np.ndarray, w: np.ndarray, x_shape: tuple, stride, pads, dilation,
                   groups) -> np.ndarray:
    """dL/dx = col2im(w.T @ g): one product, then each kernel tap's columns are added back
    at their strided positions (a loop over the kh*kw taps, vectorised over pixels)."""
    n, o, oh, ow = g.shape
    _, c, h, wd = x_shape
    _, cg, kh, kw = w.shape
    (sh, sw), (dh, dw), (pt, pb, pl, pr) = stride, dilation, pads
    # batch innermost: each tap's add then runs over long contiguous rows
    gm = g.transpose(1, 2, 3, 0).reshape(groups, o // groups, oh * ow * n)
    wm = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)
    dcols = np.matmul(wm, gm).reshape(c, kh, kw, oh, ow, n)
    dxp = np.zeros((c, h + pt + pb, wd + pl + pr, n), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += dcols[:, i, j]
    return np.ascontiguousarray(dxp[:, pt:pt + h, pl:pl + wd].transpose(3, 0, 1, 2))


# ---------------------------------------------------------------------------------------
# three primitives, each differentiated with the other two: y = conv(x, w) is bilinear,
# dx = conv_input_grad(g, w) = A_w^T g and dw = conv_weight_grad(g, x) = B_x^T g


class ConvolutionBackward0(Node):
    """Gradients of a 1-D/2-D convolution with respect to input, weight and bias."""

    cols = None
    _plain = False   # release() also drops the forward's im2col: not inlined by the engine

    def release(self) -> None:
        super().release()
        self.cols = None

    def backward(self, g):
        x, w = self.saved()
        if self.one_d:
            g, x, w = g.unsqueeze(2), x.unsqueeze(2), w.unsqueeze(2)
        need = [e[0] is not None for e in self.next_functions]
        geo = (self.stride, self.pads, self.dilation, self.groups)
        gx = _input_grad(g, w, tuple(x.shape), *geo) if need[0] else None
        gw = _weight_grad(g, x, tuple(w.shape), *geo, cols=self.cols) if need[1] else None
        gb = g.sum((0, 2, 3)) if self.has_bias and need[2] else None
        if self.one_d:
            gx = None if gx is None else gx.squeeze(2)
            gw = None if gw is None else gw.squeeze(2)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvolutionBackwardBackward0(Node):
    """Backward of the input gradient dx(g, w) of a convolution."""

    def backward(self, gg):
        g, w = self.saved()
        need = [e[0] is not None for e in self.next_functions]
        geo = (self.stride, self.pads, self.dilation, self.groups)
        return (_convolution(gg, w, None, *geo) if need[0] else None,
                _weight_grad(g, gg, tuple(w.shape), *geo) if need[1] else None)


class ConvolutionWeightBackwardBackward0(Node):
    """Backward of the weight gradient dw(g, x) of a convolution."""

    def backward(self, gg):
        g, x = self.saved()
        need = [e[0] is not None for e in self.next_functions]
        geo = (self.stride, self.pads, self.dilation, self.groups)
        return (_convolution(x, gg, None, *geo) if need[0] else None,
                _input_grad(g, gg, tuple(x.shape), *geo) if need[1] else None)


def _record(cls, out: np.ndarray, a: Tensor, b: Tensor, stride, pads, dilation, groups):
    if not needs_graph(a, b):
        return _make(out)
    n = cls((a, b))
    n.stride, n.pads, n.dilation, n.groups = stride, pads, dilation, groups
    n.save(a, b)
    return _make(out, n)


def _input_grad(g: Tensor, w: Tensor, x_shape: tuple, stride, pads, dilation,
                groups: int) -> Tensor:
    out = _input_grad_np(g._data, w._data, x_shape, stride, pads, dilation, groups)
    return _record(ConvolutionBackwardBackward0, out, g, w, stride, pads, dilation, groups)


def _weight_grad(g: Tensor, x: Tensor, w_shape: tuple, stride, pads, dilation,
                 groups: int, cols: np.ndarray | None = None) -> Tensor:
    out = _weight_grad_np(g._data, x._data, w_shape, stride, pads, dilation, groups, cols)
    return _record(ConvolutionWeightBackwardBackward0, out, g, x, stride, pads, dilation,
                   groups)


def _convolution(x: Tensor, w: Tensor, b: Tensor | None, stride: tuple, pads: tuple,
                 dilation: tuple, groups: int, one_d: bool = False) -> Tensor:
    """The primitive on 4-D tensors (3-D with one_d): no argument checking."""
    xd, wd = x._data, w._data
    if one_d:
        xd, wd = xd[:, :, None], wd[:, :, None]
    out, cols = _conv_np(xd, wd, stride, pads, dilation, groups)
    if b is not None:
        out += b._data.reshape(-1, 1, 1)
    if one_d:
        out = out[:, :, 0]
    tensors = (x, w) if b is None else (x, w, b)
    if not needs_graph(*tensors):
        return _make(out)
    n = ConvolutionBackward0(tensors)
    n.stride, n.pads, n.dilation, n.groups = stride, pads, dilation, groups
    n.one_d, n.has_bias = one_d, b is not None
    # keep the im2col for the weight gradient (valid while x is unchanged: save() checks)
    n.cols = cols if w._rg and not one_d else None
    n.save(x, w)
    return _make(out, n)


# ---------------------------------------------------------------------------------------
# public functions


def _check(x: Tensor, w: Tensor, b: Tensor | None, nd: int, groups: int, op: str) -> None:
    if not isinstance(x, Tensor) or not isinstance(w, Tensor):
        raise TypeError(f"{op}(): input and weight must be Tensors, got {type(x).__name__} and "
                        f"{type(w).__name__}")
    if w.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected a {nd + 2}-D weight (out_channels, "
                           f"in_channels/groups, kernel...), got weight of size {list(w.shape)}")
    if x.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, "
                           f"but got input of size: {list(x.shape)}")
    if x.dtype != w.dtype or (b is not None and b.dtype != w.dtype):
        bd = "" if b is None else f", bias {b.dtype}"
        raise RuntimeError(f"{op}: input ({x.dtype}), weight ({w.dtype}){bd} should have the "
                           "same dtype")
    if w._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {x.dtype}")
    if groups < 1:
        raise RuntimeError(f"non-positive groups is not supported (got groups={groups})")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w.shape)}] instead")
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {w.shape[1] * groups} channels, but "
                           f"got {x.shape[1]} channels instead")
    if b is not None and tuple(b.shape) != (w.shape[0],):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be "
                           f"1-dimensional with {w.shape[0]} elements, but got bias of size "
                           f"{list(b.shape)} instead")


def _resolve_padding(padding, k: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """Per spatial dim (lo, hi) padding from an int, a tuple, 'valid' or 'same'."""
    nd = len(k)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            out = []
            for kk, d in zip(k, dilation):
                total = d * (kk - 1)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    p = _tuple(padding, nd, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    return tuple((v, v) for v in p)


def _conv(x, weight, bias, stride, padding, dilation, groups, nd: int, op: str) -> Tensor:
    unbatched = isinstance(x, Tensor) and x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    _check(x, weight, bias, nd, groups, op)
    k = tuple(weight.shape[2:])
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    if any(s < 1 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 1 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    pad = _resolve_padding(padding, k, stride, dilation, op)
    sizes = tuple(x.shape[2:])
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(sizes, pad))
    eff = tuple(d * (kk - 1) + 1 for d, kk in zip(dilation, k))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           "actual input size")
    if nd == 1:
        out = _convolution(x, weight, bias, (1, stride[0]), (0, 0) + pad[0], (1, dilation[0]),
                           groups, one_d=True)
    else:
        out = _convolution(x, weight, bias, stride, pad[0] + pad[1], dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of input (N, C, H, W) or (C, H, W) with weight
    (out_channels, C/groups, kh, kw); padding is an int, a pair, 'valid' or 'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of input (N, C, L) or (C, L) with weight (out, C/groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")
