"""`Tensor(...)` and `FloatTensor(...)` & co, PyTorch's legacy constructors (micrograd's
lecture writes `torch.Tensor([2.0]).double()`)."""

import numpy as np
import pytest

import autograd as ag


@pytest.fixture
def default_dtype():
    yield
    ag.set_default_dtype(ag.float32)


def test_tensor_class_call():
    assert ag.Tensor([[1, 2, 3], [4, 5, 6]]).dtype is ag.float32   # data: always floating
    assert ag.Tensor(np.array([1, 2])).dtype is ag.float32
    assert ag.Tensor(2, 3).shape == (2, 3) and ag.Tensor(size=(4,)).shape == (4,)
    assert ag.Tensor(ag.Size([2, 3])).shape == (2, 3)
    assert ag.Tensor((2, 3)).tolist() == [2.0, 3.0]   # a tuple is data, sizes are ints
    assert ag.Tensor().shape == (0,)
    t = ag.tensor([1, 2])
    alias = ag.Tensor(t)
    assert alias.dtype is ag.int64 and np.shares_memory(alias.numpy(), t.numpy())
    x = ag.Tensor([2.0]).double()
    x.requires_grad = True
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0]


def test_legacy_types(default_dtype):
    assert ag.LongTensor([1.7, 2]).tolist() == [1, 2]
    assert ag.DoubleTensor([1]).dtype is ag.float64 and ag.IntTensor([1]).dtype is ag.int32
    assert ag.BoolTensor([1, 0]).tolist() == [True, False]
    assert ag.FloatTensor(2, 3).shape == (2, 3)
    assert isinstance(ag.ones(2), ag.FloatTensor) and not isinstance(ag.ones(2), ag.LongTensor)
    assert ag.ones(2).type() == "autograd.FloatTensor"
    assert ag.ones(2).type(ag.DoubleTensor).dtype is ag.float64
    assert ag.ones(2).type("torch.LongTensor").dtype is ag.int64
    with pytest.raises(RuntimeError, match="invalid type"):
        ag.ones(2).type("torch.NoSuchTensor")
    ag.set_default_dtype(ag.float64)
    assert ag.Tensor([1]).dtype is ag.float64 and ag.FloatTensor([1]).dtype is ag.float32


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    for args in (([1, 2],), (2, 3), ((2, 3),), ([[True, False]],)):
        want, got = torch.Tensor(*args), ag.Tensor(*args)
        assert str(want.dtype).split(".")[1] == str(got.dtype).split(".")[1]
        assert tuple(want.shape) == tuple(got.shape)
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor",
                 "BoolTensor", "HalfTensor", "ShortTensor", "CharTensor"):
        want, got = getattr(torch, name)([1.5, 0, 2]), getattr(ag, name)([1.5, 0, 2])
        assert str(want.dtype).split(".")[1] == str(got.dtype).split(".")[1], name
        assert want.tolist() == got.tolist(), name


def test_bad_sizes_raise_pytorchs_error():
    for args, kind in (((2, "a"), "str"), ((2, 3.5), "float")):
        with pytest.raises(TypeError, match=f"argument 'size' failed to unpack the object at "
                                            f"pos 2 .*but got {kind}"):
            ag.Tensor(*args)
    with pytest.raises(TypeError, match="but got str"):
        ag.FloatTensor(2, "a")
