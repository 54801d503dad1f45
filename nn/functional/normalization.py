"""batch_norm (NativeBatchNormBackward0) and layer_norm (NativeLayerNormBackward0).

The forward is numpy. The backward recomputes the statistics from the saved input in
Tensor ops and applies the closed-form gradient, so under `create_graph=True` the
dependence of mean and variance on the input is differentiated too.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Node
from autograd.grad_mode import no_grad
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

__all__ = ["batch_norm", "layer_norm"]


def _norm_grads(node: Node, g: Tensor, x: Tensor, w: Tensor | None, dims: tuple,
                wshape: tuple, stats: tuple | None, eps: float, pdims: tuple) -> tuple:
    """Gradients of y = (x - mean) / sqrt(var + eps) * w + b, statistics over `dims`,
    w and b broadcast over `pdims`.

    `stats` = (mean, invstd) arrays of fixed statistics (eval mode), else None: the batch
    statistics, recomputed from x.
    """
    need = [e[0] is not None for e in node.next_functions]
    if stats is None:
        xc = x - x.mean(dims, keepdim=True)
        invstd = ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
    else:
        xc = x - _make(stats[0])
        invstd = _make(stats[1])
    xhat = xc * invstd
    gx = gw = gb = None
    wd = None if w is None else w.reshape(wshape)
    if need[0]:
        gy = g if wd is None else g * wd
        if stats is None:
            gx = invstd * (gy - gy.mean(dims, keepdim=True)
                           - xhat * (gy * xhat).mean(dims, keepdim=True))
        else:
            gx = gy * invstd
    grads = [gx]
    if w is not None:
        if need[1]:
            gw = (g * xhat).sum(pdims).reshape(w.shape)
        grads.append(gw)
    if node.has_bias:
        if need[len(grads)]:
            gb = g.sum(pdims).reshape(w.shape if w is not None else node.bshape)
        grads.append(gb)
    return tuple(grads)


# ---------------------------------------------------------------------------------------
# batch norm


class NativeBatchNormBackward0(Node):
    def backward(self, g):
        x = self.saved()[0]
        w = self.saved()[1] if self.has_weight else None
        return _norm_grads(self, g, x, w, self.dims, self.wshape, self.stats, self.eps,
                           self.dims)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) of (N, C, *). Training: batch statistics (biased
    variance); the running statistics, if given, move by `momentum` towards the batch
    mean and the unbiased batch variance. Eval: the running statistics."""
    x = input
    if not isinstance(x, Tensor):
        raise TypeError(f"batch_norm(): input must be a Tensor, got {type(x).__name__}")
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
    out = xc * invstd
    if weight is not None:
        out = out * weight._data.reshape(wshape)
    if bias is not None:
        out = out + bias._data.reshape(wshape)
    out = out.astype(xd.dtype, copy=False)
    tensors = tuple(t for t in (x, weight, bias) if t is not None)
    if not needs_graph(*tensors):
        return _make(out)
    n = NativeBatchNormBackward0(tensors)
    n.dims, n.wshape, n.stats, n.eps = dims, wshape, stats, eps
    n.has_weight, n.has_bias, n.bshape = weight is not None, bias is not None, (c,)
    n.save(*((x, weight) if weight is not None else (x,)))
    return _make(out, n)


# ---------------------------------------------------------------------------------------
# layer norm


class NativeLayerNormBackward0(Node):
    def backward(self, g):
        saved = self.saved()
        w = saved[1] if self.has_weight else None
        return _norm_grads(self, g, saved[0], w, self.dims, self.wshape, None, self.eps,
                           tuple(range(g.ndim - len(self.dims))))


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing `normalized_shape` dims (biased variance), then scale
    by weight and shift by bias (both of shape normalized_shape)."""
    x = input
    if not isinstance(x, Tensor):
        raise TypeError(f"layer_norm(): input must be a Tensor, got {type(x).__name__}")
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    ns = tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"layer_norm: expected {name} of shape {list(ns)}, got "
                               f"{list(t.shape)}")
    xd = x._data
    if xd.dtype.kind != "f":
        raise RuntimeError(f"layer_norm: expected a floating-point input, got {x.dtype}")
    dims = tuple(range(xd.ndim - k, xd.ndim))
    mean = xd.mean(dims, keepdims=True)
    xc = xd - mean
    invstd = 1.0 / np.sqrt((xc * xc).mean(dims, keepdims=True) + eps)
    out = xc * invstd
    if weight is not None:
        out = out * weight._data
    if bias is not None:
        out = out + bias._data
    out = out.astype(xd.dtype, copy=False)
    tensors = tuple(t for t in (x, weight, bias) if t is not None)
    if not needs_graph(*tensors):
        return _make(out)
    n = NativeLayerNormBackward0(tensors)
    n.dims, n.wshape, n.eps = dims, ns, eps
    n.has_weight, n.has_bias, n.bshape = weight is not None, bias is not None, ns
    n.save(*((x, weight) if weight is not None else (x,)))
    return _make(out, n)
