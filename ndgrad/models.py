"""Character-level language models: a GPT (the "Let's build GPT" lecture's architecture, as
nanoGPT writes it), an LSTM, and the bigram baseline; and sampling from any of them.

Every model maps token indices (B, T) to next-token logits (B, T, vocab) and, given
targets, also returns the mean cross-entropy, as nanoGPT's `GPT.forward` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

__all__ = ["GPTConfig", "GPT", "CharLSTM", "Bigram", "generate"]


@dataclass
class GPTConfig:
    """nanoGPT's configuration (its defaults are GPT-2's; the jobs here pass small ones)."""

    block_size: int = 64
    vocab_size: int = 65
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = False


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention: one projection to q, k, v, then
    `scaled_dot_product_attention(is_causal=True)` over n_head heads, then c_proj."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0, "n_embd must be divisible by n_head"
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.attn_dropout, self.resid_dropout = nn.Dropout(cfg.dropout), nn.Dropout(cfg.dropout)
        self.n_head, self.n_embd, self.dropout = cfg.n_head, cfg.n_embd, cfg.dropout

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training
                                           else 0.0, is_causal=True)
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.resid_dropout(self.c_proj(y))

    def attention_map(self, x: Tensor) -> Tensor:
        """The attention probabilities (B, n_head, T, T) this layer computes for x."""
        B, T, C = x.shape
        q, k, _ = self.c_attn(x).split(self.n_embd, dim=2)
        q, k = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.n_head))
        causal = ag.ones(T, T, dtype=ag.bool).tril()
        return scores.masked_fill(~causal, float("-inf")).softmax(-1)


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=cfg.bias)
        self.gelu = nn.GELU(approximate="tanh")   # GPT-2's GELU (erf is slow in numpy)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.mlp = MLP(cfg)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


def _loss(logits: Tensor, targets: Tensor | None) -> Tensor | None:
    if targets is None:
        return None
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


class GPT(nn.Module):
    """Token and position embeddings, n_layer blocks, a final LayerNorm and a head tied to
    the token embedding; initialised as nanoGPT (normal(0, 0.02), residual projections
    scaled by 1/sqrt(2 n_layer), zero biases)."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.config = cfg
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(cfg.vocab_size, cfg.n_embd),
            wpe=nn.Embedding(cfg.block_size, cfg.n_embd),
            drop=nn.Dropout(cfg.dropout),
            h=nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)]),
            ln_f=nn.LayerNorm(cfg.n_embd, bias=cfg.bias),
        ))
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight   # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"GPT: cannot forward a sequence of length {T}, the block size is "
                             f"only {self.config.block_size}")
        tr = self.transformer
        pos = ag.arange(T)
        x = tr.drop(tr.wte(idx) + tr.wpe(pos))
        for block in tr.h:
            x = block(x)
        logits = self.lm_head(tr.ln_f(x))
        return logits, _loss(logits, targets)

    def optimizer(self, lr: float, weight_decay: float = 0.1,
                  betas: tuple = (0.9, 0.99)):
        """nanoGPT's AdamW: weight decay on the matrices (dim >= 2) only."""
        import optim
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.ndim >= 2]
        no_decay = [p for p in params if p.ndim < 2]
        return optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                            {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=betas)


class CharLSTM(nn.Module):
    """Embedding, an LSTM over the sequence, a Linear to the vocabulary."""

    def __init__(self, vocab_size: int, n_embd: int = 64, hidden: int = 256,
                 num_layers: int = 1, dropout: float = 0.0, block_size: int = 64) -> None:
        super().__init__()
        self.block_size = block_size
        self.embed = nn.Embedding(vocab_size, n_embd)
        self.lstm = nn.LSTM(n_embd, hidden, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        logits = self.head(self.lstm(self.embed(idx))[0])
        return logits, _loss(logits, targets)

    def optimizer(self, lr: float, weight_decay: float = 0.0, betas: tuple = (0.9, 0.99)):
        import optim
        return optim.AdamW(self.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)


class Bigram(nn.Module):
    """The next character from the current one only: a (vocab, vocab) table of logits."""

    def __init__(self, vocab_size: int, block_size: int = 64) -> None:
        super().__init__()
        self.block_size = block_size
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        logits = self.token_embedding_table(idx)
        return logits, _loss(logits, targets)

    def optimizer(self, lr: float, weight_decay: float = 0.0, betas: tuple = (0.9, 0.99)):
        import optim
        return optim.AdamW(self.parameters(), lr=lr, betas=betas, weight_decay=weight_decay)


def _block_size(model: nn.Module) -> int:
    cfg = getattr(model, "config", None)
    return cfg.block_size if cfg is not None else model.block_size


@ag.no_grad()
def generate(model: nn.Module, idx: Tensor, max_new_tokens: int, temperature: float = 1.0,
             top_k: int | None = None, generator: ag.Generator | None = None) -> Tensor:
    """Extend each row of `idx` (B, T) by `max_new_tokens` tokens, each drawn with
    `multinomial` from softmax(logits / temperature), keeping only the `top_k` largest
    logits if given (nanoGPT's `generate`). Runs in eval mode, restores the mode after."""
    if temperature <= 0:
        raise ValueError(f"generate: temperature must be > 0, got {temperature}")
    was_training = model.training
    model.eval()
    block = _block_size(model)
    try:
        for _ in range(max_new_tokens):
            ctx = idx if idx.shape[1] <= block else idx[:, -block:]
            logits, _ = model(ctx)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                k = min(top_k, logits.shape[-1])
                kth = ag.tensor(np.sort(logits.numpy(), axis=-1)[:, -k:][:, :1])
                logits = logits.masked_fill(logits < kth, float("-inf"))
            probs = logits.softmax(-1)
            nxt = ag.multinomial(probs, 1, generator=generator)
            idx = ag.cat([idx, nxt], 1)
    finally:
        model.train(was_training)
    return idx
