"""Optimizer step time against a hand-written numpy step (and PyTorch when installed).

    python benchmarks/bench_optim.py

Parameters are those of the 784->64->64->10 MLP (float32): weights (64,784), (64,), (64,64),
(64,), (10,64), (10,). Each row times one `opt.step()` over them; the numpy column does the
same math with in-place ufuncs on preallocated buffers, written by hand for exactly these
arrays (no param groups, no state dicts, no options).

A second table times steps over the parameters of pytorch/examples' MNIST network (1.2 M,
most in one (128, 9216) weight), where updates run block by block: the "whole arrays"
column is the same code with blocks switched off.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import autograd as ag
import optim
from optim import optimizer as _optimizer

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # PyTorch is optional: the comparison column is left out
    torch = None

SHAPES = [(64, 784), (64,), (64, 64), (64,), (10, 64), (10,)]
MNIST_SHAPES = [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 9216), (128,), (10, 128),
                (10,)]


def interleaved(fns: dict, number: int, rounds: int) -> dict:
    """Best time per call (seconds) of each function, measured in alternating short rounds
    of `number` calls so that load from other processes hits every column alike."""
    acc = {k: float("inf") for k in fns}
    items = [(k, f) for k, f in fns.items() if f is not None]
    for r in range(rounds):
        for k, f in (items if r % 2 == 0 else items[::-1]):
            t0 = time.perf_counter()
            for _ in range(number):
                f()
            acc[k] = min(acc[k], (time.perf_counter() - t0) / number)
    return {k: (v if fns[k] is not None else float("nan")) for k, v in acc.items()}


def _arrays(seed: int = 0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(np.float32) * 0.1 for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) * 0.01 for s in shapes]
    return params, grads


# ---- hand-written numpy ---------------------------------------------------------------------
def numpy_adam(lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    params, grads = _arrays()
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    tmp = [np.empty_like(p) for p in params]
    t = [0]

    def step():
        t[0] += 1
        step_size = lr / (1 - b1 ** t[0])
        bc2_sqrt = (1 - b2 ** t[0]) ** 0.5
        for x, g, mi, vi, b in zip(params, grads, m, v, tmp):
            np.subtract(g, mi, out=b)                    # m += (1-b1) * (g - m)
            np.multiply(b, 1 - b1, out=b)
            np.add(mi, b, out=mi)
            np.multiply(vi, b2, out=vi)                  # v = b2*v + (1-b2)*g*g
            np.multiply(g, 1 - b2, out=b)
            np.multiply(b, g, out=b)
            np.add(vi, b, out=vi)
            np.sqrt(vi, out=b)                           # denom = sqrt(v)/sqrt(bc2) + eps
            np.divide(b, bc2_sqrt, out=b)
            np.add(b, eps, out=b)
            np.divide(mi, b, out=b)                      # p -= step_size * m / denom
            np.multiply(b, -step_size, out=b)
            np.add(x, b, out=x)
    return step


def numpy_sgd(lr=1e-2, momentum=0.9):
    params, grads = _arrays()
    bufs = [g.copy() for g in grads]
    tmp = [np.empty_like(p) for p in params]

    def step():
        for x, g, buf, b in zip(params, grads, bufs, tmp):
            np.multiply(buf, momentum, out=buf)
            np.add(buf, g, out=buf)
            np.multiply(buf, -lr, out=b)
            np.add(x, b, out=x)
    return step


# ---- this project ---------------------------------------------------------------------------
def ours(name: str, shapes=SHAPES, **kw):
    params, grads = _arrays(shapes=shapes)
    ps = [ag.from_numpy(p).requires_grad_() for p in params]
    for p, g in zip(ps, grads):
        p.grad = ag.from_numpy(g)
    opt = getattr(optim, name)(ps, **kw)
    opt.step()                                           # create the state outside the timing
    return opt.step


def ours_whole_arrays(name: str, shapes=SHAPES, **kw):
    """Our step with the blocks switched off (every pass over whole arrays)."""
    step = ours(name, shapes, **kw)

    def run():
        saved, _optimizer._BLOCK_BYTES = _optimizer._BLOCK_BYTES, 1 << 62
        try:
            step()
        finally:
            _optimizer._BLOCK_BYTES = saved
    return run


def torch_opt(name: str, shapes=SHAPES, **kw):
    params, grads = _arrays(shapes=shapes)
    ps = [torch.from_numpy(p).requires_grad_() for p in params]
    for p, g in zip(ps, grads):
        p.grad = torch.from_numpy(g)
    opt = getattr(torch.optim, name)(ps, **kw)
    opt.step()
    return opt.step


def run(number: int = 20, rounds: int = 60) -> dict:
    t = torch is not None
    rows = [
        ("Adam", numpy_adam(), ours("Adam"), torch_opt("Adam") if t else None),
        ("AdamW", None, ours("AdamW"), torch_opt("AdamW") if t else None),
        ("SGD momentum", numpy_sgd(), ours("SGD", lr=1e-2, momentum=0.9),
         torch_opt("SGD", lr=1e-2, momentum=0.9) if t else None),
        ("RMSprop", None, ours("RMSprop"), torch_opt("RMSprop") if t else None),
        ("Adagrad", None, ours("Adagrad"), torch_opt("Adagrad") if t else None),
    ] + [(name, None, ours(name), torch_opt(name) if t else None)
         for name in ("Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD")]
    out = {}
    print(f"optimizer step over the 784-64-64-10 MLP's parameters (float32), best of {rounds} "
          f"rounds x {number} steps, interleaved")
    print(f"{'optimizer':<14}{'numpy us':>10}{'ours us':>10}{'ours/numpy':>12}"
          f"{'torch us':>10}")
    for name, np_fn, our_fn, t_fn in rows:
        r = interleaved({"numpy": np_fn, "ours": our_fn, "torch": t_fn}, number, rounds)
        t_np, t_us, t_t = (r[k] * 1e6 for k in ("numpy", "ours", "torch"))
        out[name] = (t_np, t_us, t_t)
        print(f"{name:<14}{t_np:>10.1f}{t_us:>10.1f}{t_us / t_np:>12.2f}{t_t:>10.1f}")
    return out


def run_large(number: int = 3, rounds: int = 15) -> dict:
    """Steps over the MNIST network's 1.2 M parameters: blocks against whole arrays."""
    out = {}
    print(f"\noptimizer step over pytorch/examples' MNIST net's parameters (1.2 M, float32), "
          f"best of {rounds} rounds x {number} steps")
    print(f"{'optimizer':<14}{'ours ms':>10}{'whole arrays ms':>17}{'torch ms':>10}"
          f"{'ours/torch':>12}")
    for name in ("Adadelta", "Adam", "SGD"):
        kw = {"lr": 1e-2, "momentum": 0.9} if name == "SGD" else {}
        r = interleaved({"ours": ours(name, MNIST_SHAPES, **kw),
                         "whole": ours_whole_arrays(name, MNIST_SHAPES, **kw),
                         "torch": torch_opt(name, MNIST_SHAPES, **kw) if torch else None},
                        number, rounds)
        t_us, t_whole, t_t = (r[k] * 1e3 for k in ("ours", "whole", "torch"))
        out[name] = (t_us, t_whole, t_t)
        print(f"{name:<14}{t_us:>10.2f}{t_whole:>17.2f}{t_t:>10.2f}{t_us / t_t:>12.2f}")
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=20, help="steps per timing round")
    ap.add_argument("--rounds", type=int, default=60, help="timing rounds (the best is kept)")
    a = ap.parse_args()
    run(a.number, a.rounds)
    run_large()
