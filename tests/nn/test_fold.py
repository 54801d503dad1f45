"""F.unfold / F.fold and nn.Unfold / nn.Fold: against loop references and PyTorch, their
adjointness, names, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_db.nn_conv_ops import ref_fold, ref_unfold

from .torch_twin import assert_same_error

rng = np.random.default_rng(5)

CASES = [  # image shape, kwargs
    ((2, 3, 5, 6), dict(kernel_size=(2, 3), padding=1, stride=2)),
    ((1, 2, 7, 7), dict(kernel_size=3, dilation=2)),
    ((2, 1, 4, 5), dict(kernel_size=2, stride=(1, 2), padding=(0, 1))),
]


@pytest.mark.parametrize("shape,kw", CASES)
def test_unfold_and_fold_against_references(shape, kw):
    x = rng.standard_normal(shape)
    u = F.unfold(ag.tensor(x, requires_grad=True), **kw)
    np.testing.assert_array_equal(u.detach().numpy(), ref_unfold(x, **kw))
    assert u.grad_fn.name() == "Im2ColBackward0"
    c = rng.standard_normal(u.shape)
    f = F.fold(ag.tensor(c, requires_grad=True), shape[2:], **kw)
    np.testing.assert_allclose(f.detach().numpy(), ref_fold(c, shape[2:], **kw), atol=1e-12)
    assert f.grad_fn.name() == "Col2ImBackward0"
    # fold is unfold's adjoint: <unfold(x), c> == <x, fold(c)>
    np.testing.assert_allclose((u.detach().numpy() * c).sum(), (x * f.detach().numpy()).sum())
    xs = ag.tensor(x[:1, :1], requires_grad=True)
    assert ag.gradgradcheck(lambda t: F.unfold(t, **kw), (xs,))
    cs = ag.tensor(F.unfold(xs, **kw).detach().numpy(), requires_grad=True)
    assert ag.gradgradcheck(lambda t: F.fold(t, shape[2:], **kw), (cs,))


def test_unbatched_and_layers():
    x = ag.randn(3, 4, 5)
    assert F.unfold(x, 2).shape == (12, 12)
    assert F.fold(F.unfold(x, 2), (4, 5), 2).shape == (3, 4, 5)
    # fold(unfold(x)) counts each pixel once per block covering it
    ones = F.fold(F.unfold(ag.ones(1, 1, 3, 3), 2), (3, 3), 2)
    np.testing.assert_array_equal(ones.numpy()[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    m = nn.Unfold((2, 3), padding=1, stride=2)
    assert repr(m) == "Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2)"
    assert repr(nn.Fold((5, 6), 3)) == \
        "Fold(output_size=(5, 6), kernel_size=3, dilation=1, padding=0, stride=1)"
    y = ag.randn(2, 3, 5, 6)
    np.testing.assert_array_equal(m(y).numpy(), F.unfold(y, (2, 3), padding=1, stride=2).numpy())


ERRORS = [
    lambda: F.unfold(ag.zeros(1, 2, 3, 5, 6), 2),
    lambda: F.unfold(ag.zeros(2, 3, 5, 6), 7),
    lambda: F.unfold(ag.zeros(2, 3, 5, 6), 0),
    lambda: F.unfold(ag.zeros(2, 3, 5, 6), 2, stride=0),
    lambda: F.unfold(ag.zeros(2, 3, 5, 6), 2, padding=-1),
    lambda: F.unfold(ag.zeros(2, 3, 5, 6), 2, dilation=0),
    lambda: F.unfold(ag.zeros(2, 3, 5, 6), (2, 3, 4)),
    lambda: F.fold(ag.zeros(2, 13, 20), (5, 6), 2),
    lambda: F.fold(ag.zeros(2, 12, 21), (5, 6), 2),
    lambda: F.fold(ag.zeros(2, 12, 20, 1), (5, 6), 2),
    lambda: F.fold(ag.zeros(2, 12, 20), (5, 6, 7), 2),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_are_pytorchs(call):
    assert_same_error(call)


def test_errors_without_torch():
    with pytest.raises(RuntimeError, match="calculated shape of the array of sliding blocks as "
                                           r"\(-1, 0\), but its components must be at least one"):
        F.unfold(ag.zeros(2, 3, 5, 6), 7)
    with pytest.raises(RuntimeError, match="expected size of input's dimension 2 to match the "
                                           r"calculated number of sliding blocks 4 \* 5 = 20"):
        F.fold(ag.zeros(2, 12, 21), (5, 6), 2)


@pytest.mark.parametrize("shape,kw", CASES)
def test_against_pytorch(shape, kw):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rng.standard_normal(shape).astype(np.float32)
    t, tt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    u, tu = F.unfold(t, **kw), tf.unfold(tt, **kw)
    c = rng.standard_normal(tuple(tu.shape)).astype(np.float32)
    u.backward(ag.tensor(c))
    tu.backward(torch.tensor(c))
    np.testing.assert_array_equal(u.detach().numpy(), tu.detach().numpy())
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert t.grad.dtype == ag.float32
    tc, ttc = ag.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)
    f, tf_ = F.fold(tc, shape[2:], **kw), tf.fold(ttc, shape[2:], **kw)
    f.backward(ag.tensor(x))
    tf_.backward(torch.tensor(x))
    np.testing.assert_allclose(f.detach().numpy(), tf_.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(tc.grad.numpy(), ttc.grad.numpy())
    assert (u.grad_fn.name(), f.grad_fn.name()) == (tu.grad_fn.name(), tf_.grad_fn.name())
