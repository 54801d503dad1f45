"""The dropout family beyond plain Dropout: channel dropout (1d/2d/3d), alpha dropout and
feature alpha dropout: masks, scaling, statistics, graphs, errors and warnings, and
(when torch is installed) agreement with PyTorch's constants and reprs."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

ALPHA = 1.7580993408473766


def _alpha_values(p):
    """The two values alpha dropout gives an input of ones: kept, dropped."""
    a = 1 / np.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    return a + ALPHA * a * p, -ALPHA * a + ALPHA * a * p


@pytest.mark.parametrize("fn,shape,kept", [
    (F.dropout1d, (50, 8, 5), 2), (F.dropout1d, (400, 5), 1),
    (F.dropout2d, (20, 20, 3, 2), 2), (F.dropout3d, (20, 20, 2, 2, 2), 2),
    (F.dropout3d, (400, 2, 2, 2), 1)])
def test_channel_dropout_zeroes_whole_channels(fn, shape, kept):
    ag.manual_seed(0)
    x = ag.ones(*shape, requires_grad=True)
    y = fn(x, 0.3, training=True)
    assert y.grad_fn.name() == "MulBackward0"
    v = y.detach().numpy().reshape(shape[:kept] + (-1,))
    per_channel = v[..., 0]
    assert (v == per_channel[..., None]).all()   # a channel is dropped or kept as a whole
    np.testing.assert_allclose(np.unique(v), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((per_channel == 0).mean() - 0.3) < 0.06
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_alpha_dropout_keeps_mean_and_variance_and_values():
    ag.manual_seed(1)
    for p in (0.2, 0.5):
        a, b = _alpha_values(p)
        y = F.alpha_dropout(ag.ones(4000), p, training=True).numpy()
        np.testing.assert_allclose(np.unique(y), sorted([a, b]), rtol=1e-6)
        assert abs((np.isclose(y, b)).mean() - p) < 0.03
        z = F.alpha_dropout(ag.tensor(np.random.default_rng(0).standard_normal(200000)), p,
                            training=True).numpy()
        assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    x = ag.ones(3, 4, requires_grad=True)
    y = F.alpha_dropout(x, 0.5, training=True)
    assert y.grad_fn.name() == "AddBackward0"
    assert [None if n is None else n.name() for n, _ in y.grad_fn.next_functions] == \
        ["MulBackward0", None]
    y.sum().backward()
    keep = np.isclose(y.detach().numpy(), _alpha_values(0.5)[0])
    np.testing.assert_allclose(x.grad.numpy(), keep / np.sqrt((ALPHA ** 2 * 0.5 + 1) * 0.5))


def test_feature_alpha_dropout_drops_channels():
    ag.manual_seed(2)
    y = F.feature_alpha_dropout(ag.ones(30, 10, 4), 0.4, training=True).numpy()
    assert (y == y[..., :1]).all()
    a, b = _alpha_values(0.4)
    np.testing.assert_allclose(np.unique(y), sorted([a, b]), rtol=1e-6)


def test_identity_cases_return_the_input():
    x = ag.randn(2, 3, 4)
    for fn in (F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout,
               F.dropout):
        if fn in (F.dropout2d, F.dropout3d):
            with pytest.warns(UserWarning):
                assert fn(x, 0.5, training=False) is x
                assert fn(x, 0.0, training=True) is x
            continue
        assert fn(x, 0.5, training=False) is x
        assert fn(x, 0.0, training=True) is x
    assert F.alpha_dropout(x) is x   # PyTorch's default: training=False
    empty = ag.randn(0, 3, 2, 2)
    assert F.dropout2d(empty, 0.5) is empty
    x4 = ag.randn(2, 3, 2, 2)
    for m in (nn.Dropout1d(), nn.Dropout2d(), nn.Dropout3d(), nn.AlphaDropout(),
              nn.FeatureAlphaDropout()):
        inp = x4 if isinstance(m, (nn.Dropout2d, nn.Dropout3d)) else x
        assert m.eval()(inp) is inp


def test_p_one_gives_zeros_with_a_graph():
    x = ag.randn(2, 3, 4, requires_grad=True)
    for fn in (F.dropout1d, F.alpha_dropout, F.feature_alpha_dropout):
        y = fn(x, 1.0, training=True)
        assert y.grad_fn.name() == "MulBackward0" and not y.detach().numpy().any()


def test_inplace_forms():
    ag.manual_seed(3)
    h = ag.ones(40, 6, 3)
    out = F.dropout1d(h, 0.5, True, inplace=True)
    assert out is h and set(np.unique(h.numpy()).tolist()) == {0.0, 2.0}
    h = ag.ones(40, 6)
    F.alpha_dropout(h, 0.5, True, inplace=True)
    np.testing.assert_allclose(np.unique(h.numpy()), sorted(_alpha_values(0.5)), rtol=1e-6)


def test_errors_and_warnings():
    for fn in (F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout,
               F.feature_alpha_dropout):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, "
                           "but got 1.5"):
            fn(ag.randn(2, 3, 4), 1.5)
    for cls in (nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout,
                nn.FeatureAlphaDropout):
        with pytest.raises(ValueError, match="but got -0.1"):
            cls(-0.1)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a "
                       "4D input"):
        F.dropout1d(ag.randn(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in "
                       "the input"):
        F.feature_alpha_dropout(ag.randn(3), 0.5, True)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(ag.randn(2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d, which is "
                      "deprecated"):
        F.dropout2d(ag.randn(2, 3, 4, 1, 1))
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(ag.randn(2, 3, 4))


def test_reprs_and_values_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"):
        assert repr(getattr(nn, name)(0.2, True)) == repr(getattr(torch.nn, name)(0.2, True))
    torch.manual_seed(0)
    theirs = np.unique(torch.nn.functional.alpha_dropout(torch.ones(1000), 0.3, True).numpy())
    ours = np.unique(F.alpha_dropout(ag.ones(1000), 0.3, True).numpy())
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    xt = torch.ones(20, 5, 3, requires_grad=True)
    yt = torch.nn.functional.feature_alpha_dropout(xt, 0.3, True)
    assert type(yt.grad_fn).__name__ == F.feature_alpha_dropout(
        ag.ones(20, 5, 3, requires_grad=True), 0.3, True).grad_fn.name()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("inplace", [False, True])
def test_dropout_mask_is_the_scale_in_the_input_dtype(dtype, inplace):
    """Survivors are x / (1 - p) rounded as PyTorch rounds it in the input's dtype, the
    rest 0, about a fraction p of them; the gradient is the same mask."""
    torch = pytest.importorskip("torch")
    ag.manual_seed(4)
    p = 0.3
    x = ag.ones(200, 100, dtype=getattr(ag, dtype), requires_grad=True)
    src = x * 1 if inplace else x
    y = F.dropout(src, p, training=True, inplace=inplace)
    assert y.dtype == x.dtype and y.grad_fn.name() == "MulBackward0"
    theirs = torch.nn.functional.dropout(torch.ones(200, 100, dtype=getattr(torch, dtype)), p)
    v = y.detach().numpy()
    np.testing.assert_array_equal(np.unique(v), np.unique(theirs.numpy()))
    assert abs((v == 0).mean() - p) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), v)


@pytest.mark.parametrize("fn", ["dropout", "dropout2d", "alpha_dropout", "feature_alpha_dropout"])
def test_masks_are_pytorchs_after_the_same_seed(fn):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((8, 4, 5, 5)).astype(np.float32)
    torch.manual_seed(3)
    want = getattr(torch.nn.functional, fn)(torch.tensor(x), 0.3, True).numpy()
    ag.manual_seed(3)
    got = getattr(F, fn)(ag.tensor(x), 0.3, True).numpy()
    np.testing.assert_array_equal(got, want)
