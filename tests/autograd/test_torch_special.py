"""autograd.special against torch.special: every name maps to the same values and
gradients; reachable as an attribute of the package, as torch.special is."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare

rng = np.random.default_rng(0)
X = rng.uniform(-2, 2, (3, 4))
P = rng.uniform(0.05, 0.95, (3, 4))
POS = rng.uniform(1.6, 5.0, (3, 4))

CASES = [("expit", (X,), {}), ("logit", (P,), {}), ("erf", (X,), {}), ("erfc", (X,), {}),
         ("erfinv", (P,), {}), ("exp2", (X,), {}), ("expm1", (X,), {}), ("log1p", (P,), {}),
         ("gammaln", (POS,), {}), ("digamma", (POS,), {}), ("psi", (POS,), {}),
         ("multigammaln", (POS,), {"p": 2}), ("xlogy", (X, P), {}), ("sinc", (X,), {}),
         ("round", (X,), {}), ("softmax", (X,), {"dim": 1}), ("log_softmax", (X,), {"dim": 0}),
         ("logsumexp", (X,), {"dim": 1}), ("ndtr", (X,), {})]


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[c[0] for c in CASES])
def test_special_names_match_torch_special(name, args, kwargs):
    torch = pytest.importorskip("torch")
    compare(torch, getattr(ag.special, name), getattr(torch.special, name), *args,
            kwargs=kwargs, atol=1e-10, rtol=1e-10)


def test_polygamma_and_reachability():
    torch = pytest.importorskip("torch")
    compare(torch, lambda x: ag.special.polygamma(2, x), lambda x: torch.special.polygamma(2, x),
            POS, atol=1e-10, rtol=1e-10)
    import autograd.special as special
    assert special is ag.special and set(special.__all__) <= set(dir(torch.special))


def test_aliases_without_torch():
    x = ag.tensor([0.5, 2.0], dtype=ag.float64)
    assert ag.special.gammaln is ag.lgamma and ag.special.psi is ag.digamma
    np.testing.assert_allclose(ag.special.ndtr(ag.tensor([0.0, 1.0])).numpy(),
                               [0.5, 0.8413447], rtol=1e-6)
    np.testing.assert_allclose(ag.special.expit(x).numpy(), 1 / (1 + np.exp(-x.numpy())))
