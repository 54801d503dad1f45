"""nn.utils.parametrize and the weight/spectral normalisations (parametrizations and the
hook-based originals): values, gradients, state_dict keys, removal, errors, and (when
torch is installed) the same numbers as PyTorch from the same state_dict."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils import parametrizations as P
from nn.utils import parametrize

rng = np.random.default_rng(7)


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


def test_register_parametrization_property_class_and_keys():
    lin = nn.Linear(3, 3)
    parametrize.register_parametrization(lin, "weight", Symmetric())
    assert type(lin).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(lin) is nn.Linear
    assert parametrize.is_parametrized(lin) and parametrize.is_parametrized(lin, "weight")
    assert not parametrize.is_parametrized(lin, "bias")
    w = lin.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    assert list(lin.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in lin.named_parameters()] == ["bias", "parametrizations.weight.original"]
    assert "(parametrizations): ModuleDict(" in repr(lin)
    # the gradient reaches the original through the parametrization
    lin(ag.ones(1, 3)).sum().backward()
    assert lin.parametrizations.weight.original.grad is not None
    # assigning sets the original through right_inverse
    sym = np.array([[1.0, 2, 3], [2, 4, 5], [3, 5, 6]], dtype=np.float32)
    lin.weight = ag.tensor(sym)
    np.testing.assert_array_equal(lin.weight.detach().numpy(), sym)
    # another Linear is untouched
    assert type(nn.Linear(2, 2)) is nn.Linear and "weight" in nn.Linear(2, 2)._parameters


def test_cached_and_removal():
    lin = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    with parametrize.cached():
        assert lin.weight is lin.weight
    assert lin.weight is not lin.weight
    value = lin.weight.detach().numpy()
    parametrize.remove_parametrizations(lin, "weight")
    assert type(lin) is nn.Linear and isinstance(lin.weight, nn.Parameter)
    np.testing.assert_array_equal(lin.weight.detach().numpy(), value)
    assert list(lin.state_dict()) == ["bias", "weight"]   # registered again, last (as PyTorch)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(lin, "weight")
    lin = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    original = lin.parametrizations.weight.original.detach().numpy().copy()
    parametrize.remove_parametrizations(lin, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(lin.weight.detach().numpy(), original)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                       "parametrized element with name 'nope'"):
        parametrize.register_parametrization(lin, "nope", Symmetric())


def test_parametrization_may_not_change_shape_unless_unsafe():
    class Flat(nn.Module):
        def forward(self, x):
            return x.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape of the tensor"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flat())
    lin = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Flat(), unsafe=True)
    assert lin.weight.shape == (4,)


def test_weight_norm_parametrization_formula_and_gradients():
    lin = P.weight_norm(nn.Linear(3, 4).double())
    g = lin.parametrizations.weight.original0
    v = lin.parametrizations.weight.original1
    assert g.shape == (4, 1) and v.shape == (4, 3)
    np.testing.assert_allclose(g.detach().numpy()[:, 0],
                               np.linalg.norm(v.detach().numpy(), axis=1))
    with ag.no_grad():
        g.mul_(2)
    w = lin.weight.detach().numpy()
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), g.detach().numpy()[:, 0])
    assert ag.gradcheck(lambda gg, vv: (vv * (gg / vv.norm(2, 1, keepdim=True))).sum(),
                        (g.detach().requires_grad_(), v.detach().requires_grad_()))
    whole = P.weight_norm(nn.Linear(3, 4), dim=None)
    assert whole.parametrizations.weight.original0.shape == ()


def test_old_weight_norm_and_spectral_norm_hooks():
    with pytest.warns(FutureWarning, match="weight_norm` is deprecated"):
        lin = nn.utils.weight_norm(nn.Linear(3, 4))
    assert list(lin.state_dict()) == ["bias", "weight_g", "weight_v"]
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nn.utils.weight_norm(lin)
    out = lin(ag.ones(2, 3))
    out.sum().backward()
    assert lin.weight_g.grad is not None and lin.weight_v.grad is not None
    nn.utils.remove_weight_norm(lin)
    assert list(lin.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(lin)
    sn = nn.utils.spectral_norm(nn.Linear(5, 4).double())
    assert list(sn.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    for _ in range(30):
        sn(ag.ones(1, 5, dtype=ag.float64))   # power iteration converges in training mode
    sigma = np.linalg.svd(sn.weight_orig.detach().numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(np.linalg.svd(sn.weight.detach().numpy(),
                                             compute_uv=False)[0], 1.0, rtol=1e-6)
    assert sigma > 0
    nn.utils.remove_spectral_norm(sn)
    assert list(sn.state_dict()) == ["bias", "weight"]


def test_spectral_norm_parametrization_normalises_the_largest_singular_value():
    lin = P.spectral_norm(nn.Linear(6, 4).double())
    for _ in range(20):
        lin(ag.ones(1, 6, dtype=ag.float64))
    np.testing.assert_allclose(np.linalg.svd(lin.weight.detach().numpy(),
                                             compute_uv=False)[0], 1.0, rtol=1e-6)
    assert list(lin.state_dict()) == ["bias", "parametrizations.weight.original",
                                      "parametrizations.weight.0._u",
                                      "parametrizations.weight.0._v"]
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        P.spectral_norm(nn.Linear(2, 2), name="w")


def _torch_pair(torch, make):
    """The same layer in both libraries, ours loaded from PyTorch's state_dict."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = make(torch.nn, torch.nn.utils).double()
        ours = make(nn, nn.utils).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: ag.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return ours, theirs


CASES = {
    "weight_norm": lambda m, u: u.parametrizations.weight_norm(m.Linear(4, 3)),
    "weight_norm_conv_dim1": lambda m, u: u.parametrizations.weight_norm(m.Conv2d(2, 3, 2),
                                                                         dim=1),
    "weight_norm_dim_none": lambda m, u: u.parametrizations.weight_norm(m.Linear(4, 3),
                                                                        dim=None),
    "old_weight_norm": lambda m, u: u.weight_norm(m.Linear(4, 3)),
    "spectral_norm": lambda m, u: u.parametrizations.spectral_norm(m.Linear(4, 3)),
    "spectral_norm_conv": lambda m, u: u.parametrizations.spectral_norm(m.Conv2d(2, 3, 2),
                                                                        n_power_iterations=2),
    "old_spectral_norm": lambda m, u: u.spectral_norm(m.Linear(4, 3)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_against_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair(torch, CASES[name])
    conv = "conv" in name
    for mode in ("train", "train", "eval"):
        ours.train(mode == "train")
        theirs.train(mode == "train")
        x = rng.normal(size=(2, 2, 4, 4) if conv else (2, 4))
        yo, yt = ours(ag.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        yo.sum().backward()
        yt.sum().backward()
        for (n, po), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(po.grad.numpy(), pt.grad.numpy(), rtol=1e-9,
                                       atol=1e-12, err_msg=n)
        for k, v in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-10,
                                       atol=1e-12, err_msg=k)
    assert repr(ours).replace("autograd", "torch") == repr(theirs)


def test_parametrized_modules_of_one_class_stay_independent_and_acyclic():
    import gc

    a = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    b = P.weight_norm(nn.Linear(3, 3), name="bias", dim=None)
    assert type(a) is type(b)   # one Parametrized class per class
    # b's weight and a's bias are plain parameters
    assert isinstance(b.weight, nn.Parameter) and isinstance(a.bias, nn.Parameter)
    assert list(b.state_dict()) == ["weight", "parametrizations.bias.original0",
                                    "parametrizations.bias.original1"]
    w = a.weight.detach().numpy()
    np.testing.assert_array_equal(w, w.T)
    parametrize.remove_parametrizations(a, "weight")
    assert type(a) is nn.Linear and type(b).__name__ == "ParametrizedLinear"
    assert b.bias.shape == (3,) and parametrize.is_parametrized(b, "bias")
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            m = P.spectral_norm(P.weight_norm(nn.Linear(4, 2)), name="bias")
            m(ag.ones(1, 4)).sum().backward()
            del m
        assert gc.collect() == 0, "parametrized modules left reference cycles"
    finally:
        gc.enable()
