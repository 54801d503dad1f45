"""Losses: closed-form values in float64, every reduction, errors, gradients, and (when
torch is installed) agreement with PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

R = np.random.default_rng(0)


def t64(a, rg=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def _lsm(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("red", ["mean", "sum", "none"])
def test_regression_losses_closed_form(red):
    x, y = R.normal(size=(4, 3)), R.normal(size=(4, 3))
    d = x - y
    red_fn = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[red]
    cases = [
        (F.mse_loss, {}, d ** 2),
        (F.l1_loss, {}, np.abs(d)),
        (F.huber_loss, {"delta": 0.7}, np.where(np.abs(d) < 0.7, 0.5 * d ** 2,
                                                0.7 * (np.abs(d) - 0.35))),
        (F.smooth_l1_loss, {"beta": 0.7}, np.where(np.abs(d) < 0.7, 0.5 * d ** 2 / 0.7,
                                                   np.abs(d) - 0.35)),
    ]
    for fn, kw, expect in cases:
        out = fn(t64(x), t64(y), reduction=red, **kw)
        np.testing.assert_allclose(out.numpy(), red_fn(expect), rtol=1e-12, err_msg=fn.__name__)


def test_huber_smoothl1_reference_values():
    d = t64([0.5, 2.0, -3.0])
    z = ag.zeros(3, dtype=ag.float64)
    np.testing.assert_allclose(F.huber_loss(d, z, reduction="none", delta=2).numpy(),
                               [0.125, 2, 4])
    np.testing.assert_allclose(F.smooth_l1_loss(d, z, reduction="none", beta=2).numpy(),
                               [0.0625, 1, 2])


def test_mse_grad_and_name():
    x, y = t64(R.normal(size=(3, 2)), True), t64(R.normal(size=(3, 2)), True)
    loss = F.mse_loss(x, y)
    assert loss.grad_fn.name() == "MseLossBackward0"
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (x.detach().numpy() - y.detach().numpy()) / 6)
    np.testing.assert_allclose(y.grad.numpy(), -x.grad.numpy())
    for red in ("mean", "sum", "none"):
        assert ag.gradgradcheck(lambda a, b, r=red: F.mse_loss(a, b, reduction=r), (x, y))


def test_invalid_reduction_and_broadcast_warning():
    for fn in (F.mse_loss, F.l1_loss, F.cross_entropy, F.binary_cross_entropy):
        with pytest.raises(ValueError, match="^avg is not a valid value for reduction$"):
            fn(ag.rand(2, 2), ag.rand(2, 2), reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.warns(UserWarning, match=r"Using a target size \(autograd.Size\(\[4\]\)\) that "
                      r"is different to the input size \(autograd.Size\(\[4, 1\]\)\)"):
        F.mse_loss(ag.rand(4, 1), ag.rand(4))


def _ce_ref(x, t, w=None, ignore=-100, eps=0.0, red="mean"):
    C = x.shape[1]
    lsm = _lsm(x)
    w = np.ones(C) if w is None else w
    valid = t != ignore
    ts = np.where(valid, t, 0)
    wt = w[ts] * valid
    nll = -wt * np.take_along_axis(lsm, ts[:, None], 1)[:, 0]
    smooth = -(lsm * w).sum(1) / C * valid
    loss = (1 - eps) * nll + eps * smooth
    if red == "none":
        return loss
    if red == "sum":
        return loss.sum()
    return loss.sum() / wt.sum()


@pytest.mark.parametrize("red", ["mean", "sum", "none"])
@pytest.mark.parametrize("kw", [{}, {"w": True}, {"eps": 0.2}, {"w": True, "eps": 0.3,
                                                                "ignore": 1}])
def test_cross_entropy_closed_form_and_grad(red, kw):
    x = R.normal(size=(6, 4))
    t = np.array([0, 1, 2, 3, 1, 2])
    w = R.uniform(0.5, 2, 4) if kw.get("w") else None
    eps, ignore = kw.get("eps", 0.0), kw.get("ignore", -100)
    X = t64(x, True)
    out = F.cross_entropy(X, ag.tensor(t), weight=None if w is None else t64(w),
                          ignore_index=ignore, label_smoothing=eps, reduction=red)
    np.testing.assert_allclose(out.detach().numpy(), _ce_ref(x, t, w, ignore, eps, red),
                               rtol=1e-10)
    f = lambda a: F.cross_entropy(a, ag.tensor(t), weight=None if w is None else t64(w),
                                  ignore_index=ignore, label_smoothing=eps, reduction=red)
    assert ag.gradcheck(f, (X,))
    assert ag.gradgradcheck(f, (X,))


def test_cross_entropy_plain_grad_is_softmax_minus_onehot():
    x = R.normal(size=(5, 3))
    t = np.array([0, 2, 1, 1, 0])
    X = t64(x, True)
    F.cross_entropy(X, ag.tensor(t)).backward()
    p = np.exp(_lsm(x))
    np.testing.assert_allclose(X.grad.numpy(), (p - np.eye(3)[t]) / 5, rtol=1e-12)


def test_cross_entropy_nd_unbatched_probs_and_ignored():
    x = R.normal(size=(2, 3, 4, 5))
    t = R.integers(0, 3, (2, 4, 5))
    out = F.cross_entropy(t64(x), ag.tensor(t), reduction="none")
    ref = _ce_ref(np.moveaxis(x, 1, -1).reshape(-1, 3), t.reshape(-1), red="none")
    np.testing.assert_allclose(out.numpy(), ref.reshape(2, 4, 5), rtol=1e-12)
    X = t64(x, True)
    assert ag.gradcheck(lambda a: F.cross_entropy(a, ag.tensor(t)), (X,))
    # unbatched
    v = R.normal(size=4)
    np.testing.assert_allclose(F.cross_entropy(t64(v), ag.tensor(2)).numpy(),
                               -_lsm(v[None])[0, 2])
    # probability targets (with smoothing): -sum p * lsm, mean over the batch
    x2, p = R.normal(size=(3, 4)), R.dirichlet(np.ones(4), 3)
    ps = p * 0.9 + 0.1 / 4
    np.testing.assert_allclose(F.cross_entropy(t64(x2), t64(p), label_smoothing=0.1).numpy(),
                               -(ps * _lsm(x2)).sum(1).mean())
    # all targets ignored -> nan
    out = F.cross_entropy(t64(x2), ag.tensor([1, 1, 1]), ignore_index=1)
    assert np.isnan(out.item())


def test_cross_entropy_and_nll_errors():
    x = ag.randn(3, 4)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got "
                       "Float"):
        F.cross_entropy(x, ag.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                       r"batch_size \(2\)\."):
        F.cross_entropy(x, ag.tensor([1, 2]))
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.nll_loss(x, ag.tensor([1, 2, 5]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.cross_entropy(x, ag.tensor([1, -1, 2]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 4 "
                       r"classes or no classes but got weight tensor of shape: \[3\]"):
        F.cross_entropy(x, ag.tensor([1, 2, 1]), weight=ag.ones(3))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3, 5\], got \[3\]"):
        F.cross_entropy(ag.randn(3, 4, 5), ag.tensor([1, 2, 1]))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: "
                       "1.2"):
        F.cross_entropy(x, ag.tensor([1, 2, 1]), label_smoothing=1.2)


@pytest.mark.parametrize("red", ["mean", "sum", "none"])
def test_nll_loss_closed_form(red):
    x = _lsm(R.normal(size=(5, 3)))
    t = np.array([0, 1, 2, 1, 1])
    w = np.array([0.2, 1.0, 3.0])
    X = t64(x, True)
    out = F.nll_loss(X, ag.tensor(t), weight=t64(w), ignore_index=2, reduction=red)
    valid = t != 2
    per = -w[t] * x[np.arange(5), t] * valid
    expect = {"none": per, "sum": per.sum(), "mean": per.sum() / (w[t] * valid).sum()}[red]
    np.testing.assert_allclose(out.detach().numpy(), expect, rtol=1e-12)
    f = lambda a: F.nll_loss(a, ag.tensor(t), weight=t64(w), ignore_index=2, reduction=red)
    assert ag.gradcheck(f, (X,)) and ag.gradgradcheck(f, (X,))
    # log_softmax + nll == cross_entropy
    z = t64(R.normal(size=(5, 3)))
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(z, 1), ag.tensor(t)).numpy(),
                               F.cross_entropy(z, ag.tensor(t)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("red", ["mean", "sum", "none"])
def test_bce_closed_form_clamp_and_grads(red):
    p = R.uniform(0.05, 0.95, (4, 2))
    y = R.uniform(0, 1, (4, 2))
    w = R.uniform(0.5, 2, (4, 2))
    per = -w * (y * np.log(p) + (1 - y) * np.log(1 - p))
    expect = {"none": per, "sum": per.sum(), "mean": per.mean()}[red]
    P, Y = t64(p, True), t64(y, True)
    out = F.binary_cross_entropy(P, Y, weight=t64(w), reduction=red)
    assert out.grad_fn.name() == "BinaryCrossEntropyBackward0"
    np.testing.assert_allclose(out.detach().numpy(), expect, rtol=1e-12)
    f = lambda a, b: F.binary_cross_entropy(a, b, weight=t64(w), reduction=red)
    assert ag.gradcheck(f, (P, Y)) and ag.gradgradcheck(f, (P, Y))
    # log clamp at -100
    out = F.binary_cross_entropy(t64([0.0, 1.0]), t64([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(out.numpy(), [100.0, 100.0])


def test_bce_errors():
    with pytest.raises(ValueError, match=r"Using a target size \(autograd.Size\(\[4\]\)\) that "
                       r"is different to the input size \(autograd.Size\(\[4, 1\]\)\) is "
                       "deprecated"):
        F.binary_cross_entropy(ag.rand(4, 1), ag.rand(4))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ag.tensor([1.5]), ag.tensor([1.0]))
    with pytest.raises(ValueError, match=r"Target size \(autograd.Size\(\[4\]\)\) must be the "
                       r"same as input size \(autograd.Size\(\[4, 1\]\)\)"):
        F.binary_cross_entropy_with_logits(ag.rand(4, 1), ag.rand(4))


@pytest.mark.parametrize("red", ["mean", "sum", "none"])
def test_bce_with_logits_stable_and_pos_weight(red):
    z = np.array([[-800.0, -3.0, 0.0, 2.0, 900.0]])
    y = np.array([[1.0, 0.0, 0.5, 1.0, 0.0]])
    pw = np.array([1.0, 2.0, 3.0, 0.5, 1.5])
    logsig = lambda v: -np.logaddexp(0, -v)
    per = -(pw * y * logsig(z) + (1 - y) * logsig(-z))
    expect = {"none": per, "sum": per.sum(), "mean": per.mean()}[red]
    out = F.binary_cross_entropy_with_logits(t64(z), t64(y), pos_weight=t64(pw), reduction=red)
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-12)
    assert np.isfinite(out.numpy()).all()
    Z = t64(R.normal(size=(3, 5)), True)
    Y = t64(R.uniform(size=(3, 5)), True)
    f = lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=t64(pw), reduction=red)
    assert ag.gradcheck(f, (Z, Y)) and ag.gradgradcheck(f, (Z, Y))


def test_kl_div():
    x = _lsm(R.normal(size=(3, 4)))
    y = np.exp(_lsm(R.normal(size=(3, 4))))
    y[0, 0] = 0.0
    per = np.where(y > 0, y * (np.log(np.where(y > 0, y, 1)) - x), 0.0)
    np.testing.assert_allclose(F.kl_div(t64(x), t64(y), reduction="batchmean").numpy(),
                               per.sum() / 3)
    np.testing.assert_allclose(F.kl_div(t64(x), t64(np.log(y + 1e-300)), reduction="sum",
                                        log_target=True).numpy(), per.sum(), rtol=1e-9)
    with pytest.warns(UserWarning, match="batchmean"):
        np.testing.assert_allclose(F.kl_div(t64(x), t64(y)).numpy(), per.mean())
    X, Y = t64(x, True), t64(R.uniform(0.1, 1, (3, 4)), True)
    assert ag.gradcheck(lambda a, b: F.kl_div(a, b, reduction="sum"), (X, Y))


def test_loss_modules_match_functional():
    x, y = ag.randn(4, 3), ag.rand(4, 3)
    t = ag.tensor([0, 2, 1, 1])
    w = ag.rand(3)
    pairs = [
        (nn.MSELoss(reduction="sum"), F.mse_loss(x, y, reduction="sum")),
        (nn.L1Loss(), F.l1_loss(x, y)),
        (nn.HuberLoss(delta=0.5), F.huber_loss(x, y, delta=0.5)),
        (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss(x, y, beta=0.5)),
        (nn.BCEWithLogitsLoss(pos_weight=w), F.binary_cross_entropy_with_logits(x, y,
                                                                               pos_weight=w)),
        (nn.BCELoss(), F.binary_cross_entropy(x.sigmoid(), y)),
    ]
    for mod, expect in pairs:
        inp = x.sigmoid() if isinstance(mod, nn.BCELoss) else x
        np.testing.assert_allclose(mod(inp, y).numpy(), expect.numpy(), rtol=1e-6)
    ce = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, ignore_index=2)
    np.testing.assert_allclose(ce(x, t).numpy(), F.cross_entropy(
        x, t, weight=w, label_smoothing=0.1, ignore_index=2).numpy())
    assert "weight" in ce.state_dict()
    nll = nn.NLLLoss(reduction="none")
    assert nll(x.log_softmax(1), t).shape == (4,)
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_one_hot():
    assert F.one_hot(ag.tensor([1, 2]), 3).tolist() == [[0, 1, 0], [0, 0, 1]]
    assert F.one_hot(ag.tensor([[0], [2]])).shape == (2, 1, 3)
    assert F.one_hot(ag.tensor([1])).dtype == ag.int64
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(ag.tensor([1, 2]), 2)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(ag.tensor([1.0]))



def test_against_torch():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    x = R.normal(size=(5, 4, 3))
    t = R.integers(0, 4, (5, 3))
    w = R.uniform(0.5, 2, 4)
    for red in ("mean", "sum", "none"):
        for kw in ({}, {"label_smoothing": 0.25}, {"ignore_index": 2}):
            tx = torch.tensor(x, requires_grad=True)
            a = TF.cross_entropy(tx, torch.tensor(t), weight=torch.tensor(w), reduction=red,
                                 **kw)
            a.sum().backward()
            X = t64(x, True)
            b = F.cross_entropy(X, ag.tensor(t), weight=t64(w), reduction=red, **kw)
            b.sum().backward()
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10)
            np.testing.assert_allclose(X.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-14)
    z, y = R.normal(size=(4, 3)), R.uniform(size=(4, 3))
    for name, kw in (("binary_cross_entropy_with_logits", {"pos_weight": w[:3]}),
                     ("smooth_l1_loss", {"beta": 0.3}), ("huber_loss", {"delta": 0.3}),
                     ("kl_div", {"reduction": "batchmean"})):
        a = getattr(TF, name)(torch.tensor(z), torch.tensor(y),
                              **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                 for k, v in kw.items()})
        b = getattr(F, name)(t64(z), t64(y), **{k: t64(v) if isinstance(v, np.ndarray) else v
                                               for k, v in kw.items()})
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("ignore", [-100, 2])
def test_cross_entropy_plain_path_matches_weighted_path(ignore):
    """The plain case (all targets valid, no weights: a shortcut) gives the values and
    gradients of the general path (taken here through all-ones class weights)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4)).astype(np.float32) * 5
    t = ag.tensor([0, 3, 1, 2, 1, 0] if ignore == -100 else [0, 3, 1, 3, 1, 0])
    xa, xb = ag.tensor(x, requires_grad=True), ag.tensor(x, requires_grad=True)
    a = F.cross_entropy(xa, t, ignore_index=ignore)
    b = F.cross_entropy(xb, t, weight=ag.ones(4), ignore_index=ignore)
    g = ag.tensor(0.7)
    a.backward(g)
    b.backward(g)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)
    np.testing.assert_allclose(xa.grad.numpy(), xb.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("bad", [np.inf, np.nan, "row of -inf", -np.inf])
def test_cross_entropy_few_classes_with_non_finite_logits(bad):
    """A row holding inf or NaN, or only -inf, makes its log-softmax NaN (PyTorch's loss
    and gradient: NaN, no warning); a -inf logit beside finite ones stays finite. (Both
    the few-classes path and the general one.)"""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 10)).astype(np.float32)
    if bad == "row of -inf":
        x[3] = -np.inf
    else:
        x[3, 2] = bad
    t = ag.tensor(np.r_[2, 2, 2, 5, rng.integers(0, 10, 36)])
    for weight in (None, ag.ones(10)):   # the general path, through all-ones weights
        X = ag.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss = F.cross_entropy(X, t, weight=weight)
            loss.backward()
        g = X.grad.numpy()
        if bad == -np.inf:
            assert np.isfinite(loss.item()) and np.isfinite(g).all()
            assert g[3, 2] == 0
        else:
            assert np.isnan(loss.item()) and np.isnan(g[3]).all()
            assert np.isfinite(np.delete(g, 3, axis=0)).all()


def test_cross_entropy_in_range_ignore_index_is_not_plain():
    x = ag.tensor([[1.0, 2.0, 3.0], [0.5, 0.1, -1.0]], requires_grad=True)
    out = F.cross_entropy(x, ag.tensor([1, 2]), ignore_index=2)   # row 1 is ignored
    ref = -np.log(np.exp(2.0) / np.exp([1.0, 2.0, 3.0]).sum())
    np.testing.assert_allclose(out.item(), ref, rtol=1e-6)
    out.backward()
    assert np.all(x.grad.numpy()[1] == 0)


def test_cross_entropy_few_classes_path():
    """A 2-D input with few classes (the usual classifier), its log_softmax computed by
    rows: same values and gradients as the general path, stable at +-1e4, unchanged by a
    second backward, and differentiable twice."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 10)) * 3
    x[0, 3], x[1, :] = 1e4, -1e4
    t = ag.tensor(rng.integers(0, 10, 40))
    X = t64(x, True)
    loss = F.cross_entropy(X, t)
    lsm = loss.grad_fn.next_functions[0][0]
    assert lsm.name() == "LogSoftmaxBackward0"
    assert lsm._out[0].flags.c_contiguous   # (PyTorch's layout: .view works on it)
    W = t64(x, True)   # the general path, through all-ones class weights
    ref = F.cross_entropy(W, t, weight=ag.ones(10, dtype=ag.float64))
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-12)
    g = ag.tensor(0.3, dtype=ag.float64)
    loss.backward(g, retain_graph=True)
    ref.backward(g)
    np.testing.assert_allclose(X.grad.numpy(), W.grad.numpy(), rtol=1e-10, atol=1e-15)
    first = X.grad.numpy().copy()
    X.grad = None
    loss.backward(g)   # the kept softmax was not modified by the first backward
    np.testing.assert_array_equal(X.grad.numpy(), first)
    # a non-contiguous input, gradcheck and gradgradcheck (the Tensor path) in float64
    xs = t64(rng.standard_normal((10, 12)), True)
    tt = ag.tensor(rng.integers(0, 5, 12))
    fn = lambda a: F.cross_entropy(a.T[:, :5], tt)  # noqa: E731
    assert fn(xs).grad_fn.next_functions[0][0]._out[0].flags.f_contiguous
    assert ag.gradcheck(fn, (xs,)) and ag.gradgradcheck(fn, (xs,))
