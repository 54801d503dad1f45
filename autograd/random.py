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


# ---------------------------------------------------------------------------------------
# multinomial (torch.multinomial): draws of category indices from rows of weights


def multinomial(input, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None, out=None):
    """Draw `num_samples` category indices from each row of non-negative weights
    (`input` 1-D (K,) or 2-D (rows, K); weights need not sum to 1). Returns int64 indices
    of shape (num_samples,) or (rows, num_samples).

    With replacement, each draw follows p / sum(p). Without (the default), each index
    appears at most once and later draws follow the renormalised remaining weights;
    zero-weight categories come last, once the positive ones are used up. Sampled as
    PyTorch's distribution prescribes, from this project's generator (not PyTorch's
    stream)."""
    from .tensor import Tensor, _make
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"multinomial(): argument 'generator' must be autograd.Generator, not "
                        f"{type(generator).__name__}")
    p = input._data
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if p.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._legacy}")
    n = int(num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = p.shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    w = np.atleast_2d(p).astype(np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = w.sum(axis=1)
    if (total <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    if replacement:
        # cumulative weights / their total: the last positive category ends at exactly 1,
        # so a zero-weight category (an empty interval) is never hit
        cdf = np.cumsum(w, axis=1) / total[:, None]
        u = rng.random((w.shape[0], n))
        idx = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
    else:
        # the exponential race: sorting E_i / p_i (E ~ Exp(1)) orders the categories as
        # successive draws without replacement do; zero weights give inf and come last
        # (in descending index order, as PyTorch's implementation leaves them)
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(w.shape) / w
        back = np.broadcast_to(-np.arange(k), w.shape)
        idx = np.lexsort((back, keys), axis=-1)[:, :n]
    idx = idx.astype(np.int64, copy=False)
    res = _make(idx if p.ndim == 2 else idx[0])
    if out is not None:
        out._data[...] = res._data
        return out
    return res


def _tensor_multinomial(self, num_samples: int, replacement: bool = False, *,
                        generator: Generator | None = None):
    return multinomial(self, num_samples, replacement, generator=generator)


def _attach_multinomial() -> None:
    from .tensor import Tensor
    Tensor.multinomial = _tensor_multinomial


_attach_multinomial()
