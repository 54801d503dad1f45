"""`autograd.cpu`: what `torch.cpu` answers (the one device here)."""

from __future__ import annotations

from .amp import device_amp

__all__ = ["is_available", "device_count", "current_device", "synchronize", "amp"]


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def synchronize(device=None) -> None:
    pass


amp = device_amp("cpu")   # torch.cpu.amp: autocast and GradScaler, deprecated forms
