"""Module system: registration, iteration order, state_dict, hooks, modes, repr, errors."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import autograd as ag
import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(ag.ones(1))
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)
        self.register_buffer("steps", ag.zeros(1))
        self.register_buffer("tmp", ag.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_parameter_is_leaf_tensor_requiring_grad():
    with ag.no_grad():
        p = nn.Parameter(ag.zeros(2, 3))
    assert isinstance(p, ag.Tensor) and p.requires_grad and p.is_leaf
    assert type(p * 2) is ag.Tensor
    assert repr(nn.Parameter(ag.tensor([1.0, 2.0]))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(ag.zeros(2), requires_grad=False).requires_grad
    t = ag.zeros(3)
    p = nn.Parameter(t)
    with ag.no_grad():
        p.add_(1)
    assert t.tolist() == [1.0, 1.0, 1.0]  # shares storage
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ag.tensor([1, 2]))


def test_parameter_order_and_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p.shape for p in net.parameters()] == [(1,), (4, 3), (4,), (2, 4), (2,)]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "tmp"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    seq = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in seq.named_parameters(prefix="model")][0] == "model.0.weight"


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert len(list(seq.modules())) == 2


def test_state_dict_keys_layout_and_detached():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert sd["fc1.weight"].shape == (4, 3)
    assert not sd["fc1.weight"].requires_grad
    assert sd["fc1.weight"]._data is net.fc1.weight._data  # shares storage
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight
    assert "tmp" not in sd


def test_load_state_dict_roundtrip_and_errors():
    a, b = Net(), Net()
    res = b.load_state_dict(a.state_dict())
    assert repr(res) == "<All keys matched successfully>"
    assert res.missing_keys == [] and res.unexpected_keys == []
    np.testing.assert_array_equal(b.fc1.weight.detach().numpy(), a.fc1.weight.detach().numpy())
    lin = nn.Linear(3, 2)
    sd = {"weight": ag.zeros(2, 3), "extra.w": ag.zeros(1)}
    with pytest.raises(RuntimeError) as e:
        lin.load_state_dict(sd)
    assert str(e.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in '
                            'state_dict: "bias". \n\tUnexpected key(s) in state_dict: "extra.w". ')
    res = lin.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra.w"]
    assert lin.weight.detach().numpy().sum() == 0
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with "
                       r"shape autograd.Size\(\[3, 3\]\) from checkpoint, the shape in current "
                       r"model is autograd.Size\(\[2, 3\]\)"):
        lin.load_state_dict({"weight": ag.zeros(3, 3), "bias": ag.zeros(2)}, strict=False)
    # numpy arrays load too, into the parameter's dtype, keeping the Parameter object
    w = lin.weight
    lin.load_state_dict({"weight": np.ones((2, 3)), "bias": np.ones(2)})
    assert lin.weight is w and lin.weight.dtype == ag.float32
    assert lin.weight.detach().numpy().sum() == 6


def test_assignment_rules_and_errors():
    net = Net()
    with pytest.raises(TypeError, match=r"cannot assign 'autograd.FloatTensor' as parameter "
                       r"'scale' \(nn.Parameter or None expected\)"):
        net.scale = ag.ones(1)
    net.scale = None
    assert [n for n, _ in net.named_parameters()][0] == "fc1.weight"
    with pytest.raises(KeyError, match="attribute 'fc1' already exists"):
        net.register_buffer("fc1", ag.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        net.register_buffer("a.b", ag.zeros(1))
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'foo'"):
        net.foo  # noqa: B018
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required '
                       '"forward" function'):
        nn.Module()(ag.zeros(1))

    class Bad(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        Bad()
    net.steps = ag.ones(1)  # reassigning a buffer keeps it a buffer
    assert net.state_dict()["steps"].tolist() == [1.0]
    net.b2 = nn.Buffer(ag.zeros(3), persistent=False)
    assert "b2" in dict(net.named_buffers()) and "b2" not in net.state_dict()
    del net.fc2
    assert "fc2" not in dict(net.named_children())


def test_train_eval_apply_requires_grad_zero_grad():
    net = Net()
    assert net.training and net.fc1.training
    assert net.eval() is net and not net.fc1.training
    net.train()
    assert net.fc2.training
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Linear", "Net"]
    net(ag.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_dtype_conversion_keeps_parameter_objects():
    net = Net()
    w = net.fc1.weight
    assert net.double() is net
    assert net.fc1.weight is w and w.dtype == ag.float64 and net.steps.dtype == ag.float64
    out = net(ag.randn(2, 3, dtype=ag.float64))
    assert out.dtype == ag.float64
    out.sum().backward()
    assert w.grad.dtype == ag.float64
    net.float()
    assert w.dtype == ag.float32 and w.grad.dtype == ag.float32
    net.to(ag.float64)
    assert w.dtype == ag.float64
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        net.to("cuda")


def test_forward_hooks_and_pre_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: calls.append("pre") or (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: out + 100)
    out = lin(ag.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None] + 100,
                               rtol=1e-6)
    assert calls == ["pre"]
    h1.remove()
    h2.remove()
    out = lin(ag.ones(1, 2))
    expect = lin.weight.detach().numpy().sum(1) + lin.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy()[0], expect, rtol=1e-6)
    order = []
    lin.register_forward_hook(lambda m, a, o: order.append(1))
    lin.register_forward_hook(lambda m, a, o: order.append(0), prepend=True)
    lin(ag.ones(2))
    assert order == [0, 1]


def test_repr_matches_pytorch():
    assert repr(nn.Linear(784, 128)) == "Linear(in_features=784, out_features=128, bias=True)"
    assert repr(nn.Module()) == "Module()"
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Sequential(nn.Dropout(0.2)))
    assert repr(seq) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): ReLU()\n"
        "  (2): Sequential(\n    (0): Dropout(p=0.2, inplace=False)\n  )\n)")
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()])
    assert repr(ml) == ("ModuleList(\n  (0-1): 2 x Linear(in_features=2, out_features=2, "
                        "bias=True)\n  (2): ReLU()\n)")
    assert repr(nn.ModuleDict({"a": nn.ReLU()})) == "ModuleDict(\n  (a): ReLU()\n)"


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and [n for n, _ in sub.named_children()] == ["1", "2"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and seq(ag.randn(5, 2)).shape == (5, 1)
    ml = nn.ModuleList([nn.Linear(2, 2)])
    ml.append(nn.Linear(2, 2))
    ml += [nn.ReLU()]
    assert len(ml) == 3 and [n for n, _ in ml.named_parameters()][-1] == "1.bias"
    md = nn.ModuleDict({"enc": nn.Linear(2, 2)})
    md["dec"] = nn.Linear(2, 1)
    assert list(md.keys()) == ["enc", "dec"] and "enc" in md
    assert [n for n, _ in md.named_parameters()][:2] == ["enc.weight", "enc.bias"]
    from collections import OrderedDict
    s2 = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert [n for n, _ in s2.named_parameters()] == ["fc.weight", "fc.bias"]
    assert s2.get_submodule("fc") is s2.fc


def test_deepcopy_module():
    net = Net()
    net2 = copy.deepcopy(net)
    assert net2.fc1.weight is not net.fc1.weight
    assert isinstance(net2.fc1.weight, nn.Parameter)
    np.testing.assert_array_equal(net2.fc1.weight.detach().numpy(),
                                  net.fc1.weight.detach().numpy())


# ---- registration, named_modules, backward hooks, always_call ---------------------------------


def _shared_net(lib_nn):
    shared = lib_nn.Linear(2, 2)
    net = lib_nn.Sequential(shared, lib_nn.ReLU(), shared)
    net.register_module("extra", lib_nn.Tanh())
    return net


def test_register_module_and_named_modules_with_duplicates():
    net = _shared_net(nn)
    assert [n for n, _ in net.named_modules()] == ["", "0", "1", "extra"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == \
        ["", "0", "1", "2", "extra"]
    assert [n for n, _ in net.named_modules(prefix="net")][:2] == ["net", "net.0"]
    assert len(list(net.parameters())) == 2   # the shared layer's parameters once
    net.register_module("extra", nn.ReLU())   # replaces a child (add_module's rules)
    assert isinstance(net.extra, nn.ReLU)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        net.register_module("x", 3)


def test_named_modules_match_torch():
    torch = pytest.importorskip("torch")
    for kw in ({}, {"remove_duplicate": False}, {"prefix": "m"}):
        assert [n for n, _ in _shared_net(nn).named_modules(**kw)] == \
            [n for n, _ in _shared_net(torch.nn).named_modules(**kw)]


def _hook_log(lib, lib_nn):
    """A log of what full backward (pre-)hooks see and do, for any of the two libraries."""
    log = []
    lin = lib_nn.Linear(3, 2).double()
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3) / 10))
        lin.bias.zero_()

    def pre(m, go):
        log.append(("pre", [g.tolist() for g in go]))
        return (go[0] * 2,)

    def hook(m, gi, go):
        log.append(("hook", [None if g is None else g.tolist() for g in gi],
                    [g.tolist() for g in go]))
        return None if gi[0] is None else (gi[0] * 10,)

    hp = lin.register_full_backward_pre_hook(pre)
    lin.register_full_backward_hook(hook)
    x = lib.tensor(np.ones((1, 3)), requires_grad=True)
    y = lin(x)
    log.append(type(y.grad_fn).__name__)
    y.sum().backward()
    log.append(("grads", x.grad.tolist(), lin.weight.grad.tolist()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lin(lib.tensor(np.ones((1, 3)))).sum().backward()   # no input needs a gradient
    log.append([str(w.message)[:60] for w in caught])
    hp.remove()
    lin(lib.tensor(np.ones((1, 3)), requires_grad=True)).sum().backward()

    class Two(lib_nn.Module):
        def forward(self, a, k, b):
            return a * k + b, a

    m = Two()
    m.register_full_backward_hook(lambda mod, gi, go: log.append(
        ("two", [None if g is None else g.tolist() for g in gi],
         [None if g is None else g.tolist() for g in go])))
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    out, _ = m(a, 3.0, lib.tensor([3.0, 4.0]))
    out.sum().backward()
    log.append(("a", a.grad.tolist()))
    return log


def test_full_backward_hooks_see_and_replace_gradients():
    log = _hook_log(ag, nn)
    assert log[0] == "BackwardHookFunctionBackward"
    assert log[1] == ("pre", [[[1.0, 1.0]]])
    # the pre-hook doubled grad_output; the hook sees grad_input for it and multiplies by 10
    assert log[2] == ("hook", [[[0.6, 1.0, 1.4]]], [[[2.0, 2.0]]])
    assert log[3] == ("grads", [[6.0, 10.0, 14.0]], [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]])
    assert log[5] == ("hook", [None], [[[2.0, 2.0]]])
    assert log[6][0].startswith("Full backward hook is firing when gradients are computed")
    assert log[7] == ("hook", [[[0.3, 0.5, 0.7]]], [[[1.0, 1.0]]])   # pre-hook removed
    # one entry per positional input: None for the float, zeros for a tensor without grad
    assert log[8] == ("two", [[3.0, 3.0], None, [0.0, 0.0]], [[1.0, 1.0], None])


def test_full_backward_hooks_match_torch():
    torch = pytest.importorskip("torch")
    assert _hook_log(ag, nn) == _hook_log(torch, torch.nn)


def test_backward_hook_errors():
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                       "grad_input, got 2, but expected 1"):
        lin(ag.randn(1, 2, requires_grad=True)).sum().backward()
    lin = nn.Linear(2, 2)
    lin.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of "
                       "grad_output, got 2, but expected 1"):
        lin(ag.randn(1, 2)).sum().backward()


def test_forward_hooks_always_call_and_with_kwargs():
    calls = []

    class Bad(nn.Module):
        def forward(self, x, scale=1.0):
            raise ValueError("boom")

    bad = Bad()
    bad.register_forward_hook(lambda m, a, o: calls.append(("always", o)), always_call=True)
    bad.register_forward_hook(lambda m, a, o: calls.append("never"))
    with pytest.raises(ValueError, match="boom"):
        bad(ag.ones(1))
    assert calls == [("always", None)]
    lin = nn.Linear(2, 2)
    lin.register_forward_hook(lambda m, a, kw, o: calls.append(sorted(kw)), with_kwargs=True)
    lin(input=ag.ones(2))
    assert calls[-1] == ["input"]
    bad.register_forward_hook(lambda m, a, o: 1 / 0, always_call=True)
    with pytest.warns(UserWarning, match="raised an exception that was silenced as another "
                      "error was raised in forward: division by zero"):
        with pytest.raises(ValueError, match="boom"):
            bad(ag.ones(1))


def test_backward_hooks_leave_no_reference_cycles():
    import gc

    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            m = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
            m[0].register_full_backward_hook(lambda mod, gi, go: None)
            m[0].register_full_backward_pre_hook(lambda mod, go: None)
            m(ag.randn(2, 3, requires_grad=True)).sum().backward()
            del m
        assert gc.collect() == 0
    finally:
        gc.enable()
