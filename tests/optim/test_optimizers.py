"""Optimizers against their closed-form update equations, step by step, in float64."""

import copy
import inspect

import numpy as np
import pytest

import autograd as ag
import optim

SHAPES = [(3, 4), (5,), ()]
STEPS = 20


# ---- textbook reference updates (plain numpy, float64) -----------------------------------
def ref_sgd(x, g, st, t, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
            maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    if momentum:
        st["buf"] = g.copy() if t == 1 else momentum * st["buf"] + (1 - dampening) * g
        g = g + momentum * st["buf"] if nesterov else st["buf"]
    return x - lr * g


def ref_adam(x, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
             amsgrad=False, maximize=False, decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled:
        x = x * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * x
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    vhat = np.maximum(st.get("vmax", 0), st["v"]) if amsgrad else st["v"]
    st["vmax"] = vhat
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    return x - (lr / bc1) * st["m"] / (np.sqrt(vhat) / np.sqrt(bc2) + eps)


def ref_adamw(x, g, st, t, weight_decay=1e-2, **kw):
    return ref_adam(x, g, st, t, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(x, g, st, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    st["v"] = alpha * st.get("v", 0) + (1 - alpha) * g * g
    vt = st["v"]
    if centered:
        st["gavg"] = alpha * st.get("gavg", 0) + (1 - alpha) * g
        vt = vt - st["gavg"] ** 2
    avg = np.sqrt(vt) + eps
    if momentum:
        st["buf"] = momentum * st.get("buf", 0) + g / avg
        return x - lr * st["buf"]
    return x - lr * g / avg


def ref_adagrad(x, g, st, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                eps=1e-10, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    clr = lr / (1 + (t - 1) * lr_decay)
    st["sum"] = st.get("sum", initial_accumulator_value) + g * g
    return x - clr * g / (np.sqrt(st["sum"]) + eps)


def ref_adadelta(x, g, st, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    st["v"] = rho * st.get("v", 0) + (1 - rho) * g * g
    delta = np.sqrt(st.get("u", 0) + eps) / np.sqrt(st["v"] + eps) * g
    st["u"] = rho * st.get("u", 0) + (1 - rho) * delta * delta
    return x - lr * delta


def ref_adamax(x, g, st, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
               maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    g = g + weight_decay * x
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["u"] = np.maximum(b2 * st.get("u", 0), np.abs(g) + eps)
    return x - lr / (1 - b1 ** t) * st["m"] / st["u"]


def ref_nadam(x, g, st, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled_weight_decay:
        x = x * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * x
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    st["prod"] = np.float32(st.get("prod", 1) * mu)    # PyTorch keeps the product in float32
    prod = float(st["prod"])
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    denom = np.sqrt(st["v"] / (1 - b2 ** t)) + eps
    return (x - lr * (1 - mu) / (1 - prod) * g / denom
            - lr * mu_next / (1 - prod * mu_next) * st["m"] / denom)


def ref_radam(x, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled_weight_decay:
        x = x * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * x
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1 ** t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
    if rho_t <= 5:
        return x - lr * m_hat
    r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return x - lr * m_hat * r * np.sqrt(1 - b2 ** t) / (np.sqrt(st["v"]) + eps)


def ref_rprop(x, g, st, t, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    g = -g if maximize else g
    prev = st.get("prev", np.zeros_like(g))
    s = np.sign(g * prev)
    factor = np.where(s > 0, etas[1], np.where(s < 0, etas[0], 1.0))
    st["size"] = np.clip(st.get("size", np.full_like(g, lr)) * factor, *step_sizes)
    g = np.where(s < 0, 0.0, g)
    st["prev"] = g
    return x - np.sign(g) * st["size"]


def ref_asgd(x, g, st, t, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
             maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    eta = float(st.get("eta", np.float32(lr)))           # PyTorch keeps eta and mu in float32
    x = x * (1 - lambd * eta) - eta * g
    mu = float(st.get("mu", 1.0))
    st["ax"] = x.copy() if mu == 1 else st["ax"] + mu * (x - st["ax"])
    st["eta"] = np.float32(lr / (1 + lambd * lr * t) ** alpha)
    st["mu"] = np.float32(1 / max(1, t - t0))
    return x


def ref_adafactor(x, g, st, t, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                  weight_decay=0.0, maximize=False):
    g = -g if maximize else g
    eps1 = np.finfo(x.dtype).eps if eps[0] is None else eps[0]
    w = t ** beta2_decay
    alpha = max(eps[1], np.sqrt(np.mean(x * x))) * min(lr, 1 / np.sqrt(t))
    x = x * (1 - lr * weight_decay)
    if g.ndim > 1:
        st["r"] = (1 - w) * st.get("r", 0) + w * np.mean(g * g, -1, keepdims=True)
        st["c"] = (1 - w) * st.get("c", 0) + w * np.mean(g * g, -2, keepdims=True)
        v = st["r"] * st["c"] / np.maximum(np.mean(st["r"], -2, keepdims=True), eps1)
    else:
        v = st["v"] = (1 - w) * st.get("v", 0) + w * g * g
    u = g / np.sqrt(np.maximum(v, eps1 ** 2))
    return x - alpha / max(1.0, np.sqrt(np.mean(u * u)) / d) * u


REFS = {"SGD": ref_sgd, "Adam": ref_adam, "AdamW": ref_adamw, "RMSprop": ref_rmsprop,
        "Adagrad": ref_adagrad, "Adadelta": ref_adadelta, "Adamax": ref_adamax,
        "NAdam": ref_nadam, "RAdam": ref_radam, "Rprop": ref_rprop, "ASGD": ref_asgd,
        "Adafactor": ref_adafactor}

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.4)}),          # lerp's second branch (weight >= .5)
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.2, "amsgrad": True, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True,
                 "alpha": 0.3}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"rho": 0.95, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.3, 0.5), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
               "betas": (0.6, 0.9)}),
    ("RAdam", {}),                                         # rho_t > 5 from step 6 on
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


def _params(rng, dtype=np.float64):
    return [ag.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{sorted(k.items())}" for n, k in CASES])
def test_update_matches_closed_form(name, kw):
    rng = np.random.default_rng(0)
    params = _params(rng)
    assert all(p.dtype is ag.float64 for p in params)
    xs = [p._data.copy() for p in params]
    states = [{} for _ in params]
    opt = getattr(optim, name)(params, **kw)
    for t in range(1, STEPS + 1):
        for i, p in enumerate(params):
            g = rng.standard_normal(p.shape)
            p.grad = ag.tensor(g)
            xs[i] = REFS[name](xs[i], g, states[i], t, **kw)
        opt.step()
        for p, x in zip(params, xs):
            np.testing.assert_allclose(p._data, x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(REFS))
def test_float32_params_stay_float32_and_grad_untouched(name):
    p = ag.randn(4, 3, requires_grad=True)
    g = ag.randn(4, 3)
    g0 = g._data.copy()
    p.grad = g
    cls = getattr(optim, name)
    wd = {"weight_decay": 0.1} if "weight_decay" in inspect.signature(cls).parameters else {}
    opt = cls([p], lr=0.1, maximize=True, **wd)
    v0 = p._version
    opt.step()
    assert p.dtype is ag.float32 and p._data.dtype == np.float32
    assert p._version == v0 + 1                      # the in-place update bumps the version
    np.testing.assert_array_equal(g._data, g0)       # the gradient is read, never written
    assert p.grad_fn is None and p.is_leaf
    for st in opt.state[p].values():
        assert isinstance(st, ag.Tensor) and not st.requires_grad


@pytest.mark.parametrize("name", list(REFS))
def test_params_without_grad_are_skipped(name):
    a = ag.ones(3, requires_grad=True)
    b = ag.ones(3, requires_grad=True)
    opt = getattr(optim, name)([a, b], lr=0.1)
    a.grad = ag.full((3,), 2.0)
    opt.step()
    assert not np.array_equal(a._data, np.ones(3))
    np.testing.assert_array_equal(b._data, np.ones(3, np.float32))
    assert b._version == 0
    if name != "Adagrad":                           # Adagrad creates state eagerly, as torch
        assert b not in opt.state or not opt.state[b]


def test_state_layout_like_pytorch():
    p = ag.randn(2, 2, requires_grad=True)
    opt = optim.Adam([p], amsgrad=True)
    p.grad = ag.ones(2, 2)
    opt.step()
    opt.step()
    st = opt.state[p]
    assert list(st) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert st["step"].dtype is ag.float32 and st["step"].shape == () and st["step"].item() == 2
    sgd = optim.SGD([p], lr=0.1)
    sgd.step()
    assert sgd.state_dict()["state"] == {}            # SGD without momentum keeps no state
    rms = optim.RMSprop([p], momentum=0.9, centered=True)
    rms.step()
    assert set(rms.state[p]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    ada = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert set(ada.state[p]) == {"step", "sum"}
    np.testing.assert_array_equal(ada.state[p]["sum"]._data, np.full((2, 2), 0.25))


# ---- convergence --------------------------------------------------------------------------
def _minimise(make_opt, f, x0, steps):
    x = ag.tensor(np.array(x0, np.float64), requires_grad=True)
    opt = make_opt([x])
    for _ in range(steps):
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        opt.step()
    return x._data


QUAD_A = np.array([[3.0, 0.5], [0.5, 1.0]])
QUAD_B = np.array([1.0, -2.0])


def quadratic(x):
    a = ag.tensor(QUAD_A)
    return (0.5 * x * (a @ x)).sum() - (x * ag.tensor(QUAD_B)).sum()


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1),
    lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    lambda p: optim.Adam(p, lr=0.1),
    lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.0),
    lambda p: optim.RMSprop(p, lr=0.05, centered=True),
    lambda p: optim.Adagrad(p, lr=1.0),
], ids=["sgd", "nesterov", "adam", "adamw", "rmsprop", "adagrad"])
def test_converges_on_quadratic(make_opt):
    x = _minimise(make_opt, quadratic, [4.0, 4.0], 400)
    np.testing.assert_allclose(x, np.linalg.solve(QUAD_A, QUAD_B), atol=2e-3)


@pytest.mark.parametrize("make_opt,steps", [
    (lambda p: optim.Adam(p, lr=0.02), 3000),
    (lambda p: optim.SGD(p, lr=1e-3, momentum=0.9), 3000),
], ids=["adam", "sgd-momentum"])
def test_converges_on_rosenbrock(make_opt, steps):
    x = _minimise(make_opt, rosenbrock, [-1.5, 2.0], steps)
    np.testing.assert_allclose(x, [1.0, 1.0], atol=2e-2)


def test_closure_is_evaluated_with_grad_and_its_loss_returned():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(x._data, [0.0, 0.0])


# ---- param groups, zero_grad ---------------------------------------------------------------
def test_param_groups_have_their_own_options():
    rng = np.random.default_rng(1)
    a, b, c = _params(rng)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": c, "weight_decay": 0.1})
    assert opt.param_groups[2]["params"] == [c] and opt.param_groups[2]["lr"] == 0.1
    xs = [p._data.copy() for p in (a, b, c)]
    sts = [{}, {}, {}]
    kws = [{"lr": 0.1}, {"lr": 0.5, "momentum": 0.9}, {"lr": 0.1, "weight_decay": 0.1}]
    for t in range(1, 6):
        for i, p in enumerate((a, b, c)):
            g = rng.standard_normal(p.shape)
            p.grad = ag.tensor(g)
            xs[i] = ref_sgd(xs[i], g, sts[i], t, **kws[i])
        opt.step()
    for p, x in zip((a, b, c), xs):
        np.testing.assert_allclose(p._data, x, rtol=1e-12)


def test_named_parameters_are_accepted():
    w, b = ag.ones(2, requires_grad=True), ag.zeros(1, requires_grad=True)
    opt = optim.Adam([("w", w), ("b", b)])
    assert opt.param_groups[0]["params"] == [w, b]
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_zero_grad():
    x = ag.ones(3, requires_grad=True)
    opt = optim.SGD([x])
    (x * 2).sum().backward()
    g = x.grad
    opt.zero_grad(set_to_none=False)
    assert x.grad is g
    np.testing.assert_array_equal(x.grad._data, np.zeros(3))
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad._data, np.full(3, 3.0))
    opt.zero_grad()
    assert x.grad is None


def test_repr_like_pytorch():
    opt = optim.SGD([ag.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
        "    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)")
    adam = optim.AdamW([ag.ones(1, requires_grad=True)])
    r = repr(adam)
    assert r.startswith("AdamW (\nParameter Group 0\n    amsgrad: False\n    betas: (0.9, 0.999)")
    assert "    decoupled_weight_decay: True\n" in r and "    weight_decay: 0.01\n" in r


# ---- state_dict ---------------------------------------------------------------------------
def _train(opt, params, grads):
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = ag.tensor(g)
        opt.step()


@pytest.mark.parametrize("name,kw", [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("Rprop", {}),
    ("ASGD", {"t0": 2}),
    ("Adafactor", {"lr": 0.05}),
])
@pytest.mark.parametrize("through_file", [False, True])
def test_state_dict_round_trip_continues_bit_for_bit(name, kw, through_file, tmp_path):
    rng = np.random.default_rng(2)
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(10)]
    ref_params = _params(np.random.default_rng(3), np.float32)
    ref = getattr(optim, name)(ref_params, **kw)
    _train(ref, ref_params, grads)                                 # 10 uninterrupted steps

    params = _params(np.random.default_rng(3), np.float32)
    opt = getattr(optim, name)(params, **kw)
    _train(opt, params, grads[:4])
    sd = copy.deepcopy(opt.state_dict())
    if through_file:                                                # a checkpoint file
        ag.save({"optimizer": sd}, tmp_path / "ckpt.npz")
        sd = ag.load(tmp_path / "ckpt.npz")["optimizer"]
    assert sorted(sd) == ["param_groups", "state"]
    assert sd["param_groups"][0]["params"] == [0, 1, 2]
    saved = [p._data.copy() for p in params]
    del opt
    params2 = [ag.tensor(x, requires_grad=True) for x in saved]    # a fresh process, say
    opt2 = getattr(optim, name)(params2, **kw)
    opt2.load_state_dict(sd)
    _train(opt2, params2, grads[4:])
    for p, r in zip(params2, ref_params):
        np.testing.assert_array_equal(p._data, r._data)
    # loading copies: training on does not change the loaded dict
    sd_state = copy.deepcopy(sd["state"])
    _train(opt2, params2, grads[:1])
    for k, st in sd["state"].items():
        for key, v in st.items():
            np.testing.assert_array_equal(v._data, sd_state[k][key]._data)


def test_load_state_dict_restores_group_options_and_keeps_params():
    a, b = ag.ones(2, requires_grad=True), ag.ones(3, requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][1]["lr"] = 0.25
    c, d = ag.ones(2, requires_grad=True), ag.ones(3, requires_grad=True)
    opt2 = optim.Adam([{"params": [c]}, {"params": [d]}])
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["params"] == [c] and opt2.param_groups[1]["params"] == [d]
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[1]["lr"] == 0.25


def test_load_state_dict_casts_state_to_param_dtype():
    p = ag.ones(2, dtype=ag.float64, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = ag.ones(2, dtype=ag.float64)
    opt.step()
    q = ag.ones(2, requires_grad=True)                               # float32
    opt2 = optim.Adam([q])
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state[q]["exp_avg"].dtype is ag.float32
    assert opt2.state[q]["step"].dtype is ag.float32


def test_load_state_dict_accepts_saved_step_shapes():
    """A step stored as a 1-element array (or a float, as old PyTorch did) resumes as 0-d."""
    p = ag.ones(2, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = ag.ones(2)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["step"] = ag.tensor([1.0])
    opt2 = optim.Adam([ag.ones(2, requires_grad=True)])
    opt2.load_state_dict(sd)
    st = next(iter(opt2.state.values()))
    assert st["step"].shape == () and st["step"].item() == 1.0
    sd["state"][0]["step"] = 3.0
    opt2.load_state_dict(sd)
    st = next(iter(opt2.state.values()))
    assert isinstance(st["step"], ag.Tensor) and st["step"].item() == 3.0
    opt2.param_groups[0]["params"][0].grad = ag.ones(2)
    opt2.step()
    assert st["step"].item() == 4.0


# ---- errors -------------------------------------------------------------------------------
def _p():
    return ag.ones(2, requires_grad=True)


@pytest.mark.parametrize("make,exc,msg", [
    (lambda: optim.SGD([_p()], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda: optim.Adam([_p()], lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda: optim.Adam([_p()], betas=(1.0, 0.999)), ValueError,
     "Invalid beta parameter at index 0: 1.0"),
    (lambda: optim.AdamW([_p()], betas=(0.9, -0.1)), ValueError,
     "Invalid beta parameter at index 1: -0.1"),
    (lambda: optim.Adam([_p()], eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
    (lambda: optim.SGD([_p()], momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
    (lambda: optim.SGD([_p()], weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    (lambda: optim.SGD([_p()], nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda: optim.RMSprop([_p()], alpha=-0.1), ValueError, "Invalid alpha value: -0.1"),
    (lambda: optim.Adagrad([_p()], lr_decay=-1), ValueError, "Invalid lr_decay value: -1"),
    (lambda: optim.Adagrad([_p()], initial_accumulator_value=-1), ValueError,
     "Invalid initial_accumulator_value value: -1"),
    (lambda: optim.SGD([_p(), 3]), TypeError,
     "optimizer can only optimize Tensors, but one of the params is int"),
    (lambda: optim.SGD([_p() * 2]), ValueError, "can't optimize a non-leaf Tensor"),
    (lambda: optim.Adam([]), ValueError, "optimizer got an empty parameter list"),
    (lambda: optim.SGD(_p()), TypeError,
     "params argument given to the optimizer should be an iterable of Tensors or dicts, but "
     "got autograd.FloatTensor"),
    (lambda: optim.SGD([{"params": {_p()}}]), TypeError,
     "optimizer parameters need to be organized in ordered collections"),
])
def test_bad_input_raises_pytorchs_errors(make, exc, msg):
    with pytest.raises(exc) as info:
        make()
    assert str(info.value).startswith(msg)


def test_duplicates():
    p = _p()
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        optim.SGD([{"params": [p]}, {"params": [p]}])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p])


def test_load_state_dict_mismatch_errors():
    opt = optim.SGD([{"params": [_p()]}, {"params": [_p()]}])
    one = optim.SGD([_p()]).state_dict()
    with pytest.raises(ValueError, match="^loaded state dict has a different number of "
                                         "parameter groups$"):
        opt.load_state_dict(one)
    two = optim.SGD([_p(), _p()]).state_dict()
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group"):
        optim.SGD([_p()]).load_state_dict(two)


def test_step_builds_no_graph():
    x = ag.ones(3, requires_grad=True)
    y = x * 2                    # a graph that saved nothing about x's value after the step
    opt = optim.Adam([x], lr=0.1)
    x.grad = ag.ones(3)
    opt.step()
    assert x.grad_fn is None and x.is_leaf
    for v in opt.state[x].values():
        assert v.grad_fn is None
    assert y.grad_fn is not None


def test_in_place_update_is_caught_by_saved_tensor_check():
    x = ag.ones(3, requires_grad=True)
    y = (x * x).sum()            # mul saves x
    x.grad = ag.ones(3)
    optim.SGD([x], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("name,kw", [(n, k) for n, k in CASES if k], ids=lambda v: str(v))
def test_large_and_non_contiguous_params_match_closed_form(name, kw):
    """Parameters past one 256 KiB block are updated block by block (the last one partial);
    a non-contiguous one (Fortran order) in one piece: both as the formula says."""
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((301, 250)), np.asfortranarray(rng.standard_normal((40, 30)))]
    params = [ag.from_numpy(a.copy(order="K")).requires_grad_() for a in arrays]
    assert not params[1]._data.flags.c_contiguous
    xs, states = [a.copy() for a in arrays], [{}, {}]
    opt = getattr(optim, name)(params, **kw)
    for t in range(1, 4):
        for i, p in enumerate(params):
            g = rng.standard_normal(p.shape)
            p.grad = ag.tensor(g)
            xs[i] = REFS[name](xs[i], g, states[i], t, **kw)
        opt.step()
    for p, x in zip(params, xs):
        np.testing.assert_allclose(p._data, x, rtol=1e-12, atol=1e-12)


def test_a_module_instead_of_its_parameters_says_what_to_pass():
    nn = pytest.importorskip("nn")
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"^'Linear' object is not iterable: .*Adam\(model"
                                        r"\.parameters\(\)"):
        optim.Adam(lin)
    with pytest.raises(TypeError, match=r"got the module Sequential; pass its parameters"):
        optim.SGD(nn.Sequential(lin))
    with pytest.raises(TypeError, match=r"^optimizer can only optimize Tensors, but one of the "
                                        r"params is nn\.modules\.linear\.Linear; pass model"):
        optim.SGD([lin])


def test_load_state_dict_of_a_model_or_a_non_dict_is_a_clear_error():
    nn = pytest.importorskip("nn")
    model = nn.Linear(2, 2)
    opt = optim.Adam(model.parameters())
    with pytest.raises(KeyError, match=r"Adam.load_state_dict\(\): the state dict has no "
                                       r"'state' or 'param_groups' key; this looks like a "
                                       r"model's state_dict\(\)"):
        opt.load_state_dict(model.state_dict())
    with pytest.raises(KeyError, match="no 'param_groups' key"):
        opt.load_state_dict({"state": {}})
    with pytest.raises(TypeError, match=r"expected the dict returned by optimizer.state_dict\(\)"
                                        r", but got list"):
        opt.load_state_dict([opt.state_dict()])
