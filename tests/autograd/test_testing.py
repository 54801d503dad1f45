"""autograd.testing: assert_close (PyTorch's tolerances and message) and the hypothesis
strategies users and the op registry build property tests with."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import assert_close
from autograd.testing import strategies as st

SETTINGS = settings(max_examples=30, deadline=None)


# -- assert_close -----------------------------------------------------------------------------

def test_default_tolerances_follow_dtype():
    a32 = ag.tensor([1.0, 2.0])
    assert_close(a32, ag.tensor([1.0 + 1e-6, 2.0]))  # within float32's rtol 1.3e-6 / atol 1e-5
    with pytest.raises(AssertionError):
        assert_close(a32, ag.tensor([1.0 + 1e-4, 2.0]))
    a64 = ag.tensor([1.0, 2.0], dtype=ag.float64)
    with pytest.raises(AssertionError):  # float64 is much stricter (1e-7, 1e-7)
        assert_close(a64, ag.tensor([1.0 + 1e-6, 2.0], dtype=ag.float64))
    assert_close(a64, ag.tensor([1.0 + 1e-8, 2.0], dtype=ag.float64))
    with pytest.raises(AssertionError):  # integers must match exactly
        assert_close(ag.tensor([1, 2]), ag.tensor([1, 3]))
    assert_close(ag.tensor([1, 2]), ag.tensor([1, 2]))


def test_explicit_tolerances_and_arrays():
    assert_close(ag.tensor([1.0]), ag.tensor([1.1]), rtol=0.0, atol=0.2)
    assert_close(np.array([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match="both rtol and atol"):
        assert_close(ag.tensor([1.0]), ag.tensor([1.0]), rtol=0.1)


def test_message_counts_and_locates_the_worst_differences():
    actual = ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=ag.float64)
    expected = ag.tensor([[1.0, 2.5, 3.0], [4.0, 5.0, 0.1]], dtype=ag.float64)
    with pytest.raises(AssertionError) as err:
        assert_close(actual, expected)
    msg = str(err.value)
    assert msg.startswith("Tensor-likes are not close!")
    assert "Mismatched elements: 2 / 6 (33.3%)" in msg
    m = re.search(r"Greatest absolute difference: ([\d.]+) at index \((\d), (\d)\)", msg)
    assert m and float(m.group(1)) == pytest.approx(5.9) and m.group(2, 3) == ("1", "2")
    m = re.search(r"Greatest relative difference: ([\d.]+) at index \((\d), (\d)\)", msg)
    assert m and float(m.group(1)) == pytest.approx(59.0) and m.group(2, 3) == ("1", "2")
    with pytest.raises(AssertionError, match="^my context\nTensor-likes"):
        assert_close(actual, expected, msg="my context")


def test_shape_dtype_nan_and_inf():
    with pytest.raises(AssertionError, match="shape"):
        assert_close(ag.zeros(2), ag.zeros(3))
    with pytest.raises(AssertionError, match="dtype"):
        assert_close(ag.zeros(2), ag.zeros(2, dtype=ag.float64))
    assert_close(ag.zeros(2), ag.zeros(2, dtype=ag.float64), check_dtype=False)
    nan = ag.tensor([float("nan"), 1.0])
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        assert_close(nan, nan)
    assert_close(nan, nan, equal_nan=True)
    inf = ag.tensor([float("inf"), -float("inf")])
    assert_close(inf, inf)
    with pytest.raises(AssertionError):
        assert_close(inf, -inf)
    assert_close(ag.tensor(1.0), ag.tensor(1.0))  # 0-d
    with pytest.raises(AssertionError, match="at index \\(\\)"):
        assert_close(ag.tensor(1.0), ag.tensor(2.0))


# -- strategies -------------------------------------------------------------------------------

@SETTINGS
@given(st.tensors(shape=(2, 3), dtype=ag.float32, low=-1.0, high=1.0))
def test_tensors_with_fixed_shape_and_dtype(t):
    assert isinstance(t, ag.Tensor) and t.shape == (2, 3) and t.dtype == ag.float32
    assert np.all(np.abs(t.numpy()) <= 1.0) and np.all(np.isfinite(t.numpy()))
    assert not t.requires_grad


@SETTINGS
@given(st.tensors(shape=st.shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
                  elements=hs.floats(0.5, 2.0), requires_grad=True))
def test_tensors_with_shape_strategy_and_elements(t):
    assert 1 <= t.ndim <= 3 and all(1 <= s <= 3 for s in t.shape)
    assert t.dtype == ag.float64 and t.requires_grad and t.is_leaf
    assert np.all((t.detach().numpy() >= 0.5) & (t.detach().numpy() <= 2.0))


@SETTINGS
@given(st.tensors(dtype=ag.int64, low=-2, high=2), st.tensors(dtype=ag.bool))
def test_tensors_int_and_bool(i, b):
    assert i.dtype == ag.int64 and np.all(np.abs(i.numpy()) <= 2)
    assert b.dtype == ag.bool


@SETTINGS
@given(st.broadcastable_shapes(3, min_dims=0, max_dims=3, min_side=1))
def test_broadcastable_shapes_broadcast(shapes):
    assert len(shapes) == 3
    target = np.broadcast_shapes(*shapes)
    arrays = [np.zeros(s) for s in shapes]
    assert np.broadcast(*arrays).shape == target
    assert tuple(ag.broadcast_shapes(*shapes)) == target


@SETTINGS
@given(hs.integers(0, 4).flatmap(lambda n: hs.tuples(hs.just(n), st.valid_dims(n))))
def test_valid_dims_are_accepted_by_sum(nd):
    ndim, dim = nd
    x = ag.ones(*([2] * ndim)) if ndim else ag.tensor(1.0)
    if dim is None:
        return
    if isinstance(dim, tuple):
        canon = [d % max(ndim, 1) for d in dim]
        assert len(set(canon)) == len(canon)  # distinct after wrapping negatives
        assert all(-ndim <= d < ndim for d in dim)
    else:
        assert -max(ndim, 1) <= dim < max(ndim, 1)
    x.sum(dim)  # the dim is valid for the op: no error


@SETTINGS
@given(st.valid_dims(3, allow_none=False, allow_tuple=False, allow_negative=False))
def test_valid_dims_options(dim):
    assert isinstance(dim, int) and 0 <= dim < 3


@SETTINGS
@given(st.arrays((3,), ag.float64, low=-1.0, high=1.0))
def test_arrays(a):
    assert isinstance(a, np.ndarray) and a.shape == (3,) and a.dtype == np.float64
    assert np.all(np.abs(a) <= 1.0)
