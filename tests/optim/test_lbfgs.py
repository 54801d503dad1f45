"""LBFGS: convergence, PyTorch's trajectories, state layout and errors.

The trajectory tests feed both libraries the same numpy-computed loss and gradient, so any
difference is the optimizer's (L-BFGS amplifies rounding differences in the gradient)."""

import copy

import numpy as np
import pytest

import autograd as ag
import optim

RNG = np.random.default_rng(0)
_M = RNG.standard_normal((6, 6))
A = _M @ _M.T / 6 + np.eye(6)
B = RNG.standard_normal(6)
X0 = RNG.standard_normal(6) * 2


def quartic(x):
    """A smooth convex function (quadratic plus quartic) and its gradient, in x's dtype."""
    xd = x.astype(np.float64)
    f = 0.5 * xd @ A @ xd - B @ xd + 0.25 * (xd ** 4).sum()
    return np.asarray(f, x.dtype), (A @ xd - B + xd ** 3).astype(x.dtype)


def _closure(p, fun=quartic, lib=ag):
    def closure():
        f, g = fun(p._data if lib is ag else p.detach().numpy())
        p.grad = lib.tensor(g)
        return lib.tensor(f)
    return closure


CONFIGS = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"lr": 0.1, "history_size": 3, "max_iter": 5},
    {"lr": 0.5, "history_size": 2, "max_iter": 4, "line_search_fn": "strong_wolfe"},
    {"lr": 0.05, "max_iter": 1},
    {"max_eval": 7, "tolerance_change": 1e-5, "line_search_fn": "strong_wolfe"},
]


@pytest.mark.parametrize("kw", CONFIGS, ids=[str(sorted(k.items())) for k in CONFIGS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_trajectory_and_state_match_torch(kw, dtype):
    torch = pytest.importorskip("torch")
    a = ag.tensor(X0.astype(dtype), requires_grad=True)
    b = torch.tensor(X0.astype(dtype), requires_grad=True)
    o1, o2 = optim.LBFGS([a], **kw), torch.optim.LBFGS([b], **kw)
    c1, c2 = _closure(a), _closure(b, lib=torch)
    tol = 1e-10 if dtype == np.float64 else 1e-3
    for _ in range(25):
        l1, l2 = o1.step(c1), o2.step(c2)
        assert float(l1) == pytest.approx(float(l2), rel=tol, abs=tol)
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=tol, atol=tol)
    s1, s2 = o1.state_dict()["state"][0], o2.state_dict()["state"][0]
    assert list(s1) == list(s2)
    if dtype == np.float64:
        assert s1["func_evals"] == s2["func_evals"] and s1["n_iter"] == s2["n_iter"]
    for key, v in s2.items():
        ours = s1[key]
        if isinstance(v, torch.Tensor):
            assert isinstance(ours, ag.Tensor) and ours.shape == tuple(v.shape)
            assert ours.dtype.itemsize == v.dtype.itemsize
        elif isinstance(v, list):
            assert len(ours) == len(v)
            assert [type(x) is type(None) for x in ours] == [x is None for x in v]
        else:
            assert type(ours) is type(v)
    assert o1.state_dict()["param_groups"] == o2.state_dict()["param_groups"]
    assert repr(o1) == repr(o2)


def test_state_moves_between_torch_and_ours():
    torch = pytest.importorskip("torch")
    kw = {"history_size": 4, "max_iter": 3, "lr": 0.5}
    b = torch.tensor(X0, requires_grad=True)
    o2 = torch.optim.LBFGS([b], **kw)
    c2 = _closure(b, lib=torch)
    for _ in range(3):
        o2.step(c2)
    a = ag.tensor(b.detach().numpy().copy(), requires_grad=True)
    o1 = optim.LBFGS([a], **kw)
    o1.load_state_dict(o2.state_dict())
    c1 = _closure(a)
    for _ in range(3):
        o1.step(c1)
        o2.step(c2)
    np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=1e-12, atol=1e-12)
    as_torch = {k: (torch.from_numpy(v._data.copy()) if isinstance(v, ag.Tensor) else
                    [torch.from_numpy(x._data.copy()) if isinstance(x, ag.Tensor) else x
                     for x in v] if isinstance(v, list) else v)
                for k, v in o1.state_dict()["state"][0].items()}
    o3 = torch.optim.LBFGS([b], **kw)
    o3.load_state_dict({"state": {0: as_torch}, "param_groups": o1.state_dict()["param_groups"]})
    for _ in range(3):
        o1.step(c1)
        o3.step(c2)
    np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=1e-12, atol=1e-12)


# ---- no torch needed ------------------------------------------------------------------------
def _minimum():
    x = X0.copy()
    for _ in range(100):                        # Newton on the convex quartic
        x -= np.linalg.solve(A + np.diag(3 * x ** 2), quartic(x)[1])
    return x


@pytest.mark.parametrize("kw", [{}, {"line_search_fn": "strong_wolfe"}])
def test_converges_to_the_minimum(kw):
    a = ag.tensor(X0, requires_grad=True)
    opt = optim.LBFGS([a], tolerance_change=1e-15, tolerance_grad=1e-10, **kw)
    for _ in range(5):
        opt.step(_closure(a))
    np.testing.assert_allclose(a._data, _minimum(), atol=1e-9)
    assert np.abs(quartic(a._data)[1]).max() < 1e-7


def test_least_squares_with_a_model_and_a_real_closure():
    nn = pytest.importorskip("nn")
    ag.manual_seed(0)
    x = ag.randn(50, 3, dtype=ag.float64)
    y = x @ ag.tensor([[1.0], [-2.0], [0.5]], dtype=ag.float64) + 0.3
    model = nn.Linear(3, 1).double()
    opt = optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe", tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    first = opt.step(closure)
    assert isinstance(first, ag.Tensor) and first.grad_fn is not None   # the closure's loss
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(model.weight._data, [[1.0, -2.0, 0.5]], atol=1e-6)
    np.testing.assert_allclose(model.bias._data, [0.3], atol=1e-6)
    assert opt.state[model.weight]["n_iter"] > 0 and model.bias not in opt.state


def test_stops_at_once_when_the_gradient_is_zero():
    a = ag.tensor(X0, requires_grad=True)
    opt = optim.LBFGS([a])
    calls = []

    def closure():
        calls.append(1)
        a.grad = ag.zeros(6, dtype=ag.float64)
        return ag.tensor(1.0)

    assert opt.step(closure).item() == 1.0
    assert len(calls) == 1 and opt.state[a] == {"func_evals": 1, "n_iter": 0}
    np.testing.assert_array_equal(a._data, X0)


def test_state_dict_round_trip_and_save_load(tmp_path):
    a = ag.tensor(X0, requires_grad=True)
    opt = optim.LBFGS([a], history_size=3, max_iter=4)
    for _ in range(3):
        opt.step(_closure(a))
    ag.save({"opt": opt.state_dict()}, tmp_path / "lbfgs.npz")
    sd = copy.deepcopy(opt.state_dict())
    b = ag.tensor(a._data.copy(), requires_grad=True)
    opt2 = optim.LBFGS([b], history_size=3, max_iter=4)
    opt2.load_state_dict(ag.load(tmp_path / "lbfgs.npz")["opt"])
    for _ in range(3):
        opt.step(_closure(a))
        opt2.step(_closure(b))
    np.testing.assert_array_equal(a._data, b._data)
    assert sd["state"][0]["n_iter"] == 12 and len(sd["state"][0]["old_dirs"]) == 3


def test_bad_use_raises_as_pytorch():
    a = ag.tensor(X0, requires_grad=True)
    opt = optim.LBFGS([a])
    with pytest.raises(TypeError, match=r"step\(\) missing 1 required positional argument: "
                                        "'closure'"):
        opt.step()
    with pytest.raises(TypeError, match=r"'NoneType' object is not callable: LBFGS.step\("
                                        r"closure\) needs a closure"):
        opt.step(None)
    with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options "
                                         r"\(parameter groups\)$"):
        optim.LBFGS([{"params": [a]}, {"params": [ag.ones(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        optim.LBFGS([a], lr=-1)
    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
        optim.LBFGS([a], line_search_fn="armijo").step(_closure(a))
    opt.add_param_group({"params": [ag.ones(1, requires_grad=True)]})
    with pytest.raises(AssertionError, match="Expected exactly one param_group, but got 2"):
        opt.step(_closure(a))
