"""nn.utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def _params(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(ag.zeros(*np.shape(g)))
        p.grad = ag.tensor(np.asarray(g, dtype=np.float32))
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_to_max_norm():
    ps = _params([[2.0] * 3, [[2.0, 2.0], [2.0, 2.0]]])
    total = clip_grad_norm_(ps, 1.0)
    assert isinstance(total, ag.Tensor) and total.item() == pytest.approx(math.sqrt(28), 1e-6)
    new = math.sqrt(sum(float((p.grad ** 2).sum()) for p in ps))
    assert new == pytest.approx(1.0, rel=1e-5)
    # already small: untouched
    ps = _params([[0.1, 0.2]])
    clip_grad_norm_(ps, 5.0)
    np.testing.assert_allclose(ps[0].grad.numpy(), [0.1, 0.2], rtol=1e-6)


def test_clip_grad_norm_inf_and_other_orders_and_none_grads():
    ps = _params([[1.0, -4.0], [3.0]])
    ps.append(nn.Parameter(ag.zeros(2)))  # grad None: skipped
    total = clip_grad_norm_(ps, 2.0, norm_type="inf")
    assert total.item() == 4.0
    np.testing.assert_allclose(ps[0].grad.numpy(), np.array([1.0, -4.0]) * 2 / (4 + 1e-6),
                               rtol=1e-6)
    ps = _params([[1.0, -2.0], [2.0]])
    assert clip_grad_norm_(ps, 100.0, norm_type=1).item() == pytest.approx(5.0)
    assert clip_grad_norm_(nn.Linear(2, 2).parameters(), 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    ps = _params([[float("inf"), 1.0]])
    with pytest.raises(RuntimeError, match=r"The total norm of order 2.0 for gradients from "
                       r"`parameters` is non-finite, so it cannot be clipped"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert not math.isfinite(clip_grad_norm_(ps, 1.0).item())


def test_clip_grad_value():
    ps = _params([[-3.0, 0.5, 2.0]])
    assert clip_grad_value_(ps, 1.0) is None
    assert ps[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_vector_roundtrip():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    v = parameters_to_vector(m.parameters())
    assert v.shape == (3 * 2 + 2 + 2 + 1,)
    np.testing.assert_array_equal(v.detach().numpy()[:6], m[0].weight.detach().numpy().ravel())
    w = m[0].weight
    vector_to_parameters(ag.arange(11, dtype=ag.float32), m.parameters())
    assert m[0].weight is w
    assert m[0].weight.detach().numpy().ravel().tolist() == [0, 1, 2, 3, 4, 5]
    assert m[1].bias.tolist() == [10.0]
    with pytest.raises(RuntimeError, match="11 values"):
        vector_to_parameters(ag.zeros(5), m.parameters())


def test_total_norm_of_float32_gradients_is_accurate():
    """The 2-norm of float32 tensors (dot products of chunks, summed in float64): the
    float64 norm, rounded to float32, also for a tensor larger than one chunk."""
    from nn.utils import get_total_norm
    r = np.random.default_rng(1)
    arrays = [(r.standard_normal(s) * 10 + 3).astype(np.float32)
              for s in [(384, 128), (128,), (300, 700), (3,), ()]]
    exact = np.sqrt(sum((a.astype(np.float64) ** 2).sum() for a in arrays))
    total = get_total_norm([ag.tensor(a) for a in arrays])
    assert total.dtype == ag.float32
    assert abs(total.item() - exact) <= 1e-6 * exact
