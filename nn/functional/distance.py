"""Distances (nn.functional): cosine_similarity, pairwise_distance, normalize, composites
of Tensor ops written as PyTorch writes them (so gradients, including at zero vectors,
are PyTorch's); pdist, an op with PyTorch's backward (PdistBackward0)."""

from __future__ import annotations

import math

import numpy as np

import autograd
from autograd import dtypes
from autograd.grad_mode import no_grad
from autograd.ops.base import derivative, record, shape_mismatch, to_tensor
from autograd.tensor import Tensor

__all__ = ["cosine_similarity", "pairwise_distance", "normalize", "pdist"]


def _float_pair(x1, x2) -> tuple[Tensor, Tensor]:
    """x1 and x2 broadcast together, in their common floating dtype."""
    a, b = to_tensor(x1, "x1"), to_tensor(x2, "x2")
    rt = dtypes.result_type(a, b)
    if rt.category != dtypes._FLOAT:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{rt._legacy}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise shape_mismatch("cosine_similarity", a._data, b._data) from None
    return tuple(autograd.broadcast_tensors(a.to(rt), b.to(rt)))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)) along `dim` (inputs broadcast).

    As in PyTorch, each input is divided by its norm first (the result stays in [-1, 1]),
    and the norms are clamped to eps outside the graph."""
    a, b = _float_pair(x1, x2)
    d = a._wrap_dim(dim)
    na = a.norm(2, d, keepdim=True).clone()
    nb = b.norm(2, d, keepdim=True).clone()
    with no_grad():
        na.clamp_(min=eps)
        nb.clamp_(min=eps)
    return ((a / na) * (b / nb)).sum(d)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """The p-norm of x1 - x2 + eps along the last dim (inputs broadcast)."""
    a, b = to_tensor(x1, "x1"), to_tensor(x2, "x2")
    diff = a - b + eps
    return diff.norm(p, max(a.ndim, b.ndim) - 1, keepdim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p, eps) along `dim`."""
    x = to_tensor(input, "input")
    if x._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {x.dtype._legacy}")
    denom = x.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(x)
    if out is None:
        return x / denom
    if autograd.is_grad_enabled() and (x.requires_grad or out.requires_grad):
        raise RuntimeError("div(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    with no_grad():
        return out.copy_(x / denom)


def _pdist_rule(g, x, p, out):
    """PyTorch's _pdist_backward: each pair's gradient, added to its first row and taken
    from its second; zero for pairs at distance zero (and, for p < 1, zero coordinates)."""
    i, j = (autograd.from_numpy(k) for k in np.triu_indices(x.shape[0], 1))
    diff = x[i] - x[j]
    dist, g = out.unsqueeze(1), g.unsqueeze(1)
    zero = dist == 0
    safe = autograd.where(zero, 1.0, dist)   # no 0/0 in the branch where() drops
    if p == 0:
        c = diff * 0
    elif p == 1:
        c = diff.sign() * g
    elif p == math.inf:
        c = diff.sign() * (diff.abs() == dist) * g
    elif p < 2:
        drop = zero | ((diff == 0) & (p < 1))
        mag = autograd.where(diff == 0, 1.0, diff.abs())
        c = autograd.where(drop, 0.0, diff.sign() * mag.pow(p - 1) * g / safe.pow(p - 1))
    elif p == 2:
        c = autograd.where(zero, 0.0, diff * g / safe)
    else:
        c = autograd.where(zero, 0.0, diff * diff.abs().pow(p - 2) * g / safe.pow(p - 1))
    return autograd.zeros_like(x).index_add(0, i, c).index_add(0, j, -c)


Pdist = derivative("PdistBackward0", _pdist_rule)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distance between every pair of rows of input (N, M): N * (N - 1) / 2
    values, for the pairs (0, 1), (0, 2), ..., (1, 2), ... (torch.cdist's upper triangle)."""
    x = to_tensor(input, "input")
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if x._data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if x._data.dtype == np.float16:
        raise NotImplementedError("\"pdist\" not implemented for 'Half'")
    p = float(p)
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(x.shape[0], 1)
    d = np.abs(x._data[i] - x._data[j])
    if p == 0:
        out = np.count_nonzero(d, 1).astype(d.dtype)
    elif p == math.inf:
        out = d.max(1, initial=0)
    elif p == 1:
        out = d.sum(1)
    elif p == 2:
        out = np.sqrt((d * d).sum(1))
    else:
        out = (d ** p).sum(1) ** (1 / p)
    return record(Pdist, out, (x,), x=x, p=p)
