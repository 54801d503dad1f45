"""RMSprop, optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    _check_lr,
    _incr_step,
    _state_tensor,
    _step_tensor,
    _to_scalar,
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
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        if differentiable or capturable:
            raise NotImplementedError("RMSprop: differentiable=True and capturable=True are "
                                      "not supported")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            alpha, eps, wd = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p in group["params"]:
                gt = p._grad
                if gt is None:
                    continue
                x = p._data
                st = state[p]
                if not st:
                    st["step"] = _step_tensor()
                    st["square_avg"] = _state_tensor(np.zeros_like(x))
                    if momentum > 0:
                        st["momentum_buffer"] = _state_tensor(np.zeros_like(x))
                    if centered:
                        st["grad_avg"] = _state_tensor(np.zeros_like(x))
                _incr_step(st)
                g = self._grad(p, gt._data, maximize, wd)
                tmp = self._buf(x)
                v = st["square_avg"]._data
                np.multiply(v, alpha, out=v)
                np.multiply(g, 1 - alpha, out=tmp)
                np.add(v, np.multiply(tmp, g, out=tmp), out=v)
                if centered:
                    ga = st["grad_avg"]._data
                    w = 1 - alpha   # grad_avg.lerp_(g, 1 - alpha)
                    np.subtract(g, ga, out=tmp)
                    if w < 0.5:
                        np.add(ga, np.multiply(tmp, w, out=tmp), out=ga)
                    else:
                        np.subtract(g, np.multiply(tmp, alpha, out=tmp), out=ga)
                    np.multiply(ga, ga, out=tmp)
                    np.subtract(v, tmp, out=tmp)
                    np.sqrt(tmp, out=tmp)
                else:
                    np.sqrt(v, out=tmp)
                np.add(tmp, eps, out=tmp)
                np.divide(g, tmp, out=tmp)
                if momentum > 0:
                    buf = st["momentum_buffer"]._data
                    np.multiply(buf, momentum, out=buf)
                    np.add(buf, tmp, out=buf)
                    np.multiply(buf, -lr, out=tmp)
                else:
                    np.multiply(tmp, -lr, out=tmp)
                np.add(x, tmp, out=x)
                p._vc[0] += 1
                tmp = g = None   # freed before the next parameter's scratch is made
        return loss
