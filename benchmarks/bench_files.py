"""Saving and loading a state dict: our `.npz` and `.safetensors` against plain numpy
(`np.savez` / `np.load`) and PyTorch (`torch.save` / `torch.load`, `safetensors.torch`).

    python benchmarks/bench_files.py [--mb 100]

The state dict is an MLP's weights in float32 (`--mb` MiB in all). Times are the best of a
few rounds, on files in a temporary folder; ours include the atomic write (fsync and
rename) and the checks of every header and size on load, numpy's and PyTorch's do not
sync. Peak memory above the state dict itself is measured with tracemalloc (numpy's
allocations are traced; PyTorch's are not, so its column is left out).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc

import numpy as np

import autograd as ag

try:
    import safetensors.torch as st
    import torch
except ImportError:  # PyTorch is optional: its columns are left out
    torch = None


def best(fn, rounds: int = 3) -> float:
    t = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def peak(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2 ** 20
    finally:
        tracemalloc.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    args = ap.parse_args()
    width = int((args.mb * 2 ** 20 / 4 / 4) ** 0.5)      # four square layers
    rng = np.random.default_rng(0)
    arrays = {f"{i}.weight": rng.standard_normal((width, width), dtype=np.float32)
              for i in range(4)}
    sd = {k: ag.from_numpy(v) for k, v in arrays.items()}
    folder = tempfile.mkdtemp()
    p = lambda name: os.path.join(folder, name)  # noqa: E731
    rows = [
        ("ours .npz", lambda: ag.save(sd, p("a.npz")), lambda: ag.load(p("a.npz"))),
        ("ours .safetensors", lambda: ag.save(sd, p("a.safetensors")),
         lambda: ag.load(p("a.safetensors"))),
        ("np.savez / np.load", lambda: np.savez(p("n.npz"), **arrays),
         lambda: dict(np.load(p("n.npz")))),
    ]
    if torch is not None:
        tsd = {k: torch.from_numpy(v) for k, v in arrays.items()}
        rows += [("torch.save / torch.load", lambda: torch.save(tsd, p("t.pt")),
                  lambda: torch.load(p("t.pt"))),
                 ("safetensors.torch", lambda: st.save_file(tsd, p("t.safetensors")),
                  lambda: st.load_file(p("t.safetensors")))]
    print(f"state dict: 4 x ({width}, {width}) float32 = {args.mb} MiB")
    print(f"{'':26s} {'save':>9s} {'load':>9s} {'load peak':>10s}")
    for name, save, load in rows:
        ts, tl = best(save), best(load)
        mem = f"{peak(load):7.0f} MiB" if "torch" not in name else ""
        print(f"{name:26s} {ts * 1e3:7.0f}ms {tl * 1e3:7.0f}ms {mem:>10s}")


if __name__ == "__main__":
    main()
