"""embedding (EmbeddingBackward0): rows of a weight matrix picked by integer indices.

The backward adds each upstream row into the gradient at its index (`index_put` with
accumulate, itself differentiable); the padding_idx row gets no gradient.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.function import Node
from autograd.grad_mode import no_grad
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

__all__ = ["embedding"]


class EmbeddingBackward0(Node):
    def backward(self, g):
        idx = self.idx
        v, d = self.num_weights, g.shape[-1]
        rows = g.reshape(-1, d)
        flat = idx.reshape(-1)
        keep = None
        if self.padding_idx is not None:
            keep = flat != self.padding_idx
        if self.scale_grad_by_freq:
            counts = np.bincount(flat, minlength=v)[flat].astype(g._data.dtype)
            rows = rows / _make(counts.reshape(-1, 1))
        if keep is not None:
            rows = rows * _make(keep.astype(g._data.dtype).reshape(-1, 1))
        zeros = ag.zeros(v, d, dtype=g.dtype)
        return (zeros.index_put((_make(flat),), rows, accumulate=True),)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """weight[input]: input is an int tensor of any shape; the result has one more dim.

    max_norm renormalises (in place) the rows looked up whose norm exceeds it.
    """
    if not isinstance(input, Tensor):
        input = ag.tensor(input)
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"{input._type_name()} instead (while checking "
                           "arguments for embedding)")
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
    idx = idx.astype(np.int64, copy=False)
    if max_norm is not None:
        with no_grad():
            rows = np.unique(idx)
            w = weight._data
            norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            w[rows] = (w[rows] * scale[:, None]).astype(w.dtype)
            weight._vc[0] += 1
    out = weight._data[idx]
    if not needs_graph(weight):
        return _make(out)
    n = EmbeddingBackward0((weight,))
    n.idx, n.num_weights, n.padding_idx = idx, v, padding_idx
    n.scale_grad_by_freq = scale_grad_by_freq
    return _make(out, n)
