"""Normalisation (nn.functional): batch_norm (NativeBatchNormBackward0), layer_norm
(NativeLayerNormBackward0), group_norm (NativeGroupNormBackward0), and the composites
instance_norm (batch norm of the (1, N*C, *) view, as PyTorch does it), rms_norm and
local_response_norm.

The forward of the three primitives is numpy. Their backward recomputes the statistics
from the saved input in Tensor ops and applies the closed-form gradient, so under
`create_graph=True` the dependence of mean and variance on the input is differentiated
too.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd.function import Node
from autograd.grad_mode import no_grad
from autograd.ops.base import needs_graph
from autograd.ops.reduction import col_sum, row_sum
from autograd.tensor import Tensor, _make

from ._checks import require_tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm",
           "local_response_norm"]


def _wide(d: np.ndarray) -> np.ndarray:
    """float16 data as float32: normalisations compute in float32 and round the result
    once, as PyTorch does (in float16, the variance of values in the thousands is inf)."""
    return d.astype(np.float32) if d.dtype == np.float16 else d


def _norm_grads(node: Node, g, x, w, dims: tuple, wshape: tuple, stats: tuple | None,
                eps: float, pdims: tuple, gshape: tuple | None = None) -> tuple:
    """Gradients of y = (x - mean) / sqrt(var + eps) * w + b, statistics over `dims`,
    w and b broadcast over `pdims` (in float32 for float16 data). Written in what Tensors
    and arrays share, so that it runs on arrays when no graph is recorded.

    `stats` = (mean, invstd) arrays of fixed statistics (eval mode), else None: the batch
    statistics, recomputed from x. `gshape`: the statistics are taken over `dims` of x
    viewed in this shape (group norm's (N, groups, -1)).
    """
    tensor = isinstance(g, Tensor)
    if (x._data if tensor else x).dtype == np.float16:
        grads = _norm_grads(node, *[None if t is None else t.float() if tensor else
                                    t.astype(np.float32) for t in (g, x, w)],
                            dims, wshape, stats, eps, pdims, gshape)
        return tuple(None if t is None else t.half() if tensor else t.astype(np.float16)
                     for t in grads)
    need = [e[0] is not None for e in node.next_functions]
    xs = x if gshape is None else x.reshape(gshape)
    if stats is None:
        xc = xs - xs.mean(axis=dims, keepdims=True)
        invstd = ((xc * xc).mean(axis=dims, keepdims=True) + eps) ** -0.5
    else:
        xc = xs - (_make(stats[0]) if tensor else stats[0])
        invstd = _make(stats[1]) if tensor else stats[1]
    xhat = xc * invstd
    gx = gw = gb = None
    wd = None if w is None else w.reshape(wshape)
    if need[0]:
        gy = g if wd is None else g * wd
        if gshape is not None:
            gy = gy.reshape(gshape)
        if stats is None:
            gx = invstd * (gy - gy.mean(axis=dims, keepdims=True)
                           - xhat * (gy * xhat).mean(axis=dims, keepdims=True))
        else:
            gx = gy * invstd
        if gshape is not None:
            gx = gx.reshape(x.shape)
    if gshape is not None:
        xhat = xhat.reshape(x.shape)
    grads = [gx]
    psum = (lambda t: t.sum(pdims)) if pdims else (lambda t: t)   # (a Tensor's sum(()) is all)
    if w is not None:
        if need[1]:
            gw = psum(g * xhat).reshape(w.shape)
        grads.append(gw)
    if node.has_bias:
        if need[len(grads)]:
            gb = psum(g).reshape(w.shape if w is not None else node.bshape)
        grads.append(gb)
    return tuple(grads)


class _NormNode(Node):
    """A normalisation's node: one rule (`_grads`) for Tensors and, when no graph is
    recorded, arrays."""

    def backward(self, g):
        return self._grads(g, self.saved())

    def backward_fast(self, g):
        return self._grads(g, self.saved_data())


def _affine(cls: type, x: Tensor, out: np.ndarray, weight: Tensor | None,
            bias: Tensor | None, view: tuple, bshape: tuple, xhat: np.ndarray | None = None,
            **attrs) -> Tensor:
    """Scale and shift the normalised `out` (a fresh array) by weight and bias (viewed as
    `view`), and wrap it; when recording, a `cls` node keeps `attrs` and saves x (and the
    weight, and `xhat` if given: `out` itself, kept for a fused backward)."""
    if weight is not None:
        out = out * weight._data.reshape(view) if xhat is not None else \
            np.multiply(out, weight._data.reshape(view), out=out)
    if bias is not None:
        out = out + bias._data.reshape(view) if out is xhat else \
            np.add(out, bias._data.reshape(view), out=out)
    out = out.astype(x._data.dtype, copy=False)
    tensors = tuple(t for t in (x, weight, bias) if t is not None)
    if not needs_graph(*tensors):
        return _make(out)
    n = cls(tensors)
    for k, v in attrs.items():
        setattr(n, k, v)
    n.has_weight, n.has_bias, n.bshape = weight is not None, bias is not None, bshape
    n.save(*((x, weight) if weight is not None else (x,)),
           *(() if xhat is None else (_make(xhat),)))
    return _make(out, n)


# ---------------------------------------------------------------------------------------
# batch norm


class NativeBatchNormBackward0(_NormNode):
    def _grads(self, g, saved):
        w = saved[1] if self.has_weight else None
        return _norm_grads(self, g, saved[0], w, self.dims, self.wshape, self.stats, self.eps,
                           self.dims)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) of (N, C, *). Training: batch statistics (biased
    variance); the running statistics, if given, move by `momentum` towards the batch
    mean and the unbiased batch variance. Eval: the running statistics."""
    x = input
    require_tensor(x, "batch_norm", "input", 1)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of at least 2 dims (N, C, *), got "
                         f"input of size {list(x.shape)}")
    xd = x._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"batch_norm: expected a floating-point input, got {x.dtype}")
    c = xd.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    dims = (0,) + tuple(range(2, xd.ndim))
    count = xd.size // max(c, 1)
    if training and count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {x.shape!r}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    wshape = (1, c) + (1,) * (xd.ndim - 2)
    xd = _wide(xd)
    if training:
        mean = xd.mean(dims, keepdims=True)
        xc = xd - mean
        var = (xc * xc).mean(dims, keepdims=True)
        invstd = 1.0 / np.sqrt(var + eps)
        stats = None
        if training and running_mean is not None and running_var is not None:
            with no_grad():
                m = momentum
                running_mean.mul_(1 - m).add_(_make(mean.reshape(c).astype(
                    running_mean._data.dtype)) * m)
                unbiased = var.reshape(c) * (count / max(count - 1, 1))
                running_var.mul_(1 - m).add_(_make(unbiased.astype(
                    running_var._data.dtype)) * m)
    else:
        mean = running_mean._data.reshape(wshape).astype(xd.dtype)
        invstd = (1.0 / np.sqrt(running_var._data.reshape(wshape) + eps)).astype(xd.dtype)
        xc = xd - mean
        stats = (mean, invstd)
    return _affine(NativeBatchNormBackward0, x, xc * invstd, weight, bias, wshape, (c,),
                   dims=dims, wshape=wshape, stats=stats, eps=eps)


# ---------------------------------------------------------------------------------------
# layer norm


class NativeLayerNormBackward0(_NormNode):
    def _grads(self, g, saved):
        w = saved[1] if self.has_weight else None
        return _norm_grads(self, g, saved[0], w, self.dims, self.wshape, None, self.eps,
                           tuple(range(g.ndim - len(self.dims))))

    def backward_fast(self, g):
        """The fused backward on arrays, from the normalised input the forward saved (one
        (rows, cols) view; row sums as matrix-vector products)."""
        saved = self.saved_data()
        if saved[0].dtype == np.float16:
            return self._grads(g, saved)
        w, xhat = (saved[1] if self.has_weight else None), saved[-1]
        need = [e[0] is not None for e in self.next_functions]
        cols = int(np.prod(self.wshape))
        xhat, g2 = xhat.reshape(-1, cols), g.reshape(-1, cols)
        grads = [None]
        tmp = np.empty_like(xhat)   # (with gx, the only buffers)
        if need[0]:   # invstd * (gy - mean(gy) - xhat * mean(gy * xhat)), per row
            gx = np.multiply(g2, w.reshape(-1), out=np.empty_like(xhat)) if w is not None \
                else np.array(g2, copy=True)   # gy
            np.multiply(gx, xhat, out=tmp)
            k, m = row_sum(tmp)[:, None] / cols, row_sum(gx)[:, None] / cols
            np.multiply(xhat, k, out=tmp)
            tmp += m
            gx -= tmp
            gx *= self.invstd[:, None]
            grads[0] = gx.reshape(g.shape)
        if w is not None:
            grads.append(col_sum(np.multiply(g2, xhat, out=tmp)).reshape(w.shape)
                         if need[1] else None)
        if self.has_bias:
            grads.append(col_sum(g2).reshape(self.bshape) if need[len(grads)] else None)
        return tuple(grads)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing `normalized_shape` dims (biased variance), then scale
    by weight and shift by bias (both of shape normalized_shape)."""
    x = input
    require_tensor(x, "layer_norm", "input", 1)
    ns, dims = _normalized_dims(x, normalized_shape, "*, ")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"layer_norm: expected {name} of shape {list(ns)}, got "
                               f"{list(t.shape)}")
    xd = x._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"layer_norm: expected a floating-point input, got {x.dtype}")
    cols = int(np.prod(ns))
    x2 = _wide(xd).reshape(-1, cols)   # (rows, cols): the statistics are row sums
    with np.errstate(invalid="ignore", divide="ignore"):   # (nan for 0 columns, as PyTorch)
        xhat = x2 - (row_sum(x2) / cols)[:, None]
        invstd = 1.0 / np.sqrt(row_sum(xhat * xhat) / cols + eps)
    xhat *= invstd[:, None]
    xhat = xhat.reshape(xd.shape)
    return _affine(NativeLayerNormBackward0, x, xhat, weight, bias, ns, ns,
                   xhat=xhat if xd.dtype != np.float16 else None, dims=dims, wshape=ns,
                   eps=eps, invstd=invstd)


# ---------------------------------------------------------------------------------------
# group norm


class NativeGroupNormBackward0(_NormNode):
    def _grads(self, g, saved):
        w = saved[1] if self.has_weight else None
        pdims = (0,) + tuple(range(2, g.ndim))
        return _norm_grads(self, g, saved[0], w, (2,), self.wshape, None, self.eps, pdims,
                           self.gshape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of num_groups consecutive channels of (N, C, *) over its
    channels and positions (biased variance), then scale and shift per channel."""
    x = input
    require_tensor(x, "group_norm", "input", 1)
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{x.ndim}")
    xd = x._data
    n, c = xd.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(x.shape)} and "
                           f"num_groups={num_groups}")
    spatial = int(np.prod(xd.shape[2:], dtype=np.int64))
    if n * (c // num_groups) * spatial == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size {[n * c // num_groups, num_groups] + list(xd.shape[2:])}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(x.shape)}")
    if xd.dtype.kind != "f":
        raise RuntimeError(f"group_norm: expected a floating-point input, got {x.dtype}")
    gshape = (n, num_groups, (c // num_groups) * spatial)
    xg = _wide(xd).reshape(gshape)
    mean = xg.mean(2, keepdims=True)
    xc = xg - mean
    out = (xc / np.sqrt((xc * xc).mean(2, keepdims=True) + eps)).reshape(xd.shape)
    wshape = (1, c) + (1,) * (xd.ndim - 2)
    return _affine(NativeGroupNormBackward0, x, out, weight, bias, wshape, (c,),
                   wshape=wshape, gshape=gshape, eps=eps)


# ---------------------------------------------------------------------------------------
# instance norm, rms norm, local response norm: composites


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of (N, C, *) over its positions: batch norm
    of the (1, N*C, *) view. Running statistics, if given, move by `momentum` towards the
    statistics averaged over the batch; `use_input_stats=False` uses them instead."""
    x = input
    require_tensor(x, "instance_norm", "input", 1)
    if x.ndim < 2:
        raise ValueError(f"instance_norm: expected an input of at least 2 dims (N, C, *), got "
                         f"input of size {list(x.shape)}")
    if use_input_stats and int(np.prod(x.shape[2:], dtype=np.int64)) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{x.shape!r}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    n, c = x.shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    rm = None if running_mean is None else _make(np.tile(running_mean._data, n))
    rv = None if running_var is None else _make(np.tile(running_var._data, n))
    out = batch_norm(x.reshape((1, n * c) + tuple(x.shape[2:])), rm, rv,
                     None if weight is None else weight.repeat(n),
                     None if bias is None else bias.repeat(n), use_input_stats, momentum, eps)
    with no_grad():
        for stat, tiled in ((running_mean, rm), (running_var, rv)):
            if stat is not None and n:
                stat.copy_(_make(tiled._data.reshape(n, c).mean(0).astype(
                    stat._data.dtype, copy=False)))
    return out.reshape(x.shape)


def _normalized_dims(x: Tensor, normalized_shape, star: str) -> tuple:
    """normalized_shape as a tuple, and the trailing dims of x it names; PyTorch's error
    (layer_norm writes the expected shape `[*, 4]`, rms_norm `[*4]`) if x does not end so."""
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    ns = tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[{star}{', '.join(map(str, ns))}], but got input of size"
                           f"{list(x.shape)}")
    return ns, tuple(range(x.ndim - k, x.ndim))


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the trailing normalized_shape dims, times weight;
    eps=None is the machine epsilon of the input's dtype."""
    x = input
    require_tensor(x, "rms_norm", "input", 1)
    ns, dims = _normalized_dims(x, normalized_shape, "*")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(ns)}")
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    xw = x.float() if x._data.dtype == np.float16 else x   # (float32 for float16, as PyTorch)
    out = (xw * (xw.pow(2).mean(dims, keepdim=True) + eps).rsqrt()).to(x.dtype)
    return out if weight is None else out * weight


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over a window of `size` channels) ** beta, the window
    zero-padded at the ends (size // 2 channels before, (size - 1) // 2 after)."""
    x = input
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {x.ndim} dimensions)")
    if x.numel() == 0:
        return x
    sq = x * x
    c = x.shape[1]
    before, after = size // 2, (size - 1) // 2
    zeros = [_make(np.zeros((x.shape[0], m) + tuple(x.shape[2:]), x._data.dtype))
             for m in (before, after)]
    padded = autograd.cat([zeros[0], sq, zeros[1]], 1)
    total = padded.narrow(1, 0, c)
    for i in range(1, size):
        total = total + padded.narrow(1, i, c)
    return x / (total * (alpha / size) + k).pow(beta)
