"""F.pad in every mode and the padding layers: values, gradients (first and second order),
grad_fn names, PyTorch's errors, and PyTorch itself when installed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_db.nn_resize_ops import ref_pad

from .torch_twin import assert_same_error, both_ways

rng = np.random.default_rng(3)

CASES = [  # shape, pad, mode
    ((3, 5), (1, 2), "reflect"), ((2, 3, 5), (2, 1), "reflect"),
    ((2, 3, 4, 5), (1, 2, 2, 1), "reflect"), ((2, 3, 4, 5), (-1, 2, 2, -1), "reflect"),
    ((1, 2, 3, 4, 5), (1, 1, 2, 1, 2, 0), "reflect"),
    ((3, 5), (4, 1), "replicate"), ((2, 3, 4, 5), (1, 3, 0, 2), "replicate"),
    ((2, 3, 4, 5), (-2, 1, 1, -1), "replicate"), ((1, 2, 3, 4, 5), (2, 0, 1, 1, 0, 3), "replicate"),
    ((3, 5), (2, 1), "circular"), ((2, 3, 4, 5), (1, 2, 3, 4), "circular"),
    ((2, 3, 4, 5), (-1, 2, 2, -1), "circular"), ((1, 2, 3, 4, 5), (1, 1, 2, 1, 2, 0), "circular"),
    ((2, 3, 4), (1, 2, 0, 1, 1, 1), "constant"), ((2, 3, 4, 5), (-1, 2, 2, -3), "constant"),
]
NAMES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
         "circular": "CopySlices", "constant": "ConstantPadNdBackward0"}


@pytest.mark.parametrize("shape,pad,mode", CASES)
def test_values_gradients_and_names(shape, pad, mode):
    x = rng.standard_normal(shape)
    t = ag.tensor(x, requires_grad=True)
    out = F.pad(t, pad, mode=mode)
    if mode != "circular" or min(pad) >= 0:   # (numpy wraps the uncropped input)
        np.testing.assert_array_equal(out.detach().numpy(), ref_pad(x, pad, mode))
    assert out.grad_fn.name() == NAMES[mode].format(len(pad) // 2)
    small = tuple(min(s, 3) if i < len(shape) - len(pad) // 2 else s
                  for i, s in enumerate(shape))
    xs = ag.tensor(rng.standard_normal(small), requires_grad=True)
    assert ag.gradcheck(lambda a: F.pad(a, pad, mode=mode), (xs,))
    assert ag.gradgradcheck(lambda a: F.pad(a, pad, mode=mode), (xs,))


def test_empty_outputs():
    # a crop to nothing: PyTorch allows it (but not for every padded dim of reflect and
    # replicate), and the gradient is zero
    for mode, shape, pad in [("circular", (1, 2), (-1, -1)), ("constant", (1, 2), (-1, -1)),
                             ("reflect", (1, 3, 2, 5), (0, 0, -1, -1))]:
        t = ag.zeros(*shape, requires_grad=True)
        out = F.pad(t, pad, mode=mode)
        assert 0 in out.shape
        out.sum().backward()
        np.testing.assert_array_equal(t.grad.numpy(), 0)


def test_known_values_without_torch():
    x = ag.tensor([[[0., 1., 2., 3.]]])
    np.testing.assert_array_equal(F.pad(x, (2, 1), "reflect").numpy(),
                                  [[[2, 1, 0, 1, 2, 3, 2]]])
    np.testing.assert_array_equal(F.pad(x, (2, 1), "replicate").numpy(),
                                  [[[0, 0, 0, 1, 2, 3, 3]]])
    np.testing.assert_array_equal(F.pad(x, (2, 1), "circular").numpy(),
                                  [[[2, 3, 0, 1, 2, 3, 0]]])
    # a negative pad crops first; circular then wraps what is left, as PyTorch does
    np.testing.assert_array_equal(F.pad(x, (-1, 2), "circular").numpy(), [[[1, 2, 3, 1, 2]]])
    np.testing.assert_array_equal(F.pad(x, (1, 1), value=9.).numpy(), [[[9, 0, 1, 2, 3, 9]]])
    # replicate's border gradient sums over the repeated copies
    t = ag.tensor([[[1., 2.]]], requires_grad=True)
    F.pad(t, (3, 0), "replicate").sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [[[4, 1]]])


def test_autograd_pad_takes_any_dims_in_every_mode():
    # autograd.pad: the same op without F.pad's limits (2-D input, two padded dims)
    x = rng.standard_normal((3, 4))
    out = ag.pad(ag.tensor(x), (1, 1, 2, 0), mode="reflect")
    np.testing.assert_array_equal(out.numpy(), np.pad(x, ((2, 0), (1, 1)), mode="reflect"))
    with pytest.raises(NotImplementedError, match="Padding size 4 is not supported for 2D"):
        F.pad(ag.tensor(x), (1, 1, 2, 0), mode="reflect")


UNSUPPORTED = ("\nSupported combinations for non-constant padding:\n"
               "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
               "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
               "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
ERRORS = [
    (lambda: F.pad(ag.zeros(2, 3, 4, 5), (1, 2, 3)), RuntimeError,
     "Padding length must be divisible by 2"),
    (lambda: F.pad(ag.zeros(2, 3, 4, 5), (1, 2), mode="foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    (lambda: F.pad(ag.zeros(2, 3, 4, 5), (1, 2), mode="reflect"), NotImplementedError,
     "Padding size 2 is not supported for 4D input tensor." + UNSUPPORTED),
    (lambda: F.pad(ag.zeros(3, 4, 5), (5, 5), mode="reflect"), RuntimeError,
     "Argument #4: Padding size should be less than the corresponding input dimension, but "
     "got: padding (5, 5) at dimension 2 of input [3, 4, 5]"),
    (lambda: F.pad(ag.zeros(2, 3, 4, 5), (1, 1, 4, 4), mode="reflect"), RuntimeError,
     "Argument #6: Padding size should be less than the corresponding input dimension, but "
     "got: padding (4, 4) at dimension 2 of input [2, 3, 4, 5]"),
    (lambda: F.pad(ag.zeros(3, 4, 5), (6, 6), mode="circular"), RuntimeError,
     "Padding value causes wrapping around more than once."),
    (lambda: F.pad(ag.zeros(3, 4, 5), (-6, 0), mode="circular"), RuntimeError,
     "Negative padding value is resulting in an empty dimension"),
    (lambda: F.pad(ag.zeros(1, 2), (-1, -1), mode="reflect"), RuntimeError,
     "input (W: 2) is too small. Calculated output W: 0"),
    (lambda: F.pad(ag.zeros(1, 3, 2, 5), (-3, -2, -1, -1), mode="replicate"), RuntimeError,
     "input (H: 2, W: 5 ) is too small. Calculated output H: 0 W: 0"),
    (lambda: F.pad(ag.zeros(1, 1, 2, 2, 5), (-3, -2, -1, -1, -1, -1), mode="reflect"),
     RuntimeError, "input (D: 2 H: 2, W: 5) is too small. Calculated output D: 0 H: 0 W: 0"),
    (lambda: F.pad(ag.zeros(3, 4, 5), (1, 1), mode="reflect", value=2.0), RuntimeError,
     'Padding mode "reflect" doesn\'t take in value argument'),
    (lambda: F.pad(ag.zeros(2, 3, 4, 5), (1,) * 10), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got "
     "padding length 10 and input of dimension 4"),
    (lambda: F.pad(ag.zeros(1, 2, 0), (1, 1), mode="replicate"), RuntimeError,
     "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [1, 2, 0]"),
    (lambda: F.pad(ag.zeros(2, 3), (1.5, 1)), TypeError,
     "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
     "float at pos 0"),
    (lambda: nn.CircularPad1d(2)(ag.zeros(5)), ValueError,
     "expected 2D or 3D input (got 1D input)"),
    (lambda: F.pad(ag.zeros(3, 5), (-3, -3)), RuntimeError,
     "narrow(): length must be non-negative"),
]


@pytest.mark.parametrize("call,exc,msg", ERRORS)
def test_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


LAYERS = [
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 1, 2, 0),), (2, 3, 4)),
    ("ZeroPad3d", (1,), (1, 2, 2, 3)), ("ConstantPad1d", (2, 3.5), (2, 3, 4)),
    ("ConstantPad2d", ((1, 2, 3, 4), 0.0), (1, 2, 3, 4)), ("ConstantPad3d", (1, 1), (1, 1, 2, 3)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 1, 2, 0),), (1, 3, 4)),
    ("ReflectionPad3d", (1,), (1, 2, 2, 3, 3)), ("ReplicationPad1d", ((1, 2),), (2, 3, 4)),
    ("ReplicationPad2d", (1,), (2, 1, 3, 4)), ("ReplicationPad3d", (1,), (1, 2, 2, 3)),
    ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 2, 3, 4),), (1, 2, 5, 4)),
    ("CircularPad3d", (1,), (1, 2, 2, 3, 3)),
]


@pytest.mark.parametrize("name,args,shape", LAYERS)
def test_layers_against_pytorch(name, args, shape):
    torch = pytest.importorskip("torch")
    m, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(m) == repr(tm) and m.padding == tm.padding
    assert getattr(m, "value", None) == getattr(tm, "value", None)
    x = rng.standard_normal(shape).astype(np.float32)
    out, tout, (t,), (tt,) = both_ways(m, tm, (x,), rng)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert out.dtype == ag.float32 and t.grad.dtype == ag.float32


@pytest.mark.parametrize("shape,pad,mode", CASES)
def test_functional_against_pytorch(shape, pad, mode):
    torch = pytest.importorskip("torch")
    out, tout, (t,), (tt,) = both_ways(lambda a: F.pad(a, pad, mode=mode),
                                       lambda a: torch.nn.functional.pad(a, pad, mode=mode),
                                       (rng.standard_normal(shape),), rng)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), atol=1e-12)
    assert out.grad_fn.name() == tout.grad_fn.name().replace("torch::autograd::", "")


@pytest.mark.parametrize("call,_exc,_msg", ERRORS[:-1])
def test_errors_are_pytorchs(call, _exc, _msg):
    assert_same_error(call)
