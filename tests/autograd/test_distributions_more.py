"""The families beyond Normal/Categorical/Bernoulli/Uniform, MultivariateNormal,
Independent, LogNormal and kl_divergence/register_kl: PyTorch's samples after the same
seed, its log_prob/entropy/moments and their gradients, shapes, expand and errors."""

import math

import numpy as np
import pytest

import autograd as ag
from autograd.distributions import (
    Exponential,
    Independent,
    Laplace,
    MultivariateNormal,
    Normal,
    kl_divergence,
    register_kl,
)


def _families(lib, dt):
    d, t = lib.distributions, (lambda v: lib.tensor(v, dtype=getattr(lib, dt)))
    cov = t([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
    return {
        "exp": (d.Exponential(t([0.5, 2.0])), t([0.3, 1.7])),
        "laplace": (d.Laplace(t([0.0, 1.0]), t([1.0, 0.5])), t([0.3, -1.2])),
        "cauchy": (d.Cauchy(t([0.0, 1.0]), t([1.0, 0.5])), t([0.3, -1.2])),
        "lognormal": (d.LogNormal(t([0.0, 1.0]), t([1.0, 0.5])), t([0.3, 1.2])),
        "poisson": (d.Poisson(t([0.5, 4.0, 25.0])), t([0.0, 3.0, 20.0])),
        "geometric": (d.Geometric(t([0.3, 0.8])), t([2.0, 0.0])),
        "binomial": (d.Binomial(40, t([0.3, 0.6])), t([3.0, 30.0])),
        "onehot": (d.OneHotCategorical(logits=t([[0.1, 1.0, -0.5], [0.0, 0.0, 2.0]])),
                   t([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])),
        "independent": (d.Independent(d.Normal(t([[0.0, 1.0]]), t([[1.0, 2.0]])), 1),
                        t([[0.5, 0.5]])),
        "mvn_cov": (d.MultivariateNormal(t([0.0, 1.0, -1.0]), covariance_matrix=cov),
                    t([[0.3, 0.2, -0.1], [1.0, 1.0, 1.0]])),
        "mvn_prec": (d.MultivariateNormal(t([0.0, 1.0, -1.0]), precision_matrix=cov),
                     t([0.3, 0.2, -0.1])),
        "mvn_tril": (d.MultivariateNormal(t([[0.0, 1.0, -1.0]]),
                                          scale_tril=lib.linalg.cholesky(cov)),
                     t([0.3, 0.2, -0.1])),
    }


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_samples_and_formulas_are_pytorchs(dt):
    torch = pytest.importorskip("torch")
    out = {}
    for lib in (torch, ag):
        res = out[lib] = {}
        for name, (dist, value) in _families(lib, dt).items():
            lib.manual_seed(3)
            got = [dist.sample(), dist.sample((4,)), dist.log_prob(value), dist.mean]
            if dist.has_rsample:
                got.append(dist.rsample((2,)))
            if name not in ("cauchy",):
                got.append(dist.variance)
            if name not in ("poisson", "lognormal"):
                got.append(dist.entropy())
            if name in ("exp", "laplace", "cauchy", "lognormal"):
                got += [dist.cdf(value), dist.icdf(lib.tensor([0.2, 0.7], dtype=value.dtype))]
            got.append(lib.rand(2))   # the streams end in the same place
            res[name] = (got, tuple(dist.batch_shape), tuple(dist.event_shape), repr(dist))
    rtol = 1e-5 if dt == "float32" else 1e-12
    for name, (want, *meta) in out[torch].items():
        got, *gmeta = out[ag][name]
        assert gmeta[:2] == meta[:2], name
        assert gmeta[2] == meta[2].replace("torch.", "autograd."), name
        for w, g in zip(want, got):
            assert g.dtype.itemsize == w.dtype.itemsize and tuple(g.shape) == tuple(w.shape)
            np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=rtol,
                                       atol=rtol, err_msg=name)


def test_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (torch, ag):
        d = lib.distributions
        a = lib.tensor([0.4, 1.3], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([0.7, 2.1], dtype=lib.float64, requires_grad=True)
        L = lib.tensor([[1.2, 0.0], [0.4, 0.8]], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([0.3, 0.9], dtype=lib.float64)
        lib.manual_seed(0)
        total = (d.Exponential(a).rsample((3,)).sum() + d.Laplace(a, b).rsample((3,)).sum()
                 + d.Cauchy(a, b).rsample().sum() + d.LogNormal(a, b).rsample((2,)).sum()
                 + d.MultivariateNormal(a, scale_tril=L).rsample((2,)).sum()
                 + d.Exponential(a).log_prob(v).sum() + d.Laplace(a, b).entropy().sum()
                 + d.Poisson(b).log_prob(v.round()).sum() + d.Geometric(a / 2).entropy().sum()
                 + d.Binomial(5, a / 2).log_prob(v.round()).sum()
                 + d.MultivariateNormal(a, covariance_matrix=L @ L.mT).log_prob(v)
                 + d.MultivariateNormal(a, precision_matrix=L @ L.mT).entropy()
                 + d.kl_divergence(d.MultivariateNormal(a, scale_tril=L),
                                   d.MultivariateNormal(b, covariance_matrix=L @ L.mT + 1))
                 + d.kl_divergence(d.Laplace(a, b), d.Laplace(b, a)).sum()
                 + d.kl_divergence(d.Exponential(a), d.Exponential(b)).sum())
        total.backward()
        grads.append([total, a.grad, b.grad, L.grad])
    for w, g in zip(*grads):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-10)


def test_kl_pairs_match_pytorch():
    torch = pytest.importorskip("torch")
    res = []
    for lib in (torch, ag):
        d, t = lib.distributions, lib.tensor
        pairs = [(d.Bernoulli(t([0.2, 0.0, 1.0])), d.Bernoulli(t([0.5, 0.3, 0.0]))),
                 (d.Categorical(t([[0.2, 0.8, 0.0]])), d.Categorical(t([[0.5, 0.3, 0.2]]))),
                 (d.Categorical(t([0.2, 0.8])), d.Categorical(t([0.0, 1.0]))),
                 (d.OneHotCategorical(t([0.2, 0.8])), d.OneHotCategorical(t([0.6, 0.4]))),
                 (d.Poisson(t([1.0, 3.0])), d.Poisson(t([2.0, 0.5]))),
                 (d.Geometric(t([0.2, 0.7])), d.Geometric(t([0.5, 0.1]))),
                 (d.Binomial(t([5.0, 6.0]), t([0.2, 0.7])), d.Binomial(5, t([0.5, 0.1]))),
                 (d.Cauchy(0.0, 1.0), d.Cauchy(1.0, 2.0)),
                 (d.Uniform(t([0.0, 0.0]), t([1.0, 1.0])), d.Uniform(t([-1.0, 0.5]),
                                                                     t([2.0, 2.0]))),
                 (d.LogNormal(0.0, 1.0), d.LogNormal(1.0, 2.0)),
                 (d.Independent(d.Normal(t([[0.0, 1.0]]), t([[1.0, 2.0]])), 1),
                  d.Independent(d.Normal(t([[1.0, 1.0]]), t([[3.0, 2.0]])), 1))]
        res.append([d.kl_divergence(p, q) for p, q in pairs])
    for w, g in zip(*res):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6)


def test_errors_are_pytorchs():
    torch = pytest.importorskip("torch")
    cases = [
        lambda d, t: d.Exponential(t([1.0, -1.0])),
        lambda d, t: d.Exponential(t([1.0])).log_prob(t([-1.0])),
        lambda d, t: d.Exponential(t([1.0, 2.0])).log_prob(t([1.0, 2.0, 3.0])),
        lambda d, t: d.Exponential(t([1.0, 2.0])).log_prob(1.0),
        lambda d, t: d.Laplace(t([0.0]), t([0.0])),
        lambda d, t: d.Poisson(t([-1.0])),
        lambda d, t: d.Geometric(t([0.0])),
        lambda d, t: d.Geometric(probs=t([0.5]), logits=t([0.5])),
        lambda d, t: d.Binomial(t([2.5]), t([0.5])),
        lambda d, t: d.LogNormal(0.0, -1.0),
        lambda d, t: d.LogNormal(0.0, 1.0).log_prob(t(-1.0)),
        lambda d, t: d.OneHotCategorical(t([0.5, 0.5])).log_prob(t([1.0, 1.0])),
        lambda d, t: d.Independent(d.Normal(t([0.0]), t([1.0])), 2),
        lambda d, t: d.MultivariateNormal(t(0.0), t([[1.0]])),
        lambda d, t: d.MultivariateNormal(t([0.0]), t([[1.0]]), scale_tril=t([[1.0]])),
        lambda d, t: d.MultivariateNormal(t([0.0]), t([1.0])),
        lambda d, t: d.MultivariateNormal(t([0.0]), scale_tril=t([1.0])),
        lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 1.0], [0, 1]])),
        lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 2.0], [2.0, 1.0]])),
        lambda d, t: d.kl_divergence(d.Exponential(1.0), d.Laplace(0.0, 1.0)),
        lambda d, t: d.Uniform(t([1.0]), t([0.0])),
    ]
    for case in cases:
        errs = []
        for lib in (torch, ag):
            with pytest.raises(Exception) as info:
                case(lib.distributions, lib.tensor)
            errs.append(info)
        assert errs[1].type is errs[0].type, (errs[0].value, errs[1].value)
        assert str(errs[1].value).replace("autograd.", "torch.") == str(errs[0].value)


def test_expand_shapes_and_register_kl():
    e = Exponential(ag.tensor([1.0, 2.0])).expand((3, 2))
    assert e.batch_shape == (3, 2) and e.sample((4,)).shape == (4, 3, 2)
    ind = Independent(Normal(ag.zeros(2, 3), ag.ones(2, 3)), 1).expand((5, 2))
    assert ind.batch_shape == (5, 2) and ind.event_shape == (3,)
    assert ind.log_prob(ag.zeros(3)).shape == (5, 2)
    m = MultivariateNormal(ag.zeros(2), ag.eye(2)).expand((4,))
    assert m.rsample((3,)).shape == (3, 4, 2) and m.covariance_matrix.shape == (4, 2, 2)
    np.testing.assert_allclose(m.precision_matrix[0].numpy(), np.eye(2), atol=1e-6)
    np.testing.assert_allclose(m.entropy().numpy(), [1 + math.log(2 * math.pi)] * 4, rtol=1e-6)

    class Sub(Laplace):
        pass

    @register_kl(Sub, Laplace)
    def _zero(p, q):
        return p.loc * 0

    assert kl_divergence(Sub(1.0, 1.0), Laplace(0.0, 1.0)).item() == 0
    assert kl_divergence(Laplace(1.0, 1.0), Laplace(0.0, 1.0)).item() > 0
    with pytest.raises(TypeError, match="type_p"):
        register_kl(int, Laplace)


def test_binomial_sampler_is_pytorchs():
    torch = pytest.importorskip("torch")
    for n, p in [(5.0, 0.3), (50.0, 0.3), (50.0, 0.8), (1000.0, 0.5), (3.0, 0.0), (4.0, 1.0)]:
        torch.manual_seed(1)
        want = torch.binomial(torch.full((300,), n), torch.full((300,), p))
        ag.manual_seed(1)
        got = ag.binomial(ag.full((300,), n), ag.full((300,), p))
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert ag.rand(1).item() == torch.rand(1).item()


def test_without_torch():
    lap = Laplace(ag.tensor([0.0]), ag.tensor([2.0]))
    np.testing.assert_allclose(lap.log_prob(ag.tensor([1.0])).item(), -math.log(4) - 0.5,
                               rtol=1e-6)
    s = Exponential(ag.tensor([2.0])).sample((2000,))
    assert (s >= 0).all() and abs(s.mean().item() - 0.5) < 0.05
    mvn = MultivariateNormal(ag.zeros(2, dtype=ag.float64),
                             ag.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=ag.float64))
    x = np.array([0.3, -0.4])
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    want = -0.5 * (x @ np.linalg.solve(cov, x) + 2 * math.log(2 * math.pi)
                   + math.log(np.linalg.det(cov)))
    np.testing.assert_allclose(mvn.log_prob(ag.tensor(x)).item(), want, rtol=1e-10)
    loc = ag.tensor([0.3, -1.0], dtype=ag.float64, requires_grad=True)
    scale = ag.tensor([0.7, 1.9], dtype=ag.float64, requires_grad=True)
    for fn in (lambda m, s: Laplace(m, s).log_prob(ag.tensor([0.5, 0.1], dtype=ag.float64)),
               lambda m, s: kl_divergence(Laplace(m, s), Laplace(m * 0 + 1.0, s * 2))):
        assert ag.gradcheck(fn, (loc, scale)) and ag.gradgradcheck(fn, (loc, scale))
