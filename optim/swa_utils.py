"""Weight averaging, as torch.optim.swa_utils: `AveragedModel` (SWA or EMA of a model's
weights), the `SWALR` schedule, and `update_bn` to recompute batch-norm statistics.

    swa_model = optim.swa_utils.AveragedModel(model)
    swa_sched = optim.swa_utils.SWALR(opt, swa_lr=0.05)
    for epoch in range(epochs):
        train_one_epoch(model, opt)
        if epoch >= swa_start:
            swa_model.update_parameters(model)
            swa_sched.step()
    optim.swa_utils.update_bn(loader, swa_model)

Averages are computed in place on the numpy arrays, outside the autograd graph.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from typing import Any, Literal

import numpy as np

import autograd
import nn
from autograd import Tensor

from .lr_scheduler import LRScheduler, _format_param
from .optimizer import Optimizer, _lerp_

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def _set_(dst: Tensor, value: Tensor | np.ndarray) -> None:
    """`dst.copy_(value)` on the arrays (truncating into integer buffers, as copy_ does)."""
    np.copyto(dst._data, value._data if isinstance(value, Tensor) else value,
              casting="unsafe")
    dst._vc[0] += 1


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[..., None]:
    """In-place exponential moving average over lists of tensors:
    `ema = decay * ema + (1 - decay) * current`."""
    _check_decay(decay)

    def ema_update(ema_param_list: Sequence[Tensor], current_param_list: Sequence[Tensor],
                   _: Any) -> None:
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            e = p_ema._data
            if e.dtype.kind in "fc":
                _lerp_(e, p_model._data, 1 - decay, np.empty(e.shape, e.dtype))
                p_ema._vc[0] += 1
            else:
                _set_(p_ema, e * decay + p_model._data * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> Callable[..., None]:
    """In-place equal-weight average over lists of tensors:
    `avg += (current - avg) / (n_averaged + 1)`."""
    def swa_update(averaged_param_list: Sequence[Tensor], current_param_list: Sequence[Tensor],
                   num_averaged: Tensor | int) -> None:
        n = float(num_averaged)
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            a = p_avg._data
            if a.dtype.kind in "fc":
                _lerp_(a, p_model._data, 1 / (n + 1), np.empty(a.shape, a.dtype))
                p_avg._vc[0] += 1
            else:
                _set_(p_avg, a + (p_model._data - a) / (n + 1))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """`avg_fn` of an exponential moving average: `decay * ema + (1 - decay) * current`."""
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with autograd.no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """`avg_fn` of the equal-weight average: `avg + (current - avg) / (n_averaged + 1)`."""
    def swa_update(averaged_param: Tensor, current_param: Tensor,
                   num_averaged: Tensor | int) -> Tensor:
        with autograd.no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(nn.Module):
    """`torch.optim.swa_utils.AveragedModel`: a copy of `model` whose parameters (and, with
    `use_buffers=True`, buffers) are a running average of `model`'s, updated by
    `update_parameters(model)`: equal weights (SWA) unless `avg_fn` (per tensor, returning
    the new average) or `multi_avg_fn` (lists of tensors, in place) says otherwise.
    The first update copies. State dict: `module.*` and `n_averaged`, as PyTorch's.
    """

    n_averaged: Tensor

    def __init__(self, model: nn.Module, device: Any = None,
                 avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
                 multi_avg_fn: Callable[..., None] | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", autograd.tensor(0, dtype=autograd.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: nn.Module) -> None:
        """Average `model`'s current weights into this model's."""
        if self.use_buffers:
            pairs = list(zip(itertools.chain(self.module.parameters(), self.module.buffers()),
                             itertools.chain(model.parameters(), model.buffers())))
        else:
            pairs = list(zip(self.parameters(), model.parameters()))
        n = self.n_averaged
        if n.item() == 0:
            for p_avg, p_model in pairs:
                _set_(p_avg, p_model)
        elif self.avg_fn is None and self.multi_avg_fn is None:   # PyTorch's CPU default
            k = n.item() + 1
            for p_avg, p_model in pairs:
                a = p_avg._data
                _set_(p_avg, a + (p_model._data - a) / k)
        elif self.avg_fn is not None:
            for p_avg, p_model in pairs:
                _set_(p_avg, self.avg_fn(p_avg.detach(), p_model.detach(), n))
        else:
            avg = self.multi_avg_fn
            by_dtype: dict[Any, tuple[list[Tensor], list[Tensor]]] = {}
            for p_avg, p_model in pairs:
                mine, theirs = by_dtype.setdefault(p_avg.dtype, ([], []))
                mine.append(p_avg.detach())
                theirs.append(p_model.detach())
            for mine, theirs in by_dtype.values():
                avg(mine, theirs, n)
        if not self.use_buffers:
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                _set_(b_swa, b_model)
        _set_(n, n._data + 1)


def _batch_norm_class() -> type:
    """The base class of PyTorch's batch norms (`_BatchNorm`), wherever nn defines it."""
    return next(c for c in nn.BatchNorm1d.__mro__ if c.__name__ == "_BatchNorm")


def update_bn(loader: Iterable[Any], model: nn.Module, device: Any = None) -> None:
    """Recompute the running statistics of `model`'s batch norms with one pass over
    `loader` (batches are tensors, or lists/tuples whose first element is the input),
    as a cumulative average (momentum None), then restore each momentum."""
    bn = _batch_norm_class()
    momenta = {}
    for module in model.modules():
        if isinstance(module, bn):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with autograd.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to `swa_lr` over `anneal_epochs` epochs (`cos` or `linear`),
    then keep it there: the schedule of stochastic weight averaging."""

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float],
                 anneal_epochs: int = 10, anneal_strategy: Literal["cos", "linear"] = "cos",
                 last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[Any]:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = (self._cosine_anneal if anneal_strategy == "cos"
                            else self._linear_anneal)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer and the annealing function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
