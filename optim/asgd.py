"""ASGD: SGD with a decaying step and a running (Polyak) average of the iterates."""

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
    _decayed_grad,
    _incr_step,
    _state_tensor,
    _step_tensor,
    _to_scalar,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """`torch.optim.ASGD` (Averaged SGD).

    Per parameter, at step `t`: `g = grad (+ weight_decay * p)`;
    `p = p * (1 - lambd * eta) - eta * g`; `ax += mu * (p - ax)` (`ax = p` while `mu == 1`);
    then `eta = lr / (1 + lambd * lr * t) ** alpha`, `mu = 1 / max(1, t - t0)`.
    State: `step`, `eta`, `mu` (float32 0-d tensors, as PyTorch keeps them), `ax` (the
    average, which evaluation may swap in for the parameter).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)
        _check_flags("ASGD", differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            wd, maximize = group["weight_decay"], group["maximize"]
            for p, g, st in self._with_grad(group):
                if not st:
                    st["step"] = _step_tensor()
                    st["eta"] = _state_tensor(np.array(lr, np.float32))
                    st["mu"] = _state_tensor(np.ones((), np.float32))
                    st["ax"] = _state_tensor(np.zeros_like(p._data))
                t = _incr_step(st)
                eta, mu = st["eta"]._data, st["mu"]._data
                _asgd(p._data, g, st["ax"]._data, eta.item(), mu.item(), lambd, wd, maximize)
                # rounded to float32 whatever the state's dtype, as PyTorch's as_tensor does
                eta[()] = np.float32(lr / ((1 + lambd * lr * t) ** alpha))
                mu[()] = np.float32(1 / max(1, t - t0))
        return loss


@_blockwise(arrays=3)
def _asgd(x: np.ndarray, g: np.ndarray, ax: np.ndarray, eta: float, mu: float, lambd: float,
          wd: float, maximize: bool) -> None:
    if wd != 0 or maximize:
        g = _decayed_grad(x, g, maximize, wd)
    np.multiply(x, 1 - lambd * eta, x)
    np.add(x, np.multiply(g, -eta, out=np.empty(x.shape, x.dtype)), x)
    if mu != 1:
        tmp = np.subtract(x, ax, out=np.empty(x.shape, x.dtype))
        np.add(ax, np.multiply(tmp, mu, tmp), ax)
    else:
        np.copyto(ax, x)
