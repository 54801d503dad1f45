"""Whole models, exported and run by onnxruntime at two sizes of their dynamic axes:
an MLP, a small CNN, and a tiny transformer block written the way "let's build GPT" writes
it (heads, a causal mask sliced from a buffer, softmax, residuals, layer norms)."""

from __future__ import annotations

import math

import numpy as np

import autograd as ag
import nn
import nn.functional as F

from .harness import check


def test_mlp_with_dynamic_batch():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10),
                          nn.LogSoftmax(dim=1))
    m = check(model, (ag.randn(4, 64),), others=((ag.randn(13, 64),), (ag.randn(1, 64),)),
              dynamic={0: [0]})
    assert [i.name for i in m.graph.initializer] == ["0.weight", "0.bias", "3.weight",
                                                      "3.bias"]


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 3 * 3, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)          # the batch size read from the input
        return self.fc(x)


def test_small_cnn_with_dynamic_batch():
    ag.manual_seed(0)
    model = SmallCNN()
    model.train()
    model(ag.randn(8, 1, 14, 14))          # running statistics that are not the defaults
    check(model, (ag.randn(2, 1, 14, 14),), others=((ag.randn(5, 1, 14, 14),),),
          dynamic={0: [0]})


class Head(nn.Module):
    def __init__(self, n_embd, head_size, block_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", ag.tril(ag.ones(block_size, block_size)))
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        B, T, C = x.shape
        k, q = self.key(x), self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = self.dropout(F.softmax(wei, dim=-1))
        return wei @ self.value(x)


class Block(nn.Module):
    def __init__(self, n_embd=16, n_head=4, block_size=8):
        super().__init__()
        self.heads = nn.ModuleList([Head(n_embd, n_embd // n_head, block_size)
                                    for _ in range(n_head)])
        self.proj = nn.Linear(n_embd, n_embd)
        self.ffwd = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                  nn.Linear(4 * n_embd, n_embd))
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.proj(ag.cat([h(self.ln1(x)) for h in self.heads], dim=-1))
        return x + self.ffwd(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab=11, n_embd=16, block_size=8):
        super().__init__()
        self.tok = nn.Embedding(vocab, n_embd)
        self.pos = nn.Embedding(block_size, n_embd)
        self.block = Block(n_embd, 4, block_size)
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab)

    def forward(self, idx):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(ag.arange(T))
        logits = self.head(self.ln_f(self.block(x)))
        return logits.view(B * T, -1).log_softmax(-1)[-T:]


def test_transformer_block_with_dynamic_batch_and_sequence():
    ag.manual_seed(0)
    model = Block()
    check(model, (ag.randn(2, 5, 16),), others=((ag.randn(3, 8, 16),), (ag.randn(1, 1, 16),)),
          dynamic={0: [0, 1]})


def test_tiny_gpt_with_dynamic_batch_and_sequence():
    ag.manual_seed(0)
    model = TinyGPT()
    idx = lambda b, t: ag.randint(0, 11, (b, t))  # noqa: E731
    m = check(model, (idx(2, 5),), others=((idx(4, 7),), (idx(1, 2),)), dynamic={0: [0, 1]})
    dims = [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["dim0", "dim1"]
    assert {"tok.weight", "pos.weight", "block.heads.0.tril"} <= {
        i.name for i in m.graph.initializer}


def test_attention_with_python_math_on_sizes():
    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(8, 24)

        def forward(self, x):
            n, t, c = x.size()
            q, k, v = self.qkv(x).split(c, dim=2)
            q = q.view(n, t, 2, c // 2).transpose(1, 2)
            k = k.view(n, t, 2, c // 2).transpose(1, 2)
            v = v.view(n, t, 2, c // 2).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            y = att.softmax(dim=-1) @ v
            return y.transpose(1, 2).contiguous().view(n, t, c)

    ag.manual_seed(0)
    check(Attn(), (ag.randn(2, 3, 8),), others=((ag.randn(5, 6, 8),),), dynamic={0: [0, 1]})


def test_outputs_in_a_tuple_and_integer_results():
    class Two(nn.Module):
        def forward(self, x):
            return x.softmax(-1), x.argmax(-1), (x > 0).sum(1)

    check(Two(), (ag.randn(3, 4),), others=((ag.randn(6, 4),),), dynamic={0: [0]})


def test_reductions_and_pointwise_ops():
    class Ops(nn.Module):
        def forward(self, x):
            y = (x.exp() - 1).abs().sqrt() + x.clamp(-0.5, 0.5) * 2 - x.tanh() / 3
            m = y.mean(1, keepdim=True) + y.var(1, keepdim=True) + y.std(dim=1, keepdim=True)
            z = ag.where(x > 0, y, -y) + x.max(dim=1, keepdim=True).values + x.amin()
            return (z * m).sum(-1), x.logsumexp(1), x.norm(dim=1), x.cumsum(1)

    rng = np.random.default_rng(0)
    x = lambda n: ag.tensor(rng.normal(size=(n, 5)).astype(np.float32))  # noqa: E731
    check(Ops(), (x(3),), others=((x(7),),), dynamic={0: [0]})


def test_traced_at_the_longest_sequence_the_model_takes():
    ag.manual_seed(0)
    model = TinyGPT(block_size=8)            # positions beyond 8 do not exist
    idx = lambda b, t: ag.randint(0, 11, (b, t))  # noqa: E731
    check(model, (idx(2, 8),), others=((idx(3, 3),), (idx(1, 8),)), dynamic={0: [0, 1]})
