"""The main job: train an MLP and show it working (``python -m ndgrad.train``, ``ndgrad-train``).

    python -m ndgrad.train                                   # digits, ~96% test accuracy
    python -m ndgrad.train --dataset moons --hidden 16,16 --epochs 100
    python -m ndgrad.train --dataset mnist --data-dir ~/data/mnist --epochs 5

Holds out 20% of the data (seeded; MNIST uses its own test split), trains with ``nn.fit``
and writes to ``--out`` (default ``runs/<dataset>``): ``checkpoint.npz``
(``autograd.save``), ``curves.png`` (loss and accuracy per epoch), ``decision_boundary.png``
(2-D datasets), ``graph.svg`` (the model's computation graph, when Graphviz's ``dot`` is
installed), ``model.onnx`` (the trained model for onnxruntime and other ONNX runtimes, with the
``onnx`` extra: ``pip install "ndgrad[onnx]"``) and ``metrics.json``. The pictures need
matplotlib (``pip install "ndgrad[train]"``); without it the job trains and skips them with a
note.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import autograd
import nn
import optim
from autograd import Tensor
from autograd.data import MNIST, TensorDataset, load_digits, make_circles, make_moons, make_spirals

PROG = "ndgrad-train"
DATASETS = ("digits", "moons", "circles", "spirals", "mnist")
# per-dataset defaults: epochs, learning rate for adam / sgd
_DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": {"epochs": 20, "adam": 1e-3, "sgd": 0.05},
    "moons": {"epochs": 60, "adam": 1e-2, "sgd": 0.1},
    "circles": {"epochs": 60, "adam": 1e-2, "sgd": 0.1},
    "spirals": {"epochs": 150, "adam": 1e-2, "sgd": 0.1},
    "mnist": {"epochs": 5, "adam": 1e-3, "sgd": 0.05},
}


class UsageError(Exception):
    """A bad argument or input: reported as one line, no traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Train an MLP with ndgrad and show it working.")
    p.add_argument("--task", default="mlp", metavar="NAME",
                   help="mlp (default), or chars: a character-level GPT/LSTM/bigram on "
                        "Shakespeare or names (options: --task chars --help)")
    p.add_argument("--dataset", default="digits", metavar="NAME",
                   help=f"one of {', '.join(DATASETS)} (default: digits)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="MNIST folder with the IDX files (default: $MNIST_DIR or ./data)")
    p.add_argument("--download", action="store_true", help="download MNIST if it is missing")
    p.add_argument("--epochs", type=int, default=None,
                   help="passes over the training data (default: per dataset)")
    p.add_argument("--hidden", default="64,64", metavar="N,N,...",
                   help="hidden layer widths, comma separated (default: 64,64)")
    p.add_argument("--optimizer", default="adam", metavar="NAME", help="adam or sgd")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: per dataset and optimizer)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, metavar="DIR", help="output folder "
                   "(default: runs/<dataset>)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def _parse(argv: list[str] | None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if args.task != "mlp":
        raise UsageError(f"unknown task '{args.task}'; choose mlp or chars")
    if args.dataset not in DATASETS:
        raise UsageError(f"unknown dataset '{args.dataset}'; choose one of {', '.join(DATASETS)}")
    if args.optimizer not in ("adam", "sgd"):
        raise UsageError(f"unknown optimizer '{args.optimizer}'; choose adam or sgd")
    try:   # every comma-separated entry a number: "64,,64" is a typo, not two layers
        args.hidden_sizes = [int(h) for h in args.hidden.split(",")]
    except ValueError:
        raise UsageError(f"--hidden must be comma-separated positive ints such as 64,64, got "
                         f"'{args.hidden}'") from None
    if any(h <= 0 for h in args.hidden_sizes):
        raise UsageError(f"--hidden sizes must be positive, got '{args.hidden}'")
    d = _DEFAULTS[args.dataset]
    args.epochs = d["epochs"] if args.epochs is None else args.epochs
    args.lr = d[args.optimizer] if args.lr is None else args.lr
    if args.epochs < 1:
        raise UsageError(f"--epochs must be >= 1, got {args.epochs}")
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    if not args.lr > 0:
        raise UsageError(f"--lr must be > 0, got {args.lr}")
    args.out = Path(args.out if args.out is not None else os.path.join("runs", args.dataset))
    if args.data_dir is None:
        args.data_dir = os.environ.get("MNIST_DIR", "data")
    return args


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as e:
        raise UsageError(f"cannot write to --out '{out}': {e.strerror or e}") from None


# ---------------------------------------------------------------- data


def load_data(args: argparse.Namespace) -> tuple[TensorDataset, TensorDataset, int]:
    """``(train, test, n_classes)``: 80/20 seeded split, or MNIST's own test split."""
    g = autograd.Generator().manual_seed(args.seed)
    if args.dataset == "mnist":
        try:
            train = MNIST(args.data_dir, train=True, download=args.download)
            test = MNIST(args.data_dir, train=False, download=args.download)
        except (FileNotFoundError, ValueError, RuntimeError) as e:
            raise UsageError(str(e).replace("Pass download=True", "Pass --download")) from None

        def flat(ds: MNIST) -> TensorDataset:
            x = ds.data._data.reshape(len(ds), -1).astype(np.float32) / np.float32(255)
            return TensorDataset(autograd.from_numpy(x), ds.targets)

        return flat(train), flat(test), 10
    if args.dataset == "digits":
        X, y = load_digits()
        X = X / 16.0
    elif args.dataset == "moons":
        X, y = make_moons(1000, noise=0.2, generator=g)
    elif args.dataset == "circles":
        X, y = make_circles(1000, noise=0.1, factor=0.5, generator=g)
    else:
        X, y = make_spirals(1200, noise=0.2, n_classes=3, generator=g)
    n = X.shape[0]
    perm = autograd.randperm(n, generator=g).numpy()
    n_test = n // 5
    te, tr = perm[:n_test], perm[n_test:]
    return (TensorDataset(X[tr], y[tr]), TensorDataset(X[te], y[te]),
            int(y.max().item()) + 1)


def build_model(n_in: int, hidden: list[int], n_out: int) -> nn.Module:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(n_in, h), nn.ReLU()]
        n_in = h
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- outputs


PICTURES_HINT = 'pip install "ndgrad[train]"'


def has_matplotlib() -> bool:
    """Whether the pictures can be drawn (matplotlib comes with the ``train`` extra)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: nn.History, path: Path) -> None:
    plt = _plt()
    h = history.history
    epochs = np.arange(1, len(h["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, title in ((axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")):
        if key in h:
            ax.plot(epochs, h[key], label="train")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], label="test (held out)")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_decision_boundary(model: nn.Module, X: np.ndarray, y: np.ndarray, path: Path,
                           title: str = "") -> None:
    plt = _plt()
    pad = 0.5
    (x0, y0), (x1, y1) = X.min(0) - pad, X.max(0) + pad
    xx, yy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    grid = autograd.from_numpy(np.c_[xx.ravel(), yy.ravel()].astype(np.float32))
    pred = nn.predict(model, grid, batch_size=4096).argmax(1).numpy().reshape(xx.shape)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.contourf(xx, yy, pred, alpha=0.3, cmap="coolwarm", levels=np.arange(pred.max() + 2) - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
    ax.set_title(title or "decision boundary")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_graph(model: nn.Module, x: Tensor, loss_fn: Any, y: Tensor, path: Path) -> bool:
    """The graph of one loss evaluation as SVG, when viz and Graphviz's ``dot`` exist."""
    if shutil.which("dot") is None:
        return False
    try:
        from autograd import viz
    except ImportError:
        return False
    loss = loss_fn(model(x), y)
    dot = viz.make_dot(loss, params=dict(model.named_parameters()), mode="backward")
    path.write_bytes(dot.pipe(format="svg"))
    return True


ONNX_HINT = 'pip install "ndgrad[onnx]"'


def export_onnx(model: nn.Module, x: Tensor, path: Path) -> bool:
    """The model as ONNX with a dynamic batch axis, when the onnx package is installed."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        return False
    autograd.onnx.export(model, (x,), str(path), input_names=["features"],
                         output_names=["logits"],
                         dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}})
    return True


def save_checkpoint(model: nn.Module, optimizer: Any, epochs: int, path: Path) -> bool:
    try:  # autograd.save arrives with autograd/serialization.py
        save = autograd.save
    except (AttributeError, ImportError):
        return False
    save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epochs},
         str(path))
    return True


# ---------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    _check_writable(args.out)
    autograd.manual_seed(args.seed)
    train, test, n_classes = load_data(args)
    n_in = train.tensors[0].shape[1]
    model = build_model(n_in, args.hidden_sizes, n_classes)
    if args.optimizer == "adam":
        opt = optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    verbose = 0 if args.quiet else 1
    if verbose:
        print(f"{args.dataset}: {len(train)} training and {len(test)} test samples, "
              f"{n_in} features, {n_classes} classes")
        model.summary((n_in,))
    history = nn.fit(model, loss_fn, opt, train, epochs=args.epochs,
                     batch_size=args.batch_size, validation_data=test, verbose=verbose,
                     generator=autograd.Generator().manual_seed(args.seed + 1))
    test_loss, test_acc = nn.evaluate(model, test, loss_fn, batch_size=1024)
    elapsed = time.perf_counter() - t0
    print(f"test accuracy: {100 * test_acc:.2f}% ({len(test)} samples), test loss "
          f"{test_loss:.4f}, {elapsed:.1f}s")

    written = []
    if save_checkpoint(model, opt, args.epochs, args.out / "checkpoint.npz"):
        written.append("checkpoint.npz")
    if has_matplotlib():
        plot_curves(history, args.out / "curves.png")
        written.append("curves.png")
        if n_in == 2:
            X, y = test.tensors[0].numpy(), test.tensors[1].numpy()
            Xa = np.concatenate([train.tensors[0].numpy(), X])
            ya = np.concatenate([train.tensors[1].numpy(), y])
            plot_decision_boundary(model, Xa, ya, args.out / "decision_boundary.png",
                                   f"{args.dataset}: test accuracy {100 * test_acc:.1f}%")
            written.append("decision_boundary.png")
    else:
        print(f"skipped the pictures: matplotlib is not installed ({PICTURES_HINT} to get them)")
    xb, yb = train.tensors[0][:8], train.tensors[1][:8]
    if write_graph(model, xb, loss_fn, yb, args.out / "graph.svg"):
        written.append("graph.svg")
    if export_onnx(model, xb, args.out / "model.onnx"):
        written.append("model.onnx")
    elif verbose:
        print(f"skipped model.onnx: the onnx package is not installed ({ONNX_HINT} to get it)")
    metrics = {"dataset": args.dataset, "test_accuracy": test_acc, "test_loss": test_loss,
               "epochs": args.epochs, "hidden": args.hidden_sizes, "optimizer": args.optimizer,
               "lr": args.lr, "batch_size": args.batch_size, "seed": args.seed,
               "seconds": elapsed, "history": history.history}
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    written.append("metrics.json")
    print(f"wrote {', '.join(written)} to {args.out}/")
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m ndgrad.train`` / ``ndgrad-train``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if _task(argv) == "chars":   # the character-level language models: ndgrad/chars.py
        from . import chars
        return chars.main(argv)
    return run_job(PROG, lambda: _parse(argv), run, (UsageError,))


def run_job(prog: str, parse, run_args, errors: tuple) -> int:
    """Parse the command line (`parse()`) and run the job on it (`run_args(args)`), with the
    job's exit codes: 2 for a bad command line, 1 for a run that fails on one of `errors`,
    130 when interrupted; the error is printed after the program's name."""
    try:
        args = parse()
    except SystemExit as e:  # --help
        return int(e.code or 0)
    except errors as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    try:
        run_args(args)
    except errors as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


def _task(argv: list[str]) -> str | None:
    """The value of --task in argv, if any."""
    for i, a in enumerate(argv):
        if a == "--task" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--task="):
            return a.split("=", 1)[1]
    return None


if __name__ == "__main__":
    sys.exit(main())
