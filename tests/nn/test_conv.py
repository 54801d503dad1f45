"""Conv1d / Conv2d: against direct loop references, PyTorch's formulas and errors, and
(when installed) PyTorch itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_db.nn_conv_ops import ref_conv

rng = np.random.default_rng(0)

CASES = [  # x shape, w shape, kwargs
    ((2, 3, 7, 6), (4, 3, 3, 2), {}),
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((1, 3, 9, 8), (2, 3, 3, 2), dict(stride=(2, 3), padding=(2, 1), dilation=(2, 1))),
    ((2, 4, 9, 8), (6, 2, 3, 3), dict(stride=2, dilation=2, groups=2)),
    ((2, 4, 6, 5), (4, 1, 2, 4), dict(padding="same", groups=4)),
    ((2, 4, 5, 5), (3, 4, 1, 1), {}),
    ((2, 2, 5, 5), (3, 2, 5, 5), dict(padding="valid")),
    ((2, 4, 9), (6, 2, 3), dict(stride=2, padding=2, groups=2)),
    ((2, 4, 9), (6, 4, 4), dict(padding="same", dilation=2)),
]


def _t(a, rg=False):
    return ag.tensor(a, requires_grad=rg)


@pytest.mark.parametrize("xs,ws,kw", CASES)
def test_forward_matches_loop_reference(xs, ws, kw):
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    f = F.conv2d if len(xs) == 4 else F.conv1d
    out = f(_t(x), _t(w), _t(b), **kw)
    np.testing.assert_allclose(out.numpy(), ref_conv(x, w, b, **kw), atol=1e-10)


@pytest.mark.parametrize("xs,ws,kw", CASES[:5] + CASES[7:8])
def test_gradcheck_and_gradgradcheck(xs, ws, kw):
    small = tuple(min(s, 5) if i >= 2 else s for i, s in enumerate(xs))
    if kw.get("dilation") == 2 or kw.get("dilation") == (2, 1):
        small = xs[:2] + tuple(min(s, 6) for s in xs[2:])
    x, w, b = (_t(rng.standard_normal(s), True) for s in (small, ws, (ws[0],)))
    f = F.conv2d if len(xs) == 4 else F.conv1d
    fn = lambda x, w, b: f(x, w, b, **kw)  # noqa: E731
    assert ag.gradcheck(fn, (x, w, b))
    assert ag.gradgradcheck(fn, (x, w, b))


def test_third_derivative_through_conv():
    x = _t(rng.standard_normal((1, 1, 4, 4)), True)
    w = _t(rng.standard_normal((1, 1, 2, 2)), True)
    y = (F.conv2d(x, w) ** 3).sum()
    g1, = ag.grad(y, x, create_graph=True)
    g2, = ag.grad(g1.sum(), w, create_graph=True)
    g3, = ag.grad(g2.sum(), x)
    # y = sum(c^3) with c = conv(x, w): d/dx of sum_w d/dx... checked by finite differences
    def h(xv):
        xt = _t(xv, True)
        wt = _t(w.detach().numpy(), True)
        gg1, = ag.grad((F.conv2d(xt, wt) ** 3).sum(), xt, create_graph=True)
        gg2, = ag.grad(gg1.sum(), wt)
        return gg2.numpy().sum()
    eps, xv = 1e-6, x.detach().numpy()
    num = np.zeros_like(xv)
    for i in np.ndindex(xv.shape):
        d = np.zeros_like(xv)
        d[i] = eps
        num[i] = (h(xv + d) - h(xv - d)) / (2 * eps)
    np.testing.assert_allclose(g3.numpy(), num, atol=1e-5)


def test_grad_fn_name_dtype_and_unbatched():
    x = ag.randn(2, 3, 5, 5)
    w = ag.randn(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0" and y.dtype == ag.float32
    assert y.shape == (2, 4, 3, 3)
    y1 = F.conv2d(x[0], w)
    assert y1.shape == (4, 3, 3)
    np.testing.assert_allclose(y1.detach().numpy(), y[0].detach().numpy(), rtol=1e-6)


def test_only_needed_gradients_are_computed():
    x = ag.randn(2, 1, 5, 5)
    w = ag.randn(2, 1, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (2, 1, 3, 3)
    # d(sum conv)/dw[o, 0, i, j] = sum of the input window at offset (i, j)
    xd = x.numpy()
    expect = np.array([[xd[:, 0, i:i + 3, j:j + 3].sum() for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(w.grad.numpy()[1, 0], expect, rtol=1e-5)


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.conv2d(ag.zeros(2, 1, 8, 8), ag.zeros(4, 3, 3, 3)), RuntimeError,
     "Given groups=1, weight of size [4, 3, 3, 3], expected input[2, 1, 8, 8] to have 3 "
     "channels, but got 1 channels instead"),
    (lambda: F.conv2d(ag.zeros(2, 1, 8, 8), ag.zeros(4, 1, 3, 3), padding="foo"), RuntimeError,
     "Invalid padding string: 'foo'"),
    (lambda: F.conv2d(ag.zeros(2, 1, 8, 8), ag.zeros(4, 1, 3, 3), padding="same", stride=2),
     RuntimeError, "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(ag.zeros(2, 1, 2, 2), ag.zeros(4, 1, 3, 3)), RuntimeError,
     "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size "
     "can't be greater than actual input size"),
    (lambda: F.conv2d(ag.zeros(8, 8), ag.zeros(4, 1, 3, 3)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [8, 8]"),
    (lambda: F.conv2d(ag.zeros(2, 4, 5, 5), ag.zeros(4, 2, 3, 3), groups=3), RuntimeError,
     "Given groups=3, expected weight to be divisible by 3 at dimension 0"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, "out_channels must be divisible by groups"),
    (lambda: nn.Conv2d(6, 4, 3, groups=4), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(1, 8, 3, padding="foo"), ValueError,
     "Invalid padding string 'foo', should be one of {'same', 'valid'}"),
    (lambda: nn.Conv2d(1, 8, 3, padding="same", stride=2), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(1, 8, 3, padding_mode="foo"), ValueError,
     "padding_mode must be one of"),
    (lambda: nn.Conv2d(1, 8, kernel_size=3)(ag.zeros(64, 3, 28, 28)), RuntimeError,
     "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1)): Given groups=1, weight of size "
     "[8, 1, 3, 3], expected input[64, 3, 28, 28] to have 1 channels, but got 3 channels "
     "instead"),
    (lambda: nn.Conv1d(1, 8, 3)(ag.zeros(64, 3, 28)), RuntimeError,
     "Conv1d(1, 8, kernel_size=(3,), stride=(1,)): Given groups=1, weight of size [8, 1, 3], "
     "expected input[64, 3, 28] to have 1 channels, but got 3 channels instead"),
])
def test_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


def test_module_init_shapes_repr_and_state_dict():
    ag.manual_seed(0)
    m = nn.Conv2d(3, 16, 3, padding=1)
    bound = 1 / math.sqrt(3 * 3 * 3)
    assert m.weight.shape == (16, 3, 3, 3) and m.bias.shape == (16,)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.weight.detach().numpy()).max() > 0.7 * bound    # uniform, not tiny
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert list(m.state_dict()) == ["weight", "bias"]
    assert repr(m) == "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.Conv2d(3, 8, (3, 5), stride=2, bias=False)) == \
        "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), bias=False)"
    assert m(ag.randn(2, 3, 8, 8)).shape == (2, 16, 8, 8)
    assert nn.Conv2d(1, 1, 3)(ag.randn(1, 28, 28)).shape == (1, 26, 26)
    c1 = nn.Conv1d(2, 4, 3, stride=2)
    assert repr(c1) == "Conv1d(2, 4, kernel_size=(3,), stride=(2,))"
    assert c1(ag.randn(5, 2, 9)).shape == (5, 4, 4)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_pad_then_convolve(mode):
    m = nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode).double()
    x = ag.tensor(rng.standard_normal((1, 2, 5, 4)))
    expect = F.conv2d(ag.pad(x, (1, 1, 1, 1), mode=mode), m.weight, m.bias)
    np.testing.assert_allclose(m(x).detach().numpy(), expect.detach().numpy())
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)),
                mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])
    np.testing.assert_allclose(m(x).detach().numpy(), ref_conv(
        xp, m.weight.detach().numpy(), m.bias.detach().numpy()), atol=1e-10)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    for xs, ws, kw in CASES:
        x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
        tf = torch.nn.functional.conv2d if len(xs) == 4 else torch.nn.functional.conv1d
        f = F.conv2d if len(xs) == 4 else F.conv1d
        tt = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        at = [_t(a, True) for a in (x, w, b)]
        to, ao = tf(*tt, **kw), f(*at, **kw)
        up = rng.standard_normal(to.shape)
        to.backward(torch.tensor(up))
        ao.backward(ag.tensor(up))
        np.testing.assert_allclose(ao.detach().numpy(), to.detach().numpy(), atol=1e-10)
        for a, t in zip(at, tt):
            np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-9)


def test_module_matches_pytorch_with_same_weights():
    torch = pytest.importorskip("torch")
    for mode in ["zeros", "reflect", "circular"]:
        m = nn.Conv2d(2, 4, 3, padding="same", padding_mode=mode, dilation=2)
        tm = torch.nn.Conv2d(2, 4, 3, padding="same", padding_mode=mode, dilation=2)
        tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
        x = rng.standard_normal((2, 2, 7, 6)).astype(np.float32)
        np.testing.assert_allclose(m(ag.tensor(x)).detach().numpy(),
                                   tm(torch.tensor(x)).detach().numpy(), atol=1e-5)
