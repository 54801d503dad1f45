"""Registry entries: sampling ops, run with a freshly seeded Generator on every call so that
they are deterministic functions of their inputs.

PyTorch defines the gradient of every sampling op as zero. For bernoulli, poisson and the
in-place fills that is also what finite differences see (the samples are piecewise
constant in the inputs), so the generic gradient checks run. `normal(mean, std)` is
`mean + std * z`, whose finite differences are not zero: its entries are forward-only
here, and tests/autograd/test_sampling.py checks its zero gradients against PyTorch.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

import autograd as ag
from autograd.testing import strategies as st

from .core import OpInfo, Sample, floats, unary

SEED = 7


def _gen():
    return ag.Generator().manual_seed(SEED)


def _np_gen():
    return np.random.Generator(np.random.PCG64(SEED))


@hs.composite
def _mean_std(draw, tensor_mean=True, tensor_std=True):
    sm, ss = draw(st.broadcastable_shapes(2))
    args = []
    if tensor_mean:
        args.append(draw(floats(sm)))
    if tensor_std:
        args.append(draw(floats(ss, 0.1, 2.0)))
    return Sample(tuple(args))


def _normal_ref(mean, std):
    shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
    return _np_gen().normal(mean, std, size=shape)


def _fill(method, draw, *args, **kw):
    """(x * 1).method_(...): an in-place fill on a tensor in the graph (x stays unmutated)."""
    def fn(x):
        return getattr(x * 1, method)(*args, generator=_gen(), **kw)

    def ref(x):
        return draw(_np_gen(), x.shape).astype(x.dtype)
    return fn, ref


_FILLS = [
    ("uniform_", {}, lambda r, s: r.uniform(0.0, 1.0, s)),
    ("normal_", {"mean": 0.5, "std": 2.0}, lambda r, s: r.normal(0.5, 2.0, s)),
    ("bernoulli_", {"p": 0.3}, lambda r, s: r.random(s) < 0.3),
    ("exponential_", {"lambd": 2.0}, lambda r, s: r.exponential(0.5, s)),
    ("random_", {"to": 7}, lambda r, s: r.integers(0, 7, s)),
    ("random_", (2, 9), lambda r, s: r.integers(2, 9, s)),

    ("geometric_", {"p": 0.4}, lambda r, s: r.geometric(0.4, s)),
    ("log_normal_", {"mean": 0.0, "std": 0.5}, lambda r, s: r.lognormal(0.0, 0.5, s)),
    ("cauchy_", {"median": 1.0, "sigma": 0.5},
     lambda r, s: 1.0 + 0.5 * r.standard_cauchy(s)),
]


def _fill_op(name, args, draw):
    """`args`: the keywords (a dict) or the positional arguments (a tuple)."""
    fn, ref = _fill(name, draw, **args) if isinstance(args, dict) else _fill(name, draw, *args)
    return OpInfo(f"Tensor.{name}{args}", fn, ref, unary(), ref_atol=1e-12)


OPS = [
    OpInfo("normal(mean, std)", lambda m, s: ag.normal(m, s, generator=_gen()), _normal_ref,
           _mean_std(), differentiable=False, notes="zero gradient by definition"),
    OpInfo("normal(mean, 1.5)", lambda m: ag.normal(m, 1.5, generator=_gen()),
           lambda m: _normal_ref(m, 1.5), _mean_std(tensor_std=False), differentiable=False),
    OpInfo("normal(0.5, std)", lambda s: ag.normal(0.5, s, generator=_gen()),
           lambda s: _normal_ref(0.5, s), _mean_std(tensor_mean=False), differentiable=False),
    # probabilities and rates inside their domains also after a finite-difference step
    OpInfo("bernoulli", lambda p: ag.bernoulli(p, generator=_gen()),
           lambda p: (_np_gen().random(p.shape) < p).astype(p.dtype), unary(0.05, 0.95)),
    OpInfo("Tensor.bernoulli_(p tensor)",
           lambda x, p: (x * 1).bernoulli_(p, generator=_gen()),
           lambda x, p: (_np_gen().random(x.shape) < p).astype(x.dtype),
           hs.tuples(st.shapes(), hs.booleans()).flatmap(
               lambda sb: hs.tuples(floats(sb[0]), floats(sb[0][1:] if sb[1] else sb[0],
                                                          0.05, 0.95))).map(Sample)),
    OpInfo("poisson", lambda r: ag.poisson(r, generator=_gen()),
           lambda r: np.asarray(_np_gen().poisson(r)).astype(r.dtype),
           # rates exact in float32: float32 and float64 inputs then draw the same
           unary(0.25, 8.0).map(lambda s: Sample((np.asarray(np.round(s.args[0] * 4) / 4),)))),
    *[_fill_op(name, kw, draw) for name, kw, draw in _FILLS],
    # random_() draws every integer the dtype holds exactly, so float32 and float64 differ:
    # run it in float64 only
    OpInfo("Tensor.random_()", lambda x: (x.double() * 1).random_(generator=_gen()),
           lambda x: _np_gen().integers(0, 2 ** 53 + 1, x.shape).astype(np.float64), unary(),
           keeps_dtype=False),
]
