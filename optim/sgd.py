"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

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
    _state_tensor,
    _to_scalar,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    """`torch.optim.SGD`.

    Per parameter: `g = grad (+ weight_decay * p)`; with momentum, `buf = g` on the first
    step and `buf = momentum * buf + (1 - dampening) * g` after; `g = g + momentum * buf`
    (nesterov) or `buf`; `p -= lr * g`. `maximize` negates the gradient first.
    `foreach`, `fused` are accepted for compatibility (there is one numpy code path).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_flags("SGD", differentiable, fused, foreach)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            momentum, dampening = group["momentum"], group["dampening"]
            nesterov, wd, maximize = group["nesterov"], group["weight_decay"], group["maximize"]
            for p, g, st in self._with_grad(group, stateful=momentum != 0):
                x = p._data
                buf, first = None, False
                if st is not None:
                    buf_t = st.get("momentum_buffer")
                    if buf_t is None:
                        st["momentum_buffer"] = buf_t = _state_tensor(np.empty_like(x))
                        first = True
                    buf = buf_t._data
                _sgd(x, g, buf, lr, momentum, dampening, nesterov, wd, maximize, first)
        return loss


@_blockwise(arrays=3)
def _sgd(x: np.ndarray, g: np.ndarray, buf: np.ndarray | None, lr: float, momentum: float,
         dampening: float, nesterov: bool, wd: float, maximize: bool, first: bool) -> None:
    if wd != 0 or maximize:
        g = _decayed_grad(x, g, maximize, wd)
    if buf is not None:
        if first:
            np.copyto(buf, g)
        else:
            np.multiply(buf, momentum, buf)
            if dampening != 0:
                np.add(buf, np.multiply(g, 1 - dampening), buf)
            else:
                np.add(buf, g, buf)
        # (scratch arrays are made in the expressions, freed at once: see optimizer.py)
        g = np.add(g, np.multiply(buf, momentum)) if nesterov else buf
    np.subtract(x, np.multiply(g, lr), x)
