"""``DataLoader`` and ``default_collate``, as in ``torch.utils.data``.

Loading happens in the main process (``num_workers`` is accepted for compatibility and has
no effect). Batches of a ``TensorDataset`` (or of ``Subset`` s of one) are gathered with one
fancy index per tensor instead of sample by sample and ``stack``.
"""

from __future__ import annotations

import collections.abc
import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..creation import from_numpy, tensor
from ..dtypes import float64, int64
from ..ops.shape import stack
from ..random import Generator, _random_seed
from ..tensor import Tensor
from .dataset import Dataset, IterableDataset, _batch_source
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert"]

_COLLATE_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                "lists; found {}")


def default_convert(data: Any) -> Any:
    """Turn numpy arrays (not of strings/objects) into tensors, recursively; leave the rest."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind not in "SaUO":
        return from_numpy(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "SaUO":
        return tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch: list[Any]) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors are stacked; numpy arrays and numpy scalars become stacked tensors (dtype
    kept); Python ints become an int64 tensor, floats a **float64** tensor, bools a bool
    tensor; strings stay a list; dicts are collated key by key; tuples and lists of fields
    become a **list** of collated fields (namedtuples keep their type).
    """
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)):
        raise TypeError(f"default_collate: expected a list of samples, got {type(batch).__name__}")
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        for i, b in enumerate(batch):
            if not isinstance(b, Tensor):
                raise TypeError(f"default_collate: sample 0 is a Tensor but sample {i} is a "
                                f"{type(b).__name__}")
        if not any(b.requires_grad for b in batch):  # stack in numpy, no graph to record
            shapes = [b.shape for b in batch]
            for i, s in enumerate(shapes):
                if s != shapes[0]:
                    raise RuntimeError("stack expects each tensor to be equal size, but got "
                                       f"{list(shapes[0])} at entry 0 and {list(s)} at entry {i}")
            return from_numpy(np.stack([b._data for b in batch]))
        return stack(batch)
    if isinstance(elem, np.ndarray) or (isinstance(elem, np.generic)
                                        and not isinstance(elem, (np.str_, np.bytes_))):
        if elem.dtype.kind in "SaUO":
            raise TypeError(_COLLATE_ERR.format(elem.dtype))
        if isinstance(elem, np.ndarray):
            return default_collate([from_numpy(np.asarray(b)) for b in batch])
        return from_numpy(np.asarray(batch))
    if isinstance(elem, bool):
        return tensor(batch)
    if isinstance(elem, numbers.Integral):
        return tensor(batch, dtype=int64)
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(_COLLATE_ERR.format(type(elem)))


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    ``shuffle=True`` draws a new permutation every epoch from ``generator`` (an
    ``autograd.Generator``; default: the global generator). ``len(loader)`` is
    ``ceil(N / batch_size)`` (floor with ``drop_last``). ``batch_size=None`` yields single
    samples. ``num_workers`` is accepted but loading always runs in the calling process.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable[list[int]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context: Any = None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
                or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError("DataLoader: generator must be an autograd.Generator, got "
                            f"{type(generator).__name__}")
        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterable = isinstance(dataset, IterableDataset)

        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")

        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            if self._iterable:
                BatchSampler(range(1), batch_size, drop_last)  # validates batch_size
            else:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self._user_collate = collate_fn is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self._auto_collation:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        _random_seed(self.generator)   # PyTorch's iterator draws its workers' base seed
        if self._iterable:
            return self._iter_iterable()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        fast = self._fast_batches()
        if fast is not None:
            return fast
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return (self.collate_fn(getitems(list(b))) for b in self.batch_sampler)
        return (self.collate_fn([self.dataset[i] for i in b]) for b in self.batch_sampler)

    def _fast_batches(self) -> Iterator[Any] | None:
        """Whole-batch gathering for tensor-backed datasets with the default collate."""
        if self.collate_fn is not default_collate or type(self.batch_sampler) is not BatchSampler:
            return None
        source = _batch_source(self.dataset)
        if source is None:
            return None
        arrays = self.batch_sampler._array_batches()
        if arrays is None:
            return None
        base, index_map = source
        if index_map is None:
            return (base._get_batch(idx) for idx in arrays)
        return (base._get_batch(index_map[idx]) for idx in arrays)

    def _iter_iterable(self) -> Iterator[Any]:
        if self.batch_size is None:
            for item in self.dataset:  # type: ignore[attr-defined]
                yield self.collate_fn(item)
            return
        batch: list[Any] = []
        for item in self.dataset:  # type: ignore[attr-defined]
            batch.append(item)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)
