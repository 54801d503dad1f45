"""Rprop: per-element step sizes that grow while the gradient keeps its sign and shrink when
it flips; only the gradient's sign moves the parameter."""

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
    _incr_step,
    _state_tensor,
    _step_tensor,
    _to_scalar,
)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """`torch.optim.Rprop`.

    Per element: `s = sign(g * prev)`; the step size is multiplied by `etas[1]` where
    `s > 0`, by `etas[0]` where `s < 0`, and clamped to `step_sizes`; where the sign
    flipped the gradient counts as 0 (and is remembered so); `p -= sign(g) * step_size`.
    State: `step`, `prev` (the last gradient), `step_size` (starts at `lr`).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        _check_flags("Rprop", differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; returns the closure's loss (if any)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            maximize = group["maximize"]
            for p, g, st in self._with_grad(group):
                x = p._data
                if not st:
                    st["step"] = _step_tensor()
                    st["prev"] = _state_tensor(np.zeros_like(x))
                    st["step_size"] = _state_tensor(np.full_like(x, _to_scalar(group["lr"])))
                _incr_step(st)
                _rprop(x, g, st["prev"]._data, st["step_size"]._data, etaminus, etaplus,
                       step_size_min, step_size_max, maximize)
        return loss


@_blockwise(arrays=4)
def _rprop(x: np.ndarray, g: np.ndarray, prev: np.ndarray, step_size: np.ndarray,
           etaminus: float, etaplus: float, step_size_min: float, step_size_max: float,
           maximize: bool) -> None:
    g = np.negative(g, out=np.empty(x.shape, x.dtype)) if maximize else g.copy()
    gp = np.multiply(g, prev, out=np.empty(x.shape, x.dtype))
    flipped = gp < 0
    factor = np.ones(x.shape, x.dtype)      # where g * prev is 0 or NaN (sign(NaN) is 0)
    np.copyto(factor, etaplus, where=gp > 0)
    np.copyto(factor, etaminus, where=flipped)
    np.clip(np.multiply(step_size, factor, step_size), step_size_min, step_size_max,
            out=step_size)
    np.copyto(g, 0, where=flipped)          # a flipped sign: no move now, no flip next time
    np.copyto(prev, g)
    np.sign(g, g)
    np.copyto(g, 0, where=np.isnan(g))      # PyTorch's sign(NaN) is 0
    np.subtract(x, np.multiply(g, step_size, g), x)
