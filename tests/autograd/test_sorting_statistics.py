"""Sorting, order statistics, NaN-aware reductions and cumulative ops against PyTorch:
values, indices, dtypes, gradients (with PyTorch's conventions at ties), return types and
errors."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare, grad_fn_name, same_error

nan = math.nan
rng = np.random.default_rng(1)
X = rng.standard_normal((3, 5))


def grad_of(fn, values):
    x = ag.tensor(values, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.tolist()


# ---- sort / argsort / topk / kthvalue ------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda m, x: m.sort(x), lambda m, x: m.sort(x, dim=0, descending=True),
    lambda m, x: m.sort(x, stable=True, dim=1, descending=True),
    lambda m, x: x.sort(-1, True), lambda m, x: m.msort(x),
    lambda m, x: m.topk(x, 2), lambda m, x: m.topk(x, 3, dim=0, largest=False),
    lambda m, x: x.topk(1, largest=True, sorted=True), lambda m, x: m.kthvalue(x, 2),
    lambda m, x: m.kthvalue(x, 1, dim=0, keepdim=True),
])
def test_sorting_matches_pytorch(call):
    torch = pytest.importorskip("torch")
    out = compare(torch, lambda x: call(ag, x), lambda x: call(torch, x), X)
    tout = call(torch, torch.tensor(X))
    if isinstance(tout, tuple):
        assert type(out).__name__ == type(tout).__name__ and out._fields == ("values", "indices")
        np.testing.assert_array_equal(out.indices.numpy(), tout.indices.numpy())
        assert out.indices.dtype == ag.int64
    xg = ag.tensor(X, requires_grad=True)
    got = call(ag, xg)
    want = call(torch, torch.tensor(X, requires_grad=True))
    got, want = (got.values, want.values) if isinstance(want, tuple) else (got, want)
    assert grad_fn_name(got) == want.grad_fn.name()


def test_argsort_and_integer_sorts_match_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, lambda x: ag.argsort(x, dim=0, descending=True),
            lambda x: torch.argsort(x, dim=0, descending=True), X, grad=False)
    compare(torch, lambda x: ag.argsort(x, stable=True), lambda x: torch.argsort(x, stable=True),
            np.array([3, 1, 2, 1, 3]), grad=False)
    compare(torch, lambda x: ag.sort(x, descending=True, stable=True),
            lambda x: torch.sort(x, descending=True, stable=True), np.array([2, 1, 2, 3, 1]),
            grad=False)


def test_nan_sorts_as_the_largest_value():
    torch = pytest.importorskip("torch")
    x = np.array([nan, 1.0, -1.0, nan, 0.5])
    for desc in (False, True):
        compare(torch, "sort", None, x, kwargs={"descending": desc, "stable": True})
    compare(torch, lambda t: ag.topk(t, 2), lambda t: torch.topk(t, 2), x)


def test_topk_of_few_from_many_matches_pytorch():
    """k well below the size takes a partition instead of a full sort: same values and
    indices (NaN the largest; which of tied values PyTorch returns is not specified)."""
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 50))
    x[1, 10] = nan
    for k in (1, 3, 7):
        for largest in (True, False):
            compare(torch, "topk", None, x, kwargs={"k": k, "largest": largest})
            got = ag.topk(ag.tensor(x), k, largest=largest).indices
            np.testing.assert_array_equal(got.numpy(), torch.topk(torch.tensor(x), k,
                                                                  largest=largest).indices)


def test_topk_and_kthvalue_give_pytorchs_errors():
    torch = pytest.importorskip("torch")
    for k in (6, -1):
        err = same_error(torch, "topk", None, X, kwargs={"k": k})
        assert "topk" in str(err) and "[3, 5]" in str(err)
    same_error(torch, lambda t: ag.topk(t, 2), lambda t: torch.topk(t, 2), np.array(3.0))
    same_error(torch, lambda t: ag.kthvalue(t, 6), lambda t: torch.kthvalue(t, 6), X)
    same_error(torch, lambda t: ag.sort(t, 2), lambda t: torch.sort(t, 2), X)


def test_zero_dim_inputs_sort_to_themselves():
    torch = pytest.importorskip("torch")
    for call in (lambda m, x: m.sort(x), lambda m, x: m.topk(x, 1),
                 lambda m, x: m.kthvalue(x, 1), lambda m, x: m.median(x, 0),
                 lambda m, x: m.mode(x), lambda m, x: m.cummax(x, 0)):
        compare(torch, partial(call, ag), partial(call, torch), np.array(2.5))


def test_topk_gradient_goes_to_the_returned_index():
    assert grad_of(lambda x: x.topk(1).values, [3.0, 1.0, 3.0]) == [1.0, 0.0, 0.0]
    assert grad_of(lambda x: x.sort().values * ag.tensor([1.0, 2.0, 3.0]), [3.0, 1.0, 2.0]) == \
        [3.0, 1.0, 2.0]


# ---- searchsorted / bucketize -----------------------------------------------------------------
def test_searchsorted_and_bucketize_match_pytorch():
    torch = pytest.importorskip("torch")
    seq = np.array([[1.0, 3, 5, 7], [2, 4, 6, 8]])
    vals = np.array([[3.0, 6, 0], [8, 1, 4]])
    for kw in ({}, {"right": True}, {"side": "right"}, {"out_int32": True}):
        compare(torch, "searchsorted", None, seq, vals, kwargs=kw, grad=False)
        compare(torch, "searchsorted", None, seq[0], vals, kwargs=kw, grad=False)
    compare(torch, lambda s: ag.searchsorted(s, 4.0), lambda s: torch.searchsorted(s, 4.0),
            seq[0], grad=False)
    compare(torch, lambda s, v, o: ag.searchsorted(s, v, sorter=o),
            lambda s, v, o: torch.searchsorted(s, v, sorter=o), np.array([5.0, 1, 3]),
            np.array([2.0, 4]), np.array([1, 2, 0]), grad=False)
    for kw in ({}, {"right": True}):
        compare(torch, "bucketize", None, vals, seq[0], kwargs=kw, grad=False)
    same_error(torch, ag.searchsorted, torch.searchsorted, seq, vals[:, :1].repeat(3, 0))
    same_error(torch, lambda s, v: ag.searchsorted(s, v, side="left", right=True),
               lambda s, v: torch.searchsorted(s, v, side="left", right=True), seq, vals)
    same_error(torch, ag.bucketize, torch.bucketize, vals, seq)


# ---- median / nanmedian / mode / quantile -----------------------------------------------------
def test_median_values_indices_and_tie_conventions_match_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, ag.median, torch.median, np.array([1.0, 2, 2, 3]))   # ties share evenly
    compare(torch, lambda x: ag.median(x, 0), lambda x: torch.median(x, 0),
            np.array([1.0, 2, 2, 3]))
    compare(torch, lambda x: ag.median(x, 1, keepdim=True),
            lambda x: torch.median(x, 1, keepdim=True), np.array([[2.0, 2, 1, 2], [1, 3, 3, 1]]))
    compare(torch, ag.median, torch.median, np.array([1.0, nan, 3]))
    compare(torch, lambda x: ag.median(x, 1), lambda x: torch.median(x, 1),
            np.array([[1.0, nan, 3, nan], [1, 2, 3, 4]]))
    compare(torch, ag.nanmedian, torch.nanmedian, np.array([1.0, 2, 2, 3, nan]))
    compare(torch, lambda x: ag.nanmedian(x, 1), lambda x: torch.nanmedian(x, 1),
            np.array([[1.0, nan, 3, 0], [4, 5, 6, nan]]))
    for call in (lambda m, x: m.median(x), lambda m, x: m.median(x, 1)):
        xs = ag.tensor(X, requires_grad=True)
        assert grad_fn_name(call(ag, xs) if not isinstance(call(ag, xs), tuple) else
                            call(ag, xs).values)
    assert grad_fn_name(ag.median(ag.tensor(X, requires_grad=True))) == "MedianBackward0"
    assert grad_fn_name(ag.median(ag.tensor(X, requires_grad=True), 1).values) == \
        "MedianBackward1"
    assert ag.median(ag.tensor([])).isnan().item()


def test_median_and_mode_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    same_error(torch, lambda x: ag.median(x, 1), lambda x: torch.median(x, 1), np.zeros((2, 0)))
    same_error(torch, lambda x: ag.mode(x, 1), lambda x: torch.mode(x, 1), np.zeros((2, 0)))
    compare(torch, lambda x: ag.median(x, 1), lambda x: torch.median(x, 1), np.zeros((0, 2)))


def test_mode_matches_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, ag.mode, torch.mode, np.array([[1.0, 2, 2, 1, 3], [3, 3, 1, 1, 0]]))
    compare(torch, ag.mode, torch.mode, np.array([2.0, 1, 2, 1]))
    compare(torch, lambda x: ag.mode(x, 0, keepdim=True),
            lambda x: torch.mode(x, 0, keepdim=True), np.array([[1.0, 2], [1, 3], [2, 3]]))
    assert grad_fn_name(ag.mode(ag.tensor([1.0, 1.0], requires_grad=True)).values) == \
        "ModeBackward0"


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_pytorch(interpolation):
    torch = pytest.importorskip("torch")
    for fn in ("quantile", "nanquantile"):
        compare(torch, fn, None, X, kwargs={"q": 0.3, "interpolation": interpolation})
        compare(torch, fn, None, X, np.array([0.25, 0.5, 0.9]), grad=False,
                kwargs={"dim": 1, "keepdim": True, "interpolation": interpolation})
    xq = X.copy()
    xq[0, 1] = nan
    compare(torch, lambda x: ag.quantile(x, 0.5, dim=1, interpolation=interpolation),
            lambda x: torch.quantile(x, 0.5, dim=1, interpolation=interpolation), xq)
    compare(torch, lambda x: ag.nanquantile(x, 0.5, dim=1, interpolation=interpolation),
            lambda x: torch.nanquantile(x, 0.5, dim=1, interpolation=interpolation), xq)


def test_quantile_gradient_and_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, lambda x: ag.quantile(x, 0.3), lambda x: torch.quantile(x, 0.3), X)
    compare(torch, lambda x: ag.quantile(x, ag.tensor([0.1, 0.7], dtype=x.dtype), dim=0),
            lambda x: torch.quantile(x, torch.tensor([0.1, 0.7], dtype=x.dtype), dim=0), X)
    x = X[0]
    for q in (1.5, -0.1):
        same_error(torch, "quantile", None, x, kwargs={"q": q})
    same_error(torch, lambda t: ag.quantile(t, 0.5), lambda t: torch.quantile(t, 0.5),
               np.array([1, 2]))
    same_error(torch, lambda t, q: ag.quantile(t, q), lambda t, q: torch.quantile(t, q), x,
               np.array([[0.5]]))
    same_error(torch, lambda t, q: ag.quantile(t, q), lambda t, q: torch.quantile(t, q),
               x.astype(np.float32), np.array([0.5]))
    same_error(torch, lambda t: ag.quantile(t, 0.5, interpolation="foo"),
               lambda t: torch.quantile(t, 0.5, interpolation="foo"), x)
    same_error(torch, lambda t: ag.quantile(t, 0.5), lambda t: torch.quantile(t, 0.5),
               np.zeros(0))


# ---- aminmax, std_mean, var_mean, nansum, nanmean, count_nonzero ------------------------------
def test_two_result_reductions_match_pytorch():
    torch = pytest.importorskip("torch")
    ties = np.array([[1.0, 2, 1, 3], [3, 0, 2, 0]])
    compare(torch, ag.aminmax, torch.aminmax, ties)                     # ties share evenly
    compare(torch, lambda x: ag.aminmax(x, dim=1, keepdim=True),
            lambda x: torch.aminmax(x, dim=1, keepdim=True), ties)
    out = ag.aminmax(ag.tensor(ties))
    assert type(out).__name__ == "aminmax" and out._fields == ("min", "max")
    for fn in ("std_mean", "var_mean"):
        compare(torch, fn, None, X)
        compare(torch, fn, None, X, kwargs={"dim": 1, "correction": 0, "keepdim": True})
        compare(torch, fn, None, X, kwargs={"dim": 0, "unbiased": True})
        compare(torch, fn, None, X, kwargs={"dim": (0, 1), "unbiased": False})
    same_error(torch, ag.aminmax, torch.aminmax, np.zeros(0))
    same_error(torch, lambda x: ag.aminmax(x, dim=1), lambda x: torch.aminmax(x, dim=1),
               np.zeros((2, 0)))


def test_nan_reductions_match_pytorch():
    torch = pytest.importorskip("torch")
    x = X.copy()
    x[0, 0] = x[2, 3] = nan
    for fn in ("nansum", "nanmean"):
        compare(torch, fn, None, x)
        compare(torch, fn, None, x, kwargs={"dim": 1, "keepdim": True})
    compare(torch, ag.nanmean, torch.nanmean, np.array([nan, nan]))
    compare(torch, ag.nansum, torch.nansum, np.array([1, 2], dtype=np.int32), grad=False)
    assert grad_fn_name(ag.nansum(ag.tensor(x, requires_grad=True))) == "NansumBackward0"
    same_error(torch, ag.nanmean, torch.nanmean, np.array([1, 2]))


def test_count_nonzero_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([[0, 1, 2], [3, 0, 0]])
    for kw in ({}, {"dim": 0}, {"dim": (0, 1)}, {"dim": -1}):
        compare(torch, "count_nonzero", None, a, kwargs=kw, grad=False)
    compare(torch, ag.count_nonzero, torch.count_nonzero, np.array(0.0), grad=False)
    with pytest.raises(TypeError):
        ag.count_nonzero(ag.tensor(a), dim=0, keepdims=True)   # PyTorch rejects it too


# ---- cumulative ops ---------------------------------------------------------------------------
def test_cumulative_ops_match_pytorch():
    torch = pytest.importorskip("torch")
    for dim in (0, 1, -1):
        compare(torch, "cumprod", None, X, kwargs={"dim": dim})
        compare(torch, "logcumsumexp", None, X * 30, kwargs={"dim": dim})
        for fn in ("cummax", "cummin"):
            compare(torch, fn, None, X, kwargs={"dim": dim})
    ties = np.array([1.0, 3, 2, 3, 0, 3])
    for fn in ("cummax", "cummin"):   # ties take the latest index, as PyTorch
        compare(torch, fn, None, ties, kwargs={"dim": 0})
        compare(torch, fn, None, np.array([1.0, nan, 0, 3]), kwargs={"dim": 0})
        compare(torch, fn, None, np.array([1, 1, 0, 0, 2]), kwargs={"dim": 0}, grad=False)
    compare(torch, lambda x: ag.cumprod(x, 0), lambda x: torch.cumprod(x, 0),
            np.array([1, 2, 3], dtype=np.int32), grad=False)
    compare(torch, lambda x: ag.cumprod(x, 0, dtype=ag.float64),
            lambda x: torch.cumprod(x, 0, dtype=torch.float64), X.astype(np.float32))
    same_error(torch, lambda x: ag.logcumsumexp(x, 0), lambda x: torch.logcumsumexp(x, 0),
               np.array([1, 2]))
    for name, want in (("cumprod", "CumprodBackward0"), ("logcumsumexp", "LogcumsumexpBackward0")):
        assert grad_fn_name(getattr(ag, name)(ag.tensor(X, requires_grad=True), 0)) == want


def test_cumprod_gradient_is_exact_with_zeros():
    """No division by x: one, two and only zeros, against PyTorch's numbers."""
    assert grad_of(lambda x: ag.cumprod(x, 0) * ag.tensor([1.0, 2, 3, 4, 5]),
                   [2.0, 0, 3, 0, 4]) == [1.0, 22.0, 0.0, 0.0, 0.0]
    torch = pytest.importorskip("torch")
    for x in ([2.0, 0, 3, 4], [0.0, 0, 1], [1.0, 2, 0], [[0.0, 2], [3, 0]]):
        compare(torch, lambda t: ag.cumprod(t, -1), lambda t: torch.cumprod(t, -1), np.array(x))
        assert ag.gradgradcheck(lambda t: ag.cumprod(t, -1),
                                (ag.tensor(x, dtype=ag.float64, requires_grad=True),))


def test_diff_and_trapezoid_match_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, ag.diff, torch.diff, X)
    compare(torch, lambda x: ag.diff(x, n=2, dim=0), lambda x: torch.diff(x, n=2, dim=0), X)
    compare(torch, lambda x, p, a: ag.diff(x, 2, -1, p, a),
            lambda x, p, a: torch.diff(x, 2, -1, p, a), X, X[:, :1], X[:, :2])
    compare(torch, ag.diff, torch.diff, np.array([True, False, False]), grad=False)
    compare(torch, ag.diff, torch.diff, np.array([[1, 2], [4, 8]]), grad=False)
    compare(torch, ag.trapezoid, torch.trapezoid, X)
    compare(torch, ag.trapezoid, torch.trapezoid, X, np.array([0.0, 1, 3, 3.5, 5]))
    compare(torch, lambda y: ag.trapezoid(y, dx=0.5, dim=0),
            lambda y: torch.trapezoid(y, dx=0.5, dim=0), X)
    compare(torch, ag.cumulative_trapezoid, torch.cumulative_trapezoid, X)
    compare(torch, lambda y, x: ag.cumulative_trapezoid(y, x, dim=1),
            lambda y, x: torch.cumulative_trapezoid(y, x, dim=1), X, np.array([0.0, 1, 3, 3.5, 5]))
    same_error(torch, ag.diff, torch.diff, np.array(1.0))
