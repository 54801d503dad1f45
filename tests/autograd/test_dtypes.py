"""PyTorch's dtype rules (reference §2), which differ from numpy's."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


@pytest.mark.parametrize("make, expected", [
    (lambda: ag.tensor([1, 2]), ag.int64),
    (lambda: ag.arange(3), ag.int64),
    (lambda: ag.randint(0, 5, (3,)), ag.int64),
    (lambda: ag.tensor([1., 2]), ag.float32),
    (lambda: ag.zeros(2), ag.float32),
    (lambda: ag.randn(2), ag.float32),
    (lambda: ag.arange(3.), ag.float32),
    (lambda: ag.Tensor([1, 2]), ag.float32),                    # the class: always floating
    (lambda: ag.tensor([True]), ag.bool),
    (lambda: ag.tensor(np.array([1., 2.])), ag.float64),        # numpy keeps its dtype
    (lambda: ag.from_numpy(np.array([1., 2.])), ag.float64),
    (lambda: ag.full((2,), 7), ag.int64),
    (lambda: ag.full((2,), 7.), ag.float32),
])
def test_creation_dtypes(make, expected):
    assert make().dtype == expected


def i64(*v):
    return ag.tensor(list(v) or [1, 2])


@pytest.mark.parametrize("expr, expected", [
    (lambda: i64() + 1.5, ag.float32),                 # numpy would give float64
    (lambda: i64() / 2, ag.float32),
    (lambda: i64().sqrt(), ag.float32),
    (lambda: i64() + 1, ag.int64),
    (lambda: i64() // 2, ag.int64),
    (lambda: ag.tensor([1, 2], dtype=ag.int32) + i64(), ag.int64),
    (lambda: ag.tensor([1, 2], dtype=ag.int32) + ag.tensor(3), ag.int32),   # 0-d loses
    (lambda: ag.ones(2) + ag.ones(2, dtype=ag.float64), ag.float64),
    (lambda: ag.ones(2) + ag.tensor(1., dtype=ag.float64), ag.float32),
    (lambda: ag.ones(2) + 1.5, ag.float32),
    (lambda: ag.ones(2) + np.float64(1.5), ag.float32),                     # numpy: float64
    (lambda: ag.ones(2, dtype=ag.float16) + ag.tensor(1.), ag.float16),
    (lambda: i64() + ag.tensor(1.), ag.float32),          # 0-d of a higher category wins
    (lambda: i64() + ag.tensor(1., dtype=ag.float64), ag.float64),
    (lambda: ag.tensor(1., dtype=ag.float64) + ag.tensor(1.), ag.float64),  # all 0-d
    (lambda: ag.tensor([True]) + ag.tensor([True]), ag.bool),
    (lambda: ag.tensor([True]) + 1, ag.int64),
    (lambda: ag.ones(2) > 0, ag.bool),
    (lambda: ag.tensor([1, 2], dtype=ag.int32).sum(), ag.int64),
    (lambda: ag.tensor([True, False]).sum(), ag.int64),
    (lambda: ag.ones(2) * ag.tensor([True, False]), ag.float32),
])
def test_promotion(expr, expected):
    assert expr().dtype == expected


def test_python_scalar_never_upcasts_float32_and_grads_keep_input_dtype():
    x = ag.ones(3, requires_grad=True)
    y = (x * 2.5 + np.float64(1.0)) / 3
    assert y.dtype == ag.float32
    y.sum().backward()
    assert x.grad.dtype == ag.float32
    d = ag.ones(3, dtype=ag.float64, requires_grad=True)
    f = ag.ones(3, requires_grad=True)
    (d * f).sum().backward()                # mixed: computed in float64, cast back
    assert d.grad.dtype == ag.float64 and f.grad.dtype == ag.float32


def test_inplace_cannot_change_dtype_category():
    t = ag.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        t.add_(1.5)


def test_mean_of_int_tensor_is_an_error():
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        ag.tensor([1, 2]).mean()


def test_default_dtype_can_be_changed():
    try:
        ag.set_default_dtype(ag.float64)
        assert ag.tensor([1.]).dtype == ag.float64
        assert ag.ones(2).dtype == ag.float64
        assert (i64() + 1.5).dtype == ag.float64
    finally:
        ag.set_default_dtype(ag.float32)
    with pytest.raises(TypeError, match="only floating-point types"):
        ag.set_default_dtype(ag.int64)


def test_conversions():
    t = ag.tensor([1.5, 2.5])
    assert t.double().dtype == ag.float64 and t.long().dtype == ag.int64
    assert t.to(ag.float16).dtype == ag.float16 and t.int().tolist() == [1, 2]
    assert t.to(ag.zeros(1, dtype=ag.float64)).dtype == ag.float64
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        ag.ones(2, requires_grad=True).numpy()
    assert ag.ones(2, requires_grad=True).detach().numpy().dtype == np.float32
    assert ag.tensor(3.5).item() == 3.5 and ag.tensor([[1, 2]]).tolist() == [[1, 2]]
