"""The activations beyond the basic ones (ReLU6 ... Softmax2d, PReLU, GLU, gumbel_softmax):
closed-form values, gradients at NaN and at the kinks, errors, in-place forms, reprs, and
(when torch is installed) agreement with PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

NAN, INF = float("nan"), float("inf")
SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805

# (name, function of (F, x), points including NaN, infinities and the kinks, grad_fn name)
POINTWISE = [
    ("hardtanh", lambda F, x: F.hardtanh(x, -1.0, 2.0), [NAN, -1, 2, 0, -INF, INF, -3],
     "HardtanhBackward0"),
    ("relu6", lambda F, x: F.relu6(x), [NAN, 0, 6, 3, -1, 7, INF], "HardtanhBackward0"),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x), [NAN, -3, 3, 0, -4, 4, INF, 1.2],
     "HardsigmoidBackward0"),
    ("hardswish", lambda F, x: F.hardswish(x), [NAN, -3, 3, 0, -4, 4, INF, -INF, 1.2, -1.7],
     "HardswishBackward0"),
    ("mish", lambda F, x: F.mish(x), [NAN, 0, -INF, INF, 30.0, -30.0, 1.3], "MishBackward0"),
    ("selu", lambda F, x: F.selu(x), [NAN, 0, -INF, INF, 1.0, -1.0], "EluBackward0"),
    ("celu", lambda F, x: F.celu(x, 0.5), [NAN, 0, -INF, INF, 1.0, -1.0], "CeluBackward0"),
    ("elu", lambda F, x: F.elu(x, 0.5), [NAN, 0, -INF, INF, 1.0, -1.0], "EluBackward0"),
    ("softsign", lambda F, x: F.softsign(x), [NAN, 0, 1.0, -2.0], "DivBackward0"),
    ("tanhshrink", lambda F, x: F.tanhshrink(x), [NAN, 0, -INF, INF, 1.0], "SubBackward0"),
    ("softshrink", lambda F, x: F.softshrink(x, 0.5), [NAN, 0.5, -0.5, 0, 1.0, -1, INF, -INF],
     "SoftshrinkBackward0"),
    ("hardshrink", lambda F, x: F.hardshrink(x, 0.5), [NAN, 0.5, -0.5, 0, 1.0, -1, INF, -INF],
     "HardshrinkBackward0"),
    ("threshold", lambda F, x: F.threshold(x, 0.5, -2.0), [NAN, 0.5, 0, 1.0, INF, -INF],
     "ThresholdBackward0"),
    ("logsigmoid", lambda F, x: F.logsigmoid(x), [NAN, 0, -INF, INF, -800.0, 800.0],
     "LogSigmoidBackward0"),
    ("glu", lambda F, x: F.glu(x), [NAN, 1.0, 0.0, NAN, INF, -INF], "GluBackward0"),
    ("softmin", lambda F, x: F.softmin(x, 0), [0.3, 1.0, -2.0], "SoftmaxBackward0"),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh"),
     [NAN, 0, -INF, INF, 1.0, -3.0, 10.0, -10.0, 1e-3, 2e5], "GeluBackward0"),
]

# the gradients PyTorch 2.13 gives at these points (checked against torch below)
EXPECTED_GRADS = {
    "hardtanh": [1, 0, 0, 1, 0, 0, 0],
    "relu6": [1, 0, 0, 1, 0, 0, 0],
    "hardsigmoid": [0, 0, 0, 1 / 6, 0, 0, 0, 1 / 6],
    "hardswish": [1, 0, 1, 0.5, 0, 1, 1, 0, 0.9, -1 / 15],
    "selu": [SELU_S, SELU_A * SELU_S, 0, SELU_S, SELU_S, SELU_A * SELU_S * math.exp(-1)],
    "celu": [1, 1, 0, 1, 1, math.exp(-2)],
    "elu": [1, 0.5, 0, 1, 1, 0.5 * math.exp(-1)],
    "softshrink": [0, 0, 0, 0, 1, 1, 1, 1],
    "hardshrink": [0, 0, 0, 0, 1, 1, 1, 1],
    "threshold": [1, 0, 0, 1, 1, 0],
    "logsigmoid": [NAN, 0.5, 1, 0, 1, 0],
}


def _run(lib, Fmod, fn, pts):
    x = lib.tensor(pts, dtype=lib.float64, requires_grad=True)
    y = fn(Fmod, x)
    y.backward(lib.ones_like(y))
    return y.detach().numpy(), x.grad.numpy(), type(y.grad_fn).__name__


@pytest.mark.parametrize("name,fn,pts,node", POINTWISE, ids=[c[0] for c in POINTWISE])
def test_values_and_gradients_at_nan_and_kinks(name, fn, pts, node):
    y, g, got_node = _run(ag, F, fn, pts)
    assert got_node == node
    if name in EXPECTED_GRADS:
        np.testing.assert_allclose(g, EXPECTED_GRADS[name], rtol=1e-6, equal_nan=True)
    finite = np.isfinite(np.asarray(pts, dtype=np.float64))
    if name not in ("glu", "softmin"):   # pointwise: NaN in, NaN out
        assert np.isnan(y[~np.isfinite(pts) & np.isnan(pts)]).all()
    assert finite.any()


@pytest.mark.parametrize("name,fn,pts,node", POINTWISE, ids=[c[0] for c in POINTWISE])
def test_values_and_gradients_match_torch(name, fn, pts, node):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    ours, theirs = _run(ag, F, fn, pts), _run(torch, TF, fn, pts)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-15, equal_nan=True)
    assert ours[2] == theirs[2]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4)) * 3
    for lib_x in (x, x.astype(np.float32)):
        a = fn(F, ag.tensor(lib_x)).numpy()
        b = fn(TF, torch.tensor(lib_x)).numpy()
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_prelu_values_grads_and_graph():
    x = ag.tensor([[NAN, 0.0, -1.0], [1.0, -INF, INF], [-2.0, 3.0, -0.5]],
                  dtype=ag.float64, requires_grad=True)
    w = ag.tensor([0.1, 0.2, 0.3], dtype=ag.float64, requires_grad=True)
    y = F.prelu(x.T, w)   # channels along dim 1
    assert y.grad_fn.name() == "PreluKernelBackward0"
    assert [type(n).__name__ for n, _ in y.grad_fn.next_functions] == ["PermuteBackward0",
                                                                       "ViewBackward0"]
    y.backward(ag.ones_like(y))
    # x grad: 1 where x > 0, else the channel's weight (NaN takes the weight too); row c
    # of x is channel c of x.T
    np.testing.assert_allclose(x.grad.numpy(), [[0.1, 0.1, 0.1], [1, 0.2, 1], [0.3, 1, 0.3]])
    assert np.isnan(w.grad.numpy()[0]) and w.grad.numpy()[1:].tolist() == [-INF, -2.5]
    one = ag.tensor([0.25], requires_grad=True)
    assert F.prelu(ag.tensor(-4.0), one).item() == -1.0   # 0-d input, one weight
    assert F.prelu(ag.randn(2, 3, 4), ag.tensor(0.5)).shape == (2, 3, 4)   # 0-d weight


def test_prelu_module_init_and_errors():
    m = nn.PReLU(3)
    assert repr(m) == "PReLU(num_parameters=3)"
    assert m.weight.tolist() == [0.25] * 3 and list(m.state_dict()) == ["weight"]
    assert nn.PReLU(init=0.1).weight.tolist() == [pytest.approx(0.1)]
    with pytest.raises(RuntimeError, match=r"Mismatch of parameter numbers and input channel "
                       r"size. Found parameter numbers = 4 and channel size = 3."):
        F.prelu(ag.randn(2, 3, 4), ag.ones(4))
    with pytest.raises(RuntimeError, match="channel size = 1"):
        F.prelu(ag.randn(3), ag.ones(3))
    with pytest.raises(RuntimeError, match=r"prelu: Expected `weight` to be a scalar or 1D "
                       r"tensor, but got: ndim = 2"):
        F.prelu(ag.randn(2, 3), ag.ones(3, 1))
    with pytest.raises(RuntimeError, match="prelu: Type promoting not supported. Got Long and "
                       "Float"):
        F.prelu(ag.tensor([1, -2]), ag.ones(1))


def test_glu_halves_and_errors():
    x = ag.tensor([[1.0, 2.0, 0.0, 3.0]], requires_grad=True)
    y = F.glu(x)
    np.testing.assert_allclose(y.detach().numpy(), [[0.5, 2 / (1 + math.exp(-3))]], rtol=1e-6)
    assert nn.GLU(0)(ag.randn(4, 3)).shape == (2, 3)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is "
                       "size 3"):
        F.glu(ag.randn(2, 3), 1)
    with pytest.raises(RuntimeError, match="glu does not support scalars because halving size "
                       "must be even"):
        F.glu(ag.tensor(1.0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.glu(ag.randn(2, 4), 2)


def test_bad_arguments_raise_pytorchs_errors():
    x = ag.randn(2, 3)
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for "
                       "input dtype Float, but found -0.5"):
        F.softshrink(x, -0.5)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(AssertionError, match=r"max_val \(1.0\) must be greater than min_val "
                       r"\(2.0\)"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D "
                       "instead"):
        nn.Softmax2d()(x)
    ints = ag.tensor([1, -2, 8])
    for fn, kernel in ((F.selu, "elu_cpu"), (F.hardsigmoid, "hardsigmoid_cpu"),
                       (F.mish, "mish_cpu"), (F.softshrink, "softshrink_check"),
                       (F.gelu, "GeluKernelImpl"), (F.logsigmoid, "log_sigmoid_cpu")):
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for '
                           "'Long'"):
            fn(ints)
    # integer inputs that PyTorch accepts keep their dtype
    assert F.relu6(ag.tensor([1, -2, 8])).tolist() == [1, 0, 6]
    assert F.hardtanh(ints).dtype == ag.int64
    assert F.threshold(ints, 0, 5).tolist() == [1, 5, 8]


def test_inplace_forms_write_into_the_input_and_keep_gradients():
    for fn in (lambda t, ip: F.relu6(t, inplace=ip), lambda t, ip: F.hardtanh(t, inplace=ip),
               lambda t, ip: F.selu(t, inplace=ip), lambda t, ip: F.celu(t, inplace=ip),
               lambda t, ip: F.mish(t, inplace=ip), lambda t, ip: F.hardswish(t, inplace=ip),
               lambda t, ip: F.hardsigmoid(t, inplace=ip),
               lambda t, ip: F.threshold(t, 0.1, 2.0, inplace=ip)):
        x = ag.tensor([-4.0, -0.5, 0.7, 7.0], dtype=ag.float64, requires_grad=True)
        expect = fn(x * 1, False)
        h = x * 1
        out = fn(h, True)
        assert out is h
        np.testing.assert_array_equal(h.detach().numpy(), expect.detach().numpy())
        out.sum().backward()
        ref = ag.tensor([-4.0, -0.5, 0.7, 7.0], dtype=ag.float64, requires_grad=True)
        fn(ref, False).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy())


def test_reprs():
    cases = {
        nn.Threshold(0.1, 20.0): "Threshold(threshold=0.1, value=20.0)",
        nn.Threshold(1, 2, True): "Threshold(threshold=1, value=2, inplace=True)",
        nn.Hardtanh(): "Hardtanh(min_val=-1.0, max_val=1.0)",
        nn.ReLU6(): "ReLU6()", nn.ReLU6(True): "ReLU6(inplace=True)",
        nn.Hardshrink(): "Hardshrink(0.5)", nn.Softshrink(0.3): "Softshrink(0.3)",
        nn.CELU(): "CELU(alpha=1.0)", nn.SELU(): "SELU()", nn.SELU(True): "SELU(inplace=True)",
        nn.GLU(): "GLU(dim=-1)", nn.Softmin(1): "Softmin(dim=1)", nn.Mish(): "Mish()",
        nn.Mish(True): "Mish(inplace=True)", nn.Hardswish(True): "Hardswish()",
        nn.Hardsigmoid(): "Hardsigmoid()", nn.Softsign(): "Softsign()",
        nn.Tanhshrink(): "Tanhshrink()", nn.LogSigmoid(): "LogSigmoid()",
        nn.Softmax2d(): "Softmax2d()",
    }
    for m, text in cases.items():
        assert repr(m) == text
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        assert nn.Hardtanh(min_value=-2.0).min_val == -2.0


def test_softmax2d_and_softmin():
    x = ag.randn(2, 3, 4, 5)
    np.testing.assert_allclose(nn.Softmax2d()(x).numpy().sum(1), np.ones((2, 4, 5)), rtol=1e-6)
    np.testing.assert_allclose(nn.Softmax2d()(x[0]).numpy(), x[0].softmax(0).numpy())
    np.testing.assert_allclose(F.softmin(x, 1).numpy(), (-x).softmax(1).numpy())
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(ag.randn(2, 3))


def test_gumbel_softmax_samples_and_straight_through_gradient():
    logits = ag.tensor([[1.0, 0.0, -1.0, 2.0]] * 4000, dtype=ag.float64, requires_grad=True)
    ag.manual_seed(0)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(1), 1.0)
    assert soft.grad_fn.name() == "SoftmaxBackward0"
    ag.manual_seed(0)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(1) == 1).all()
    np.testing.assert_array_equal(h.argmax(1), soft.detach().numpy().argmax(1))
    # argmax of logits + Gumbel noise is a draw from softmax(logits)
    p = np.exp([1.0, 0.0, -1.0, 2.0])
    p /= p.sum()
    freq = h.mean(0)
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / 4000))
    # straight through: the hard sample's gradient is the soft sample's
    w = ag.tensor(np.random.default_rng(1).normal(size=(4000, 4)))
    (hard * w).sum().backward()
    g_hard = logits.grad.numpy().copy()
    logits.grad = None
    (soft * w).sum().backward()
    np.testing.assert_allclose(g_hard, logits.grad.numpy(), rtol=1e-12)
    assert hard.grad_fn.name() == "AddBackward0"
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-3)


def test_gumbel_softmax_frequencies_match_torch():
    torch = pytest.importorskip("torch")
    logits = np.array([0.5, -1.0, 1.5])
    n = 4000
    torch.manual_seed(0)
    theirs = torch.nn.functional.gumbel_softmax(torch.tensor(np.tile(logits, (n, 1))),
                                                hard=True).numpy()
    ag.manual_seed(0)
    ours = F.gumbel_softmax(ag.tensor(np.tile(logits, (n, 1))), hard=True).numpy()
    p = np.exp(logits) / np.exp(logits).sum()
    tol = 5 * np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(ours.mean(0) - theirs.mean(0)) < tol)


def test_modules_match_torch_and_load_its_state_dict():
    torch = pytest.importorskip("torch")
    pairs = [(nn.PReLU(3), torch.nn.PReLU(3)), (nn.CELU(0.7), torch.nn.CELU(0.7)),
             (nn.Hardtanh(-2.0, 0.5), torch.nn.Hardtanh(-2.0, 0.5)),
             (nn.Threshold(0.1, 3.0), torch.nn.Threshold(0.1, 3.0)),
             (nn.Softmax2d(), torch.nn.Softmax2d()), (nn.GLU(1), torch.nn.GLU(1)),
             (nn.Softmin(2), torch.nn.Softmin(2)), (nn.Softshrink(0.2), torch.nn.Softshrink(0.2))]
    x = np.random.default_rng(2).normal(size=(2, 4, 3, 2))
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        with torch.no_grad():
            for p in theirs.parameters():
                p.uniform_(-1, 1)
        ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        xo = ag.tensor(x[:, :3] if isinstance(ours, nn.PReLU) else x, requires_grad=True)
        xt = torch.tensor(xo.detach().numpy(), requires_grad=True)
        yo, yt = ours(xo.float()), theirs(xt.float())
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
        yo.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
        for po, pt in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(po.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("approximate", ["tanh", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_gradient_against_pytorch(dtype, approximate):
    """GELU (GPT-2's tanh form and the exact one) on a hidden activation: values and the
    gradient of a random upstream (the forward's saved tanh or Phi, the array backward)."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(4)
    x, up = (r.standard_normal((4, 8, 16)) * 3).astype(dtype), r.standard_normal((4, 8, 16))
    res = []
    for lib, fmod in ((ag, F), (torch, torch.nn.functional)):
        t = lib.tensor(x, requires_grad=True)
        y = fmod.gelu(t, approximate=approximate)
        y.backward(lib.tensor(up.astype(dtype)))
        res.append((y.detach().numpy(), t.grad.numpy()))
    # (float32: where x << 0, 1 + tanh cancels; numpy's and PyTorch's tanh differ in the
    # last bit there)
    tol = dict(rtol=1e-5, atol=5e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for a, b in zip(*res):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("approximate", ["tanh", "none"])
def test_gelu_array_backward_matches_the_differentiable_rule(approximate):
    r = np.random.default_rng(5)
    x = ag.tensor(r.standard_normal((3, 5)) * 4, requires_grad=True)
    up = ag.tensor(r.standard_normal((3, 5)))
    y = F.gelu(x, approximate=approximate)
    fast, = ag.grad(y, [x], up, retain_graph=True)
    rule, = ag.grad(y, [x], up, create_graph=True)
    assert rule.grad_fn is not None
    np.testing.assert_allclose(fast.numpy(), rule.detach().numpy(), rtol=1e-13, atol=1e-15)
