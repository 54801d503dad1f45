"""The op registry: every differentiable op, with sample inputs and a numpy reference.

Like PyTorch's OpInfo: one entry per op; `tests/autograd/test_ops.py` runs the same
checks over all of them (forward against the reference, gradcheck and gradgradcheck in
float64 with hypothesis-drawn shapes, random upstream gradients, inputs left unmutated).
A new op is not done until it has an entry here (or in the nn family file).
"""

from __future__ import annotations

from . import (
    graph,
    indexing,
    linalg,
    nn_conv_ops,
    nn_loss_ops,
    nn_ops,
    nn_resize_ops,
    nn_seq_ops,
    nn_vision_ops,
    order,
    pointwise,
    products,
    rearrange,
    reduction,
    sampling,
    selection,
    shape,
    special,
    torch_linalg,
)
from .core import OpInfo, Sample  # noqa: F401

OPS: list = [*pointwise.OPS, *reduction.OPS, *shape.OPS, *indexing.OPS, *linalg.OPS,
             *nn_ops.OPS, *nn_loss_ops.OPS, *nn_conv_ops.OPS, *nn_resize_ops.OPS,
             *sampling.OPS, *graph.OPS, *special.OPS, *order.OPS, *rearrange.OPS,
             *products.OPS, *selection.OPS, *torch_linalg.OPS, *nn_seq_ops.OPS,
             *nn_vision_ops.OPS]

_names = [op.name for op in OPS]
assert len(_names) == len(set(_names)), "duplicate names in the op registry"
