"""autograd.distributions: PyTorch's samples after the same seed, its formulas, gradients
through rsample and log_prob."""

import math

import numpy as np
import pytest

import autograd as ag
from autograd.distributions import Bernoulli, Categorical, Normal, Uniform, kl_divergence


def test_normal_formulas_and_reparameterisation():
    n = Normal(ag.tensor([0.0, 1.0]), ag.tensor([1.0, 2.0]))
    assert n.batch_shape == (2,) and n.event_shape == () and n.sample((3,)).shape == (3, 2)
    v = np.array([0.5, 0.5])
    want = -((v - [0, 1]) ** 2) / (2 * np.array([1.0, 4.0])) - np.log([1.0, 2.0]) \
        - math.log(math.sqrt(2 * math.pi))
    np.testing.assert_allclose(n.log_prob(ag.tensor(v, dtype=ag.float32)).numpy(), want,
                               rtol=1e-6)
    mu = ag.tensor([0.5], requires_grad=True)
    sd = ag.tensor([1.5], requires_grad=True)
    z = Normal(mu, sd).rsample((4,))
    (z ** 2).sum().backward()
    eps = (z.detach() - 0.5) / 1.5
    np.testing.assert_allclose(mu.grad.numpy(), [(2 * z.detach()).sum().item()], rtol=1e-5)
    np.testing.assert_allclose(sd.grad.numpy(), [(2 * z.detach() * eps).sum().item()],
                               rtol=1e-5)
    with pytest.raises(ValueError, match="constraint GreaterThan"):
        Normal(ag.tensor([0.0]), ag.tensor([-1.0]))
    np.testing.assert_allclose(kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0)).item(),
                               math.log(2) + (1 + 1) / 8 - 0.5, rtol=1e-6)


def test_categorical_bernoulli_uniform():
    c = Categorical(probs=ag.tensor([1.0, 2.0, 7.0]))
    np.testing.assert_allclose(c.probs.numpy(), [0.1, 0.2, 0.7], rtol=1e-6)
    assert c.sample((1000,)).bincount(minlength=3)[2].item() > 600
    np.testing.assert_allclose(c.log_prob(ag.tensor(2)).item(), math.log(0.7), rtol=1e-5)
    p = ag.tensor([0.2, 0.5, 0.3], requires_grad=True)
    (-Categorical(p).log_prob(ag.tensor(2))).backward()   # REINFORCE's step
    np.testing.assert_allclose(p.grad.numpy(), [1, 1, 1 - 1 / 0.3], rtol=1e-5)
    with pytest.raises(ValueError, match="not both"):
        Categorical(probs=ag.ones(2), logits=ag.ones(2))
    b = Bernoulli(logits=ag.tensor([0.0]))
    assert b.probs.item() == 0.5 and b.sample((7,)).shape == (7, 1)
    u = Uniform(ag.tensor([0.0]), ag.tensor([2.0]))
    s = u.sample((100,))
    assert (s >= 0).all() and (s < 2).all()
    np.testing.assert_allclose(u.log_prob(ag.tensor([1.0])).item(), -math.log(2), rtol=1e-6)


def test_samples_are_pytorchs():
    torch = pytest.importorskip("torch")
    out = []
    for lib in (torch, ag):
        d = lib.distributions
        lib.manual_seed(0)
        n = d.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 2.0]))
        c = d.Categorical(logits=lib.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
        b = d.Bernoulli(probs=lib.tensor([0.3, 0.9]))
        u = d.Uniform(lib.tensor([0.0]), lib.tensor([2.0]))
        out.append([n.sample(), n.rsample((3,)), c.sample((4,)), b.sample((2,)),
                    u.rsample((2,)), n.log_prob(lib.tensor([0.5, 0.5])), c.entropy(),
                    b.log_prob(lib.tensor([1.0, 0.0])), b.entropy()])
    for want, got in zip(*out):
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6)
    assert repr(ag.distributions.Normal(ag.zeros(2), ag.ones(2))) == \
        repr(torch.distributions.Normal(torch.zeros(2), torch.ones(2))).replace("torch.",
                                                                                 "autograd.")


def test_gradients_checked_numerically():
    loc = ag.tensor([0.3, -1.0], dtype=ag.float64, requires_grad=True)
    scale = ag.tensor([0.7, 1.9], dtype=ag.float64, requires_grad=True)
    v = ag.tensor([0.5, 0.1], dtype=ag.float64)
    for fn in (lambda m, s: Normal(m, s).log_prob(v), lambda m, s: Normal(m, s).entropy(),
               lambda m, s: kl_divergence(Normal(m, s), Normal(m * 0 + 1.0, s * 2))):
        assert ag.gradcheck(fn, (loc, scale)) and ag.gradgradcheck(fn, (loc, scale))
    logits = ag.tensor([[0.2, -0.4, 1.1], [0.0, 0.3, -2.0]], dtype=ag.float64,
                       requires_grad=True)
    idx = ag.tensor([2, 0])
    target = ag.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=ag.float64)
    for fn in (lambda lg: Categorical(logits=lg).log_prob(idx),
               lambda lg: Categorical(logits=lg).entropy(),
               lambda lg: Bernoulli(logits=lg).log_prob(target).sum(),
               lambda lg: Bernoulli(logits=lg).entropy()):
        assert ag.gradcheck(fn, (logits,)) and ag.gradgradcheck(fn, (logits,))
