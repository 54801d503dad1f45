"""Convolutions (`conv1d`, `conv2d`) as one differentiable primitive, ConvolutionBackward0.

The forward is im2col by `sliding_window_view` and one matmul. The backward is written
with the primitive itself: the input gradient is a convolution of the stride-dilated,
padded upstream gradient with the flipped, channel-swapped weight (a transposed
convolution), and the weight gradient is a convolution of the input with the upstream
gradient as kernel (stride and dilation swap roles). Both record graphs under
`create_graph=True`, so convolutions are differentiable any number of times.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import autograd as ag
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
    """(N, C, OH, OW, kh, kw) view of the windows of an already padded (N, C, H, W) array."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = k, stride, dilation, out
    win = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return win[:, :, :(oh - 1) * sh + 1:sh, :(ow - 1) * sw + 1:sw, ::dh, ::dw]


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


def _conv_forward(x: np.ndarray, w: np.ndarray, stride, pads, dilation, groups) -> np.ndarray:
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = _out_size(h, pads[0], pads[1], dilation[0], kh, stride[0])
    ow = _out_size(wd, pads[2], pads[3], dilation[1], kw, stride[1])
    xp = _pad_array(x, pads)
    if kh == 1 and kw == 1 and stride == (1, 1):
        cols = xp.reshape(n, groups, cg, oh * ow)          # a 1x1 conv needs no im2col
    else:
        win = _windows(xp, (kh, kw), stride, dilation, (oh, ow))   # (N, C, OH, OW, kh, kw)
        win = win.reshape(n, groups, cg, oh, ow, kh, kw).transpose(0, 1, 2, 5, 6, 3, 4)
        cols = win.reshape(n, groups, cg * kh * kw, oh * ow)
    wm = w.reshape(groups, o // groups, cg * kh * kw)
    if groups == 1:
        # one (O, K) @ (K, N*P) product: a single large GEMM
        big = cols[:, 0].transpose(1, 0, 2).reshape(cg * kh * kw, n * oh * ow)
        out = (wm[0] @ big).reshape(o, n, oh, ow).transpose(1, 0, 2, 3)
        return np.ascontiguousarray(out)
    out = np.matmul(wm, cols)                                  # (N, G, O/G, P)
    return out.reshape(n, o, oh, ow)


# ---------------------------------------------------------------------------------------
# the primitive and its backward in Tensor ops


class ConvolutionBackward0(Node):
    """Gradients of a 1-D/2-D convolution with respect to input, weight and bias."""

    def backward(self, g):
        x, w = self.saved()
        if self.one_d:
            g, x, w = g.unsqueeze(2), x.unsqueeze(2), w.unsqueeze(2)
        need = [e[0] is not None for e in self.next_functions]
        gx = gw = gb = None
        if need[0]:
            gx = _input_grad(g, w, tuple(x.shape), self.stride, self.pads, self.dilation,
                             self.groups)
        if need[1]:
            gw = _weight_grad(g, x, tuple(w.shape), self.stride, self.pads, self.dilation,
                              self.groups)
        if self.has_bias and need[2]:
            gb = g.sum((0, 2, 3))
        if self.one_d:
            gx = None if gx is None else gx.squeeze(2)
            gw = None if gw is None else gw.squeeze(2)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def _convolution(x: Tensor, w: Tensor, b: Tensor | None, stride: tuple, pads: tuple,
                 dilation: tuple, groups: int, one_d: bool = False) -> Tensor:
    """The primitive on 4-D tensors (3-D with one_d): no argument checking."""
    xd, wd = x._data, w._data
    if one_d:
        xd, wd = xd[:, :, None], wd[:, :, None]
    out = _conv_forward(xd, wd, stride, pads, dilation, groups)
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
    n.save(x, w)
    return _make(out, n)


def _dilate(g: Tensor, stride: tuple) -> Tensor:
    """Insert stride-1 zeros after every row/column of g (N, C, H, W); trailing zeros kept."""
    n, c, h, w = g.shape
    sh, sw = stride
    if sh > 1:
        g = ag.pad(g.unsqueeze(3), (0, 0, 0, sh - 1)).reshape(n, c, h * sh, w)
    if sw > 1:
        g = ag.pad(g.unsqueeze(4), (0, sw - 1)).reshape(n, c, g.shape[2], w * sw)
    return g


def _input_grad(g: Tensor, w: Tensor, x_shape: tuple, stride, pads, dilation,
                groups: int) -> Tensor:
    """d(conv)/d(input) applied to g: a transposed convolution, as a convolution."""
    _, _, oh, ow = g.shape
    _, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    (sh, sw), (dh, dw), (pt, pb, pl, pr) = stride, dilation, pads
    extra_h = h + pt + pb - ((oh - 1) * sh + 1 + dh * (kh - 1))
    extra_w = wd + pl + pr - ((ow - 1) * sw + 1 + dw * (kw - 1))
    g = _dilate(g, stride)
    g = ag.pad(g, (dw * (kw - 1) - pl, dw * (kw - 1) - pr + extra_w - (sw - 1),
                   dh * (kh - 1) - pt, dh * (kh - 1) - pb + extra_h - (sh - 1)))
    og = o // groups
    wt = w.reshape(groups, og, cg, kh, kw).transpose(1, 2).reshape(c, og, kh, kw).flip(2, 3)
    return _convolution(g, wt, None, (1, 1), (0, 0, 0, 0), dilation, groups)


def _weight_grad(g: Tensor, x: Tensor, w_shape: tuple, stride, pads, dilation,
                 groups: int) -> Tensor:
    """d(conv)/d(weight) applied to g: the input convolved with g as the kernel."""
    n, _, oh, ow = g.shape
    _, c, h, wd = x.shape
    o, cg, kh, kw = w_shape
    (sh, sw), (dh, dw), (pt, pb, pl, pr) = stride, dilation, pads
    extra_h = h + pt + pb - ((oh - 1) * sh + 1 + dh * (kh - 1))
    extra_w = wd + pl + pr - ((ow - 1) * sw + 1 + dw * (kw - 1))
    xp = ag.pad(x, (pl, pr - extra_w, pt, pb - extra_h))
    hq, wq = xp.shape[2], xp.shape[3]
    og = o // groups
    xp = xp.reshape(n, groups, cg, hq, wq).permute(2, 1, 0, 3, 4).reshape(cg, groups * n, hq, wq)
    gk = g.reshape(n, groups, og, oh, ow).permute(1, 2, 0, 3, 4).reshape(o, n, oh, ow)
    out = _convolution(xp, gk, None, dilation, (0, 0, 0, 0), stride, groups)  # (Cg, O, kh, kw)
    return out.transpose(0, 1)


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
