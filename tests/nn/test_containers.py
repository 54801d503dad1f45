"""ParameterList and ParameterDict: registration, state_dict keys, indexing, dict methods,
reprs, errors, and (when torch is installed) the same keys and reprs as PyTorch."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn


def test_parameter_list_registers_in_order_and_converts_tensors():
    w = nn.Parameter(ag.randn(3, 4))
    pl = nn.ParameterList([w, ag.randn(3), "not a tensor"])
    assert len(pl) == 3 and pl[0] is w and isinstance(pl[1], nn.Parameter)
    assert pl[2] == "not a tensor" and pl[-1] == "not a tensor"
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert list(pl.state_dict()) == ["0", "1"]
    pl.append(ag.zeros(2))
    pl += [ag.ones(1)]
    assert [p.shape for p in pl.parameters()] == [(3, 4), (3,), (2,), (1,)]
    pl[1] = ag.full((5,), 2.0)
    assert pl[1].shape == (5,) and isinstance(pl[1], nn.Parameter)
    sub = pl[0:2]
    assert isinstance(sub, nn.ParameterList) and sub[0] is w
    assert "0" not in dir(pl)
    with pytest.raises(IndexError, match="index 7 is out of range"):
        pl[7]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an "
                       "iterable, but got Tensor"):
        pl.extend(ag.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(ag.ones(1))


def test_parameter_list_in_a_model_trains():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nn.Parameter(ag.ones(2)) for _ in range(3)])

        def forward(self, x):
            for w in self.ws:
                x = x * w
            return x.sum()

    net = Net()
    assert list(net.state_dict()) == ["ws.0", "ws.1", "ws.2"]
    net(ag.tensor([1.0, 2.0])).backward()
    assert all(np.allclose(p.grad.numpy(), [1.0, 2.0]) for p in net.parameters())


def test_parameter_dict_methods():
    pd = nn.ParameterDict({"b": ag.randn(2), "a": nn.Parameter(ag.randn(3))})
    assert list(pd.keys()) == ["a", "b"]   # a plain dict's items are taken sorted
    assert list(pd.state_dict()) == ["a", "b"]
    pd["c"] = ag.zeros(1)
    assert "c" in pd and len(pd) == 3 and isinstance(pd["c"], nn.Parameter)
    assert pd.get("zz", 5) == 5 and pd.setdefault("d", ag.ones(1)).shape == (1,)
    assert [k for k, _ in pd.items()] == ["a", "b", "c", "d"]
    assert pd.pop("c").shape == (1,) and "c" not in pd
    assert pd.popitem()[0] == "d"
    pd.update(OrderedDict([("z", ag.ones(1)), ("y", ag.ones(1))]))
    assert list(pd) == ["a", "b", "z", "y"]   # an OrderedDict keeps its order
    pd.update([("x", ag.ones(1))])
    merged = pd | nn.ParameterDict({"w": ag.ones(1)})
    assert list(merged)[-1] == "w" and "w" not in pd
    cp = pd.copy()
    assert cp["a"] is pd["a"]
    assert list(reversed(pd))[0] == "x"
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(TypeError, match="cannot be used as a key as it is not a string"):
        pd[3] = ag.ones(1)
    with pytest.raises(ValueError, match="ParameterDict update sequence element #0 has length "
                       "3; 2 is required"):
        pd.update([("a", 1, 2)])
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pd(1)


def test_reprs():
    pl = nn.ParameterList([nn.Parameter(ag.randn(3, 4)), ag.randn(3), "x"])
    assert repr(pl) == ("ParameterList(\n"
                        "    (0): Parameter containing: [autograd.float32 of size 3x4]\n"
                        "    (1): Parameter containing: [autograd.float32 of size 3]\n"
                        "    (2): Object of type: str\n)")
    pd = nn.ParameterDict({"w": ag.randn(2, 3, dtype=ag.float64)})
    assert repr(pd) == ("ParameterDict(  (w): Parameter containing: [autograd.DoubleTensor of "
                        "size 2x3])")
    assert repr(nn.ParameterList()) == "ParameterList()"


def test_against_torch():
    torch = pytest.importorskip("torch")
    ours = nn.ParameterList([ag.randn(3, 4), ag.randn(2), "x"])
    theirs = torch.nn.ParameterList([torch.randn(3, 4), torch.randn(2), "x"])
    assert repr(ours).replace("autograd", "torch") == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours = nn.ParameterDict({"b": ag.randn(2), "a": ag.randn(1, dtype=ag.float64)})
    theirs = torch.nn.ParameterDict({"b": torch.randn(2), "a": torch.randn(1).double()})
    assert repr(ours).replace("autograd", "torch") == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: ag.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    np.testing.assert_array_equal(ours["b"].detach().numpy(), theirs["b"].detach().numpy())
