"""Registry entries: einsum (many equations), tensordot, the add-product family (addmm,
addmv, addbmm, baddbmm), cdist and cosine_similarity; dist, addr, cov, corrcoef, renorm,
vander."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, binary, floats

# equation, operand shapes (letters -> sizes drawn per sample); '...' dims are drawn too
_EQUATIONS = [
    ("ij,jk->ik", ("ij", "jk")),
    ("ij,jk", ("ij", "jk")),                    # implicit output
    ("bij,bjk->bik", ("bij", "bjk")),
    ("i,i->", ("i", "i")),
    ("i,j->ij", ("i", "j")),
    ("ii->i", ("ii",)),
    ("ii", ("ii",)),                            # trace
    ("iij->j", ("iij",)),
    ("ij->ji", ("ij",)),
    ("ij->", ("ij",)),
    ("ijk,ikl,k->jl", ("ijk", "ikl", "k")),
    ("...ij,...jk->...ik", ("...ij", "...jk")),
    ("i...,i->...", ("i...", "i")),
    ("bn,anm,bm->ba", ("bn", "anm", "bm")),
]


@hs.composite
def _einsum_sample(draw):
    eq, terms = draw(hs.sampled_from(_EQUATIONS))
    sizes = {c: draw(hs.integers(1, 3)) for c in "ijklmnab"}
    ell = tuple(draw(hs.lists(hs.integers(1, 2), max_size=2)))
    arrays = []
    for term in terms:
        shape = []
        for part in term.replace("...", "."):
            if part == ".":   # each operand's ellipsis may broadcast (size 1 or drop dims)
                mine = ell[draw(hs.integers(0, len(ell))):]
                shape.extend(1 if draw(hs.booleans()) else s for s in mine)
            else:
                shape.append(sizes[part])
        arrays.append(draw(floats(tuple(shape))))
    return Sample(tuple(arrays), {"equation": eq})


@hs.composite
def _tensordot_sample(draw):
    k = draw(hs.integers(0, 2))
    contracted = tuple(draw(hs.integers(1, 3)) for _ in range(k))
    fa = tuple(draw(hs.lists(hs.integers(1, 3), max_size=2)))
    fb = tuple(draw(hs.lists(hs.integers(1, 3), max_size=2)))
    a, b = draw(floats(fa + contracted)), draw(floats(contracted + fb))
    if draw(hs.booleans()):
        return Sample((a, b), {"dims": k})
    dims = (list(range(len(fa), len(fa) + k)), list(range(k)))
    return Sample((a, b), {"dims": dims})


@hs.composite
def _add_product_sample(draw, kind):
    n, k, m, b = (draw(hs.integers(1, 3)) for _ in range(4))
    shapes = {"mm": ((n, k), (k, m), (n, m)), "mv": ((n, k), (k,), (n,)),
              "bmm": ((b, n, k), (b, k, m), (b, n, m)), "addbmm": ((b, n, k), (b, k, m), (n, m))}
    sa, sb, out = shapes[kind]
    si = out[draw(hs.integers(0, len(out))):]                 # input broadcasts to the product
    si = tuple(1 if draw(hs.booleans()) else s for s in si)
    beta, alpha = draw(hs.sampled_from([1, 0.5, 0])), draw(hs.sampled_from([1, -2.0]))
    return Sample((draw(floats(si)), draw(floats(sa)), draw(floats(sb))),
                  {"beta": beta, "alpha": alpha})


def _add_product_ref(kind):
    def ref(i, a, b, beta, alpha):
        prod = a @ b
        if kind == "addbmm":
            prod = prod.sum(0)
        return alpha * prod + (beta * i if beta else 0)
    return ref


@hs.composite
def _cdist_sample(draw):
    p = draw(hs.sampled_from([2.0, 1.0, 3.0, 0.5, np.inf]))
    batch = tuple(draw(hs.lists(hs.integers(1, 2), max_size=1)))
    P, R, M = (draw(hs.integers(1, 3)) for _ in range(3))  # noqa: N806
    x1 = draw(floats(batch + (P, M)))
    x2 = draw(floats(batch + (R, M)))
    # keep coordinates apart (|x1 - x2| = 0 and ties in the inf-norm are kinks)
    x1 = x1 + np.arange(P * M).reshape(P, M) * 0.37
    x2 = x2 - np.arange(R * M).reshape(R, M) * 0.51 - 0.2
    return Sample((x1, x2), {"p": p})


def _cdist_ref(x1, x2, p):
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == np.inf:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


@hs.composite
def _cosine_sample(draw):
    shape = draw(hs.lists(hs.integers(1, 3), min_size=1, max_size=3).map(tuple))
    x1 = draw(floats(shape, 0.2, 2.0))
    x2 = draw(floats(shape[draw(hs.integers(0, len(shape) - 1)):], -2.0, -0.2))
    return Sample((x1, x2), {"dim": draw(hs.integers(-len(shape), len(shape) - 1))
                             if len(shape) == x2.ndim else -1})


def _cosine_ref(x1, x2, dim):
    x1, x2 = np.broadcast_arrays(x1, x2)
    return (x1 * x2).sum(dim) / (np.linalg.norm(x1, axis=dim) * np.linalg.norm(x2, axis=dim))


OPS = [
    OpInfo("einsum", lambda *ts, equation: ag.einsum(equation, *ts),
           lambda *a, equation: np.einsum(equation, *a), _einsum_sample()),
    OpInfo("tensordot", lambda a, b, dims: ag.tensordot(a, b, dims),
           lambda a, b, dims: np.tensordot(a, b, dims), _tensordot_sample()),
    OpInfo("addmm", ag.addmm, _add_product_ref("mm"), _add_product_sample("mm")),
    OpInfo("addmv", ag.addmv, _add_product_ref("mv"), _add_product_sample("mv")),
    OpInfo("baddbmm", ag.baddbmm, _add_product_ref("bmm"), _add_product_sample("bmm")),
    OpInfo("addbmm", ag.addbmm, _add_product_ref("addbmm"), _add_product_sample("addbmm")),
    OpInfo("cdist", ag.cdist, _cdist_ref, _cdist_sample()),
    OpInfo("cosine_similarity", ag.cosine_similarity, _cosine_ref, _cosine_sample()),
]


# ---- dist, addr, cov, corrcoef, renorm, vander -------------------------------------------
@hs.composite
def _addr_sample(draw):
    n, m = draw(hs.integers(1, 3)), draw(hs.integers(1, 3))
    shape = draw(hs.sampled_from([(n, m), (m,), (1, m), ()]))
    return Sample((draw(floats(shape)), draw(floats((n,))), draw(floats((m,)))),
                  {"beta": draw(hs.sampled_from([0, 0.5, 1])), "alpha": 1.5})


@hs.composite
def _cov_sample(draw, weights=True):
    v, n = draw(hs.integers(1, 3)), draw(hs.integers(3, 5))
    x = draw(floats(draw(hs.sampled_from([(v, n), (n,)]))))
    kw = {"correction": draw(hs.integers(0, 1))} if weights else {}
    if weights and draw(hs.booleans()):
        kw["fweights"] = np.asarray(draw(hs.lists(hs.integers(1, 3), min_size=n, max_size=n)))
    if weights and draw(hs.booleans()):
        kw["aweights"] = draw(floats((n,), 0.5, 2.0))
    return Sample((x,), kw)


def _cov_ref(x, correction=0, fweights=None, aweights=None):
    return np.cov(x, ddof=correction, fweights=fweights, aweights=aweights)


@hs.composite
def _renorm_sample(draw):
    shape = draw(st.shapes(min_dims=2, max_dims=3, min_side=1, max_side=3))
    return Sample((draw(floats(shape, 0.2, 2.0)),),
                  {"p": draw(hs.sampled_from([1, 2, 3])),
                   "dim": draw(hs.integers(-len(shape), len(shape) - 1)), "maxnorm": 1.5})


def _renorm_ref(x, p, dim, maxnorm):
    d = dim % x.ndim
    others = tuple(k for k in range(x.ndim) if k != d)
    norm = np.sum(np.abs(x) ** p, axis=others, keepdims=True) ** (1 / p)
    return x * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


@hs.composite
def _vander_sample(draw):
    n = draw(hs.integers(2, 4))   # (with fewer columns than 2 the result is constant)
    # magnitudes as cumprod's samples: its second derivative divides by x, which for an x
    # like 1e-228 leaves round-off of 1e211 where the exact value is 0
    x = draw(floats((n,), 0.5, 1.5)) * draw(hs.sampled_from([1.0, -1.0]))
    return Sample((x,), {"N": draw(hs.sampled_from([None, 2, 3])),
                                          "increasing": draw(hs.booleans())})


def _vander_ref(x, N=None, increasing=False):  # noqa: N803
    return np.vander(x, N, increasing=increasing)


OPS += [
    OpInfo("dist", lambda a, b, p: ag.dist(a, b, p), lambda a, b, p: np.linalg.norm(
        (a - b).reshape(-1), p), binary(unequal=True).map(
            lambda s: Sample(s.args, {"p": 2.5}))),
    OpInfo("addr", lambda x, v1, v2, **kw: ag.addr(x, v1, v2, **kw),
           lambda x, v1, v2, beta, alpha: beta * x + alpha * np.outer(v1, v2), _addr_sample()),
    OpInfo("cov", lambda x, **kw: ag.cov(x, **{k: ag.tensor(v) if isinstance(v, np.ndarray)
                                               else v for k, v in kw.items()}),
           _cov_ref, _cov_sample()),
    OpInfo("corrcoef", ag.corrcoef, np.corrcoef, _cov_sample(weights=False).filter(
        lambda s: np.all(np.std(s.args[0], axis=-1) > 0.1)), atol=1e-4),
    OpInfo("renorm", lambda x, **kw: x.renorm(**kw), _renorm_ref, _renorm_sample()),
    OpInfo("vander", lambda x, **kw: ag.vander(x, **kw), _vander_ref, _vander_sample()),
]
