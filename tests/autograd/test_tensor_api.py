"""Small Tensor methods real programs touch: sizes, strides and storage offsets, element
sizes, new_* constructors, apply_/map_, compared with PyTorch when it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

from . import torch_oracle

SETUP = "x = torch.arange(12.).reshape(3, 4); xi = torch.arange(6).reshape(2, 3); " \
        "y = x[1:, 1:].T"

EXPRS = [
    "x.nelement()", "x.numel()", "torch.numel(x)", "x.ndimension()", "x.element_size()",
    "xi.element_size()", "torch.tensor(True).element_size()", "x.itemsize", "x.nbytes",
    "y.nbytes", "y.storage_offset()", "x[1].storage_offset()", "x[:, 1].storage_offset()",
    "x.storage_offset()", "y.stride()", "y.stride(0)", "y.stride(-1)", "y.is_contiguous()",
    "x.is_contiguous()", "x.dim_order()", "y.dim_order()", "x.is_complex()",
    "xi.is_floating_point()", "torch.is_floating_point(x)", "x.data_ptr() == x[0].data_ptr()",
    "x[1].data_ptr() - x.data_ptr()", "x.share_memory_() is x", "x.is_pinned()",
    "x.clone().apply_(lambda v: v * 2)", "x.clone().map_(x, lambda a, b: a + b)",
    "xi.clone().apply_(lambda v: v * 3)", "x.requires_grad_().clone().apply_(lambda v: v)",
    "torch.ones(2, requires_grad=True).apply_(lambda v: v)",
    "x.new_zeros(2)", "x.new_zeros((2, 3))", "x.new_zeros(2, 3).dtype", "xi.new_ones(2).dtype",
    "x.new_full((2,), 3)", "xi.new_full((2,), 3.5)", "x.new_empty(2).shape",
    "x.new_empty((2,), dtype=torch.int32).dtype", "x.new_tensor([1, 2])",
    "x.new_tensor(np.array([1, 2]))", "x.new_zeros(2, dtype=torch.int64)",
    "x.new_zeros(2, requires_grad=True)", "xi.new_tensor([1.5])",
    "x.new_tensor(torch.ones(2, requires_grad=True))", "x.new_ones(2, device='cpu')",
    "x.new(2, 3).shape", "x.new([1, 2])", "torch.ones(2).new_zeros(())",
    "torch.ones(2, dtype=torch.float64).new_tensor([1., 2.]).dtype",
    "torch.ones(2).new_full((2,), True).dtype", "torch.ones(2).new_tensor(3).shape",
    "xi.new_zeros(2, requires_grad=True)", "x.size(-1)", "x.size()", "len(x)",
    "len(torch.tensor(1.))", "torch.tensor(3.).numel()", "torch.tensor(3.).stride()",
    "torch.ones(3)[::2].stride()", "torch.ones(2, 3).t().is_contiguous()",
]


@pytest.mark.parametrize("expr", EXPRS)
def test_tensor_methods_match_pytorch(expr):
    torch_oracle.check(expr, setup=SETUP)


def test_sizes_strides_and_offsets():
    x = ag.arange(12.0).reshape(3, 4)
    y = x[1:, 1:].T
    assert x.nelement() == x.numel() == ag.numel(x) == 12 and x.ndimension() == 2
    assert (x.element_size(), x.itemsize, x.nbytes, y.nbytes) == (4, 4, 48, 24)
    assert (y.storage_offset(), y.stride(), y.dim_order()) == (5, (1, 4), (1, 0))
    assert y.data_ptr() - x.data_ptr() == 5 * 4 and not y.is_contiguous()


def test_new_constructors_follow_the_tensor():
    xi = ag.arange(3)
    assert xi.new_full((2,), 3.5).tolist() == [3, 3] and xi.new_ones(2).dtype == ag.int64
    d = ag.ones(2, dtype=ag.float64)
    assert d.new_zeros(2, 3).dtype == ag.float64 and d.new_tensor([1, 2]).dtype == ag.float64
    z = d.new_zeros(2, requires_grad=True)
    assert z.requires_grad and z.is_leaf
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        c = d.new_tensor(d)
    assert c.tolist() == [1.0, 1.0] and not np.shares_memory(c.numpy(), d.numpy())


def test_apply_and_map_run_python_functions_in_place():
    x = ag.tensor([1.0, 2.0, 3.0])
    v = x._version
    assert x.apply_(lambda a: a * 10) is x and x.tolist() == [10.0, 20.0, 30.0]
    assert x._version == v + 1
    x.map_(ag.tensor([1.0]), lambda a, b: a + b)
    assert x.tolist() == [11.0, 21.0, 31.0]
    with pytest.raises(RuntimeError, match="Can't call apply_\\(\\) on Variable that requires"):
        ag.ones(2, requires_grad=True).apply_(abs)
