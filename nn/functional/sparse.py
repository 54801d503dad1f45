"""embedding (EmbeddingBackward0): rows of a weight matrix picked by integer indices;
embedding_bag (EmbeddingBagBackward0): the sum, mean or max of the rows of each bag.

The backward adds each upstream row into the gradient at its index (`index_put` with
accumulate, itself differentiable; on arrays, a stable sort of the indices and one sum per
index, several times faster than np.add.at: see `_scatter_rows`); the padding_idx row gets
no gradient.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.function import _NO_EDGE, Node
from autograd.grad_mode import no_grad
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

from ._checks import require_tensor

__all__ = ["embedding", "embedding_bag"]


class EmbeddingBackward0(Node):
    def _row_scale(self, dtype) -> np.ndarray | None:
        """(n, 1) factor of each upstream row: 1 / its index's count with
        scale_grad_by_freq; None when every factor is 1. (The padding_idx row is zeroed,
        not multiplied by 0: a NaN upstream there stays out, as PyTorch.)"""
        if not self.scale_grad_by_freq:
            return None
        flat = self.idx.reshape(-1)
        scale = 1 / np.bincount(flat, minlength=self.num_weights)[flat].astype(dtype)
        return scale.reshape(-1, 1)

    def backward_fast(self, g):
        rows = g.reshape(-1, g.shape[-1])
        scale = self._row_scale(g.dtype)
        if scale is not None:
            rows = rows * scale
        gw = _scatter_rows(self.idx.reshape(-1), rows, self.num_weights)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return (gw,)

    def backward(self, g):
        rows = g.reshape(-1, g.shape[-1])
        scale = self._row_scale(g._data.dtype)
        if scale is not None:
            rows = rows * _make(scale)
        flat = self.idx.reshape(-1)
        if self.padding_idx is not None:
            rows = rows.masked_fill(_make((flat == self.padding_idx).reshape(-1, 1)), 0.0)
        zeros = ag.zeros(self.num_weights, g.shape[-1], dtype=g.dtype)
        return (zeros.index_put((_make(flat),), rows, accumulate=True),)


def _renorm_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale (in place, unrecorded) the rows of weight looked up whose norm exceeds
    max_norm down to max_norm, as PyTorch's embedding_renorm_ does."""
    with no_grad():
        rows = np.unique(idx)
        w = weight._data
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] = (w[rows] * scale[:, None]).astype(w.dtype)
        weight._vc[0] += 1


def _check_indices(t: Tensor, arg: str, op: str) -> np.ndarray:
    if t._data.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 '{arg}' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"{t._type_name()} instead (while checking arguments for {op})")
    return t._data.astype(np.int64, copy=False)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """weight[input]: input is an int tensor of any shape; the result has one more dim.

    max_norm renormalises (in place) the rows looked up whose norm exceeds it.
    """
    if not isinstance(input, Tensor):
        input = ag.tensor(input)
    idx = _check_indices(input, "indices", "embedding")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got weight of size {list(weight.shape)}")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported")
    v = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= v):
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        if not -v <= padding_idx < v:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % v
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    out = weight._data[idx]
    if not needs_graph(weight):
        return _make(out)
    n = EmbeddingBackward0((weight,))
    n.idx, n.num_weights, n.padding_idx = idx, v, padding_idx
    n.scale_grad_by_freq = scale_grad_by_freq
    return _make(out, n)


# ---------------------------------------------------------------------------------------
# embedding_bag


_MODES = ("sum", "mean", "max")


def _run_sums(values: np.ndarray, keys: np.ndarray, size: int) -> np.ndarray:
    """out[k] = the sum of the rows of `values` whose key is k, for keys in runs (equal keys
    adjacent, as the elements of a bag are): one reduceat."""
    out = np.zeros((size,) + values.shape[1:], values.dtype)
    if keys.size:
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        out[keys[starts]] = np.add.reduceat(values, starts, axis=0)
    return out


def _scatter_rows(idx: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    """out[i] = the sum of the rows whose index is i (idx in any order).

    np.add.at is slow. When the indices repeat evenly, the rows are sorted by index
    (stably) into a zero-padded (indices, most repeats, width) array and summed over its
    middle axis, one slice after another: each sum in the order of the rows, as np.add.at
    and PyTorch's CPU loop take it, to the bit. When a few indices repeat far more than
    the others (a text's spaces) and the table is small, one product of the rows with a
    one-hot (size, rows) matrix (the sums in BLAS's order). np.add.at for narrow rows
    and what is left."""
    out = np.zeros((size,) + rows.shape[1:], rows.dtype)
    if idx.size < 64 or rows.ndim != 2 or rows.shape[1] < 8:
        np.add.at(out, idx, rows)
        return out
    order = np.argsort(idx, kind="stable")
    keys = idx[order]
    first = np.r_[True, keys[1:] != keys[:-1]]
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    rank = np.arange(keys.size) - starts[group]
    most = int(rank.max()) + 1
    if starts.size * most <= 4 * keys.size:
        padded = np.zeros((starts.size, most, rows.shape[1]), rows.dtype)
        padded[group, rank] = rows[order]
        out[keys[starts]] = np.add.reduce(padded, axis=1)
    elif size * idx.size <= 1 << 22:
        onehot = np.zeros((size, idx.size), rows.dtype)
        onehot[idx, np.arange(idx.size)] = 1
        np.matmul(onehot, rows, out=out)
    else:
        np.add.at(out, idx, rows)
    return out


class EmbeddingBagBackward0(Node):
    """Gradients of the bags' sums, means or maxima, written in Tensor ops (so they
    differentiate again): each element's upstream row, scaled, added into the weight's
    gradient at its index (the max: each dim's winning row only)."""

    def backward_fast(self, g):
        """The same on arrays (the plain backward, without the Tensor ops' overhead)."""
        saved = self.saved_data()
        weight = saved[0]
        psw = saved[1] if self.has_psw else None
        need_w, need_psw = [e[0] is not None for e in self.next_functions + (_NO_EDGE,)][:2]
        gw = gp = None
        if self.mode == "max":
            if need_w:
                d = g.shape[1]
                bags, dims = np.nonzero(self.argmax >= 0)
                flat = self.idx[self.argmax[bags, dims]] * d + dims
                gw = np.bincount(flat, weights=g[bags, dims], minlength=self.num_weights * d)
                gw = gw.reshape(self.num_weights, d).astype(g.dtype, copy=False)
            return (gw,)
        g_rows = g[self.bag]
        if need_w:
            scale = self.scale.astype(g.dtype, copy=False)
            if psw is not None:
                scale = scale * psw
            gw = _scatter_rows(self.idx, g_rows * scale[:, None], self.num_weights)
        if psw is not None and need_psw:
            gp = (g_rows * weight[self.idx]).sum(1) * self.valid
        return (gw, gp) if psw is not None else (gw,)

    def backward(self, g):
        saved = self.saved()
        weight = saved[0]
        psw = saved[1] if self.has_psw else None
        idx, bag = _make(self.idx), _make(self.bag)
        need_w, need_psw = [e[0] is not None for e in self.next_functions + (_NO_EDGE,)][:2]
        gw = gp = None
        if self.mode == "max":
            if need_w:
                bags, dims = np.nonzero(self.argmax >= 0)
                rows = self.idx[self.argmax[bags, dims]]
                gw = ag.zeros(self.num_weights, g.shape[1], dtype=g.dtype).index_put(
                    (_make(rows), _make(dims)), g[_make(bags), _make(dims)], accumulate=True)
            return (gw,)
        g_rows = g[bag]                                  # (n, D): each element's bag gradient
        if need_w:
            scale = _make(self.scale.astype(g._data.dtype, copy=False))
            if psw is not None:
                scale = scale * psw
            gw = ag.zeros(self.num_weights, g.shape[1], dtype=g.dtype).index_put(
                (idx,), g_rows * scale.unsqueeze(1), accumulate=True)
        if psw is not None and need_psw:
            valid = _make(self.valid.astype(g._data.dtype))
            gp = (g_rows * weight[idx]).sum(1) * valid
        return (gw, gp) if psw is not None else (gw,)


def _bags(idx: np.ndarray, offsets, include_last_offset: bool) -> tuple[np.ndarray, int]:
    """The bag of each element (PyTorch's offset2bag) and the number of bags."""
    off = _check_indices(offsets, "offsets", "embedding_bag") if isinstance(offsets, Tensor) \
        else np.asarray(offsets, dtype=np.int64)
    n = idx.size
    if off.size == 0 or off[0] != 0:
        first = int(off[0]) if off.size else None
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {first}")
    if off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {int(off[-1])}")
    count = off.size - 1 if include_last_offset else off.size
    marks = np.bincount(off[:count] if include_last_offset else off, minlength=n + 1)[:n + 1]
    marks[0] -= 1
    return np.cumsum(marks)[:n], count


def _freq_scale(idx: np.ndarray) -> np.ndarray:
    """1 / the count PyTorch's CPU kernel divides each element's gradient by. It looks the
    count up for the i-th distinct index (sorted) at the i-th entry of the sorted indices,
    not at that index itself: the true frequency for the first distinct indices, another
    index's beyond (reproduced, so that gradients equal PyTorch's)."""
    srt = np.sort(idx)
    counts = np.bincount(idx)
    uniq = np.unique(idx)
    used = counts[srt[np.arange(uniq.size)]]
    return 1.0 / used[np.searchsorted(uniq, idx)]


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """The sum, mean or max of the weight rows of each bag of indices: a 2-D input is one
    bag per row; a 1-D input is cut into bags at `offsets`. `per_sample_weights` (mode
    'sum') weigh each row; entries equal to padding_idx are left out (an empty bag is 0)."""
    if not isinstance(input, Tensor):
        input = ag.tensor(input)
    for value, name, pos in ((offsets, "offsets", 3), (per_sample_weights, "per_sample_weights",
                                                       9)):
        if value is not None:
            require_tensor(value, "embedding_bag", name, pos)
    psw = per_sample_weights
    if psw is not None and input.shape != psw.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, then "
                         f"it must have the same shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}")
        offsets = np.arange(0, input.numel(), max(input.shape[1], 1), dtype=np.int64) \
            if input.shape[1] else np.zeros(input.shape[0], np.int64)
        include_last_offset = False
        if psw is not None:
            psw = psw.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse gradients are not supported")
    idx = _check_indices(input, "indices", "embedding_bag").reshape(-1)
    v, d = weight.shape
    if idx.size and (idx.min() < 0 or idx.max() >= v):
        bad = idx[(idx < 0) | (idx >= v)][0]
        raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but found "
                           f"idx to be {bad}")
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    if psw is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                "on GitHub.")
        if psw._data.dtype != weight._data.dtype:
            raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type "
                               "as tensor for argument #1 'per_sample_weights'; but type "
                               f"{weight._type_name()} does not equal {psw._type_name()} (while "
                               "checking arguments for embedding_bag)")
    if padding_idx is not None:
        if not -v <= padding_idx < v:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{v} "
                               f"through {v - 1}, but got {padding_idx}")
        padding_idx %= v
    bag, count = _bags(idx, offsets, include_last_offset)
    valid = idx != padding_idx if padding_idx is not None else np.ones(idx.size, bool)
    w = weight._data
    out = np.zeros((count, d), w.dtype)
    sizes = np.bincount(bag[valid], minlength=count)[:count]
    argmax = None
    if mode == "max":
        argmax = np.full((count, d), -1, np.int64)
        order = np.flatnonzero(valid)
        if order.size:
            rows = w[idx[order]]
            starts = np.flatnonzero(np.r_[True, bag[order][1:] != bag[order][:-1]])
            best = np.maximum.reduceat(rows, starts, axis=0)
            owners = bag[order][starts]
            out[owners] = best
            # the first element of each bag reaching the maximum, per dim
            hit = rows == best[np.repeat(np.arange(starts.size),
                                         np.diff(np.r_[starts, order.size]))]
            pos = np.where(hit, np.arange(order.size)[:, None], order.size)
            first = np.minimum.reduceat(pos, starts, axis=0)
            argmax[owners] = order[first]
        scale = None
    else:
        scale = valid.astype(w.dtype)   # each element's factor: 0 for padding, 1/size (mean)
        if mode == "mean":
            scale = (scale / np.maximum(sizes, 1)[bag]).astype(w.dtype)
        rows = w[idx]
        if mode == "sum" and psw is None and padding_idx is None:
            out = _run_sums(rows, bag, count)
        else:
            weights = scale if psw is None else scale * psw._data
            out = _run_sums(rows * weights[:, None], bag, count)
        if scale_grad_by_freq and idx.size:
            scale = (scale * _freq_scale(idx)).astype(w.dtype)
    out = out.astype(w.dtype, copy=False)
    inputs = (weight,) if psw is None else (weight, psw)
    if not needs_graph(*inputs):
        return _make(out)
    n = EmbeddingBagBackward0(inputs)
    n.idx, n.bag, n.valid, n.scale, n.argmax = idx, bag, valid, scale, argmax
    n.mode, n.num_weights, n.has_psw = mode, v, psw is not None
    n.save(*inputs)
    return _make(out, n)
