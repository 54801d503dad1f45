"""Registry entries: autograd.linalg (torch.linalg), batched. Matrices are drawn well
conditioned (a random matrix plus a multiple of the identity); symmetric-input functions
(cholesky, eigh) are checked through a symmetrising wrapper, as PyTorch's OpInfos do,
since they read one triangle only; decompositions through gauge-invariant functions of
their outputs (a singular vector's sign is arbitrary)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd import linalg as la

from .core import OpInfo, Sample, floats

_batches = hs.lists(hs.integers(1, 2), max_size=2).map(tuple)


def _tame(a: np.ndarray) -> np.ndarray:
    """No values like 1e-300 (float32 flushes them to 0, and LAPACK's Householder QR treats an
    exact 0 below the diagonal differently: a discontinuity) and no exact zeros."""
    a = np.round(a, 3)
    return np.where(a == 0, 0.0005, a)


@hs.composite
def _square(draw, n_min=1, n_max=3, shift=3.0, extra=(), rhs=None, batch=True):
    """A well-conditioned (batch of) n x n matrix, plus other arrays sharing its batch."""
    b = draw(_batches) if batch else ()
    n = draw(hs.integers(n_min, n_max))
    a = _tame(draw(floats(b + (n, n), -1.0, 1.0))) + shift * np.eye(n)
    arrays = [a]
    if rhs == "matrix":
        arrays.append(draw(floats(b + (n, draw(hs.integers(1, 3))))))
    elif rhs == "vector":
        arrays.append(draw(floats(b + (n,))))
    return Sample(tuple(arrays), dict(extra))


@hs.composite
def _rect(draw, tall=None):
    b = draw(_batches)
    m, n = draw(hs.integers(1, 4)), draw(hs.integers(1, 4))
    if tall is True and m < n or tall is False and m > n:
        m, n = n, m
    a = _tame(draw(floats(b + (m, n), -1.0, 1.0)))
    k = min(m, n)
    a[..., np.arange(k), np.arange(k)] += 2.0 + np.arange(k)   # distinct singular values
    return Sample((a,))


def _sym(a):
    return a + a.mT


def _spd(a):
    return a @ a.mT + ag.eye(a.shape[-1], dtype=a.dtype)


def _np_spd(a):
    return a @ np.swapaxes(a, -1, -2) + np.eye(a.shape[-1])


def _svd_fn(a, full_matrices=False):
    """A gauge-invariant function of U, S, Vh: U diag(S) Vh and the squared singular
    vectors."""
    U, S, Vh = la.svd(a, full_matrices=full_matrices)
    k = S.shape[-1]
    return ag.cat([((U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]).reshape(*a.shape[:-2], -1),
                   (U[..., :k] ** 2).sum(-2), (Vh[..., :k, :] ** 3).abs().sum(-1)], -1)


def _svd_ref(a, full_matrices=False):
    U, S, Vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([((U * S[..., None, :]) @ Vh).reshape(*a.shape[:-2], -1),
                           (U ** 2).sum(-2), np.abs(Vh ** 3).sum(-1)], -1)


def _eigh_fn(a, uplo="L"):
    L, V = la.eigh(_sym(a), uplo)
    return ag.cat([L, (V ** 2 * L.unsqueeze(-2)).sum(-1), (V ** 4).sum(-2)], -1)


def _eigh_ref(a, uplo="L"):
    L, V = np.linalg.eigh(a + np.swapaxes(a, -1, -2))
    return np.concatenate([L, (V ** 2 * L[..., None, :]).sum(-1), (V ** 4).sum(-2)], -1)


@hs.composite
def _eigh_sample(draw):
    """Symmetric inputs with well separated eigenvalues."""
    b = draw(_batches)
    n = draw(hs.integers(1, 3))
    q, _ = np.linalg.qr(draw(floats(b + (n, n), -1.0, 1.0)) + 3 * np.eye(n))
    lam = np.arange(n) * 1.5 + draw(floats(b + (n,), -0.3, 0.3))
    a = (q * lam[..., None, :]) @ np.swapaxes(q, -1, -2) / 2   # _sym doubles it
    return Sample((a,), {"uplo": draw(hs.sampled_from(["L", "U"]))})


def _qr_fn(a, mode="reduced"):
    Q, R = la.qr(a, mode)
    return ag.cat([Q.reshape(*a.shape[:-2], -1), R.reshape(*a.shape[:-2], -1)], -1)


def _qr_ref(a, mode="reduced"):
    Q, R = np.linalg.qr(a, mode=mode)
    return np.concatenate([Q.reshape(*a.shape[:-2], -1), R.reshape(*a.shape[:-2], -1)], -1)


@hs.composite
def _norm_sample(draw, matrix):
    if matrix:
        s = draw(_rect())
        s.kwargs = {"ord": draw(hs.sampled_from(["fro", "nuc", 2, -2, 1, -1, math.inf,
                                                 -math.inf])),
                    "keepdim": draw(hs.booleans())}
        a = s.args[0]
        # distinct column / row sums: no ties in the 1- and inf-norms
        a = a + np.arange(a.shape[-1]) * 0.21 + np.arange(a.shape[-2])[:, None] * 0.13
        s.args = (np.abs(a) + 0.1,) if s.kwargs["ord"] in (1, -1, math.inf, -math.inf) else (a,)
        return s
    b = draw(_batches)
    x = draw(floats(b + (draw(hs.integers(1, 4)),), 0.3, 2.0)) * \
        draw(hs.sampled_from([1.0, -1.0]))
    x = x + np.arange(x.shape[-1]) * 0.23          # distinct magnitudes (inf-norm ties)
    ord_ = draw(hs.sampled_from([2, 1, 3, 0.5, 1.5, math.inf, -math.inf, -1.0]))
    return Sample((x,), {"ord": ord_, "dim": -1, "keepdim": draw(hs.booleans())})


def _np_matrix_norm(a, ord, keepdim):  # noqa: A002
    return np.linalg.norm(a, ord=ord, axis=(-2, -1), keepdims=keepdim)


def _np_vector_norm(x, ord, dim, keepdim):  # noqa: A002
    a = np.abs(x)
    if math.isinf(ord):
        out = a.max(dim, keepdims=True) if ord > 0 else a.min(dim, keepdims=True)
    else:
        out = (a ** ord).sum(dim, keepdims=True) ** (1 / ord)
    return out if keepdim else out.squeeze(dim)


def _expm_ref(a):
    """exp(A) by its Taylor series with scaling and squaring (independent of Pade)."""
    s = int(max(0, np.ceil(np.log2(max(np.abs(a).sum(-2).max(), 1e-9)) + 1)))
    a = a / 2.0 ** s
    out, term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy(), \
        np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    for k in range(1, 30):
        term = term @ a / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


@hs.composite
def _lstsq_sample(draw):
    s = draw(_rect(tall=True))
    a = s.args[0]
    return Sample((a, draw(floats(a.shape[:-1] + (draw(hs.integers(1, 2)),)))))


@hs.composite
def _cross_sample(draw):
    """Same number of dims (as linalg.cross requires), broadcasting size-1 batch dims."""
    b = draw(_batches)
    b2 = tuple(1 if draw(hs.booleans()) else s for s in b)
    return Sample((draw(floats(b + (3,))), draw(floats(b2 + (3,)))))


@hs.composite
def _multi_dot_sample(draw):
    sizes = [draw(hs.integers(1, 3)) for _ in range(draw(hs.integers(3, 5)))]
    shapes = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    if draw(hs.booleans()):
        shapes[0] = shapes[0][1:]
    if draw(hs.booleans()):
        shapes[-1] = shapes[-1][:1]
    return Sample(tuple(draw(floats(s)) for s in shapes))


def _multi_dot_ref(*arrs):
    out = arrs[0]
    for a in arrs[1:]:
        out = out @ a
    return out


@hs.composite
def _solve_triangular_sample(draw):
    s = draw(_square(rhs="matrix"))
    a, b = s.args
    kw = {"upper": draw(hs.booleans()), "left": draw(hs.booleans()),
          "unitriangular": draw(hs.booleans())}
    if not kw["left"]:
        b = np.ascontiguousarray(np.swapaxes(b, -1, -2))
    return Sample((a, b), kw)


def _solve_triangular_ref(a, b, upper, left, unitriangular):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t.copy()
        t[..., np.arange(t.shape[-1]), np.arange(t.shape[-1])] = 1
    if left:
        return np.linalg.solve(t, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


OPS = [
    OpInfo("linalg.inv", la.inv, np.linalg.inv, _square()),
    OpInfo("linalg.inv_ex", lambda a: la.inv_ex(a).inverse, np.linalg.inv, _square()),
    OpInfo("linalg.det", la.det, np.linalg.det, _square()),
    OpInfo("linalg.det_singular", la.det, np.linalg.det,
           _square(shift=0.0, n_min=2).map(lambda s: Sample(
               (s.args[0] * np.concatenate([np.ones(s.args[0].shape[-1] - 1), [0.0]]),))),
           gradgrad=False, notes="rank n-1: the gradient is the cofactor matrix, from the SVD"),
    OpInfo("linalg.slogdet", lambda a: la.slogdet(a).logabsdet,
           lambda a: np.linalg.slogdet(a)[1], _square()),
    OpInfo("logdet", lambda a: ag.logdet(_spd(a)), lambda a: np.linalg.slogdet(_np_spd(a))[1],
           _square()),
    OpInfo("linalg.solve", la.solve, np.linalg.solve, _square(rhs="matrix")),
    OpInfo("linalg.solve_vector", la.solve, lambda a, b: np.linalg.solve(a, b[..., None])[..., 0],
           _square(rhs="vector")),
    OpInfo("linalg.solve_left_false", lambda a, b: la.solve(a, b, left=False),
           lambda a, b: np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2),
                                                    np.swapaxes(b, -1, -2)), -1, -2),
           _square(rhs="matrix").map(lambda s: Sample(
               (s.args[0], np.ascontiguousarray(np.swapaxes(s.args[1], -1, -2)))))),
    OpInfo("linalg.solve_ex", lambda a, b: la.solve_ex(a, b).result, np.linalg.solve,
           _square(rhs="matrix")),
    OpInfo("linalg.cond", lambda a, p: la.cond(a, p),
           lambda a, p: np.linalg.cond(a, p), _square(shift=0.0).map(
               lambda s: Sample((s.args[0] + np.diag(2.0 + 1.5 * np.arange(s.args[0].shape[-1])),
                                 ))).flatmap(lambda s: hs.sampled_from(
               [None, -2, "fro", "nuc", 1, math.inf]).map(lambda p: Sample(s.args, {"p": p})))),
    OpInfo("linalg.solve_triangular", la.solve_triangular, _solve_triangular_ref,
           _solve_triangular_sample()),
    OpInfo("linalg.cholesky", lambda a, upper: la.cholesky(_spd(a), upper=upper),
           lambda a, upper: (np.swapaxes if upper else (lambda m, i, j: m))(
               np.linalg.cholesky(_np_spd(a)), -1, -2),
           _square(shift=0.5).flatmap(lambda s: hs.booleans().map(
               lambda u: Sample(s.args, {"upper": u})))),
    OpInfo("linalg.pinv", la.pinv, np.linalg.pinv, _rect()),
    OpInfo("linalg.lstsq", lambda a, b: la.lstsq(a, b).solution,
           lambda a, b: np.linalg.pinv(a) @ b, _lstsq_sample()),
    OpInfo("linalg.matrix_power", lambda a, n: la.matrix_power(a, n),
           lambda a, n: np.linalg.matrix_power(a, n) if a.ndim == 2 else
           np.stack([np.linalg.matrix_power(m, n) for m in a.reshape(-1, *a.shape[-2:])])
           .reshape(a.shape),
           _square().flatmap(lambda s: hs.sampled_from([-2, -1, 1, 2, 3, 4]).map(
               lambda n: Sample(s.args, {"n": n})))),
    OpInfo("linalg.matrix_exp", la.matrix_exp, _expm_ref, _square(shift=0.0, n_max=2),
           ref_atol=1e-5),
    OpInfo("linalg.svd", _svd_fn, _svd_ref, _rect().flatmap(lambda s: hs.booleans().map(
        lambda f: Sample(s.args, {"full_matrices": f})))),
    OpInfo("linalg.svdvals", la.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), _rect()),
    OpInfo("linalg.eigh", _eigh_fn, _eigh_ref, _eigh_sample()),
    OpInfo("linalg.eigvalsh", lambda a, uplo: la.eigvalsh(_sym(a), uplo),
           lambda a, uplo: np.linalg.eigvalsh(a + np.swapaxes(a, -1, -2)), _eigh_sample()),
    OpInfo("linalg.qr", _qr_fn, _qr_ref, _rect()),
    OpInfo("linalg.matrix_norm", la.matrix_norm, _np_matrix_norm, _norm_sample(matrix=True)),
    OpInfo("linalg.vector_norm", la.vector_norm, _np_vector_norm, _norm_sample(matrix=False)),
    OpInfo("linalg.norm", la.norm, lambda a: np.sqrt((a * a).sum()), _rect()),
    OpInfo("linalg.cross", la.cross, np.cross, _cross_sample()),
    OpInfo("linalg.vecdot", la.vecdot, lambda x, y: (x * y).sum(-1), _cross_sample()),
    OpInfo("linalg.multi_dot", lambda *ts: la.multi_dot(ts), _multi_dot_ref,
           _multi_dot_sample()),
    OpInfo("linalg.vander", la.vander, lambda x: x[..., None] ** np.arange(x.shape[-1]),
           _rect().map(lambda s: Sample((s.args[0][..., 0, :],))).filter(
               lambda s: s.args[0].shape[-1] > 1)),
]
