"""CosineSimilarity, PairwiseDistance, F.normalize and F.one_hot: formulas, broadcasting,
zero vectors, errors, and (when torch is installed) agreement with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(4)


def test_cosine_similarity_formula_broadcasting_and_zero_vectors():
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(3,))
    out = F.cosine_similarity(ag.tensor(a), ag.tensor(b))
    expect = (a @ b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b))
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-12)
    assert nn.CosineSimilarity(0)(ag.tensor(a), ag.tensor(a)).shape == (3,)
    # a zero vector: similarity 0, and (as in PyTorch) the clamped norm is outside the graph
    z = ag.zeros(3, dtype=ag.float64, requires_grad=True)
    y = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64, requires_grad=True)
    s = F.cosine_similarity(z, y, dim=0)
    assert s.item() == 0.0
    s.backward()
    np.testing.assert_allclose(z.grad.numpy(), y.detach().numpy() / np.sqrt(14) / 1e-8)
    np.testing.assert_array_equal(y.grad.numpy(), 0)
    assert F.cosine_similarity(ag.tensor([[1, 2]]), ag.tensor([[1.0, 2.0]])).dtype == ag.float32


def test_pairwise_distance_and_normalize_formulas():
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    for p in (1.0, 2.0, 3.0, float("inf")):
        out = F.pairwise_distance(ag.tensor(a), ag.tensor(b), p=p).numpy()
        np.testing.assert_allclose(out, np.linalg.norm(a - b + 1e-6, ord=p, axis=1))
    assert nn.PairwiseDistance(keepdim=True)(ag.tensor(a), ag.tensor(b)).shape == (4, 1)
    assert F.pairwise_distance(ag.tensor([[1, 2]]), ag.tensor([[1, 3]])).dtype == ag.float32
    n = F.normalize(ag.tensor(a), p=1, dim=0).numpy()
    np.testing.assert_allclose(n, a / np.abs(a).sum(0))
    np.testing.assert_array_equal(F.normalize(ag.zeros(2, 3)).numpy(), 0)
    out = ag.empty(4, 3, dtype=ag.float64)
    assert F.normalize(ag.tensor(a), out=out) is out
    np.testing.assert_allclose(out.numpy(), a / np.linalg.norm(a, axis=1, keepdims=True))


def test_errors():
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of "
                       "tensor b \\(4\\) at non-singleton dimension 1"):
        F.cosine_similarity(ag.randn(2, 3), ag.randn(2, 4))
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet "
                       "common dtype is Long"):
        F.cosine_similarity(ag.tensor([[1, 2]]), ag.tensor([[1, 3]]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.cosine_similarity(ag.randn(2, 3), ag.randn(2, 3), dim=2)
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point or "
                       "complex tensor as input. Got Long"):
        F.normalize(ag.tensor([[1, 2]]))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        F.normalize(ag.randn(2, 3, requires_grad=True), out=ag.empty(2, 3))


def _one_hot_cases(lib, fn):
    out = []
    for call in (lambda: fn(lib.tensor([0, 2, 1])), lambda: fn(lib.tensor([[0, 2], [1, 0]]), 4),
                 lambda: fn(lib.tensor(2), 4), lambda: fn(lib.tensor([0, 3]), 3),
                 lambda: fn(lib.tensor([0, -1]), 3), lambda: fn(lib.tensor([], dtype=lib.int64)),
                 lambda: fn(lib.tensor([0.0, 1.0])), lambda: fn(lib.tensor([0]), 0)):
        try:
            r = call()
            out.append((r.tolist(), str(r.dtype).split(".")[-1]))
        except Exception as e:   # noqa: BLE001 - the error itself is what is compared
            out.append((type(e).__name__, str(e)))
    return out


def test_one_hot_values_and_errors():
    got = _one_hot_cases(ag, F.one_hot)
    assert got[0] == ([[1, 0, 0], [0, 0, 1], [0, 1, 0]], "int64")
    assert got[3] == ("RuntimeError", "Class values must be smaller than num_classes.")
    assert got[4] == ("RuntimeError", "Class values must be non-negative.")
    assert got[5] == ("RuntimeError", "Can not infer total number of classes from empty tensor.")
    assert got[6] == ("RuntimeError", "one_hot is only applicable to index tensor of type "
                                      "LongTensor.")


def test_one_hot_matches_torch():
    torch = pytest.importorskip("torch")
    assert _one_hot_cases(ag, F.one_hot) == _one_hot_cases(torch, torch.nn.functional.one_hot)


CASES = [
    ("cosine", lambda F, a, b: F.cosine_similarity(a, b)),
    ("cosine_zero", lambda F, a, b: F.cosine_similarity(a * 0, b, dim=-1)),
    ("cosine_eps", lambda F, a, b: F.cosine_similarity(a, b * 1e-5, eps=1e-3)),
    ("pairwise", lambda F, a, b: F.pairwise_distance(a, b)),
    ("pairwise_p1_keepdim", lambda F, a, b: F.pairwise_distance(a, b, p=1, keepdim=True)),
    ("pairwise_inf", lambda F, a, b: F.pairwise_distance(a, b, p=float("inf"))),
    ("pairwise_p3", lambda F, a, b: F.pairwise_distance(a, b, p=3, eps=1e-3)),
    ("normalize", lambda F, a, b: F.normalize(a, dim=0) * b),
    ("normalize_zero_p1", lambda F, a, b: F.normalize(a * 0, p=1) + b),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_against_pytorch(name, fn):
    torch = pytest.importorskip("torch")
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(3,))
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ag, F)):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = fn(mod, x, y)
        out.backward(lib.ones_like(out))
        res.append([out.detach().numpy(), x.grad.numpy(), y.grad.numpy()])
    for ours, theirs in zip(res[1], res[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert repr(nn.PairwiseDistance()) == repr(torch.nn.PairwiseDistance())
    assert repr(nn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity())
