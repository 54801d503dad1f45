"""NAdam: Adam with Nesterov momentum (Dozat, 2016), and its momentum-decay schedule."""

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
    _state_tensor,
    _to_scalar,
    _zeros_state,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """`torch.optim.NAdam`.

    Per parameter, at step `t`: `g = grad (+ weight_decay * p)` (or `p *= 1 - lr *
    weight_decay` when decoupled); `mu_t = b1 * (1 - 0.96^(t * momentum_decay) / 2)`;
    `prod *= mu_t`; `m = b1*m + (1-b1)*g`; `v = b2*v + (1-b2)*g^2`;
    `d = sqrt(v / (1 - b2^t)) + eps`;
    `p -= lr * ((1 - mu_t) / (1 - prod) * g / d + mu_{t+1} / (1 - prod * mu_{t+1}) * m / d)`.
    State: `step`, `mu_product` (a float32 0-d tensor, as PyTorch keeps it), `exp_avg`,
    `exp_avg_sq`.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        betas = _check_betas(betas)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        _check_flags("NAdam", differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
            decoupled, psi = group["decoupled_weight_decay"], group["momentum_decay"]
            for p, g, st in self._with_grad(group):
                if not st:
                    _zeros_state(st, p._data)
                    st["mu_product"] = _state_tensor(np.ones((), np.float32))
                    _zeros_state(st, p._data, "exp_avg", "exp_avg_sq")
                t = _incr_step(st)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
                prod = st["mu_product"]._data
                prod *= mu                      # in the state's own dtype, as PyTorch
                prod = prod.item()
                _nadam(p._data, g, st["exp_avg"]._data, st["exp_avg_sq"]._data, beta1, beta2,
                       eps, wd, decoupled, maximize, lr, 1 - beta2 ** t,
                       -lr * (1.0 - mu) / (1.0 - prod), (-lr * mu_next) / (1.0 - prod * mu_next))
        return loss


@_blockwise(arrays=4)
def _nadam(x: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, beta1: float,
           beta2: float, eps: float, wd: float, decoupled: bool, maximize: bool, lr: float,
           bc2: float, g_coef: float, m_coef: float) -> None:
    g, tmp = _moments_(x, g, m, v, 1 - beta1, beta2, 1 - beta2, lr, wd, decoupled, maximize)
    denom = np.empty(x.shape, x.dtype)
    np.add(np.sqrt(np.divide(v, bc2, denom), denom), eps, denom)
    np.add(x, np.multiply(np.divide(g, denom, tmp), g_coef, tmp), x)
    np.add(x, np.multiply(np.divide(m, denom, tmp), m_coef, tmp), x)
