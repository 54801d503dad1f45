"""affine_grid and grid_sample (4-D and 5-D) against PyTorch: values and the gradients of
the input, the grid and theta in float64 (positions outside the image and exactly on pixel
centres), float32, warnings and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from tests.autograd.op_db.nn_vision_ops import ref_grid_sample, to_grid

from .torch_twin import assert_same_error, both_ways

rng = np.random.default_rng(11)
MODES = [(m, p) for m in ("bilinear", "nearest", "bicubic")
         for p in ("zeros", "border", "reflection")]


def _random_grid(n, out, spatial, align_corners, on_pixels):
    """Positions in and around the image; `on_pixels`: exactly on pixel centres."""
    if not on_pixels:
        return rng.uniform(-1.7, 1.7, (n, *out, len(spatial)))
    positions = [rng.integers(-2, size + 2, (n, *out)).astype(float) for size in spatial]
    return to_grid(positions, spatial, align_corners)


SHAPES = [  # input shape, output's spatial shape
    ((2, 3, 4, 5), (3, 4)), ((1, 2, 1, 3), (2, 2)), ((2, 1, 3, 1), (2, 3)),
    ((2, 2, 3, 4, 2), (2, 3, 2)), ((1, 1, 1, 2, 3), (2, 1, 2)),
]


@pytest.mark.parametrize("mode,padding_mode", MODES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("on_pixels", [False, True])
def test_grid_sample_values_and_both_gradients_match_pytorch(mode, padding_mode, align_corners,
                                                             on_pixels):
    torch = pytest.importorskip("torch")
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    for shape, out_shape in SHAPES:
        if mode == "bicubic" and len(shape) == 5:
            continue   # (4-D only, as in PyTorch)
        x = rng.standard_normal(shape)
        g = _random_grid(shape[0], out_shape, shape[2:], align_corners, on_pixels)
        out, tout, (ax, agr), (tx, tgr) = both_ways(
            lambda a, b: F.grid_sample(a, b, **kw),
            lambda a, b: torch.nn.functional.grid_sample(a, b, **kw), [x, g], rng)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(agr.grad.numpy(), tgr.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(out.detach().numpy(), ref_grid_sample(x, g, **kw),
                                   atol=1e-12)


@pytest.mark.parametrize("mode,padding_mode", MODES)
def test_grid_sample_float32_matches_pytorch(mode, padding_mode):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    g = rng.uniform(-1.2, 1.2, (2, 5, 4, 2)).astype(np.float32)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=False)
    out, tout, (ax, agr), (tx, tgr) = both_ways(
        lambda a, b: F.grid_sample(a, b, **kw),
        lambda a, b: torch.nn.functional.grid_sample(a, b, **kw), [x, g], rng)
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(agr.grad.numpy(), tgr.grad.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 2, 3, 4, 5)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_and_theta_gradient_match_pytorch(size, align_corners):
    torch = pytest.importorskip("torch")
    nd = len(size) - 2
    theta = rng.standard_normal((2, nd, nd + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # unit-size grids with align_corners=True
        out, tout, (at,), (tt,) = both_ways(
            lambda t: F.affine_grid(t, size, align_corners=align_corners),
            lambda t: torch.nn.functional.affine_grid(t, size, align_corners=align_corners),
            [theta], rng)
    assert out.shape == tout.shape
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(at.grad.numpy(), tt.grad.numpy(), atol=1e-12)


def test_spatial_transformer_step_matches_pytorch():
    """The STN tutorial's transform: affine_grid then grid_sample, gradients into theta."""
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 1, 8, 8)).astype(np.float32)
    theta = (np.array([[1, 0, 0], [0, 1, 0]]) + 0.3 * rng.standard_normal((3, 2, 3))
             ).astype(np.float32)

    def stn(F, x, t):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return F.grid_sample(x, F.affine_grid(t, x.size()))

    out, tout, (ax, at), (tx, tt) = both_ways(
        lambda a, t: stn(F, a, t), lambda a, t: stn(torch.nn.functional, a, t), [x, theta], rng)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(at.grad.numpy(), tt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_second_order_gradients_through_the_grid():
    x = ag.tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    g = ag.tensor(rng.uniform(-0.9, 0.9, (1, 2, 2, 2)), requires_grad=True)
    assert ag.gradgradcheck(lambda a, b: F.grid_sample(a, b, align_corners=True), (x, g))


def test_nearest_gives_a_zero_grid_gradient():
    g = ag.tensor(rng.uniform(-1, 1, (1, 2, 2, 2)), requires_grad=True)
    x = ag.ones(1, 1, 3, 3, dtype=ag.float64)
    F.grid_sample(x, g, mode="nearest", align_corners=False).sum().backward()
    assert g.grad is not None and not g.grad.numpy().any()


def test_default_align_corners_warns_as_pytorch():
    x, g = ag.zeros(1, 1, 2, 2), ag.zeros(1, 1, 1, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, g)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(ag.zeros(1, 2, 3), (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(ag.zeros(1, 2, 3), (1, 1, 1, 2), align_corners=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(x, g, align_corners=False)


@pytest.mark.parametrize("call", [
    lambda: F.grid_sample(ag.zeros(2, 3, 4, 5), ag.zeros(2, 3, 3, 3), align_corners=False),
    lambda: F.grid_sample(ag.zeros(2, 3, 4, 5), ag.zeros(3, 3, 3, 2), align_corners=False),
    lambda: F.grid_sample(ag.zeros(2, 3, 4, 5), ag.zeros(2, 3, 2), align_corners=False),
    lambda: F.grid_sample(ag.zeros(3, 4, 5), ag.zeros(2, 3, 3, 2), align_corners=False),
    lambda: F.grid_sample(ag.zeros(2, 4, 5), ag.zeros(2, 3, 1), align_corners=False),
    lambda: F.grid_sample(ag.zeros(2, 3, 4, 5, 6), ag.zeros(2, 3, 3, 3), align_corners=False),
    lambda: F.grid_sample(ag.zeros(2, 3, 4, 5, 6), ag.zeros(2, 3, 3, 1, 2), align_corners=False),
    lambda: F.grid_sample(ag.zeros(1, 1, 2, 2, 2), ag.zeros(1, 1, 1, 1, 3), mode="bicubic",
                          align_corners=False),
    lambda: F.grid_sample(ag.zeros(2, 3, 0, 5), ag.zeros(2, 3, 3, 2), align_corners=False),
    lambda: F.grid_sample(ag.zeros(1, 1, 2, 2), ag.zeros(1, 1, 1, 2), mode="cubic"),
    lambda: F.grid_sample(ag.zeros(1, 1, 2, 2), ag.zeros(1, 1, 1, 2), padding_mode="wrap"),
    lambda: F.affine_grid(ag.zeros(2, 3, 3), (2, 3, 4, 5), align_corners=False),
    lambda: F.affine_grid(ag.zeros(2, 2, 3), (2, 3, 4, 5, 6), align_corners=False),
    lambda: F.affine_grid(ag.zeros(2, 2, 3), (2, 3, 4), align_corners=False),
    lambda: F.affine_grid(ag.zeros(2, 2, 3, dtype=ag.int64), (2, 3, 4, 5), align_corners=False),
    lambda: F.affine_grid(ag.zeros(2, 2, 3), (2, 3, 0, 5), align_corners=False),
])
def test_bad_arguments_raise_pytorchs_errors(call):
    assert_same_error(call)


def test_bad_arguments_pytorch_words_poorly_are_named_clearly():
    with pytest.raises(RuntimeError, match=r"input is autograd.float32, grid is autograd.float64"):
        F.grid_sample(ag.zeros(1, 1, 2, 2), ag.zeros(1, 1, 1, 2, dtype=ag.float64),
                      align_corners=False)
    with pytest.raises(RuntimeError, match=r"theta holds 3 matrices but size asks for a batch "
                                           r"of 2"):
        F.affine_grid(ag.zeros(3, 2, 3), (2, 3, 4, 5), align_corners=False)
    with pytest.raises(TypeError, match="argument 'theta'"):
        F.affine_grid([[1, 0, 0], [0, 1, 0]], (1, 1, 2, 2), align_corners=False)


@pytest.mark.parametrize("size", [(1, 2, 3, 4), (1, 1, 2, 3, 2)])
def test_each_call_is_one_node_named_as_pytorchs(size):
    torch = pytest.importorskip("torch")
    nd = len(size) - 2
    theta0 = rng.standard_normal((1, nd, nd + 1))
    x0 = rng.standard_normal(size)
    names, grads = [], []
    for lib, fn in ((ag, F), (torch, torch.nn.functional)):
        theta = lib.tensor(theta0, requires_grad=True)
        x = lib.tensor(x0, requires_grad=True)
        grid = fn.affine_grid(theta, size, align_corners=False)
        out = fn.grid_sample(x, grid, align_corners=False)
        names.append((type(grid.grad_fn).__name__, type(out.grad_fn).__name__,
                      [type(f).__name__ for f, _ in out.grad_fn.next_functions]))
        out.backward(lib.ones_like(out))
        grads.append((x.grad.numpy(), theta.grad.numpy()))
    assert names[0] == names[1]
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_one_node_backward_records_nothing_without_create_graph():
    x = ag.randn(1, 1, 3, 3, requires_grad=True, dtype=ag.float64)
    grid = ag.rand(1, 2, 2, 2, requires_grad=True, dtype=ag.float64)
    gx, gg = ag.grad(F.grid_sample(x, grid, align_corners=True).sum(), (x, grid))
    assert not gx.requires_grad and not gg.requires_grad
    gx2, gg2 = ag.grad(F.grid_sample(x, grid, align_corners=True).sum(), (x, grid),
                       create_graph=True)
    assert gg2.requires_grad
    np.testing.assert_array_equal(gx.numpy(), gx2.detach().numpy())
    np.testing.assert_array_equal(gg.numpy(), gg2.detach().numpy())
