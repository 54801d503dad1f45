"""Gradient checkpointing: peak memory and time of one training step of a 16-block MLP
(each block Linear, Tanh, Linear, Tanh), plain against checkpointed (each block, and
checkpoint_sequential in 4 segments), with the gradients checked equal.

    python benchmarks/bench_checkpoint.py
"""

from __future__ import annotations

import time
import tracemalloc

# isort: off
import _threads  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
# isort: on

import autograd as ag
import nn
from autograd.checkpoint import checkpoint, checkpoint_sequential

BLOCKS, WIDTH, BATCH = 16, 256, 1024


def model():
    ag.manual_seed(0)
    return nn.Sequential(*[nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.Tanh(),
                                         nn.Linear(WIDTH, WIDTH), nn.Tanh())
                           for _ in range(BLOCKS)])


def plain(m, x):
    return m(x)


def per_block(m, x):
    for block in m:
        x = checkpoint(block, x, use_reentrant=False)
    return x


def sequential(m, x):
    return checkpoint_sequential(m, 4, x, use_reentrant=False)


def step(m, x, forward) -> None:
    m.zero_grad()
    forward(m, x).pow(2).mean().backward()


def grads(m, x, forward) -> list:
    step(m, x, forward)
    return [p.grad.numpy().copy() for p in m.parameters()]


def peak_mb(m, x, forward) -> float:
    """Peak of the memory allocated during one step (the gradients, 8 MiB, included)."""
    step(m, x, forward)   # warm up (allocations made once)
    tracemalloc.start()
    step(m, x, forward)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def best_ms(m, x, forward, rounds=5) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        step(m, x, forward)
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main() -> None:
    m = model()
    x = ag.tensor(np.random.default_rng(0).standard_normal((BATCH, WIDTH)).astype(np.float32))
    want = grads(m, x, plain)
    print(f"{BLOCKS} blocks of 2 x (Linear({WIDTH}, {WIDTH}), Tanh), batch {BATCH}, float32")
    print(f"{'':34s} {'peak MB':>8s} {'step ms':>8s}  gradients")
    for name, fn in (("plain", plain), ("checkpoint each block", per_block),
                     ("checkpoint_sequential, 4 segments", sequential)):
        got = grads(m, x, fn)
        same = all(np.allclose(a, b, rtol=1e-5, atol=1e-7) for a, b in zip(want, got))
        print(f"{name:34s} {peak_mb(m, x, fn):8.1f} {best_ms(m, x, fn):8.1f}  "
              f"{'equal' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
