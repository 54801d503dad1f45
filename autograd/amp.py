"""`autograd.amp` (torch.amp): `autocast` and `GradScaler` as a CPU-only PyTorch build has them.

- `autocast("cpu", ...)` is a context manager and decorator that sets what
  `is_autocast_enabled` reports, and computes in the tensors' own dtypes: numpy has no
  bfloat16, so where PyTorch's CPU autocast rounds matrix products to bfloat16, a program
  here gets float32 numbers. `autocast("cuda")` disables itself with PyTorch's warning.
- `GradScaler("cuda")` (the default device) disables itself with PyTorch's warning and
  passes through: `scale(loss)` is `loss`, `step(opt)` is `opt.step()`. `GradScaler("cpu")`
  works as PyTorch's: it multiplies the loss by its scale, divides the gradients by it
  before the step, skips a step whose gradients hold inf or NaN, then halves its scale
  (or doubles it after `growth_interval` good steps).
"""

from __future__ import annotations

import functools
import math
import threading
import warnings
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "get_autocast_dtype"]


def _f32(v: float) -> float:
    """`v` rounded to float32, the dtype of PyTorch's scale."""
    return float(np.float32(v))

_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")   # (PyTorch's list, in its error)
_state = threading.local()   # per thread, as PyTorch's: {device type: (enabled, dtype)}


def _modes() -> dict:
    if not hasattr(_state, "modes"):
        _state.modes = {}
    return _state.modes


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an `autocast` region is active (for `device_type`, default "cuda")."""
    return _modes().get(device_type or "cuda", (False, None))[0]


def get_autocast_dtype(device_type: str):
    """The dtype the innermost active `autocast(device_type, dtype=...)` asked for."""
    return _modes().get(device_type, (False, None))[1]


class autocast:
    """`torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)`."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at "
                               f"start of device string: {device_type}")
        if device_type != "cpu" and enabled:
            warnings.warn(f"{device_type.upper() if device_type == 'cuda' else device_type} "
                          "is not available or torch_xla is imported. Disabling autocast.",
                          UserWarning, stacklevel=2)
            enabled = False
        self.device, self.fast_dtype, self._enabled = device_type, dtype, bool(enabled)
        self._prev: list = []

    def __enter__(self) -> autocast:
        modes = _modes()
        self._prev.append(modes.get(self.device))
        modes[self.device] = (self._enabled, self.fast_dtype)
        return self

    def __exit__(self, *exc) -> None:
        prev = self._prev.pop()
        if prev is None:
            _modes().pop(self.device, None)
        else:
            _modes()[self.device] = prev

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def run(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return func(*args, **kwargs)
        return run


_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """`torch.amp.GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True)`."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if device == "cuda" and enabled:
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available."
                          "  Disabling.", UserWarning, stacklevel=2)   # (PyTorch's words)
            enabled = False
        self._device, self._enabled = device, bool(enabled)
        if self._enabled:
            if not growth_factor > 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if not backoff_factor < 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._scale, self._growth_tracker = _f32(init_scale), 0
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._stages: dict = {}   # id(optimizer) -> [stage, found_inf]

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs: Any) -> Any:
        """`outputs` (a tensor, or tensors in lists and tuples) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, Iterable) and not isinstance(outputs, (str, bytes)):
            scaled = [self.scale(o) for o in outputs]
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _stage(self, optimizer) -> list:
        return self._stages.setdefault(id(optimizer), [_READY, 0.0])

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale, noting any inf or NaN."""
        if not self._enabled:
            return
        st = self._stage(optimizer)
        if st[0] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since "
                               "the last update().")
        if st[0] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = np.float32(1.0 / self._scale)   # (PyTorch: the double reciprocal, as float)
        found = 0.0
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.dtype.itemsize < 4:   # (float16)
                    raise ValueError("Attempting to unscale FP16 gradients.")
                d = g._data
                if not np.isfinite(d).all():
                    found = 1.0
                np.multiply(d, inv.astype(d.dtype), out=d)
        st[:] = [_UNSCALED, found]

    def step(self, optimizer, *args, **kwargs) -> Any:
        """`optimizer.step()` on unscaled gradients, skipped if they hold inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        st = self._stage(optimizer)
        if st[0] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if st[0] == _READY:
            self.unscale_(optimizer)
        result = optimizer.step(*args, **kwargs) if not st[1] else None
        st[0] = _STEPPED
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Back off the scale after inf/NaN gradients, grow it after `growth_interval`
        clean steps (or set `new_scale`); a new iteration begins."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = _f32(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        else:
            if not self._stages:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found for _, found in self._stages.values()):
                self._scale = _f32(self._scale * self._backoff_factor)
                self._growth_tracker = 0
            elif self._growth_tracker + 1 == self._growth_interval:
                grown = _f32(self._scale * self._growth_factor)
                if math.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
        self._stages = {}

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = _f32(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict.get("_growth_tracker", 0))


class _DeprecatedAutocast(autocast):
    """`torch.{cuda,cpu}.amp.autocast(...)`: `autocast(device, ...)` with PyTorch's
    FutureWarning."""

    device_type = "cuda"

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> None:
        d = self.device_type
        warnings.warn(f"`torch.{d}.amp.autocast(args...)` is deprecated. Please use "
                      f"`torch.amp.autocast('{d}', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__(d, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class _DeprecatedGradScaler(GradScaler):
    """`torch.{cuda,cpu}.amp.GradScaler(...)`: `GradScaler(device, ...)` with PyTorch's
    FutureWarning."""

    device_type = "cuda"

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        d = self.device_type
        warnings.warn(f"`torch.{d}.amp.GradScaler(args...)` is deprecated. Please use "
                      f"`torch.amp.GradScaler('{d}', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__(d, init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)


def device_amp(device_type: str):
    """The `amp` namespace of `autograd.cuda` / `autograd.cpu` (`torch.cuda.amp`)."""
    names = {"device_type": device_type, "__module__": f"autograd.{device_type}.amp"}
    return SimpleNamespace(autocast=type("autocast", (_DeprecatedAutocast,), names),
                           GradScaler=type("GradScaler", (_DeprecatedGradScaler,), names))
