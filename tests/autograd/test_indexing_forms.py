"""Index forms real programs use and numpy reads differently or not at all: Python ranges,
lists of tensors, ints among index arrays (PyTorch selects with the ints first), x[True],
0-d tensors and numpy integers, lists read as tuples, and PyTorch's errors; reading,
assigning and the gradients through both. (Gradients of every form are also checked by the
op registry: getitem_mixed and setitem_mixed in tests/autograd/op_db/indexing.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

from . import torch_oracle

SETUP = "x = torch.arange(6.).reshape(2, 3); a = torch.arange(24).reshape(2, 3, 4)"

READ = [
    "x[:, range(2)]", "x[range(2)]", "x[range(1, 3)]", "x[range(0)]", "x[range(0, 3, 2)]",
    "x[range(-2, 0)]", "torch.arange(5)[range(1, 4)]", "x[(range(2), [0, 1])]",
    "x[[0, 1], range(2)]", "x[slice(None), range(3)]",
    "x[[[0, 1]]]", "x[[0, 1]]", "x[(0, 1)]", "x[[[1]]]", "x[[1, [0]]]", "x[(1, [0])]",
    "x[[slice(None), 1]]", "x[[None, 1]]", "x[[1, None]]", "x[[1]]", "x[(1,)]",
    "x[torch.tensor(1)]", "x[torch.tensor(1)]._base is x._base", "x[torch.tensor(1)]._version",
    "x[np.int64(1)]", "x[np.int32(1)]", "x[np.array(1)]", "x[np.array([0, 1])]",
    "x[np.array([[0, 1]])].shape", "x[True]", "x[False]", "x[None, True].shape",
    "x[torch.tensor(True)]", "x[torch.tensor(False)].shape",
    "x[torch.tensor(1, dtype=torch.int32)]", "x[torch.tensor([0, 1], dtype=torch.int32)]",
    "x[[torch.tensor(0), torch.tensor(1)]]", "x[[torch.tensor([0, 1]), torch.tensor([1, 2])]]",
    "x[torch.tensor([0, 1]), torch.tensor([1, 2])]", "x[[0, 1], [1, 2]]",
    "x[torch.tensor([[0], [1]]), torch.tensor([0, 2])]", "x[[[0], [1]], [1, 2]]",
    "x[1, [0, 1]]", "x[[True, False], [0, 1]]",
    "a[:, [0, 1], [1, 2]].shape", "a[[0, 1], :, [1, 2]].shape", "a[0, :, [1, 2]]",
    "a[[0], :, 1]", "a[[0, 1], 1, [1, 2]]", "a[1, [0, 2], 3]", "a[..., [0, 1]].shape",
    "a[None, [0, 1], None].shape", "a[torch.tensor(1), [0, 1]]", "a[0, None, :, [1, 2]].shape",
    "a[torch.tensor([True, False])].shape", "a[:, torch.tensor([True, False, True])].shape",
    "a[[True, False]].shape", "x[torch.tensor([True, False])]",
    "x[torch.tensor([[True, False, True], [False, False, True]])]", "x[[]]",
    "x[torch.tensor([], dtype=torch.int64)].shape",
    # errors
    "x[[True, False, True]]", "x[torch.tensor([True, False, True])]", "x[1.0]",
    "x[torch.tensor([0., 1.])]", "x[torch.tensor([])]", "x[5]", "x[:, 5]", "x[[0, 5]]",
    "x[:, -4]", "x[-3]", "x[[-3]]", "x[range(3)]", "x[torch.tensor([2])]", "x[0, 1, 2]",
    "x[::-1]", "x[:, ::-2]",
]

WRITE = [   # (statements, result)
    ("y = x.clone(); y[range(2), [0, 2]] = 9.", "y"),
    ("y = x.clone(); y[range(2), torch.tensor([0, 2])] -= 1", "y"),
    ("y = x.clone(); y[[0, 1], [1, 1]] = torch.tensor([5., 6.])", "y"),
    ("y = x.clone(); y[True] = 3.", "y"),
    ("y = x.clone(); y[torch.tensor(1)] = 7.", "y"),
    ("y = x.clone(); y[x > 2] = 0.", "y"),
    ("y = x.clone(); y[:, torch.tensor([True, False, True])] = torch.tensor([[1., 2.], [3., 4.]])",
     "y"),
    ("y = x.clone(); y[np.int64(0), 1:] = 5.", "y"),
    ("y = x.clone(); y[[[0, 1]]] = 8.", "y"),
    ("b = a.clone(); b[0, :, [1, 2]] = torch.tensor([[1, 2], [3, 4], [5, 6]])", "b"),
    ("b = a.clone(); b[[0, 1], 1, [1, 2]] += 100", "b"),
    ("d = torch.zeros(3, 4); Yb = torch.tensor([1, 3, 0]); d[range(3), Yb] -= 1", "d"),
    ("y = x.clone()", "y.__setitem__((range(3), 0), 1.)"),
    ("y = x.clone()", "y.__setitem__((range(2), 0), torch.ones(3))"),
    ("y = x.clone()", "y.__setitem__(slice(None, None, -1), 1.)"),
    ("y = x.clone()", "y.__setitem__(1.5, 1.)"),
    ("y = x.clone()", "y.__setitem__(torch.tensor([0., 1.]), 1.)"),
    ("y = x.clone()", "y.__setitem__(torch.tensor([True, False, True]), 1.)"),
    # gradients through reads and writes
    ("p = torch.zeros(4, 3, requires_grad=True); q = p * 2; "
     "q[range(4), torch.tensor([0, 1, 2, 0])] = 5.; q.sum().backward()", "p.grad"),
    ("p = torch.arange(12., requires_grad=True); "
     "p.reshape(4, 3)[range(4), [0, 1, 2, 0]].sum().backward()", "p.grad"),
    ("p = torch.arange(6., requires_grad=True); p.reshape(2, 3)[torch.tensor(1)].sum().backward()",
     "p.grad"),
    ("p = torch.arange(24., requires_grad=True); w = torch.arange(6.).reshape(3, 2); "
     "(p.reshape(2, 3, 4)[0, :, [1, 2]] * w).sum().backward()", "p.grad"),
]


@pytest.mark.parametrize("stmts, expr", [("", e) for e in READ] + WRITE)
def test_reading_assigning_and_gradients_match_pytorch(stmts, expr):
    torch_oracle.check(expr, setup=SETUP + "\n" + stmts)


def test_makemore_style_indexing():
    """The lectures' manual backprop: dlogits[range(n), Yb] -= 1 on a softmax."""
    logits = ag.tensor(np.random.default_rng(0).standard_normal((5, 4)))
    yb = ag.tensor([0, 3, 1, 1, 2])
    probs = logits.softmax(1)
    dlogits = probs.clone()
    dlogits[range(5), yb] -= 1
    expect = probs.numpy().copy()
    expect[np.arange(5), yb.numpy()] -= 1
    np.testing.assert_allclose(dlogits.numpy(), expect)
    assert probs[range(5), yb].shape == (5,)
    lt = logits.detach().requires_grad_()
    loss = -lt.log_softmax(1)[range(5), yb].mean()
    loss.backward()
    np.testing.assert_allclose(lt.grad.numpy(), dlogits.numpy() / 5, rtol=1e-6, atol=1e-12)


def test_ints_among_index_arrays_select_first():
    a = ag.arange(24).reshape(2, 3, 4)
    assert a[0, :, [1, 2]].shape == (3, 2)          # numpy would give (2, 3)
    assert a[0, :, [1, 2]].tolist() == [[1, 2], [5, 6], [9, 10]]
    assert a[:, 0, [1, 2]].shape == (2, 2) and a[[0], :, 1].shape == (1, 3)


def test_zero_dim_index_tensor_gives_a_view_and_sequences_warn():
    x = ag.arange(6.0).reshape(2, 3)
    row = x[ag.tensor(1)]
    row[0] = 100.0
    assert x[1, 0].item() == 100.0
    with pytest.warns(UserWarning, match="Using a non-tuple sequence for multidimensional"):
        assert x[[0, slice(None)]].shape == (3,)
    assert x[True].shape == (1, 2, 3) and x[False].shape == (0, 2, 3)


def test_index_errors_are_pytorchs():
    x = ag.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="The shape of the mask \\[3\\] at index 0 does not "
                                         "match the shape of the indexed tensor \\[2, 3\\]"):
        x[ag.tensor([True, False, True])]
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        x[range(3)]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 1, 2]


# PyTorch makes a basic index as a chain of views and shows the last one's grad_fn
_BASIC_NAMES = {
    "x[0]": "SelectBackward0", "x[:2]": "SliceBackward0", "x[0, :3]": "SliceBackward0",
    "x[1:3, 2]": "SelectBackward0", "x[None]": "UnsqueezeBackward0",
    "x[..., 0]": "SelectBackward0",
    "x[:]": "SliceBackward0", "x[...]": "AliasBackward0", "x[:, :]": "AliasBackward0",
    "x[0, None]": "UnsqueezeBackward0", "x[None, 0]": "SelectBackward0",
    "x[1:2, 0:5]": "SliceBackward0", "x[:, 0:10]": "AliasBackward0",
    "x[0, ..., 1]": "SelectBackward0",
    "x[[0, 1]]": "IndexBackward0", "x[1:3, [0, 1]]": "IndexBackward0",
}


@pytest.mark.parametrize("expr", sorted(_BASIC_NAMES))
def test_basic_index_grad_fn_names(expr):
    x = ag.randn(4, 5, requires_grad=True)
    y = eval(expr)   # noqa: S307 - test expressions
    assert y.grad_fn.name() == _BASIC_NAMES[expr]
    y.sum().backward()   # whatever the name, the gradient is the index's
    want = np.zeros((4, 5), np.float32)
    np.add.at(want, eval(expr.replace("x[", "np.s_[")), 1)   # noqa: S307
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_basic_index_names_match_pytorch():
    torch = pytest.importorskip("torch")
    ns = {"x": torch.randn(4, 5, requires_grad=True)}
    for expr, name in _BASIC_NAMES.items():
        assert type(eval(expr, ns).grad_fn).__name__ == name, expr   # noqa: S307
