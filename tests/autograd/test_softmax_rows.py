"""softmax along a contiguous last dim (the row path: attention's masked scores, a
classifier's few columns) and masked_fill's backward: values, gradients, layout and NaN
handling as PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag

rng = np.random.default_rng(11)

# (shape, dim): the row path (last dim, few or many columns, 2-D to 4-D) and the others
_CASES = [((4, 8, 8), -1), ((64, 10), 1), ((40, 32), -1), ((3, 100), 1), ((2, 3, 4, 5), 3),
          ((4, 8, 8), 1), ((5,), 0), ((), 0)]


def _masked_scores(shape, dtype):
    """Scores with a causal -inf mask on the last two dims (and one fully masked row)."""
    x = rng.standard_normal(shape).astype(dtype) * 3
    if len(shape) >= 2:
        x[..., np.triu_indices(shape[-2], 1, shape[-1])[0],
          np.triu_indices(shape[-2], 1, shape[-1])[1]] = -np.inf
        x.reshape(-1, shape[-1])[0] = -np.inf
    return x


def _softmax_grads(lib, x, up, dim):
    t = lib.tensor(x, requires_grad=True)
    out = t.softmax(dim)
    out.backward(lib.tensor(up))
    return out, t.grad.numpy()


@pytest.mark.parametrize("shape,dim", _CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_against_pytorch(shape, dim, dtype):
    torch = pytest.importorskip("torch")
    x = _masked_scores(shape, dtype)
    up = rng.standard_normal(shape).astype(dtype)
    out, gx = _softmax_grads(ag, x, up, dim)
    tout, tgx = _softmax_grads(torch, x, up, dim)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
    np.testing.assert_allclose(gx, tgx, **tol)   # (NaN where PyTorch has NaN)
    assert out.dtype == ag.float32 if dtype == np.float32 else ag.float64
    assert out.is_contiguous() == tout.is_contiguous() and out.stride() == tout.stride()


def test_softmax_result_is_contiguous_and_views():
    """A classifier's softmax (few columns) and attention's are C-contiguous, as PyTorch's:
    .view works on them."""
    for shape in [(64, 10), (16, 32, 32)]:
        x = ag.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        p = x.softmax(-1)
        assert p.is_contiguous()
        flat = p.view(-1)
        expect = np.exp(x.detach().numpy().astype(np.float64))
        expect /= expect.sum(-1, keepdims=True)
        np.testing.assert_allclose(flat.detach().numpy(), expect.ravel(), rtol=1e-5)
        up = rng.standard_normal(flat.numel()).astype(np.float32)
        (flat * ag.tensor(up)).sum().backward()
        s = expect * up.reshape(shape)
        np.testing.assert_allclose(x.grad.numpy(), s - expect * s.sum(-1, keepdims=True) /
                                   expect.sum(-1, keepdims=True), rtol=1e-4, atol=1e-4)


def test_masked_fill_backward_zeroes_the_filled_places_even_for_nan():
    """The gradient of masked_fill's input is 0 where the mask is set, also where the
    upstream gradient is NaN or inf (never multiplied in), and passes unchanged elsewhere;
    the mask broadcasts."""
    x = ag.tensor(rng.standard_normal((2, 3, 3)).astype(np.float32), requires_grad=True)
    mask = ag.tensor(np.triu(np.ones((3, 3), bool), 1))
    up = rng.standard_normal((2, 3, 3)).astype(np.float32)
    up[:, 0, 2], up[:, 1, 2] = np.nan, np.inf
    x.masked_fill(mask, float("-inf")).backward(ag.tensor(up))
    expect = np.where(np.triu(np.ones((3, 3), bool), 1), 0, up)
    np.testing.assert_array_equal(x.grad.numpy(), expect)
    assert x.grad.dtype == ag.float32


def test_masked_fill_backward_against_pytorch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 5, 5)).astype(np.float32)
    mask = rng.random((5, 5)) < 0.5
    up = rng.standard_normal((4, 5, 5)).astype(np.float32)
    up[0, mask] = np.nan
    grads = []
    for lib in (ag, torch):
        t = lib.tensor(x, requires_grad=True)
        (t.masked_fill(lib.tensor(mask), 0.5) * 2).backward(lib.tensor(up))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(*grads)


def test_log_softmax_of_few_classes_is_contiguous():
    # (it was the transpose of a (C, N) array: .view failed where PyTorch's works)
    x = ag.randn(64, 10, requires_grad=True)
    y = x.log_softmax(1)
    assert y.is_contiguous() and y.view(-1).shape == (640,)
    y.view(-1)[::7].sum().backward()
    p = np.exp(y.detach().numpy())
    g = np.zeros((64, 10), np.float32)
    g.reshape(-1)[::7] = 1
    np.testing.assert_allclose(x.grad.numpy(), g - p * g.sum(1, keepdims=True), atol=1e-6)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("rows", [1, 40])         # (40 rows of 3: the transposed-copy max)
@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_a_row_with_inf_or_nan_or_all_minus_inf_is_nan_without_warnings(fn, rows, layout):
    """PyTorch subtracts the row's own max: inf - inf makes a row holding inf (or NaN, or
    only -inf) all NaN; a row with some -inf is finite. (It gave finite values beside the
    inf, and numpy's 'invalid value' warning.)"""
    inf, nan = np.inf, np.nan
    cases = {(1.0, inf, 2.0): None, (inf, inf, 1.0): None, (-inf, -inf, -inf): None,
             (1.0, nan, 2.0): None, (1.0, -inf, 2.0): "finite"}
    for row, kind in cases.items():
        x = np.array([row] * rows, np.float32)
        dim = 1
        if layout == "columns":
            x, dim = np.ascontiguousarray(x.T), 0
        with np.errstate(all="raise"), warnings.catch_warnings():
            warnings.simplefilter("error")
            out = getattr(ag.tensor(x), fn)(dim).numpy()
        if kind is None:
            assert np.isnan(out).all(), (row, out)
        else:
            p = np.array([np.exp(-1) / (1 + np.exp(-1)), 0, 1 / (1 + np.exp(-1))], np.float32)
            expect = p if fn == "softmax" else np.log(p)
            expect = np.broadcast_to(expect, (rows, 3))
            np.testing.assert_allclose(out if layout == "rows" else out.T, expect, rtol=1e-6)
