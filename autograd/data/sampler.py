"""Samplers as in ``torch.utils.data``: which indices a DataLoader visits, and in what batches."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized

import numpy as np

from ..random import (
    Generator,
    _gen,
    _int_values,
    _random_seed,
    _randperm_values,
    _skip_randperm,
)
from ..tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "BatchSampler"]

_CHUNK = 1 << 16
"""Indices are made this many at a time (or one permutation at a time), as PyTorch draws
them lazily: an endless sampler (``num_samples=int(1e10)``) costs nothing up front."""


class Sampler:
    """Base class: ``__iter__`` yields dataset indices (``__len__`` optional)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def _index_chunks(self) -> Iterator[np.ndarray]:
        """One epoch's indices as int64 arrays, made lazily chunk by chunk (the samplers of
        this module; for other samplers only ``__iter__`` knows the order)."""
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _index_chunks(self) -> Iterator[np.ndarray]:
        n = len(self.data_source)
        for start in range(0, n, _CHUNK):
            yield np.arange(start, min(start + _CHUNK, n), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation each epoch (or ``num_samples`` draws with replacement).

    The order is drawn from ``generator`` (default: the global generator, so
    ``autograd.manual_seed`` makes it reproducible).
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={self.replacement}")
        if (isinstance(self.num_samples, bool) or not isinstance(self.num_samples, numbers.Integral)
                or self.num_samples <= 0):
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_chunks(self) -> Iterator[np.ndarray]:
        """PyTorch's draws: without a generator, a fresh one seeded from the global generator
        each epoch; then ``randint(n)`` draws (``_CHUNK`` at a time, the same stream) with
        replacement, else ``randperm(n)`` per ``n`` samples, plus one for the rest (drawn
        even when nothing is left, as PyTorch does)."""
        n = len(self.data_source)
        if not n:
            return
        g = self.generator
        if g is None:
            g = Generator().manual_seed(_random_seed(None))
        if self.replacement:
            for start in range(0, self.num_samples, _CHUNK):
                yield _int_values(g, min(_CHUNK, self.num_samples - start), 0, n)
            return
        for _ in range(self.num_samples // n):
            yield _randperm_values(g, n)
        rest = self.num_samples % n
        if rest:
            yield _randperm_values(g, n)[:rest]
        else:   # PyTorch draws one more permutation, of which it keeps nothing
            _skip_randperm(g, n)

    def __iter__(self) -> Iterator[int]:
        for chunk in self._index_chunks():
            yield from chunk.tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a fresh random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def _index_chunks(self) -> Iterator[np.ndarray]:
        idx = np.asarray(self.indices._data if isinstance(self.indices, Tensor) else self.indices,
                         dtype=np.int64).reshape(-1)
        yield idx[_randperm_values(_gen(self.generator), len(idx))]

    def __iter__(self) -> Iterator[int]:
        for chunk in self._index_chunks():
            yield from chunk.tolist()

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (last one partial
    unless ``drop_last``)."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                or batch_size <= 0):
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError("drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def _array_batches(self) -> Iterator[np.ndarray] | None:
        """The batches as int64 arrays (made lazily), if the sampler gives its indices in
        array chunks; None for a custom sampler."""
        cls = type(self.sampler)
        if cls not in _ARRAY_SAMPLERS and not any(
                cls.__iter__ is k.__iter__ and cls._index_chunks is k._index_chunks
                for k in _ARRAY_SAMPLERS):
            return None  # a custom sampler: only its __iter__ knows the order
        return _rebatch(self.sampler._index_chunks(), self.batch_size, self.drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._array_batches()
        if batches is not None:
            for b in batches:
                yield b.tolist()
            return
        batch: list[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def _rebatch(chunks: Iterator[np.ndarray], size: int, drop_last: bool) -> Iterator[np.ndarray]:
    """Cut a stream of index arrays into arrays of ``size`` (the last one partial unless
    ``drop_last``), joining the pieces that straddle two chunks."""
    rest = np.empty(0, np.int64)
    for chunk in chunks:
        if len(rest):
            chunk = np.concatenate([rest, chunk])
        stop = len(chunk) - len(chunk) % size
        for i in range(0, stop, size):
            yield chunk[i:i + size]
        rest = chunk[stop:]
    if len(rest) and not drop_last:
        yield rest


_ARRAY_SAMPLERS = (SequentialSampler, RandomSampler, SubsetRandomSampler)
