"""Products and distances: einsum, tensordot, kron, addmm, addmv, addbmm, baddbmm, cdist,
cosine_similarity.

einsum takes diagonals for repeated subscripts, sums out subscripts that no other operand
or the output needs, and contracts the operands left to right, each pair with one batched
matmul (as PyTorch does), so its gradient is that of views, sums and matmuls.
The add-product family and cdist are in the derivative table.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .base import derivative, inplace, record, to_tensor
from .shape import broadcast_tensors

# ---- einsum --------------------------------------------------------------------------------
_ELL = "..."


def _parse_term(term: str, pos: int, equation: str) -> list:
    """Subscripts of one term: letters, and _ELL for an ellipsis; `pos` is its offset in
    the equation (for error messages)."""
    out, i = [], 0
    while i < len(term):
        ch = term[i]
        if term.startswith(_ELL, i):
            if _ELL in out:
                raise RuntimeError("einsum(): found '.' for operand that is not part of any "
                                   "ellipsis")
            out.append(_ELL)
            i += 3
            continue
        if ch == " ":
            i += 1
            continue
        if not ch.isascii() or not ch.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {pos + i} in the "
                               "equation string, subscripts must be in [a-zA-Z]")
        out.append(ch)
        i += 1
    return out


def _einsum_labels(equation: str, operands: list) -> tuple:
    """Per operand, one label per dim (letters; ints for ellipsis dims, right-aligned), the
    output's labels, and each label's size."""
    lhs, arrow, rhs = equation.partition("->")
    terms, pos = [], 0
    for term in lhs.split(","):
        terms.append(_parse_term(term, pos, equation))
        pos += len(term) + 1
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    labels, ell_ndim = [], 0
    for k, (term, t) in enumerate(zip(terms, operands)):
        n_letters = len([c for c in term if c != _ELL])
        ndim = t._data.ndim
        if _ELL not in term and n_letters != ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({n_letters}) does not match the number of dimensions ({ndim}) "
                               f"for operand {k} and no ellipsis was given")
        if _ELL in term and n_letters > ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({n_letters}) is more than the number of dimensions ({ndim}) "
                               f"for operand {k}")
        n_ell = ndim - n_letters
        ell_ndim = max(ell_ndim, n_ell)
        lab = []
        for c in term:
            lab.extend(range(-n_ell, 0) if c == _ELL else [c])   # ellipsis dims: -n..-1
        labels.append(lab)
    ell = list(range(-ell_ndim, 0))
    if arrow:
        out_terms = _parse_term(rhs, len(lhs) + 2, equation)
        seen = set()
        for c in out_terms:
            if c in seen:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            seen.add(c)
            if c != _ELL and not any(c in t for t in terms):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
        out = []
        for c in out_terms:
            out.extend(ell if c == _ELL else [c])
    else:
        counts: dict = {}
        for lab in labels:
            for c in lab:
                if isinstance(c, str):
                    counts[c] = counts.get(c, 0) + 1
        out = ell + sorted(c for c, n in counts.items() if n == 1)
    sizes: dict = {}
    for k, (lab, t) in enumerate(zip(labels, operands)):
        mine: dict = {}
        for c, s in zip(lab, t._data.shape):
            if c in mine and mine[c] != s:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the "
                                   f"sizes don't match, {s} != {mine[c]}")
            mine[c] = s
            prev = sizes.get(c, 1)
            if s != 1 and prev != 1 and s != prev:
                name = c if isinstance(c, str) else "..."
                raise RuntimeError(f"einsum(): subscript {name} has size {s} for operand {k} "
                                   f"which does not broadcast with previously seen size {prev}")
            sizes[c] = max(prev, s) if c in sizes else s
    return labels, out, sizes


def _take_diagonals(t: Tensor, lab: list) -> tuple:
    """Replace each repeated label by one dim (the diagonal), at the end."""
    lab = list(lab)
    while True:
        dup = next((c for c in lab if lab.count(c) > 1), None)
        if dup is None:
            return t, lab
        i = lab.index(dup)
        j = lab.index(dup, i + 1)
        t = t.diagonal(0, i, j)
        lab = [c for k, c in enumerate(lab) if k not in (i, j)] + [dup]


def _sum_unneeded(t: Tensor, lab: list, needed: set) -> tuple:
    dims = tuple(i for i, c in enumerate(lab) if c not in needed)
    if not dims:
        return t, lab
    return t.sum(dims), [c for c in lab if c in needed]


def _expand_to(t: Tensor, lab: list, labels: list, sizes: dict) -> Tensor:
    """Broadcast the size-1 dims among `labels` to their full size."""
    shape = tuple(sizes[c] if c in labels else s for c, s in zip(lab, t._data.shape))
    return t if shape == t._data.shape else t.expand(shape)


def _contract(a: Tensor, la: list, b: Tensor, lb: list, keep: set, sizes: dict) -> tuple:
    """a and b multiplied and summed over their shared labels that are not kept."""
    a, la = _sum_unneeded(a, la, keep | set(lb))
    b, lb = _sum_unneeded(b, lb, keep | set(la))
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    a_only = [c for c in la if c not in lb]
    b_only = [c for c in lb if c not in la]
    a = _expand_to(a, la, batch + summed, sizes)
    b = _expand_to(b, lb, batch + summed, sizes)
    a = a.permute([la.index(c) for c in batch + a_only + summed])
    b = b.permute([lb.index(c) for c in batch + summed + b_only])
    bs = tuple(sizes[c] for c in batch)
    a_sz = tuple(a._data.shape[len(batch) + i] for i in range(len(a_only)))
    b_sz = tuple(b._data.shape[len(batch) + len(summed) + i] for i in range(len(b_only)))
    k = math.prod(sizes[c] for c in summed)
    out = a.reshape(bs + (math.prod(a_sz), k)) @ b.reshape(bs + (k, math.prod(b_sz)))
    return out.reshape(bs + a_sz + b_sz), batch + a_only + b_only


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation: 'ij,jk->ik' (matmul), 'bij,bjk->bik', 'ii->i', '...ij->...ji',
    implicit outputs ('ij,jk'), broadcasting of size-1 dims and of ellipsis dims."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError("einsum(): the sublist format is not supported; pass an equation "
                        "string such as 'ij,jk->ik'")
    operands = [to_tensor(t, "operands") for t in operands]
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    dt = operands[0]._data.dtype
    for t in operands[1:]:
        if t._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {operands[0].dtype._legacy} but found "
                               f"{t.dtype._legacy}")
    labels, out_lab, sizes = _einsum_labels(equation, operands)
    ops = [_take_diagonals(t, lab) for t, lab in zip(operands, labels)]
    t, lab = ops[0]
    for i in range(1, len(ops)):
        later = set(out_lab).union(*[set(lb) for _, lb in ops[i + 1:]])
        t, lab = _contract(t, lab, *ops[i], later, sizes)
    t, lab = _sum_unneeded(t, lab, set(out_lab))
    t = _expand_to(t, lab, out_lab, sizes)
    perm = [lab.index(c) for c in out_lab]
    if perm == list(range(len(perm))) and t is not operands[0]:
        return t
    return t.permute(perm)   # (also a new view when nothing else happened, as PyTorch)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Sum of products over the last `dims` dims of a and the first of b, or over the
    paired dim lists `dims=([a dims], [b dims])`."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(a._data.ndim - dims, a._data.ndim))
        db = list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        da = [a._wrap_dim(d) for d in da]
        db = [b._wrap_dim(d) for d in db]
    for i, j in zip(da, db):
        sa, sb = a._data.shape[i], b._data.shape[j]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in "
                               f"dim {i} and second has size {sb} in dim {j}")
    fa = [i for i in range(a._data.ndim) if i not in da]
    fb = [j for j in range(b._data.ndim) if j not in db]
    k = math.prod(a._data.shape[i] for i in da)
    sa = tuple(a._data.shape[i] for i in fa)
    sb = tuple(b._data.shape[j] for j in fb)
    am = a.permute(fa + da).reshape(math.prod(sa), k)
    bm = b.permute(db + fb).reshape(k, math.prod(sb))
    return (am @ bm).reshape(sa + sb)


def kron(a: Tensor, b: Tensor) -> Tensor:
    """The Kronecker product: blocks a[i, j] * b, for any number of dims."""
    n = max(a._data.ndim, b._data.ndim)
    sa = (1,) * (n - a._data.ndim) + a._data.shape
    sb = (1,) * (n - b._data.ndim) + b._data.shape
    ai = a.reshape(tuple(s for d in sa for s in (d, 1)))
    bi = b.reshape(tuple(s for d in sb for s in (1, d)))
    return (ai * bi).reshape(tuple(x * y for x, y in zip(sa, sb)))


Tensor.kron = kron


# ---- input + product -----------------------------------------------------------------------
def _scaled(t: Tensor, s) -> Tensor:
    return t if s == 1 else t * s


def _add_product_rule(g, a, b, beta, alpha, kind):
    """Gradients of beta * input + alpha * (a . b); the engine sums g back to input's
    (broadcast) shape."""
    if kind == "mv":
        ga, gb = g.unsqueeze(-1) * b, a.mT @ g
    else:
        gg = g.unsqueeze(0) if kind == "addbmm" else g
        ga, gb = gg @ b.mT, a.mT @ gg
    return g * beta, _scaled(ga, alpha), _scaled(gb, alpha)


Addmm = derivative("AddmmBackward0", _add_product_rule)
Addmv = derivative("AddmvBackward0", _add_product_rule)
Addbmm = derivative("AddbmmBackward0", _add_product_rule)
Baddbmm = derivative("BaddbmmBackward0", _add_product_rule)


def check_product_shapes(kind: str, a: Tensor, b: Tensor) -> None:
    """PyTorch's rank and size errors of mm ('mm'), mv ('mv') and bmm ('bmm') operands."""
    sa, sb = a._data.shape, b._data.shape
    if kind == "mm":
        for name, t in (("mat1", a), ("mat2", b)):
            if t._data.ndim != 2:
                raise RuntimeError(f"{name} must be a matrix, got {t._data.ndim}-D tensor")
        if sa[1] != sb[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
                               f"{sb[0]}x{sb[1]})")
    elif kind == "mv":
        if a._data.ndim != 2 or b._data.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got {a._data.ndim}, "
                               f"{b._data.ndim}")
    else:
        for name, t in (("batch1", a), ("batch2", b)):
            if t._data.ndim != 3:
                raise RuntimeError(f"{name} must be a 3D tensor")
        if sb[:2] != (sa[0], sa[2]):
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{sa[0]}, {sa[2]}] but got: [{sb[0]}, {sb[1]}].")


def _check_dtypes(kind: str, i: Tensor, a: Tensor, b: Tensor) -> None:
    """PyTorch's dtype errors, which differ from op to op."""
    di, da, db = (t.dtype._legacy for t in (i, a, b))
    if di == da == db:
        return
    if kind == "mv":
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {di}, {da}, "
                           f"and {db}")
    if kind == "bmm":
        if di != da:
            raise RuntimeError(f"Input dtypes must be the same, got: input {di.lower()}, batch1: "
                               f"{da.lower()}, batch2: {db.lower()}")
        raise RuntimeError(f"expected scalar type {da} but found {db}")
    if da != db:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {da} and {db}")
    raise RuntimeError(f"self and mat2 must have the same dtype, but got {di} and {db}")


def _add_product(cls, kind: str, input, a, b, beta, alpha) -> Tensor:
    input = to_tensor(input, "input")
    check_product_shapes(kind, a, b)
    _check_dtypes(kind, input, a, b)
    if kind == "mv" and a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({', '.join(map(str, input.shape))}), mat "
                           f"({a.shape[0]}x{a.shape[1]}), vec ({b.shape[0]})")
    prod = a._data @ b._data
    if kind == "addbmm":
        prod = prod.sum(0)
    target = prod.shape
    shp = input._data.shape
    lead = len(target) - len(shp)
    if lead < 0 or any(s not in (1, t) for s, t in zip(shp, target[lead:])):
        if kind == "mv":
            raise RuntimeError(f"size mismatch, got input ({', '.join(map(str, shp))}), mat "
                               f"({a.shape[0]}x{a.shape[1]}), vec ({b.shape[0]})")
        bad = next((i for i, (s, t) in enumerate(zip(shp, target[lead:])) if s not in (1, t)),
                   0)
        raise RuntimeError(f"The expanded size of the tensor ({target[lead + bad]}) must match "
                           f"the existing size ({shp[bad]}) at non-singleton dimension "
                           f"{lead + bad}.  Target sizes: {list(target)}.  Tensor sizes: "
                           f"{list(shp)}")
    out = prod * alpha if alpha != 1 else prod
    if beta != 0:
        out = out + (input._data * beta if beta != 1 else input._data)
    out = np.asarray(out, dtype=prod.dtype)
    return record(cls, out, (input, a, b), a=a, b=b, beta=beta, alpha=alpha, kind=kind)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2)."""
    return _add_product(Addmm, "mm", input, mat1, mat2, beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat @ vec)."""
    return _add_product(Addmv, "mv", input, mat, vec, beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1,  # noqa: A002
           alpha=1) -> Tensor:
    """beta * input + alpha * sum over the batch of batch1[i] @ batch2[i]."""
    return _add_product(Addbmm, "addbmm", input, batch1, batch2, beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1,  # noqa: A002
            alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    return _add_product(Baddbmm, "bmm", input, batch1, batch2, beta, alpha)


for _f in (addmm, addmv, addbmm, baddbmm):
    setattr(Tensor, _f.__name__, _f)
    setattr(Tensor, _f.__name__ + "_", inplace(_f))


# ---- distances -----------------------------------------------------------------------------
def _cdist_np(d: np.ndarray, p: float) -> np.ndarray:
    a = np.abs(d)
    if p == 2:
        return np.sqrt(np.sum(a * a, -1))
    if p == 1:
        return np.sum(a, -1)
    if p == math.inf:
        return np.max(a, -1, initial=0)
    if p == 0:
        return np.sum(a != 0, -1).astype(d.dtype)
    return np.sum(a ** p, -1) ** (1 / p)


def _cdist_rule(g, x1, x2, out, p):
    """PyTorch's _cdist_backward: d dist / d diff, 0 where the distance is 0."""
    from .pointwise import where
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)                # (..., P, R, M)
    dist = out.unsqueeze(-1)
    zero = dist == 0
    if p == 0:
        dd = diff * 0
    elif p == 1:
        dd = diff.sign()
    elif p == math.inf:
        dd = diff.sign() * (diff.abs() == dist)
    elif p == 2:
        dd = diff / where(zero, 1.0, dist)
    else:
        ad = where(diff == 0, 1.0, diff.abs())
        dd = where(diff == 0, 0.0, diff.sign() * ad ** (p - 1) / where(zero, 1.0, dist) ** (p - 1))
    dd = where(zero, 0.0, dd) if p not in (0, 1, math.inf) else dd
    gd = g.unsqueeze(-1) * dd
    return gd.sum(-2), -gd.sum(-3)


Cdist = derivative("CdistBackward0", _cdist_rule)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode=None) -> Tensor:
    """p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M): (..., P, R)."""
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1._data.shape[-1]} X2: {x2._data.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1._data.dtype.kind != "f" or x2._data.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype._legacy}")
    try:
        diff = x1._data[..., :, None, :] - x2._data[..., None, :, :]
    except ValueError:
        raise RuntimeError(f"cdist: the batch dims of X1 {list(x1.shape[:-2])} and X2 "
                           f"{list(x2.shape[:-2])} cannot be broadcast together") from None
    out = np.asarray(_cdist_np(diff, float(p)), dtype=diff.dtype)
    return record(Cdist, out, (x1, x2), x1=x1, x2=x2, p=float(p))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / (|x1| |x2|) along `dim` (inputs broadcast), each norm at least `eps`.

    As PyTorch, the norms are clamped without recording it, so the gradient is that of
    the unclamped norms."""
    x1, x2 = broadcast_tensors(x1, x2)

    def unit(x):
        n = x.norm(2, dim, keepdim=True)
        nd = n.detach()
        return x / (n + (nd.clamp_min(eps) - nd))

    return (unit(x1) * unit(x2)).sum(dim)


def dist(x, other, p: float = 2) -> Tensor:
    """The p-norm of x - other (broadcast)."""
    return (x - other).norm(p)


Tensor.dist = dist


def addr(x, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
    """beta * x + alpha * outer(vec1, vec2); with beta = 0, x is ignored (NaN and inf too)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got "
                               f"{v._data.ndim}-D")
    prod = vec1.outer(vec2)
    prod = prod if alpha == 1 else prod * alpha
    x = x.expand(prod._data.shape)   # (PyTorch's error if x does not broadcast to it)
    if beta == 0:
        return prod
    return (x if beta == 1 else x * beta) + prod


Tensor.addr, Tensor.addr_ = addr, inplace(addr)
