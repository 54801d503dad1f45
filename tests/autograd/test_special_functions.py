"""torch.special's entr, xlog1py, ndtri, erfcx, log_ndtr, i0 (also torch.i0), i0e, i1, i1e and
zeta: values (edges and tails included) in float32 and float64, gradients, grad_fn names,
dtypes and integer promotion against PyTorch; known values without it."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare

rng = np.random.default_rng(0)
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan]
X = {
    "entr": np.r_[rng.uniform(-3, 3, 60), -1.0, 1.0, 1e-300, EDGES],
    "ndtri": np.r_[rng.uniform(0, 1, 60), 10.0 ** -rng.uniform(0, 300, 30), 1 - 1e-12,
                   0.5, 1.0, -0.1, 1.1, EDGES],
    "log_ndtr": np.r_[rng.uniform(-5, 5, 60), -(10.0 ** rng.uniform(0, 3, 30)), -1.0, -36.0,
                      -37.0, -38.0, 10.0, 40.0, EDGES],
    "erfcx": np.r_[rng.uniform(-5, 5, 60), 10.0 ** rng.uniform(0, 300, 30), -26.0, -27.0,
                   0.99, 1.0, 1.01, 1e8, 2e8, EDGES],
    **{n: np.r_[rng.uniform(-12, 12, 60), rng.uniform(-700, 700, 20), 8.0, -8.0, 1e-20, 720.0,
                EDGES] for n in ("i0", "i0e", "i1", "i1e")},
}
# finite points with finite gradients, for the gradient check
GRAD_X = {"entr": rng.uniform(0.05, 3, 12), "ndtri": rng.uniform(0.01, 0.99, 12),
          "log_ndtr": np.r_[rng.uniform(-5, 5, 12), -50.0, -1e3],
          "erfcx": np.r_[rng.uniform(-3, 3, 12), 50.0, 1e3],
          **{n: np.r_[rng.uniform(-12, 12, 12), 0.0, 1e-20] for n in ("i0", "i0e", "i1", "i1e")}}
NODES = {"entr": "SpecialEntrBackward0", "ndtri": "SpecialNdtriBackward0",
         "log_ndtr": "SpecialLogNdtrBackward0", "erfcx": "SpecialErfcxBackward0",
         "i0": "I0Backward0",
         "i0e": "SpecialI0EBackward0", "i1": "SpecialI1Backward0", "i1e": "SpecialI1EBackward0"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(X))
def test_unary_values_and_edges_match_torch(name, dtype):
    torch = pytest.importorskip("torch")
    x = X[name].astype(dtype)
    ours = getattr(ag.special, name)(ag.tensor(x)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    assert ours.dtype == theirs.dtype
    rtol = 2e-15 if dtype == "float64" else 2e-6   # (PyTorch's float32 kernels sum in float32)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)
    assert np.array_equal(np.signbit(ours[ours == 0]), np.signbit(theirs[theirs == 0]))


@pytest.mark.parametrize("name", sorted(GRAD_X))
def test_unary_gradients_and_names_match_torch(name):
    torch = pytest.importorskip("torch")
    x = GRAD_X[name]
    out = compare(torch, getattr(ag.special, name), getattr(torch.special, name), x,
                  atol=1e-12, rtol=1e-10)
    assert out.grad_fn.name() == NODES[name]
    # second order (i1/i1e away from 0, where the formula cancels as PyTorch's)
    x2 = x[np.abs(x) > 0.1] if name in ("i1", "i1e") else x
    grads = []
    for lib, special in ((ag, ag.special), (torch, torch.special)):
        t = lib.tensor(x2, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(special, name)(t).sum(), t, create_graph=True)
        grads.append(lib.autograd.grad(g.sum(), t)[0].detach().numpy())
    np.testing.assert_allclose(*grads, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("name", sorted(NODES))
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integers_promote_as_torch(name, dtype):
    torch = pytest.importorskip("torch")
    x = np.array([0, 1, 2]).astype(dtype)
    compare(torch, getattr(ag.special, name), getattr(torch.special, name), x,
            grad=False, atol=0, rtol=2e-7)


def test_i0_is_torch_i0_and_a_tensor_method():
    torch = pytest.importorskip("torch")
    x = rng.uniform(-3, 3, 5)
    compare(torch, "i0", None, x, atol=0, rtol=1e-15)
    assert ag.special.i0 is ag.i0
    a, t = ag.tensor(x), torch.tensor(x)
    np.testing.assert_allclose(a.i0().numpy(), t.i0().numpy(), rtol=1e-15)
    a.i0_(), t.i0_()
    np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-15)


# ---- xlog1py -------------------------------------------------------------------------------
def test_xlog1py_matches_torch_with_its_edges_and_overloads():
    torch = pytest.importorskip("torch")
    a = np.r_[rng.uniform(-2, 2, 8), 0.0, 0.0, 0.0, 1.0, np.nan, 0.0]
    b = np.r_[rng.uniform(-0.9, 3, 8), -1.0, -2.0, np.nan, -1.0, 1.0, 0.5]
    compare(torch, "special.xlog1py", None, a, b, grad=False, atol=0, rtol=1e-15)
    ok = np.r_[np.arange(8), 8, 9, 13]   # (where PyTorch's gradients are finite)
    compare(torch, "special.xlog1py", None, a[ok], b[ok], atol=1e-14, rtol=1e-12)
    for args in ((a[:8], 1.5), (2.5, b[:8]), (a[8:10], -1.0), (a[8:10], -3.0)):
        out = compare(torch, "special.xlog1py", None, *args, atol=1e-14, rtol=1e-12)
        theirs = torch.special.xlog1py(*[torch.tensor(v, requires_grad=True)
                                         if isinstance(v, np.ndarray) else v for v in args])
        assert out.grad_fn.name() == theirs.grad_fn.name()
    for dtypes in (("int64", "int64"), ("int32", "float32"), ("bool", "float64")):
        x, y = (np.array([1, 0, 2]).astype(d) for d in dtypes)
        compare(torch, "special.xlog1py", None, x, y, grad=False, rtol=1e-7)


def test_xlog1py_without_torch():
    a = ag.tensor([0.0, 0.0, 2.0], requires_grad=True)
    b = ag.tensor([-1.0, -2.0, math.e - 1], requires_grad=True)
    out = ag.special.xlog1py(a, b)
    assert out.tolist() == [0.0, 0.0, 2.0] and out.grad_fn.name() == "SpecialXlog1PyBackward0"
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 1.0]          # masked where a == 0 and b <= -1
    assert np.isnan(b.grad[0].item()) and b.grad[2].item() == pytest.approx(2 / math.e)
    assert ag.special.xlog1py(ag.tensor([1, 2]), 1).dtype == ag.float32
    assert ag.special.xlog1py(2.0, b).grad_fn.name() == "SpecialXlog1PyBackward1"
    assert ag.special.xlog1py(a, 2.0).grad_fn.name() == "SpecialXlog1PyBackward2"


# ---- zeta ----------------------------------------------------------------------------------
S = np.r_[rng.uniform(1.1, 6, 20), 0.5, 1.0, 2.0, 2.0, 2.5, 3.0, np.nan, 2.0]
Q = np.r_[rng.uniform(-3, 5, 20), 1.0, 1.0, 0.0, -1.0, -1.5, -1.5, 1.0, np.inf]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zeta_values_match_torch(dtype):
    torch = pytest.importorskip("torch")
    s, q = S.astype(dtype), Q.astype(dtype)
    rtol = 1e-15 if dtype == "float64" else 1e-6
    compare(torch, "special.zeta", None, s, q, grad=False, atol=0, rtol=rtol)
    compare(torch, "special.zeta", None, s, 2.0, grad=False, atol=0, rtol=rtol)
    compare(torch, "special.zeta", None, 3.0, q, grad=False, atol=0, rtol=rtol)


def test_zeta_gradient_in_q_and_names_match_torch():
    torch = pytest.importorskip("torch")
    s, q = rng.uniform(1.5, 5, 6), rng.uniform(0.2, 4, 6)
    for args in ((s.round(), q), (2.5, q)):
        ours = [ag.tensor(v, requires_grad=True) if isinstance(v, np.ndarray) else v
                for v in args]
        theirs = [torch.tensor(v, requires_grad=True) if isinstance(v, np.ndarray) else v
                  for v in args]
        if isinstance(args[0], np.ndarray):   # s without gradient: only q's is defined
            ours[0].requires_grad_(False), theirs[0].requires_grad_(False)
        o, t = ag.special.zeta(*ours), torch.special.zeta(*theirs)
        assert o.grad_fn.name() == t.grad_fn.name()
        o.sum().backward(), t.sum().backward()
        np.testing.assert_allclose(ours[1].grad.numpy(), theirs[1].grad.numpy(), rtol=1e-13)
    for si, qi in ((np.array([2, 3]), np.array([1, 2])), (np.array([2, 3]), 2)):
        compare(torch, "special.zeta", None, si, qi, grad=False, rtol=1e-7)


def test_zeta_has_no_derivative_in_s():
    torch = pytest.importorskip("torch")
    for lib in (ag, torch):
        s = lib.tensor([2.0, 3.0], requires_grad=True)
        out = lib.special.zeta(s, 2.0)
        assert out.grad_fn.name() == "SpecialZetaBackward2"
        with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not"):
            out.sum().backward()


def test_zeta_without_torch():
    z = ag.special.zeta(ag.tensor([2.0, 4.0, 1.0, 0.5], dtype=ag.float64), 1.0)
    assert z.dtype == ag.float64
    np.testing.assert_allclose(z[:2].numpy(), [math.pi ** 2 / 6, math.pi ** 4 / 90], rtol=1e-15)
    assert z[2].item() == math.inf and math.isnan(z[3].item())
    q = ag.tensor([1.0], dtype=ag.float64, requires_grad=True)
    ag.special.zeta(2.0, q).backward()                       # d/dq = -s zeta(s + 1, q)
    np.testing.assert_allclose(q.grad.numpy(), [-2 * 1.2020569031595942], rtol=1e-14)
    with pytest.raises(NotImplementedError):
        ag.special.zeta(ag.tensor([2.0], requires_grad=True), q).sum().backward()


# ---- without torch -------------------------------------------------------------------------
def _log_ndtr_tail(x: float) -> float:
    """log Phi(x) for x << 0 by Mills' ratio's asymptotic series (8 terms)."""
    series = sum((-1) ** n * math.prod(range(1, 2 * n, 2)) / x ** (2 * n) for n in range(8))
    return -x * x / 2 - math.log(-x) - 0.5 * math.log(2 * math.pi) + math.log(series)


def test_log_ndtr_is_accurate_in_the_far_left_tail():
    x = np.array([-40.0, -100.0, -1e4])
    out = ag.special.log_ndtr(ag.tensor(x)).numpy()
    np.testing.assert_allclose(out, [_log_ndtr_tail(v) for v in x], rtol=1e-15)
    t = ag.tensor(x, requires_grad=True)
    ag.special.log_ndtr(t).sum().backward()     # ~ -x: no 0/0 where ndtr underflows
    np.testing.assert_allclose(t.grad.numpy(), -x, rtol=1e-2)
    mid = np.array([-3.0, 0.0, 2.0])
    np.testing.assert_allclose(ag.special.log_ndtr(ag.tensor(mid)).numpy(),
                               [math.log(math.erfc(-v / math.sqrt(2)) / 2) for v in mid],
                               rtol=1e-15)


def test_ndtri_inverts_ndtr_and_its_gradient():
    p = ag.tensor([1e-300, 1e-20, 0.01, 0.3, 0.5, 0.9, 1 - 1e-10], dtype=ag.float64,
                  requires_grad=True)
    x = ag.special.ndtri(p)
    np.testing.assert_allclose(ag.special.ndtr(x).detach().numpy(), p.detach().numpy(),
                               rtol=1e-12)   # (conditioned as x^2 eps at p = 1e-300)
    x.sum().backward()
    xs = x.detach().numpy()
    np.testing.assert_allclose(p.grad.numpy(), math.sqrt(2 * math.pi) * np.exp(xs ** 2 / 2),
                               rtol=1e-14)
    edge = ag.special.ndtri(ag.tensor([0.0, 1.0, -0.5, 2.0])).tolist()
    assert edge[:2] == [-math.inf, math.inf] and all(map(math.isnan, edge[2:]))


def test_entr_values_and_gradient():
    x = ag.tensor([0.0, -1.0, math.exp(-1), 1.0, math.inf], dtype=ag.float64,
                  requires_grad=True)
    out = ag.special.entr(x)
    assert out.tolist()[:2] == [0.0, -math.inf] and out.tolist()[4] == -math.inf
    np.testing.assert_allclose(out.tolist()[2:4], [math.exp(-1), 0.0], atol=1e-17)
    out[2:4].sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[2:4], [0.0, -1.0], atol=1e-15)
    assert ag.special.entr(ag.tensor([1, 2])).dtype == ag.float32


def test_bessel_relations_and_values():
    x = np.array([-9.0, -2.5, -0.3, 0.0, 0.7, 4.0, 8.0, 15.0])
    t = ag.tensor(x)
    i0, i0e, i1, i1e = (getattr(ag.special, n)(t).numpy() for n in ("i0", "i0e", "i1", "i1e"))
    np.testing.assert_allclose(i0, np.i0(x), rtol=1e-15)
    np.testing.assert_allclose(i0e, i0 * np.exp(-np.abs(x)), rtol=1e-14)
    np.testing.assert_allclose(i1e, i1 * np.exp(-np.abs(x)), rtol=1e-14)
    # I1(x) = sum_k (x/2)^(2k+1) / (k! (k+1)!)
    series = sum((x / 2) ** (2 * k + 1) / (math.factorial(k) * math.factorial(k + 1))
                 for k in range(60))
    np.testing.assert_allclose(i1, series, rtol=1e-14)
    for name in ("i1", "i1e"):     # 1/2 at 0, where the formula's 1/x would give NaN
        z = ag.tensor([0.0, 1e-300], dtype=ag.float64, requires_grad=True)
        getattr(ag.special, name)(z).sum().backward()
        assert z.grad.tolist() == [0.5, 0.5]
    i32 = ag.special.i1(ag.tensor(x, dtype=ag.float32))
    assert i32.dtype == ag.float32
    np.testing.assert_allclose(i32.numpy(), i1, rtol=2e-6)
