"""nn.init: bounds and moments from PyTorch's formulas, gains, fans, generator, no_grad."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import init


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(0.57735, abs=1e-5)
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(ag.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(ag.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor "
                       "with fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ag.empty(4))


def _data(t):
    return t.detach().numpy()


def test_uniform_family_bounds():
    w = nn.Parameter(ag.empty(200, 300))
    b = math.sqrt(6 / 500)
    assert init.xavier_uniform_(w) is w
    assert _data(w).max() <= b and _data(w).min() >= -b and _data(w).max() > 0.95 * b
    init.kaiming_uniform_(w, a=0, nonlinearity="relu")
    b = math.sqrt(3) * math.sqrt(2) / math.sqrt(300)
    assert np.abs(_data(w)).max() <= b and np.abs(_data(w)).max() > 0.95 * b
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    b = math.sqrt(3) * math.sqrt(2) / math.sqrt(200)
    assert np.abs(_data(w)).max() <= b and np.abs(_data(w)).max() > 0.95 * b
    init.uniform_(w, -0.3, 0.1)
    assert _data(w).min() >= -0.3 and _data(w).max() <= 0.1
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


def test_normal_family_std():
    w = ag.empty(400, 500)
    init.xavier_normal_(w, gain=2.0)
    assert _data(w).std() == pytest.approx(2 * math.sqrt(2 / 900), rel=0.02)
    init.kaiming_normal_(w, nonlinearity="relu")
    assert _data(w).std() == pytest.approx(math.sqrt(2) / math.sqrt(500), rel=0.02)
    init.normal_(w, 3.0, 0.5)
    assert _data(w).mean() == pytest.approx(3.0, abs=0.01)
    init.trunc_normal_(w, 0.0, 1.0, -1.0, 1.5)
    assert _data(w).min() >= -1.0 and _data(w).max() <= 1.5
    # truncated N(0,1) on [-1, 1.5] has mean (phi(-1) - phi(1.5)) / (Phi(1.5) - Phi(-1))
    phi = lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi)
    Phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))
    assert _data(w).mean() == pytest.approx((phi(-1) - phi(1.5)) / (Phi(1.5) - Phi(-1)),
                                            abs=0.01)


def test_constant_zeros_ones_eye_orthogonal():
    w = nn.Parameter(ag.empty(3, 5))
    assert _data(init.constant_(w, 0.25)).tolist() == [[0.25] * 5] * 3
    assert _data(init.zeros_(w)).sum() == 0 and _data(init.ones_(w)).sum() == 15
    np.testing.assert_array_equal(_data(init.eye_(w)), np.eye(3, 5))
    init.orthogonal_(w, gain=2.0)
    np.testing.assert_allclose(_data(w) @ _data(w).T, 4 * np.eye(3), atol=1e-5)
    c = ag.empty(6, 2, 2)
    init.orthogonal_(c)
    f = _data(c).reshape(6, 4)
    np.testing.assert_allclose(f.T @ f, np.eye(4), atol=1e-5)
    assert w.dtype == ag.float32


def test_generator_reproducible():
    a, b = ag.empty(4, 4), ag.empty(4, 4)
    init.kaiming_uniform_(a, generator=ag.Generator().manual_seed(7))
    init.kaiming_uniform_(b, generator=ag.Generator().manual_seed(7))
    np.testing.assert_array_equal(_data(a), _data(b))
    init.normal_(b, generator=ag.Generator().manual_seed(8))
    assert not np.array_equal(_data(a), _data(b))


def test_linear_default_init_matches_kaiming_a_sqrt5():
    ag.manual_seed(5)
    lin = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)
    assert np.abs(_data(lin.weight)).max() <= bound
    assert np.abs(_data(lin.weight)).max() > 0.95 * bound
    assert abs(_data(lin.weight).std() - bound / math.sqrt(3)) < 0.1 * bound
