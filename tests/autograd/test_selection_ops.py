"""index_add/copy/fill, scatter_reduce, masked_select/scatter, take, take_along_dim,
nonzero/argwhere, unique, unique_consecutive and isclose/allclose/equal against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare, grad_fn_name, same_error

rng = np.random.default_rng(4)
X = rng.standard_normal((3, 4))
IDX = np.array([2, 0, 2])


@pytest.mark.parametrize("name, args, kwargs", [
    ("index_add", (X, 0, IDX, X[:3]), {}), ("index_add", (X, 1, IDX, X[:, :3]), {"alpha": 2}),
    ("index_copy", (X, 0, np.array([2, 0]), X[:2]), {}),
    ("index_fill", (X, 1, np.array([1, 3]), -1.0), {}),
    ("index_fill", (X, 1, np.array([1, -1]), 2.5), {}),
    ("index_fill", (X, 1, np.array([1, 3]), np.array(2.5)), {}),
    ("index_fill", (X, 0, np.array([0, 0]), np.array(2.5)), {}),
])
def test_index_ops_match_pytorch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    compare(torch, name, None, *args, kwargs=kwargs)
    x = ag.tensor(X, requires_grad=True)
    targs = [ag.tensor(a) if isinstance(a, np.ndarray) else a for a in args[1:]]
    want = getattr(torch, name)(torch.tensor(X, requires_grad=True),
                                *[torch.tensor(a) if isinstance(a, np.ndarray) else a
                                  for a in args[1:]], **kwargs)
    assert grad_fn_name(getattr(ag, name)(x, *targs, **kwargs)) == want.grad_fn.name()
    compare(torch, lambda t, *a, **kw: getattr(t, name)(*a, **kw), None, *args, kwargs=kwargs)


def test_index_op_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    same_error(torch, "index_copy", None, X, 0, np.array([2, 0]), X[:1])
    same_error(torch, "index_copy", None, X, 0, np.array([2.0, 0]), X[:2])
    same_error(torch, "index_copy", None, X, 0, np.array([5]), X[:1])
    same_error(torch, "index_copy", None, X, 0, np.array([-1]), X[:1])
    same_error(torch, "index_add", None, X, 0, np.array([0, 5]), X[:2])
    same_error(torch, "index_add", None, X, 0, np.array([-1]), X[:1])
    same_error(torch, "index_fill", None, X, 0, np.array([5]), 1.0)
    same_error(torch, "index_fill", None, X, 1, np.array([1]), np.array([2.0]))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_pytorch(reduce, include_self):
    torch = pytest.importorskip("torch")
    x = rng.uniform(0.5, 2.0, (3, 4))
    src = rng.uniform(0.5, 2.0, (2, 4))
    index = np.array([[0, 1, 0, 1], [2, 1, 0, 0]])
    compare(torch, "scatter_reduce", None, x, 0, index, src,
            kwargs={"reduce": reduce, "include_self": include_self})
    compare(torch, "scatter_reduce", None, x, 1, index[:, :2].T.copy(), src[:, :2].T.copy(),
            kwargs={"reduce": reduce, "include_self": include_self})


def test_scatter_reduce_with_ties_and_zeros_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 1.0]])
    src = np.array([[2.0, 2.0, 0.0], [1.0, 5.0, 0.0]])
    index = np.array([[0, 0, 1], [0, 1, 1]])
    for reduce in ("amax", "amin", "prod"):
        for include_self in (True, False):
            compare(torch, "scatter_reduce", None, x, 1, index, src,
                    kwargs={"reduce": reduce, "include_self": include_self})
    compare(torch, "scatter_reduce", None, np.arange(4), 0, np.array([0, 0, 1]),
            np.array([5, 6, 7]), kwargs={"reduce": "mean"}, grad=False)
    same_error(torch, "scatter_reduce", None, X, 0, index, X[:2, :3], kwargs={"reduce": "foo"})


def test_masked_ops_match_pytorch():
    torch = pytest.importorskip("torch")
    m = X > 0
    compare(torch, "masked_select", None, X, m)
    compare(torch, "masked_select", None, X, m[0])                # the mask broadcasts
    compare(torch, "masked_select", None, X[0], m)                # so does the input
    src = rng.standard_normal(12)
    compare(torch, "masked_scatter", None, X, m, src)
    compare(torch, "masked_scatter", None, X, m[0], src.reshape(3, 4))
    assert grad_fn_name(ag.masked_select(ag.tensor(X, requires_grad=True), ag.tensor(m))) == \
        "MaskedSelectBackward0"
    same_error(torch, "masked_scatter", None, X, m, src[:1])
    same_error(torch, "masked_scatter", None, X, m.astype(np.float64), src)
    same_error(torch, "masked_select", None, X, np.ones(2, bool))


def test_take_and_take_along_dim_match_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, "take", None, X, np.array([[1, 11], [-1, 1]]))
    compare(torch, "take_along_dim", None, X, np.array([[1], [2], [0]]), kwargs={"dim": 1})
    compare(torch, "take_along_dim", None, X, np.array([[1, 2, 0, 1]]), kwargs={"dim": 0})
    compare(torch, "take_along_dim", None, X, np.array([3, 0]))
    compare(torch, "take_along_dim", None, X[:, :1], np.array([[1], [2], [0]]).repeat(4, 0)[:3],
            kwargs={"dim": 0})
    same_error(torch, "take", None, X, np.array([12]))
    same_error(torch, "take_along_dim", None, X, np.array([[1, 2]]), kwargs={"dim": 0})
    compare(torch, "take_along_dim", None, X, np.array([[1, 2]]), kwargs={"dim": 1})
    same_error(torch, "take_along_dim", None, X, np.array([1, 2]), kwargs={"dim": 1})


def test_nonzero_and_argwhere_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([[0, 1, 2], [3, 0, 0]])
    for x in (a, np.array(2), np.array(0), np.zeros((2, 0))):
        compare(torch, "nonzero", None, x, grad=False)
        compare(torch, "argwhere", None, x, grad=False)
        compare(torch, "nonzero", None, x, kwargs={"as_tuple": True}, grad=False)


def test_unique_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([3, 1, 2, 1, 3])
    for kw in ({}, {"sorted": False}, {"return_inverse": True}, {"return_counts": True},
               {"return_inverse": True, "return_counts": True}):
        compare(torch, "unique", None, a, kwargs=kw, grad=False)
        compare(torch, "unique", None, a.reshape(1, 5), kwargs=kw, grad=False)
    rows = np.array([[1, 2], [1, 2], [0, 5]])
    for dim in (0, 1):
        compare(torch, "unique", None, rows, kwargs={"dim": dim, "return_inverse": True,
                                                      "return_counts": True}, grad=False)
    compare(torch, "unique", None, np.array([1.0, math.nan, math.nan, 0.0]), grad=False)
    compare(torch, "unique", None, np.zeros(0), kwargs={"return_counts": True}, grad=False)
    compare(torch, lambda t: t.unique(), None, X.round(0), grad=False)


def test_unique_consecutive_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    compare(torch, "unique_consecutive", None, a,
            kwargs={"return_inverse": True, "return_counts": True}, grad=False)
    compare(torch, "unique_consecutive", None, np.array([[1, 2], [1, 2], [0, 5], [1, 2]]),
            kwargs={"dim": 0, "return_counts": True}, grad=False)
    compare(torch, "unique_consecutive", None, a.reshape(2, 4), kwargs={"return_inverse": True},
            grad=False)


def test_isclose_allclose_equal_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([1.0, math.nan, 2.0, 1e-9])
    b = np.array([1.0 + 1e-9, math.nan, 2.1, 0.0])
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.1, "atol": 0.0}):
        compare(torch, "isclose", None, a, b, kwargs=kw, grad=False)
        assert ag.allclose(ag.tensor(a), ag.tensor(b), **kw) == \
            torch.allclose(torch.tensor(a), torch.tensor(b), **kw)
    assert ag.tensor(a).isclose(ag.tensor(a), equal_nan=True).all().item()
    assert ag.equal(ag.tensor([1.0, 2.0]), ag.tensor([1, 2]))
    assert not ag.equal(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0, 3.0]))
    assert ag.tensor([1.0]).equal(ag.tensor([1.0]))
    same_error(torch, "isclose", None, np.array([1, 2]), np.array([1.0, 2.0]))
    same_error(torch, "allclose", None, np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    same_error(torch, "isclose", None, np.array([1.0, 2.0]), 1.0)
