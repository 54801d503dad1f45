"""Sampling: rand/randn/randint/randperm, normal's overloads, bernoulli, poisson, the *_like
variants, the in-place fills and the Generator API. Shapes, dtypes, grad_fns and errors are
PyTorch's (checked against it when installed); the distributions are checked statistically
with a seeded Generator (sample moments within a few standard errors)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

from . import torch_oracle

SETUP = "g = torch.Generator().manual_seed(0)"

# random results: only the type, dtype and shape are compared (and errors in full)
SAMPLING_EXPRS = [
    "torch.randperm(5, generator=g)", "torch.randperm(5, dtype=torch.float32)", "torch.randperm(0)",
    "torch.randperm(-1)", "torch.randperm(5, requires_grad=True)", "torch.randperm(3.0)",
    "torch.randperm(5, dtype=torch.float32, requires_grad=True)",
    "torch.rand(2, 3, generator=g)", "torch.rand(2, dtype=torch.float64)",
    "torch.rand(2, dtype=torch.int64)", "torch.randn(2, dtype=torch.int64)",
    "torch.randn((2, 3), generator=g, requires_grad=True)", "torch.randint(3, (2,), generator=g)",
    "torch.randint(2, 5, (3,), dtype=torch.float32)", "torch.randint(5, 2, (3,))",
    "torch.bernoulli(torch.tensor([0., 1.]))", "torch.bernoulli(torch.tensor([0., 1.]), p=0.5)",
    "torch.bernoulli(torch.tensor([0., 1.5]))", "torch.bernoulli(torch.tensor([0, 1]))",
    "torch.bernoulli(torch.tensor([-0.5]))", "torch.bernoulli(torch.tensor([float('nan')]))",
    "torch.bernoulli(torch.tensor([0.5], dtype=torch.float64))",
    "torch.bernoulli(torch.ones(2), generator=g)", "torch.ones(3).bernoulli()",
    "torch.ones(3).bernoulli(0.0)", "torch.zeros(3).bernoulli_(torch.ones(3))",
    "torch.zeros(3).bernoulli_(1.5)", "torch.zeros(3, dtype=torch.int64).bernoulli_(1.0)",
    "torch.zeros(2, 3).bernoulli_(torch.ones(3))",
    "torch.normal(torch.zeros(2), torch.ones(2))", "torch.normal(torch.zeros(2), torch.ones(3))",
    "torch.normal(torch.zeros(2, 1), torch.ones(3))", "torch.normal(0., torch.ones(3))",
    "torch.normal(torch.zeros(3), 1.)", "torch.normal(0., 1., size=(2,))",
    "torch.normal(0., 1., (2,))", "torch.normal(2, 3, size=(2,))",
    "torch.normal(torch.zeros(3), -1.)", "torch.normal(0., -1., size=(2,))",
    "torch.normal(torch.zeros(3), -torch.ones(3))",
    "torch.normal(torch.zeros(3, dtype=torch.float64), torch.ones(3))",
    "torch.normal(torch.zeros(3, dtype=torch.int64), torch.ones(3))", "torch.normal(0., 1.)",
    "torch.normal(torch.zeros(3), torch.ones(3), generator=g)",
    "torch.normal(0., 1., size=(2,), dtype=torch.float64)",
    "torch.normal(0., 1., size=(2,), requires_grad=True)", "torch.normal(torch.zeros(3), 1., (3,))",
    "torch.normal(mean=torch.zeros(3))", "torch.normal(torch.zeros(3))",
    "torch.normal(torch.zeros(2, requires_grad=True), torch.ones(2))",
    "torch.poisson(torch.tensor([1., 10.]), generator=g)", "torch.poisson(torch.tensor([-1.]))",
    "torch.poisson(torch.tensor([1]))", "torch.poisson(torch.tensor([float('nan')]))",
    "torch.poisson(torch.tensor([1.], dtype=torch.float64))",
    "torch.rand_like(torch.ones(2, dtype=torch.int64))",
    "torch.randn_like(torch.ones(2, dtype=torch.int64))", "torch.randint_like(torch.ones(2), 5)",
    "torch.randint_like(torch.ones(2), 3, 5)", "torch.randint_like(torch.ones(2), 5, generator=g)",
    "torch.rand_like(torch.ones(2), generator=g)",
    "torch.rand_like(torch.ones(2), requires_grad=True)",
    "torch.rand_like(torch.ones(2, requires_grad=True))", "torch.randn_like(torch.ones(2, 3))",
    "torch.randint_like(torch.ones(2, dtype=torch.int64), 0)",
    "torch.zeros(3).uniform_(2, 3, generator=g)", "torch.zeros(3).uniform_(3, 2)",
    "torch.zeros(3, dtype=torch.int64).uniform_()", "torch.zeros(3).uniform_(from_=1, to=2)",
    "torch.zeros(3).uniform_(a=1, b=2)", "torch.zeros(3).uniform_(to=2.)",
    "torch.zeros(3).normal_(0, -1)", "torch.zeros(3, dtype=torch.int64).normal_()",
    "torch.zeros(3).normal_(mean=1, std=0, generator=g)",
    "torch.zeros(3).exponential_(0.)", "torch.zeros(3).exponential_(-1.)",
    "torch.zeros(3).exponential_(lambd=2., generator=g)",
    "torch.zeros(3, dtype=torch.int64).exponential_()",
    "torch.zeros(3).random_(generator=g)", "torch.zeros(3).random_(5)",
    "torch.zeros(3).random_(2, 5)",
    "torch.zeros(3).random_(5, 2)", "torch.zeros(3, dtype=torch.int64).random_()",
    "torch.zeros(3).random_(0)", "torch.zeros(3, dtype=torch.bool).random_()",
    "torch.zeros(3, dtype=torch.uint8).random_()", "torch.zeros(3).random_(to=4)",
    "torch.zeros(3).geometric_(0.5, generator=g)", "torch.zeros(3).geometric_(0.)",
    "torch.zeros(3).geometric_(1.5)", "torch.zeros(3).geometric_(1.)",
    "torch.zeros(3, dtype=torch.int64).geometric_(0.5)",
    "torch.zeros(3).log_normal_(generator=g)", "torch.zeros(3).log_normal_(1, -2)",
    "torch.zeros(3).log_normal_(mean=1, std=2)", "torch.zeros(3, dtype=torch.int64).log_normal_()",
    "torch.zeros(3).cauchy_(generator=g)", "torch.zeros(3).cauchy_(0, -1)",
    "torch.zeros(3).cauchy_(median=1, sigma=2)", "torch.zeros(3, dtype=torch.int64).cauchy_()",
    "torch.zeros(3, requires_grad=True).uniform_()",
]

# grad_fn names of sampling ops on tensors that require grad
GRAD_FN_EXPRS = [
    f"type(({e}).grad_fn).__name__" for e in [
        "(torch.zeros(3, requires_grad=True) * 1).uniform_()",
        "(torch.zeros(3, requires_grad=True) * 1).normal_()",
        "(torch.zeros(3, requires_grad=True) * 1).bernoulli_()",
        "(torch.zeros(3, requires_grad=True) * 1).bernoulli_(torch.ones(3) * .5)",
        "(torch.zeros(3, requires_grad=True) * 1).random_()",
        "(torch.zeros(3, requires_grad=True) * 1).random_(5)",
        "(torch.zeros(3, requires_grad=True) * 1).random_(1, 5)",
        "(torch.zeros(3, requires_grad=True) * 1).exponential_()",
        "(torch.zeros(3, requires_grad=True) * 1).geometric_(0.5)",
        "(torch.zeros(3, requires_grad=True) * 1).log_normal_()",
        "(torch.zeros(3, requires_grad=True) * 1).cauchy_()",
        "torch.bernoulli(torch.full((3,), 0.5, requires_grad=True))",
        "torch.poisson(torch.full((3,), 0.5, requires_grad=True))",
        "torch.normal(torch.zeros(3, requires_grad=True), torch.ones(3, requires_grad=True))",
        "torch.normal(torch.zeros(3, requires_grad=True), 2.0)",
        "torch.normal(0.0, torch.ones(3, requires_grad=True))",
    ]]

GENERATOR_EXPRS = [
    "g.initial_seed()", "torch.Generator().initial_seed()", "g.get_state().dtype",
    "g.seed() > 0", "g.manual_seed(-1).initial_seed()", "g.manual_seed(2**64)",
    "g.manual_seed(-2**63-1)", "g.manual_seed(1.5)", "g.set_state(torch.ones(3))",
    "g.set_state(torch.get_rng_state()) is g", "torch.set_rng_state(3)",
    "torch.manual_seed(3).initial_seed()", "torch.get_rng_state().dtype",
]


@pytest.mark.parametrize("expr", SAMPLING_EXPRS)
def test_sampling_matches_pytorch(expr):
    torch_oracle.check(expr, setup=SETUP, same=False)


@pytest.mark.parametrize("expr", GRAD_FN_EXPRS + GENERATOR_EXPRS)
def test_grad_fns_and_generators_match_pytorch(expr):
    torch = pytest.importorskip("torch")
    state = torch.get_rng_state(), ag.get_rng_state()
    try:
        torch_oracle.check(expr, setup=SETUP)
    finally:
        torch.set_rng_state(state[0])
        ag.set_rng_state(state[1])


def test_gradients_through_sampling_are_zero_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (torch, ag):
        m = lib.zeros(2, 1, dtype=lib.float64, requires_grad=True)
        s = lib.ones(3, dtype=lib.float64, requires_grad=True)
        p = lib.full((3,), 0.5, dtype=lib.float64, requires_grad=True)
        x = lib.zeros(2, 3, dtype=lib.float64, requires_grad=True)
        out = (lib.normal(m, s) + lib.bernoulli(p) + lib.poisson(p) + (x * 1).uniform_()
               + (x * 2).bernoulli_(p))
        out.sum().backward()
        for t, shape in ((m, (2, 1)), (s, (3,)), (p, (3,)), (x, (2, 3))):
            assert tuple(t.grad.shape) == shape and not t.grad.numpy().any()


def _gen(seed=0):
    return ag.Generator().manual_seed(seed)


def _moments_close(x: np.ndarray, mean: float, var: float, k: float = 5.0) -> None:
    """Sample mean and variance within k standard errors of the distribution's."""
    n = x.size
    assert abs(x.mean() - mean) < k * math.sqrt(var / n), (x.mean(), mean)
    assert abs(x.var() - var) < k * var * math.sqrt(2 / (n - 1)) * 2, (x.var(), var)


N = 40_000


def test_distributions_have_their_moments():
    g = _gen(1)
    _moments_close(ag.rand(N, generator=g).numpy(), 0.5, 1 / 12)
    _moments_close(ag.randn(N, generator=g).numpy(), 0.0, 1.0)
    _moments_close(ag.normal(2.0, 3.0, (N,), generator=g).numpy(), 2.0, 9.0)
    _moments_close(ag.normal(ag.full((N,), -1.0), ag.full((N,), 0.5), generator=g).numpy(),
                   -1.0, 0.25)
    _moments_close(ag.randint(2, 7, (N,), generator=g).numpy(), 4.0, (25 - 1) / 12)
    _moments_close(ag.zeros(N).uniform_(-2, 4, generator=g).numpy(), 1.0, 3.0)
    _moments_close(ag.zeros(N).normal_(1.0, 2.0, generator=g).numpy(), 1.0, 4.0)
    _moments_close(ag.zeros(N).exponential_(2.0, generator=g).numpy(), 0.5, 0.25)
    _moments_close(ag.zeros(N).geometric_(0.25, generator=g).numpy(), 4.0, 0.75 / 0.0625)
    ln = ag.zeros(N, dtype=ag.float64).log_normal_(0.0, 0.5, generator=g).numpy()
    _moments_close(np.log(ln), 0.0, 0.25)
    _moments_close(ag.poisson(ag.full((N,), 3.0), generator=g).numpy(), 3.0, 3.0)
    _moments_close(ag.zeros(N).random_(10, generator=g).numpy(), 4.5, 99 / 12)
    c = ag.zeros(N, dtype=ag.float64).cauchy_(1.0, 2.0, generator=g).numpy()
    assert abs(np.median(c) - 1.0) < 0.1 and abs(np.mean(np.abs(c - 1) < 2) - 0.5) < 0.02


def test_bernoulli_frequencies_and_no_impossible_outcomes():
    g = _gen(2)
    p = ag.tensor([0.0, 0.1, 0.5, 0.9, 1.0])
    draws = ag.bernoulli(p.expand(N, 5), generator=g).numpy()
    freq = draws.mean(0)
    se = np.sqrt(p.numpy() * (1 - p.numpy()) / N)
    assert freq[0] == 0 and freq[-1] == 1
    assert (np.abs(freq - p.numpy()) <= 5 * se + 1e-12).all()
    filled = ag.zeros(N, dtype=ag.int64).bernoulli_(0.3, generator=g).numpy()
    assert set(np.unique(filled)) <= {0, 1} and abs(filled.mean() - 0.3) < 5 * np.sqrt(.21 / N)


def test_randperm_is_a_uniform_permutation():
    g = _gen(3)
    perms = np.stack([ag.randperm(4, generator=g).numpy() for _ in range(4000)])
    assert (np.sort(perms, 1) == np.arange(4)).all()
    # each value lands in each position with frequency 1/4
    freq = np.stack([(perms == v).mean(0) for v in range(4)])
    assert np.abs(freq - 0.25).max() < 5 * np.sqrt(0.25 * 0.75 / 4000)


def test_random_fills_stay_in_range_for_each_dtype():
    g = _gen(4)
    for dt, hi in ((ag.bool, 2), (ag.uint8, 256), (ag.int32, 2 ** 31), (ag.float32, 2 ** 24 + 1)):
        v = ag.zeros(5000, dtype=dt).random_(generator=g).numpy().astype(np.float64)
        assert v.min() >= 0 and v.max() < hi and v.max() >= (hi - 1) / 2
    assert ag.zeros(3, dtype=ag.int64).random_(generator=g).numpy().min() >= 0


def test_generators_reproduce_and_states_restore():
    a = ag.randn(5, generator=_gen(11)).numpy()
    assert np.array_equal(a, ag.randn(5, generator=_gen(11)).numpy())
    assert not np.array_equal(a, ag.randn(5, generator=_gen(12)).numpy())
    g = _gen(5)
    state = g.get_state()
    assert state.dtype == ag.uint8 and state.ndim == 1
    first = ag.rand(4, generator=g).numpy()
    g.set_state(state)
    assert np.array_equal(first, ag.rand(4, generator=g).numpy())
    assert g.initial_seed() == 5
    ag.manual_seed(3)
    x = ag.rand(3)
    ag.manual_seed(3)
    with ag.random.fork_rng():
        ag.rand(10)
    assert np.array_equal(ag.rand(3).numpy(), x.numpy())
    saved = ag.get_rng_state()
    y = ag.randn(2)
    ag.set_rng_state(saved)
    assert np.array_equal(ag.randn(2).numpy(), y.numpy())
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        g.set_state(ag.ones(3))
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(1.5)


def test_sampling_errors_name_the_argument():
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        ag.normal(ag.zeros(2), ag.tensor([1.0, -1.0]))
    with pytest.raises(RuntimeError, match="uniform_ expects to return a \\[from, to\\) range"):
        ag.zeros(2).uniform_(1, 0)
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu.*'Long'"):
        ag.randn(2, dtype=ag.int64)
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        ag.poisson(ag.tensor([-1.0]))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        ag.zeros(2, requires_grad=True).normal_()
    with ag.no_grad():   # initialisation code does this
        w = ag.zeros(2, requires_grad=True).normal_(generator=_gen())
    assert w.requires_grad and w.is_leaf and w.abs().sum().item() > 0
