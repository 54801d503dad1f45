"""Registry entries: matmul in all its forms, linear."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as hs

import autograd as ag

from .core import OpInfo, Sample, floats


@hs.composite
def _matmul_sample(draw, kinds=("1x1", "1x2", "2x1", "2x2", "batched", "broadcast")):
    n, k, m = (draw(hs.integers(1, 4)) for _ in range(3))
    kind = draw(hs.sampled_from(kinds))
    batch = tuple(draw(hs.lists(hs.integers(1, 3), min_size=1, max_size=2)))
    shapes = {"1x1": ((k,), (k,)), "1x2": ((k,), (k, m)), "2x1": ((n, k), (k,)),
              "2x2": ((n, k), (k, m)), "batched": (batch + (n, k), batch + (k, m)),
              "broadcast": ((n, k), batch + (k, m))}[kind]
    return Sample(tuple(draw(floats(s)) for s in shapes))


@hs.composite
def _linear_sample(draw):
    i, o = draw(hs.integers(1, 4)), draw(hs.integers(1, 4))
    lead = tuple(draw(hs.lists(hs.integers(1, 3), max_size=2)))
    args = [draw(floats(lead + (i,))), draw(floats((o, i)))]
    if draw(hs.booleans()):
        args.append(draw(floats((o,))))
    return Sample(tuple(args))


@hs.composite
def _inner_sample(draw):
    k = draw(hs.integers(1, 4))
    lead_a = tuple(draw(hs.lists(hs.integers(1, 3), max_size=2)))
    lead_b = tuple(draw(hs.lists(hs.integers(1, 3), max_size=2)))
    return Sample((draw(floats(lead_a + (k,))), draw(floats(lead_b + (k,)))))


OPS = [
    OpInfo("matmul", ag.matmul, np.matmul, _matmul_sample()),
    OpInfo("inner", ag.inner, np.inner, _inner_sample()),
    OpInfo("dot", ag.dot, np.dot, _matmul_sample(("1x1",))),
    OpInfo("mv", ag.mv, np.matmul, _matmul_sample(("2x1",))),
    OpInfo("mm", ag.mm, np.matmul, _matmul_sample(("2x2",))),
    OpInfo("matmul_1d_left", ag.matmul, np.matmul, _matmul_sample(("1x2",))),
    OpInfo("bmm", ag.matmul, np.matmul, _matmul_sample(("batched",))),
    OpInfo("linear", ag.linear, lambda x, w, b=None: x @ w.T + (0 if b is None else b),
           _linear_sample()),
    OpInfo("outer", ag.outer, np.outer, hs.tuples(hs.integers(0, 4), hs.integers(0, 4)).flatmap(
        lambda s: hs.tuples(floats((s[0],)), floats((s[1],)))).map(lambda ab: Sample(ab))),
]
