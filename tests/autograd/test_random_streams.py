"""PyTorch's random streams, number for number: after the same seed, every sampler, the
initialisers, the layers' default weights and the data loaders' orders are PyTorch's, and
RNG states move between the two. Checked against PyTorch when it is installed, and without it
against tests/autograd/torch_cpu_rng.py (PyTorch's kernels written out plainly)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import autograd as ag
import nn
from autograd.data import DataLoader, RandomSampler, TensorDataset, random_split
from autograd.random import _apply_swaps

from .torch_cpu_rng import TorchCPUStream

DTYPES = ["float32", "float64", "float16"]


@pytest.fixture(autouse=True)
def _keep_global_streams():
    """These tests reseed the global generators: restore them afterwards."""
    state = ag.get_rng_state()
    torch = _torch_or_none()
    tstate = torch.get_rng_state() if torch else None
    yield
    ag.set_rng_state(state)
    if torch:
        torch.set_rng_state(tstate)


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _same(fn, seed: int = 7, rtol: float = 0.0):
    """fn(torch) after torch.manual_seed(seed) equals fn(autograd) after manual_seed(seed):
    values (exactly, or within rtol), dtype and shape; and the generators end in the same
    state (the next draws agree)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    want = fn(torch)
    ag.manual_seed(seed)
    got = fn(ag)
    want = want if isinstance(want, list) else [want]
    got = got if isinstance(got, list) else [got]
    for w, g in zip(want, got, strict=True):
        w, g = np.asarray(w.detach().numpy()), np.asarray(g.detach().numpy())
        assert g.dtype == w.dtype and g.shape == w.shape
        if rtol:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
        else:
            np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(ag.get_rng_state().numpy(), torch.get_rng_state().numpy())


# ---- against PyTorch ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 5, 16, 37, 1000])
def test_rand_randn_and_normal_fills_are_pytorchs(dtype, n):
    _same(lambda m: m.rand(n, dtype=getattr(m, dtype)))
    _same(lambda m: [m.randn(n, dtype=getattr(m, dtype)) for _ in range(3)])
    _same(lambda m: m.empty(n, dtype=getattr(m, dtype)).normal_(2.0, 3.0))
    _same(lambda m: m.normal(-1.0, 0.5, (n,), dtype=getattr(m, dtype)))
    _same(lambda m: m.empty(n, dtype=getattr(m, dtype)).uniform_(-2.5, 1.3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_samplers_are_pytorchs(dtype):
    def fills(m):
        dt = getattr(m, dtype)
        return [m.empty(40, dtype=dt).exponential_(1.5), m.empty(40, dtype=dt).cauchy_(1, 3),
                m.empty(7, dtype=dt).log_normal_(1, 0.7), m.empty(40, dtype=dt).log_normal_(),
                m.empty(40, dtype=dt).geometric_(0.3), m.empty(40, dtype=dt).bernoulli_(0.3),
                m.empty(40, dtype=dt).random_(), m.empty(40, dtype=dt).random_(5),
                m.empty(40, dtype=dt).random_(-3, 9), m.empty(5, dtype=dt).random_(-3, None)]
    _same(fills)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_random_fills_of_integer_tensors_are_pytorchs(dtype):
    low = 0 if dtype in ("uint8", "bool") else -3
    _same(lambda m: [m.empty(20, dtype=getattr(m, dtype)).random_(),
                     m.empty(20, dtype=getattr(m, dtype)).random_(low, None),
                     m.empty(20, dtype=getattr(m, dtype)).bernoulli_(0.6)]
          + ([] if dtype == "bool" else [m.empty(20, dtype=getattr(m, dtype)).geometric_(0.2)]))
    if dtype == "bool":
        torch = pytest.importorskip("torch")
        with pytest.raises(NotImplementedError) as want:
            torch.zeros(2, dtype=torch.bool).geometric_(0.2)
        with pytest.raises(NotImplementedError) as got:
            ag.zeros(2, dtype=ag.bool).geometric_(0.2)
        assert str(got.value) == str(want.value)


def test_randint_and_randperm_are_pytorchs():
    # 64-bit draws for ranges from 2**28 on (PyTorch's switch), 32-bit below
    _same(lambda m: [m.randint(-4, 20, (3, 5)), m.randint(0, 2 ** 28 - 1, (4,)),
                     m.randint(0, 2 ** 28, (4,)), m.randint(-5, 2 ** 40, (4,)),
                     m.randint(3, 9, (5,), dtype=m.float32), m.randint(7, (2, 2)),
                     m.empty(3, dtype=m.int64).random_(-2 ** 63, None),
                     m.randint_like(m.zeros(3, 4), 3, 10)])
    _same(lambda m: [m.randperm(n) for n in (0, 1, 2, 3, 17, 1000, 60000)])
    _same(lambda m: m.randperm(6, dtype=m.float32))


def test_normal_overloads_bernoulli_and_multinomial_are_pytorchs():
    _same(lambda m: [m.normal(m.arange(20.), m.arange(20.) / 10), m.normal(m.arange(5.), 2.0),
                     m.normal(3.0, m.arange(20.) / 10), m.normal(m.zeros(2, 1), m.ones(3))])
    p = np.random.default_rng(0).random((6, 5)).astype(np.float32)
    _same(lambda m: [m.bernoulli(m.tensor(p)), m.bernoulli(m.tensor(p).double()),
                     m.zeros(6, 5).bernoulli_(m.tensor(p)), m.bernoulli(m.zeros(6, 5), p=0.4),
                     m.tensor(p).bernoulli()])
    w = np.array([[0.1, 0.2, 0.3, 0.4], [1, 0, 2, 3]], np.float32)
    _same(lambda m: [m.multinomial(m.tensor(w), 1, True), m.multinomial(m.tensor(w), 3),
                     m.multinomial(m.tensor(w), 9, True), m.multinomial(m.tensor(w[0]), 20, True),
                     m.multinomial(m.tensor(w).double(), 2)])


def test_poisson_is_pytorchs():
    # both of PyTorch's samplers (rates below 10 multiply uniforms, from 10 on Hoermann's
    # rejection), zero rates, float32 and float64, a 2-D and a transposed input
    rates = np.array([0.5, 3.0, 0.0, 12.0, 100.0, 7.5, 1e4, 0.01] * 8).reshape(8, 8)
    _same(lambda m: [m.poisson(m.tensor(rates)), m.poisson(m.tensor(rates).float()),
                     m.poisson(m.tensor(rates).T),
                     m.poisson(m.tensor(rates), generator=m.Generator().manual_seed(2)),
                     m.poisson(m.tensor([float("inf"), 3.0]))])   # (inf: C's cast of NaN)


def test_non_contiguous_fills_draw_in_memory_order_as_pytorch():
    _same(lambda m: [m.zeros(4, 5).t().uniform_(), m.zeros(5, 8).t().normal_(),
                     m.zeros(4, 6)[:, ::2].exponential_(), m.zeros(6, 4)[::2].t().random_(9),
                     m.zeros(3, 4).t().bernoulli_(0.5)])


def test_generator_argument_and_like_variants_are_pytorchs():
    def draws(m):
        g = m.Generator().manual_seed(3)
        return [m.rand(4, generator=g), m.randn(20, generator=g, dtype=m.float64),
                m.randint(5, (4,), generator=g), m.randperm(9, generator=g),
                m.zeros(5).normal_(generator=g), m.rand_like(m.zeros(3, dtype=m.float64)),
                m.randn_like(m.zeros(2, 3)), m.randint_like(m.zeros(4), 7, generator=g),
                m.normal(m.zeros(3), 1.0, generator=g)]
    _same(draws)


@pytest.mark.parametrize("draws", [0, 1, 623, 624, 625, 1300])
def test_state_bytes_are_pytorchs(draws):
    """The 5056-byte state: seed, mt19937 words, position and the cached normal sample."""
    _same(lambda m: [m.randint(0, 5, (draws,)), m.randn(1), m.get_rng_state()], seed=11)
    _same(lambda m: [m.randint(0, 5, (draws,)), m.Generator().manual_seed(2).get_state()])


def test_pytorch_states_load_and_continue_its_streams():
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    torch.randn(3)   # leaves a cached normal sample
    state = torch.get_rng_state()
    ag.set_rng_state(ag.tensor(state.numpy()))
    want = [torch.randn(5), torch.rand(3), torch.randperm(7)]
    got = [ag.randn(5), ag.rand(3), ag.randperm(7)]
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
    g = torch.Generator()
    g.set_state(torch.tensor(ag.Generator().manual_seed(9).get_state().numpy()))
    assert g.initial_seed() == 9
    np.testing.assert_array_equal(torch.rand(4, generator=g).numpy(),
                                  ag.rand(4, generator=ag.Generator().manual_seed(9)).numpy())


@pytest.mark.parametrize("expr, make", [
    ("a 10-byte state", lambda lib: lib.zeros(10, dtype=lib.uint8)),
    ("a state with left = 0", lambda lib: _state_with(lib, 8, [0, 0, 0, 0])),
    ("a state with next = 200 * 257", lambda lib: _state_with(lib, 16, [200, 200])),
])
def test_bad_states_raise_pytorchs_errors(expr, make):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as want:
        torch.Generator().set_state(make(torch))
    with pytest.raises(RuntimeError) as got:
        ag.Generator().set_state(make(ag))
    assert str(got.value) == str(want.value), expr


@pytest.mark.parametrize("expr", [
    "zeros(3, dtype={lib}.int8).random_(0, 1000)", "zeros(3, dtype={lib}.int8).random_(-1000, 5)",
    "zeros(3, dtype={lib}.uint8).random_(-3, None)", "zeros(3, dtype={lib}.int8).random_(300)",
    "zeros(3, dtype={lib}.bool).random_(0, 3)", "randint(0, 1000, (3,), dtype={lib}.int8)",
    "randint(-2, 1, (3,), dtype={lib}.uint8)", "zeros(3, dtype={lib}.int16).random_(2 ** 15 + 1)",
    "zeros(3, dtype={lib}.int32).random_(2 ** 31 + 1)",
])
def test_integer_ranges_beyond_the_dtype_raise_pytorchs_errors(expr):
    torch = pytest.importorskip("torch")  # noqa: F841 (named in expr)
    with pytest.raises(RuntimeError) as want:
        eval("torch." + expr.format(lib="torch"))  # noqa: S307
    with pytest.raises(RuntimeError) as got:
        eval("ag." + expr.format(lib="ag"))  # noqa: S307
    assert str(got.value) == str(want.value)


def _state_with(lib, offset, values):
    state = lib.Generator().get_state()
    state[offset:offset + len(values)] = lib.tensor(values, dtype=lib.uint8)
    return state


MODULES = [
    ("Linear(3, 4)", ()), ("Linear(64, 40)", ()), ("Bilinear(3, 4, 5)", ()),
    ("Conv1d(3, 4, 3)", ()), ("Conv2d(3, 8, 3)", ()), ("ConvTranspose2d(3, 8, 3)", ()),
    ("Embedding(10, 4)", ()), ("Embedding(3, 4)", ()), ("EmbeddingBag(10, 4)", ()),
    ("LayerNorm(4)", ()), ("RNN(3, 5, 2)", ()), ("LSTM(3, 5, 2, bidirectional=True)", ()),
    ("GRU(3, 5)", ()), ("LSTMCell(3, 5)", ()), ("MultiheadAttention(8, 2)", ()),
    ("MultiheadAttention(8, 2, kdim=4, vdim=6, add_bias_kv=True)", ()),
    ("TransformerEncoderLayer(8, 2, 16)", ()), ("TransformerDecoderLayer(8, 2, 16)", ()),
]


@pytest.mark.parametrize("expr", [m for m, _ in MODULES])
def test_default_initialisation_is_pytorchs(expr):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    want = eval("torch.nn." + expr).state_dict()  # noqa: S307
    ag.manual_seed(0)
    got = eval("nn." + expr).state_dict()  # noqa: S307
    assert list(got) == list(want)
    for k in want:
        np.testing.assert_array_equal(got[k].numpy(), want[k].numpy())
    np.testing.assert_array_equal(ag.rand(3).numpy(), torch.rand(3).numpy())


@pytest.mark.parametrize("name, args", [
    ("uniform_", (-1, 2)), ("normal_", (1, 2)), ("xavier_uniform_", ()), ("xavier_normal_", ()),
    ("kaiming_uniform_", ()), ("kaiming_normal_", ()), ("orthogonal_", ()),
    ("trunc_normal_", ()), ("trunc_normal_", (0, 1, -1, 1.5)), ("trunc_normal_", (0, 1, 0.5, 1)),
])
@pytest.mark.parametrize("shape", [(5, 7), (7, 5), (4, 3, 2)])
def test_initialisers_are_pytorchs(name, args, shape):
    torch = pytest.importorskip("torch")
    tol = 1e-5 if name in ("orthogonal_", "trunc_normal_") else 0   # QR, erfinv in float32
    _same(lambda m: getattr((torch.nn if m is torch else nn).init, name)(m.empty(shape), *args),
          rtol=tol)
    _same(lambda m: getattr((torch.nn if m is torch else nn).init, name)(
        m.empty(6, 6), *args, generator=m.Generator().manual_seed(4)), rtol=tol)


def test_data_loading_orders_are_pytorchs():
    torch = pytest.importorskip("torch")
    from torch.utils import data as tdata
    x, y = np.arange(50, dtype=np.float32).reshape(25, 2), np.arange(25)

    def epochs(m, data, **kw):
        ds = data.TensorDataset(m.tensor(x), m.tensor(y))
        loaders = [data.DataLoader(ds, batch_size=4, shuffle=True, **kw),
                   data.DataLoader(ds, batch_size=5, shuffle=True, drop_last=True, **kw),
                   data.DataLoader(ds, batch_size=7)]   # draws its base seed all the same
        return [[b[1].tolist() for b in dl] for _ in range(2) for dl in loaders] + [
            [s.indices for s in data.random_split(range(10), [0.3, 0.7], **kw)],
            list(data.RandomSampler(range(10), True, 70, **kw)),
            list(data.RandomSampler(range(10), False, 23, **kw)),
            list(data.SubsetRandomSampler([5, 7, 9, 11], **kw)), m.rand(2).tolist()]
    for seed in (0, 3):
        torch.manual_seed(seed)
        want = epochs(torch, tdata)
        ag.manual_seed(seed)
        assert epochs(ag, ag.data) == want
        want = epochs(torch, tdata, generator=torch.Generator().manual_seed(seed))
        assert epochs(ag, ag.data, generator=ag.Generator().manual_seed(seed)) == want


# ---- without PyTorch: against its kernels written out -------------------------------------

@pytest.mark.parametrize("seed", [0, 5489, 2 ** 40 + 3])
def test_streams_match_the_plain_reference(seed):
    g = ag.Generator().manual_seed(seed)
    ref = TorchCPUStream(seed)
    np.testing.assert_array_equal(ag.rand(7, generator=g).numpy(), ref.uniform_(7, np.float32))
    np.testing.assert_array_equal(ag.rand(5, generator=g, dtype=ag.float64).numpy(),
                                  ref.uniform_(5, np.float64))
    np.testing.assert_array_equal(ag.randn(5, generator=g, dtype=ag.float64).numpy(),
                                  ref.normal_(5, np.float64))   # leaves a cached sample
    np.testing.assert_array_equal(ag.randn(3, generator=g, dtype=ag.float64).numpy(),
                                  ref.normal_(3, np.float64))
    np.testing.assert_allclose(ag.randn(37, generator=g, dtype=ag.float64).numpy(),
                               ref.normal_(37, np.float64), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ag.randn(21, generator=g).numpy(), ref.normal_(21, np.float32),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ag.randn(21, generator=g, dtype=ag.float16).numpy(),
                               ref.normal_(21, np.float16), rtol=1e-3)
    np.testing.assert_array_equal(ag.randint(-3, 11, (9,), generator=g).numpy(),
                                  ref.random_(9, -3, 11))
    np.testing.assert_array_equal(ag.randint(0, 2 ** 30, (4,), generator=g).numpy(),
                                  ref.random_(4, 0, 2 ** 30))
    np.testing.assert_array_equal(ag.randperm(50, generator=g).numpy(), ref.randperm(50))
    p = np.linspace(0, 1, 11)
    np.testing.assert_array_equal(ag.bernoulli(ag.tensor(p), generator=g).numpy(),
                                  ref.bernoulli_(p))
    np.testing.assert_array_equal(ag.zeros(6).exponential_(2.0, generator=g).numpy(),
                                  ref.exponential_(6, 2.0).astype(np.float32))
    assert ag.rand(1, generator=g).item() == ref.uniform_float()


@settings(max_examples=40, deadline=None)
@given(hs.lists(hs.integers(0, 10 ** 6), max_size=60))
def test_vectorised_fisher_yates_is_the_loop(raw):
    """randperm's swaps without a loop give the permutation of `swap(r[i], r[j[i]])`."""
    n = len(raw)
    j = np.array([i + r % (n - i) for i, r in enumerate(raw)], np.int64)
    r = list(range(n))
    for i, k in enumerate(j.tolist()):
        r[i], r[k] = r[k], r[i]
    assert _apply_swaps(j).tolist() == r


def test_seeds_reproduce_and_states_round_trip():
    ag.manual_seed(3)
    a = [ag.rand(3), ag.randn(1), ag.randperm(5)]
    state = ag.get_rng_state()          # with a cached normal sample in it
    b = [ag.randn(1), ag.randn(2), ag.randint(9, (4,))]
    ag.manual_seed(3)
    assert all(np.array_equal(x.numpy(), y.numpy())
               for x, y in zip(a, [ag.rand(3), ag.randn(1), ag.randperm(5)]))
    ag.set_rng_state(state)
    assert all(np.array_equal(x.numpy(), y.numpy())
               for x, y in zip(b, [ag.randn(1), ag.randn(2), ag.randint(9, (4,))]))
    assert ag.initial_seed() == 3 and state.shape == (5056,) and state.dtype == ag.uint8
    with ag.random.fork_rng():
        ag.rand(100)
    ag.set_rng_state(state)
    assert np.array_equal(ag.randn(1).numpy(), b[0].numpy())
    assert ag.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1


def test_poisson_reproduces_and_has_the_right_moments():
    g1, g2 = ag.Generator().manual_seed(4), ag.Generator().manual_seed(4)
    for rate in (3.0, 40.0):   # (each of the two samplers)
        rates = ag.full((4000,), rate, dtype=ag.float64)
        a = ag.poisson(rates, generator=g1).numpy()
        np.testing.assert_array_equal(a, ag.poisson(rates, generator=g2).numpy())
        assert abs(a.mean() - rate) < 4 * np.sqrt(rate / 4000)
        assert abs(a.var() / rate - 1) < 0.1 and (a == np.round(a)).all()


def test_data_loading_draws_as_pytorch_without_it():
    """A shuffled loader draws a 63-bit base seed, then its sampler seeds a fresh generator
    with another and takes randperm from it: PyTorch's two draws per epoch."""
    ds = TensorDataset(ag.arange(10.), ag.arange(10))
    ag.manual_seed(1)
    got = [b[1].tolist() for b in DataLoader(ds, batch_size=10, shuffle=True)][0]
    ref = TorchCPUStream(1)
    ref.random64()
    seed = ref.random64() % 2 ** 63
    assert got == TorchCPUStream(seed).randperm(10).tolist()
    assert ag.rand(1).item() == ref.uniform_float()
    parts = random_split(range(6), [2, 4], generator=ag.Generator().manual_seed(2))
    perm = TorchCPUStream(2).randperm(6).tolist()
    assert [p.indices for p in parts] == [perm[:2], perm[2:]]
    assert len(list(RandomSampler(ds, True, 5))) == 5


def test_makemores_sampling_loop_gives_pytorchs_names():
    """makemore: randn weights and one multinomial draw per character from a seeded
    Generator, row after row of bigram probabilities."""
    counts = np.random.default_rng(0).integers(0, 500, (27, 27))

    def names(m):
        p = (m.tensor(counts) + 1).float()
        p /= p.sum(1, keepdims=True)
        g = m.Generator().manual_seed(2147483647)
        w = m.randn((27, 27), generator=g)
        out = []
        for _ in range(10):
            ix, name = 0, []
            while True:
                ix = m.multinomial(p[ix], num_samples=1, replacement=True, generator=g).item()
                name.append(ix)
                if ix == 0:
                    break
            out.append(name)
        return out, w
    torch = pytest.importorskip("torch")
    want, w_want = names(torch)
    got, w_got = names(ag)
    assert got == want
    np.testing.assert_array_equal(w_got.numpy(), w_want.numpy())


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_bernoulli_mask_is_pytorchs_dropout_mask(p):
    """PyTorch's CPU dropout keeps the units where `empty(shape).bernoulli_(1 - p)` is 1:
    `_bernoulli_mask` draws that mask (for nn.functional.dropout to use)."""
    from autograd.random import _bernoulli_mask
    torch = pytest.importorskip("torch")
    x = torch.randn(4, 6, 3, 3)
    for drop, shape in ((torch.nn.functional.dropout, x.shape),
                        (torch.nn.functional.dropout2d, (4, 6, 1, 1))):
        torch.manual_seed(1)
        want = drop(x, p)
        ag.manual_seed(1)
        keep = _bernoulli_mask(tuple(shape), 1 - p)
        np.testing.assert_array_equal(x.numpy() * (keep / np.float32(1 - p)), want.numpy())
        np.testing.assert_array_equal(ag.rand(2).numpy(), torch.rand(2).numpy())


def test_gumbel_softmax_noise_is_pytorchs():
    import nn.functional as F
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    for hard in (False, True):
        torch.manual_seed(2)
        want = torch.nn.functional.gumbel_softmax(torch.tensor(x), tau=0.7, hard=hard)
        ag.manual_seed(2)
        got = F.gumbel_softmax(ag.tensor(x), tau=0.7, hard=hard)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)


def test_avx_mathfun_float32_functions_are_accurate():
    """The ported Cephes log / sin / cos: within 2 float32 ulps of the exact values over the
    inputs randn gives them ((0, 1] and [0, 2 pi))."""
    from autograd import _avx_mathfun
    u = np.random.default_rng(0).random(200_000).astype(np.float32)
    x = np.float32(1) - u
    exact = np.log(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert (np.abs(_avx_mathfun.log_ps(x) - exact) <= 2 * ulp + 1e-45).all()
    theta = np.float32(2 * np.pi) * u
    for got, want in zip(_avx_mathfun.sincos_ps(theta),
                         (np.sin(theta.astype(np.float64)), np.cos(theta.astype(np.float64)))):
        assert np.abs(got - want).max() <= 2 * np.spacing(np.float32(1))
