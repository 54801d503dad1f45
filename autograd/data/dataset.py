"""Datasets as in ``torch.utils.data``: Dataset, TensorDataset, Subset, ConcatDataset,
random_split."""

from __future__ import annotations

import bisect
import math
import numbers
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..random import Generator, _gen, _randperm_values
from ..tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__`` (and usually ``__len__``)."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__``."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset):  # torch chains iterable datasets
        raise TypeError("IterableDataset does not support '+' here; iterate them in turn")


def _index_array(indices: Any) -> np.ndarray:
    arr = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if arr.dtype.kind not in "iu" and arr.size:
        raise TypeError(f"indices must be integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False).reshape(-1)


class TensorDataset(Dataset):
    """Tensors sharing their first dimension; item ``i`` is ``tuple(t[i] for t in tensors)``."""

    def __init__(self, *tensors: Tensor) -> None:
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} must be a Tensor, "
                                f"got {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; every tensor "
                                 "needs a first (sample) dimension")
        for i, t in enumerate(tensors[1:], 1):
            if t.size(0) != tensors[0].size(0):   # PyTorch's type and words, then the sizes
                raise AssertionError(
                    f"Size mismatch between tensors: TensorDataset needs the same first "
                    f"(sample) dimension in every tensor, but tensor 0 has {tensors[0].size(0)} "
                    f"samples (shape {list(tensors[0].shape)}) and tensor {i} has {t.size(0)} "
                    f"(shape {list(t.shape)})")
        self.tensors = tuple(tensors)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0) if self.tensors else 0

    def _get_batch(self, idx: np.ndarray) -> list[Tensor]:
        """The collated batch for the index array ``idx``, gathered in one indexing per tensor."""
        out = []
        for t in self.tensors:
            if t.requires_grad:  # keep the graph, as stacking t[i] would
                out.append(t[idx])
            else:
                out.append(_from_numpy(t._data[idx]))
        return out


def _from_numpy(arr: np.ndarray) -> Tensor:
    from ..creation import from_numpy
    return from_numpy(arr)


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        inner = getattr(self.dataset, "__getitems__", None)
        if inner is not None:
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The concatenation of several map-style datasets."""

    @staticmethod
    def cumsum(sequence: Sequence[Dataset]) -> list[int]:
        r, s = [], 0
        for e in sequence:
            s += len(e)
            r.append(s)
        return r

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        if idx >= len(self):
            raise IndexError(f"index {idx} is out of range for ConcatDataset of length "
                             f"{len(self)}")
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


def _batch_source(dataset: Any) -> tuple[Any, np.ndarray | None] | None:
    """``(base, index_map)`` when ``dataset`` can gather a whole batch at once, else None.

    ``base`` has ``_get_batch(idx)``; ``index_map`` (or None) maps the dataset's indices to
    the base's, following chains of ``Subset``.
    """
    index_map = None
    while type(dataset) is Subset:
        try:
            local = _index_array(dataset.indices)
        except (TypeError, ValueError):
            return None
        index_map = local if index_map is None else local[index_map]
        dataset = dataset.dataset
    get_batch = getattr(dataset, "_get_batch", None)
    if get_batch is None:
        return None
    # a subclass that overrides __getitem__ changes what an item is: no shortcut then
    cls = type(dataset)
    for base in cls.__mro__:
        if "_get_batch" in base.__dict__:
            if cls.__getitem__ is not base.__getitem__:
                return None
            break
    if getattr(dataset, "_batchable", True) is False:
        return None
    return dataset, index_map


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping ``Subset`` s of the given lengths.

    ``lengths`` may be fractions summing to 1: each gets ``floor(n * frac)`` items and the
    remainder is handed out one by one, round-robin, as PyTorch does.
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths: list[int] = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(int(math.floor(n * frac)))
        remainder = n - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. "
                              "This might result in an empty dataset.", stacklevel=2)
    for v in lengths:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise ValueError("random_split: lengths must be ints, or fractions summing to 1; "
                             f"got {lengths}")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _randperm_values(_gen(generator), n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out
