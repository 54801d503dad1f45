"""torch's remaining pointwise math against PyTorch: the inverse hyperbolics (and their
arc- aliases and in-place forms), deg2rad, rad2deg, copysign, fmax, fmin, heaviside,
float_power, positive, ldexp, nextafter, frexp: values, dtypes, gradients, grad_fn names
and errors; plus their edge values without PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare, grad_fn_name, same_error

nan, inf = math.nan, math.inf
rng = np.random.default_rng(0)
X = rng.uniform(-0.9, 0.9, (3, 4))
Y = rng.uniform(-2, 2, (4,))
BIG = rng.uniform(1.1, 4.0, (3, 4))


@pytest.mark.parametrize("name, x", [("acosh", BIG), ("asinh", X * 3), ("atanh", X),
                                     ("arccosh", BIG), ("arcsinh", X), ("arctanh", X),
                                     ("deg2rad", X * 200), ("rad2deg", X)])
def test_unary_values_gradients_dtypes_and_names_match_pytorch(name, x):
    torch = pytest.importorskip("torch")
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-6)):
        out = compare(torch, name, None, x.astype(dtype), atol=tol, rtol=tol)
        mine = getattr(ag, name)(ag.tensor(x, requires_grad=True))
        assert grad_fn_name(mine) == getattr(torch, name)(
            torch.tensor(x, requires_grad=True)).grad_fn.name()
    assert out.dtype == ag.float32
    compare(torch, name, None, np.array([1, 2, 3]), grad=False)        # int -> float32
    edges = np.array([0.0, -0.0, 1.0, -1.0, 0.5, nan, inf, -inf, 1e-300, 1e300])
    compare(torch, name, None, edges, grad=False, atol=0, rtol=1e-15)   # NaN/inf silently
    t = ag.tensor(x.copy())                                             # methods, in place
    assert ag.allclose(getattr(t, name)(), getattr(ag, name)(t))
    getattr(t, name + "_")()
    assert ag.allclose(t, getattr(ag, name)(ag.tensor(x)), equal_nan=True)


def test_inplace_inverse_hyperbolic_on_int_raises_as_pytorch():
    torch = pytest.importorskip("torch")
    same_error(torch, lambda x: x.acosh_(), None, np.array([1, 2]))
    same_error(torch, lambda x: x.deg2rad_(), None, np.array([1, 2]))


def test_copysign_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([1.5, -2.0, 0.0, -0.0, 3.0, nan, inf])
    b = np.array([-1.0, 2.0, -3.0, 1.0, -0.0, -1.0, -2.0])
    out = compare(torch, "copysign", None, a, b)
    assert out.grad_fn.name() == "CopysignBackward0"
    compare(torch, "copysign", None, X, Y)                                  # broadcasting
    out = compare(torch, lambda x: ag.copysign(x, -1.0), lambda x: torch.copysign(x, -1.0), a)
    assert out.grad_fn.name() == "CopysignBackward1"
    compare(torch, "copysign", None, np.array([1, -2]), np.array([-1, 1]))  # int -> float32
    compare(torch, lambda x: ag.copysign(x, -1), lambda x: torch.copysign(x, -1),
            np.array([1, 2]))
    compare(torch, "copysign", None, X.astype(np.float32), Y)               # -> float64
    same_error(torch, lambda b: ag.copysign(1.0, b), lambda b: torch.copysign(1.0, b), Y)
    t = ag.tensor(X.copy())
    t.copysign_(ag.tensor(Y))
    assert np.array_equal(t.numpy(), np.copysign(X, Y))


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_ignore_nan_and_route_the_gradient_as_pytorch(name):
    torch = pytest.importorskip("torch")
    a = np.array([1.0, nan, nan, 2.0, -0.0, 5.0, -1.0])
    b = np.array([2.0, nan, 1.0, 2.0, 0.0, nan, -3.0])
    out = compare(torch, name, None, a, b)      # ties and NaN pairs: to input, as PyTorch
    assert out.grad_fn.name() == name.capitalize() + "Backward0"
    compare(torch, name, None, X, Y)
    compare(torch, name, None, np.array([1, 5]), np.array([3, 2]), grad=False)   # int64
    compare(torch, name, None, np.array([1, 5]), np.array([1.5, nan]), grad=False)
    same_error(torch, lambda x: getattr(ag, name)(x, 1.0),
               lambda x: getattr(torch, name)(x, 1.0), X)
    same_error(torch, name, None, X, np.ones(3))
    assert not hasattr(ag.Tensor, name + "_")


def test_fmax_is_not_maximum():
    """fmax ignored NaN nowhere before it was its own op (it was `maximum`)."""
    a, b = ag.tensor([nan, 1.0], requires_grad=True), ag.tensor([2.0, nan], requires_grad=True)
    out = a.fmax(b)
    assert out.tolist() == [2.0, 1.0]
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0] and b.grad.tolist() == [1.0, 0.0]
    assert ag.fmin(a, b).tolist() == [2.0, 1.0]


def test_heaviside_matches_pytorch_and_has_no_derivative():
    torch = pytest.importorskip("torch")
    x = np.array([-1.5, 0.0, -0.0, 2.0, nan, inf])
    compare(torch, "heaviside", None, x, np.array([0.5]), grad=False)
    compare(torch, "heaviside", None, np.array([-1, 0, 3]), np.array([7]), grad=False)
    same_error(torch, "heaviside", None, x, np.array([1]))
    same_error(torch, lambda x: ag.heaviside(x, 0.5), lambda x: torch.heaviside(x, 0.5), x)
    mine = ag.heaviside(ag.tensor(x, requires_grad=True), ag.tensor([0.5], dtype=ag.float64))
    theirs = torch.heaviside(torch.tensor(x, requires_grad=True),
                             torch.tensor([0.5], dtype=torch.float64))
    assert mine.grad_fn.name() == theirs.grad_fn.name() == "torch::autograd::NotImplemented"
    same_error(torch, "heaviside", None, x, np.ones(2))
    same_error(torch, lambda _: mine.sum().backward(), lambda _: theirs.sum().backward(), x)


def test_float_power_computes_in_float64_as_pytorch():
    torch = pytest.importorskip("torch")
    p = np.abs(X.astype(np.float32)) + 0.1
    for exponent in (2, 2.5, -1.5):
        out = compare(torch, lambda x, e=exponent: ag.float_power(x, e),
                      lambda x, e=exponent: torch.float_power(x, e), p, atol=1e-12)
        assert out.dtype == ag.float64 and out.grad_fn.name() == "PowBackward0"
    out = compare(torch, "float_power", None, p, np.abs(Y) + 0.5, atol=1e-12)
    assert out.grad_fn.name() == "PowBackward1"
    out = compare(torch, lambda e: ag.float_power(2, e), lambda e: torch.float_power(2, e), X,
                  atol=1e-12)
    assert out.grad_fn.name() == "PowBackward2"
    compare(torch, "float_power", None, np.array([2, 3]), np.array([2, 3]), grad=False)
    compare(torch, "float_power", None, np.array([0.0, 2.0]), np.array([0.0, 2.0]))
    t = ag.tensor([2.0, 3.0], dtype=ag.float64)
    assert t.float_power_(2).tolist() == [4.0, 9.0]
    same_error(torch, lambda x: x.float_power_(2), None, np.array([2.0, 3.0], np.float32))


def test_positive_returns_the_input_and_rejects_bool():
    torch = pytest.importorskip("torch")
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    assert ag.positive(x) is x and x.positive() is x
    same_error(torch, "positive", None, np.array([True, False]))


def test_ldexp_matches_pytorch():
    torch = pytest.importorskip("torch")
    e = np.array([1.0, -2.0, 3.0, 0.0])
    out = compare(torch, "ldexp", None, X, e)
    assert out.grad_fn.name() == "LdexpBackward0"
    compare(torch, "ldexp", None, X.astype(np.float32), np.array([1, 2, 3, 0]))
    compare(torch, "ldexp", None, np.array([1, 2]), np.array([3, 4]), grad=False)
    same_error(torch, lambda x: ag.ldexp(x, 2), lambda x: torch.ldexp(x, 2), X)
    t = ag.tensor([1.5, 2.0])
    t.ldexp_(ag.tensor([2, -1]))
    assert t.tolist() == [6.0, 1.0]


def test_nextafter_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([0.0, 1.0, -1.0, 1.0, nan, 2.0, 3.0, nan])   # (a == b: no gradient)
    b = np.array([1.0, 2.0, -2.0, 1.0, 0.0, -inf, nan, nan])
    for dtype in (np.float64, np.float32):
        out = compare(torch, "nextafter", None, a.astype(dtype), b.astype(dtype), atol=0, rtol=0)
    assert out.grad_fn.name() == "NextafterBackward0"
    compare(torch, "nextafter", None, a.astype(np.float32), b, atol=0, rtol=0)  # -> float64
    same_error(torch, "nextafter", None, np.array([1, 2]), np.array([2, 3]))
    same_error(torch, lambda x: ag.nextafter(x, 1.0), lambda x: torch.nextafter(x, 1.0), a)


def test_frexp_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([0.5, -3.0, 0.0, -0.0, 1e-310, 1024.0, inf, nan, 7.25])
    for dtype in (np.float64, np.float32, np.float16):
        xs = x.astype(dtype)
        mine = ag.frexp(ag.tensor(xs))
        theirs = torch.frexp(torch.tensor(xs))
        np.testing.assert_array_equal(mine.mantissa.numpy(), theirs.mantissa.numpy())
        np.testing.assert_array_equal(mine.exponent.numpy(), theirs.exponent.numpy())
        assert mine.exponent.dtype == ag.int32 and mine.mantissa.dtype == mine[0].dtype
    out = compare(torch, "frexp", None, X * 10)
    assert out.mantissa.grad_fn.name() == "FrexpBackward0"
    assert not out.exponent.requires_grad
    same_error(torch, "frexp", None, np.array([1, 2]))
    assert type(ag.tensor([1.0]).frexp()).__name__ == "frexp"


def test_gradients_without_pytorch():
    """Closed forms: acosh' = 1/sqrt(x^2-1), frexp's mantissa' = 2^-exponent."""
    x = ag.tensor([2.0, 3.0], dtype=ag.float64, requires_grad=True)
    x.acosh().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 / np.sqrt(np.array([3.0, 8.0])))
    x.grad = None
    ag.frexp(x).mantissa.sum().backward()
    assert x.grad.tolist() == [0.25, 0.25]
    # ldexp with a negative int exponent: the true derivative 2^e (PyTorch's is 0 there: its
    # rule takes 2 ** e in integers)
    x.grad = None
    ag.ldexp(x, ag.tensor([-2, 1])).sum().backward()
    assert x.grad.tolist() == [0.25, 2.0]
    with pytest.raises(RuntimeError, match="heaviside"):
        ag.heaviside(x, ag.tensor([0.5], dtype=ag.float64)).sum().backward()
