"""nn.utils.rnn: batches of variable-length sequences, as torch.nn.utils.rnn.

A `PackedSequence` holds the steps of several sequences sorted by length (longest first),
time-major: `data` has the first step of every sequence, then the second step of those
that have one, and so on; `batch_sizes[t]` counts the sequences still running at step t.
The recurrent layers accept one and give the same outputs as running each sequence alone.
Packing and padding are indexing ops, so gradients flow through them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

import autograd as ag
from autograd.tensor import Tensor, _make

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """(data, batch_sizes, sorted_indices, unsorted_indices); made by `pack_padded_sequence`
    and `pack_sequence`. `sorted_indices` maps the sorted batch to the caller's order (None
    if the caller's batch was already sorted), `unsorted_indices` is its inverse."""

    def __new__(cls, data, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:   # PackedSequence((data, batch_sizes), ...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """`data.to(...)`; self if nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self.to(dtype=ag.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=ag.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=ag.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=ag.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=ag.int32)

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (None for None)."""
    if permutation is None:
        return None
    p = permutation._data
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return _make(inv)


def _lengths(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths._data.astype(np.int64)
    return np.asarray(lengths, dtype=np.int64)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """batch_sizes[t] = how many of the (sorted) lengths exceed t."""
    steps = np.arange(int(lengths.max()) if lengths.size else 0)
    return (lengths[None, :] > steps[:, None]).sum(1).astype(np.int64)


def _packed_positions(batch_sizes: np.ndarray) -> tuple:
    """(t, b) of each row of a packed `data`, in its order."""
    t = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    starts = np.repeat(np.cumsum(batch_sizes) - batch_sizes, batch_sizes)
    return t, np.arange(t.size) - starts


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with `batch_first`) of sequences of
    the given `lengths`. With `enforce_sorted=False` the batch is sorted by length here."""
    lens = _lengths(lengths)
    batch_dim = 0 if batch_first else 1
    if input.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{input.ndim}, "
                         f"{input.ndim - 1}], but got 1)")
    if lens.ndim != 1 or lens.size != input.shape[batch_dim]:
        raise ValueError(f"pack_padded_sequence: expected {input.shape[batch_dim]} lengths "
                         f"(one per sequence of the input of shape {list(input.shape)}), got "
                         f"{lens.size}")
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _make(order.astype(np.int64))
        input = input.index_select(batch_dim, sorted_indices)
    elif (np.diff(lens) > 0).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX "
            "exportability.")
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    steps = input.shape[1 - batch_dim]
    if lens.size and lens.max() > steps:
        raise ValueError(f"pack_padded_sequence: a length of {int(lens.max())} exceeds the "
                         f"{steps} steps of the input of shape {list(input.shape)}")
    batch_sizes = _batch_sizes(lens)
    t, b = _packed_positions(batch_sizes)
    data = input[_make(b), _make(t)] if batch_first else input[_make(t), _make(b)]
    return PackedSequence(data, _make(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The padded batch (T, B, *) (or (B, T, *)) of a PackedSequence, in the caller's
    original order, and the lengths (int64)."""
    data, bs = sequence.data, sequence.batch_sizes._data.astype(np.int64)
    steps = bs.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}")
        steps = total_length
    batch = int(bs[0]) if bs.size else 0
    t, b = _packed_positions(bs)
    # every padded position reads a row of data, or the padding row appended at the end
    where = np.full((steps, batch), data.shape[0], dtype=np.int64)
    where[t, b] = np.arange(t.size)
    pad = ag.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = ag.cat([data, pad])[_make(where.T if batch_first else where)]
    lengths = (bs[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = lengths[unsorted._data]
    return padded, _make(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences (L_i, *) into one (T, B, *) (or (B, T, *)) tensor, padding the
    shorter ones with `padding_value` on the right (or the left)."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    seqs = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    tail = seqs[0].shape[1:]
    for s in seqs[1:]:
        for k, (a, b) in enumerate(zip(tail, s.shape[1:])):
            if a != b:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor "
                                   f"b ({b}) at non-singleton dimension {k + 1}")
    steps = max(s.shape[0] for s in seqs)
    parts = []
    for s in seqs:
        n = steps - s.shape[0]
        if n:
            fill = ag.full((n, *tail), padding_value, dtype=s.dtype)
            s = ag.cat([s, fill] if padding_side == "right" else [fill, s])
        parts.append(s)
    return ag.stack(parts, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    """The list of sequences of a padded batch, each cut to its length."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_lengths(lengths))]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *): `pad_sequence`, then `pack_padded_sequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences of a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
