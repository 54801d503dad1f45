"""Converters of the sequence ops: scaled_dot_product_attention (MultiheadAttention and
the Transformer layers reach ONNX through it and the ops around it) and the recurrent
layer (RNN, LSTM, GRU and their cells, one layer and direction per call).

The recurrent layer receives its input projections x W_ih^T + b_ih already computed (a
Linear before it, exported on its own); it becomes ONNX's RNN/LSTM/GRU op with that as
its input, a 0/1 matrix as input weights that puts the gates in ONNX's order (LSTM i f g o
-> i o f c, GRU r z n -> z r h), and the recurrent weights and biases reordered in the
graph (so that the initializers keep their state_dict names).
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .graph import Graph, converts

try:   # these ops arrive with the sequence layers
    from nn.functional.attention import scaled_dot_product_attention
    from nn.functional.rnn import GATES, rnn_layer
except ImportError:   # pragma: no cover - before they land
    scaled_dot_product_attention = rnn_layer = None


def _swap_last(g: Graph, v: str, ndim: int) -> str:
    perm = list(range(ndim))
    perm[-2], perm[-1] = perm[-1], perm[-2]
    return g.op("Transpose", v, perm=perm)


def attention(g: Graph, q: Tensor, k: Tensor, v: Tensor, attn_mask=None, is_causal=False,
              scale=None) -> str:
    """softmax(q k^T * scale + mask) v; rows whose keys are all masked give 0."""
    d = q._data.dtype
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = g.op("Mul", g.op("MatMul", g.v(q), _swap_last(g, g.v(k), k.ndim)), g.scalar(s, d))
    keep = None
    if attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            keep = g.v(attn_mask)
        else:
            scores = g.op("Add", scores, g.vt(attn_mask, d))
    if is_causal:
        if g.opset < 14:
            raise g.unsupported(why="is_causal needs opset 14 (Trilu)")
        qd, kd = g.dims(q), g.dims(k)
        ones = g.op("ConstantOfShape", g.ints([qd[-2], kd[-2]]),
                    value=_one_value(np.float32))
        keep = g.op("Cast", g.op("Trilu", ones, upper=0), to=9)
    if keep is not None:
        scores = g.op("Where", keep, scores, g.scalar(-np.inf, d))
    probs = g.op("Softmax", scores, axis=-1)
    if attn_mask is not None or is_causal:
        probs = g.op("Where", g.op("IsNaN", probs), g.scalar(0.0, d), probs)
    return g.op("MatMul", probs, g.v(v))


def _one_value(dtype):
    from onnx import numpy_helper
    return numpy_helper.from_array(np.ones(1, dtype), "value")


if scaled_dot_product_attention is not None:
    @converts(scaled_dot_product_attention)
    def _sdpa(g: Graph, query, key, value, attn_mask=None, dropout_p: float = 0.0,
              is_causal: bool = False, scale=None, enable_gqa: bool = False) -> str:
        if dropout_p > 0:
            raise g.unsupported(why="dropout_p > 0 (it is always random)")
        if query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
            raise g.unsupported(why="grouped-query attention (enable_gqa)")
        return attention(g, query, key, value, attn_mask, is_causal, scale)


# ---- recurrent layers ------------------------------------------------------------------------
_ONNX_GATES = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def _reordered(g: Graph, v: str, order: list, hidden: int) -> str:
    """The gate blocks (rows of `hidden`) of v in the given order."""
    if order == list(range(len(order))):
        return v
    blocks = [g.op("Slice", v, g.ints([i * hidden]), g.ints([(i + 1) * hidden]), g.ints([0]))
              for i in order]
    return g.op("Concat", *blocks, axis=0)


if rnn_layer is not None:
    @converts(rnn_layer)
    def _rnn_layer(g: Graph, mode: str, xg, h0, c0, w_hh, b_hh, w_hr=None,
                   reverse: bool = False, mask=None) -> tuple:
        if w_hr is not None:
            raise g.unsupported(why="an LSTM with proj_size (ONNX's LSTM has no projection)")
        if mask is not None:
            raise g.unsupported(why="packed sequences")
        d = xg._data.dtype
        gates = GATES[mode]
        hidden = w_hh.shape[0] // gates
        order = _ONNX_GATES[mode]
        size = gates * hidden
        pick = np.zeros((1, size, size), d)   # row r of ONNX's gates takes column src[r]
        src = [i * hidden + j for i in order for j in range(hidden)]
        pick[0, np.arange(size), src] = 1
        w = g.const(pick)
        r = g.op("Unsqueeze", _reordered(g, g.v(w_hh), order, hidden), g.ints([0]))
        b = None
        if b_hh is not None:
            zeros = g.const(np.zeros(size, d))
            b = g.op("Unsqueeze", g.op("Concat", zeros, _reordered(g, g.v(b_hh), order,
                                                                  hidden), axis=0), g.ints([0]))
        states = [g.op("Unsqueeze", g.v(h0), g.ints([0]))]
        op_type = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
        attrs = dict(hidden_size=hidden, direction="reverse" if reverse else "forward")
        if mode == "GRU":
            attrs["linear_before_reset"] = 1
        if mode == "RNN_RELU":
            attrs["activations"] = ["Relu"]
        if mode == "LSTM":
            states.append(g.op("Unsqueeze", g.v(c0), g.ints([0])))
        outs = g.op(op_type, g.v(xg), w, r, b, None, *states, outputs=3 if mode == "LSTM" else 2,
                    **attrs)
        y = g.op("Squeeze", outs[0], g.ints([1]))
        h_n = g.op("Squeeze", outs[1], g.ints([0]))
        c_n = g.op("Squeeze", outs[2], g.ints([0])) if mode == "LSTM" else None
        return y, h_n, c_n
