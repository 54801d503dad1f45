"""Conv1d / Conv2d / ConvTranspose1d / ConvTranspose2d: against direct loop references,
PyTorch's formulas and errors, and (when installed) PyTorch itself; the kernels' chunking
and full-width backward against the same references."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import nn.functional.conv as conv_kernels
from tests.autograd.op_db.nn_conv_ops import ref_conv, ref_conv_transpose

from .torch_twin import assert_same_error, both_ways

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
    g = ag.Generator().manual_seed(0)   # fixed values: window sums near 0 defeat rtol
    x = ag.randn(2, 1, 5, 5, generator=g)
    w = ag.randn(2, 1, 3, 3, requires_grad=True, generator=g)
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


def _compare(f, tf, arrays, kw):
    out, tout, ins, tins = both_ways(lambda *a: f(*a, **kw), lambda *a: tf(*a, **kw), arrays,
                                     rng)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-10)
    for a, t in zip(ins, tins):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-9)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    for xs, ws, kw in CASES:
        x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
        tf = torch.nn.functional.conv2d if len(xs) == 4 else torch.nn.functional.conv1d
        _compare(F.conv2d if len(xs) == 4 else F.conv1d, tf, (x, w, b), kw)


def test_module_matches_pytorch_with_same_weights():
    torch = pytest.importorskip("torch")
    for mode in ["zeros", "reflect", "circular"]:
        m = nn.Conv2d(2, 4, 3, padding="same", padding_mode=mode, dilation=2)
        tm = torch.nn.Conv2d(2, 4, 3, padding="same", padding_mode=mode, dilation=2)
        tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
        x = rng.standard_normal((2, 2, 7, 6)).astype(np.float32)
        np.testing.assert_allclose(m(ag.tensor(x)).detach().numpy(),
                                   tm(torch.tensor(x)).detach().numpy(), atol=1e-5)


# ---------------------------------------------------------------------------------------
# the kernels: chunks of images and the full-width backward


def _grads_by_loops(x, w, b, g, kw):
    """dx, dw, db of sum(g * conv(x, w, b)) by finite structure: conv is linear in x and w,
    so each gradient entry is conv of a unit input (exact, no finite differences)."""
    f = lambda xx, ww: ref_conv(xx, ww, None, **kw)  # noqa: E731
    dx = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1
        dx[i] = (f(e, w) * g).sum()
    dw = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[i] = 1
        dw[i] = (f(x, e) * g).sum()
    return dx, dw, g.sum((0,) + tuple(range(2, g.ndim)))


CHUNK_CASES = [  # x shape, w shape, kwargs
    ((5, 2, 5, 6), (4, 2, 3, 3), dict(padding=1)),
    ((5, 4, 6, 5), (6, 2, 2, 3), dict(groups=2, dilation=(2, 1), padding=(1, 0))),
    ((5, 2, 7, 6), (3, 2, 3, 2), dict(stride=(2, 1), padding=1)),
    ((3, 2, 4, 4), (3, 2, 1, 1), {}),
]


@pytest.mark.parametrize("xs,ws,kw", CHUNK_CASES)
@pytest.mark.parametrize("chunk", [1, 700, 3000, 1 << 30])
def test_kernels_agree_for_any_chunking(xs, ws, kw, chunk, monkeypatch):
    """One image per chunk, a few, and all at once (with a last, smaller chunk): forward,
    input, weight and bias gradients equal the loop references."""
    monkeypatch.setattr(conv_kernels, "_CHUNK_BYTES", chunk)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    xt, wt, bt = _t(x, True), _t(w, True), _t(b, True)
    out = F.conv2d(xt, wt, bt, **kw)
    np.testing.assert_allclose(out.detach().numpy(), ref_conv(x, w, b, **kw), atol=1e-10)
    g = rng.standard_normal(out.shape)
    out.backward(ag.tensor(g))
    expect = _grads_by_loops(x, w, b, g, kw)
    for got, want in zip((xt.grad, wt.grad, bt.grad), expect):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-10)
    if kw.get("stride", 1) == 1:   # both backward kernels, whichever the sizes choose
        k = conv_kernels
        geo = ((1, 1), sum(((p, p) for p in k._tuple(kw.get("padding", 0), 2, "")), ()),
               k._tuple(kw.get("dilation", 1), 2, ""), kw.get("groups", 1))
        for full in (True, False):
            got = k._grads_np(g, x, w, x.shape, *geo, True, True, True, full=full)
            for a, want in zip(got, expect):
                np.testing.assert_allclose(a, want, atol=1e-10)


def test_full_width_backward_keeps_a_non_finite_input_out_of_other_taps():
    """The stride-1 backward reads each row on past its end (junk columns against zero
    gradients); an inf in the input's first column must not turn 0 * inf into NaN in the
    taps whose windows never read that column."""
    x = rng.standard_normal((1, 4, 8, 9))
    x[0, 0, 2, 0] = np.inf
    w = rng.standard_normal((2, 4, 3, 3))
    assert conv_kernels._full_fits(x.shape, w.shape, (1, 2, 6, 7))   # (the full-width path)
    xt, wt = _t(x, True), _t(w, True)
    with np.errstate(invalid="ignore"):
        F.conv2d(xt, wt).sum().backward()
    dw = wt.grad.numpy()
    assert np.isfinite(dw[:, :, :, 1:]).all()       # taps j >= 1 never read column 0
    xf = x.copy()
    xf[0, 0, 2, 0] = 0
    expect = _grads_by_loops(xf, w, None, np.ones((1, 2, 6, 7)), {})[1]
    np.testing.assert_allclose(dw[:, :, :, 1:], expect[:, :, :, 1:], atol=1e-12)
    # an inf weight: the input gradient's full-width junk would meet it; it must not
    w[0, 0, 0, 0] = np.inf
    xt2, wt2 = _t(rng.standard_normal((1, 4, 8, 9)), True), _t(w)
    with np.errstate(invalid="ignore"):
        F.conv2d(xt2, wt2).sum().backward()
    assert np.isfinite(xt2.grad.numpy()[0, 0, :, 7:]).all()   # beyond tap (0, 0)'s reach


# ---------------------------------------------------------------------------------------
# transposed convolutions

TCASES = [  # x shape, w shape, kwargs
    ((2, 4, 5, 5), (4, 6, 3, 3), dict(stride=2)),
    ((2, 4, 5, 4), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1, groups=2,
                                      dilation=2)),
    ((2, 3, 4, 5), (3, 2, 2, 3), dict(stride=(2, 1), padding=(1, 0))),
    ((1, 4, 4, 4), (4, 3, 3, 3), dict(dilation=2, output_padding=1)),   # op >= stride
    ((2, 4, 7), (4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
]


@pytest.mark.parametrize("xs,ws,kw", TCASES)
def test_conv_transpose_against_reference(xs, ws, kw):
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * kw.get("groups", 1))
    f = F.conv_transpose2d if len(xs) == 4 else F.conv_transpose1d
    out = f(_t(x), _t(w), _t(b), **kw)
    np.testing.assert_allclose(out.numpy(), ref_conv_transpose(x, w, b, **kw), atol=1e-10)
    small = (1,) + xs[1:]
    args = tuple(_t(rng.standard_normal(s), True) for s in (small, ws, b.shape))
    fn = lambda x, w, b: f(x, w, b, **kw)  # noqa: E731
    assert fn(*args).grad_fn.name() == "ConvolutionBackward0"
    assert ag.gradcheck(fn, args)
    assert ag.gradgradcheck(fn, args)


def test_conv_transpose_is_the_input_gradient_of_conv():
    x = _t(rng.standard_normal((2, 3, 7, 6)), True)
    w = _t(rng.standard_normal((4, 3, 3, 3)))
    y = F.conv2d(x, w, stride=2, padding=1)
    g = rng.standard_normal(y.shape)
    y.backward(ag.tensor(g))
    back = F.conv_transpose2d(ag.tensor(g), w, stride=2, padding=1, output_padding=(0, 1))
    np.testing.assert_allclose(back.numpy(), x.grad.numpy(), atol=1e-12)


def test_conv_transpose_layers():
    ag.manual_seed(0)
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
    assert m.weight.shape == (4, 3, 3, 3) and m.bias.shape == (6,)
    bound = 1 / math.sqrt(3 * 3 * 3)   # fan_in from the weight's dim 1, as PyTorch
    assert bound * 0.7 < np.abs(m.weight.detach().numpy()).max() <= bound
    assert repr(m) == "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), groups=2)"
    assert m(ag.randn(2, 4, 5, 5)).shape == (2, 6, 11, 11)
    assert m(ag.randn(4, 5, 5), output_size=(12, 12)).shape == (6, 12, 12)
    assert m(ag.randn(2, 4, 5, 5), output_size=(2, 6, 12, 11)).shape == (2, 6, 12, 11)
    m1 = nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1, output_padding=1, bias=False)
    assert repr(m1) == ("ConvTranspose1d(2, 3, kernel_size=(3,), stride=(2,), padding=(1,), "
                        "output_padding=(1,), bias=False)")
    assert m1(ag.randn(2, 2, 5)).shape == (2, 3, 10) and list(m1.state_dict()) == ["weight"]


ERRORS = [
    lambda: F.conv_transpose2d(ag.zeros(2, 4, 5, 5), ag.zeros(4, 3, 3, 3), stride=2,
                               output_padding=2),
    lambda: F.conv_transpose2d(ag.zeros(2, 4, 5, 5), ag.zeros(3, 3, 3, 3)),
    lambda: F.conv_transpose2d(ag.zeros(2, 4, 5, 5), ag.zeros(4, 3, 3, 3), groups=3),
    lambda: nn.ConvTranspose2d(4, 3, 3, stride=2)(ag.zeros(1, 4, 5, 5), output_size=(20, 20)),
    lambda: nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect"),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(6, 2, 3, 3), groups=3),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(6, 4, 3, 3), stride=0),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(6, 4, 3, 3), dilation=0),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(6, 4, 3, 3), padding=-1),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(6, 4, 3, 3), groups=0),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(6, 4, 3, 3), ag.zeros(5)),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(6, 4, 3, 3), padding=(1, 2, 3)),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(6, 4, 3, 3), padding="full"),
    lambda: F.conv2d(ag.zeros(2, 4, 0, 5), ag.zeros(3, 4, 3, 3)),
    lambda: F.conv1d(ag.zeros(1, 4, 5), ag.zeros(6, 4, 7)),
    lambda: F.conv2d(ag.zeros(1, 4, 5, 5), ag.zeros(0, 4, 3, 3)),
    lambda: nn.Conv2d(4, 6, 3, groups=0),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_are_pytorchs(call):
    assert_same_error(call)


def test_layer_errors_are_pytorchs_naming_the_layer():
    assert_same_error(lambda: nn.Conv2d(4, 6, 3)(ag.zeros(5, 5)),
                      "Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1)): ")
    assert_same_error(lambda: nn.Conv2d(4, 6, 3)(ag.zeros(2, 3, 5, 5)),
                      "Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1)): ")
    assert_same_error(lambda: nn.ConvTranspose2d(4, 6, 3, groups=2)(ag.zeros(2, 3, 5, 5)),
                      "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(1, 1), groups=2): ")


def test_against_pytorch_transposed():
    torch = pytest.importorskip("torch")
    for xs, ws, kw in TCASES:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        b = rng.standard_normal(ws[1] * kw.get("groups", 1))
        tf = torch.nn.functional.conv_transpose2d if len(xs) == 4 else \
            torch.nn.functional.conv_transpose1d
        _compare(F.conv_transpose2d if len(xs) == 4 else F.conv_transpose1d, tf, (x, w, b), kw)


def test_layers_match_pytorch_in_float32():
    torch = pytest.importorskip("torch")
    for make, shape in [(lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2),
                         (2, 4, 5, 5)),
                        (lambda nn: nn.Conv2d(3, 8, 3, padding=1, padding_mode="replicate"),
                         (2, 3, 6, 6)),
                        (lambda nn: nn.Conv1d(3, 4, 2, dilation=2), (2, 3, 7))]:
        m, tm = make(nn), make(torch.nn)
        tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
        assert repr(m) == repr(tm)
        x = rng.standard_normal(shape).astype(np.float32)
        out, tout, (t,), (tt,) = both_ways(m, tm, (x,), rng)
        assert out.dtype == ag.float32 and m.weight.grad.dtype == ag.float32
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), atol=1e-4)
        np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), atol=1e-4)
