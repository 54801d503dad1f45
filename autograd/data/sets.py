"""Ready-made datasets as tensors: toy 2-D problems, the bundled digits, and MNIST."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ..creation import from_numpy
from ..random import Generator, _rng
from ..tensor import Tensor
from .dataset import Dataset
from .datasets import (
    _load_digits_np,
    _load_mnist_np,
    _make_circles_np,
    _make_moons_np,
    _make_spirals_np,
)

__all__ = ["make_moons", "make_circles", "make_spirals", "load_digits", "MNIST"]


def _as_tensors(X: np.ndarray, y: np.ndarray) -> tuple[Tensor, Tensor]:
    return (from_numpy(np.ascontiguousarray(X, dtype=np.float32)),
            from_numpy(np.ascontiguousarray(y, dtype=np.int64)))


def make_moons(n_samples: int = 100, noise: float = 0.0,
               generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles (scikit-learn's ``make_moons``): ``X`` float32 (n, 2),
    ``y`` int64 (n,), rows shuffled and noise drawn from ``generator``."""
    return _as_tensors(*_make_moons_np(n_samples, noise, rng=_rng(generator)))


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.8,
                 generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """A circle inside another (scikit-learn's ``make_circles``, inner radius ``factor``):
    ``X`` float32 (n, 2), ``y`` int64 (n,)."""
    return _as_tensors(*_make_circles_np(n_samples, noise, factor, rng=_rng(generator)))


def make_spirals(n_samples: int = 100, noise: float = 0.0, n_classes: int = 2,
                 generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """``n_classes`` interleaved spiral arms (CS231n); ``noise`` perturbs the angle:
    ``X`` float32 (n, 2), ``y`` int64 (n,)."""
    return _as_tensors(*_make_spirals_np(n_samples, noise, n_classes, rng=_rng(generator)))


def load_digits() -> tuple[Tensor, Tensor]:
    """The bundled 8x8 handwritten digits (UCI, as scikit-learn's ``load_digits``):
    ``X`` float32 (1797, 64) with pixel values 0..16, ``y`` int64 (1797,) in 0..9."""
    return _as_tensors(*_load_digits_np())


class MNIST(Dataset):
    """The MNIST digits from the standard IDX files (plain or ``.gz``) in ``root/`` or
    ``root/MNIST/raw/``; downloaded into ``root/MNIST/raw/`` only if ``download=True``.

    Item ``i`` is ``(image, label)``: a float32 tensor (1, 28, 28) in [0, 1] (then
    ``transform`` if given) and an int (then ``target_transform``). ``.data`` holds the uint8
    images (n, 28, 28) and ``.targets`` the int64 labels, as in torchvision.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike[str], train: bool = True,
                 download: bool = False, transform: Callable[[Tensor], Any] | None = None,
                 target_transform: Callable[[int], Any] | None = None) -> None:
        self.root = os.fspath(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        images, labels = _load_mnist_np(self.root, train=train, download=download)
        self.data = from_numpy(images)
        self.targets = from_numpy(labels)

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img = from_numpy(self.data._data[index][None].astype(np.float32) / np.float32(255))
        target: Any = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def _batchable(self) -> bool:
        return self.transform is None and self.target_transform is None

    def _get_batch(self, idx: np.ndarray) -> list[Tensor]:
        """Images (b, 1, 28, 28) float32 and labels (b,) int64 for the index array ``idx``."""
        imgs = self.data._data[idx][:, None].astype(np.float32) / np.float32(255)
        return [from_numpy(imgs), from_numpy(self.targets._data[idx])]

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset MNIST\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")
