"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    _blockwise,
    _check_flags,
    _check_lr,
    _check_nonneg,
    _decay_sq_,
    _decayed_grad,
    _incr_step,
    _to_scalar,
    _zeros_state,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """`torch.optim.Adadelta`.

    Per parameter: `g = grad (+ weight_decay * p)`; `v = rho*v + (1-rho)*g^2`;
    `delta = sqrt(u + eps) / sqrt(v + eps) * g`; `u = rho*u + (1-rho)*delta^2`;
    `p -= lr * delta`. State: `step`, `square_avg` (v), `acc_delta` (u).
    `foreach`, `capturable` are accepted for compatibility (there is one numpy code path).
    """

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_flags("Adadelta", differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            rho, eps, wd, maximize = (group["rho"], group["eps"], group["weight_decay"],
                                      group["maximize"])
            for p, g, st in self._with_grad(group):
                if not st:
                    _zeros_state(st, p._data, "square_avg", "acc_delta")
                _incr_step(st)
                _adadelta(p._data, g, st["square_avg"]._data, st["acc_delta"]._data, rho, eps,
                          lr, wd, maximize)
        return loss


@_blockwise(arrays=4)
def _adadelta(x: np.ndarray, g: np.ndarray, v: np.ndarray, u: np.ndarray, rho: float,
              eps: float, lr: float, wd: float, maximize: bool) -> None:
    if wd != 0 or maximize:
        g = _decayed_grad(x, g, maximize, wd)
    std = np.empty(x.shape, x.dtype)
    delta = np.empty(x.shape, x.dtype)
    _decay_sq_(v, g, rho, 1 - rho, std)
    np.sqrt(np.add(v, eps, std), std)
    np.sqrt(np.add(u, eps, delta), delta)
    np.multiply(np.divide(delta, std, delta), g, delta)
    _decay_sq_(u, delta, rho, 1 - rho, std)
    if lr == 1:   # (the default: x - delta is x + (-1 * delta) to the bit, in one pass)
        np.subtract(x, delta, x)
    else:
        np.add(x, np.multiply(delta, -lr, delta), x)
