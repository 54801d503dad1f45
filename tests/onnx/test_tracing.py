"""The tracer (no onnx needed): the calls a forward makes, recorded as a tree (outermost
calls only inside ops a converter handles), and the wrappers always removed."""

from __future__ import annotations

import sys

import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd.onnx.tracing import Tracer
from autograd.tensor import Tensor


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 4)
        self.act = nn.Sequential(nn.Tanh())

    def forward(self, x, fail=False):
        y = F.softmax(self.act(self.lin(x)), dim=-1) * 2
        if fail:
            raise ValueError("boom")
        return y


def _snapshot() -> tuple:
    mods = {n: dict(vars(m)) for n, m in sys.modules.items() if m is not None and
            n.split(".")[0] in ("autograd", "nn", __name__.split(".")[0])}
    return dict(vars(Tensor)), dict(vars(nn.Module)), mods


def _trace(model, args, kwargs=None, opaque=("linear",)):
    names = set(opaque)
    return Tracer(model, {id(a): a for a in args}, {id(p): p for p in model.parameters()},
                  lambda fn, a, k: fn.__name__ in names, lambda m: False).run(args,
                                                                             kwargs or {})


def test_calls_are_recorded_as_a_tree():
    ag.manual_seed(0)
    model, x = Net(), ag.randn(2, 3)
    root = _trace(model, (x,))
    assert root.module is model and root.where == ("", "Net")
    names = [c.module.__class__.__name__ if c.module is not None else c.fn.__name__
             for c in root.children]
    assert names == ["Linear", "Sequential", "softmax", "mul"]
    lin, seq, soft, _ = root.children
    assert [c.fn.__name__ for c in lin.children] == ["linear"]
    assert lin.children[0].opaque and lin.children[0].children == []   # handled as one op
    assert seq.children[0].where == ("act.0", "Tanh")
    assert [c.fn.__name__ for c in seq.children[0].children] == ["tanh"]
    assert [c.fn.__name__ for c in soft.children] == ["softmax"]       # F.softmax -> Tensor's
    assert root.out is not None and not root.const


def test_constants_are_copied_when_first_seen():
    class WithConst(nn.Module):
        def forward(self, x):
            c = ag.ones(3) * 2                # a call on constants only
            return x + c

    x = ag.randn(2, 3)
    tr = Tracer(WithConst(), {id(x): x}, {}, lambda *a: False, lambda m: False)
    root = tr.run((x,), {})
    ones, mul, add = root.children
    assert ones.const and mul.const and not add.const
    assert tr.snaps[id(mul)][id(mul.out)].tolist() == [2.0, 2.0, 2.0]


def test_wrappers_are_removed_after_a_trace_and_after_an_error():
    before = _snapshot()
    model, x = Net(), ag.randn(2, 3)
    _trace(model, (x,))
    assert _snapshot() == before
    with pytest.raises(ValueError, match="boom"):
        _trace(model, (x,), {"fail": True})
    assert _snapshot() == before
    assert Tensor.__add__ is vars(Tensor)["__add__"] and (x + x).shape == (2, 3)


def test_in_place_changes_are_noted():
    class InPlace(nn.Module):
        def forward(self, x):
            y = x * 1
            y.add_(1)
            return y

    x = ag.randn(2)
    root = _trace(InPlace(), (x,))
    mul, add_ = root.children
    assert add_.mutated == [mul.out] and add_.out is mul.out
    assert add_.vout[id(mul.out)] == mul.vout[id(mul.out)] + 1


def test_export_without_the_onnx_package_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "ndgrad\[onnx\]"'):
        ag.onnx.export(Net(), (ag.randn(2, 3),), "never-written.onnx")
