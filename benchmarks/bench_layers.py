"""The newer layers and losses, forward + backward, against PyTorch when installed.

    python benchmarks/bench_layers.py [--rounds 20]

Each workload builds its input, runs the layer (or loss) and backpropagates a sum through
it; the time is the best of interleaved rounds (ms per step), float32, one BLAS thread.
"""

from __future__ import annotations

import argparse

# isort: off
import _threads  # pins BLAS threads before numpy loads
import numpy as np
# isort: on

from bench_core import best_interleaved

import autograd as ag
import nn

try:
    import torch
    torch.set_num_threads(max(_threads.THREADS, 1))
except ImportError:  # PyTorch is optional: the comparison column is left out
    torch = None

rng = np.random.default_rng(0)


def _ctc(lib, mods):
    x = rng.normal(size=(50, 16, 20)).astype(np.float32)
    targets = rng.integers(1, 20, (16, 10))
    loss = mods.CTCLoss()
    in_len, tgt_len = lib.tensor([50] * 16), lib.tensor([10] * 16)

    def step():
        t = lib.tensor(x, requires_grad=True)
        loss(t.log_softmax(2), lib.tensor(targets), in_len, tgt_len).backward()
    return step


def _layer(make, shape, index_input=False):
    def build(lib, mods):
        m = make(mods)
        data = rng.integers(0, 10000, shape) if index_input else \
            rng.normal(size=shape).astype(np.float32)

        def step():
            x = lib.tensor(data) if index_input else lib.tensor(data, requires_grad=True)
            m(x).sum().backward()
        return step
    return build


def _multi_margin(lib, mods):
    x = rng.normal(size=(256, 10)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    loss = mods.MultiMarginLoss()

    def step():
        loss(lib.tensor(x, requires_grad=True), lib.tensor(y)).backward()
    return step


def _hooked_linear(lib, mods):
    m = mods.Linear(64, 64)
    m.register_full_backward_hook(lambda mod, gi, go: None)
    x = rng.normal(size=(32, 64)).astype(np.float32)

    def step():
        m(lib.tensor(x, requires_grad=True)).sum().backward()
    return step


WORKLOADS = {
    "CTCLoss T=50 N=16 C=20 S=10": _ctc,
    "EmbeddingBag(10000, 64) mean, 256 bags of 20": _layer(
        lambda m: m.EmbeddingBag(10000, 64), (256, 20), index_input=True),
    "GroupNorm(8, 64) on 16x64x16x16": _layer(lambda m: m.GroupNorm(8, 64), (16, 64, 16, 16)),
    "InstanceNorm2d(32, affine) on 16x32x16x16": _layer(
        lambda m: m.InstanceNorm2d(32, affine=True), (16, 32, 16, 16)),
    "LocalResponseNorm(5) on 16x32x16x16": _layer(lambda m: m.LocalResponseNorm(5),
                                                  (16, 32, 16, 16)),
    "Mish on 64x1024": _layer(lambda m: m.Mish(), (64, 1024)),
    "Hardswish on 64x1024": _layer(lambda m: m.Hardswish(), (64, 1024)),
    "MultiMarginLoss 256x10": _multi_margin,
    "Linear(64, 64) with a full backward hook, batch 32": _hooked_linear,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    print(f"{'workload':<52}{'ours':>10}{'torch':>10}{'ours/torch':>12}   (ms per step)")
    for name, build in WORKLOADS.items():
        fns = {"ours": build(ag, nn)}
        if torch is not None:
            fns["torch"] = build(torch, torch.nn)
        for fn in fns.values():
            fn()   # warm up
        best = best_interleaved(fns, args.rounds)
        ours = best["ours"] * 1e3
        if torch is None:
            print(f"{name:<52}{ours:>10.3f}")
        else:
            theirs = best["torch"] * 1e3
            print(f"{name:<52}{ours:>10.3f}{theirs:>10.3f}{ours / theirs:>12.2f}")


if __name__ == "__main__":
    main()
