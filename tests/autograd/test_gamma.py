"""lgamma, digamma, polygamma and mvlgamma against PyTorch (values over a wide range to
1e-12 relative in float64, float32, gradients, grad_fn names, edge values and errors), and
their defining identities without PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare, same_error

nan, inf = math.nan, math.inf
rng = np.random.default_rng(0)
WIDE = np.concatenate([rng.uniform(-20, 20, 300), 10 ** rng.uniform(-300, 300, 100),
                       -10 ** rng.uniform(-5, 3, 60) + 0.37, rng.uniform(0.99, 1.01, 40),
                       rng.uniform(1.99, 2.01, 40), 1 + 10 ** rng.uniform(-15, -3, 20),
                       2 - 10 ** rng.uniform(-15, -3, 20), [0.5, 3.0, 13.0, 12.999999, 1e-310]])
EDGES = np.array([0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -2.5, inf, -inf, nan, 5e-324, 1e306])
FUNCS = {"lgamma": ("lgamma", None), "digamma": ("digamma", None),
         **{f"polygamma{n}": (lambda x, n=n: ag.polygamma(n, x),
                               lambda x, n=n: __import__("torch").polygamma(n, x))
            for n in (1, 2, 3, 5)}}


def _close(mine, theirs, rtol, atol=0.0):
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", list(FUNCS))
def test_values_match_pytorch_over_a_wide_range(name):
    torch = pytest.importorskip("torch")
    fn, tfn = FUNCS[name]
    fn, tfn = (getattr(ag, fn), getattr(torch, fn)) if tfn is None else (fn, tfn)
    x = WIDE if name != "polygamma1" else WIDE[np.abs(WIDE) < 1e150]
    _close(fn(ag.tensor(x)), tfn(torch.tensor(x)), 1e-12, 1e-300)
    _close(fn(ag.tensor(EDGES)), tfn(torch.tensor(EDGES)), 1e-12)        # poles, inf, NaN
    x32 = x[np.abs(x) < 1e30].astype(np.float32)                          # (float32 range)
    mine, theirs = fn(ag.tensor(x32)), tfn(torch.tensor(x32))
    assert mine.dtype == ag.float32
    _close(mine, theirs, 1e-4, 1e-5)
    ints = fn(ag.tensor([1, 2, 5]))                                       # int -> float32
    assert ints.dtype == ag.float32
    _close(ints, tfn(torch.tensor([1, 2, 5])), 1e-6)


@pytest.mark.parametrize("name", list(FUNCS))
def test_gradients_and_grad_fn_names_match_pytorch(name):
    torch = pytest.importorskip("torch")
    fn, tfn = FUNCS[name]
    if tfn is None:
        fn, tfn = getattr(ag, fn), getattr(torch, fn)
    x = np.concatenate([rng.uniform(0.1, 8, 6), rng.uniform(-3.9, -0.1, 4)])
    out = compare(torch, fn, tfn, x, atol=1e-10, rtol=1e-10)
    assert out.grad_fn.name() == tfn(torch.tensor(x, requires_grad=True)).grad_fn.name()
    compare(torch, fn, tfn, x.astype(np.float32), atol=1e-4, rtol=1e-4)
    # second order, through create_graph
    xs, txs = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g, = ag.grad(fn(xs).sum(), xs, create_graph=True)
    tg, = torch.autograd.grad(tfn(txs).sum(), txs, create_graph=True)
    gg, = ag.grad(g.sum(), xs)
    tgg, = torch.autograd.grad(tg.sum(), txs)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10)


def test_mvlgamma_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = rng.uniform(2.6, 6.0, (3, 4))
    for p in (1, 2, 5):
        out = compare(torch, lambda t, p=p: ag.mvlgamma(t, p), lambda t, p=p: torch.mvlgamma(t, p),
                      x, atol=1e-10, rtol=1e-10)
        assert out.grad_fn.name() == "MvlgammaBackward0"
    compare(torch, lambda t: ag.mvlgamma(t, p=2), lambda t: torch.mvlgamma(t, p=2),
            x.astype(np.float32), atol=1e-5)
    compare(torch, lambda t: ag.mvlgamma(t, 2), lambda t: torch.mvlgamma(t, 2), np.array([3, 4]),
            grad=False)
    same_error(torch, lambda t: ag.mvlgamma(t, 0), lambda t: torch.mvlgamma(t, 0), x)
    compare(torch, lambda t: ag.mvlgamma(t, 7), lambda t: torch.mvlgamma(t, 7),   # (p-1)/2
            np.array([2.6, 3.0, 4.5]), grad=False, atol=1e-10, rtol=1e-10)         # and poles
    t = ag.tensor(x.copy())
    t.mvlgamma_(2)
    np.testing.assert_allclose(t.numpy(), ag.mvlgamma(ag.tensor(x), 2).numpy())


def test_polygamma_errors_and_methods_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([1.5, 2.5])
    same_error(torch, lambda t: ag.polygamma(-1, t), lambda t: torch.polygamma(-1, t), x)
    same_error(torch, lambda t: ag.polygamma(1.5, t), lambda t: torch.polygamma(1.5, t), x)
    compare(torch, lambda t: t.polygamma(2), lambda t: t.polygamma(2), x)
    compare(torch, lambda t: t.lgamma(), lambda t: t.lgamma(), x)
    compare(torch, lambda t: t.digamma(), lambda t: t.digamma(), x)
    for name, args in (("lgamma_", ()), ("digamma_", ()), ("polygamma_", (2,))):
        a, b = ag.tensor(x.copy()), torch.tensor(x.copy())
        getattr(a, name)(*args)
        getattr(b, name)(*args)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14)


def test_identities_without_pytorch():
    """lgamma(n) = log((n-1)!), lgamma(1/2) = log(sqrt(pi)), the recurrence and reflection;
    digamma(1) = -gamma, trigamma(1) = pi^2/6, polygamma(2, 1) = -2 zeta(3); poles."""
    n = np.arange(1, 30)
    np.testing.assert_allclose(ag.lgamma(ag.tensor(n * 1.0)).numpy(),
                               [math.lgamma(k) for k in n], rtol=1e-14, atol=1e-15)
    x = np.array([1e-8, 0.3, 1.7, 4.2, 25.5, 1e5, -0.3, -7.6])
    np.testing.assert_allclose(ag.lgamma(ag.tensor(x)).numpy(), [math.lgamma(v) for v in x],
                               rtol=1e-13)
    half = ag.tensor(0.5, dtype=ag.float64)
    assert abs(ag.lgamma(half).item() - math.log(math.sqrt(math.pi))) < 1e-15
    assert ag.lgamma(ag.tensor([0.0, -3.0, inf, -inf])).tolist() == [inf] * 4
    assert abs(ag.digamma(ag.tensor(1.0, dtype=ag.float64)).item() + 0.5772156649015329) < 1e-15
    # (trigamma is PyTorch's kernel, whose asymptotic series stops at ~1e-9 relative)
    assert abs(ag.polygamma(1, ag.tensor(1.0, dtype=ag.float64)).item() - math.pi ** 2 / 6) < 1e-9
    assert abs(ag.polygamma(2, ag.tensor(1.0, dtype=ag.float64)).item()
               + 2 * 1.2020569031595942) < 1e-14
    assert ag.digamma(ag.tensor([0.0, -0.0])).tolist() == [-inf, inf]
    assert math.isnan(ag.digamma(ag.tensor(-2.0)).item())
    # the derivative chain: lgamma' = digamma, digamma' = trigamma
    x = ag.tensor([0.7, 3.1], dtype=ag.float64, requires_grad=True)
    g, = ag.grad(ag.lgamma(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), ag.digamma(x).detach().numpy())
    gg, = ag.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), ag.polygamma(1, x).detach().numpy())
    with pytest.raises(RuntimeError, match="p has to be"):
        ag.mvlgamma(ag.tensor([1.0]), 0)
