"""F.interpolate in every mode, the Upsample layers, pixel_shuffle / pixel_unshuffle: values
and gradients against references and PyTorch, known values, names, reprs and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_db.nn_resize_ops import ref_interpolate, ref_pixel_shuffle

from .torch_twin import assert_same_error

rng = np.random.default_rng(4)

CASES = [  # input shape, kwargs
    ((2, 3, 5, 7), dict(scale_factor=2)), ((2, 3, 5, 7), dict(scale_factor=1.5)),
    ((2, 3, 5, 7), dict(size=(8, 9))), ((2, 3, 5, 7), dict(size=(3, 4))),
    ((2, 3, 5, 7), dict(scale_factor=(0.7, 2.3))),
    ((2, 3, 5, 7), dict(scale_factor=2, mode="bilinear")),
    ((2, 3, 5, 7), dict(size=(8, 11), mode="bilinear")),
    ((2, 3, 5, 7), dict(size=(8, 9), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(scale_factor=1.3, mode="bilinear")),
    ((2, 3, 5, 7), dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 5, 7), dict(scale_factor=1.5, mode="nearest-exact")),
    ((2, 3, 5, 7), dict(size=(2, 3), mode="area")),
    ((2, 3, 5, 7), dict(scale_factor=2, mode="bicubic")),
    ((2, 3, 5, 7), dict(size=(7, 13), mode="bicubic", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=2)), ((2, 3, 5), dict(size=8, mode="linear")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(size=13, mode="nearest-exact")), ((2, 3, 5), dict(size=2, mode="area")),
]
NAMES = {"nearest": "UpsampleNearest{}DBackward0", "nearest-exact":
         "UpsampleNearestExact{}DBackward0", "linear": "UpsampleLinear1DBackward0",
         "bilinear": "UpsampleBilinear2DBackward0", "bicubic": "UpsampleBicubic2DBackward0",
         "area": None}


@pytest.mark.parametrize("shape,kw", CASES)
def test_against_reference_and_gradchecks(shape, kw):
    x = rng.standard_normal(shape)
    out = F.interpolate(ag.tensor(x, requires_grad=True), **kw)
    ref_kw = {k: v for k, v in kw.items() if k != "recompute_scale_factor"}
    if kw.get("recompute_scale_factor"):   # the scale then comes from the sizes
        sf = ref_kw.pop("scale_factor")
        ref_kw["size"] = tuple(int(n * sf) for n in shape[2:])
    np.testing.assert_allclose(out.detach().numpy(), ref_interpolate(x, **ref_kw), atol=1e-12)
    mode = kw.get("mode", "nearest")
    if NAMES[mode]:
        assert out.grad_fn.name() == NAMES[mode].format(len(shape) - 2)
    xs = ag.tensor(rng.standard_normal(shape[:1] + (1,) + shape[2:]), requires_grad=True)
    assert ag.gradcheck(lambda t: F.interpolate(t, **kw), (xs,))
    assert ag.gradgradcheck(lambda t: F.interpolate(t, **kw), (xs,))


def test_known_values_without_torch():
    x = ag.tensor([[[1., 2., 4.]]])
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=2).numpy(),
                                  [[[1, 1, 2, 2, 4, 4]]])
    np.testing.assert_allclose(F.interpolate(x, size=5, mode="linear",
                                             align_corners=True).numpy(),
                               [[[1, 1.5, 2, 3, 4]]])
    np.testing.assert_allclose(F.interpolate(x, size=6, mode="linear").numpy(),
                               [[[1, 1.25, 1.75, 2.5, 3.5, 4]]])
    # nearest with a scale_factor uses 1/scale_factor, not in/out, as PyTorch does
    y = ag.tensor(np.arange(5.).reshape(1, 1, 5))
    np.testing.assert_array_equal(F.interpolate(y, scale_factor=1.5).numpy(),
                                  [[[0, 0, 1, 2, 2, 3, 4]]])
    np.testing.assert_array_equal(F.interpolate(y, size=7).numpy(), [[[0, 0, 1, 2, 2, 3, 4]]])
    # the backward adds each output's gradient to its sources
    t = ag.tensor([[[1., 2.]]], requires_grad=True)
    F.interpolate(t, scale_factor=3).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [[[3, 3]]])
    assert F.interpolate(ag.randn(1, 2, 3, 3), scale_factor=2).dtype == ag.float32


def test_pixel_shuffle_round_trip_and_values():
    x = ag.tensor(rng.standard_normal((2, 8, 3, 4)), requires_grad=True)
    y = F.pixel_shuffle(x, 2)
    assert y.shape == (2, 2, 6, 8) and y.grad_fn.name() == "PixelShuffleBackward0"
    np.testing.assert_array_equal(y.detach().numpy(), ref_pixel_shuffle(x.detach().numpy(), 2))
    z = F.pixel_unshuffle(y, 2)
    assert z.grad_fn.name() == "PixelUnshuffleBackward0"
    np.testing.assert_array_equal(z.detach().numpy(), x.detach().numpy())
    assert F.pixel_shuffle(ag.zeros(3, 2, 8, 2, 2), 2).shape == (3, 2, 2, 4, 4)
    assert ag.gradgradcheck(lambda t: F.pixel_shuffle(t, 2), (x,))
    assert ag.gradgradcheck(lambda t: F.pixel_unshuffle(t, 2),
                            (ag.tensor(rng.standard_normal((1, 2, 4, 6)), requires_grad=True),))


ERRORS = [
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7)),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), size=4, scale_factor=2),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), scale_factor=2, mode="linear"),
    lambda: F.interpolate(ag.zeros(2, 3, 5), scale_factor=2, mode="bilinear"),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), scale_factor=2, align_corners=True),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), scale_factor=2, mode="foo"),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), size=(3, 4, 5)),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), scale_factor=(2, 2, 2)),
    lambda: F.interpolate(ag.zeros(5), size=3),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), size=(0, 4)),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), size=(4.0, 5)),
    lambda: F.interpolate(ag.zeros(2, 3, 5, 7), scale_factor=2, antialias=True),
    lambda: F.pixel_shuffle(ag.zeros(1, 3, 2, 2), 2),
    lambda: F.pixel_shuffle(ag.zeros(3, 2), 2),
    lambda: F.pixel_shuffle(ag.zeros(1, 4, 2, 2), 0),
    lambda: F.pixel_shuffle(ag.zeros(1, 4, 2, 2), 2.0),
    lambda: F.pixel_unshuffle(ag.zeros(1, 3, 3, 2), 2),
    lambda: F.pixel_unshuffle(ag.zeros(1, 3, 2, 3), 2),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_are_pytorchs(call):
    assert_same_error(call)


@pytest.mark.parametrize("call", ERRORS[:3] + ERRORS[12:13])
def test_errors_without_torch(call):
    with pytest.raises((ValueError, NotImplementedError, RuntimeError),
                       match="size or scale_factor|needs 3D input|divisible by the square"):
        call()


@pytest.mark.parametrize("shape,kw", CASES)
def test_against_pytorch(shape, kw):
    torch = pytest.importorskip("torch")
    for dt, tol in ((np.float64, 1e-12), (np.float32, 2e-6)):
        x = rng.standard_normal(shape).astype(dt)
        t, tt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, tout = F.interpolate(t, **kw), torch.nn.functional.interpolate(tt, **kw)
        up = rng.standard_normal(tuple(tout.shape)).astype(dt)
        out.backward(ag.tensor(up))
        tout.backward(torch.tensor(up))
        assert out.shape == tuple(tout.shape) and out.dtype == t.dtype
        assert out.grad_fn.name() == tout.grad_fn.name()
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=tol)
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), atol=10 * tol)


LAYERS = [
    lambda nn: nn.Upsample(scale_factor=2), lambda nn: nn.Upsample(size=(4, 5), mode="bilinear"),
    lambda nn: nn.Upsample(scale_factor=(1.5, 2), mode="bicubic", align_corners=True),
    lambda nn: nn.UpsamplingNearest2d(size=5), lambda nn: nn.UpsamplingBilinear2d(scale_factor=2),
    lambda nn: nn.PixelShuffle(2), lambda nn: nn.PixelUnshuffle(2),
]


@pytest.mark.parametrize("make", LAYERS)
def test_layers_against_pytorch(make):
    torch = pytest.importorskip("torch")
    m, tm = make(nn), make(torch.nn)
    assert repr(m) == repr(tm)
    for attr in ("scale_factor", "size", "mode", "align_corners", "upscale_factor",
                 "downscale_factor"):
        assert getattr(m, attr, None) == getattr(tm, attr, None)
    x = rng.standard_normal((2, 4, 4, 6)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(m(ag.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(),
                                   atol=2e-6)


def test_deprecated_upsample_functions_warn():
    x = ag.randn(1, 1, 2, 2)
    with pytest.warns(UserWarning, match="`nn.functional.upsample_bilinear` is deprecated"):
        y = F.upsample_bilinear(x, scale_factor=2)
    np.testing.assert_allclose(y.numpy(), F.interpolate(x, scale_factor=2, mode="bilinear",
                                                        align_corners=True).numpy())
    with pytest.warns(UserWarning, match="upsample_nearest"):
        assert F.upsample_nearest(x, size=3).shape == (1, 1, 3, 3)
    with pytest.warns(UserWarning, match="`nn.functional.upsample` is deprecated"):
        assert F.upsample(x, scale_factor=2).shape == (1, 1, 4, 4)
