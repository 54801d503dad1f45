"""Adam (and, with `decoupled_weight_decay=True`, AdamW), with the AMSGrad variant."""

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

__all__ = ["Adam"]


class Adam(Optimizer):
    """`torch.optim.Adam`.

    Per parameter, at step `t`: `g = grad (+ weight_decay * p)` (or `p *= 1 - lr *
    weight_decay` when decoupled); `m = b1*m + (1-b1)*g`; `v = b2*v + (1-b2)*g^2`;
    `vhat = max(vhat, v)` (amsgrad) or `v`;
    `p -= lr / (1 - b1^t) * m / (sqrt(vhat) / sqrt(1 - b2^t) + eps)`.
    State per parameter: `step` (float32 0-d tensor), `exp_avg`, `exp_avg_sq`
    (`max_exp_avg_sq` with amsgrad). `foreach`, `fused` are accepted and ignored.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        betas = (_to_scalar(betas[0]), _to_scalar(betas[1]))
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable or capturable:
            raise NotImplementedError(f"{type(self).__name__}: differentiable=True and "
                                      "capturable=True are not supported")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta1, beta2 = group["betas"]
            w1, w2 = 1 - beta1, 1 - beta2
            eps, wd, amsgrad = group["eps"], group["weight_decay"], group["amsgrad"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            for p in group["params"]:
                gt = p._grad
                if gt is None:
                    continue
                x = p._data
                st = state[p]
                if not st:
                    st["step"] = _step_tensor()
                    st["exp_avg"] = _state_tensor(np.zeros_like(x))
                    st["exp_avg_sq"] = _state_tensor(np.zeros_like(x))
                    if amsgrad:
                        st["max_exp_avg_sq"] = _state_tensor(np.zeros_like(x))
                t = _incr_step(st)
                g = gt._data
                if wd != 0 and decoupled:
                    np.multiply(x, 1 - lr * wd, out=x)
                    if maximize:
                        g = self._grad(p, g, maximize, 0)
                elif maximize or wd != 0:
                    g = self._grad(p, g, maximize, wd)
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                tmp = np.empty(x.shape, x.dtype)   # fresh: see optimizer.py
                # m.lerp_(g, 1 - beta1), with torch's two-sided lerp formula
                np.subtract(g, m, out=tmp)
                if w1 < 0.5:
                    np.add(m, np.multiply(tmp, w1, out=tmp), out=m)
                else:
                    np.subtract(g, np.multiply(tmp, beta1, out=tmp), out=m)
                # v = beta2 * v + (1 - beta2) * g * g
                np.multiply(v, beta2, out=v)
                np.multiply(g, w2, out=tmp)
                np.add(v, np.multiply(tmp, g, out=tmp), out=v)
                if amsgrad:
                    vmax = st["max_exp_avg_sq"]._data
                    v = np.maximum(vmax, v, out=vmax)
                step_size = lr / (1 - beta1 ** t)
                bc2_sqrt = (1 - beta2 ** t) ** 0.5
                np.sqrt(v, out=tmp)
                np.divide(tmp, bc2_sqrt, out=tmp)
                np.add(tmp, eps, out=tmp)
                np.divide(m, tmp, out=tmp)
                np.add(x, np.multiply(tmp, -step_size, out=tmp), out=x)
                p._vc[0] += 1
                tmp = g = None   # freed before the next parameter's scratch is made
        return loss
