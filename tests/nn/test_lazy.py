"""nn.LazyLinear and nn.UninitializedParameter against PyTorch: in_features from the first
input, PyTorch's initial weights, the switch to Linear, optimizers built before the first
call, state dicts, dtypes, reprs and errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd as ag
import nn
import optim

from .torch_twin import assert_same_error

rng = np.random.default_rng(5)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(2, 4), (3, 2, 5), (6,)])
def test_first_call_materialises_pytorchs_linear(bias, shape):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape).astype(np.float32)
    ag.manual_seed(7)
    torch.manual_seed(7)
    m, tm = nn.LazyLinear(3, bias=bias), torch.nn.LazyLinear(3, bias=bias)
    assert repr(m) == repr(tm) == f"LazyLinear(in_features=0, out_features=3, bias={bias})"
    out, tout = m(ag.tensor(x)), tm(torch.tensor(x))
    assert type(m) is nn.Linear and type(tm) is torch.nn.Linear
    assert repr(m) == repr(tm)
    assert type(m.weight) is nn.Parameter and m.weight.shape == tuple(tm.weight.shape)
    assert list(m.state_dict()) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy())
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-6)


def test_optimizer_built_before_the_first_call_follows_pytorch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 3)).astype(np.float32)
    ag.manual_seed(1)
    torch.manual_seed(1)
    m, tm = nn.LazyLinear(2), torch.nn.LazyLinear(2)
    opt = optim.Adam(m.parameters(), lr=0.1)
    topt = torch.optim.Adam(tm.parameters(), lr=0.1)
    for _ in range(3):
        for mod, o, xx in ((m, opt, ag.tensor(x)), (tm, topt, torch.tensor(x))):
            o.zero_grad()
            (mod(xx) ** 2).sum().backward()
            o.step()
    np.testing.assert_allclose(m.weight.detach().numpy(), tm.weight.detach().numpy(),
                               atol=1e-6)
    np.testing.assert_allclose(m.bias.detach().numpy(), tm.bias.detach().numpy(), atol=1e-6)


def test_uninitialized_parameter_before_the_first_call():
    m = nn.LazyLinear(3)
    assert isinstance(m.weight, nn.UninitializedParameter) and isinstance(m.weight,
                                                                          nn.Parameter)
    assert repr(m.weight) == "<UninitializedParameter>"
    assert m.has_uninitialized_params()
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias"] and sd["weight"] is m.weight
    assert m.weight.dtype == ag.float32 and m.weight.requires_grad
    assert m.weight.size() == (0,)   # as PyTorch's
    assert nn.LazyLinear(3, dtype=ag.float64).weight.dtype == ag.float64


def test_double_before_the_first_call_materialises_float64():
    m = nn.LazyLinear(2).double()
    out = m(ag.zeros(3, 4, dtype=ag.float64))
    assert m.weight.dtype == m.bias.dtype == out.dtype == ag.float64


def test_load_state_dict_takes_the_saved_shapes():
    src = nn.Linear(5, 3)
    m = nn.LazyLinear(3)
    m.load_state_dict(src.state_dict())
    assert m.weight.shape == (3, 5) and m.in_features == 5 and not m.has_uninitialized_params()
    x = ag.tensor(rng.standard_normal((2, 5)).astype(np.float32))
    np.testing.assert_array_equal(m(x).detach().numpy(), src(x).detach().numpy())
    assert type(m) is nn.Linear


@pytest.mark.parametrize("call", [
    lambda: nn.LazyLinear(3).weight.shape,
    lambda: nn.Linear(2, 3).load_state_dict(nn.LazyLinear(3).state_dict()),
])
def test_shape_of_an_uninitialized_parameter_raises_pytorchs_error(call):
    assert_same_error(call)


def test_numel_and_wrong_inputs_raise():
    with pytest.raises(ValueError, match="uninitialized parameter in numel"):
        sum(p.numel() for p in nn.LazyLinear(3).parameters())
    with pytest.raises(IndexError, match=r"LazyLinear: in_features .*\(shape \[\]\)"):
        nn.LazyLinear(3)(ag.tensor(2.0))
    m = nn.LazyLinear(3)
    m(ag.zeros(2, 4))
    with pytest.raises(RuntimeError, match="expected input with last dimension 4"):
        m(ag.zeros(2, 5))
    with pytest.raises(TypeError, match="out_features must be an int"):
        nn.LazyLinear(2.5)


def test_a_deep_copy_materialises_on_its_own():
    m = nn.LazyLinear(3)
    twin = copy.deepcopy(m)
    twin(ag.zeros(2, 4))
    assert type(twin) is nn.Linear and twin.in_features == 4
    assert type(m) is nn.LazyLinear and m.has_uninitialized_params()
    m(ag.zeros(2, 5))
    assert type(m) is nn.Linear and m.weight.shape == (3, 5)
    assert not m._forward_pre_hooks and not twin._forward_pre_hooks
