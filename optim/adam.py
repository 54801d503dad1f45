"""Adam (and, with `decoupled_weight_decay=True`, AdamW), with the AMSGrad variant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Tensor

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

__all__ = ["Adam"]


class Adam(Optimizer):
    """`torch.optim.Adam`.

    Per parameter, at step `t`: `g = grad (+ weight_decay * p)` (or `p *= 1 - lr *
    weight_decay` when decoupled); `m = b1*m + (1-b1)*g`; `v = b2*v + (1-b2)*g^2`;
    `vhat = max(vhat, v)` (amsgrad) or `v`;
    `p -= lr / (1 - b1^t) * m / (sqrt(vhat) / sqrt(1 - b2^t) + eps)`.
    State per parameter: `step` (float32 0-d tensor), `exp_avg`, `exp_avg_sq`
    (`max_exp_avg_sq` with amsgrad). `foreach`, `fused`, `capturable` are accepted for
    compatibility (there is one numpy code path).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        if not (all(isinstance(b, float) for b in betas)
                or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor) and foreach and not capturable:
                raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                 "capturable=False and foreach=True")
        betas = _check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_flags(type(self).__name__, differentiable, fused, foreach)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, amsgrad = group["eps"], group["weight_decay"], group["amsgrad"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            w1, w2, t_prev = 1 - beta1, 1 - beta2, None
            for p, g, st in self._with_grad(group):
                x = p._data
                if not st:
                    _zeros_state(st, x, "exp_avg", "exp_avg_sq",
                                 *(("max_exp_avg_sq",) if amsgrad else ()))
                t = _incr_step(st)
                if t != t_prev:          # the bias corrections, shared by the group's tensors
                    step_size, bc2_sqrt, t_prev = lr / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5, t
                vmax = st["max_exp_avg_sq"]._data if amsgrad else None
                _adam(x, g, st["exp_avg"]._data, st["exp_avg_sq"]._data, vmax, w1, beta2, w2, eps,
                      wd, decoupled, maximize, lr, step_size, bc2_sqrt)
        return loss


@_blockwise(arrays=5)
def _adam(x: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, vmax: np.ndarray | None,
          w1: float, beta2: float, w2: float, eps: float, wd: float, decoupled: bool,
          maximize: bool, lr: float, step_size: float, bc2_sqrt: float) -> None:
    g, tmp = _moments_(x, g, m, v, w1, beta2, w2, lr, wd, decoupled, maximize)
    if vmax is not None:
        v = np.maximum(vmax, v, out=vmax)
    np.sqrt(v, tmp)
    np.divide(tmp, bc2_sqrt, tmp)
    np.add(tmp, eps, tmp)
    np.divide(m, tmp, tmp)
    np.add(x, np.multiply(tmp, -step_size, tmp), x)
