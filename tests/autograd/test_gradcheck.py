"""gradcheck / gradgradcheck (PyTorch's signature and failure format) and check_grad's
report of mismatches and nondifferentiable points."""

import re

import numpy as np
import pytest

import autograd as ag
from autograd.gradcheck import GradcheckError, _numerical_jacobians
from autograd.testing import check_grad


def f64(*values, rg=True):
    return ag.tensor(list(values), dtype=ag.float64, requires_grad=rg)


class Square(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x


class BadSquare(Square):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x  # forgot the factor 2


class Noisy(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        return g + np.random.default_rng().standard_normal() * 1e-9  # nondeterministic


def test_passes_correct_functions():
    x = ag.rand(2, 3, dtype=ag.float64, requires_grad=True)
    y = ag.rand(3, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(Square.apply, (x,))
    assert ag.gradcheck(lambda a, b: ((a * b).tanh() @ b, a.sum()), (x, y))
    assert ag.gradcheck(lambda a, b: ((a * b).tanh() @ b, a.sum()), (x, y), fast_mode=True)
    assert ag.gradgradcheck(lambda a, b: (a * b).sin() * a, (x, y))
    assert ag.gradgradcheck(Square.apply, (x,))
    # a non-differentiable extra argument is ignored
    assert ag.gradcheck(lambda a, k: a * k, (x, 3))


def test_wrong_backward_message_shows_both_jacobians_and_worst_entry():
    x = f64(0.5, -1.0, 2.0)
    with pytest.raises(GradcheckError) as err:
        ag.gradcheck(BadSquare.apply, (x,))
    msg = str(err.value)
    assert isinstance(err.value, RuntimeError)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"
                          "tensor([[")
    assert "\nanalytical:tensor([[" in msg and "dtype=autograd.float64" in msg
    num = msg.split("numerical:")[1].split("analytical:")[0]
    ana = msg.split("analytical:")[1].split("The worst")[0]
    assert "4.0000" in num and "2.0000" in ana  # d(x^2)/dx at 2 is 4; the bad rule says 2
    m = re.search(r"The worst entry is d\(output 0\)\[\((\d+),\)\] / d\(input 0\)\[\((\d+),\)\]: "
                  r"numerical ([-\d.]+), analytical ([-\d.]+)", msg)
    assert m and m.group(1) == m.group(2) == "2"
    assert float(m.group(3)) == pytest.approx(4.0, rel=1e-6)
    assert float(m.group(4)) == pytest.approx(2.0)
    assert ag.gradcheck(BadSquare.apply, (x,), raise_exception=False) is False


def test_fast_mode_catches_the_same_wrong_backward():
    x = ag.rand(4, dtype=ag.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as err:
        ag.gradcheck(BadSquare.apply, (x,), fast_mode=True)
    msg = str(err.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,")
    assert "computed in fast mode" in msg
    m = re.search(r"The max per-element difference \(slow mode\) is: ([\d.e-]+)\.", msg)
    assert m and float(m.group(1)) == pytest.approx(np.max(x.detach().numpy()), rel=1e-5)
    assert ag.gradcheck(BadSquare.apply, (x,), fast_mode=True, raise_exception=False) is False
    # the wrong rule is caught for the second input of a two-input function too
    y = ag.rand(3, dtype=ag.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        ag.gradcheck(lambda a, b: a.sum() * BadSquare.apply(b), (x, y), fast_mode=True)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class WrongSecond(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() ** 2  # right value, but detached: no second derivative

    x = f64(0.5, 1.5)
    assert ag.gradcheck(WrongSecond.apply, (x,))
    assert not ag.gradgradcheck(WrongSecond.apply, (x,), raise_exception=False)


def test_nondeterministic_backward_is_reported():
    x = f64(0.5, 1.5)
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        ag.gradcheck(Noisy.apply, (x,))
    assert ag.gradcheck(Noisy.apply, (x,), nondet_tol=1e-6)


def test_input_errors_and_precision_warning():
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to require "
                                         "gradient, but none of them have requires_grad=True."):
        ag.gradcheck(lambda a: a * 2, (f64(1.0, rg=False),))
    x32 = ag.tensor([0.5, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision floating point"):
        ag.gradcheck(lambda a: a * 2, (x32,), raise_exception=False)


def test_numerical_jacobians_helper():
    x = f64(1.0, 2.0)
    y = f64(3.0)
    jac = _numerical_jacobians(lambda a, b: (a * b, a.sum()), (x, y), [0, 1], 1e-6)
    assert len(jac) == 2 and len(jac[0]) == 2
    np.testing.assert_allclose(jac[0][0], np.diag([3.0, 3.0]), atol=1e-8)  # (in, out) layout
    np.testing.assert_allclose(jac[0][1], [[1.0, 2.0]], atol=1e-8)
    np.testing.assert_allclose(jac[1][0], [[1.0], [1.0]], atol=1e-8)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 2.0])  # inputs restored


# -- check_grad: kinks reported, not failed ------------------------------------------------

def test_gradcheck_fails_at_a_kink_but_check_grad_reports_it():
    x = f64(0.0, 1.5, -2.0)
    with pytest.raises(GradcheckError, match=r"numerical 0.5, analytical 0"):
        ag.gradcheck(lambda t: t.relu(), (x,))  # central difference: (h - 0) / 2h
    for fn, left, right in ((lambda t: t.abs(), -1.0, 1.0), (lambda t: t.relu(), 0.0, 1.0)):
        report = check_grad(fn, (x,))
        assert report.ok and bool(report) and report.mismatches == []
        assert len(report.kinks) == 1
        k = report.kinks[0]
        assert (k.output, k.input, k.out_index, k.in_index) == (0, 0, (0,), (0,))
        assert k.left == pytest.approx(left) and k.right == pytest.approx(right)
        assert k.analytical == 0.0 and k.subgradient_ok
        assert "kink d(output 0)[0] / d(input 0)[0]" in str(report)
        assert "valid subgradient" in str(report)


def test_check_grad_smooth_functions_have_no_kinks():
    x = ag.tensor(np.linspace(-1.0, 1.0, 7), dtype=ag.float64, requires_grad=True)
    for fn in (lambda t: (10 * t).exp(), lambda t: t.sin() * t, lambda t: (t * t).sum()):
        report = check_grad(fn, (x,))
        assert report.ok and report.kinks == [], str(report)


def test_check_grad_lists_mismatches_with_positions():
    x = f64(0.5, 2.0)
    report = check_grad(BadSquare.apply, (x,))
    assert not report.ok and report.kinks == []
    assert [(m.in_index, m.out_index) for m in report.mismatches] == [((0,), (0,)), ((1,), (1,))]
    assert report.mismatches[1].numerical == pytest.approx(4.0, rel=1e-6)
    assert report.mismatches[1].analytical == pytest.approx(2.0)
    assert "mismatch d(output 0)[1] / d(input 0)[1]" in str(report)


def test_check_grad_flags_a_wrong_rule_at_a_kink():
    class BadRelu(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.relu()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 5 * (x >= 0).double()  # 5 is not between the slopes 0 and 1

    report = check_grad(BadRelu.apply, (f64(0.0, -1.0),))
    assert len(report.kinks) == 1 and not report.kinks[0].subgradient_ok
    assert not report.ok and report.mismatches[0].in_index == (0,)


def test_check_grad_ties_and_clamp_bounds():
    report = check_grad(lambda t: t.max(), (f64(2.0, 2.0, 1.0),))
    assert report.ok and sorted(k.in_index for k in report.kinks) == [(0,), (1,)]
    assert all(k.out_index == () for k in report.kinks)
    report = check_grad(lambda t: t.clamp(0, 1), (f64(0.0, 1.0, 0.5, 2.0),))
    assert report.ok and sorted(k.in_index for k in report.kinks) == [(0,), (1,)]
