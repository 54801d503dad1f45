"""One training step of a small CNN, against the same model (same weights) in PyTorch.

    python benchmarks/bench_cnn.py [--steps 30] [--batch 64] [--threads 1]

Model: conv 1->8 3x3, ReLU, max-pool 2, conv 8->16 3x3, ReLU, max-pool 2, flatten,
linear 400->10; cross-entropy; SGD(lr=0.05, momentum=0.9). A step is zero_grad,
forward, backward and the optimizer step on a batch of 64 float32 28x28 images.
Prints the median ms/step of each and the ratio; with PyTorch installed, also checks
that both computed the same loss after the timed steps. Both run with the same number
of BLAS / intra-op threads (`--threads`, default 1: on a shared or small machine extra
threads mostly add contention; `--threads 0` leaves both libraries' defaults).
"""

from __future__ import annotations

import argparse

# isort: off
import _threads  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
# isort: on

from _timing import time_rounds  # noqa: E402

import autograd as ag  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: only our timing is printed
    torch = None


def make_ours():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 10))


def make_torch(ours):
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 5 * 5, 10))
    model.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                           for k, v in ours.state_dict().items()})
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads for numpy and torch.set_num_threads (0: defaults)")
    args = ap.parse_args()
    if torch is not None and args.threads > 0:
        torch.set_num_threads(args.threads)   # before torch starts its thread pool

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)

    ag.manual_seed(0)
    model = make_ours()
    tmodel = make_torch(model) if torch is not None else None
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    xs, ys = ag.tensor(x), ag.tensor(y)

    losses = []

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())

    contenders = {"ours": step}
    if torch is not None:
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.05, momentum=0.9)
        tloss_fn = torch.nn.CrossEntropyLoss()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        tlosses = []

        def tstep():
            topt.zero_grad()
            loss = tloss_fn(tmodel(tx), ty)
            loss.backward()
            topt.step()
            tlosses.append(loss.item())
        contenders["torch"] = tstep
    times = time_rounds(contenders, args.steps)
    best = min(times["ours"]) * 1e3
    print(f"batch {args.batch} of 1x28x28, {args.steps} steps each, alternating; best and "
          "median step")
    print(f"autograd (numpy): {best:8.2f} ms/step (median {np.median(times['ours']) * 1e3:.2f})")
    if torch is None:
        print("PyTorch not installed: no comparison")
        return
    tbest = min(times["torch"]) * 1e3
    print(f"PyTorch (CPU, {torch.get_num_threads()} threads): {tbest:8.2f} ms/step (median "
          f"{np.median(times['torch']) * 1e3:.2f})")
    print(f"ratio ours / PyTorch: {best / tbest:.2f}x (medians: "
          f"{np.median(times['ours']) / np.median(times['torch']):.2f}x)")
    diff = max(abs(a - b) for a, b in zip(losses, tlosses))
    print(f"same trajectory: max |loss difference| over {len(losses)} steps = {diff:.2e}")


if __name__ == "__main__":
    main()
