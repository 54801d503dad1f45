"""RAdam: Adam whose adaptive step is switched on once the variance of its estimate is
bounded (Liu et al., 2019): plain momentum SGD for the first steps, then rectified Adam."""

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
    _incr_step,
    _moments_,
    _to_scalar,
    _zeros_state,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """`torch.optim.RAdam`.

    Per parameter, at step `t`: `g = grad (+ weight_decay * p)` (or `p *= 1 - lr *
    weight_decay` when decoupled); `m = b1*m + (1-b1)*g`; `v = b2*v + (1-b2)*g^2`;
    `rho_inf = 2/(1-b2) - 1`, `rho_t = rho_inf - 2t b2^t / (1-b2^t)`; if `rho_t > 5`:
    `p -= lr * m/(1-b1^t) * sqrt(1-b2^t) / (sqrt(v) + eps) * r_t` with the rectification
    `r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))`, else
    `p -= lr * m/(1-b1^t)`. State: `step`, `exp_avg`, `exp_avg_sq`.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        betas = _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_flags("RAdam", differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for p, g, st in self._with_grad(group):
                if not st:
                    _zeros_state(st, p._data, "exp_avg", "exp_avg_sq")
                t = _incr_step(st)
                bc2 = 1 - beta2 ** t
                rho_t = rho_inf - 2 * t * (beta2 ** t) / bc2
                rect = None
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                _radam(p._data, g, st["exp_avg"]._data, st["exp_avg_sq"]._data, beta1, beta2,
                       eps, wd, decoupled, maximize, lr, 1 - beta1 ** t, bc2 ** 0.5, rect)
        return loss


@_blockwise(arrays=4)
def _radam(x: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, beta1: float,
           beta2: float, eps: float, wd: float, decoupled: bool, maximize: bool, lr: float,
           bc1: float, bc2_sqrt: float, rect: float | None) -> None:
    g, tmp = _moments_(x, g, m, v, 1 - beta1, beta2, 1 - beta2, lr, wd, decoupled, maximize)
    upd = np.multiply(np.divide(m, bc1, tmp), lr, tmp)      # m / bc1 * lr
    if rect is not None:                                            # * adaptive lr * rect
        ada = np.empty(x.shape, x.dtype)
        np.add(np.sqrt(v, ada), eps, ada)
        np.multiply(np.multiply(upd, np.divide(bc2_sqrt, ada, ada), upd), rect, upd)
    np.subtract(x, upd, x)
