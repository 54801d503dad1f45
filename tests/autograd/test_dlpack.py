"""DLPack and numpy interchange: `Tensor.__dlpack__`, `from_dlpack`, `from_numpy` and
`as_tensor` share memory without copies (a write through one shows through the other)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

GRAD_ERROR = "Can't export tensors that require gradient, use tensor.detach()"


def test_numpy_from_dlpack_shares_memory_both_ways():
    t = ag.arange(6.0).reshape(2, 3)
    a = np.from_dlpack(t)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    a[0, 1] = 100.0                                   # write through numpy ...
    assert t[0, 1].item() == 100.0                    # ... read through the tensor
    t.mul_(2)                                         # and the other way round
    assert a[1, 2] == 10.0 and t.__dlpack_device__() == (1, 0)


@pytest.mark.parametrize("dtype", [np.float16, np.float64, np.int8, np.int32, np.int64, np.uint8,
                                   np.bool_])
def test_from_dlpack_of_a_numpy_array_shares_memory(dtype):
    a = np.zeros((3, 4), dtype)
    t = ag.from_dlpack(a)
    assert t.dtype == ag.dtypes.from_np(np.dtype(dtype)) and not t.requires_grad
    a[1, 2] = 1
    assert t[1, 2].item() == 1
    view = ag.from_dlpack(a[:, ::2])                  # strided views keep their strides
    a[2, 2] = 1
    assert view.shape == (3, 2) and view[2, 1].item() == 1


def test_from_dlpack_of_tensors_and_capsules():
    t = ag.zeros(3)
    u = ag.from_dlpack(t)
    u[0] = 5.0
    assert t[0].item() == 5.0
    a = np.arange(4)
    c = ag.from_dlpack(a.__dlpack__())                # a bare capsule
    a[3] = -1
    assert c.tolist() == [0, 1, 2, -1]


def test_from_dlpack_errors():
    with pytest.raises(BufferError, match=GRAD_ERROR.replace("(", r"\(").replace(")", r"\)")):
        np.from_dlpack(ag.ones(2, requires_grad=True))
    with pytest.raises(BufferError, match="require gradient"):
        ag.from_dlpack(ag.ones(2, requires_grad=True))
    np.from_dlpack(ag.ones(2, requires_grad=True).detach())   # the way out the error names
    with pytest.raises(TypeError, match="from_dlpack\\(\\): expected an object with __dlpack__"
                                        " or a DLPack capsule, got list"):
        ag.from_dlpack([1, 2])
    with pytest.raises(TypeError, match="unsupported dtype complex64"):
        ag.from_dlpack(np.ones(2, np.complex64))
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ag.from_dlpack(np.ones(2), device="cuda")


def test_from_numpy_and_as_tensor_share_memory():
    a = np.ones(3, np.float32)
    t = ag.from_numpy(a)
    a[0] = 7
    t[1] = 8
    assert t.tolist() == [7, 8, 1] and a.tolist() == [7, 8, 1]
    s = ag.as_tensor(a)
    a[2] = 9
    assert s[2].item() == 9
    assert ag.as_tensor(a, dtype=ag.float32)[2].item() == 9          # same dtype: shared
    copy = ag.as_tensor(a, dtype=ag.float64)                          # converted: a copy
    a[2] = 0
    assert copy[2].item() == 9
    assert ag.as_tensor(t) is t and ag.as_tensor(t, dtype=ag.float32) is t
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ag.as_tensor(a, device="cuda")


# ---- with PyTorch ---------------------------------------------------------------------------

def test_torch_from_dlpack_shares_our_memory():
    torch = pytest.importorskip("torch")
    t = ag.arange(6.0).reshape(2, 3)
    tt = torch.from_dlpack(t)
    assert tt.dtype == torch.float32 and tuple(tt.shape) == (2, 3)
    tt[1, 0] = -5.0                                   # write through PyTorch ...
    assert t[1, 0].item() == -5.0                     # ... read through ours
    t.add_(1)
    assert tt[0, 0].item() == 1.0
    assert t.__dlpack_device__() == tuple(torch.zeros(1).__dlpack_device__())
    for d in ("float16", "float64", "int64", "int32", "uint8", "bool"):
        x = ag.ones(2, dtype=getattr(ag, d))
        assert torch.from_dlpack(x).dtype == getattr(torch, d)
    assert torch.from_dlpack(ag.tensor(3.0)).shape == () and \
        torch.from_dlpack(ag.zeros(0, 2)).shape == (0, 2)


def test_our_from_dlpack_shares_torch_memory():
    torch = pytest.importorskip("torch")
    to_dlpack = pytest.importorskip("torch.utils.dlpack").to_dlpack
    x = torch.zeros(3, 4)
    t = ag.from_dlpack(x)
    t[0, 1] = 2.0
    assert x[0, 1].item() == 2.0
    x[2, 3] = 7.0
    assert t[2, 3].item() == 7.0
    strided = ag.from_dlpack(x[:, 1::2])
    assert strided.shape == (3, 2) and strided[0, 0].item() == 2.0
    capsule = to_dlpack(torch.arange(3))
    assert ag.from_dlpack(capsule).tolist() == [0, 1, 2]


def test_requires_grad_and_dtypes_follow_pytorch():
    torch = pytest.importorskip("torch")
    with pytest.raises(BufferError) as theirs:
        torch.from_dlpack(torch.ones(2, requires_grad=True))
    with pytest.raises(BufferError) as ours:
        torch.from_dlpack(ag.ones(2, requires_grad=True))
    assert str(ours.value) == str(theirs.value) == GRAD_ERROR
    with pytest.raises(BufferError, match="require gradient"):
        ag.from_dlpack(torch.ones(2, requires_grad=True))
    with pytest.raises(TypeError, match="unsupported dtype torch.bfloat16"):
        ag.from_dlpack(torch.ones(2, dtype=torch.bfloat16))
