"""Optimizer arguments: PyTorch's ValueError texts for bad values, and the kernel-choice
flags (`foreach`, `fused`, `capturable`, `differentiable`) accepted where PyTorch takes them."""

import numpy as np
import pytest

import autograd as ag
import optim

BAD = [
    ("Adadelta", {"lr": -1}, ValueError, "Invalid learning rate: -1"),
    ("Adadelta", {"rho": 1.5}, ValueError, "Invalid rho value: 1.5"),
    ("Adadelta", {"rho": -0.1}, ValueError, "Invalid rho value: -0.1"),
    ("Adadelta", {"eps": -1e-6}, ValueError, "Invalid epsilon value: -1e-06"),
    ("Adadelta", {"weight_decay": -1}, ValueError, "Invalid weight_decay value: -1"),
    ("Adamax", {"lr": -0.5}, ValueError, "Invalid learning rate: -0.5"),
    ("Adamax", {"eps": -1.0}, ValueError, "Invalid epsilon value: -1.0"),
    ("Adamax", {"betas": (1.0, 0.9)}, ValueError, "Invalid beta parameter at index 0: 1.0"),
    ("Adamax", {"betas": (0.9, -0.1)}, ValueError, "Invalid beta parameter at index 1: -0.1"),
    ("Adamax", {"weight_decay": -2}, ValueError, "Invalid weight_decay value: -2"),
    ("NAdam", {"lr": -1}, ValueError, "Invalid learning rate: -1"),
    ("NAdam", {"betas": (0.9, 1.0)}, ValueError, "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", {"momentum_decay": -1}, ValueError, "Invalid momentum_decay value: -1"),
    ("NAdam", {"weight_decay": -1}, ValueError, "Invalid weight_decay value: -1"),
    ("RAdam", {"eps": -1}, ValueError, "Invalid epsilon value: -1"),
    ("RAdam", {"betas": (-0.5, 0.9)}, ValueError, "Invalid beta parameter at index 0: -0.5"),
    ("RAdam", {"weight_decay": -1}, ValueError, "Invalid weight_decay value: -1"),
    ("Rprop", {"lr": -1}, ValueError, "Invalid learning rate: -1"),
    ("Rprop", {"etas": (1.2, 0.5)}, ValueError, "Invalid eta values: 1.2, 0.5"),
    ("Rprop", {"etas": (0.0, 1.2)}, ValueError, "Invalid eta values: 0.0, 1.2"),
    ("Rprop", {"etas": (0.5, 1.0)}, ValueError, "Invalid eta values: 0.5, 1.0"),
    ("ASGD", {"lr": -1}, ValueError, "Invalid learning rate: -1"),
    ("ASGD", {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
    ("LBFGS", {"lr": -1}, ValueError, "Invalid learning rate: -1"),
    ("Adafactor", {"lr": -1}, ValueError, "Learning rate should be >= 0 but is: -1"),
    ("Adafactor", {"beta2_decay": 0.5}, ValueError, "beta2_decay should be <= 0 but is: 0.5"),
    ("Adafactor", {"eps": (-1.0, 1e-3)}, ValueError, "epsilon1 should be >= 0 but is: -1.0"),
    ("Adafactor", {"eps": (None, -1.0)}, ValueError, "epsilon2 should be >= 0 but is: -1.0"),
    ("Adafactor", {"d": 0.5}, ValueError, "Clipping threshold d should be >= 1 but is: 0.5"),
    ("Adafactor", {"weight_decay": -1}, ValueError, "weight_decay should be >= 0 but is: -1"),
    ("RMSprop", {"momentum": -1}, ValueError, "Invalid momentum value: -1"),
    ("RMSprop", {"eps": -1}, ValueError, "Invalid epsilon value: -1"),
    ("Adagrad", {"eps": -1}, ValueError, "Invalid epsilon value: -1"),
    ("Adam", {"betas": (0, 0.9)}, ValueError, "betas must be either both floats or both Tensors"),
    ("Adam", {"lr": "tensor", "foreach": True}, ValueError,
     "lr as a Tensor is not supported for capturable=False and foreach=True"),
    ("AdamW", {"lr": "two-element tensor"}, ValueError, "Tensor lr must be 1-element"),
    ("Adam", {"fused": True, "foreach": True}, RuntimeError,
     "`fused` and `foreach` cannot be `True` together."),
    ("SGD", {"fused": True, "differentiable": True}, RuntimeError,
     "`fused` does not support `differentiable`"),
    ("Adagrad", {"fused": True, "foreach": True}, RuntimeError,
     "`fused` and `foreach` cannot be `True` together."),
]


def _make(lib, name, kw):
    kw = dict(kw)
    if kw.get("lr") == "tensor":
        kw["lr"] = lib.tensor(0.01)
    elif kw.get("lr") == "two-element tensor":
        kw["lr"] = lib.tensor([0.01, 0.02])
    p = lib.ones(2, requires_grad=True)
    return getattr(lib.optim, name)([p], **kw)


class _Lib:
    tensor, ones, optim = staticmethod(ag.tensor), staticmethod(ag.ones), optim


@pytest.mark.parametrize("name,kw,exc,msg", BAD, ids=[f"{n}-{sorted(k)}" for n, k, _, _ in BAD])
def test_bad_arguments_raise_pytorchs_errors(name, kw, exc, msg):
    with pytest.raises(exc) as info:
        _make(_Lib, name, kw)
    assert str(info.value) == msg


@pytest.mark.parametrize("name,kw,exc,msg", BAD, ids=[f"{n}-{sorted(k)}" for n, k, _, _ in BAD])
def test_bad_arguments_as_pytorch_says(name, kw, exc, msg):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc) as info:
        _make(torch, name, kw)
    assert str(info.value) == msg


FLAGGED = {  # the optimizers that take each flag in PyTorch
    "foreach": ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
                "RAdam", "Rprop", "ASGD", "Adafactor"],
    "capturable": ["Adam", "AdamW", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop",
                   "ASGD"],
    "fused": ["SGD", "Adam", "AdamW", "Adagrad"],
}


@pytest.mark.parametrize("flag,name", [(f, n) for f, names in FLAGGED.items() for n in names])
def test_kernel_flags_are_accepted_and_change_nothing(flag, name):
    """`foreach=True`, `capturable=True`, `fused=True` choose PyTorch's kernels; there is one
    numpy path here, so the update is the same (and the group keeps the flag)."""
    rng = np.random.default_rng(0)
    x0, grads = rng.standard_normal(5), rng.standard_normal((4, 5))
    runs = []
    for kw in ({}, {flag: True}):
        p = ag.tensor(x0.copy(), requires_grad=True)
        opt = getattr(optim, name)([p], lr=0.01, **kw)
        assert opt.param_groups[0][flag] is kw.get(flag, opt.defaults[flag])
        for g in grads:
            p.grad = ag.tensor(g)
            opt.step()
        runs.append(p._data)
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("name", FLAGGED["foreach"][:-1])        # Adafactor has no flag
def test_differentiable_true_is_refused_clearly(name):
    opt = getattr(optim, name)([ag.ones(2, requires_grad=True)], differentiable=False)
    assert opt.param_groups[0]["differentiable"] is False
    with pytest.raises(NotImplementedError, match=f"^{name}: differentiable=True is not "
                                                  "supported"):
        getattr(optim, name)([ag.ones(2, requires_grad=True)], differentiable=True)


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adadelta", "NAdam", "Rprop", "ASGD"])
def test_tensor_lr_is_read_as_a_number(name):
    runs = []
    for lr in (0.05, ag.tensor(0.05, dtype=ag.float64)):
        p = ag.ones(3, dtype=ag.float64, requires_grad=True)
        opt = getattr(optim, name)([p], lr=lr)
        for _ in range(3):
            p.grad = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64)
            opt.step()
        runs.append(p._data)
    np.testing.assert_array_equal(runs[0], runs[1])
