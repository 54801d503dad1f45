"""Tensor.as_strided / autograd.as_strided / as_strided_: views of the storage by sizes,
strides and offset (registry entries: op_db/shape.py)."""

import numpy as np
import pytest

import autograd as ag

CASES = [   # (how the input is made from arange(12) viewed (3, 4), size, stride, offset)
    (lambda x: x, (3, 2), (1, 1), 1),
    (lambda x: x, (2, 2), (0, 3), None),
    (lambda x: x[1:], (2, 3), (2, 1), None),      # default offset: where the input starts
    (lambda x: x[1:], (4,), (1,), 0),             # reads storage the input does not hold
    (lambda x: x.t(), (2, 2), (1, 4), 2),
    (lambda x: x[0].expand(2, 4), (5,), (1,), 0),  # an input that overlaps itself
    (lambda x: x, (), (), 5),
    (lambda x: x, (0, 3), (1, 1), 100),           # empty: no bounds check
]


@pytest.mark.parametrize("make, size, stride, offset", CASES)
def test_values_and_gradients_match_pytorch(make, size, stride, offset):
    torch = pytest.importorskip("torch")
    up = np.random.default_rng(0).standard_normal(
        (0, 3) if 0 in size else size)
    grads, outs = [], []
    for lib in (ag, torch):
        x = lib.arange(12.0, dtype=lib.float64).reshape(3, 4).requires_grad_()
        out = make(x).as_strided(size, stride, offset)
        assert type(out.grad_fn).__name__ == "AsStridedBackward0"
        assert out.stride() == stride and tuple(out.shape) == size
        if out.numel():
            assert out.storage_offset() == make(x).storage_offset() if offset is None \
                else out.storage_offset() == offset
        out.backward(lib.tensor(up))
        outs.append(out.detach().numpy())
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_allclose(grads[0], grads[1])


ERRORS = [
    (((3, 3), (2, 1)), RuntimeError),
    (((3, 3), (2, 1), 7), RuntimeError),
    (((3,), (1,), -1), RuntimeError),
    (((3,), (-1,)), RuntimeError),
    (((3, -1), (1, 1)), RuntimeError),
    (((3,), (1, 1)), RuntimeError),
    (((3,), (1,), 0.5), TypeError),
    ((3, 1), TypeError),
]


@pytest.mark.parametrize("args, kind", ERRORS)
def test_errors_match_pytorch(args, kind):
    torch = pytest.importorskip("torch")
    msgs = []
    for lib in (ag, torch):
        with pytest.raises(kind) as e:
            lib.arange(6.0).as_strided(*args)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_out_of_bounds_names_the_sizes_and_storage():
    with pytest.raises(RuntimeError, match=r"setStorage: sizes \[5\], strides \[1\], storage "
                       r"offset 2, and itemsize 8 requiring a storage size of 56 are out of "
                       r"bounds for storage of size 48"):
        ag.zeros(2, 3, dtype=ag.float64).as_strided((5,), (1,), 2)


def test_view_shares_storage_and_overlapping_view_is_read_only():
    a = ag.arange(6.0)
    b = ag.as_strided(a, (3,), (2,))
    b.add_(10)
    np.testing.assert_array_equal(a.numpy(), [10, 1, 12, 3, 14, 5])
    assert b._version == a._version == 1
    # offsets count from the storage's start, also for a view of a view
    np.testing.assert_array_equal(b.as_strided((2,), (3,), 1).numpy(), [1, 14])
    w = a.as_strided((2, 2), (1, 1))
    assert not w._data.flags.writeable
    with pytest.raises(RuntimeError, match="more than one element"):
        w.add_(1)


def test_overlapping_windows_add_up_their_gradients():
    x = ag.arange(6.0, requires_grad=True)
    x.as_strided((3, 2), (1, 1), 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 2, 2, 1, 0])


def test_as_strided_in_place():
    torch = pytest.importorskip("torch")
    res = []
    for lib in (ag, torch):
        x = lib.arange(6.0, requires_grad=True)
        y = x * 1
        y.as_strided_((2, 2), (2, 1), 1)
        assert tuple(y.shape) == (2, 2) and y.stride() == (2, 1)
        y.backward(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        res.append((y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__))
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.as_strided_((2,), (1,))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])
    assert res[0][2] == res[1][2]
