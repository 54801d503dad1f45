"""Differential tests against PyTorch (optional: only where `import torch` works) and an
end-to-end training step with `nn` modules."""

import copy

import numpy as np
import pytest

import autograd as ag
import optim

SHAPES = [(3, 4), (5,), ()]

CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.5)}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5,
                 "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.6, "weight_decay": 0.1, "maximize": True}),
]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_trajectory_matches_torch(name, kw, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [ag.tensor(a.copy(), requires_grad=True) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    o1 = getattr(optim, name)(ours, **kw)
    o2 = getattr(torch.optim, name)(theirs, **kw)
    tol = 1e-13 if dtype == np.float64 else 2e-6
    for _ in range(15):
        for p, t in zip(ours, theirs):
            g = rng.standard_normal(p.shape).astype(dtype)
            p.grad, t.grad = ag.tensor(g.copy()), torch.tensor(g.copy())
        o1.step()
        o2.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p._data, t.detach().numpy(), rtol=tol, atol=tol)
    sd1, sd2 = o1.state_dict(), o2.state_dict()
    assert sd1["param_groups"] == sd2["param_groups"]
    for k, st in sd2["state"].items():
        assert list(sd1["state"][k]) == list(st)
        for key, v in st.items():
            np.testing.assert_allclose(sd1["state"][k][key]._data, v.numpy(), rtol=tol, atol=tol)
    assert repr(o1) == repr(o2)


@pytest.mark.parametrize("make", [
    lambda S, o: S.StepLR(o, step_size=3, gamma=0.5),
    lambda S, o: S.MultiStepLR(o, milestones=[2, 5, 5, 9]),
    lambda S, o: S.ExponentialLR(o, gamma=0.9),
    lambda S, o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=7),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=30, three_phase=True),
    lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30, anneal_strategy="linear"),
], ids=["step", "multistep", "exp", "cosine", "linear", "warm-restarts", "onecycle3",
        "onecycle-linear"])
def test_scheduler_matches_torch(make):
    torch = pytest.importorskip("torch")
    ours = optim.SGD([{"params": [ag.zeros(1, requires_grad=True)]},
                      {"params": [ag.zeros(1, requires_grad=True)], "lr": 0.3}],
                     lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                              {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.3}],
                             lr=0.1, momentum=0.9)
    s1, s2 = make(optim.lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs)
    for _ in range(29):
        ours.step()
        theirs.step()
        s1.step()
        s2.step()
        assert s1.get_last_lr() == s2.get_last_lr()
        assert [g["momentum"] for g in ours.param_groups] == \
            [g["momentum"] for g in theirs.param_groups]
    assert set(s1.state_dict()) == set(s2.state_dict())


def test_nn_training_step_end_to_end():
    nn = pytest.importorskip("nn")
    if not hasattr(nn, "Linear") or not hasattr(nn, "Sequential"):
        pytest.skip("nn.Linear / nn.Sequential not available yet")
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    x = ag.randn(32, 4)
    y = (x[:, :1] * 2 - x[:, 1:2]).detach()
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=100, gamma=0.5)

    def loss_fn():
        return ((model(x) - y) ** 2).mean()

    first = loss_fn().item()
    for _ in range(200):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        sched.step()
    assert loss_fn().item() < 0.1 * first
    assert sched.get_last_lr() == [0.0025]
    snapshot = copy.deepcopy(opt.state_dict())
    assert len(snapshot["state"]) == 4 and snapshot["param_groups"][0]["params"] == [0, 1, 2, 3]
