"""multinomial: the distribution of its draws (seeded, within a few sigma), zero-weight
categories, shapes and dtypes, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def _gen(seed=0):
    return ag.Generator().manual_seed(seed)


def _within_sigma(counts, n, p, sigmas=5.0):
    """Each count of a Binomial(n, p_i) within `sigmas` standard deviations of n p_i."""
    p = np.asarray(p, dtype=np.float64)
    sd = np.sqrt(n * p * (1 - p)) + 1e-12
    z = np.abs(counts - n * p) / sd
    assert (z[p > 0] < sigmas).all(), (counts, n * p)


def test_with_replacement_frequencies_follow_the_weights():
    w = ag.tensor([1.0, 0.0, 3.0, 6.0])          # not normalised
    n = 20000
    draws = ag.multinomial(w, n, replacement=True, generator=_gen()).numpy()
    counts = np.bincount(draws, minlength=4)
    assert counts[1] == 0                         # a zero weight is never drawn
    _within_sigma(counts, n, [0.1, 0.0, 0.3, 0.6])


def test_rows_are_sampled_independently():
    w = ag.tensor([[0.0, 1.0, 1.0], [5.0, 0.0, 0.0]], dtype=ag.float64)
    d = w.multinomial(3000, replacement=True, generator=_gen(1)).numpy()
    assert d.shape == (2, 3000)
    assert (d[1] == 0).all()
    c = np.bincount(d[0], minlength=3)
    assert c[0] == 0
    _within_sigma(c, 3000, [0.0, 0.5, 0.5])


def test_without_replacement_second_draw_is_renormalised():
    # P(second = j) = sum_i p_i p_j / (1 - p_i) over i != j; PyTorch's doc example figures
    p = np.array([0.1, 0.2, 0.3, 0.4])
    rows = 20000
    w = ag.tensor(np.tile(p, (rows, 1)))
    d = ag.multinomial(w, 2, generator=_gen(2)).numpy()
    assert (d[:, 0] != d[:, 1]).all()
    _within_sigma(np.bincount(d[:, 0], minlength=4), rows, p)
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j)
                       for j in range(4)])
    _within_sigma(np.bincount(d[:, 1], minlength=4), rows, second)


def test_without_replacement_zero_weights_fill_the_tail_only():
    w = ag.tensor([0.1, 0.0, 0.6, 0.3, 0.0])
    g = _gen(3)
    for _ in range(200):
        d = ag.multinomial(w, 5, generator=g).tolist()
        assert sorted(d[:3]) == [0, 2, 3]
        assert d[3:] == [4, 1]                  # as PyTorch leaves them: descending index
    assert ag.multinomial(w, 4, generator=g).tolist()[3] == 4


def test_same_seed_same_draws_and_default_generator():
    w = ag.tensor([0.2, 0.5, 0.3])
    a = ag.multinomial(w, 10, True, generator=_gen(7))
    b = ag.multinomial(w, 10, True, generator=_gen(7))
    assert a.tolist() == b.tolist()
    ag.manual_seed(5)
    c = ag.multinomial(w, 10, True)
    ag.manual_seed(5)
    assert c.tolist() == ag.multinomial(w, 10, True).tolist()


def test_shapes_and_dtypes():
    assert ag.multinomial(ag.tensor([1.0, 2.0]), 1).shape == (1,)
    out = ag.multinomial(ag.ones(3, 4, dtype=ag.float16), 2)
    assert out.shape == (3, 2) and out.dtype == ag.int64
    empty = ag.multinomial(ag.zeros(0, 3), 2)
    assert empty.shape == (0, 2)
    x = ag.tensor([1.0, 2.0], requires_grad=True)   # allowed; the result has no graph
    assert x.multinomial(1).grad_fn is None


BAD = [
    ("([1., 2.], 3)", RuntimeError,
     "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    ("([0., 0.], 1)", RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    ("([[1., 2.], [0., 0.]], 1)", RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    ("([-1., 2.], 1)", RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("([float('nan'), 2.], 1)", RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    ("([1., 2.], 0)", RuntimeError, "cannot sample n_sample <= 0 samples"),
    ("(1., 1)", RuntimeError, "prob_dist must be 1 or 2 dim"),
    ("([1, 2], 1)", RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
]


@pytest.mark.parametrize("args,exc,msg", BAD)
def test_errors(args, exc, msg):
    data, n = eval(args)  # noqa: S307 - the table above
    with pytest.raises(exc) as e:
        ag.multinomial(ag.tensor(data), n)
    assert str(e.value) == msg


def test_generator_type_error():
    with pytest.raises(TypeError, match="generator"):
        ag.multinomial(ag.tensor([1.0, 2.0]), 1, generator=3)


@pytest.mark.parametrize("args,exc,msg", BAD)
def test_errors_match_pytorch(args, exc, msg):
    torch = pytest.importorskip("torch")
    data, n = eval(args)  # noqa: S307 - the table above
    with pytest.raises(exc) as e:
        torch.multinomial(torch.tensor(data), n)
    assert str(e.value) == msg


def test_shapes_and_dtypes_match_pytorch():
    torch = pytest.importorskip("torch")
    for data, n, rep in (([1.0, 0.0, 3.0], 2, False), ([[1.0, 2.0], [3.0, 1.0]], 4, True),
                         ([0.5, 0.5], 2, False)):
        ours = ag.multinomial(ag.tensor(data), n, rep)
        theirs = torch.multinomial(torch.tensor(data), n, rep)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    # the deterministic cases agree exactly: every positive weight drawn, zeros in the tail
    w = [0.1, 0.0, 0.6, 0.3, 0.0]
    assert ag.multinomial(ag.tensor(w), 5).tolist()[3:] == \
        torch.multinomial(torch.tensor(w), 5).tolist()[3:]
