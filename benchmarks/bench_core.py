"""Per-op overhead of the engine against hand-written numpy (and PyTorch when installed).

    python benchmarks/bench_core.py

1. forward + backward of one elementwise op on a (8,) float32 tensor, averaged over a
   chain of ops (y = op(y)) so that the fixed cost of one backward() call is spread out;
2. the backward of a 20,000-op scalar chain (y = y * a + b), per op, with the constants
   as Python numbers (micrograd's style) and as 0-d tensors.
"""

from __future__ import annotations

import argparse
import time

# isort: off
import _threads  # pins BLAS threads before numpy loads
import numpy as np
# isort: on

import autograd as ag

try:
    import torch
    torch.set_num_threads(max(_threads.THREADS, 1))
except ImportError:  # PyTorch is optional: the comparison column is left out
    torch = None


def best_interleaved(fns: dict, rounds: int) -> dict:
    """Best wall time of each `fn()` over `rounds`, the contenders taking turns in each
    round, so that a slow spell of a shared machine hits them all alike (seconds)."""
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


# ---- 1. elementwise op, forward + backward ------------------------------------------------------
def chain_ours(op: str, n: int):
    c = ag.full((8,), 0.999, dtype=ag.float32)

    def run():
        x = ag.ones(8, requires_grad=True)
        y = x
        if op == "mul":
            for _ in range(n):
                y = y * c
        elif op == "add":
            for _ in range(n):
                y = y + c
        else:
            for _ in range(n):
                y = y.tanh()
        y.backward(ag.ones(8))
    return run


def chain_numpy(op: str, n: int):
    c = np.full(8, 0.999, np.float32)

    def run():
        y = np.ones(8, np.float32)
        saved = []
        if op == "mul":
            for _ in range(n):
                y = y * c
            g = np.ones(8, np.float32)
            for _ in range(n):
                g = g * c
        elif op == "add":
            for _ in range(n):
                y = y + c
            g = np.ones(8, np.float32)
            for _ in range(n):
                g = g + 0  # the gradient passes through; a copy stands for the engine's work
        else:
            for _ in range(n):
                y = np.tanh(y)
                saved.append(y)
            g = np.ones(8, np.float32)
            for out in reversed(saved):
                g = g * (1 - out * out)
    return run


def chain_torch(op: str, n: int):
    c = torch.full((8,), 0.999)

    def run():
        x = torch.ones(8, requires_grad=True)
        y = x
        if op == "mul":
            for _ in range(n):
                y = y * c
        elif op == "add":
            for _ in range(n):
                y = y + c
        else:
            for _ in range(n):
                y = y.tanh()
        y.backward(torch.ones(8))
    return run


# ---- 2. backward of a long scalar chain ---------------------------------------------------------
def scalar_chain_backward(lib, n: int, constants: str):
    """Build y = y * a + b for n steps (2n ops) on a 0-d tensor, then time only the
    backward. `constants`: "python" (micrograd's style: Python numbers) or "tensor"
    (0-d tensors)."""
    def build():
        x = lib.tensor(1.0, requires_grad=True)
        a, b = (0.9999, 0.0001) if constants == "python" else (lib.tensor(0.9999),
                                                               lib.tensor(0.0001))
        y = x
        for _ in range(n):
            y = y * a + b
        return y
    times = []
    for _ in range(9):
        y = build()
        t0 = time.perf_counter()
        y.backward()
        times.append(time.perf_counter() - t0)
    return min(times) / (2 * n)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--chain", type=int, default=500, help="ops per forward+backward chain")
    p.add_argument("--rounds", type=int, default=40, help="timing rounds (best is kept)")
    p.add_argument("--scalar-ops", type=int, default=10000,
                   help="steps of y = y*a + b (2 ops each) in the backward benchmark")
    args = p.parse_args()
    n = args.chain
    print(f"1. forward+backward per elementwise op, (8,) float32, chain of {n} (µs/op)")
    print(f"{'op':<6}{'numpy':>10}{'ours':>10}{'torch':>10}{'ours/numpy':>12}{'ours/torch':>12}")
    for op in ("mul", "add", "tanh"):
        fns = {"numpy": chain_numpy(op, n), "ours": chain_ours(op, n)}
        if torch:
            fns["torch"] = chain_torch(op, n)
        t = {k: v / n * 1e6 for k, v in best_interleaved(fns, args.rounds).items()}
        t_np, t_ag, t_th = t["numpy"], t["ours"], t.get("torch", float("nan"))
        print(f"{op:<6}{t_np:>10.2f}{t_ag:>10.2f}{t_th:>10.2f}{t_ag / t_np:>12.2f}"
              f"{t_ag / t_th:>12.2f}")
    m = args.scalar_ops
    print(f"\n2. backward of a {2 * m}-op scalar chain y = y * a + b (µs/op)")
    for constants in ("python", "tensor"):
        ours = scalar_chain_backward(ag, m, constants) * 1e6
        line = f"constants as {constants + ' numbers' if constants == 'python' else '0-d tensors'}:"
        line = f"{line:<32} ours {ours:5.2f}"
        if torch:
            theirs = scalar_chain_backward(torch, m, constants) * 1e6
            line += f"   torch {theirs:5.2f}   ours/torch {ours / theirs:.2f}"
        print(line)


if __name__ == "__main__":
    main()
