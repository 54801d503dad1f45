"""Pooling: max/avg/adaptive/LP pooling and max unpooling against loop references,
PyTorch's documented values, tie rule, indices, errors, modules, and PyTorch itself when
installed."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_db.nn_conv_ops import (
    ref_adaptive_avg_pool2d,
    ref_adaptive_max_pool2d,
    ref_avg_pool2d,
    ref_lp_pool2d,
    ref_max_pool2d,
    ref_max_unpool2d,
)

from .torch_twin import assert_same_error, both_ways

rng = np.random.default_rng(1)

MAX_CASES = [
    (2, {}), (2, dict(stride=1)), (3, dict(stride=2, padding=1)),
    ((3, 2), dict(stride=(2, 1), padding=(1, 1), dilation=2)),
    (2, dict(ceil_mode=True)), (3, dict(stride=2, padding=1, ceil_mode=True)),
]
AVG_CASES = [
    (2, {}), (3, dict(stride=2, padding=1)), (3, dict(stride=2, padding=1, ceil_mode=True)),
    (3, dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((3, 2), dict(stride=(2, 1), padding=(1, 1), divisor_override=5)), (2, dict(ceil_mode=True)),
]


@pytest.mark.parametrize("k,kw", MAX_CASES)
def test_max_pool_matches_loop_reference_and_gradchecks(k, kw):
    x = rng.standard_normal((2, 2, 7, 6))
    out = F.max_pool2d(ag.tensor(x), k, **kw)
    np.testing.assert_array_equal(out.numpy(), ref_max_pool2d(x, k, **kw))
    xs = ag.tensor(rng.permutation(25).reshape(1, 1, 5, 5) * 0.1, requires_grad=True)
    assert ag.gradcheck(lambda t: F.max_pool2d(t, k, **kw), (xs,))
    assert ag.gradgradcheck(lambda t: F.max_pool2d(t, k, **kw), (xs,))


@pytest.mark.parametrize("k,kw", AVG_CASES)
def test_avg_pool_matches_loop_reference_and_gradchecks(k, kw):
    x = rng.standard_normal((2, 2, 7, 6))
    out = F.avg_pool2d(ag.tensor(x), k, **kw)
    np.testing.assert_allclose(out.numpy(), ref_avg_pool2d(x, k, **kw), atol=1e-12)
    xs = ag.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    assert ag.gradcheck(lambda t: F.avg_pool2d(t, k, **kw), (xs,))
    assert ag.gradgradcheck(lambda t: F.avg_pool2d(t, k, **kw), (xs,))


def test_documented_values():
    ones = ag.ones(1, 1, 2, 2)
    np.testing.assert_allclose(F.avg_pool2d(ones, 2, padding=1).numpy(), 0.25)
    np.testing.assert_allclose(F.avg_pool2d(ones, 2, padding=1, count_include_pad=False).numpy(),
                               1.0)
    x = ag.randn(1, 1, 5, 5)
    assert F.max_pool2d(x, 2).shape == (1, 1, 2, 2)
    assert F.max_pool2d(x, 2, ceil_mode=True).shape == (1, 1, 3, 3)
    assert nn.MaxPool2d(2)(ag.randn(4, 8, 26, 26)).shape == (4, 8, 13, 13)


def test_ties_go_to_the_first_element_and_indices():
    x = ag.tensor([[[[1., 1., 0., 2.], [1., 0., 2., 2.]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == ag.int64
    np.testing.assert_array_equal(idx.numpy(), [[[[0, 3]]]])   # flat index into H*W
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[1, 0, 0, 1], [0, 0, 0, 0]]]])
    assert out.grad_fn.name() == "MaxPool2DWithIndicesBackward0"


def test_overlapping_windows_accumulate_gradient():
    x = ag.tensor(np.arange(9.).reshape(1, 1, 3, 3), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 0, 0], [0, 1, 1], [0, 1, 1]])
    y = ag.tensor(np.zeros((1, 1, 3, 3)) + np.array([[0, 0, 0], [0, 5, 0], [0, 0, 0]]),
                  requires_grad=True)
    F.max_pool2d(y, 2, stride=1).sum().backward()     # the centre wins all four windows
    assert y.grad.numpy()[0, 0, 1, 1] == 4


def test_window_wholly_in_padding_gives_minus_inf_and_no_gradient():
    x = ag.tensor([[[[-0.05]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, (1, 2), None, (0, 1), (1, 2), return_indices=True)
    assert out.item() == -np.inf and idx.item() == 1       # PyTorch's values
    out.sum().backward()
    assert x.grad.item() == 0
    y = ag.tensor([[[[-np.inf, 1.0]]]], requires_grad=True)   # a real -inf beats the padding
    out, idx = F.max_pool2d(y, (1, 2), 1, (0, 1), return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), [[[[0, 1, 1]]]])


def test_avg_pool_name_and_float32():
    x = ag.randn(2, 3, 6, 6, requires_grad=True)
    y = F.avg_pool2d(x, 2)
    assert y.grad_fn.name() == "AvgPool2DBackward0" and y.dtype == ag.float32
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 0.25)


@pytest.mark.parametrize("size,out", [((7, 6), (3, 4)), ((5, 5), 1), ((6, 4), (None, 2)),
                                      ((4, 4), (2, 2))])
def test_adaptive_avg_pool(size, out):
    x = rng.standard_normal((2, 2) + size)
    res = F.adaptive_avg_pool2d(ag.tensor(x), out)
    full = (size[0] if out[0] is None else out[0], out[1]) if isinstance(out, tuple) else out
    np.testing.assert_allclose(res.numpy(), ref_adaptive_avg_pool2d(x, full), atol=1e-12)
    xs = ag.tensor(rng.standard_normal((1, 1, 4, 3)), requires_grad=True)
    assert ag.gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, (2, 2)), (xs,))


def test_1d_pools():
    x = rng.standard_normal((2, 3, 9))
    out = F.max_pool1d(ag.tensor(x), 3, 2, 1)
    np.testing.assert_array_equal(out.numpy(), ref_max_pool2d(x[:, :, None], (1, 3), (1, 2),
                                                              (0, 1))[:, :, 0])
    avg = F.avg_pool1d(ag.tensor(x), 2)
    np.testing.assert_allclose(avg.numpy(), (x[..., 0:8:2] + x[..., 1:9:2]) / 2)
    np.testing.assert_allclose(F.adaptive_avg_pool1d(ag.tensor(x), 1).numpy(),
                               x.mean(-1, keepdims=True))


@pytest.mark.parametrize("call,msg", [
    (lambda: F.max_pool2d(ag.zeros(1, 1, 4, 4), 2, padding=2),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
     "dilation=1"),
    (lambda: F.avg_pool2d(ag.zeros(1, 1, 4, 4), 2, padding=2),
     "pad should be at most half of effective kernel size"),
    (lambda: F.max_pool2d(ag.zeros(5, 5), 2), "non-empty 3D or 4D (batch mode) tensor expected"),
    (lambda: F.max_pool2d(ag.zeros(1, 1, 1, 1), 2),
     "Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small"),
    (lambda: F.adaptive_avg_pool2d(ag.zeros(2, 3), 2),
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [2, 3]"),
])
def test_errors(call, msg):
    with pytest.raises(RuntimeError) as info:
        call()
    assert msg in str(info.value)


def test_module_reprs_and_forward():
    assert repr(nn.MaxPool2d(2)) == \
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((None, 3))) == "AdaptiveAvgPool2d(output_size=(None, 3))"
    out, idx = nn.MaxPool2d(2, return_indices=True)(ag.randn(1, 2, 4, 4))
    assert out.shape == idx.shape == (1, 2, 2, 2)
    assert nn.AdaptiveAvgPool2d(1)(ag.randn(3, 4, 5, 5)).shape == (3, 4, 1, 1)
    assert nn.AvgPool2d(3, 2, 1)(ag.randn(3, 4, 5, 5)).shape == (3, 4, 3, 3)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.round(rng.standard_normal((2, 3, 9, 7)), 1)     # rounded: plenty of ties
    for k, kw in MAX_CASES:
        tx, ax = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
        to, ti = tf.max_pool2d(tx, k, return_indices=True, **kw)
        ao, ai = F.max_pool2d(ax, k, return_indices=True, **kw)
        np.testing.assert_array_equal(ai.numpy(), ti.numpy())
        up = rng.standard_normal(to.shape)
        to.backward(torch.tensor(up))
        ao.backward(ag.tensor(up))
        np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    for k, kw in AVG_CASES:
        tx, ax = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
        to, ao = tf.avg_pool2d(tx, k, **kw), F.avg_pool2d(ax, k, **kw)
        np.testing.assert_allclose(ao.detach().numpy(), to.detach().numpy(), atol=1e-12)
        up = rng.standard_normal(to.shape)
        to.backward(torch.tensor(up))
        ao.backward(ag.tensor(up))
        np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    for out in [(4, 3), (None, 5), 2]:
        np.testing.assert_allclose(F.adaptive_avg_pool2d(ag.tensor(x), out).numpy(),
                                   tf.adaptive_avg_pool2d(torch.tensor(x), out).numpy(),
                                   atol=1e-12)


# ---------------------------------------------------------------------------------------
# adaptive max pooling, max unpooling, LP pooling


@pytest.mark.parametrize("out", [(2, 3), (3, None), 4, (7, 9), (5, 2)])
def test_adaptive_max_pool(out):
    x = np.round(rng.standard_normal((2, 3, 7, 9)), 1)       # rounded: ties in windows
    vals, idx = F.adaptive_max_pool2d(ag.tensor(x), out, return_indices=True)
    full = out if isinstance(out, int) else (out[0], 9 if out[1] is None else out[1])
    np.testing.assert_array_equal(vals.numpy(), ref_adaptive_max_pool2d(x, full))
    flat = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2),
                                  vals.numpy().reshape(2, 3, -1))
    xs = ag.tensor(rng.permutation(63).reshape(1, 1, 7, 9) * 0.1, requires_grad=True)
    assert F.adaptive_max_pool2d(xs, out).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    assert ag.gradgradcheck(lambda t: F.adaptive_max_pool2d(t, out), (xs,))


def test_adaptive_ties_go_to_the_first_in_row_major_order():
    x = ag.tensor([[[[1., 2., 2.], [2., 0., 2.]]]], requires_grad=True)
    vals, idx = F.adaptive_max_pool2d(x, 1, return_indices=True)
    assert vals.item() == 2 and idx.item() == 1
    vals.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1, 0], [0, 0, 0]]]])


def test_max_unpool_inverts_max_pool_on_the_maxima():
    x = ag.tensor(np.abs(rng.standard_normal((2, 3, 6, 7))) + 0.1, requires_grad=True)
    vals, idx = F.max_pool2d(x, 2, return_indices=True)
    up = F.max_unpool2d(vals, idx, 2, output_size=(6, 7))
    assert up.shape == (2, 3, 6, 7) and up.grad_fn.name() == "MaxUnpool2DBackward0"
    np.testing.assert_array_equal(up.detach().numpy(), ref_max_unpool2d(
        vals.detach().numpy(), idx.numpy(), 2, output_size=(6, 7)))
    np.testing.assert_array_equal(F.max_pool2d(up, 2).detach().numpy(), vals.detach().numpy())
    v1, i1 = F.max_pool1d(x[:, :, 0], 3, 2, 1, return_indices=True)
    u1 = F.max_unpool1d(v1, i1, 3, 2, 1)
    assert u1.shape == (2, 3, 7)
    m = nn.MaxUnpool2d(2)
    assert repr(m) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    np.testing.assert_array_equal(m(vals, idx, output_size=(6, 7)).detach().numpy(),
                                  up.detach().numpy())
    assert repr(nn.MaxUnpool1d(2, 1, 1)) == \
        "MaxUnpool1d(kernel_size=(2,), stride=(1,), padding=(1,))"


def test_lp_pool():
    x = np.abs(rng.standard_normal((2, 3, 7, 9))) + 0.1
    for p in (1.5, 2, 3):
        np.testing.assert_allclose(F.lp_pool2d(ag.tensor(x), p, (2, 3)).numpy(),
                                   ref_lp_pool2d(x, p, (2, 3)), rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool2d(ag.tensor(x), float("inf"), 2).numpy(),
                               ref_max_pool2d(np.abs(x), 2))
    assert repr(nn.LPPool2d(2, 3)) == \
        "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert nn.LPPool1d(2, 3, 2)(ag.tensor(x[:, :, 0])).shape == (2, 3, 4)


POOL_ERRORS = [
    lambda: F.max_unpool2d(*F.max_pool2d(ag.zeros(2, 3, 4, 4), 2, return_indices=True),
                           2, output_size=(9, 9)),
    lambda: F.max_unpool2d(ag.zeros(2, 3, 2, 2), ag.zeros(2, 3, 2, 2), 2),
    lambda: F.max_unpool2d(ag.zeros(2, 3, 2, 2), ag.zeros(2, 2, 2, 2).long(), 2),
    lambda: F.max_unpool2d(ag.zeros(2, 3, 2, 2), ag.zeros(2, 3, 2, 2).long() + 16, 2),
    lambda: F.adaptive_max_pool2d(ag.zeros(5, 5), 2),
    lambda: F.adaptive_max_pool1d(ag.zeros(2, 3, 4, 5), 2),
    lambda: F.adaptive_avg_pool1d(ag.zeros(2, 3, 4, 5), 2),
    lambda: F.adaptive_avg_pool2d(ag.zeros(2, 3, 0, 4), 2),
    lambda: F.adaptive_max_pool2d(ag.zeros(2, 3, 0, 4), 2),
]


@pytest.mark.parametrize("call", POOL_ERRORS)
def test_pool_errors_are_pytorchs(call):
    assert_same_error(call)


def test_new_pools_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.round(rng.standard_normal((2, 3, 7, 9)), 1)
    cases = [(lambda F, t: F.adaptive_max_pool2d(t, (3, 4)), x),
             (lambda F, t: F.adaptive_max_pool1d(t, 4), x[:, :, 0]),
             (lambda F, t: F.adaptive_avg_pool2d(t, (3, None)), x),
             (lambda F, t: F.adaptive_avg_pool1d(t, 4), x[:, :, 0]),
             (lambda F, t: F.lp_pool2d(t, 2, (2, 3), ceil_mode=True), np.abs(x) + 0.1),
             (lambda F, t: F.lp_pool1d(t, 1.5, 3, 2), np.abs(x[:, :, 0]) + 0.1)]
    for fn, data in cases:
        out, tout, (t,), (tt,) = both_ways(partial(fn, F), partial(fn, tf), (data,), rng)
        assert out.grad_fn.name() == tout.grad_fn.name()
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), atol=1e-12)
    vals, idx = tf.max_pool2d(torch.tensor(x), 2, return_indices=True)
    out, tout, (t, _), (tt, _) = both_ways(
        lambda v, i: F.max_unpool2d(v, i, 2, output_size=(7, 9)),
        lambda v, i: tf.max_unpool2d(v, i, 2, output_size=(7, 9)), (vals.numpy(), idx.numpy()),
        rng)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(t.grad.numpy(), tt.grad.numpy())
    for a, b in [(nn.AdaptiveMaxPool2d((2, None)), torch.nn.AdaptiveMaxPool2d((2, None))),
                 (nn.AdaptiveMaxPool1d(3, True), torch.nn.AdaptiveMaxPool1d(3, True)),
                 (nn.LPPool1d(1.5, 3, 2, True), torch.nn.LPPool1d(1.5, 3, 2, True)),
                 (nn.MaxPool1d(3), torch.nn.MaxPool1d(3)), (nn.AvgPool1d(3), torch.nn.AvgPool1d(3)),
                 (nn.MaxPool2d((2, 3), 1, return_indices=True),
                  torch.nn.MaxPool2d((2, 3), 1, return_indices=True))]:
        assert repr(a) == repr(b)
