"""The lazy conv and norm layers (nn.LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d,
LazyBatchNorm1d/2d/3d, LazyInstanceNorm1d/2d/3d) and nn.UninitializedBuffer against
PyTorch: channels from the first input, the switch to the plain layer, PyTorch's initial
weights from the same seed, values and gradients, reprs, state dicts, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd as ag
import nn
import optim

from .torch_twin import assert_same_error

rng = np.random.default_rng(11)

CONVS = [
    ("LazyConv1d", dict(out_channels=4, kernel_size=3), (2, 3, 7)),
    ("LazyConv1d", dict(out_channels=2, kernel_size=2, padding=1, padding_mode="circular",
                        bias=False), (3, 6)),   # unbatched: in_channels from dim 0
    ("LazyConv2d", dict(out_channels=4, kernel_size=3, stride=2, groups=2), (2, 4, 6, 5)),
    ("LazyConv2d", dict(out_channels=3, kernel_size=(2, 3), padding="same", dilation=2),
     (1, 2, 5, 5)),
    ("LazyConv3d", dict(out_channels=2, kernel_size=2, stride=(1, 2, 1)), (2, 3, 3, 4, 3)),
    ("LazyConvTranspose1d", dict(out_channels=3, kernel_size=3, stride=2), (2, 2, 4)),
    ("LazyConvTranspose2d", dict(out_channels=4, kernel_size=3, stride=2, output_padding=1,
                                 groups=2, dilation=1), (2, 4, 3, 3)),
    ("LazyConvTranspose2d", dict(out_channels=2, kernel_size=2, bias=False), (3, 3, 2)),
    ("LazyConvTranspose3d", dict(out_channels=2, kernel_size=2, padding=1), (1, 3, 3, 3, 3)),
]

NORMS = [(name, shape) for name, shape in [
    ("LazyBatchNorm1d", (4, 3)), ("LazyBatchNorm1d", (4, 3, 5)),
    ("LazyBatchNorm2d", (2, 3, 4, 4)), ("LazyBatchNorm3d", (2, 3, 2, 3, 2)),
    ("LazyInstanceNorm1d", (2, 3, 5)), ("LazyInstanceNorm2d", (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (2, 3, 2, 3, 2))]]

NORM_ARGS = [{}, dict(affine=False), dict(track_running_stats=False), dict(bias=False),
             dict(momentum=None, eps=1e-3)]


def _same_state(m, tm) -> None:
    assert list(m.state_dict()) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), atol=1e-6,
                                   err_msg=k)


def _run_both(m, tm, x, torch):
    """Forward and backward of (out * upstream).sum() in both; returns the outputs."""
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = m(xa), tm(xt)
    up = rng.standard_normal(tuple(tout.shape)).astype(np.float32)
    (out * ag.tensor(up)).sum().backward()
    (tout * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=1e-5)
    for (name, p), tp in zip(m.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-4, err_msg=name)


@pytest.mark.parametrize("name, kwargs, shape", CONVS)
def test_lazy_conv_becomes_pytorchs_conv(name, kwargs, shape):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape).astype(np.float32)
    ag.manual_seed(4)
    torch.manual_seed(4)
    m, tm = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(m) == repr(tm) and repr(m).startswith(f"{name}(0, ")
    assert [type(p).__name__ for p in m.parameters()] == ["UninitializedParameter"] * len(
        list(tm.parameters()))
    _run_both(m, tm, x, torch)
    assert type(m).__name__ == type(tm).__name__ == name[4:]
    assert type(m) is getattr(nn, name[4:]) and repr(m) == repr(tm)
    assert type(m.weight) is nn.Parameter and m.weight.shape == tuple(tm.weight.shape)
    ag.manual_seed(4)
    torch.manual_seed(4)   # initial weights: the same generator stream as the eager layer
    m, tm = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    m(ag.tensor(x))
    tm(torch.tensor(x))
    _same_state(m, tm)


@pytest.mark.parametrize("kwargs", NORM_ARGS, ids=str)
@pytest.mark.parametrize("name, shape", NORMS)
def test_lazy_norm_becomes_pytorchs_norm(name, shape, kwargs):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape).astype(np.float32)
    m, tm = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(m) == repr(tm) and repr(m).startswith(f"{name}(0, ")
    assert list(m.state_dict()) == list(tm.state_dict())
    _run_both(m, tm, x, torch)
    assert type(m) is getattr(nn, name[4:]) and type(tm).__name__ == name[4:]
    assert repr(m) == repr(tm)
    _same_state(m, tm)   # running statistics after one training step
    m.eval()
    tm.eval()
    _run_both(m, tm, x, torch)


def test_uninitialized_buffer_follows_pytorch():
    torch = pytest.importorskip("torch")
    b, tb = nn.UninitializedBuffer(), torch.nn.UninitializedBuffer()
    assert repr(b) == repr(tb) == "<UninitializedBuffer>"
    assert b.requires_grad is tb.requires_grad is False and b.dtype == ag.float32
    assert nn.UninitializedBuffer(dtype=ag.float64).dtype == ag.float64
    b.materialize((3, 2))
    assert type(b) is ag.Tensor and b.shape == (3, 2)


def test_uninitialized_buffers_before_the_first_call():
    m = nn.LazyBatchNorm2d()
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert isinstance(m.running_mean, nn.UninitializedBuffer)
    assert isinstance(m.weight, nn.UninitializedParameter)
    assert m.num_batches_tracked.dtype == ag.int64 and m.num_batches_tracked.item() == 0
    assert m.has_uninitialized_params()
    assert nn.LazyBatchNorm1d(affine=False, track_running_stats=False).state_dict() == {}
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        _ = m.running_var.shape


@pytest.mark.parametrize("make", [lambda: nn.LazyConv2d(3, 2), lambda: nn.LazyBatchNorm2d(),
                                  lambda: nn.LazyInstanceNorm2d(track_running_stats=False)])
def test_double_before_the_first_call_materialises_float64(make):
    m = make().double()
    out = m(ag.zeros(2, 2, 3, 3, dtype=ag.float64))
    assert out.dtype == ag.float64
    assert all(t.dtype == ag.float64 for t in (*m.parameters(), *m.buffers())
               if t.dtype.is_floating_point)
    assert nn.LazyConv1d(2, 2, dtype=ag.float64).weight.dtype == ag.float64


@pytest.mark.parametrize("name, args, shape", [
    ("LazyConv2d", (4, 3), (2, 3, 5, 5)), ("LazyConvTranspose1d", (2, 2), (3, 4, 5)),
    ("LazyBatchNorm2d", (), (4, 3, 2, 2)), ("LazyInstanceNorm1d", (), (2, 3, 4))])
def test_optimizer_built_before_the_first_call_follows_pytorch(name, args, shape):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(shape).astype(np.float32)
    ag.manual_seed(2)
    torch.manual_seed(2)
    m, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    opt = optim.Adam(m.parameters(), lr=0.1)
    topt = torch.optim.Adam(tm.parameters(), lr=0.1)
    opt.step()   # parameters still uninitialized: nothing to do, as in PyTorch
    topt.step()
    for _ in range(3):
        for mod, o, xx in ((m, opt, ag.tensor(x)), (tm, topt, torch.tensor(x))):
            o.zero_grad()
            (mod(xx) ** 3).sum().backward()
            o.step()
    _same_state(m, tm)


@pytest.mark.parametrize("lazy, plain, shape", [
    (lambda: nn.LazyConv2d(4, 3, groups=2), lambda: nn.Conv2d(6, 4, 3, groups=2),
     (1, 6, 4, 4)),
    (lambda: nn.LazyConvTranspose2d(4, 2), lambda: nn.ConvTranspose2d(3, 4, 2), (1, 3, 2, 2)),
    (lambda: nn.LazyBatchNorm1d(), lambda: nn.BatchNorm1d(5), (4, 5)),
    (lambda: nn.LazyInstanceNorm2d(affine=False), lambda: nn.InstanceNorm2d(
        5, track_running_stats=True), (2, 5, 3, 3)),
])
def test_load_state_dict_takes_the_saved_shapes(lazy, plain, shape):
    src = plain()
    src.train()(ag.tensor(rng.standard_normal(shape).astype(np.float32)))  # running stats
    m = lazy()
    m.load_state_dict(src.state_dict())
    assert not m.has_uninitialized_params()
    x = ag.tensor(rng.standard_normal(shape).astype(np.float32))
    src.eval()
    np.testing.assert_array_equal(m.eval()(x).detach().numpy(), src(x).detach().numpy())
    assert type(m) is type(src) and repr(m) == repr(src)


def test_a_deep_copy_materialises_on_its_own():
    m = nn.LazyBatchNorm1d()
    twin = copy.deepcopy(m)
    twin(ag.zeros(2, 4))
    assert type(twin) is nn.BatchNorm1d and twin.num_features == 4
    assert type(m) is nn.LazyBatchNorm1d and m.has_uninitialized_params()
    m(ag.zeros(2, 3))
    assert m.running_mean.shape == (3,) and not m._forward_pre_hooks


def test_lazy_instance_norm_without_state_warns_as_pytorch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    m = nn.LazyInstanceNorm1d(affine=False, track_running_stats=False)
    tm = torch.nn.LazyInstanceNorm1d(affine=False, track_running_stats=False)
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        out = m(ag.tensor(x))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        tout = tm(torch.tensor(x))
    assert repr(m) == repr(tm) and repr(m).startswith("InstanceNorm1d(0, ")
    np.testing.assert_allclose(out.numpy(), tout.numpy(), atol=1e-5)


def test_lazy_batch_norm_without_state_takes_any_channels():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 3)).astype(np.float32)
    m = nn.LazyBatchNorm1d(affine=False, track_running_stats=False)
    tm = torch.nn.LazyBatchNorm1d(affine=False, track_running_stats=False)
    assert not m.has_uninitialized_params()
    np.testing.assert_allclose(m(ag.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), atol=1e-5)
    assert repr(m) == repr(tm) == ("BatchNorm1d(0, eps=1e-05, momentum=0.1, affine=False, "
                                   "bias=False, track_running_stats=False)")
    # and the plain layer without weight or running stats, as PyTorch's, any channels
    plain = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert plain(ag.zeros(4, 5)).shape == (4, 5)


@pytest.mark.parametrize("call", [
    lambda: nn.LazyConv2d(2, 3, groups=2)(ag.zeros(1, 3, 5, 5)),        # groups vs inferred
    lambda: nn.LazyConvTranspose1d(2, 3, groups=2)(ag.zeros(3, 4)),
    lambda: nn.LazyConv2d(3, 3, groups=2)(ag.zeros(1, 4, 5, 5)),        # out_channels % groups
    lambda: nn.LazyConv1d(2, 3)(ag.zeros(3)),                           # rank
    lambda: nn.LazyConv3d(2, 1)(ag.zeros(1, 2, 3, 3, 3, 3)),
    lambda: nn.LazyConv2d(2, 3, groups=0),
    lambda: nn.LazyConvTranspose2d(2, 3, padding_mode="reflect"),
    lambda: nn.LazyConv2d(2, 3, stride=2, padding="same"),
    lambda: nn.LazyBatchNorm2d()(ag.zeros(3, 4)),
    lambda: nn.LazyInstanceNorm1d()(ag.zeros(3, 4)),   # num_features from dim 1, as PyTorch
    lambda: nn.Conv2d(2, 3, 3).load_state_dict(nn.LazyConv2d(3, 3).state_dict()),
])
def test_errors_as_pytorchs(call):
    assert_same_error(call)


def test_errors_name_the_lazy_layer():
    with pytest.raises(IndexError, match=r"LazyBatchNorm1d: num_features .*\(shape \[3\]\)"):
        nn.LazyBatchNorm1d()(ag.zeros(3))
    with pytest.raises(RuntimeError, match="input to LazyConv2d, but got input of size"):
        nn.LazyConv2d(2, 3)("not a tensor")
    m = nn.LazyConv2d(2, 3)
    m(ag.zeros(1, 3, 4, 4))
    with pytest.raises(RuntimeError, match="expected input\\[1, 4, 4, 4\\] to have 3 channels"):
        m(ag.zeros(1, 4, 4, 4))
