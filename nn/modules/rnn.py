"""Recurrent layers: RNN, LSTM, GRU and their one-step cells, with PyTorch's parameters
(names, shapes, gate order, initialisation), inputs, outputs and errors.

Each layer and direction computes its input projection for all steps in one matmul and
runs the recurrence in one node (nn/functional/rnn.py).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import autograd as ag
from autograd.ops.linalg import linear as _linear
from autograd.tensor import Tensor, _make

from .. import functional as F
from .. import init
from ..functional.rnn import GATES, rnn_layer
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _packed_positions, pad_packed_sequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _type_check(name: str, value, kind: type) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                        f"{type(value).__name__}")


class RNNBase(Module):
    """The parameters and the forward shared by RNN, LSTM and GRU.

    Per layer and direction (suffix `_l{k}`, `_reverse` for the backward direction):
    `weight_ih (G*H, in)`, `weight_hh (G*H, H_out)`, `bias_ih`, `bias_hh (G*H,)`, and for
    an LSTM with `proj_size` P, `weight_hr (P, H)`; G = 1 (RNN), 3 (GRU), 4 (LSTM);
    every one U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or \
                not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        _type_check("bias", bias, bool)
        _type_check("batch_first", batch_first, bool)
        _type_check("input_size", input_size, int)
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        _type_check("hidden_size", hidden_size, int)
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, \
            proj_size
        dt = dtype if dtype is not None else ag.get_default_dtype()
        gate_size = GATES[mode] * hidden_size
        out_size = proj_size if proj_size > 0 else hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_in = input_size if layer == 0 else out_size * directions
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate_size, layer_in)),
                          ("weight_hh", (gate_size, out_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(ag.empty(*shape, dtype=dt)))
                    names.append(name + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op (PyTorch packs the weights for cuDNN here)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- checks (PyTorch's messages) -----------------------------------------------------
    @property
    def _is_lstm(self) -> bool:
        return self.mode == "LSTM"

    def _check_input(self, x: Tensor, packed: bool) -> None:
        w = self.weight_ih_l0
        if x.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({x.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({x.dtype})")
        expected = 2 if packed else 3
        if x.ndim != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {x.ndim}")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")

    def _check_hidden(self, hx: Tensor, expected: tuple, which: str) -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {which} size {expected}, got {list(hx.shape)}")

    # ---- forward -------------------------------------------------------------------------
    def forward(self, input, hx=None):
        """(output, h_n), or (output, (h_n, c_n)) for an LSTM. `input` (L, N, in) (or
        (N, L, in) with batch_first), unbatched (L, in), or a PackedSequence (then the
        output is one too); `hx` the initial state(s), zeros if None."""
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(self.mode, self.mode)
        packed = isinstance(input, PackedSequence)
        lstm = self._is_lstm
        directions = 2 if self.bidirectional else 1
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        batched = True
        if packed:
            x, batch_sizes, sorted_indices, unsorted_indices = input
            self._check_input(x, True)
            bs = batch_sizes._data.astype(np.int64)
            batch = int(bs[0])
        else:
            x, bs, sorted_indices, unsorted_indices = input, None, None, None
            if x.ndim not in (2, 3):
                tail = " tensor" if name == "RNN" else ""
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {x.ndim}D"
                                 f"{tail} instead")
            batched = x.ndim == 3
            if not batched:
                x = x.unsqueeze(0 if self.batch_first else 1)
            self._check_input(x, False)
            batch = x.shape[0 if self.batch_first else 1]
        state_shape = (self.num_layers * directions, batch, out_size)
        cell_shape = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            h0 = ag.zeros(state_shape, dtype=x.dtype)
            c0 = ag.zeros(cell_shape, dtype=x.dtype) if lstm else None
        else:
            h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
            if not packed:
                want = 3 if batched else 2
                dims = (h0.ndim, c0.ndim) if lstm else (h0.ndim,)
                if any(d != want for d in dims):
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    if lstm:
                        raise RuntimeError(f"For {kind} input, hx and cx should also be "
                                           f"{want}-D but got ({dims[0]}-D, {dims[1]}-D) "
                                           "tensors")
                    raise RuntimeError(f"For {kind} input, hx should also be {want}-D but "
                                       f"got {dims[0]}-D tensor")
                if not batched:
                    h0 = h0.unsqueeze(1)
                    c0 = None if c0 is None else c0.unsqueeze(1)
            if sorted_indices is not None:
                h0 = h0.index_select(1, sorted_indices)
                c0 = None if c0 is None else c0.index_select(1, sorted_indices)
            self._check_hidden(h0, state_shape, "hidden[0]" if lstm else "hidden")
            if lstm:
                self._check_hidden(c0, cell_shape, "hidden[1]")
            _check_state_dtypes((h0, c0), self.weight_hh_l0)
        if packed:
            steps = PackedSequence(x, batch_sizes)
            x = pad_packed_sequence(steps)[0]
            mask = _mask(bs, batch, x._data.dtype)
        else:
            mask = None
            if self.batch_first:
                x = x.transpose(0, 1)
        out, h_n, c_n = self._layers(x, h0, c0, mask)
        if packed:
            t, n = _packed_positions(bs)
            out = out[_make(t), _make(n)]
            result = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = h_n.index_select(1, unsorted_indices)
                c_n = None if c_n is None else c_n.index_select(1, unsorted_indices)
        else:
            if self.batch_first:
                out = out.transpose(0, 1)
            if not batched:
                out = out.squeeze(0 if self.batch_first else 1)
                h_n = h_n.squeeze(1)
                c_n = None if c_n is None else c_n.squeeze(1)
            result = out
        return result, ((h_n, c_n) if lstm else h_n)

    def _layers(self, x: Tensor, h0: Tensor, c0: Tensor | None, mask) -> tuple:
        """Run every layer and direction over time-major x (L, N, in)."""
        directions = 2 if self.bidirectional else 1
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                p = dict(zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"),
                             [None] * 5))
                for name in self._all_weights[k]:
                    p[name.split("_l")[0]] = getattr(self, name)
                b_ih, b_hh = p["bias_ih"], p["bias_hh"]
                if b_hh is not None and self.mode != "GRU":
                    # both biases in the projection: one pass over (L, N, G*H), not two (a
                    # GRU's b_hn stays inside its reset product)
                    b_ih, b_hh = b_ih + b_hh, None
                xg = _linear(x, p["weight_ih"], b_ih)
                out, h, c = rnn_layer(self.mode, xg, h0[k], None if c0 is None else c0[k],
                                      p["weight_hh"], b_hh, p["weight_hr"],
                                      reverse=direction == 1, mask=mask)
                outs.append(out)
                hs.append(h)
                cs.append(c)
            x = outs[0] if directions == 1 else ag.cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, ag.stack(hs), (None if c0 is None else ag.stack(cs))


def _check_state_dtypes(states: tuple, weight: Tensor) -> None:
    """Initial states must have the weights' dtype (PyTorch's wording)."""
    for s in states:
        if s is not None and s.dtype != weight.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{s.dtype._legacy} and {weight.dtype._legacy}")


def _mask(batch_sizes: np.ndarray, batch: int, dtype) -> np.ndarray:
    """(L, N, 1): 1 where row n's sequence is running at step t (rows sorted by length)."""
    return (np.arange(batch)[None, :] < batch_sizes[:, None]).astype(dtype)[:, :, None]


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        nonlinearity = self.nonlinearity
        super().__init__(modes[nonlinearity], *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; c' = f c + i g, h' = o tanh(c')
    (times W_hr^T with `proj_size`). Returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h' = (1 - z) n + z h."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---------------------------------------------------------------------------------------
# Cells: one step, called in a Python loop by the user


class RNNCellBase(Module):
    """weight_ih (G*H, in), weight_hh (G*H, H), bias_ih, bias_hh (G*H,); U(-1/sqrt(H), .)."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = dtype if dtype is not None else ag.get_default_dtype()
        self.weight_ih = Parameter(ag.empty(num_chunks * hidden_size, input_size, dtype=dt))
        self.weight_hh = Parameter(ag.empty(num_chunks * hidden_size, hidden_size, dtype=dt))
        if bias:
            self.bias_ih = Parameter(ag.empty(num_chunks * hidden_size, dtype=dt))
            self.bias_hh = Parameter(ag.empty(num_chunks * hidden_size, dtype=dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, input: Tensor, states: tuple, mode: str) -> tuple:
        """One step for a batch (N, in) and states (N, H): the new (h, c)."""
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        for k, s in enumerate(states):
            if s.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match "
                                   f"hidden{k} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                   f"{s.shape[1]}, expected {self.hidden_size}")
        _check_state_dtypes((input,) + tuple(states), self.weight_ih)
        xg = _linear(input, self.weight_ih, self.bias_ih).unsqueeze(0)
        c0 = states[1] if len(states) > 1 else None
        _, h, c = rnn_layer(mode, xg, states[0], c0, self.weight_hh, self.bias_hh)
        return h, c

    def _forward(self, input: Tensor, hx, n_states: int, mode: str):
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             "instead")
        states = None if hx is None else ((hx,) if n_states == 1 else tuple(hx))
        if states is not None:
            for k, s in enumerate(states):
                if s.ndim not in (1, 2):
                    what = "hidden" if n_states == 1 else f"hx[{k}]"
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.ndim}D "
                                     "instead")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            zeros = ag.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            states = (zeros,) * n_states
        elif not batched:
            states = tuple(s.unsqueeze(0) for s in states)
        h, c = self._step(input, states, mode)
        if not batched:
            h = h.squeeze(0)
            c = None if c is None else c.squeeze(0)
        return h if n_states == 1 else (h, c)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._forward(input, hx, 1, modes[self.nonlinearity])


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        return self._forward(input, hx, 2, "LSTM")


class GRUCell(RNNCellBase):
    """One GRU step: returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._forward(input, hx, 1, "GRU")
