"""einsum, tensordot, kron, the add-product family, bmm, cdist and cosine_similarity
against PyTorch: values, gradients, grad_fn names and errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare, grad_fn_name, same_error

rng = np.random.default_rng(3)


def r(*shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("eq, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 1)]), ("i,i->", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("iij->j", [(2, 2, 3)]), ("ij->ji", [(2, 3)]),
    ("ba", [(2, 3)]), ("ab,cd", [(2, 3), (3, 4)]), ("Ab,bC->AC", [(2, 3), (3, 4)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]), ("...ij,...jk", [(5, 1, 2, 3), (4, 3, 4)]),
    ("ij...,jk", [(2, 3, 5), (3, 4)]), ("i...->...", [(2, 3)]), ("...", [(2, 3)]),
    ("->", [()]), ("ijk,ikl,k->jl", [(2, 3, 4), (2, 4, 2), (4,)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 2), (2, 2)]), ("i i -> i", [(2, 2)]),
])
def test_einsum_matches_pytorch(eq, shapes):
    torch = pytest.importorskip("torch")
    compare(torch, lambda *ts: ag.einsum(eq, *ts), lambda *ts: torch.einsum(eq, *ts),
            *[r(*s) for s in shapes])


def test_einsum_takes_a_list_and_integer_operands():
    torch = pytest.importorskip("torch")
    a, b = r(2, 3), r(3, 2)
    compare(torch, lambda x, y: ag.einsum("ij,jk", [x, y]), lambda x, y: torch.einsum("ij,jk", [
        x, y]), a, b)
    compare(torch, lambda x: ag.einsum("ij->j", x), lambda x: torch.einsum("ij->j", x),
            np.arange(6).reshape(2, 3), grad=False)


@pytest.mark.parametrize("eq, shapes", [
    ("ij,jk->ik", [(2, 3)]), ("ij->ik", [(2, 3)]), ("ij,jk->ik", [(2, 3), (3, 4), (2, 3)]),
    ("ijk,jk->ik", [(2, 3), (3, 4)]), ("ij,jk->ii", [(2, 3), (3, 4)]),
    ("ij,ik->jk", [(2, 3), (3, 4)]), ("i1,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(2, 3)]),
    ("i,i", [(2,), (3,)]),
])
def test_einsum_errors_match_pytorch(eq, shapes):
    torch = pytest.importorskip("torch")
    same_error(torch, lambda *ts: ag.einsum(eq, *ts), lambda *ts: torch.einsum(eq, *ts),
               *[r(*s) for s in shapes])


def test_einsum_mixed_dtypes_give_pytorchs_error():
    torch = pytest.importorskip("torch")
    same_error(torch, lambda a, b: ag.einsum("i,i", a, b), lambda a, b: torch.einsum("i,i", a, b),
               np.ones(2, np.float32), np.ones(2))


def test_tensordot_matches_pytorch():
    torch = pytest.importorskip("torch")
    a, b = r(2, 3, 4), r(3, 4, 5)
    for dims in (2, 0, ([1, 2], [0, 1]), [[1], [0]], ([2], [1])):
        compare(torch, "tensordot", None, a, b, kwargs={"dims": dims})
    compare(torch, "tensordot", None, a, r(4, 2), kwargs={"dims": 1})
    compare(torch, lambda x, y: ag.tensordot(x, y, ag.tensor(1)),
            lambda x, y: torch.tensordot(x, y, torch.tensor(1)), r(2, 3), r(3, 2))
    same_error(torch, "tensordot", None, r(2, 3), r(3, 4), kwargs={"dims": ([0], [0])})
    same_error(torch, "tensordot", None, r(2, 3), r(3, 4), kwargs={"dims": ([0, 1], [0])})
    same_error(torch, "tensordot", None, r(2, 3), r(3, 4), kwargs={"dims": -1})


def test_kron_matches_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, "kron", None, r(2, 3), r(4))
    compare(torch, "kron", None, r(2), r(2, 1, 3))
    compare(torch, "kron", None, np.array([1, 2]), np.array([[1.0], [2]]), grad=False)


@pytest.mark.parametrize("name, shapes", [
    ("addmm", [(4,), (2, 3), (3, 4)]), ("addmm", [(2, 4), (2, 3), (3, 4)]),
    ("addmv", [(2,), (2, 3), (3,)]), ("addmv", [(), (2, 3), (3,)]),
    ("baddbmm", [(4,), (2, 2, 3), (2, 3, 4)]), ("baddbmm", [(2, 2, 4), (2, 2, 3), (2, 3, 4)]),
    ("addbmm", [(4,), (3, 2, 3), (3, 3, 4)]),
])
def test_add_products_match_pytorch(name, shapes):
    torch = pytest.importorskip("torch")
    arrays = [r(*s) for s in shapes]
    for kw in ({}, {"beta": 0.5, "alpha": 2.0}, {"beta": 0}):
        compare(torch, name, None, *arrays, kwargs=kw)
    want = getattr(torch, name)(*[torch.tensor(a, requires_grad=True) for a in arrays])
    got = getattr(ag, name)(*[ag.tensor(a, requires_grad=True) for a in arrays])
    assert grad_fn_name(got) == want.grad_fn.name()
    compare(torch, lambda i, a, b: getattr(i, name)(a, b), None, *arrays)   # Tensor method


def test_add_products_ignore_input_when_beta_is_zero():
    out = ag.addmm(ag.tensor([float("nan")] * 4), ag.ones(2, 3), ag.ones(3, 4), beta=0)
    assert out.tolist() == [[3.0] * 4] * 2


def test_add_product_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    same_error(torch, "addmm", None, r(5), r(2, 3), r(3, 4))
    same_error(torch, "addmm", None, r(4), r(2, 3), r(2, 3))
    same_error(torch, "addmm", None, r(4), r(3), r(3, 4))
    same_error(torch, "addmv", None, r(2), r(2, 3), r(4))
    same_error(torch, "addmv", None, r(3), r(2, 3), r(3))
    f32, f64 = np.ones((2, 3), np.float32), np.ones((3, 4))
    for name, args in (("addmm", (np.ones(4), f32, f64.astype(np.float32))),
                       ("addmm", (np.ones(4, np.float32), f32.astype(np.float64), f64)),
                       ("addmv", (np.ones(2), f32, np.ones(3, np.float32))),
                       ("baddbmm", (np.ones(4), f32[None], f64[None].astype(np.float32))),
                       ("baddbmm", (np.ones(4, np.float32), f32[None], f64[None])),
                       ("addbmm", (np.ones(4), f32[None], f64[None].astype(np.float32)))):
        same_error(torch, name, None, *args)
    same_error(torch, "bmm", None, r(1, 2, 3), r(3, 4))
    same_error(torch, "bmm", None, r(1, 2, 3), r(2, 3, 4))
    same_error(torch, "bmm", None, np.ones((1, 2, 3), np.float32), r(1, 3, 4))


def test_cdist_matches_pytorch():
    torch = pytest.importorskip("torch")
    a, b = r(2, 4, 3), r(2, 5, 3)
    for p in (2.0, 1.0, 3.0, 0.5, float("inf"), 0.0):
        compare(torch, "cdist", None, a, b, kwargs={"p": p})
    compare(torch, "cdist", None, r(3, 1, 4, 3), r(2, 5, 3))
    a[0, 0] = b[0, 0]    # a zero distance: gradient 0, no NaN
    compare(torch, "cdist", None, a, b)
    assert grad_fn_name(ag.cdist(ag.tensor(a, requires_grad=True), ag.tensor(b))) == \
        "CdistBackward0"
    same_error(torch, "cdist", None, r(2, 3), r(2, 4))
    same_error(torch, "cdist", None, r(3), r(2, 3))
    same_error(torch, "cdist", None, r(2, 3), r(2, 3), kwargs={"p": -1.0})


def test_cosine_similarity_matches_pytorch_including_tiny_norms():
    torch = pytest.importorskip("torch")
    a, b = r(3, 4), r(3, 4)
    a[0] = 1e-10
    b[1] = 0.0
    compare(torch, "cosine_similarity", None, a, b)
    compare(torch, "cosine_similarity", None, a, b, kwargs={"dim": 0, "eps": 1e-3})
    compare(torch, "cosine_similarity", None, r(2, 3), r(3))
    compare(torch, "cosine_similarity", None, r(2, 1, 3), r(4, 3), kwargs={"dim": -1})
    same_error(torch, "cosine_similarity", None, r(2, 3), r(4))


def test_inplace_add_products_and_the_old_names():
    x = ag.ones(2, 2)
    x.addmm_(ag.eye(2), ag.eye(2) * 2, beta=0.5)
    assert x.tolist() == [[2.5, 0.5], [0.5, 2.5]]
    v = ag.tensor([1.0, 2.0])
    assert v.ger(v).tolist() == [[1, 2], [2, 4]] and v.vdot(v).item() == 5.0
    assert ag.chain_matmul(ag.eye(2), ag.eye(2)).tolist() == [[1, 0], [0, 1]]

