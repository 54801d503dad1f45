"""One training step of pytorch/examples' MNIST `Net`, against PyTorch with the same weights.

    python benchmarks/bench_mnist.py [--rounds 15] [--batch 64] [--threads 1] [--optim adadelta]
    python benchmarks/bench_mnist.py --profile      # cProfile of our step, by function

The model is pytorch/examples' mnist/main.py `Net`, written once below and run with either
library's modules: conv 1->32 3x3, relu, conv 32->64 3x3, relu, max-pool 2, dropout 0.25,
flatten, linear 9216->128, relu, dropout 0.5, linear 128->10, log_softmax, nll_loss; its
optimizer is `Adadelta(lr=1.0)` (`--optim sgd` times plain SGD instead). A step is
zero_grad, forward, backward and the optimizer step on a batch of float32 28x28 images
(until optim.Adadelta is in the tree, SGD with momentum, said so in the output).

Both contenders run with the same number of BLAS / intra-op threads (`--threads`, default
1), alternating round by round (each round a few steps) so that a slow spell of a shared
machine hits both alike; the best and the median round are printed, with their ratio.
`--cpu-time` times with the process's CPU time instead of the wall clock (steadier when
other work shares the machine). Before timing, one eval-mode step of each (no dropout)
checks that they compute the same loss and gradients (float32: a near-tie in a max-pool
window may send one pixel's gradient to its neighbour in one library and not the other,
which shows as a ~1e-3 relative difference in the conv weights' gradients).
"""

from __future__ import annotations

import argparse
import time

# isort: off
import _threads  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
# isort: on

from _timing import time_rounds  # noqa: E402

import autograd as ag  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import optim  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: only our timing is printed
    torch = None


def net_class(nn, F, flatten):
    """pytorch/examples' MNIST Net, over the given `nn`, `nn.functional` and `flatten`."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)
    return Net


def make_step(model, opt, nll_loss, x, y, losses: list):
    def step():
        opt.zero_grad()
        loss = nll_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return step


def make_optimizer(lib, params, name: str):
    if name == "adadelta":
        return lib.Adadelta(params, lr=1.0)
    return lib.SGD(params, lr=0.01, momentum=0.9)


def check_same(model, tmodel, xs, ys, tx, ty, tF) -> tuple:
    """One eval-mode (dropout off) forward and backward of each: the loss difference and
    the largest relative difference of a parameter gradient."""
    model.eval()
    tmodel.eval()
    loss, tloss = F.nll_loss(model(xs), ys), tF.nll_loss(tmodel(tx), ty)
    loss.backward()
    tloss.backward()
    worst = 0.0
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        a, b = p.grad.numpy(), tp.grad.numpy()
        worst = max(worst, float(np.abs(a - b).max() / (np.abs(b).max() + 1e-12)))
    model.zero_grad()
    tmodel.zero_grad()
    model.train()
    tmodel.train()
    return abs(loss.item() - tloss.item()), worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--per-round", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--optim", choices=["adadelta", "sgd"], default="adadelta")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads for numpy and torch.set_num_threads (0: defaults)")
    ap.add_argument("--profile", action="store_true", help="cProfile our step instead")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the process's CPU time (steadier on a busy machine)")
    args = ap.parse_args()
    if torch is not None and args.threads > 0:
        torch.set_num_threads(args.threads)   # before torch starts its thread pool

    rng = np.random.default_rng(0)
    x = ((rng.random((args.batch, 1, 28, 28)) - 0.1307) / 0.3081).astype(np.float32)
    y = rng.integers(0, 10, args.batch)

    if args.optim == "adadelta" and not hasattr(optim, "Adadelta"):
        print("optim.Adadelta is not in this tree yet: timing SGD(momentum=0.9) instead")
        args.optim = "sgd"
    ag.manual_seed(0)
    model = net_class(nn, F, ag.flatten)()
    xs, ys = ag.tensor(x), ag.tensor(y)
    opt = make_optimizer(optim, model.parameters(), args.optim)
    losses: list = []
    ours = make_step(model, opt, F.nll_loss, xs, ys, losses)
    if args.profile:
        import cProfile
        import pstats
        for _ in range(3):
            ours()
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(10):
            ours()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    contenders = {"ours": ours}
    if torch is not None:
        tnn, tF = torch.nn, torch.nn.functional
        tmodel = net_class(tnn, tF, torch.flatten)()
        tmodel.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                                for k, v in model.state_dict().items()})
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        diff, gdiff = check_same(model, tmodel, xs, ys, tx, ty, tF)
        topt = make_optimizer(torch.optim, tmodel.parameters(), args.optim)
        contenders["torch"] = make_step(tmodel, topt, tF.nll_loss, tx, ty, [])
    times = time_rounds(contenders, args.rounds, args.per_round,
                        time.process_time if args.cpu_time else time.perf_counter)
    ms = {k: np.asarray(v) * 1e3 for k, v in times.items()}
    print(f"MNIST Net, batch {args.batch}, {args.optim}, {args.rounds} alternating rounds of "
          f"{args.per_round} steps; best and median ms/step"
          f"{' (CPU time)' if args.cpu_time else ''}")
    print(f"autograd (numpy): {ms['ours'].min():8.2f} (median {np.median(ms['ours']):.2f})")
    if torch is None:
        print("PyTorch not installed: no comparison")
        return
    print(f"PyTorch (CPU, {torch.get_num_threads()} threads): {ms['torch'].min():8.2f} (median "
          f"{np.median(ms['torch']):.2f})")
    print(f"ratio ours / PyTorch: best {ms['ours'].min() / ms['torch'].min():.2f}x, median "
          f"{np.median(ms['ours']) / np.median(ms['torch']):.2f}x, median of per-round ratios "
          f"{np.median(ms['ours'] / ms['torch']):.2f}x")
    print(f"same model (eval mode): |loss difference| = {diff:.2e}, largest relative "
          f"difference of a parameter gradient = {gdiff:.2e}")


if __name__ == "__main__":
    main()
