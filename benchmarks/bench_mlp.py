"""MLP training steps: ours against hand-written numpy (the limit for a numpy engine) and
PyTorch when installed, measured side by side in one run.

    python benchmarks/bench_mlp.py            # all workloads
    python benchmarks/bench_mlp.py --quick    # fewer repeats

Workloads (float32):
1. 784-64-64-10 ReLU MLP, cross-entropy, Adam, batch 32 and batch 256;
2. 784-512-512-10, SGD with momentum 0.9, batch 128;
3. micrograd's moons demo: 2-16-16-1, SVM (hinge) loss + L2, SGD, 100 full-batch steps;
4. peak memory while training 784-1024-1024-10 at batch 512 with Adam (tracemalloc).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

# isort: off
from _threads import THREADS  # pins BLAS threads before numpy loads
import numpy as np
# isort: on

import autograd as ag
import nn
import optim

try:
    import torch
except ImportError:  # PyTorch is optional: its column is left out
    torch = None


def init_weights(sizes, seed=0):
    rng = np.random.default_rng(seed)
    ws = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(i)
        ws.append((rng.uniform(-bound, bound, (o, i)).astype(np.float32),
                   rng.uniform(-bound, bound, o).astype(np.float32)))
    return ws


# ---- hand-written numpy ---------------------------------------------------------------------
class NumpyMLP:
    """Forward, backward and the optimizer written out by hand: the limit for numpy."""

    def __init__(self, sizes, opt="adam", lr=1e-3, momentum=0.9, loss="ce"):
        self.params = [a.copy() for w in init_weights(sizes) for a in w]
        self.opt, self.lr, self.momentum, self.loss = opt, lr, momentum, loss
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, x, y):
        ps = self.params
        n_layers = len(ps) // 2
        acts = [x]
        h = x
        for k in range(n_layers):
            z = h @ ps[2 * k].T + ps[2 * k + 1]
            h = np.maximum(z, 0) if k < n_layers - 1 else z
            acts.append(h)
        if self.loss == "ce":
            z = h - h.max(1, keepdims=True)
            e = np.exp(z)
            p = e / e.sum(1, keepdims=True)
            loss = -np.log(p[np.arange(len(y)), y]).mean()
            g = p
            g[np.arange(len(y)), y] -= 1
            g /= len(y)
        else:  # SVM hinge on +-1 labels, plus L2
            margin = 1 - y * h[:, 0]
            loss = np.maximum(margin, 0).mean() + 1e-4 * sum((w * w).sum() for w in ps[::2])
            g = np.where(margin > 0, -y / len(y), 0).astype(np.float32)[:, None]
        grads = [None] * len(ps)
        for k in range(n_layers - 1, -1, -1):
            a = acts[k]
            grads[2 * k] = g.T @ a
            grads[2 * k + 1] = g.sum(0)
            if self.loss != "ce":
                grads[2 * k] += 2e-4 * ps[2 * k]
            if k:
                g = (g @ ps[2 * k]) * (acts[k] > 0)
        self.update(grads)
        return loss

    def update(self, grads):
        if self.opt == "adam":
            self.t += 1
            b1, b2, eps = 0.9, 0.999, 1e-8
            bc1, bc2 = 1 - b1 ** self.t, 1 - b2 ** self.t
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                p -= (self.lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps)
        else:
            for p, g, m in zip(self.params, grads, self.m):
                m *= self.momentum
                m += g
                p -= self.lr * m


# ---- ours and PyTorch's: the same code, since the APIs are the same ----------------------
def make_model(lib_nn, tensor_from_numpy, sizes):
    """The MLP with the shared initial weights, in `ag`/`nn` or in `torch`/`torch.nn`."""
    layers = []
    for k, (w, b) in enumerate(init_weights(sizes)):
        lin = lib_nn.Linear(w.shape[1], w.shape[0])
        lin.weight.data.copy_(tensor_from_numpy(w))
        lin.bias.data.copy_(tensor_from_numpy(b))
        layers.append(lin)
        if k < len(sizes) - 2:
            layers.append(lib_nn.ReLU())
    return lib_nn.Sequential(*layers)


def make_step(lib_nn, lib_optim, tensor_from_numpy, sizes, opt="adam", lr=1e-3, loss="ce"):
    model = make_model(lib_nn, tensor_from_numpy, sizes)
    o = lib_optim.Adam(model.parameters(), lr=lr) if opt == "adam" else \
        lib_optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    ce = lib_nn.CrossEntropyLoss()

    def step(x, y):
        out = model(x)
        if loss == "ce":
            value = ce(out, y)
        else:
            value = (1 - y * out[:, 0]).relu().mean() + 1e-4 * sum(
                (p * p).sum() for n, p in model.named_parameters() if n.endswith("weight"))
        value.backward()
        o.step()
        o.zero_grad()   # after the step: no gradient is held between steps (as in numpy's)
        return value
    return step


def ours_model(sizes):
    return make_model(nn, ag.from_numpy, sizes)


def ours_step_fn(sizes, opt="adam", lr=1e-3, loss="ce"):
    return make_step(nn, optim, ag.from_numpy, sizes, opt, lr, loss)


def torch_step_fn(sizes, opt="adam", lr=1e-3, loss="ce"):
    return make_step(torch.nn, torch.optim, torch.from_numpy, sizes, opt, lr, loss)


# ---- timing -------------------------------------------------------------------------------------
def per_step(contenders: dict, rounds: int) -> dict:
    """{name: (step, batches)} -> best seconds per step of each. The contenders take turns
    in every round, so a slow spell of a shared machine hits them all alike."""
    best = {k: float("inf") for k in contenders}
    for _ in range(rounds):
        for name, (step, batches) in contenders.items():
            t0 = time.perf_counter()
            for x, y in batches:
                step(x, y)
            best[name] = min(best[name], (time.perf_counter() - t0) / len(batches))
    return best


def mlp_case(sizes, batch, opt, lr, rounds, n_batches=50):
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((n_batches, batch, sizes[0])).astype(np.float32)
    ys = rng.integers(0, sizes[-1], (n_batches, batch))
    contenders = {
        "numpy": (NumpyMLP(sizes, opt, lr).step, list(zip(xs, ys))),
        "ours": (ours_step_fn(sizes, opt, lr),
                 [(ag.from_numpy(x), ag.from_numpy(y)) for x, y in zip(xs, ys)]),
    }
    if torch is not None:
        contenders["torch"] = (torch_step_fn(sizes, opt, lr),
                               [(torch.from_numpy(x), torch.from_numpy(y))
                                for x, y in zip(xs, ys)])
    return per_step(contenders, rounds)


def moons_case(rounds):
    """micrograd's demo: 100 full-batch steps on 100 moons points, SVM loss."""
    from autograd.data import make_moons
    X, y = make_moons(100, noise=0.1, generator=ag.Generator().manual_seed(1))
    yy = (y.float() * 2 - 1)
    sizes = [2, 16, 16, 1]
    res = {}

    def run(step, x, t):
        for _ in range(100):
            step(x, t)
    np_model = NumpyMLP(sizes, "sgd", 0.05, loss="svm")
    xn, yn = X.numpy(), yy.numpy()
    res["numpy"] = min(_time(lambda: run(np_model.step, xn, yn)) for _ in range(rounds))
    ours = ours_step_fn(sizes, "sgd", 0.05, loss="svm")
    res["ours"] = min(_time(lambda: run(ours, X, yy)) for _ in range(rounds))
    if torch is not None:
        th = torch_step_fn(sizes, "sgd", 0.05, loss="svm")
        xt, yt = torch.from_numpy(xn), torch.from_numpy(yn)
        res["torch"] = min(_time(lambda: run(th, xt, yt)) for _ in range(rounds))
    return res


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def peak_memory_case():
    """Peak bytes held at any moment over two training steps, counting everything from
    before the model is built: parameters, optimizer state, activations, gradients and
    temporaries (tracemalloc sees numpy's allocations)."""
    sizes, batch = [784, 1024, 1024, 10], 512
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    res = {}
    for name in ("numpy", "ours"):
        gc.collect()
        tracemalloc.start()
        if name == "numpy":
            step, xx, yy = NumpyMLP(sizes, "adam").step, x, y
        else:
            step, xx, yy = ours_step_fn(sizes, "adam"), ag.from_numpy(x), ag.from_numpy(y)
        step(xx, yy)
        step(xx, yy)
        res[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del step
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS / PyTorch threads for every contender (default 1; 0: the "
                        "libraries' defaults)")
    args = p.parse_args()
    if torch is not None and THREADS > 0:
        torch.set_num_threads(THREADS)
    rounds = 3 if args.quick else 7
    print(f"{'workload':<44}{'numpy':>10}{'ours':>10}{'torch':>10}{'ours/np':>9}"
          f"{'ours/torch':>11}")

    def row(name, r, unit="ms", scale=1e3):
        t = r.get("torch", float("nan"))
        print(f"{name:<44}{r['numpy'] * scale:>8.3f}{unit}{r['ours'] * scale:>8.3f}{unit}"
              f"{t * scale:>8.3f}{unit}{r['ours'] / r['numpy']:>9.2f}{r['ours'] / t:>11.2f}")

    row("MLP 784-64-64-10 Adam, batch 32 (/step)", mlp_case([784, 64, 64, 10], 32, "adam",
                                                              1e-3, rounds))
    row("MLP 784-64-64-10 Adam, batch 256 (/step)", mlp_case([784, 64, 64, 10], 256, "adam",
                                                               1e-3, rounds))
    row("MLP 784-512-512-10 SGD+mom, batch 128", mlp_case([784, 512, 512, 10], 128, "sgd",
                                                            1e-2, rounds, n_batches=20))
    row("moons 2-16-16-1 SVM, 100 steps (total)", moons_case(rounds), unit="s ", scale=1)
    mem = peak_memory_case()
    print(f"{'peak memory 784-1024-1024-10, batch 512':<44}{mem['numpy'] / 2**20:>8.1f}MB"
          f"{mem['ours'] / 2**20:>8.1f}MB{'':>10}{mem['ours'] / mem['numpy']:>9.2f}")


if __name__ == "__main__":
    main()
