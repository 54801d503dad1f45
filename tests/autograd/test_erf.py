"""erf of float32 / float16 data: the vectorised approximation against math.erf over the
whole range, the edge values, and PyTorch's values and gradients (exact GELU too)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from autograd.ops.pointwise import _erf, _erf_approx

_X = np.concatenate([np.linspace(-7, 7, 40001), np.logspace(-38, 1.5, 2000),
                     -np.logspace(-38, 1.5, 2000), [1e-45, 0.4999999, 0.5, 0.5000001]])


def test_approximation_is_within_6e8_of_math_erf_everywhere():
    exact = np.array([math.erf(v) for v in _X])
    got = _erf_approx(_X)
    nz = exact != 0
    assert np.max(np.abs(got[nz] - exact[nz]) / np.abs(exact[nz])) < 6e-8
    assert np.all(got[~nz] == 0)


def test_float32_is_within_one_ulp_of_the_rounded_exact_value():
    x = _X.astype(np.float32)
    exact = np.array([math.erf(float(v)) for v in x]).astype(np.float32)
    got = _erf(x)
    assert got.dtype == np.float32
    ulps = np.abs(got.view(np.int32).astype(np.int64) - exact.view(np.int32).astype(np.int64))
    assert ulps.max() <= 1 and (ulps == 0).mean() > 0.95


def test_edges_and_shapes():
    x = np.array([[np.nan, np.inf, -np.inf], [0.0, -0.0, 1e-30]], np.float32)
    got = _erf(x)
    assert np.isnan(got[0, 0]) and got[0, 1] == 1 and got[0, 2] == -1
    assert got[1, 0] == 0 and np.signbit(got[1, 1]) and got[1, 2] == np.float32(1e-30 * 2 /
                                                                                  math.sqrt(math.pi))
    assert _erf(np.zeros((0, 3), np.float32)).shape == (0, 3)
    assert _erf(np.float32(0.3) * np.ones((), np.float32)).shape == ()
    h = _erf(np.array([0.5, -2.0], np.float16))
    assert h.dtype == np.float16
    np.testing.assert_allclose(h, [math.erf(0.5), math.erf(-2.0)], rtol=1e-3)
    big = np.linspace(-3, 3, 20000, dtype=np.float32)   # (more than one block)
    np.testing.assert_allclose(_erf(big), [math.erf(v) for v in big.astype(np.float64)],
                               rtol=2e-7, atol=1e-30)


def test_erf_and_exact_gelu_against_pytorch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(3)
    x = (r.standard_normal((4, 300)) * 2).astype(np.float32)
    up = r.standard_normal((4, 300)).astype(np.float32)
    # (GELU's gradient at x << 0 is a difference of nearly equal numbers: 1 + erf cancels,
    # and the last bit of erf there differs between any two float32 erfs)
    for ours, theirs, atol in [(ag.erf, torch.erf, 1e-7),
                               (F.gelu, torch.nn.functional.gelu, 2e-6)]:
        res = []
        for lib, fn in ((ag, ours), (torch, theirs)):
            t = lib.tensor(x, requires_grad=True)
            y = fn(t)
            y.backward(lib.tensor(up))
            res.append((y.detach().numpy(), t.grad.numpy()))
        for a, b in zip(*res):
            assert a.dtype == b.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=atol)
