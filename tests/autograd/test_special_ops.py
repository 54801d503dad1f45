"""Special functions and pointwise extras against PyTorch (erfc, erfinv, logit, xlogy, sinc,
logaddexp, hypot, nan_to_num, sgn, signbit, isneginf/isposinf, round(decimals=), clamp
with tensor bounds, lerp), plus their edge values and errors without PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare, grad_fn_name, same_error

nan, inf = math.nan, math.inf
rng = np.random.default_rng(0)
X = rng.uniform(-0.9, 0.9, (3, 4))
P = rng.uniform(0.05, 0.95, (3, 4))


@pytest.mark.parametrize("name, args", [
    ("erf", (X,)), ("erfc", (X * 3,)), ("erfinv", (X,)), ("sinc", (X * 3,)),
    ("logit", (P,)), ("sgn", (X,)), ("signbit", (X,)), ("isneginf", (np.array([inf, -inf, 1]),)),
    ("isposinf", (np.array([inf, -inf, 1]),)), ("xlogy", (X, P)), ("logaddexp", (X, P)),
    ("logaddexp2", (X, P[0])), ("hypot", (X, P)), ("nan_to_num", (np.array([nan, inf, -1.]),)),
])
def test_values_gradients_and_grad_fn_names_match_pytorch(name, args):
    torch = pytest.importorskip("torch")
    for dtype in (np.float64, np.float32):
        arrays = [a.astype(dtype) for a in args]
        grad = name not in ("signbit", "isneginf", "isposinf", "nan_to_num")
        out = compare(torch, getattr(ag, name), getattr(torch, name), *arrays, grad=grad,
                      atol=1e-6 if dtype == np.float64 else 1e-5)
    x = torch.tensor(args[0], requires_grad=True)
    mine = ag.tensor(args[0], requires_grad=True)
    rest = [torch.tensor(a) for a in args[1:]]
    if grad:
        assert grad_fn_name(getattr(ag, name)(mine, *[ag.tensor(a) for a in args[1:]])) == \
            getattr(torch, name)(x, *rest).grad_fn.name()
    assert out.dtype == (ag.bool if not grad and name != "nan_to_num" else ag.float32)


def test_edge_values_match_pytorch():
    torch = pytest.importorskip("torch")
    edges = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 1.5, nan, inf, -inf, 1e-300])
    for name in ("erfinv", "logit", "sinc", "sgn", "erfc", "signbit"):
        compare(torch, getattr(ag, name), getattr(torch, name), edges, grad=False)
    compare(torch, lambda x: ag.logit(x, eps=0.1), lambda x: torch.logit(x, eps=0.1), edges,
            grad=False)
    a, b = np.array([0.0, 0.0, 1.0, 2.0, 0.0]), np.array([0.0, nan, 0.0, -1.0, 2.0])
    compare(torch, ag.xlogy, torch.xlogy, a, b, grad=False)
    compare(torch, ag.nan_to_num, torch.nan_to_num, edges, grad=False)
    compare(torch, lambda x: ag.nan_to_num(x, 1.0, 2.0, -2.0),
            lambda x: torch.nan_to_num(x, 1.0, 2.0, -2.0), edges, grad=False)


def test_gradients_at_edges_match_pytorch():
    """logit outside [eps, 1 - eps] gets 0 (NaN outside [0, 1] without eps), sinc'(0) = 0,
    xlogy's x-gradient is 0 where x == 0 and y <= 0, nan_to_num passes only finite."""
    torch = pytest.importorskip("torch")
    p = np.array([0.0, 0.05, 0.5, 0.95, 1.0, -0.1, 1.2])
    compare(torch, lambda x: ag.logit(x, eps=0.1), lambda x: torch.logit(x, eps=0.1), p)
    compare(torch, ag.logit, torch.logit, p[1:4])
    compare(torch, ag.sinc, torch.sinc, np.array([0.0, 0.5, -2.0]))
    compare(torch, ag.xlogy, torch.xlogy, np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 0.5]))
    compare(torch, ag.nan_to_num, torch.nan_to_num, np.array([nan, inf, 2.0]))


def test_xlogy_with_a_scalar_and_integer_promotion():
    torch = pytest.importorskip("torch")
    compare(torch, lambda y: ag.xlogy(2.0, y), lambda y: torch.xlogy(2.0, y), P)
    compare(torch, lambda x: ag.xlogy(x, 3.0), lambda x: torch.xlogy(x, 3.0), X)
    compare(torch, lambda x: ag.xlogy(x, 3), lambda x: torch.xlogy(x, 3), np.array([1, 2]),
            grad=False)


def test_round_with_decimals_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([1.25, 2.5, -0.35, 0.125, 1234.5678, -2.5])
    for d in (0, 1, 2, -1, -2):
        for dt in (np.float32, np.float64):
            compare(torch, "round", None, x.astype(dt), kwargs={"decimals": d})
    assert grad_fn_name(ag.round(ag.tensor(x, requires_grad=True), decimals=1)) == \
        "RoundBackward1"
    same_error(torch, lambda t: ag.round(t, decimals=1), lambda t: torch.round(t, decimals=1),
               np.array([1, 2]))


def test_sign_of_nan_is_zero_as_in_pytorch():
    x = ag.tensor([nan, -2.0, 0.0, 3.0])
    assert ag.sign(x).tolist() == [0.0, -1.0, 0.0, 1.0]
    assert ag.sgn(x).tolist() == [0.0, -1.0, 0.0, 1.0]


# ---- clamp with tensor bounds ------------------------------------------------------------------
def test_clamp_with_tensor_bounds_follows_pytorchs_table():
    """pytorch_behaviour_2.md §1.6: a tie goes to x, NaN anywhere gives 0, lo > hi gives
    hi the gradient."""
    x = ag.tensor([0.0, 1.0, 2.0, nan, 0.5, 5.0], requires_grad=True)
    lo = ag.tensor([0.0, 0.0, 0.0, 0.0, nan, 0.0], requires_grad=True)
    hi = ag.tensor([1.0, 1.0, 2.0, 1.0, 1.0, 3.0], requires_grad=True)
    out = ag.clamp(x, lo, hi)
    assert grad_fn_name(out) == "ClampBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), [0, 1, 2, nan, nan, 3])
    assert x.grad.tolist() == [1, 1, 1, 0, 0, 0]
    assert lo.grad.tolist() == [0] * 6
    assert hi.grad.tolist() == [0, 0, 0, 0, 0, 1]
    x, lo, hi = (ag.tensor([v], requires_grad=True) for v in (0.5, 2.0, 1.0))
    ag.clamp(x, lo, hi).sum().backward()
    assert (x.grad.item(), lo.grad.item(), hi.grad.item()) == (0.0, 0.0, 1.0)


def test_clamp_with_one_tensor_bound_and_broadcasting_matches_pytorch():
    torch = pytest.importorskip("torch")
    x, lo, hi = X, np.array([-0.3, 0.0, 0.2, 0.5]), np.array([[0.4], [0.6], [0.8]])
    compare(torch, ag.clamp, torch.clamp, x, lo, hi)
    compare(torch, lambda a, b: ag.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b), x, lo)
    compare(torch, lambda a, b: ag.clamp(a, max=b), lambda a, b: torch.clamp(a, max=b), x, hi)
    compare(torch, lambda a, b: a.clamp(b, b + 0.5), lambda a, b: a.clamp(b, b + 0.5), x, lo)
    compare(torch, ag.clamp, torch.clamp, x.astype(np.float32), lo, hi)   # promotion
    assert grad_fn_name(ag.clamp(ag.tensor(x, requires_grad=True), min=ag.tensor(lo))) == \
        torch.clamp(torch.tensor(x, requires_grad=True), min=torch.tensor(lo)).grad_fn.name()
    same_error(torch, lambda a, b: ag.clamp(a, 0.0, b), lambda a, b: torch.clamp(a, 0.0, b), x, hi)
    same_error(torch, ag.clamp, torch.clamp, x, lo[:2], hi)


def test_lerp_with_a_tensor_weight_matches_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, ag.lerp, torch.lerp, X, P, P[0])
    compare(torch, lambda a, b: ag.lerp(a, b, 0.25), lambda a, b: torch.lerp(a, b, 0.25), X, P)


# ---- errors -----------------------------------------------------------------------------------
def test_float_only_binary_ops_give_pytorchs_errors():
    torch = pytest.importorskip("torch")
    for name in ("hypot", "logaddexp", "logaddexp2"):
        same_error(torch, getattr(ag, name), getattr(torch, name), np.array([3]), np.array([4]))
        same_error(torch, name, None, np.array([3.0]), 4.0)


def test_erfinv_is_exact_at_the_ends_and_nan_outside():
    y = ag.erfinv(ag.tensor([-1.0, 1.0, 1.5, -2.0, 0.0]))
    assert y.tolist()[:2] == [-inf, inf] and y.tolist()[4] == 0.0
    assert all(math.isnan(v) for v in y.tolist()[2:4])
    v = np.linspace(-0.999999, 0.999999, 201)
    back = np.vectorize(math.erf)(ag.erfinv(ag.tensor(v)).numpy())
    np.testing.assert_allclose(back, v, rtol=1e-14, atol=1e-15)


def test_inplace_forms_exist_where_pytorch_has_them():
    x = ag.tensor([0.2, 0.7])
    x.logit_()
    np.testing.assert_allclose(x.numpy(), [math.log(0.25), math.log(0.7 / 0.3)], rtol=1e-6)
    y = ag.tensor([nan, 1.0])
    y.nan_to_num_(0.5)
    assert y.tolist() == [0.5, 1.0]
    z = ag.tensor([3.0])
    z.hypot_(ag.tensor([4.0]))
    assert z.item() == 5.0


def test_gcd_and_lcm_match_pytorch():
    torch = pytest.importorskip("torch")
    a, b = np.array([4, -6, 0, 9]), np.array([6, 4, 0, 3])
    for name in ("gcd", "lcm"):
        compare(torch, name, None, a, b, grad=False)
        compare(torch, name, None, a.astype(np.int32), b, grad=False)
        same_error(torch, name, None, a.astype(np.float32), b.astype(np.float32))
        same_error(torch, name, None, a, 6)
    x = ag.tensor([4, 9])
    x.gcd_(ag.tensor([6, 6]))
    assert x.tolist() == [2, 3]


def test_remainder_fmod_and_lerp_grad_fn_names_and_values_match_pytorch():
    torch = pytest.importorskip("torch")
    a, b = X * 3, P + 0.5
    for name in ("remainder", "fmod"):
        compare(torch, name, None, a, b)
        compare(torch, name, None, a, 0.7)
        for other in (b, 0.7):
            want = getattr(torch, name)(torch.tensor(a, requires_grad=True), torch.tensor(other)
                                        if isinstance(other, np.ndarray) else other)
            got = getattr(ag, name)(ag.tensor(a, requires_grad=True), ag.tensor(other)
                                    if isinstance(other, np.ndarray) else other)
            assert grad_fn_name(got) == want.grad_fn.name()
    assert grad_fn_name(ag.tensor(a, requires_grad=True) % 2) == "RemainderBackward0"
    compare(torch, "lerp", None, X, P, kwargs={"weight": 0.7})
    compare(torch, "lerp", None, X.astype(np.float32), P.astype(np.float32), kwargs={"weight": 0.3})
    assert grad_fn_name(ag.lerp(ag.tensor(X, requires_grad=True), ag.tensor(P), 0.3)) == \
        "LerpBackward0"
    assert grad_fn_name(ag.lerp(ag.tensor(X, requires_grad=True), ag.tensor(P),
                                ag.tensor(0.3, dtype=ag.float64))) == "LerpBackward1"
    same_error(torch, "lerp", None, X, P.astype(np.float32), 0.3)
    same_error(torch, "lerp", None, X, P, np.float32(0.3) * np.ones(1, np.float32))



def test_xlogy_node_names_per_overload_as_pytorch():
    """XlogyBackward0 for two tensors, 1 for a number input, 2 for a number other."""
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    names = [ag.xlogy(a, a).grad_fn.name(), ag.xlogy(2.0, a).grad_fn.name(),
             ag.xlogy(a, 2.0).grad_fn.name(), a.xlogy(3).grad_fn.name()]
    assert names == ["XlogyBackward0", "XlogyBackward1", "XlogyBackward2", "XlogyBackward2"]
    g, = ag.grad(ag.xlogy(2.0, a).sum(), a)
    np.testing.assert_allclose(g.numpy(), [2.0, 1.0])   # d/db a log b = a / b
