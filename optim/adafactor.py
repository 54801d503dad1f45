"""Adafactor (Shazeer & Stern, 2018), PyTorch's variant: the second moment of a matrix kept as
a row and a column factor (memory linear in its sides), a step-dependent decay, updates
clipped by their RMS and scaled by the parameter's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Tensor

from .optimizer import (
    Optimizer,
    ParamsT,
    _incr_step,
    _lerp_,
    _state_tensor,
    _to_scalar,
    _zeros_state,
)

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """`torch.optim.Adafactor`.

    Per parameter, at step `t`: `w = t ** beta2_decay`; a matrix's (or batch of matrices')
    row and column mean squares of `g` are averaged in (`r.lerp_(mean_j g^2, w)`,
    `c.lerp_(mean_i g^2, w)`) and `v = r c / mean(r)`; a vector keeps `v.lerp_(g^2, w)`;
    `u = g / sqrt(max(v, eps1^2))`, clipped to RMS `d`; `p -= max(eps2, RMS(p)) *
    min(lr, 1/sqrt(t)) * u` (after `p *= 1 - lr * weight_decay`).
    State: `step`, `row_var` and `col_var` (or `variance` for vectors).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= _to_scalar(lr):
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            beta2_decay, d, wd = group["beta2_decay"], group["d"], group["weight_decay"]
            eps1, eps2 = group["eps"]
            for p, g, st in self._with_grad(group):
                x = p._data
                if not st:
                    if g.ndim > 1:
                        _zeros_state(st, x)
                        st["row_var"] = _state_tensor(np.zeros(g.shape[:-1] + (1,), g.dtype))
                        st["col_var"] = _state_tensor(
                            np.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))
                    else:
                        _zeros_state(st, x, "variance")
                if eps1 is None:         # the first tensor's dtype decides, as in PyTorch
                    eps1 = float(np.finfo(x.dtype).eps)
                t = _incr_step(st)
                alpha = max(eps2, float(np.sqrt(np.vdot(x, x))) / x.size ** 0.5) * \
                    min(lr, 1 / t ** 0.5)
                if wd != 0:
                    np.multiply(x, 1 - lr * wd, x)
                if group["maximize"]:
                    g = np.negative(g)
                v = _second_moment(g, st, t ** beta2_decay, eps1)
                np.maximum(v, eps1 * eps1, out=v)
                u = np.multiply(np.divide(1, np.sqrt(v, v), v), g, v)     # g / sqrt(v)
                denom = max(1.0, float(np.sqrt(np.vdot(u, u))) / (u.size ** 0.5 * d))
                np.add(x, np.multiply(u, -alpha / denom, u), x)
        return loss


def _second_moment(g: np.ndarray, st: dict, w: float, eps1: float) -> np.ndarray:
    """Update the factored (or full) running mean square of `g` with weight `w`; return the
    estimate of `E[g^2]` in a fresh array."""
    if g.ndim > 1:
        r, c = st["row_var"]._data, st["col_var"]._data
        sq = g * g
        # PyTorch squares a norm: sqrt, then square, as it rounds
        row_mean = np.square(np.sqrt(sq.sum(-1, keepdims=True))) / g.shape[-1]
        col_mean = np.square(np.sqrt(sq.sum(-2, keepdims=True))) / g.shape[-2]
        _lerp_(r, row_mean, w, np.empty_like(r))
        _lerp_(c, col_mean, w, np.empty_like(c))
        v = np.matmul(r, c)
        return np.divide(v, np.maximum(r.mean(-2, keepdims=True), eps1), v)
    var = st["variance"]._data
    _lerp_(var, g * g, w, np.empty_like(var))
    return var.copy()
