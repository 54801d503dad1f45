"""RMSprop, optionally centered and with momentum."""

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
    _lerp_,
    _to_scalar,
    _zeros_state,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """`torch.optim.RMSprop`.

    Per parameter: `g = grad (+ weight_decay * p)`; `v = alpha*v + (1-alpha)*g^2`;
    centered: `gavg = alpha*gavg + (1-alpha)*g`, `v~ = v - gavg^2`, else `v~ = v`;
    `avg = sqrt(v~) + eps`; momentum: `buf = momentum*buf + g/avg; p -= lr*buf`,
    else `p -= lr*g/avg`. State: `step`, `square_avg` (`momentum_buffer`, `grad_avg`).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_flags("RMSprop", differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            alpha, eps, wd = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p, g, st in self._with_grad(group):
                x = p._data
                if not st:
                    _zeros_state(st, x, "square_avg",
                                 *(("momentum_buffer",) if momentum > 0 else ()),
                                 *(("grad_avg",) if centered else ()))
                _incr_step(st)
                buf = st["momentum_buffer"]._data if momentum > 0 else None
                ga = st["grad_avg"]._data if centered else None
                _rmsprop(x, g, st["square_avg"]._data, buf, ga, lr, alpha, eps, wd, momentum,
                         maximize)
        return loss


@_blockwise(arrays=5)
def _rmsprop(x: np.ndarray, g: np.ndarray, v: np.ndarray, buf: np.ndarray | None,
             ga: np.ndarray | None, lr: float, alpha: float, eps: float, wd: float,
             momentum: float, maximize: bool) -> None:
    if wd != 0 or maximize:
        g = _decayed_grad(x, g, maximize, wd)
    tmp = np.empty(x.shape, x.dtype)
    _decay_sq_(v, g, alpha, 1 - alpha, tmp)
    if ga is not None:
        _lerp_(ga, g, 1 - alpha, tmp)
        np.multiply(ga, ga, tmp)
        np.subtract(v, tmp, tmp)
        np.sqrt(tmp, tmp)
    else:
        np.sqrt(v, tmp)
    np.add(tmp, eps, tmp)
    np.divide(g, tmp, tmp)
    if buf is not None:
        np.multiply(buf, momentum, buf)
        np.add(buf, tmp, buf)
        np.multiply(buf, -lr, tmp)
    else:
        np.multiply(tmp, -lr, tmp)
    np.add(x, tmp, x)
