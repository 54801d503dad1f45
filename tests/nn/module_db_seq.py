"""Module registry entries for the sequence layers: RNN, LSTM, GRU, their cells,
MultiheadAttention and the Transformer layers (see tests/nn/module_db.py for the format).

These modules return tuples (output and states, or output and attention weights); each
entry wraps its module in `Outputs`, which calls it and joins every returned tensor into
one flat tensor, so that the generic tests check all of them (values and gradients)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import autograd as ag
import nn

from .module_db import ModuleInfo


class Outputs(nn.Module):
    """`module(*args)` with every tensor it returns flattened and concatenated."""

    def __init__(self, module: nn.Module, call: Callable | None = None) -> None:
        super().__init__()
        self.m = module
        self.call = call

    def forward(self, *args):
        res = self.call(self.m, *args) if self.call is not None else self.m(*args)
        flat, stack = [], [res]
        while stack:
            r = stack.pop(0)
            if isinstance(r, (tuple, list)):
                stack[:0] = list(r)
            elif r is not None:
                flat.append(r.reshape(-1))
        return ag.cat(flat)


def _seq(*shape):
    return lambda rng: (rng.uniform(-1.5, 1.5, shape),)


def _seq_and(*shapes):
    return lambda rng: tuple(rng.uniform(-1.5, 1.5, s) for s in shapes)


def _lstm_states(m, x, h0, c0):
    return m(x, (h0, c0))


def _attend(**kw):
    return lambda m, q, k, v: m(q, k, v, **kw)


def _self_attend(**kw):
    return lambda m, x: m(x, x, x, **kw)


def _causal(m, x):
    mask = nn.Transformer.generate_square_subsequent_mask(x.shape[0], dtype=x.dtype)
    return m(x, src_mask=mask, is_causal=True)


def _padded_memory(m, tgt, mem):
    pad = ag.tensor(np.array([[False, False, True], [False, False, False]]))
    return m(tgt, mem, memory_key_padding_mask=pad)


def _transformer(m, src, tgt):
    mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[0], dtype=tgt.dtype)
    return m(src, tgt, tgt_mask=mask)


def _cell_loop(m, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = m(xs[t], h)
    return h


def _lstm_cell_loop(m, xs):
    hc = None
    outs = []
    for t in range(xs.shape[0]):
        hc = m(xs[t], hc)
        outs += list(hc)
    return outs


MODULES: list[ModuleInfo] = [
    ModuleInfo("RNN", lambda: Outputs(nn.RNN(3, 4)), _seq(4, 2, 3)),
    ModuleInfo("RNN_relu_2layers_bidirectional",
               lambda: Outputs(nn.RNN(3, 3, num_layers=2, nonlinearity="relu",
                                      bidirectional=True)), _seq(3, 2, 3)),
    ModuleInfo("LSTM", lambda: Outputs(nn.LSTM(3, 4)), _seq(4, 2, 3)),
    ModuleInfo("LSTM_h0_c0", lambda: Outputs(nn.LSTM(3, 4), _lstm_states),
               _seq_and((3, 2, 3), (1, 2, 4), (1, 2, 4))),
    ModuleInfo("LSTM_proj_batch_first",
               lambda: Outputs(nn.LSTM(3, 4, proj_size=2, batch_first=True)), _seq(2, 3, 3)),
    ModuleInfo("LSTM_2layers_dropout", lambda: Outputs(nn.LSTM(3, 3, num_layers=2,
                                                               dropout=0.5)),
               _seq(3, 2, 3), train_eval_differ=True, random=True),
    ModuleInfo("GRU_bidirectional_h0", lambda: Outputs(nn.GRU(3, 3, bidirectional=True)),
               _seq_and((3, 2, 3), (2, 2, 3))),
    ModuleInfo("GRU_unbatched_nobias", lambda: Outputs(nn.GRU(3, 4, bias=False)), _seq(4, 3)),
    ModuleInfo("RNNCell_loop", lambda: Outputs(nn.RNNCell(3, 4), _cell_loop),
               _seq_and((3, 2, 3), (2, 4))),
    ModuleInfo("GRUCell_loop", lambda: Outputs(nn.GRUCell(3, 4), _cell_loop),
               _seq_and((3, 2, 3), (2, 4))),
    ModuleInfo("LSTMCell_loop", lambda: Outputs(nn.LSTMCell(3, 4), _lstm_cell_loop),
               _seq(3, 2, 3)),
    ModuleInfo("LSTMCell_unbatched", lambda: Outputs(nn.LSTMCell(3, 4)), _seq(3)),
    ModuleInfo("MultiheadAttention", lambda: Outputs(nn.MultiheadAttention(4, 2), _attend()),
               _seq_and((3, 2, 4), (5, 2, 4), (5, 2, 4))),
    ModuleInfo("MultiheadAttention_self_causal_per_head",
               lambda: Outputs(nn.MultiheadAttention(4, 2, batch_first=True),
                               _self_attend(attn_mask=ag.tensor(np.triu(np.ones((3, 3),
                                                                                bool), 1)),
                                            average_attn_weights=False)),
               _seq(2, 3, 4)),
    ModuleInfo("MultiheadAttention_kdim_vdim_bias_kv",
               lambda: Outputs(nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True,
                                                     add_zero_attn=True),
                               _attend(need_weights=False)),
               _seq_and((3, 2, 4), (4, 2, 3), (4, 2, 5))),
    ModuleInfo("MultiheadAttention_dropout",
               lambda: Outputs(nn.MultiheadAttention(4, 2, dropout=0.5), _attend()),
               _seq_and((3, 2, 4), (3, 2, 4), (3, 2, 4)), train_eval_differ=True,
               random=True),
    ModuleInfo("TransformerEncoderLayer",
               lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0),
               _seq(3, 2, 4)),
    ModuleInfo("TransformerEncoderLayer_norm_first_gelu_causal",
               lambda: Outputs(nn.TransformerEncoderLayer(4, 2, 6, 0.0, "gelu",
                                                          norm_first=True), _causal),
               _seq(3, 2, 4)),
    ModuleInfo("TransformerEncoderLayer_dropout",
               lambda: nn.TransformerEncoderLayer(4, 2, 6, dropout=0.3, batch_first=True),
               _seq(2, 3, 4), train_eval_differ=True, random=True),
    ModuleInfo("TransformerDecoderLayer_padded_memory",
               lambda: Outputs(nn.TransformerDecoderLayer(4, 2, 6, 0.0), _padded_memory),
               _seq_and((2, 2, 4), (3, 2, 4))),
    ModuleInfo("TransformerEncoder_norm",
               lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, 0.0), 2,
                                             norm=nn.LayerNorm(4)), _seq(3, 2, 4)),
    ModuleInfo("TransformerDecoder",
               lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 6, 0.0), 2),
               _seq_and((2, 2, 4), (3, 2, 4))),
    ModuleInfo("Transformer",
               lambda: Outputs(nn.Transformer(4, 2, 1, 1, 6, dropout=0.0), _transformer),
               _seq_and((3, 2, 4), (2, 2, 4))),
]
