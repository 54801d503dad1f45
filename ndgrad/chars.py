"""The character-level language-model job: ``python -m ndgrad.train --task chars``.

    python -m ndgrad.train --task chars                          # GPT on Tiny Shakespeare
    python -m ndgrad.train --task chars --dataset names          # GPT on makemore's names
    python -m ndgrad.train --task chars --model lstm             # the LSTM variant
    python -m ndgrad.train --task chars --dataset names --model bigram

Trains as nanoGPT's ``train.py`` does: random windows of ``block_size`` characters from the
first 90% of the text (the last 10% is held out for validation; the names are shuffled
first, as makemore does), AdamW with weight decay on
the matrices, a linear warm-up then a cosine decay of the learning rate, gradients clipped
to norm 1. The GPT defaults for Shakespeare are nanoGPT's CPU recipe (4 layers, 4 heads,
128 wide, block 64, batch 12, 2,000 iterations, lr 1e-3, no dropout). Writes to ``--out``
(default ``runs/chars-<dataset>-<model>``): ``checkpoint.npz`` (model, optimizer, config,
vocabulary), ``curves.png`` (train and validation loss), ``samples.txt`` and
``metrics.json``; prints generated text at the end, sampled with ``multinomial`` from a
seeded Generator with ``--temperature`` and ``--top-k``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

import autograd
import nn
from autograd.data import load_text

from .fit import _Progbar
from .models import GPT, Bigram, CharLSTM, GPTConfig, generate

PROG = "ndgrad-train --task chars"
DATASETS = ("shakespeare", "names")
MODELS = ("gpt", "lstm", "bigram")

# defaults per (dataset, model); anything given on the command line wins
_DEFAULTS: dict[tuple[str, str], dict[str, Any]] = {
    ("shakespeare", "gpt"): dict(iters=2000, batch_size=12, block_size=64, n_layer=4, n_head=4,
                                 n_embd=128, lr=1e-3, eval_interval=250, samples=500),
    ("names", "gpt"): dict(iters=2000, batch_size=32, block_size=16, n_layer=4, n_head=4,
                           n_embd=64, lr=1e-3, eval_interval=250, samples=20),
    ("shakespeare", "lstm"): dict(iters=2000, batch_size=16, block_size=64, n_embd=64,
                                  hidden=256, lr=2e-3, eval_interval=250, samples=500),
    ("names", "lstm"): dict(iters=2000, batch_size=32, block_size=16, n_embd=64, hidden=128,
                            lr=2e-3, eval_interval=250, samples=20),
    ("shakespeare", "bigram"): dict(iters=1500, batch_size=32, block_size=64, lr=1e-1,
                                    eval_interval=250, samples=300),
    ("names", "bigram"): dict(iters=1500, batch_size=32, block_size=16, lr=1e-1,
                              eval_interval=250, samples=20),
}
_COMMON = dict(n_layer=4, n_head=4, n_embd=128, hidden=256, dropout=0.0, weight_decay=0.1,
               warmup=100, min_lr_ratio=0.1, eval_iters=20, temperature=1.0, top_k=None,
               seed=1337)


class UsageError(Exception):
    """A bad argument: reported as one line, no traceback."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the chars task (defaults None: filled in per dataset and model)."""
    p.add_argument("--task", default="chars", help=argparse.SUPPRESS)
    p.add_argument("--dataset", default="shakespeare", metavar="NAME",
                   help=f"one of {', '.join(DATASETS)} (default: shakespeare)")
    p.add_argument("--model", default="gpt", metavar="NAME",
                   help=f"one of {', '.join(MODELS)} (default: gpt)")
    for name, typ, what in (
            ("iters", int, "training iterations"), ("batch-size", int, "sequences per batch"),
            ("block-size", int, "context length in characters"),
            ("n-layer", int, "GPT blocks"), ("n-head", int, "GPT attention heads"),
            ("n-embd", int, "embedding width"), ("hidden", int, "LSTM hidden size"),
            ("dropout", float, "dropout probability"), ("lr", float, "peak learning rate"),
            ("weight-decay", float, "AdamW weight decay (GPT: matrices only)"),
            ("warmup", int, "warm-up iterations"),
            ("eval-interval", int, "iterations between validation estimates"),
            ("eval-iters", int, "batches per loss estimate"),
            ("samples", int, "characters to generate (names: names) at the end"),
            ("temperature", float, "sampling temperature"),
            ("top-k", int, "sample among the k most likely characters only"),
            ("seed", int, "seed of the batches, the initialisation and the sampling")):
        p.add_argument(f"--{name}", type=typ, default=None, help=what)
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: runs/chars-<dataset>-<model>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """Check the arguments and fill in the per-dataset, per-model defaults."""
    if args.dataset not in DATASETS:
        raise UsageError(f"unknown dataset '{args.dataset}' for --task chars; choose one of "
                         f"{', '.join(DATASETS)}")
    if args.model not in MODELS:
        raise UsageError(f"unknown model '{args.model}'; choose one of {', '.join(MODELS)}")
    defaults = {**_COMMON, **_DEFAULTS[args.dataset, args.model]}
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for key in ("iters", "batch_size", "block_size", "n_layer", "n_head", "n_embd", "hidden",
                "eval_interval", "eval_iters"):
        if getattr(args, key) < 1:
            raise UsageError(f"--{key.replace('_', '-')} must be >= 1, got {getattr(args, key)}")
    if args.samples < 0 or args.warmup < 0:
        raise UsageError("--samples and --warmup must be >= 0")
    if not args.lr > 0:
        raise UsageError(f"--lr must be > 0, got {args.lr}")
    if not 0 <= args.dropout < 1:
        raise UsageError(f"--dropout must be in [0, 1), got {args.dropout}")
    if not args.temperature > 0:
        raise UsageError(f"--temperature must be > 0, got {args.temperature}")
    if args.top_k is not None and args.top_k < 1:
        raise UsageError(f"--top-k must be >= 1, got {args.top_k}")
    if args.model == "gpt" and args.n_embd % args.n_head:
        raise UsageError(f"--n-embd ({args.n_embd}) must be divisible by --n-head "
                         f"({args.n_head})")
    args.out = Path(args.out if args.out is not None else
                    os.path.join("runs", f"chars-{args.dataset}-{args.model}"))
    return args


# ---------------------------------------------------------------- data


class CharData:
    """A corpus as int64 character codes, split 90/10, with nanoGPT's random batches.

    A text is split where it is (Shakespeare: the last tenth of the plays is held out);
    with `shuffle_lines` its lines are first shuffled with a fixed seed, as makemore
    shuffles the names (the file runs from common to rare names)."""

    def __init__(self, text: str, shuffle_lines: bool = False) -> None:
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        n = int(0.9 * len(text))
        if shuffle_lines:
            lines = text.splitlines()
            lines = [lines[i] for i in np.random.default_rng(42).permutation(len(lines))]
            cut = int(0.9 * len(lines))
            head = "\n".join(lines[:cut]) + "\n"
            text, n = head + "\n".join(lines[cut:]) + "\n", len(head)
        codes = np.array([self.stoi[c] for c in text], dtype=np.int64)
        self.train, self.val = codes[:n], codes[n:]

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        return [self.stoi[c] for c in s]

    def decode(self, codes) -> str:
        return "".join(self.chars[int(i)] for i in codes)

    def batch(self, split: str, batch_size: int, block_size: int,
              rng: np.random.Generator) -> tuple[autograd.Tensor, autograd.Tensor]:
        """`batch_size` random windows (x) and the same shifted by one character (y)."""
        data = self.train if split == "train" else self.val
        if len(data) <= block_size:
            raise UsageError(f"--block-size {block_size} is longer than the {split} text "
                             f"({len(data)} characters)")
        ix = rng.integers(0, len(data) - block_size, batch_size)
        windows = np.lib.stride_tricks.sliding_window_view(data, block_size + 1)[ix]
        return autograd.tensor(windows[:, :-1]), autograd.tensor(windows[:, 1:])


def build_model(args: argparse.Namespace, vocab_size: int) -> nn.Module:
    if args.model == "gpt":
        cfg = GPTConfig(block_size=args.block_size, vocab_size=vocab_size,
                        n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd,
                        dropout=args.dropout)
        return GPT(cfg)
    if args.model == "lstm":
        return CharLSTM(vocab_size, args.n_embd, args.hidden, dropout=args.dropout,
                        block_size=args.block_size)
    return Bigram(vocab_size, block_size=args.block_size)


def lr_at(it: int, args: argparse.Namespace) -> float:
    """nanoGPT's schedule: linear warm-up, then cosine decay to lr * min_lr_ratio."""
    if it < args.warmup:
        return args.lr * (it + 1) / (args.warmup + 1)
    span = max(args.iters - args.warmup, 1)
    ratio = min((it - args.warmup) / span, 1.0)
    coeff = 0.5 * (1.0 + math.cos(math.pi * ratio))
    low = args.lr * args.min_lr_ratio
    return low + coeff * (args.lr - low)


@autograd.no_grad()
def estimate_loss(model: nn.Module, data: CharData, args: argparse.Namespace,
                  rng: np.random.Generator) -> dict[str, float]:
    """Mean loss over `eval_iters` random batches of each split, in eval mode."""
    model.eval()
    out = {}
    for split in ("train", "val"):
        losses = [model(*data.batch(split, args.batch_size, args.block_size, rng))[1].item()
                  for _ in range(args.eval_iters)]
        out[split] = float(np.mean(losses))
    model.train()
    return out


@autograd.no_grad()
def full_loss(model: nn.Module, codes: np.ndarray, block_size: int, batch: int = 64) -> float:
    """Mean cross-entropy over every character of `codes`, in consecutive windows of
    `block_size` (each character predicted from the ones before it in its window)."""
    model.eval()
    n = (len(codes) - 1) // block_size
    x = codes[:n * block_size].reshape(n, block_size)
    y = codes[1:n * block_size + 1].reshape(n, block_size)
    total = 0.0
    for i in range(0, n, batch):
        loss = model(autograd.tensor(x[i:i + batch]), autograd.tensor(y[i:i + batch]))[1]
        total += loss.item() * len(x[i:i + batch])
    model.train()
    return total / n


def sample_text(model: nn.Module, data: CharData, args: argparse.Namespace) -> str:
    """Generated text from a newline start (names: `samples` names)."""
    g = autograd.Generator().manual_seed(args.seed)
    start = autograd.tensor([[data.stoi.get("\n", 0)]])
    if args.dataset == "names":
        names: list[str] = []
        while len(names) < args.samples:
            codes = generate(model, start, 20 * args.samples, args.temperature, args.top_k, g)
            names += [n for n in data.decode(codes[0, 1:].tolist()).split("\n")[:-1] if n]
        return "\n".join(names[:args.samples])
    codes = generate(model, start, args.samples, args.temperature, args.top_k, g)
    return data.decode(codes[0, 1:].tolist())


# ---------------------------------------------------------------- outputs


def plot_curves(history: dict[str, list], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(history["iter"], history["train_loss"], label="train")
    ax.plot(history["iter"], history["val_loss"], label="validation")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / ".write-test").write_text("")
        (out / ".write-test").unlink()
    except OSError as e:
        raise UsageError(f"cannot write to --out '{out}': {e.strerror or e}") from None


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train, evaluate, sample and write the outputs; returns the metrics."""
    t0 = time.perf_counter()
    _check_writable(args.out)
    autograd.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    data = CharData(load_text(args.dataset), shuffle_lines=args.dataset == "names")
    model = build_model(args, data.vocab_size)
    opt = model.optimizer(args.lr, weight_decay=args.weight_decay if args.model == "gpt"
                          else 0.0)
    n_params = sum(p.numel() for p in model.parameters())
    if not args.quiet:
        print(f"{args.dataset}: {len(data.train):,} training and {len(data.val):,} validation "
              f"characters, vocabulary {data.vocab_size}; {args.model} with {n_params:,} "
              f"parameters")
    history: dict[str, list] = {"iter": [], "train_loss": [], "val_loss": []}
    bar = _Progbar(args.iters, 0 if args.quiet else 1)
    logs: dict[str, float] = {}
    for it in range(args.iters + 1):
        if it % args.eval_interval == 0 or it == args.iters:
            losses = estimate_loss(model, data, args, rng)
            history["iter"].append(it)
            history["train_loss"].append(losses["train"])
            history["val_loss"].append(losses["val"])
            logs["val_loss"] = losses["val"]
        if it == args.iters:
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(it, args)
        x, y = data.batch("train", args.batch_size, args.block_size, rng)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        logs["loss"] = loss.item()
        bar.update(dict(logs))
    bar.close(dict(logs))
    train_seconds = time.perf_counter() - t0
    text = sample_text(model, data, args)
    final = {"train_loss": history["train_loss"][-1], "val_loss": history["val_loss"][-1],
             "val_loss_full": full_loss(model, data.val, args.block_size)}
    print(f"{args.model} on {args.dataset}: train loss {final['train_loss']:.4f}, validation "
          f"loss {final['val_loss']:.4f} ({final['val_loss_full']:.4f} over the whole "
          f"validation text) after {args.iters} iterations, {train_seconds:.1f}s")
    print("--- generated" + (" names" if args.dataset == "names" else " text") + " ---")
    print(text)
    written = []
    autograd.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                   "iter": args.iters, "config": _config(args), "vocab": "".join(data.chars)},
                  str(args.out / "checkpoint.npz"))
    written.append("checkpoint.npz")
    plot_curves(history, args.out / "curves.png", f"{args.model} on {args.dataset}")
    written.append("curves.png")
    (args.out / "samples.txt").write_text(text + "\n", encoding="utf-8")
    written.append("samples.txt")
    metrics = {**_config(args), **final, "parameters": n_params, "seconds": train_seconds,
               "history": history}
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    written.append("metrics.json")
    print(f"wrote {', '.join(written)} to {args.out}/")
    return metrics


def _config(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("dataset", "model", "iters", "batch_size", "block_size", "n_layer", "n_head",
            "n_embd", "hidden", "dropout", "lr", "weight_decay", "warmup", "seed")
    return {k: getattr(args, k) for k in keys}


def build_parser() -> argparse.ArgumentParser:
    from .train import _Parser  # (train.py dispatches here: imported on use)
    p = _Parser(prog=PROG, description="Train a character-level language model (GPT, LSTM "
                                       "or bigram) and sample from it.")
    add_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse and run the chars task; returns the exit code."""
    from .train import UsageError as TrainUsageError
    from .train import run_job
    return run_job(PROG, lambda: resolve(build_parser().parse_args(argv)), run,
                   (UsageError, TrainUsageError))
