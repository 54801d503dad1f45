"""One generic test over the op registry (tests/autograd/op_db): for every op,
forward against its numpy reference, gradcheck, a vector-Jacobian product with a random
upstream gradient against finite differences, and gradgradcheck, all in float64 on
hypothesis-drawn inputs (broadcasting shapes, 0-d and size-0 tensors)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import autograd as ag
from autograd.gradcheck import _numerical_jacobians

from .op_db import OPS

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _inputs(sample, dtype=np.float64, requires_grad=True):
    """Tensors for the array args (copies: the originals check for mutation)."""
    diff = sample.diff
    tensors, flags = [], []
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            is_float = a.dtype.kind == "f"
            t = ag.tensor(a.astype(dtype) if is_float else a.copy())
            rg = requires_grad and is_float and (diff is None or diff[i])
            if rg:
                t.requires_grad_()
            tensors.append(t)
            flags.append(rg)
        else:
            tensors.append(a)
            flags.append(False)
    return tensors, flags


def _call(op, sample, tensors):
    return op.fn(*tensors, **sample.kwargs)


@pytest.mark.parametrize("op", OPS, ids=str)
@settings(max_examples=15, **SETTINGS)
@given(data=hs.data())
def test_forward_matches_reference(op, data):
    sample = data.draw(op.sample)
    tensors, _ = _inputs(sample, requires_grad=False)
    out = _call(op, sample, tensors)
    assert isinstance(out, ag.Tensor)
    if op.ref is not None:
        expect = np.asarray(op.ref(*sample.args, **sample.kwargs))
        assert out.shape == expect.shape, f"{op.name}: shape {out.shape} != {expect.shape}"
        np.testing.assert_allclose(out.numpy(), expect, atol=op.ref_atol, rtol=1e-6)
    # float32 in, float32 out, same values to float32 precision
    t32, _ = _inputs(sample, dtype=np.float32, requires_grad=False)
    out32 = _call(op, sample, t32)
    if op.keeps_dtype and any(isinstance(a, np.ndarray) and a.dtype.kind == "f"
                              for a in sample.args):
        assert out32.dtype == ag.float32, f"{op.name}: float32 inputs gave {out32.dtype}"
    np.testing.assert_allclose(out32.numpy().astype(np.float64), out.numpy(), atol=1e-3,
                               rtol=1e-3)


@pytest.mark.parametrize("op", [o for o in OPS if o.differentiable], ids=str)
@settings(max_examples=8, **SETTINGS)
@given(data=hs.data())
def test_gradcheck(op, data):
    sample = data.draw(op.sample)
    tensors, flags = _inputs(sample)
    if not any(flags):
        return
    before = [t.detach().numpy().copy() if isinstance(t, ag.Tensor) else None for t in tensors]
    assert ag.gradcheck(lambda *ts: _call(op, sample, ts), tuple(tensors), atol=op.atol,
                        rtol=op.rtol, eps=op.eps)
    for t, b in zip(tensors, before):
        if b is not None:
            np.testing.assert_array_equal(t.detach().numpy(), b, "an input was mutated")


@pytest.mark.parametrize("op", [o for o in OPS if o.differentiable], ids=str)
@settings(max_examples=8, **SETTINGS)
@given(data=hs.data(), seed=hs.integers(0, 2 ** 32 - 1))
def test_vjp_with_random_upstream_gradient(op, data, seed):
    sample = data.draw(op.sample)
    tensors, flags = _inputs(sample)
    diff = [i for i, f in enumerate(flags) if f]
    if not diff:
        return
    out = _call(op, sample, tensors)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(out.shape) + 0.5   # never all ones
    v_t = ag.tensor(v)
    grads = ag.grad(out, [tensors[i] for i in diff], v_t, allow_unused=True)
    np.testing.assert_array_equal(v_t.numpy(), v, "the upstream gradient was mutated")
    jac = _numerical_jacobians(lambda *ts: _call(op, sample, ts), tuple(tensors), diff, op.eps)[0]
    for k, (i, g) in enumerate(zip(diff, grads)):
        expect = (jac[k] @ v.reshape(-1)).reshape(tensors[i].shape)
        got = np.zeros(tensors[i].shape) if g is None else g.numpy()
        if g is not None:
            assert g.dtype == tensors[i].dtype and g.shape == tensors[i].shape
        np.testing.assert_allclose(got, expect, atol=op.atol * 10, rtol=op.rtol,
                                   err_msg=f"{op.name}: VJP for input {i}")


@pytest.mark.parametrize("op", [o for o in OPS if o.differentiable and o.gradgrad], ids=str)
@settings(max_examples=5, **SETTINGS)
@given(data=hs.data())
def test_gradgradcheck(op, data):
    sample = data.draw(op.sample)
    tensors, flags = _inputs(sample)
    if not any(flags):
        return
    assert ag.gradgradcheck(lambda *ts: _call(op, sample, ts), tuple(tensors), atol=op.atol,
                            rtol=op.rtol, eps=op.eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_on_large_arrays_matches_maximum(dtype):
    """relu of a large contiguous array runs against cached zeros (numpy's vectorized
    loop): the values are np.maximum's, NaN and infinities included, for contiguous and
    strided inputs, and the result is the caller's own writeable array."""
    x = np.random.default_rng(0).standard_normal((64, 40)).astype(dtype)
    x[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    t = ag.tensor(x, requires_grad=True)
    y = t.relu().detach().numpy()
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert y.dtype == dtype and y.flags.writeable
    y[:] = 5   # must not touch the cached zeros
    np.testing.assert_array_equal(ag.tensor(x).relu().numpy(), np.maximum(x, 0))
    np.testing.assert_array_equal(ag.tensor(x).T.relu().numpy(), np.maximum(x.T, 0))
    assert y.base is None
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    t.relu().backward(ag.tensor(g))
    np.testing.assert_array_equal(t.grad.numpy(), g * ~(np.maximum(x, 0) <= 0))  # NaN passes
