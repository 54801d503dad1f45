"""`autograd.accelerator`: `torch.accelerator` on a machine without one (this engine
computes on the CPU with numpy)."""

from __future__ import annotations

from .device import NO_ACCELERATOR, device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index"]


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> device | None:
    return None


def device_count() -> int:
    return 0


def current_device_index() -> int:
    raise RuntimeError(NO_ACCELERATOR)
