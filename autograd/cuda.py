"""`autograd.cuda`: what `torch.cuda` answers on a CPU-only PyTorch build. Programs that
ask `autograd.cuda.is_available()` pick the CPU; seeding is a no-op; asking for a GPU
raises PyTorch's `AssertionError: Torch not compiled with CUDA enabled`."""

from __future__ import annotations

from .amp import device_amp
from .device import NO_CUDA

__all__ = ["is_available", "device_count", "is_initialized", "is_bf16_supported",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "empty_cache",
           "memory_allocated", "max_memory_allocated", "memory_reserved", "current_device",
           "synchronize", "get_device_name", "get_device_properties",
           "get_device_capability", "get_rng_state", "set_rng_state"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


# seeding the CUDA generators is silently ignored when there is no CUDA, as in PyTorch
def manual_seed(seed: int) -> None:
    pass


def manual_seed_all(seed: int) -> None:
    pass


def seed() -> None:
    pass


def seed_all() -> None:
    pass


def empty_cache() -> None:
    pass


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def _no_cuda(*args, **kwargs):
    raise AssertionError(NO_CUDA)


# these need a GPU, in PyTorch too
current_device = synchronize = get_device_name = get_device_properties = \
    get_device_capability = get_rng_state = set_rng_state = _no_cuda


amp = device_amp("cuda")   # torch.cuda.amp: autocast and GradScaler, deprecated forms
