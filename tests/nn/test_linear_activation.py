"""Linear, Bilinear, Identity, Flatten/Unflatten, Dropout and the activations."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

R = np.random.default_rng(1)


def t64(a, rg=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def test_linear_layout_init_and_forward():
    lin = nn.Linear(100, 7)
    assert lin.weight.shape == (7, 100) and lin.bias.shape == (7,)
    bound = 1 / math.sqrt(100)
    for p in (lin.weight, lin.bias):
        d = p.detach().numpy()
        assert d.min() >= -bound and d.max() <= bound
    assert np.abs(lin.weight.detach().numpy()).max() > 0.8 * bound  # really uniform, not tiny
    x = ag.randn(3, 100)
    y = lin(x)
    assert y.grad_fn.name() == "AddmmBackward0"
    expect = x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), expect, rtol=1e-5, atol=1e-6)
    assert lin(ag.randn(2, 5, 100)).shape == (2, 5, 7)
    assert lin(ag.randn(100)).shape == (7,)
    nb = nn.Linear(3, 2, bias=False)
    assert nb.bias is None and [n for n, _ in nb.named_parameters()] == ["weight"]
    assert repr(nb) == "Linear(in_features=3, out_features=2, bias=False)"


def test_linear_bad_input_names_layer_and_shapes():
    lin = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=3, out_features=2, bias=True\): "
                       r"expected input with last dimension 3, got shape \[4, 5\]"):
        lin(ag.randn(4, 5))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                       r"\(4x5 and 3x2\)"):
        F.linear(ag.randn(4, 5), ag.randn(2, 3))


def test_linear_gradcheck_double():
    lin = nn.Linear(3, 2).double()
    x = t64(R.normal(size=(4, 3)), True)
    assert ag.gradcheck(lambda a, w, b: F.linear(a, w, b), (x, lin.weight, lin.bias))


def test_linear_backward_checks_versions_and_handles_any_rank():
    lin = nn.Linear(3, 2)
    y = lin(ag.randn(4, 3)).sum()
    with ag.no_grad():
        lin.weight.mul_(2)   # saved for the backward: caught there
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    for shape in [(3,), (5, 3), (2, 4, 3)]:
        x = ag.randn(*shape, dtype=ag.float64, requires_grad=True)
        lin64 = nn.Linear(3, 2, dtype=ag.float64)
        assert ag.gradcheck(lambda a, w, b: F.linear(a, w, b), (x, lin64.weight, lin64.bias))


def test_bilinear():
    m = nn.Bilinear(2, 3, 4).double()
    x1, x2 = t64(R.normal(size=(5, 2)), True), t64(R.normal(size=(5, 3)), True)
    out = m(x1, x2)
    A, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    expect = np.einsum("ni,oij,nj->no", x1.detach().numpy(), A, x2.detach().numpy()) + b
    np.testing.assert_allclose(out.detach().numpy(), expect, rtol=1e-12)
    assert ag.gradcheck(lambda a, c, w, bb: F.bilinear(a, c, w, bb), (x1, x2, m.weight, m.bias))
    assert repr(nn.Bilinear(2, 3, 4)) == ("Bilinear(in1_features=2, in2_features=3, "
                                          "out_features=4, bias=True)")
    assert np.abs(nn.Bilinear(16, 3, 4).weight.detach().numpy()).max() <= 0.25


def test_identity_flatten_unflatten():
    x = ag.randn(2, 3, 4)
    assert nn.Identity(5, foo=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(1, (3, 1))(ag.randn(2, 3)).shape == (2, 3, 1)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"


def test_dropout_train_eval():
    ag.manual_seed(0)
    d = nn.Dropout(0.5)
    x = ag.ones(2000)
    y = d(x)
    vals = set(np.unique(y.numpy()).tolist())
    assert vals == {0.0, 2.0}
    assert 0.4 < (y.numpy() == 0).mean() < 0.6
    d.eval()
    assert d(x) is x
    x = ag.ones(10, requires_grad=True)
    y = F.dropout(x, 0.3, training=True)
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())  # grad = mask / (1 - p)
    assert F.dropout(x, 1.0).detach().numpy().sum() == 0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                       "got 1.5"):
        nn.Dropout(1.5)
    ag.manual_seed(3)
    a = F.dropout(ag.ones(50)).numpy()
    ag.manual_seed(3)
    np.testing.assert_array_equal(a, F.dropout(ag.ones(50)).numpy())


def _gelu(x):
    from math import erf
    return np.array([v * 0.5 * (1 + erf(v / math.sqrt(2))) for v in x.ravel()]).reshape(x.shape)


ACTS = [
    ("relu", nn.ReLU(), lambda x: np.maximum(x, 0), "ReluBackward0"),
    ("leaky", nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), "LeakyReluBackward0"),
    ("elu", nn.ELU(0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), "EluBackward0"),
    ("gelu", nn.GELU(), _gelu, "GeluBackward0"),
    ("gelu_tanh", nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))), "GeluBackward0"),
    ("silu", nn.SiLU(), lambda x: x / (1 + np.exp(-x)), "SiluBackward0"),
    ("sigmoid", nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), "SigmoidBackward0"),
    ("tanh", nn.Tanh(), np.tanh, "TanhBackward0"),
    ("softplus", nn.Softplus(2.0, 3.0),
     lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2), "SoftplusBackward0"),
    ("softmax", nn.Softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True),
     "SoftmaxBackward0"),
    ("log_softmax", nn.LogSoftmax(1),
     lambda x: x - np.log(np.exp(x).sum(1, keepdims=True)), "LogSoftmaxBackward0"),
]


@pytest.mark.parametrize("name,mod,ref,node", ACTS, ids=[a[0] for a in ACTS])
def test_activation_values_grads_and_names(name, mod, ref, node):
    x = R.normal(size=(3, 4)) * 2
    x[np.abs(x) < 0.05] = 0.3  # away from kinks
    x[np.abs(2 * x - 3) < 0.05] = 0.3
    X = t64(x, True)
    out = mod(X)
    assert out.grad_fn.name() == node
    np.testing.assert_allclose(out.detach().numpy(), ref(x), rtol=1e-10, atol=1e-12)
    assert ag.gradcheck(mod, (X,))
    assert ag.gradgradcheck(mod, (X,))
    out32 = mod(ag.tensor(x.astype(np.float32)))
    assert out32.dtype == ag.float32


def test_activation_reprs_and_extremes():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    big = t64([-1000.0, 1000.0])
    for fn in (F.silu, F.softplus, F.gelu, F.elu, F.logsigmoid, F.sigmoid):
        assert np.isfinite(fn(big).numpy()).all(), fn.__name__
    np.testing.assert_allclose(F.softplus(big).numpy(), [0.0, 1000.0])
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(big, approximate="fast")


def test_inplace_activations():
    x = ag.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    y = ag.tensor([-1.0, 2.0])
    F.leaky_relu(y, 0.5, inplace=True)
    assert y.tolist() == [-0.5, 2.0]
    leaf = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.elu(leaf, inplace=True)


def test_mlp_trains_on_xor_like_data():
    ag.manual_seed(0)
    X = ag.randn(64, 2)
    y = ((X[:, 0] * X[:, 1]) > 0).long()
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    first = None
    for _ in range(300):
        loss = F.cross_entropy(model(X), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with ag.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert loss.item() < 0.5 * first
    acc = (model(X).argmax(1) == y).float().mean().item()
    assert acc > 0.85
