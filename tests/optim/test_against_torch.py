"""Differential tests against PyTorch (optional: only where `import torch` works) and an
end-to-end training step with `nn` modules."""

import copy

import numpy as np
import pytest

import autograd as ag
import optim

SHAPES = [(3, 4), (5,), ()]
STEPS = 25

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
    ("Adadelta", {"eps": 1e-3, "foreach": False}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.3, 0.5), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "betas": (0.6, 0.9), "eps": 1e-4}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.5, 0.8), "weight_decay": 0.1, "maximize": True}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (0.01, 0.1), "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5, "weight_decay": 0.1,
              "maximize": True}),
]

# every optimizer with two groups that differ in the options that change its update
GROUP_CASES = [
    ("SGD", {"lr": 0.1}, {"momentum": 0.9, "nesterov": True}, {"momentum": 0.5, "lr": 0.05}),
    ("Adam", {"lr": 0.01}, {"amsgrad": True}, {"weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.01}, {"weight_decay": 0.5}, {"amsgrad": True, "betas": (0.5, 0.6)}),
    ("RMSprop", {}, {"centered": True}, {"momentum": 0.9, "alpha": 0.5}),
    ("Adagrad", {}, {"lr_decay": 0.1}, {"lr": 0.5, "weight_decay": 0.1}),
    ("Adadelta", {}, {"rho": 0.5}, {"lr": 0.3, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}, {"betas": (0.5, 0.9)}, {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {}, {"decoupled_weight_decay": True, "weight_decay": 0.2},
     {"momentum_decay": 0.1, "maximize": True}),
    ("RAdam", {}, {"betas": (0.5, 0.8)}, {"decoupled_weight_decay": True, "weight_decay": 0.2}),
    ("Rprop", {}, {"etas": (0.2, 1.1)}, {"lr": 0.1, "step_sizes": (0.05, 0.2)}),
    ("ASGD", {"lr": 0.05}, {"t0": 3}, {"lambd": 0.1, "alpha": 0.9, "maximize": True}),
]


def _pair(rng, dtype, shapes=SHAPES):
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return ([ag.tensor(a.copy(), requires_grad=True) for a in init],
            [_torch().tensor(a.copy(), requires_grad=True) for a in init])


def _torch():
    import torch
    return torch


def _run(o1, o2, ours, theirs, rng, steps, tol):
    dtype = ours[0]._data.dtype
    for _ in range(steps):
        for p, t in zip(ours, theirs):
            g = rng.standard_normal(p.shape).astype(dtype)
            p.grad, t.grad = ag.tensor(g.copy()), _torch().tensor(g.copy())
        o1.step()
        o2.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p._data, t.detach().numpy(), rtol=tol, atol=tol)


def _assert_same_state(sd1, sd2, tol):
    assert sd1["param_groups"] == sd2["param_groups"]
    assert list(sd1["state"]) == list(sd2["state"])
    for k, st in sd2["state"].items():
        assert list(sd1["state"][k]) == list(st)
        for key, v in st.items():
            ours = sd1["state"][k][key]
            assert ours.dtype.itemsize == v.dtype.itemsize and ours.shape == tuple(v.shape)
            np.testing.assert_allclose(ours._data, v.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_trajectory_matches_torch(name, kw, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours, theirs = _pair(rng, dtype)
    o1 = getattr(optim, name)(ours, **kw)
    o2 = getattr(torch.optim, name)(theirs, **kw)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    _run(o1, o2, ours, theirs, rng, STEPS, tol)
    _assert_same_state(o1.state_dict(), o2.state_dict(), tol)
    assert repr(o1) == repr(o2)


@pytest.mark.parametrize("name,defaults,g1,g2", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_param_groups_with_different_settings_match_torch(name, defaults, g1, g2):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    ours, theirs = _pair(rng, np.float64, [(4, 3), (6,), (2,), ()])
    o1 = getattr(optim, name)([{"params": ours[:2], **g1}, {"params": ours[2:], **g2}],
                              **defaults)
    o2 = getattr(torch.optim, name)([{"params": theirs[:2], **g1},
                                     {"params": theirs[2:], **g2}], **defaults)
    _run(o1, o2, ours, theirs, rng, STEPS, 1e-12)
    _assert_same_state(o1.state_dict(), o2.state_dict(), 1e-12)


def _to_torch(v):
    torch = _torch()
    if isinstance(v, ag.Tensor):
        return torch.from_numpy(v._data.copy())
    if isinstance(v, dict):
        return {k: _to_torch(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_to_torch(x) for x in v)
    return v


@pytest.mark.parametrize("name,kw", CASES[::2], ids=[n for n, _ in CASES[::2]])
def test_optimizer_state_moves_between_torch_and_ours(name, kw):
    """Ten steps in PyTorch, its state_dict() loaded here (its tensors as they are), ten more
    steps; then our state_dict() (as torch tensors) loaded into PyTorch: both continue alike."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    ours, theirs = _pair(rng, np.float64)
    o2 = getattr(torch.optim, name)(theirs, **kw)
    for _ in range(10):
        for t in theirs:
            t.grad = torch.tensor(rng.standard_normal(t.shape))
        o2.step()
    for p, t in zip(ours, theirs):
        p._data[...] = t.detach().numpy()
    o1 = getattr(optim, name)(ours, **kw)
    o1.load_state_dict(o2.state_dict())
    _run(o1, o2, ours, theirs, rng, 10, 1e-12)
    o3 = getattr(torch.optim, name)(theirs, **kw)
    o3.load_state_dict(_to_torch(o1.state_dict()))
    _run(o1, o3, ours, theirs, rng, 10, 1e-12)


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
