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

from ..torch_cpu_rng import TorchCPUStream
from .core import OpInfo, Sample, floats, unary

SEED = 7


def _gen():
    return ag.Generator().manual_seed(SEED)


def _torch():
    """The reference: PyTorch's CPU stream after manual_seed(SEED), written out plainly."""
    return TorchCPUStream(SEED)


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
    """PyTorch: normal_(0, 1) of the broadcast shape, then * std + mean (float64)."""
    shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
    n = int(np.prod(shape))
    return _torch().normal_(n, np.float64).reshape(shape) * std + mean


def _double(fn):
    """Run `fn` on float64 copies of its inputs: float32 tensors draw other bits (24-bit
    uniforms) than float64 ones, as in PyTorch (its float32 streams: test_random_streams)."""
    return lambda *ts: fn(*(t.double() for t in ts))


def _fill(method, draw, *args, **kw):
    """(x * 1).method_(...): an in-place fill on a tensor in the graph (x stays unmutated)."""
    def fn(x):
        return getattr(x * 1, method)(*args, generator=_gen(), **kw)

    def ref(x):
        return np.asarray(draw(_torch(), x.size)).reshape(x.shape).astype(x.dtype)
    return fn, ref


_FILLS = [   # (method, its arguments, the reference draw, float32 draws other bits)
    ("uniform_", {}, lambda r, n: r.uniform_(n, np.float64), True),
    ("normal_", {"mean": 0.5, "std": 2.0}, lambda r, n: r.normal_(n, np.float64, 0.5, 2.0),
     True),
    ("bernoulli_", {"p": 0.3}, lambda r, n: r.bernoulli_(np.full(n, 0.3)), False),
    ("exponential_", {"lambd": 2.0}, lambda r, n: r.exponential_(n, 2.0), False),
    ("random_", {"to": 7}, lambda r, n: r.random_(n, 0, 7), False),
    ("random_", (2, 9), lambda r, n: r.random_(n, 2, 9), False),
    ("geometric_", {"p": 0.4}, lambda r, n: r.geometric_(n, 0.4), False),
    ("log_normal_", {"mean": 0.0, "std": 0.5}, lambda r, n: r.log_normal_(n, 0.0, 0.5), False),
    ("cauchy_", {"median": 1.0, "sigma": 0.5}, lambda r, n: r.cauchy_(n, 1.0, 0.5), False),
]


def _fill_op(name, args, draw, f64_only):
    """`args`: the keywords (a dict) or the positional arguments (a tuple)."""
    fn, ref = _fill(name, draw, **args) if isinstance(args, dict) else _fill(name, draw, *args)
    return OpInfo(f"Tensor.{name}{args}", _double(fn) if f64_only else fn, ref, unary(),
                  ref_atol=1e-12, keeps_dtype=not f64_only)


OPS = [
    OpInfo("normal(mean, std)", _double(lambda m, s: ag.normal(m, s, generator=_gen())),
           _normal_ref, _mean_std(), differentiable=False, keeps_dtype=False,
           notes="zero gradient by definition"),
    OpInfo("normal(mean, 1.5)", _double(lambda m: ag.normal(m, 1.5, generator=_gen())),
           lambda m: _normal_ref(m, 1.5), _mean_std(tensor_std=False), differentiable=False,
           keeps_dtype=False),
    OpInfo("normal(0.5, std)", _double(lambda s: ag.normal(0.5, s, generator=_gen())),
           lambda s: _normal_ref(0.5, s), _mean_std(tensor_mean=False), differentiable=False,
           keeps_dtype=False),
    # probabilities and rates inside their domains also after a finite-difference step
    OpInfo("bernoulli", _double(lambda p: ag.bernoulli(p, generator=_gen())),
           lambda p: _torch().bernoulli_(p).astype(p.dtype), unary(0.05, 0.95),
           keeps_dtype=False),
    OpInfo("Tensor.bernoulli_(p tensor)",
           _double(lambda x, p: (x * 1).bernoulli_(p, generator=_gen())),
           lambda x, p: _torch().bernoulli_(np.broadcast_to(p, x.shape)).astype(x.dtype),
           hs.tuples(st.shapes(), hs.booleans()).flatmap(
               lambda sb: hs.tuples(floats(sb[0]), floats(sb[0][1:] if sb[1] else sb[0],
                                                          0.05, 0.95))).map(Sample),
           keeps_dtype=False),
    OpInfo("poisson", lambda r: ag.poisson(r, generator=_gen()),
           lambda r: _torch().poisson_(r).astype(r.dtype),
           # rates exact in float32: float32 and float64 inputs then draw the same
           unary(0.25, 8.0).map(lambda s: Sample((np.asarray(np.round(s.args[0] * 4) / 4),)))),
    *[_fill_op(*fill) for fill in _FILLS],
    # random_() draws every integer the dtype holds exactly, so float32 and float64 differ:
    # run it in float64 only
    OpInfo("Tensor.random_()", lambda x: (x.double() * 1).random_(generator=_gen()),
           lambda x: _torch().random_(x.size, 0, 2 ** 53 + 1).reshape(x.shape).astype(np.float64),
           unary(),
           keeps_dtype=False),
]
