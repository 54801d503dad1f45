"""Tensors among Python and numpy: copy.copy / deepcopy, formatting (f"{loss:.4f}"),
float()/int(), np.asarray and numpy's ufuncs, as_tensor / from_numpy sharing memory, and
matplotlib plotting tensors; compared with PyTorch when it is installed."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd as ag
import nn

from . import torch_oracle

SETUP = """
a = torch.tensor([1., 2., 3.], requires_grad=True); a.foo = 7; a.grad = torch.ones(3)
p = nn.Parameter(torch.ones(2)); p.bar = 1
v = torch.arange(6.).reshape(2, 3)[0]
s = torch.tensor(3.14159); w = torch.tensor([1.5, 2.25])
"""

COPY = [
    "copy.copy(a)", "copy.copy(a).foo", "copy.copy(a).grad", "copy.copy(a).is_leaf",
    "copy.deepcopy(a)", "copy.deepcopy(a).foo", "copy.deepcopy(a).grad",
    "type(copy.copy(p)).__name__", "copy.copy(p).bar", "copy.copy(p).requires_grad",
    "copy.deepcopy(p).requires_grad", "type(copy.deepcopy(p)).__name__", "copy.deepcopy(v).shape",
    "copy.copy(a * 2)", "copy.copy(a * 2).grad_fn", "copy.copy(a * 2).is_leaf",
    "copy.deepcopy(a * 2)", "(lambda c: c[0] is c[1])(copy.deepcopy([a, a]))",
    "copy.deepcopy(torch.ones(2))",
]

FORMAT = [
    'f"{s}"', 'format(s, "")', "str(s)", '"%s" % s', 'f"{s:.2f}"', '"{:.3f}".format(s)',
    '"%.2f" % s', '"%d" % torch.tensor(3)', '"%d" % torch.tensor(3.7)', '"%d" % torch.tensor([3])',
    '"%x" % torch.tensor(255)', 'f"{(torch.tensor(1.5, requires_grad=True) * 2):.2f}"',
    'f"{w}"', 'f"{w:.2f}"', 'f"{torch.tensor([2.5]):.1f}"', '"%.2f" % w',
    '"%.1f" % torch.tensor([2.5])', "float(torch.tensor([2.5]))", "float(w)", "int(w)", "w.item()",
    "bool(w)", "int(torch.tensor(3.7))", "round(s)", "round(s, 2)", 'f"{torch.tensor(3):>5}"',
    'f"{torch.tensor(True)}"', 'f"{torch.tensor(3)}"',
    'f"{torch.tensor(3.5, dtype=torch.float64)}"',
    'f"{torch.tensor(3):d}"', 'f"{torch.tensor(3.7):d}"', 'f"{torch.tensor([1, 2])}"',
    'format(torch.tensor([1.]), "")', 'f"{torch.tensor(2.5, requires_grad=True)}"',
    '"{:.1%}".format(torch.tensor(0.25))', 'f"{torch.tensor(1e-8)}"',
    "f\"{torch.tensor(float('nan'))}\"", 'f"{torch.tensor(2.5).half()}"',
    "complex(torch.tensor(2.))", "[1, 2, 3][torch.tensor(1)]", "[1, 2, 3][torch.tensor([1])]",
]

NUMPY = [
    "np.asarray(w).dtype", "np.asarray(torch.ones(2, requires_grad=True))",
    "np.asarray(w, dtype=np.float64).dtype", "np.array(w, copy=True)", "w.__array__(np.int64)",
    "np.asarray(torch.tensor(1.)).shape", "np.exp(w)", "w + np.ones(2)", "w * np.ones(2)",
    "torch.ones(2, dtype=torch.int64) * np.ones(2)", "np.float32(2) + w", "np.float64(2) * w",
    "np.int64(2) * torch.ones(2, dtype=torch.int32)", "np.sqrt(w)", "np.add(w, 1)",
    "np.add(w, w)", "np.maximum(w, 0)", "np.exp(torch.ones(2, requires_grad=True))",
    "np.exp(torch.tensor(1.))", "np.exp(torch.ones(2, dtype=torch.int64))",
    "np.concatenate([w, w])", "np.stack([w, w]).dtype", "w == np.ones(2)",
    "np.array([torch.tensor(1.), torch.tensor(2.)])",
    "torch.as_tensor(np.array([1., 2.])).dtype", "torch.as_tensor([1, 2]).dtype",
    "torch.as_tensor(np.array([1, 2]), dtype=torch.float32)",
    "torch.as_tensor(torch.ones(2), dtype=torch.float64).dtype", "torch.as_tensor(3.)",
    "torch.as_tensor(np.float64(3.)).dtype",
    "torch.as_tensor([torch.tensor(1.), torch.tensor(2.)])",
    "torch.as_tensor(np.array(['a']))", "torch.from_numpy([1, 2])",
    "torch.from_numpy(np.array(3.)).shape", "torch.from_numpy(np.zeros(2, dtype=np.float32))",
    "torch.from_numpy(np.ones((2, 3))[:, ::2]).stride()",
]

SHARING = [   # (statements, result)
    ("b = torch.zeros(3); c = copy.copy(b); c[0] = 5.", "b"),
    ("b = torch.zeros(3); c = copy.deepcopy(b); c[0] = 5.", "b"),
    ("arr = np.zeros(3); t = torch.from_numpy(arr); t.add_(1)", "arr"),
    ("arr = np.zeros(3); t = torch.as_tensor(arr); t[0] = 5", "arr"),
    ("t = torch.ones(3); arr = np.asarray(t); arr[0] = 7", "t"),
    ("t = torch.ones(3); arr = t.numpy(); arr[1] = 7", "t"),
    ("t = torch.ones(2)", "torch.as_tensor(t) is t"),
]


@pytest.mark.parametrize("expr", COPY + FORMAT + NUMPY)
def test_matches_pytorch(expr):
    torch_oracle.check(expr, setup=SETUP)


@pytest.mark.parametrize("stmts, expr", SHARING)
def test_memory_sharing_matches_pytorch(stmts, expr):
    torch_oracle.check(expr, setup=stmts)


def test_copies():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    a.grad = ag.ones(2)
    a.note = "x"
    c = copy.copy(a)
    assert c.is_leaf and c.requires_grad and c.grad is None and c.note == "x"
    assert np.shares_memory(c.detach().numpy(), a.detach().numpy())
    d = copy.deepcopy(a)
    assert d.grad.tolist() == [1.0, 1.0] and not np.shares_memory(d.detach().numpy(),
                                                                   a.detach().numpy())
    p = nn.Parameter(ag.ones(2))
    assert type(copy.copy(p)) is nn.Parameter and type(copy.deepcopy(p)) is nn.Parameter
    buf = nn.Buffer(ag.zeros(2), persistent=False)
    assert copy.copy(buf).persistent is False and copy.deepcopy(buf).persistent is False
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(a * 2)
    m = copy.deepcopy(nn.Linear(2, 2))   # modules deep-copy through their tensors
    assert m.weight.requires_grad and type(m.weight) is nn.Parameter


def test_formatting_of_scalars_and_errors():
    loss = ag.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123" and f"{loss}" == str(loss.item())
    assert "%.2f" % loss == "0.12"   # noqa: UP031 - the form under test
    assert f"{ag.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{ag.tensor([1.0, 2.0]):.2f}"
    with pytest.raises(ValueError, match="only one element tensors can be converted"):
        float(ag.ones(2))
    with pytest.raises(TypeError, match="type Tensor doesn't define __round__ method"):
        round(loss)


def test_numpy_ufuncs_give_tensors_and_asarray_shares_memory():
    t = ag.tensor([0.0, 1.0])
    e = np.exp(t)
    assert isinstance(e, ag.Tensor) and e.dtype == ag.float32
    np.testing.assert_allclose(e.numpy(), np.exp([0.0, 1.0]), rtol=1e-6)
    assert isinstance(t + np.ones(2), ag.Tensor) and (t + np.ones(2)).dtype == ag.float64
    arr = np.asarray(t)
    assert np.shares_memory(arr, t.numpy())
    assert not np.shares_memory(np.array(t, copy=True), t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires"):
        np.asarray(ag.ones(2, requires_grad=True))


def test_matplotlib_plots_tensors():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = ag.arange(5.0)
    fig, ax = plt.subplots()
    try:
        (line,) = ax.plot(x, x ** 2)
        np.testing.assert_array_equal(line.get_ydata(), [0, 1, 4, 9, 16])
        ax.hist(ag.randn(50))
        ax.imshow(ag.rand(4, 4))
        ax.scatter(ag.rand(4), ag.rand(4))
        ax.set_title(f"loss {ag.tensor(0.25):.3f}")
        assert ax.get_title() == "loss 0.250"
    finally:
        plt.close(fig)
