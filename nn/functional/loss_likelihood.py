"""Negative log-likelihood losses of count and real-valued data (nn.functional):
poisson_nll_loss and gaussian_nll_loss, composites of Tensor ops as in PyTorch."""

from __future__ import annotations

import math

import numpy as np

import autograd
from autograd.grad_mode import no_grad
from autograd.ops.base import to_tensor
from autograd.tensor import Tensor

from ._checks import require_tensor
from .loss import _reduce, _reduction
from .loss_margin import _check_broadcast

__all__ = ["poisson_nll_loss", "gaussian_nll_loss"]


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """exp(input) - target * input (log_input=True), or input - target * log(input + eps);
    `full` adds Stirling's approximation of log(target!) where target > 1."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    x, t = to_tensor(input, "input"), to_tensor(target, "target")
    _check_broadcast("poisson_nll_loss", t, x)
    if log_input:
        loss = x.exp() - t * x
    else:
        loss = x - t * (x + eps).log()
    if full:   # (the masked terms may be log 0: computed, then dropped, as PyTorch does)
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = t * t.log() - t + 0.5 * (t * (2 * math.pi)).log()
        loss = loss + stirling.masked_fill(t <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 * (log(var) + (input - target)^2 / var) (+ 0.5 log(2 pi) if `full`), with var
    clamped to eps outside the graph; var may have one dim fewer than input, or size 1 in
    one dim (homoscedastic)."""
    x, t = to_tensor(input, "input"), to_tensor(target, "target")
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * autograd.ones_like(x)
    else:
        require_tensor(var, "gaussian_nll_loss", "var", 3)
        if bool((var < 0).any()):
            raise ValueError("var has negative entry/entries")
    if var.shape != x.shape:
        if tuple(x.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (x.ndim == var.ndim and
                  sum(v for a, v in zip(x.shape, var.shape) if a != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    _check_broadcast("gaussian_nll_loss", x, t)
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (x - t) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
