"""F.pdist, F.rrelu / nn.RReLU and F.channel_shuffle / nn.ChannelShuffle against PyTorch:
values, gradients (pdist at zero distances and ties too), RReLU's random slopes drawn as
PyTorch draws them, reprs, grad_fn names and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

from .torch_twin import assert_same_error, both_ways

rng = np.random.default_rng(21)


def _pdist_inputs():
    x = rng.standard_normal((6, 4))
    x[1] = x[4]            # a pair at distance zero
    x[2, :2] = x[5, :2]    # equal coordinates
    yield x
    yield np.round(rng.standard_normal((5, 3)))   # many ties (p = inf) and zeros
    yield rng.standard_normal((1, 3))             # no pairs


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf])
def test_pdist_values_and_gradients_match_pytorch(p):
    torch = pytest.importorskip("torch")
    for x in _pdist_inputs():
        out, tout, (a,), (t,) = both_ways(lambda v: F.pdist(v, p),
                                          lambda v: torch.nn.functional.pdist(v, p), [x], rng)
        assert out.shape == tout.shape and type(out.grad_fn).__name__ == "PdistBackward0"
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_pdist_float32_and_second_order():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((5, 3)).astype(np.float32)
    out, tout, (a,), (t,) = both_ways(F.pdist, torch.nn.functional.pdist, [x], rng)
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
    x64 = ag.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert ag.gradgradcheck(lambda v: F.pdist(v, 3), (x64,))


@pytest.mark.parametrize("call", [
    lambda: F.pdist(ag.zeros(2, 3, 4)), lambda: F.pdist(ag.zeros(4)),
    lambda: F.pdist(ag.zeros(3, 4), p=-1), lambda: F.pdist(ag.ones(3, 4, dtype=ag.int64)),
    lambda: F.channel_shuffle(ag.zeros(2, 6, 3), 4),
    lambda: F.channel_shuffle(ag.zeros(2, 6, 3), 0),
    lambda: F.channel_shuffle(ag.zeros(2, 6, 3), -1),
    lambda: F.channel_shuffle(ag.zeros(6), 2), lambda: F.channel_shuffle(ag.zeros(2, 6), 2),
    lambda: nn.ChannelShuffle(2)(ag.zeros(2, 5, 3)),
    lambda: F.rrelu(ag.zeros(3), 0.5, 0.2, training=True),
    lambda: F.rrelu(ag.zeros(3), 0.5, 0.2),
    lambda: F.rrelu(ag.ones(3, dtype=ag.int64), training=True),
])
def test_bad_arguments_raise_pytorchs_errors(call):
    assert_same_error(call)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lower,upper", [(1 / 8, 1 / 3), (0.1, 0.3), (0.2, 0.2)])
def test_rrelu_training_draws_pytorchs_slopes(dtype, lower, upper):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    x[0, 0, :2] = 0   # zero counts as negative: it draws a slope too
    ag.manual_seed(5)
    torch.manual_seed(5)
    out, tout, (a,), (t,) = both_ways(
        lambda v: F.rrelu(v, lower, upper, training=True),
        lambda v: torch.nn.functional.rrelu(v, lower, upper, training=True), [x], rng)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy())
    # the generator moved on exactly as PyTorch's did
    np.testing.assert_array_equal(ag.rand(3).numpy(), torch.rand(3).numpy())


def test_rrelu_eval_is_leaky_relu_with_the_mean_slope_and_module_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 6)).astype(np.float32)
    m, tm = nn.RReLU(0.1, 0.3), torch.nn.RReLU(0.1, 0.3)
    assert repr(m) == repr(tm) and repr(nn.RReLU()) == repr(torch.nn.RReLU())
    assert repr(nn.RReLU(inplace=True)) == repr(torch.nn.RReLU(inplace=True))
    m.eval()
    tm.eval()
    np.testing.assert_allclose(m(ag.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(F.rrelu(ag.tensor(x)).numpy(), np.where(x > 0, x, x * 0.2291666),
                               rtol=1e-5)
    m.train()
    tm.train()
    ag.manual_seed(9)
    torch.manual_seed(9)
    np.testing.assert_array_equal(m(ag.tensor(x)).numpy(), tm(torch.tensor(x)).numpy())


def test_rrelu_inplace_writes_into_the_input():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 5))
    ours, theirs = ag.tensor(x), torch.tensor(x)
    ag.manual_seed(2)
    torch.manual_seed(2)
    assert F.rrelu_(ours, training=True) is ours
    torch.nn.functional.rrelu_(theirs, training=True)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 2), 3), ((1, 8, 5), 4), ((2, 4, 1, 2, 2), 2)])
def test_channel_shuffle_matches_pytorch(shape, groups):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape)
    out, tout, (a,), (t,) = both_ways(lambda v: nn.ChannelShuffle(groups)(v),
                                      lambda v: torch.nn.ChannelShuffle(groups)(v), [x], rng)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy())
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))
    ints = np.arange(np.prod(shape)).reshape(shape)
    np.testing.assert_array_equal(F.channel_shuffle(ag.tensor(ints), groups).numpy(),
                                  torch.nn.functional.channel_shuffle(torch.tensor(ints),
                                                                      groups).numpy())
