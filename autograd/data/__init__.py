"""autograd.data: datasets, samplers and the DataLoader, as ``torch.utils.data``; plus
ready-made datasets (``make_moons``, ``make_circles``, ``make_spirals``, ``load_digits``,
``MNIST``, and the text corpora of ``load_text``)."""

from .dataloader import DataLoader, default_collate, default_convert
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler
from .sets import MNIST, load_digits, make_circles, make_moons, make_spirals
from .text import load_text

__all__ = ["DataLoader", "default_collate", "default_convert", "Dataset", "IterableDataset",
           "TensorDataset", "Subset", "ConcatDataset", "random_split", "Sampler",
           "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
           "MNIST", "load_digits", "make_moons", "make_circles", "make_spirals", "load_text"]
