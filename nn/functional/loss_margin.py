"""Margin and embedding losses (nn.functional), with PyTorch's formulas, reductions, error
texts and grad_fn names.

soft_margin_loss, multi_margin_loss and multilabel_margin_loss are primitives (one node
each, as in PyTorch: the forward in numpy, the backward in Tensor ops so that it
differentiates again). The others are composites of Tensor ops written as PyTorch writes
them: cosine_embedding_loss, margin_ranking_loss, hinge_embedding_loss,
multilabel_soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import autograd
from autograd.function import Node
from autograd.grad_mode import is_grad_enabled
from autograd.ops.base import needs_graph, shape_mismatch, to_tensor
from autograd.tensor import Tensor, _make

from .activation import logsigmoid
from .distance import pairwise_distance
from .loss import _reduce, _reduction

__all__ = ["cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]


def _check_broadcast(name: str, a: Tensor, b: Tensor) -> None:
    """PyTorch's broadcasting error, naming the loss and both shapes."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise shape_mismatch(name, a._data, b._data) from None


def _not_differentiable(name: str, arg: str, t: Tensor | None) -> None:
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")


def _float_input(x: Tensor, kernel: str) -> None:
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{x.dtype._legacy}\'')


def _long_target(t: Tensor) -> np.ndarray:
    if t._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {t.dtype._legacy}")
    return t._data


def _reduced(loss: np.ndarray, reduction: str, dtype) -> np.ndarray:
    """A loss array reduced in numpy (the mean of nothing is NaN)."""
    if reduction == "none":
        return loss.astype(dtype, copy=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = loss.sum() if reduction == "sum" else loss.sum() / loss.size
    return np.asarray(total, dtype=dtype)


def _upstream(g: Tensor, node: Node) -> Tensor:
    """The upstream gradient per loss element: g itself ('none'), g / count ('mean')."""
    return g / node.count if node.reduction == "mean" else g


# ---- composites --------------------------------------------------------------------------------


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1;
    the cosine along dim 1 (or 0 for 1-D inputs with a 0-d target)."""
    reduction = _reduction(reduction, size_average, reduce)
    x1, x2, t = to_tensor(input1, "input1"), to_tensor(input2, "input2"), to_tensor(target)
    if t.ndim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if t.ndim == 1 and not (x1.ndim == 2 and x2.ndim == 2):
        raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(x1.shape)} and {list(x2.shape)}.")
    if t.ndim == 0 and not (x1.ndim == 1 and x2.ndim == 1):
        raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(x1.shape)} and {list(x2.shape)}.")
    _check_broadcast("cosine_embedding_loss", x1, x2)
    d = t.ndim
    eps = 1e-12
    prod = (x1 * x2).sum(d)
    mag1 = (x1 * x1).sum(d) + eps
    mag2 = (x2 * x2).sum(d) + eps
    cos = prod / (mag1 * mag2).sqrt()
    _check_broadcast("cosine_embedding_loss", t, cos)
    zeros = autograd.zeros_like(cos)
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    loss = autograd.where(t == 1, pos, zeros) + autograd.where(t == -1, neg, zeros)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (x1 - x2) + margin): target 1 ranks x1 first, -1 ranks x2 first."""
    reduction = _reduction(reduction, size_average, reduce)
    x1, x2, t = to_tensor(input1, "input1"), to_tensor(input2, "input2"), to_tensor(target)
    if not x1.ndim == x2.ndim == t.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {x1.shape}, input2: {x2.shape}, target: "
                           f"{t.shape} ")
    _check_broadcast("margin_ranking_loss", x1, x2)
    diff = x1 - x2
    _check_broadcast("margin_ranking_loss", t, diff)
    return _reduce((-t * diff + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """x where target is 1, max(0, margin - x) where it is -1 (x: a distance)."""
    reduction = _reduction(reduction, size_average, reduce)
    x, t = to_tensor(input, "input"), to_tensor(target, "target")
    _check_broadcast("hinge_embedding_loss", t, x)
    zeros = autograd.zeros_like(x)
    margin_clamp = (margin - x).clamp_min(0)
    loss = autograd.where(t != 1, margin_clamp, zeros) + autograd.where(t != -1, x, zeros)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross entropy of each class's logit against a 0/1 target, averaged over the
    classes (the last dim); `weight` per class."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    x, t = to_tensor(input, "input"), to_tensor(target, "target")
    _check_broadcast("multilabel_soft_margin_loss", t, x)
    loss = -(t * logsigmoid(x) + (1 - t) * logsigmoid(-x))
    if weight is not None:
        loss = loss * weight
    class_dim = x.ndim - 1
    loss = loss.sum(class_dim) / x.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    return _reduce(loss, reduction)


def _triplet_checks(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float) -> None:
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, "
                           f"and negative {n}D inputs")


def _triplet(distance: Callable, anchor: Tensor, positive: Tensor, negative: Tensor,
             margin: float, swap: bool, reduction: str) -> Tensor:
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = autograd.minimum(dist_neg, distance(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with the pairwise p-norm distance d; `swap`
    takes min(d(a, n), d(p, n)) for the negative distance."""
    reduction = _reduction(reduction, size_average, reduce)
    a, pos, neg = (to_tensor(t, n) for t, n in ((anchor, "anchor"), (positive, "positive"),
                                                (negative, "negative")))
    _triplet_checks(a, pos, neg, margin)
    for other in (pos, neg):
        _check_broadcast("triplet_margin_loss", a, other)
    return _triplet(lambda u, v: pairwise_distance(u, v, p, eps), a, pos, neg, margin, swap,
                    reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """triplet_margin_loss with any distance (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    a, pos, neg = (to_tensor(t, n) for t, n in ((anchor, "anchor"), (positive, "positive"),
                                                (negative, "negative")))
    _triplet_checks(a, pos, neg, margin)
    return _triplet(distance_function or pairwise_distance, a, pos, neg, margin, swap,
                    reduction)


# ---- soft margin -------------------------------------------------------------------------------


class SoftMarginLossBackward0(Node):
    """d/dx log(1 + exp(-y x)) = -y sigmoid(-y x)."""

    def backward(self, g):
        x, y = self.saved()
        return (_upstream(g, self) * -y * (-y * x).sigmoid(),)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), for targets of 1 and -1 (computed stably)."""
    reduction = _reduction(reduction, size_average, reduce)
    x, t = to_tensor(input, "input"), to_tensor(target, "target")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{x.dtype._legacy}")
    _check_broadcast("soft_margin_loss", x, t)
    _not_differentiable("soft_margin_loss", "target", t)
    t = t.to(x.dtype)   # (the input's dtype is the result's, as in PyTorch)
    loss = np.logaddexp(0, -(t._data * x._data))
    loss = np.broadcast_to(loss, np.broadcast_shapes(x.shape, t.shape))
    out = _reduced(loss, reduction, x._data.dtype)
    if not needs_graph(x):
        return _make(out)
    n = SoftMarginLossBackward0((x,))
    n.reduction, n.count = reduction, loss.size
    n.save(x, t)
    return _make(out, n)


# ---- multi-class margins -----------------------------------------------------------------------


def _class_rows(x: Tensor, name: str) -> tuple[int, int]:
    """(N, C) of a (C,) or (N, C) input (0-d: one class)."""
    if x.ndim > 2 or (x.ndim and x.numel() == 0 and x.ndim == 1):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(x.shape)}")
    if x.ndim == 2:
        return x.shape[0], x.shape[1]
    return 1, (x.shape[0] if x.ndim else 1)


class MultiMarginLossBackward0(Node):
    """Each active term max(0, margin - x[y] + x[j])^p adds p z^(p-1) w[y] / C to x[j]'s
    gradient and takes it from x[y]'s."""

    def backward(self, g):
        (x,) = self.saved()
        rows = x.reshape(self.n, self.c)
        picked = rows.gather(1, _make(self.target[:, None]))
        z = rows - picked + self.margin
        dz = z * 2.0 if self.p == 2 else autograd.ones_like(z)
        coef = _make(self.coef)   # (N, 1): w[y] / C
        gr = _upstream(g, self).reshape(-1, 1) * coef * dz * _make(self.active)
        gr = gr - _make(self.onehot) * gr.sum(1, keepdim=True)
        return (gr.reshape(self.in_shape),)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: sum over j != y of max(0, margin - x[y] + x[j])^p, times
    weight[y], divided by the number of classes."""
    reduction = _reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x, t = to_tensor(input, "input"), to_tensor(target, "target")
    n, c = _class_rows(x, "multi_margin_loss")
    _float_input(x, "multi_margin_loss_cpu_kernel")
    y = _long_target(t)
    if y.size != n or (x.ndim == 2 and y.ndim != 1) or y.ndim > 1:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(t.shape)}. Input has shape {list(x.shape)}.")
    _not_differentiable("multi_margin_loss", "weight", weight)
    y = y.reshape(-1)
    if y.size and (y.min() < 0 or y.max() >= c):
        raise RuntimeError("target out of range")
    xd = x._data.reshape(n, c)
    w = np.ones(c, xd.dtype)
    if weight is not None:
        if weight.numel() != c:
            raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                               f"{list(weight.shape)}")
        if weight._data.dtype != xd.dtype:
            raise RuntimeError(f"expected scalar type {x.dtype._legacy} but found "
                               f"{weight.dtype._legacy}")
        w = weight._data
    rows = np.arange(n)
    onehot = np.zeros((n, c), xd.dtype)
    onehot[rows, y] = 1
    z = margin - xd[rows, y][:, None] + xd
    active = (z > 0) & (onehot == 0)
    coef = (w[y] / c)[:, None].astype(xd.dtype)
    terms = np.where(active, z if p == 1 else z * z, 0)
    loss = terms.sum(1) * coef[:, 0]
    loss = loss.reshape(t.shape if x.ndim == 2 else ())
    out = _reduced(loss, reduction, xd.dtype)
    if not needs_graph(x):
        return _make(out)
    node = MultiMarginLossBackward0((x,))
    node.reduction, node.count, node.p, node.margin = reduction, max(n, 1), p, margin
    node.n, node.c, node.in_shape, node.target = n, c, x.shape, y
    node.onehot, node.active, node.coef = onehot, active.astype(xd.dtype), coef
    node.save(x)
    return _make(out, node)


class MultilabelMarginLossBackward0(Node):
    """Each active pair (target class j, other class k) adds 1/C to x[k]'s gradient and
    takes it from x[j]'s (j counted once per listing)."""

    def backward(self, g):
        gr = _upstream(g, self).reshape(-1, 1) * _make(self.grad_rows)
        return (gr.reshape(self.in_shape),)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: the target lists each sample's classes, ended by -1; the loss
    is the sum over listed j and unlisted k of max(0, 1 - (x[j] - x[k])), over C."""
    reduction = _reduction(reduction, size_average, reduce)
    x, t = to_tensor(input, "input"), to_tensor(target, "target")
    n, c = _class_rows(x, "multilabel_margin_loss")
    _float_input(x, "multilabel_margin_loss_forward_out_frame")
    labels = _long_target(t)
    if labels.shape != x._data.shape:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}")
    labels = labels.reshape(n, c)
    if labels.size and (labels.min() < -1 or labels.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    xd = x._data.reshape(n, c)
    # the listed classes: the entries before the first -1 of each row, with their counts
    listed = np.cumprod(labels != -1, axis=1).astype(bool)
    count = np.zeros((n, c), np.int64)
    rows = np.repeat(np.arange(n), c)[listed.reshape(-1)]
    np.add.at(count, (rows, labels[listed]), 1)
    is_target = count > 0
    z = 1 - xd[:, :, None] + xd[:, None, :]           # (N, j, k)
    pair = (z > 0) & is_target[:, :, None] & ~is_target[:, None, :]
    weight = pair * count[:, :, None]
    loss = (np.where(weight > 0, z, 0) * weight).sum((1, 2)) / c
    loss = loss.reshape(() if x.ndim < 2 else (n,))
    out = _reduced(loss, reduction, xd.dtype)
    if not needs_graph(x):
        return _make(out)
    node = MultilabelMarginLossBackward0((x,))
    node.reduction, node.count, node.in_shape = reduction, max(n, 1), x.shape
    node.grad_rows = ((weight.sum(1) - weight.sum(2)) / c).astype(xd.dtype)
    return _make(out, node)
