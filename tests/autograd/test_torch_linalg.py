"""autograd.linalg against torch.linalg: values, gradients (batched), grad_fn names,
return types, the LinAlgError texts for singular and non-positive-definite input, and
the shape and dtype errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
from autograd import linalg as la

from .torch_compare import compare, grad_fn_name, same_error

rng = np.random.default_rng(5)
A = rng.standard_normal((2, 4, 4)) + 3 * np.eye(4)         # batched, well conditioned
B = rng.standard_normal((2, 4, 3))
TALL = rng.standard_normal((2, 5, 3))
WIDE = rng.standard_normal((2, 3, 5))
SPD = A @ A.transpose(0, 2, 1) + np.eye(4)
SINGULAR = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])


@pytest.mark.parametrize("name, args, kwargs", [
    ("inv", (A,), {}), ("det", (A,), {}), ("det", (A[0],), {}), ("solve", (A, B), {}),
    ("solve", (A, B[..., 0]), {}), ("solve", (A, B.transpose(0, 2, 1)), {"left": False}),
    ("solve", (A[0], B), {}), ("solve_triangular", (A, B), {"upper": True}),
    ("solve_triangular", (A, B.transpose(0, 2, 1)), {"upper": False, "left": False}),
    ("solve_triangular", (A, B), {"upper": False, "unitriangular": True}),
    ("cholesky", (SPD,), {}), ("cholesky", (SPD,), {"upper": True}),
    ("pinv", (TALL,), {}), ("pinv", (WIDE,), {}), ("pinv", (SPD,), {"hermitian": True}),
    ("matrix_power", (A, 3), {}), ("matrix_power", (A, -2), {}), ("matrix_power", (A, 0), {}),
    ("matrix_power", (A, 1), {}), ("matrix_exp", (A,), {}), ("matrix_exp", (A * 3,), {}),
    ("svdvals", (TALL,), {}), ("eigvalsh", (SPD,), {}), ("eigvalsh", (A,), {"UPLO": "U"}),
    ("matrix_norm", (A,), {}), ("matrix_norm", (A,), {"ord": "nuc"}),
    ("matrix_norm", (TALL,), {"ord": 2}), ("matrix_norm", (TALL,), {"ord": -2}),
    ("matrix_norm", (A,), {"ord": 1}), ("matrix_norm", (A,), {"ord": -1}),
    ("matrix_norm", (A,), {"ord": math.inf}), ("matrix_norm", (A,), {"ord": -math.inf}),
    ("matrix_norm", (A,), {"ord": "fro", "dim": (0, 2), "keepdim": True}),
    ("matrix_norm", (A,), {"ord": "nuc", "dim": (2, 1), "keepdim": True}),
    ("vector_norm", (A,), {}), ("vector_norm", (A,), {"ord": 1, "dim": (1, 2)}),
    ("vector_norm", (A,), {"ord": math.inf, "dim": -1, "keepdim": True}),
    ("vector_norm", (A,), {"ord": -math.inf}), ("vector_norm", (A,), {"ord": 0.5}),
    ("vector_norm", (A,), {"ord": 0, "dim": 1}), ("vector_norm", (A,), {"ord": 3.5}),
    ("norm", (A,), {}), ("norm", (A[0],), {"ord": 1}), ("norm", (A[0, 0],), {"ord": 3}),
    ("norm", (A,), {"dim": (1, 2), "ord": "nuc"}), ("norm", (A,), {"dim": 1}),
    ("cross", (B[..., :3, :], B[..., 1:, :]), {"dim": 1}), ("vecdot", (B, B[1]), {}),
    ("diagonal", (A,), {}), ("diagonal", (A,), {"offset": 1, "dim1": 0, "dim2": 2}),
    ("vander", (B[0, 0],), {}), ("vander", (B[0],), {"N": 5}),
    ("multi_dot", ([A[0], B[0], B[1].T],), {}),
])
def test_functions_match_pytorch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    if name == "multi_dot":
        compare(torch, lambda *ts: la.multi_dot(list(ts)),
                lambda *ts: torch.linalg.multi_dot(list(ts)), *args[0])
        return
    compare(torch, f"linalg.{name}", None, *args, kwargs=kwargs, atol=1e-8, rtol=1e-7)
    t_args = [torch.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a
              for a in args]
    a_args = [ag.tensor(a, requires_grad=True) if isinstance(a, np.ndarray) else a for a in args]
    want = getattr(torch.linalg, name)(*t_args, **kwargs)
    got = getattr(la, name)(*a_args, **kwargs)
    if want.grad_fn.name() not in ("UnsafeViewBackward0", "MmBackward0", "CatBackward0"):
        assert grad_fn_name(got) == want.grad_fn.name().replace("torch::autograd::", "")


@pytest.mark.parametrize("name, args, kwargs, loss", [
    ("slogdet", (A,), {}, lambda o: o.logabsdet),
    ("inv_ex", (A,), {}, lambda o: o.inverse),
    ("cholesky_ex", (SPD,), {}, lambda o: o.L),
    ("qr", (A,), {}, lambda o: o.Q.sum(-1) * 2 + o.R.sum(-2)),
    ("qr", (TALL,), {}, lambda o: o.Q.sum(-1).sum(-1) + o.R.sum(-1).sum(-1) * 3),
    ("qr", (WIDE,), {}, lambda o: o.Q.sum(-1).sum(-1) + o.R.sum(-1).sum(-1) * 3),
    ("qr", (WIDE,), {"mode": "complete"}, lambda o: o.R.sum(-1).sum(-1) + o.Q.sum(-1).sum(-1)),
    ("svd", (TALL,), {"full_matrices": False},
     lambda o: o.U.abs().sum(-1).sum(-1) + o.S.sum(-1) + (o.Vh ** 2).sum(-1).sum(-1)),
    ("svd", (WIDE,), {}, lambda o: o.U.abs().sum(-1).sum(-1) + o.S.sum(-1)),
    ("eigh", (SPD,), {}, lambda o: o.eigenvalues * 2 + o.eigenvectors.abs().sum(-2)),
    ("eigh", (A,), {"UPLO": "U"}, lambda o: o.eigenvalues + (o.eigenvectors ** 4).sum(-2)),
    ("lstsq", (TALL, TALL[..., :2] + 1), {}, lambda o: o.solution),
])
def test_multi_output_functions_match_pytorch(name, args, kwargs, loss):
    """Through gauge-invariant functions of the outputs (a singular vector's sign is
    arbitrary), with the result's type and field names."""
    torch = pytest.importorskip("torch")
    compare(torch, lambda *ts: loss(getattr(la, name)(*ts, **kwargs)),
            lambda *ts: loss(getattr(torch.linalg, name)(*ts, **kwargs)), *args,
            atol=1e-8, rtol=1e-7)
    got = getattr(la, name)(*[ag.tensor(a) for a in args], **kwargs)
    want = getattr(torch.linalg, name)(*[torch.tensor(a) for a in args], **kwargs)
    assert type(got).__name__ == type(want).__name__
    for field in got._fields:
        g, w = getattr(got, field), getattr(want, field)
        assert tuple(g.shape) == tuple(w.shape) and str(g.dtype)[9:] == str(w.dtype)[6:]
    ga = getattr(la, name)(*[ag.tensor(a, requires_grad=True) for a in args], **kwargs)
    wa = getattr(torch.linalg, name)(*[torch.tensor(a, requires_grad=True) for a in args],
                                     **kwargs)
    if name != "lstsq":
        assert grad_fn_name(ga[-1 if name == "slogdet" else 0]) == \
            wa[-1 if name == "slogdet" else 0].grad_fn.name()


def test_qr_is_not_differentiable_where_pytorch_says_so():
    torch = pytest.importorskip("torch")
    for lib, mod in ((ag, la), (torch, torch.linalg)):
        a = lib.tensor(TALL, requires_grad=True)
        with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and "
                                               "nrows > ncols"):
            mod.qr(a, mode="complete").R.sum().backward()
        with pytest.raises(RuntimeError, match="depends on Q, which is not computed when "
                                               "mode='r'"):
            mod.qr(a, mode="r").R.sum().backward()


def test_decomposition_values_match_pytorch_up_to_signs():
    torch = pytest.importorskip("torch")
    U, S, Vh = la.svd(ag.tensor(TALL))
    tU, tS, tVh = torch.linalg.svd(torch.tensor(TALL))
    np.testing.assert_allclose(S.numpy(), tS.numpy(), rtol=1e-10)
    k = S.shape[-1]
    np.testing.assert_allclose(np.abs((U.numpy()[..., :k] * tU.numpy()[..., :k]).sum(-2)), 1,
                               rtol=1e-8)
    L, V = la.eigh(ag.tensor(SPD))
    tL, tV = torch.linalg.eigh(torch.tensor(SPD))
    np.testing.assert_allclose(L.numpy(), tL.numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.abs((V.numpy() * tV.numpy()).sum(-2)), 1, rtol=1e-8)
    Q, R = la.qr(ag.tensor(A))
    np.testing.assert_allclose((Q @ R).numpy(), A, atol=1e-12)


def test_deprecated_torch_spellings_match_pytorch():
    torch = pytest.importorskip("torch")
    for name in ("det", "logdet", "inverse", "matrix_exp", "pinverse"):
        compare(torch, name, None, SPD, atol=1e-8)
    compare(torch, "matrix_power", None, A, 2)
    compare(torch, lambda x: ag.slogdet(x).logabsdet, lambda x: torch.slogdet(x).logabsdet, A)
    compare(torch, lambda x: ag.svd(x).S, lambda x: torch.svd(x).S, TALL)
    u, s, v = ag.svd(ag.tensor(TALL))
    assert tuple(v.shape) == tuple(torch.svd(torch.tensor(TALL)).V.shape)
    np.testing.assert_allclose((u * s.unsqueeze(-2) @ v.mT).numpy(), TALL, atol=1e-12)
    assert tuple(ag.qr(ag.tensor(TALL), some=False).Q.shape) == (2, 5, 5)
    with pytest.warns(UserWarning, match="deprecated"):
        out = ag.cholesky(ag.tensor(SPD))
    np.testing.assert_allclose(out.numpy(), np.linalg.cholesky(SPD))
    compare(torch, lambda a, b: ag.cross(a, b, dim=1), lambda a, b: torch.cross(a, b, dim=1),
            B[..., :3, :], B[..., 1:, :])
    with pytest.warns(UserWarning, match="without specifying the dim"):
        ag.cross(ag.ones(3, 2), ag.ones(3, 2))
    compare(torch, lambda x: x.det(), None, A)
    compare(torch, lambda x: x.inverse(), None, A)
    compare(torch, lambda x: x.logdet(), None, SPD)
    compare(torch, lambda x: x.matrix_power(3), None, A)


def test_singular_input_gives_pytorchs_linalg_error():
    torch = pytest.importorskip("torch")
    batch = np.stack([np.eye(3), SINGULAR])
    for args in ((SINGULAR,), (batch,)):
        err = same_error(torch, "linalg.inv", None, *args)
        assert isinstance(err, la.LinAlgError) and isinstance(err, RuntimeError)
    assert "(Batch element 1): The diagonal element 3 is zero" in \
        str(same_error(torch, "linalg.inv", None, batch))
    same_error(torch, "inverse", None, SINGULAR)
    same_error(torch, "linalg.solve", None, SINGULAR, np.ones(3))
    same_error(torch, "linalg.matrix_power", None, SINGULAR, -1)
    same_error(torch, "linalg.inv", None, np.zeros((2, 2)))
    info = la.inv_ex(ag.tensor(batch)).info
    assert info.tolist() == [0, 3] and info.dtype == ag.int32
    with pytest.raises(la.LinAlgError):
        la.inv_ex(ag.tensor(SINGULAR), check_errors=True)
    np.testing.assert_allclose(la.inv_ex(ag.tensor(batch)).inverse[0].numpy(), np.eye(3))


def test_not_positive_definite_gives_pytorchs_linalg_error():
    torch = pytest.importorskip("torch")
    same_error(torch, "linalg.cholesky", None, np.array([[1.0, 2], [2, 1]]))
    same_error(torch, "linalg.cholesky", None, np.stack([np.eye(3), -np.eye(3)]))
    info = la.cholesky_ex(ag.tensor(np.stack([np.eye(3), -np.eye(3)]))).info
    assert info.tolist() == [0, 1]


def test_determinants_of_singular_matrices_and_their_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, "linalg.det", None, SINGULAR)                    # the cofactor matrix
    compare(torch, lambda x: la.slogdet(x).sign, lambda x: torch.linalg.slogdet(x).sign,
            np.array([[-2.0, 0], [0, 1]]), grad=False)
    compare(torch, "logdet", None, np.array([[-2.0, 0], [0, 1]]), grad=False)
    compare(torch, "linalg.det", None, np.zeros((0, 0)))


@pytest.mark.parametrize("name, args, kwargs", [
    ("inv", (np.zeros((2, 3)),), {}), ("inv", (np.zeros(3),), {}),
    ("inv", (np.array([[1, 2], [3, 4]]),), {}), ("det", (np.zeros((2, 3)),), {}),
    ("det", (np.array([[1, 1], [0, 1]]),), {}),
    ("solve", (np.eye(3), np.ones(2)), {}), ("solve", (np.eye(3), np.ones((3, 2))),
                                             {"left": False}),
    ("solve", (np.eye(3), np.ones((4, 3))), {}), ("cholesky", (np.zeros((2, 3)),), {}),
    ("qr", (np.ones((2, 3)),), {"mode": "foo"}), ("eigh", (np.ones((2, 3)),), {}),
    ("eigh", (np.eye(2),), {"UPLO": "X"}), ("matrix_power", (np.ones((2, 3)), 2), {}),
    ("matrix_norm", (np.ones(3),), {}), ("matrix_norm", (np.ones((3, 3)),), {"ord": "foo"}),
    ("matrix_norm", (np.ones((3, 3)),), {"ord": 3}),
    ("vector_norm", (np.ones(3),), {"ord": "fro"}),
    ("vector_norm", (np.ones(3, dtype=np.int64),), {}),
    ("vector_norm", (np.zeros(0),), {"ord": math.inf}),
    ("vector_norm", (np.zeros(0),), {"ord": -1}),
    ("vector_norm", (np.ones(3),), {"dtype": "int64"}),
    ("norm", (np.ones((3, 3, 3)),), {"ord": 2}), ("norm", (np.ones((3, 3)),),
                                                   {"ord": "fro", "dim": 0}),
    ("cross", (np.ones((3, 2)), np.ones((3, 2))), {}), ("cross", (np.ones((2, 3)), np.ones(3)),
                                                        {}),
    ("lstsq", (np.ones((3, 2)), np.ones((2, 2))), {}),
    ("matrix_exp", (np.ones((2, 3)),), {}), ("vander", (np.array(1.0),), {}),
    ("vander", (np.ones(2),), {"N": 1}), ("solve_triangular", (np.eye(3), np.ones(3)),
                                          {"upper": True}),
])
def test_bad_input_gives_pytorchs_errors(name, args, kwargs):
    torch = pytest.importorskip("torch")
    if kwargs.get("dtype") == "int64":
        kwargs = {"dtype": None}
        with pytest.raises(RuntimeError, match="dtype should be floating point"):
            la.vector_norm(ag.ones(3), dtype=ag.int64)
        with pytest.raises(RuntimeError, match="dtype should be floating point"):
            torch.linalg.vector_norm(torch.ones(3), dtype=torch.int64)
        return
    same_error(torch, f"linalg.{name}", None, *args, kwargs=kwargs)


def test_multi_dot_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    for arrays in ([np.ones(3)], [np.ones((3, 3, 3)), np.ones((3, 2))],
                   [np.ones((2, 3), np.float32), np.ones(3)]):
        same_error(torch, lambda *ts: la.multi_dot(list(ts)),
                   lambda *ts: torch.linalg.multi_dot(list(ts)), *arrays)


def test_gradients_of_decompositions_differentiate_again():
    """gradgradcheck through qr, svd, eigh, cholesky, det and matrix_exp (batched)."""
    a = ag.tensor(A[:, :3, :3] / 3, requires_grad=True)
    for fn in (lambda x: la.qr(x).Q.sum(-1) + la.qr(x).R.sum(-2),
               lambda x: la.svd(x, full_matrices=False).S,
               lambda x: la.eigh(x + x.mT).eigenvalues,
               lambda x: la.cholesky(x @ x.mT + ag.eye(3, dtype=x.dtype)), la.det,
               la.matrix_exp, la.inv):
        assert ag.gradgradcheck(fn, (a,))


def test_eig_refuses_clearly():
    with pytest.raises(NotImplementedError, match="complex"):
        la.eig(ag.eye(2))
    with pytest.raises(NotImplementedError, match="eigh"):
        la.eigvals(ag.eye(2))


def test_lstsq_reports_what_pytorchs_drivers_report():
    torch = pytest.importorskip("torch")
    a, b = TALL[0], TALL[0, :, :2] + 1
    for driver in (None, "gelsy", "gelsd", "gelss", "gels"):
        got = la.lstsq(ag.tensor(a), ag.tensor(b), driver=driver)
        want = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
        for field in ("solution", "residuals", "rank", "singular_values"):
            g, w = getattr(got, field), getattr(want, field)
            assert tuple(g.shape) == tuple(w.shape), (driver, field)
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-7, atol=1e-10)
    compare(torch, lambda x, y: la.lstsq(x, y).solution,
            lambda x, y: torch.linalg.lstsq(x, y).solution, a, b[:, 0])


def test_cond_and_solve_ex_match_pytorch():
    torch = pytest.importorskip("torch")
    for p in (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf):
        # (PyTorch cannot differentiate cond through its inverse: its backward fails with
        # an in-place error, so only the singular-value orders are compared there)
        compare(torch, "linalg.cond", None, A, kwargs={"p": p}, atol=1e-8,
                grad=p in (None, 2, -2))
    compare(torch, "linalg.cond", None, SINGULAR, kwargs={"p": "fro"}, grad=False)
    compare(torch, lambda a, b: la.solve_ex(a, b).result,
            lambda a, b: torch.linalg.solve_ex(a, b).result, A, B, atol=1e-8)
    out = la.solve_ex(ag.tensor(np.stack([np.eye(3), SINGULAR])), ag.ones(2, 3, dtype=ag.float64))
    assert out.info.tolist() == [0, 3] and out.result[0].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(la.LinAlgError):
        la.solve_ex(ag.tensor(SINGULAR), ag.ones(3, dtype=ag.float64), check_errors=True)


def test_matrix_rank_matches_pytorch():
    torch = pytest.importorskip("torch")
    for kw in ({}, {"hermitian": True}, {"atol": 1.0}, {"rtol": 0.5}, {"atol": 0.1, "rtol": 0.1}):
        compare(torch, "linalg.matrix_rank", None, np.stack([SINGULAR, np.eye(3)]), kwargs=kw,
                grad=False)


@pytest.mark.parametrize("p", [0.5, 1, 1.5, 3, math.inf, -math.inf])
def test_tensor_norm_at_a_zero_vector_has_pytorchs_gradient_not_nan(p):
    """Tensor.norm(p) for p other than 2 is vector_norm: its gradient is 0 where the norm
    is 0 (it was (sum |x|^p)^(1/p) composed, whose gradient there is NaN)."""
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    up = np.array([0.7, -1.3])
    a, t = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = a.norm(p, dim=1), t.norm(p, dim=1)
    assert type(out.grad_fn).__name__ == type(tout.grad_fn).__name__
    out.backward(ag.tensor(up))
    tout.backward(torch.tensor(up))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)
