"""Adamax: Adam with the infinity norm of past gradients in place of their second moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    _blockwise,
    _check_betas,
    _check_flags,
    _check_lr,
    _check_nonneg,
    _decayed_grad,
    _incr_step,
    _lerp_,
    _to_scalar,
    _zeros_state,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """`torch.optim.Adamax`.

    Per parameter, at step `t`: `g = grad (+ weight_decay * p)`; `m = b1*m + (1-b1)*g`;
    `u = max(b2*u, |g| + eps)`; `p -= lr / (1 - b1^t) * m / u`.
    State: `step`, `exp_avg` (m), `exp_inf` (u).
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        betas = _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        _check_flags("Adamax", differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
            for p, g, st in self._with_grad(group):
                if not st:
                    _zeros_state(st, p._data, "exp_avg", "exp_inf")
                t = _incr_step(st)
                _adamax(p._data, g, st["exp_avg"]._data, st["exp_inf"]._data, beta1, beta2, eps,
                        wd, maximize, lr / (1 - beta1 ** t))
        return loss


@_blockwise(arrays=4)
def _adamax(x: np.ndarray, g: np.ndarray, m: np.ndarray, u: np.ndarray, beta1: float,
            beta2: float, eps: float, wd: float, maximize: bool, clr: float) -> None:
    if wd != 0 or maximize:
        g = _decayed_grad(x, g, maximize, wd)
    tmp = np.empty(x.shape, x.dtype)
    _lerp_(m, g, 1 - beta1, tmp)
    np.multiply(u, beta2, u)
    np.maximum(u, np.add(np.abs(g, tmp), eps, tmp), out=u)
    np.divide(m, u, tmp)
    np.add(x, np.multiply(tmp, -clr, tmp), x)
