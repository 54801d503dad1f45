"""nanoGPT's CPU recipe for Tiny Shakespeare, trained here and in PyTorch side by side.

    python benchmarks/bench_gpt_shakespeare.py [--iters 2000] [--json out.json]

The recipe (nanoGPT's README, "I only have a macbook"): n_layer 4, n_head 4, n_embd 128,
block 64, batch 12, 2,000 iterations, lr 1e-3 (warm-up 100, cosine to 1e-4), dropout 0,
AdamW (betas 0.9, 0.99; weight decay 0.1 on matrices), gradient clipping 1, validation
loss from 20 batches every 250 iterations. The model is `ndgrad.models.GPT` (nanoGPT's,
with GPT-2's tanh GELU); its PyTorch twin below is the same code on torch, loaded with the
same initial weights, and both see the same batches. One BLAS / torch thread each.

The two trainings advance in lockstep (one iteration of each, alternately), so that a busy
spell of a shared machine slows both alike; each one's wall time is the sum of its own
iterations and evaluations. Prints both validation curves, the times, and a sample of the
text our model writes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

# isort: off
import _threads  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
# isort: on

import autograd as ag  # noqa: E402
import nn  # noqa: E402
from autograd.data import load_text  # noqa: E402
from ndgrad.chars import CharData  # noqa: E402
from ndgrad.models import GPT, GPTConfig, generate  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: only our run is made
    torch = None

RECIPE = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, iters=2000,
              lr=1e-3, min_lr=1e-4, warmup=100, weight_decay=0.1, betas=(0.9, 0.99),
              eval_interval=250, eval_iters=20, grad_clip=1.0)


def torch_gpt(cfg: GPTConfig):
    """nanoGPT's model in PyTorch, with the same module names as ndgrad.models.GPT."""
    tnn, tF = torch.nn, torch.nn.functional

    class CausalSelfAttention(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = tnn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)
            self.c_proj = tnn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.c_attn(x).split(cfg.n_embd, dim=2)
            q, k, v = (t.view(B, T, cfg.n_head, C // cfg.n_head).transpose(1, 2)
                       for t in (q, k, v))
            y = tF.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).reshape(B, T, C))

    class MLP(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = tnn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=cfg.bias)
            self.gelu = tnn.GELU(approximate="tanh")
            self.c_proj = tnn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=cfg.bias)

        def forward(self, x):
            return self.c_proj(self.gelu(self.c_fc(x)))

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = tnn.LayerNorm(cfg.n_embd, bias=cfg.bias)
            self.attn = CausalSelfAttention()
            self.ln_2 = tnn.LayerNorm(cfg.n_embd, bias=cfg.bias)
            self.mlp = MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class TorchGPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = tnn.ModuleDict(dict(
                wte=tnn.Embedding(cfg.vocab_size, cfg.n_embd),
                wpe=tnn.Embedding(cfg.block_size, cfg.n_embd),
                h=tnn.ModuleList([Block() for _ in range(cfg.n_layer)]),
                ln_f=tnn.LayerNorm(cfg.n_embd, bias=cfg.bias)))
            self.lm_head = tnn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight

        def forward(self, idx, targets):
            tr = self.transformer
            x = tr.wte(idx) + tr.wpe(torch.arange(idx.shape[1]))
            for block in tr.h:
                x = block(x)
            logits = self.lm_head(tr.ln_f(x))
            return logits, tF.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    return TorchGPT()


def lr_at(it: int) -> float:
    r = RECIPE
    if it < r["warmup"]:
        return r["lr"] * (it + 1) / (r["warmup"] + 1)
    ratio = min((it - r["warmup"]) / (r["iters"] - r["warmup"]), 1.0)
    return r["min_lr"] + 0.5 * (1 + math.cos(math.pi * ratio)) * (r["lr"] - r["min_lr"])


class Run:
    """One library's training: its model, optimizer, clock and curve."""

    def __init__(self, name, model, opt, tensor, no_grad, clip):
        self.name, self.model, self.opt = name, model, opt
        self.tensor, self.no_grad, self.clip = tensor, no_grad, clip
        self.seconds, self.curve = 0.0, []

    def step(self, it: int, x: np.ndarray, y: np.ndarray) -> float:
        t0 = time.perf_counter()
        for group in self.opt.param_groups:
            group["lr"] = lr_at(it)
        _, loss = self.model(self.tensor(x), self.tensor(y))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.clip(self.model.parameters(), RECIPE["grad_clip"])
        self.opt.step()
        value = loss.item()
        self.seconds += time.perf_counter() - t0
        return value

    def evaluate(self, it: int, batches: list) -> float:
        t0 = time.perf_counter()
        self.model.eval()
        with self.no_grad():
            val = float(np.mean([self.model(self.tensor(x), self.tensor(y))[1].item()
                                 for x, y in batches]))
        self.model.train()
        self.seconds += time.perf_counter() - t0
        self.curve.append((it, val))
        return val

    def full_val_loss(self, codes: np.ndarray) -> float:
        """Mean loss over every character of the validation text (not timed)."""
        x, y = _windows(codes)
        self.model.eval()
        with self.no_grad():
            total = sum(self.model(self.tensor(np.ascontiguousarray(x[i:i + 64])),
                                   self.tensor(np.ascontiguousarray(y[i:i + 64])))[1].item()
                        * len(x[i:i + 64]) for i in range(0, len(x), 64))
        return total / len(x)


def _windows(codes: np.ndarray) -> tuple:
    """The whole text as consecutive windows of block_size (inputs, targets)."""
    b = RECIPE["block_size"]
    n = (len(codes) - 1) // b
    return codes[:n * b].reshape(n, b), codes[1:n * b + 1].reshape(n, b)


def _batch(data: np.ndarray, rng: np.random.Generator) -> tuple:
    r = RECIPE
    ix = rng.integers(0, len(data) - r["block_size"], r["batch_size"])
    w = np.lib.stride_tricks.sliding_window_view(data, r["block_size"] + 1)[ix]
    return np.ascontiguousarray(w[:, :-1]), np.ascontiguousarray(w[:, 1:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=RECIPE["iters"])
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    RECIPE["iters"] = args.iters
    if torch is not None and args.threads > 0:
        torch.set_num_threads(args.threads)
    text = load_text("shakespeare")
    data = CharData(text)
    cfg = GPTConfig(block_size=RECIPE["block_size"], vocab_size=data.vocab_size,
                    n_layer=RECIPE["n_layer"], n_head=RECIPE["n_head"],
                    n_embd=RECIPE["n_embd"], dropout=0.0, bias=False)
    ag.manual_seed(args.seed)
    ours = GPT(cfg)
    runs = [Run("ours", ours, ours.optimizer(RECIPE["lr"], RECIPE["weight_decay"],
                                             RECIPE["betas"]),
                ag.tensor, ag.no_grad, nn.utils.clip_grad_norm_)]
    if torch is not None:
        theirs = torch_gpt(cfg)
        theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                                for k, v in ours.state_dict().items()})
        params = [p for p in theirs.parameters() if p.requires_grad]
        topt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2],
                                   "weight_decay": RECIPE["weight_decay"]},
                                  {"params": [p for p in params if p.dim() < 2],
                                   "weight_decay": 0.0}], lr=RECIPE["lr"],
                                 betas=RECIPE["betas"])
        runs.append(Run("torch", theirs, topt, torch.from_numpy, torch.no_grad,
                        torch.nn.utils.clip_grad_norm_))
    rng = np.random.default_rng(args.seed)
    eval_rng = np.random.default_rng(args.seed + 1)
    print(f"nanoGPT CPU recipe on Tiny Shakespeare: {sum(p.numel() for p in ours.parameters()):,}"
          f" parameters, {args.iters} iterations, lockstep: " + " and ".join(r.name for r in runs))
    for it in range(args.iters + 1):
        if it % RECIPE["eval_interval"] == 0 or it == args.iters:
            batches = [_batch(data.val, eval_rng) for _ in range(RECIPE["eval_iters"])]
            vals = [r.evaluate(it, batches) for r in runs]
            print(f"iter {it:5d}: val loss " + ", ".join(f"{r.name} {v:.4f}" for r, v in
                                                         zip(runs, vals)) +
                  "; seconds " + ", ".join(f"{r.name} {r.seconds:.1f}" for r in runs),
                  flush=True)
        if it == args.iters:
            break
        x, y = _batch(data.train, rng)
        for r in runs:
            r.step(it, x, y)
    full = {r.name: r.full_val_loss(data.val) for r in runs}
    print("loss over the whole validation text (1,741 windows of 64): " +
          ", ".join(f"{k} {v:.4f}" for k, v in full.items()))
    sample = data.decode(generate(ours, ag.tensor([[data.stoi["\n"]]]), 500, top_k=None,
                                  generator=ag.Generator().manual_seed(args.seed))[0, 1:]
                         .tolist())
    print("\n--- ours writes ---\n" + sample + "\n---")
    result = {r.name: {"seconds": r.seconds, "val_curve": r.curve,
                       "final_val_loss": r.curve[-1][1], "full_val_loss": full[r.name]}
              for r in runs}
    result["sample"] = sample
    result["recipe"] = RECIPE
    if "torch" in result:
        print(f"wall time: ours {result['ours']['seconds']:.1f}s, torch "
              f"{result['torch']['seconds']:.1f}s ({result['ours']['seconds'] / result['torch']['seconds']:.2f}x);"  # noqa: E501
              f" final validation loss: ours {result['ours']['final_val_loss']:.4f}, torch "
              f"{result['torch']['final_val_loss']:.4f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
