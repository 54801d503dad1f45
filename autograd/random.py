"""Random number generation: `Generator`, `manual_seed`, and the global default generator.

Streams come from numpy's PCG64, so seeds give reproducible results here, but not the
same numbers as PyTorch's generator.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator",
           "get_rng_state", "set_rng_state"]


class Generator:
    """A seeded source of random numbers, accepted as `generator=` by random functions."""

    def __init__(self, device: str = "cpu") -> None:
        self._seed = 67280421310721  # PyTorch's default seed value
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self) -> str:
        return "cpu"


default_generator = Generator()


def _rng(generator: Generator | None) -> np.random.Generator:
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an autograd.Generator, got {type(generator).__name__}")
    return generator._rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (used by every random function without `generator=`)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)
