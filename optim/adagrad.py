"""Adagrad with learning-rate decay."""

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

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """`torch.optim.Adagrad`.

    Per parameter, at step `t`: `g = grad (+ weight_decay * p)`;
    `clr = lr / (1 + (t - 1) * lr_decay)`; `sum += g^2`; `p -= clr * g / (sqrt(sum) + eps)`.
    State (`step`, `sum` = `initial_accumulator_value`) is created for every parameter at
    construction, as in PyTorch.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        _check_nonneg("lr_decay", lr_decay)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        _check_nonneg("epsilon", eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_flags("Adagrad", differentiable, fused, foreach)

    def _init_state(self, group: dict[str, Any]) -> None:
        for p in group["params"]:
            st = self.state[p]
            st["step"] = _step_tensor()
            st["sum"] = _state_tensor(np.full_like(p._data, group["initial_accumulator_value"]))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            lr_decay, eps, wd = group["lr_decay"], group["eps"], group["weight_decay"]
            maximize = group["maximize"]
            for p, g, st in self._with_grad(group):
                t = _incr_step(st)
                _adagrad(p._data, g, st["sum"]._data, lr / (1 + (t - 1) * lr_decay), eps, wd,
                         maximize)
        return loss


@_blockwise(arrays=3)
def _adagrad(x: np.ndarray, g: np.ndarray, s: np.ndarray, clr: float, eps: float, wd: float,
             maximize: bool) -> None:
    if wd != 0 or maximize:
        g = _decayed_grad(x, g, maximize, wd)
    tmp = np.empty(x.shape, x.dtype)
    np.add(s, np.multiply(g, g, tmp), s)
    np.sqrt(s, tmp)
    np.add(tmp, eps, tmp)
    np.divide(g, tmp, tmp)
    np.add(x, np.multiply(tmp, -clr, tmp), x)
