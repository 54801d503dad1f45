"""Sequence models against PyTorch, side by side: same weights, one BLAS / torch thread each,
interleaved rounds, medians.

    python benchmarks/bench_seq.py [--steps 30] [--only gpt,lstm,attention,memory]

- gpt: one training step of the "Let's build GPT" lecture's model (vocab 65, n_embd 64,
  4 heads, 2 layers, block 32, batch 16, dropout 0; per-head Linear key/query/value,
  masked softmax, ReLU feed-forward; AdamW), written once and run on both libraries.
- lstm: one training step of a character LSTM (Embedding 65->64, LSTM 128 hidden, batch 16,
  sequence 32, Linear to 65, cross-entropy, Adam).
- attention: F.scaled_dot_product_attention forward + backward for block 256 on one core
  (batch 4, 4 heads, head size 16, causal), and the largest allocations it makes, from
  tracemalloc: quadratic (L x S) arrays, counted in units of one (B, heads, L, S) array.
- memory: peak memory of the GPT step, measured the same way for both, in a fresh
  subprocess each: peak resident set size (ru_maxrss) over 5 steps minus the resident
  size just before the first (so it includes the optimizer's state, made at step 1); for
  ours also the tracemalloc peak of one steady step.

Times are per step, median over --steps interleaved rounds, both wall-clock and CPU time
of the thread (the latter is steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

# isort: off
import _threads  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
# isort: on

import autograd as ag  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import optim  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional: only our timing is printed
    torch = None

VOCAB, N_EMBD, N_HEAD, N_LAYER, BLOCK, BATCH = 65, 64, 4, 2, 32, 16


# ---------------------------------------------------------------------------------------
# the lecture's GPT, written once for either library (lib = torch or autograd)


def lecture_gpt(lib, tnn, tF):
    """gpt.py from "Let's build GPT" (dropout 0), on library `lib` with its nn and F."""

    class Head(tnn.Module):
        def __init__(self, head_size):
            super().__init__()
            self.key = tnn.Linear(N_EMBD, head_size, bias=False)
            self.query = tnn.Linear(N_EMBD, head_size, bias=False)
            self.value = tnn.Linear(N_EMBD, head_size, bias=False)
            self.register_buffer("tril", lib.tril(lib.ones(BLOCK, BLOCK)))

        def forward(self, x):
            B, T, C = x.shape
            k, q = self.key(x), self.query(x)
            wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
            wei = tF.softmax(wei, dim=-1)
            return wei @ self.value(x)

    class MultiHeadAttention(tnn.Module):
        def __init__(self, num_heads, head_size):
            super().__init__()
            self.heads = tnn.ModuleList([Head(head_size) for _ in range(num_heads)])
            self.proj = tnn.Linear(head_size * num_heads, N_EMBD)

        def forward(self, x):
            return self.proj(lib.cat([h(x) for h in self.heads], dim=-1))

    class FeedForward(tnn.Module):
        def __init__(self, n_embd):
            super().__init__()
            self.net = tnn.Sequential(tnn.Linear(n_embd, 4 * n_embd), tnn.ReLU(),
                                      tnn.Linear(4 * n_embd, n_embd))

        def forward(self, x):
            return self.net(x)

    class Block(tnn.Module):
        def __init__(self, n_embd, n_head):
            super().__init__()
            self.sa = MultiHeadAttention(n_head, n_embd // n_head)
            self.ffwd = FeedForward(n_embd)
            self.ln1, self.ln2 = tnn.LayerNorm(n_embd), tnn.LayerNorm(n_embd)

        def forward(self, x):
            x = x + self.sa(self.ln1(x))
            return x + self.ffwd(self.ln2(x))

    class GPTLanguageModel(tnn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding_table = tnn.Embedding(VOCAB, N_EMBD)
            self.position_embedding_table = tnn.Embedding(BLOCK, N_EMBD)
            self.blocks = tnn.Sequential(*[Block(N_EMBD, N_HEAD) for _ in range(N_LAYER)])
            self.ln_f = tnn.LayerNorm(N_EMBD)
            self.lm_head = tnn.Linear(N_EMBD, VOCAB)

        def forward(self, idx, targets):
            B, T = idx.shape
            x = self.token_embedding_table(idx) + self.position_embedding_table(lib.arange(T))
            logits = self.lm_head(self.ln_f(self.blocks(x)))
            return tF.cross_entropy(logits.view(B * T, VOCAB), targets.view(B * T))

    return GPTLanguageModel()


def lstm_model(tnn, tF, base):
    class Model(base):
        def __init__(self):
            super().__init__()
            self.embed = tnn.Embedding(VOCAB, 64)
            self.lstm = tnn.LSTM(64, 128, batch_first=True)
            self.head = tnn.Linear(128, VOCAB)

        def forward(self, idx, targets):
            logits = self.head(self.lstm(self.embed(idx))[0])
            return tF.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    return Model()


# ---------------------------------------------------------------------------------------


def _twin(ours):
    """The torch twin of one of our models: the same code on torch, our weights loaded."""
    return {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}


def _data(seed=0, batch=BATCH, block=BLOCK):
    rng = np.random.default_rng(seed)
    return rng.integers(0, VOCAB, (batch, block)), rng.integers(0, VOCAB, (batch, block))


def _steps(name: str):
    """(our step, torch step or None, our losses, torch losses) for model `name`."""
    x, y = _data()
    ag.manual_seed(0)
    if name == "gpt":
        ours = lecture_gpt(ag, nn, F)
        opt = optim.AdamW(ours.parameters(), lr=1e-3)
    else:
        ours = lstm_model(nn, F, nn.Module)
        opt = optim.Adam(ours.parameters(), lr=1e-3)
    xo, yo = ag.tensor(x), ag.tensor(y)
    lo, lt = [], []

    def step():
        opt.zero_grad()
        loss = ours(xo, yo)
        loss.backward()
        opt.step()
        lo.append(loss.item())

    if torch is None:
        return step, None, lo, lt
    if name == "gpt":
        theirs = lecture_gpt(torch, torch.nn, torch.nn.functional)
        topt_cls = torch.optim.AdamW
    else:
        theirs = lstm_model(torch.nn, torch.nn.functional, torch.nn.Module)
        topt_cls = torch.optim.Adam
    theirs.load_state_dict(_twin(ours))
    topt = topt_cls(theirs.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def tstep():
        topt.zero_grad()
        loss = theirs(xt, yt)
        loss.backward()
        topt.step()
        lt.append(loss.item())

    return step, tstep, lo, lt


def time_rounds(fns: dict, n: int) -> dict:
    """Median wall and thread-CPU seconds of each function over n interleaved rounds."""
    for f in fns.values():
        f()
        f()
    wall = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    for _ in range(n):
        for k, f in fns.items():
            t0, c0 = time.perf_counter(), time.thread_time()
            f()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.thread_time() - c0)
    return {k: (float(np.median(wall[k])), float(np.median(cpu[k]))) for k in fns}


def bench_model(name: str, n: int) -> dict:
    step, tstep, lo, lt = _steps(name)
    fns = {"ours": step} if tstep is None else {"ours": step, "torch": tstep}
    res = time_rounds(fns, n)
    print(f"\n{name}: one training step, median of {n} interleaved rounds")
    print(f"  ours : {res['ours'][0] * 1e3:7.2f} ms wall, {res['ours'][1] * 1e3:7.2f} ms CPU")
    if tstep is not None:
        print(f"  torch: {res['torch'][0] * 1e3:7.2f} ms wall, {res['torch'][1] * 1e3:7.2f} ms "
              f"CPU ({torch.get_num_threads()} thread)")
        print(f"  ratio ours / torch: {res['ours'][0] / res['torch'][0]:.2f}x wall, "
              f"{res['ours'][1] / res['torch'][1]:.2f}x CPU")
        diff = max(abs(a - b) for a, b in zip(lo, lt))
        print(f"  same trajectory: max |loss difference| over {len(lo)} steps = {diff:.1e}")
    return res


def bench_attention(n: int, L: int = 256, B: int = 4, H: int = 4, D: int = 16) -> dict:
    import tracemalloc
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((B, H, L, D)).astype(np.float32) for _ in range(3)]
    quad = B * H * L * L * 4
    qo = [ag.tensor(a, requires_grad=True) for a in arrays]

    def ours():
        out = F.scaled_dot_product_attention(*qo, is_causal=True)
        out.backward(ag.ones_like(out))

    fns = {"ours": ours}
    if torch is not None:
        qt = [torch.tensor(a, requires_grad=True) for a in arrays]

        def theirs():
            out = torch.nn.functional.scaled_dot_product_attention(*qt, is_causal=True)
            out.backward(torch.ones_like(out))
        fns["torch"] = theirs
    res = time_rounds(fns, n)
    tracemalloc.start()
    out = F.scaled_dot_product_attention(*qo, is_causal=True)
    fwd_peak = tracemalloc.get_traced_memory()[1]
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    out.backward(ag.ones_like(out))
    bwd_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(f"\nattention: block {L}, batch {B}, {H} heads of {D}, causal, forward + backward")
    print(f"  ours : {res['ours'][0] * 1e3:7.2f} ms wall, {res['ours'][1] * 1e3:7.2f} ms CPU")
    if "torch" in res:
        print(f"  torch: {res['torch'][0] * 1e3:7.2f} ms wall, {res['torch'][1] * 1e3:7.2f} ms "
              f"CPU; ratio {res['ours'][0] / res['torch'][0]:.2f}x wall, "
              f"{res['ours'][1] / res['torch'][1]:.2f}x CPU")
    print(f"  quadratic arrays alive at the peak (units of one {B}x{H}x{L}x{L} float32): "
          f"forward {fwd_peak / quad:.2f}, backward {bwd_peak / quad:.2f}")
    return {"time": res, "forward_quadratic": fwd_peak / quad, "backward_quadratic":
            bwd_peak / quad}


_MEMORY_CHILD = r"""
import json, os, resource, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import numpy as np
import bench_seq as b
lib = sys.argv[2]
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
step, tstep, _, _ = b._steps("gpt")
f = step if lib == "ours" else tstep
base = rss()
for _ in range(5):
    f()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
out = {"rss_peak_over_base": peak - base}
if lib == "ours":
    import tracemalloc
    tracemalloc.start()
    f()
    cur = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    f()
    out["tracemalloc_step_peak"] = tracemalloc.get_traced_memory()[1] - cur
print(json.dumps(out))
"""


def bench_memory() -> dict:
    res = {}
    libs = ["ours"] + (["torch"] if torch is not None else [])
    for lib in libs:
        p = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, os.path.abspath(__file__), lib],
                           capture_output=True, text=True, check=True,
                           env={**os.environ, "OPENBLAS_NUM_THREADS": "1",
                                "OMP_NUM_THREADS": "1"})
        res[lib] = json.loads(p.stdout.strip().splitlines()[-1])
    print("\nmemory of the GPT step (fresh process each; peak RSS over 5 steps minus RSS "
          "before the first)")
    for lib, r in res.items():
        extra = (f"; tracemalloc peak of one steady step {r['tracemalloc_step_peak'] / 2**20:.1f}"
                 " MiB" if "tracemalloc_step_peak" in r else "")
        print(f"  {lib:5}: {r['rss_peak_over_base'] / 2**20:6.1f} MiB{extra}")
    if "torch" in res:
        print(f"  ratio ours / torch: {res['ours']['rss_peak_over_base'] / res['torch']['rss_peak_over_base']:.2f}x")  # noqa: E501
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--only", default="gpt,lstm,attention,memory")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads for numpy and torch.set_num_threads (0: defaults)")
    args = ap.parse_args()
    if torch is not None and args.threads > 0:
        torch.set_num_threads(args.threads)
    which = args.only.split(",")
    if "gpt" in which:
        bench_model("gpt", args.steps)
    if "lstm" in which:
        bench_model("lstm", args.steps)
    if "attention" in which:
        bench_attention(max(args.steps // 3, 5))
    if "memory" in which:
        bench_memory()


if __name__ == "__main__":
    main()
