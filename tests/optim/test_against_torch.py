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
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.05, "weight_decay": 0.1, "maximize": True, "eps": (1e-4, 1e-2),
                   "d": 1.5, "beta2_decay": -0.5}),
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
    ("Adafactor", {}, {"beta2_decay": -0.5}, {"lr": 0.05, "d": 2.0, "weight_decay": 0.1}),
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


SCHEDULERS = {
    "step": lambda S, o: S.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda S, o: S.MultiStepLR(o, milestones=[2, 5, 5, 9]),
    "exp": lambda S, o: S.ExponentialLR(o, gamma=0.9),
    "cosine": lambda S, o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    "linear": lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=7),
    "constant": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=4),
    "polynomial": lambda S, o: S.PolynomialLR(o, total_iters=12, power=2.0),
    "multiplicative": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.95),
    "lambda": lambda S, o: S.LambdaLR(o, [lambda e: 1 / (1 + e), lambda e: 0.9 ** e]),
    "warm-restarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                eta_min=0.001),
    "warm-restarts-1": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=4),
    "onecycle3": lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=30, three_phase=True),
    "onecycle-linear": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30,
                                                 anneal_strategy="linear"),
    "cyclic": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "cyclic-triangular2": lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3],
                                                  step_size_up=3, step_size_down=5,
                                                  mode="triangular2", base_momentum=0.7,
                                                  max_momentum=[0.95, 0.9]),
    "cyclic-exp-range": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                mode="exp_range", gamma=0.9),
    "cyclic-scale-fn": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                               scale_fn=lambda x: 1 / x, scale_mode="cycle",
                                               cycle_momentum=False),
    "sequential": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
            S.CosineAnnealingLR(o, T_max=10, eta_min=0.001)], milestones=[5]),
    "sequential-3": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.5, total_iters=3), S.ExponentialLR(o, gamma=0.9),
            S.StepLR(o, step_size=4, gamma=0.3)], milestones=[4, 12]),
    "chained": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)]),
    "chained-with-optimizer": lambda S, o: S.ChainedScheduler(
        [S.MultiStepLR(o, milestones=[3, 6]), S.LinearLR(o, start_factor=0.5,
                                                         total_iters=4)], optimizer=o),
}


def _groups(lib, cls, **kw):
    return cls([{"params": [lib.zeros(1, requires_grad=True)]},
                {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1, **kw)


def _same_state(a, b):
    """Scheduler state dicts equal, lists of nested state dicts included."""
    assert set(a) == set(b)
    for k in a:
        if k == "_schedulers":
            for x, y in zip(a[k], b[k]):
                _same_state(x, y)
        elif isinstance(a[k], list) and a[k] and isinstance(a[k][0], float):
            assert a[k] == pytest.approx(b[k], rel=1e-12), k
        elif k not in ("lr_lambdas", "_scale_fn_custom"):
            assert a[k] == b[k], k


@pytest.mark.parametrize("make", list(SCHEDULERS.values()), ids=list(SCHEDULERS))
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_scheduler_matches_torch(make, opt_name):
    torch = pytest.importorskip("torch")
    kw = {"momentum": 0.9} if opt_name == "SGD" else {}
    ours = _groups(ag, getattr(optim, opt_name), **kw)
    theirs = _groups(torch, getattr(torch.optim, opt_name), **kw)
    s1, s2 = make(optim.lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs)
    assert s1.get_last_lr() == pytest.approx(s2.get_last_lr(), rel=1e-12)
    def momenta(opt):
        return [g["momentum"] if opt_name == "SGD" else g["betas"][0] for g in opt.param_groups]

    for _ in range(29):
        ours.step()
        theirs.step()
        s1.step()
        s2.step()
        assert s1.get_last_lr() == pytest.approx(s2.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in ours.param_groups] == s1.get_last_lr()
        assert momenta(ours) == pytest.approx(momenta(theirs), rel=1e-12)
    _same_state(s1.state_dict(), s2.state_dict())


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_state_dict_resumes(name):
    """A scheduler rebuilt from its state_dict (and its optimizer's) continues the schedule,
    nested schedulers included."""
    make = SCHEDULERS[name]
    opt = _groups(ag, optim.SGD, momentum=0.9)
    sched = make(optim.lr_scheduler, opt)
    for _ in range(7):
        opt.step()
        sched.step()
    sd, osd = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    opt2 = _groups(ag, optim.SGD, momentum=0.9)
    sched2 = make(optim.lr_scheduler, opt2)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(sd)
    assert sd == sched.state_dict() or name.startswith(("lambda", "cyclic-scale"))
    for _ in range(12):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert [g["momentum"] for g in opt2.param_groups] == \
            [g["momentum"] for g in opt.param_groups]


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


@pytest.mark.parametrize("name", sorted({n for n, _ in CASES}))
def test_non_finite_gradients_as_torch(name):
    """NaN and inf in a gradient go where PyTorch's go (Rprop: sign(NaN) is 0)."""
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(np.random.default_rng(3), np.float64, [(6,)])
    o1, o2 = getattr(optim, name)(ours, lr=0.1), getattr(torch.optim, name)(theirs, lr=0.1)
    for g in ([1.0, np.nan, -1.0, np.nan, np.inf, 0.5], [1.0, 1.0, 1.0, np.inf, -np.inf, -2.0],
              [-1.0, -1.0, 1.0, 2.0, 3.0, 0.0]):
        g = np.array(g)
        ours[0].grad, theirs[0].grad = ag.tensor(g), torch.tensor(g)
        with np.errstate(all="ignore"):
            o1.step()
        o2.step()
        np.testing.assert_allclose(ours[0]._data, theirs[0].detach().numpy(), rtol=1e-12,
                                   equal_nan=True)
