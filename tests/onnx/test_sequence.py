"""Recurrent layers, MultiheadAttention and the Transformer layers, exported with dynamic
batch and sequence axes and run by onnxruntime at other sizes."""

from __future__ import annotations

import pytest

import autograd as ag
import nn

from .harness import check

if not hasattr(nn, "MultiheadAttention"):   # the sequence layers have not landed yet
    pytest.skip("no sequence layers", allow_module_level=True)


def _x(*shape):
    return ag.randn(*shape)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_stack_batch_first_bidirectional(cls):
    ag.manual_seed(0)
    model = getattr(nn, cls)(3, 5, num_layers=2, batch_first=True, bidirectional=True)
    check(model, (_x(2, 4, 3),), others=((_x(3, 7, 3),), (_x(1, 1, 3),)), dynamic={0: [0, 1]})


def test_lstm_with_initial_states_and_dynamic_sequence():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4)
            self.head = nn.Linear(4, 2)

        def forward(self, x, h0, c0):
            out, (h, c) = self.lstm(x, (h0, c0))
            return self.head(out[-1]), h, c

    ag.manual_seed(0)
    model = Net()
    args = (_x(5, 2, 3), _x(1, 2, 4), _x(1, 2, 4))
    model.eval()
    names = ["x", "h0", "c0"]
    axes = {"x": {0: "seq", 1: "batch"}, "h0": {1: "batch"}, "c0": {1: "batch"}}
    from .harness import export_bytes, outputs_of, session
    sess = session(export_bytes(model, args, input_names=names, dynamic_axes=axes))
    for shape in ((5, 2), (8, 3), (1, 1)):
        inputs = (_x(*shape, 3), _x(1, shape[1], 4), _x(1, shape[1], 4))
        got = sess.run(None, dict(zip(names, (t.numpy() for t in inputs))))
        for g, w in zip(got, outputs_of(model, inputs)):
            assert abs(g - w).max() < 1e-5


def test_cells_unrolled_over_a_fixed_length():
    class Unrolled(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = nn.GRUCell(3, 4)

        def forward(self, xs):
            h = None
            for t in range(xs.shape[0]):
                h = self.cell(xs[t], h)
            return h

    ag.manual_seed(0)
    check(Unrolled(), (_x(3, 2, 3),), others=((_x(3, 6, 3),),), dynamic={0: [1]})


def test_multihead_self_attention_batch_first():
    ag.manual_seed(0)

    class SelfAttn(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            out, weights = self.mha(x, x, x)
            return out, weights

    check(SelfAttn(), (_x(2, 5, 8),), others=((_x(3, 2, 8),), (_x(1, 6, 8),)),
          dynamic={0: [0, 1]})


def test_transformer_encoder_with_a_causal_mask_made_in_forward():
    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
            self.enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8),
                                             enable_nested_tensor=False)

        def forward(self, x):
            mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
            return self.enc(x, mask=mask, is_causal=True)

    ag.manual_seed(0)
    check(Encoder(), (_x(2, 5, 8),), others=((_x(3, 3, 8),), (_x(1, 7, 8),)),
          dynamic={0: [0, 1]})


def test_transformer_decoder_layer_with_memory():
    ag.manual_seed(0)
    model = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.1)
    check(model, (_x(4, 2, 8), _x(6, 2, 8)), others=((_x(4, 5, 8), _x(6, 5, 8)),),
          dynamic={0: [1], 1: [1]})
