"""BatchNorm, LayerNorm, GroupNorm, InstanceNorm, RMSNorm, LocalResponseNorm: formulas,
running statistics, eval mode, buffers, errors, gradients (twice), and PyTorch itself when
installed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_db.nn_conv_ops import ref_batch_norm, ref_layer_norm

rng = np.random.default_rng(2)


def test_batchnorm_training_normalises_with_biased_variance():
    x = rng.standard_normal((6, 3, 4, 4)) * 3 + 1
    bn = nn.BatchNorm2d(3).double()
    y = bn(ag.tensor(x)).detach().numpy()
    np.testing.assert_allclose(y.mean((0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var((0, 2, 3)), x.var((0, 2, 3)) / (x.var((0, 2, 3)) + 1e-5))
    np.testing.assert_allclose(y, ref_batch_norm(x, None, None, training=True), atol=1e-12)


def test_running_stats_use_unbiased_variance_and_momentum():
    x = rng.standard_normal((5, 2, 3)) * 2 + 4
    bn = nn.BatchNorm1d(2, momentum=0.3).double()
    bn(ag.tensor(x))
    n = 5 * 3
    mean, var = x.mean((0, 2)), x.var((0, 2)) * n / (n - 1)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.3 * mean)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.7 + 0.3 * var)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == ag.int64
    bn(ag.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.3 * mean * 0.7 + 0.3 * mean)
    assert bn.num_batches_tracked.item() == 2


def test_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng.standard_normal((4, 2)) + i for i in range(3)]
    for b in batches:
        bn(ag.tensor(b))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0))
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([b.var(0, ddof=1) for b in batches], 0))


def test_eval_uses_running_stats_and_does_not_update():
    bn = nn.BatchNorm1d(3).double()
    with ag.no_grad():
        bn.running_mean.copy_(ag.tensor([1., 2., 3.], dtype=ag.float64))
        bn.running_var.copy_(ag.tensor([4., 1., 0.25], dtype=ag.float64))
        bn.weight.copy_(ag.tensor([2., 1., 1.], dtype=ag.float64))
    bn.eval()
    x = rng.standard_normal((1, 3))                         # batch of 1 is fine in eval
    y = bn(ag.tensor(x)).detach().numpy()
    expect = (x - [1, 2, 3]) / np.sqrt(np.array([4, 1, 0.25]) + 1e-5) * [2, 1, 1]
    np.testing.assert_allclose(y, expect)
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_allclose(bn.running_mean.numpy(), [1, 2, 3])


def test_no_running_stats_and_no_affine():
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    assert bn.weight is None and bn.running_mean is None and not list(bn.state_dict())
    x = ag.randn(3, 2, 2, 2)
    bn.eval()   # without running stats, eval still normalises with batch statistics
    np.testing.assert_allclose(bn(x).numpy().mean((0, 2, 3)), 0, atol=1e-6)


def test_state_dict_keys_and_repr():
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert repr(nn.BatchNorm1d(10)) == ("BatchNorm1d(10, eps=1e-05, momentum=0.1, affine=True, "
                                        "bias=True, track_running_stats=True)")
    assert repr(nn.LayerNorm(10)) == \
        "LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)"
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    assert "1.num_batches_tracked" in net.state_dict()


def test_batchnorm_gradients_twice():
    x = ag.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    w = ag.tensor(rng.standard_normal(2), requires_grad=True)
    b = ag.tensor(rng.standard_normal(2), requires_grad=True)
    fn = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)  # noqa: E731
    assert ag.gradcheck(fn, (x, w, b)) and ag.gradgradcheck(fn, (x, w, b))
    rm, rv = ag.tensor(rng.standard_normal(2)), ag.tensor(rng.random(2) + 0.5)
    fe = lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False)  # noqa: E731
    assert ag.gradcheck(fe, (x, w, b)) and ag.gradgradcheck(fe, (x, w, b))
    assert fn(x, w, b).grad_fn.name() == "NativeBatchNormBackward0"


def test_layernorm_forward_gradients_and_module():
    x = rng.standard_normal((2, 3, 4))
    w, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    out = F.layer_norm(ag.tensor(x), (3, 4), ag.tensor(w), ag.tensor(b))
    np.testing.assert_allclose(out.numpy(), ref_layer_norm(x, (3, 4), w, b), atol=1e-12)
    xt = ag.tensor(x[:, :2, :3], requires_grad=True)
    wt = ag.tensor(w[:2, :3], requires_grad=True)
    fn = lambda x, w: F.layer_norm(x, (3,), w[0])  # noqa: E731
    assert ag.gradcheck(fn, (xt, wt)) and ag.gradgradcheck(fn, (xt, wt))
    ln = nn.LayerNorm(4)
    y = ln(ag.randn(5, 4) * 3 + 2)
    assert y.grad_fn.name() == "NativeLayerNormBackward0"
    np.testing.assert_allclose(y.detach().numpy().mean(-1), 0, atol=1e-5)
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    assert nn.LayerNorm(4, bias=False).bias is None


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: nn.BatchNorm1d(3)(ag.randn(1, 3)), ValueError,
     "Expected more than 1 value per channel when training, got input size"),
    (lambda: nn.BatchNorm2d(3)(ag.randn(2, 3)), ValueError, "expected 4D input (got 2D input)"),
    (lambda: nn.BatchNorm1d(3)(ag.randn(2, 3, 4, 5)), ValueError,
     "expected 2D or 3D input (got 4D input)"),
    (lambda: nn.BatchNorm1d(3)(ag.randn(2, 4)), RuntimeError,
     "expected input with 3 channels in dim 1, got input of shape [2, 4]"),
    (lambda: F.batch_norm(ag.randn(2, 4), ag.zeros(3), ag.ones(3)), RuntimeError,
     "running_mean should contain 4 elements not 3"),
    (lambda: F.batch_norm(ag.randn(2, 4), None, None), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    (lambda: nn.LayerNorm(3)(ag.randn(2, 4)), RuntimeError,
     "Given normalized_shape=[3], expected input with shape [*, 3], but got input of size[2, 4]"),
])
def test_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    for cls, shape in [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (4, 3, 5)),
                       ("BatchNorm2d", (3, 3, 4, 2))]:
        for momentum in (0.1, None):
            m = getattr(nn, cls)(3, momentum=momentum).double()
            tm = getattr(torch.nn, cls)(3, momentum=momentum).double()
            with ag.no_grad():
                m.weight.copy_(ag.tensor(rng.standard_normal(3)))
            tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
            for step in range(3):
                x = rng.standard_normal(shape) * (step + 1)
                tx, ax = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
                to, ao = tm(tx), m(ax)
                up = rng.standard_normal(shape)
                to.backward(torch.tensor(up))
                ao.backward(ag.tensor(up))
                np.testing.assert_allclose(ao.detach().numpy(), to.detach().numpy(), atol=1e-10)
                np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-10)
            for k, v in tm.state_dict().items():
                np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), atol=1e-12)
            np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), atol=1e-10)
            m.eval()
            tm.eval()
            x = rng.standard_normal(shape)
            np.testing.assert_allclose(m(ag.tensor(x)).detach().numpy(),
                                       tm(torch.tensor(x)).detach().numpy(), atol=1e-10)
    x = rng.standard_normal((2, 3, 4))
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    np.testing.assert_allclose(
        F.layer_norm(ag.tensor(x), (4,), ag.tensor(w), ag.tensor(b)).numpy(),
        torch.nn.functional.layer_norm(torch.tensor(x), (4,), torch.tensor(w),
                                       torch.tensor(b)).numpy(), atol=1e-12)


_LN_CASES = [((4, 5, 8), (8,), True, True), ((3, 4, 6), (4, 6), True, False),
             ((6, 8), (8,), False, False), ((8,), (8,), True, True), ((0, 8), (8,), True, True)]


def _layer_norm_grads(lib, x, ns, w, b, up, need_x=True):
    """Output and gradients of layer_norm on `lib` (autograd or torch), from arrays."""
    xt = lib.tensor(x, requires_grad=need_x)
    wt = None if w is None else lib.tensor(w, requires_grad=True)
    bt = None if b is None else lib.tensor(b, requires_grad=True)
    out = lib.nn.functional.layer_norm(xt, ns, wt, bt) if lib is not ag else \
        F.layer_norm(xt, ns, wt, bt)
    out.backward(lib.tensor(up))
    return [out.detach().numpy()] + [None if t is None or t.grad is None else t.grad.numpy()
                                     for t in (xt, wt, bt)]


@pytest.mark.parametrize("shape,ns,affine,bias", _LN_CASES)
def test_layer_norm_fused_backward_against_pytorch(shape, ns, affine, bias):
    """float32 values and gradients as PyTorch's (also when x needs no gradient); for
    values far from 0 (mean 100, spread 0.1, where a careless formula cancels) as close
    to float64's as PyTorch's."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(5)
    w = r.standard_normal(ns).astype(np.float32) if affine else None
    b = r.standard_normal(ns).astype(np.float32) if affine and bias else None
    up = r.standard_normal(shape).astype(np.float32)
    x = (r.standard_normal(shape) * 3 + 1).astype(np.float32)
    for need_x in (True, False) if affine else (True,):
        ours = _layer_norm_grads(ag, x, ns, w, b, up, need_x)
        theirs = _layer_norm_grads(torch, x, ns, w, b, up, need_x)
        for a, t in zip(ours, theirs):
            assert (a is None) == (t is None)
            if a is not None:
                assert a.dtype == t.dtype == np.float32
                np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-5)
    x = (r.standard_normal(shape) * 0.1 + 100).astype(np.float32)
    wide = [None if a is None else a.astype(np.float64) for a in (x, w, b, up)]
    exact = _layer_norm_grads(torch, wide[0], ns, *wide[1:])
    ours = _layer_norm_grads(ag, x, ns, w, b, up)
    theirs = _layer_norm_grads(torch, x, ns, w, b, up)
    for a, t, e in zip(ours, theirs, exact):
        if e is not None and e.size:   # (PyTorch's errors reach 3e-4 of the largest value)
            bound = 5e-4 * np.abs(e).max()
            assert np.abs(t - e).max() <= bound and np.abs(a - e).max() <= bound


@pytest.mark.parametrize("shape,ns,affine,bias", _LN_CASES)
def test_layer_norm_fused_backward_matches_the_differentiable_rule(shape, ns, affine, bias):
    """The array backward (no graph) and the Tensor rule (create_graph) agree in float64."""
    r = np.random.default_rng(6)
    x = r.standard_normal(shape) * 3 + 2
    w = r.standard_normal(ns) if affine else None
    b = r.standard_normal(ns) if affine and bias else None
    up = r.standard_normal(shape)
    fused = _layer_norm_grads(ag, x, ns, w, b, up)
    ts = [None if a is None else ag.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.layer_norm(ts[0], ns, ts[1], ts[2])
    rule = ag.grad(out, [t for t in ts if t is not None], ag.tensor(up), create_graph=True)
    for a, t in zip([f for f in fused[1:] if f is not None], rule):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-10, atol=1e-10)


# ---- GroupNorm, InstanceNorm, RMSNorm, LocalResponseNorm ---------------------------------


def test_group_norm_normalises_each_group_and_names_its_node():
    x = rng.standard_normal((3, 6, 4)) * 2 + 1
    gn = nn.GroupNorm(3, 6).double()
    y = gn(ag.tensor(x, requires_grad=True))
    assert y.grad_fn.name() == "NativeGroupNormBackward0"
    yg = y.detach().numpy().reshape(3, 3, -1)
    np.testing.assert_allclose(yg.mean(2), 0, atol=1e-12)
    np.testing.assert_allclose(yg.var(2), 1, atol=1e-4)
    assert [n for n, _ in gn.named_parameters()] == ["weight", "bias"]


def test_instance_norm_running_stats_and_eval():
    m = nn.InstanceNorm1d(2, momentum=0.5, track_running_stats=True).double()
    x = rng.standard_normal((4, 2, 5)) * 3 + 2
    m(ag.tensor(x))
    per_sample_mean = x.mean(2)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.5 * per_sample_mean.mean(0))
    unbiased = x.var(2, ddof=1).mean(0)
    np.testing.assert_allclose(m.running_var.numpy(), 0.5 + 0.5 * unbiased)
    assert m.num_batches_tracked.item() == 0   # (PyTorch's instance norm leaves it alone)
    m.eval()
    y = m(ag.tensor(x)).numpy()
    expect = (x - m.running_mean.numpy()[:, None]) / np.sqrt(
        m.running_var.numpy()[:, None] + 1e-5)
    np.testing.assert_allclose(y, expect, atol=1e-12)
    # without tracked statistics, eval mode still normalises with the input's own
    plain = nn.InstanceNorm1d(2).double().eval()
    np.testing.assert_allclose(plain(ag.tensor(x)).numpy().mean(2), 0, atol=1e-12)
    # unbatched input: one sample
    np.testing.assert_allclose(plain(ag.tensor(x[0])).numpy(), plain(ag.tensor(x[:1])).numpy()[0])


def test_rms_norm_and_local_response_norm_formulas():
    x = rng.standard_normal((2, 5, 3))
    y = nn.RMSNorm(3).double()(ag.tensor(x)).detach().numpy()
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(y, x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps))
    out32 = F.rms_norm(ag.tensor(x.astype(np.float32)), (3,))
    assert out32.dtype == ag.float32
    lrn = F.local_response_norm(ag.tensor(x), 3, alpha=0.3, beta=0.5, k=2.0).numpy()
    sq = np.pad(x ** 2, ((0, 0), (1, 1), (0, 0)))
    div = (sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:]) / 3
    np.testing.assert_allclose(lrn, x / (2.0 + 0.3 * div) ** 0.5)
    empty = ag.randn(0, 3, 2)
    assert F.local_response_norm(empty, 2) is empty


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.group_norm(ag.randn(2, 4, 3), 3), RuntimeError,
     "Expected number of channels in input to be divisible by num_groups, but got input of "
     "shape [2, 4, 3] and num_groups=3"),
    (lambda: F.group_norm(ag.randn(4), 2), RuntimeError,
     "Expected at least 2 dimensions for input tensor but received 1"),
    (lambda: F.group_norm(ag.randn(2, 4, 3), 2, ag.ones(3)), RuntimeError,
     "Expected weight to be a vector of size equal to the number of channels in input, but got "
     "weight of shape [3] and input of shape [2, 4, 3]"),
    (lambda: F.group_norm(ag.randn(1, 2, 1), 2), ValueError,
     "Expected more than 1 value per channel when training, got input size [1, 2, 1]"),
    (lambda: nn.GroupNorm(3, 4), ValueError,
     "num_channels (4) must be divisible by num_groups (3)"),
    (lambda: F.instance_norm(ag.randn(2, 3, 1)), ValueError,
     "Expected more than 1 spatial element when training, got input size"),
    (lambda: nn.InstanceNorm1d(3)(ag.randn(2, 3, 4, 5)), ValueError,
     "expected 2D or 3D input (got 4D input)"),
    (lambda: nn.InstanceNorm2d(4, affine=True)(ag.randn(2, 3, 4, 5)), ValueError,
     "expected input's size at dim=1 to match num_features (4), but got: 3."),
    (lambda: nn.BatchNorm3d(2)(ag.randn(2, 2, 3)), ValueError,
     "expected 5D input (got 3D input)"),
    (lambda: F.local_response_norm(ag.randn(2, 3), 2), ValueError,
     "Expected 3D or higher dimensionality"),
    (lambda: F.rms_norm(ag.randn(2, 3), [4]), RuntimeError,
     "Given normalized_shape=[4], expected input with shape [*4], but got input of size[2, 3]"),
    (lambda: F.rms_norm(ag.randn(2, 3), [3], ag.ones(4)), RuntimeError,
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
     "normalized_shape = [3]"),
])
def test_new_norm_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


def test_instance_norm_warns_on_channel_mismatch_without_affine():
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm2d(4)(ag.randn(2, 3, 4, 5))


NEW_NORMS = [
    ("GroupNorm", (2, 4), {}, (3, 4, 5)), ("GroupNorm", (1, 4), {"affine": False}, (2, 4, 2, 3)),
    ("InstanceNorm1d", (3,), {"affine": True}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), {}, (3, 5)),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}, (2, 3, 4, 2)),
    ("InstanceNorm2d", (3,), {"track_running_stats": True, "momentum": None}, (2, 3, 4, 2)),
    ("InstanceNorm3d", (2,), {"affine": True}, (2, 2, 2, 3, 2)),
    ("BatchNorm3d", (2,), {"momentum": None}, (3, 2, 2, 2, 2)),
    ("RMSNorm", (4,), {}, (3, 5, 4)), ("RMSNorm", ((5, 4),), {"eps": 1e-3}, (3, 5, 4)),
    ("LocalResponseNorm", (3,), {"alpha": 0.2, "k": 1.5}, (2, 5, 4)),
    ("LocalResponseNorm", (2,), {}, (2, 4, 3, 2)),
]


@pytest.mark.parametrize("cls,args,kw,shape", NEW_NORMS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(NEW_NORMS)])
def test_new_norms_against_pytorch(cls, args, kw, shape):
    torch = pytest.importorskip("torch")
    m = getattr(nn, cls)(*args, **kw).double()
    tm = getattr(torch.nn, cls)(*args, **kw).double()
    assert repr(m) == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    with torch.no_grad():
        for p in tm.parameters():
            p.uniform_(0.5, 1.5)
    m.load_state_dict({k: ag.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    for step in range(2):
        x = rng.standard_normal(shape) * (step + 1)
        tx, ax = torch.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
        to, ao = tm(tx), m(ax)
        assert ao.grad_fn.name() == type(to.grad_fn).__name__
        up = rng.standard_normal(to.shape)
        to.backward(torch.tensor(up))
        ao.backward(ag.tensor(up))
        np.testing.assert_allclose(ao.detach().numpy(), to.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(ax.grad.numpy(), tx.grad.numpy(), atol=1e-9)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), atol=1e-12)
    for p, tp in zip(m.parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-9)
    m.eval()
    tm.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(m(ag.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), atol=1e-10)
