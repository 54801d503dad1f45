"""RNN, LSTM, GRU, their cells and nn.utils.rnn against PyTorch (weights loaded from PyTorch's
initialised modules: outputs, final states, gradients of the input, the initial states and
every parameter), plus checks that need no PyTorch: parameter layout and init, second
derivatives, packed sequences equal to running each sequence alone, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
)


def _close(a, b, **kw):
    """Ours and PyTorch's tensors (or arrays) equal within tolerance."""
    a, b = (t.numpy(force=True) if hasattr(t, "numpy") else t for t in (a, b))
    np.testing.assert_allclose(a, b, **kw)


CONFIGS = [
    ("RNN", dict()),
    ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ("RNN", dict(bias=False, bidirectional=True)),
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=2, batch_first=True)),
    ("LSTM", dict(num_layers=2, proj_size=3, bidirectional=True, bias=False)),
    ("GRU", dict()),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(bias=False)),
]


def _ids(cfg):
    name, kw = cfg
    return name + "".join(f"-{k}={v}" for k, v in kw.items())


def _pair(name, kw, torch, dtype="float64"):
    """(ours, theirs) with our module loaded from PyTorch's initialised weights (strict)."""
    theirs = getattr(torch.nn, name)(3, 5, **kw)
    ours = getattr(nn, name)(3, 5, **kw)
    if dtype == "float64":
        theirs.double()
        ours.double()
    res = ours.load_state_dict({k: ag.tensor(v.numpy(force=True).copy())
                                for k, v in theirs.state_dict().items()}, strict=True)
    assert not res.missing_keys and not res.unexpected_keys
    assert list(ours.state_dict()) == list(theirs.state_dict())
    return ours, theirs


def _states(name, kw, batch, rng, unbatched=False):
    d = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    h = kw.get("proj_size", 0) or 5
    shape = (layers * d, h) if unbatched else (layers * d, batch, h)
    h0 = rng.standard_normal(shape)
    if name != "LSTM":
        return (h0,)
    cshape = (layers * d, 5) if unbatched else (layers * d, batch, 5)
    return h0, rng.standard_normal(cshape)


def _run(module, x, states, lib):
    hx = None
    if states:
        hx = states[0] if len(states) == 1 else tuple(states)
    out, h = module(x, hx)
    finals = list(h) if isinstance(h, tuple) else [h]
    return out, finals


def _compare(ours, theirs, x_np, states_np, torch, atol=1e-10):
    xo = ag.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    so = [ag.tensor(s, requires_grad=True) for s in states_np]
    st = [torch.tensor(s, requires_grad=True) for s in states_np]
    out_o, fin_o = _run(ours, xo, so, ag)
    out_t, fin_t = _run(theirs, xt, st, torch)
    _close(out_o, out_t, atol=atol)
    for a, b in zip(fin_o, fin_t):
        _close(a, b, atol=atol)
    # a loss that uses every output, with different weights
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(tuple(t.shape)) for t in [out_t, *fin_t]]
    loss_o = sum((t * ag.tensor(w)).sum() for t, w in zip([out_o, *fin_o], ws))
    loss_t = sum((t * torch.tensor(w)).sum() for t, w in zip([out_t, *fin_t], ws))
    loss_o.backward()
    loss_t.backward()
    _close(xo.grad, xt.grad, atol=atol)
    for a, b in zip(so, st):
        _close(a.grad, b.grad, atol=atol)
    named_t = dict(theirs.named_parameters())
    for k, p in ours.named_parameters():
        _close(p.grad, named_t[k].grad, atol=atol,
                                   err_msg=k)


@pytest.mark.parametrize("cfg", CONFIGS, ids=_ids)
def test_layers_match_pytorch(cfg):
    torch = pytest.importorskip("torch")
    name, kw = cfg
    ours, theirs = _pair(name, kw, torch)
    rng = np.random.default_rng(0)
    shape = (2, 4, 3) if kw.get("batch_first") else (4, 2, 3)
    x = rng.standard_normal(shape)
    _compare(ours, theirs, x, [], torch)                               # zero initial state
    _compare(ours, theirs, x, _states(name, kw, 2, rng), torch)       # given h0 / (h0, c0)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    kw = dict(num_layers=2, bidirectional=True)
    ours, theirs = _pair(name, kw, torch)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3))
    _compare(ours, theirs, x, _states(name, kw, 0, rng, unbatched=True), torch)
    out, h = ours(ag.tensor(x))
    assert out.shape == (4, 10) and (h[0] if name == "LSTM" else h).shape == (4, 5)


def test_float32_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair("LSTM", dict(num_layers=2), torch, dtype="float32")
    x = np.random.default_rng(3).standard_normal((6, 3, 3)).astype(np.float32)
    out, (h, c) = ours(ag.tensor(x))
    tout, (th, tc) = theirs(torch.tensor(x))
    assert out.dtype == ag.float32 and h.dtype == ag.float32
    _close(out, tout, atol=1e-6)
    _close(c, tc, atol=1e-6)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_pytorch(name):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4).double()
    ours = getattr(nn, name)(3, 4).double()
    ours.load_state_dict({k: ag.tensor(v.numpy(force=True).copy())
                          for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((3, 2, 3))
    lstm = name == "LSTMCell"
    h_o = h_t = None
    xo = ag.tensor(xs, requires_grad=True)
    xt = torch.tensor(xs, requires_grad=True)
    for t in range(3):                       # a user's loop over time
        h_o = ours(xo[t], h_o)
        h_t = theirs(xt[t], h_t)
    fo, ft = (h_o[0] * h_o[1], h_t[0] * h_t[1]) if lstm else (h_o, h_t)
    _close(fo, ft, atol=1e-12)
    fo.sum().backward()
    ft.sum().backward()
    _close(xo.grad, xt.grad, atol=1e-12)
    for k, p in theirs.named_parameters():
        _close(getattr(ours, k).grad, p.grad, atol=1e-12)
    # unbatched, and relu
    x1 = rng.standard_normal(3)
    o = ours(ag.tensor(x1))
    t = theirs(torch.tensor(x1))
    o, t = (o[1], t[1]) if lstm else (o, t)
    _close(o, t, atol=1e-12)
    if name == "RNNCell":
        a, b = nn.RNNCell(3, 4, nonlinearity="relu").double(), \
            torch.nn.RNNCell(3, 4, nonlinearity="relu").double()
        a.load_state_dict({k: ag.tensor(v.numpy(force=True).copy())
                           for k, v in b.state_dict().items()})
        _close(a(ag.tensor(xs[0])), b(torch.tensor(xs[0])), atol=1e-12)


def test_packed_sequences_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _pair("GRU", dict(num_layers=2, bidirectional=True), torch)
    rng = np.random.default_rng(5)
    seqs = [rng.standard_normal((n, 3)) for n in (3, 5, 2)]
    so = [ag.tensor(s, requires_grad=True) for s in seqs]
    st = [torch.tensor(s, requires_grad=True) for s in seqs]
    po = pack_sequence(so, enforce_sorted=False)
    pt = torch.nn.utils.rnn.pack_sequence(st, enforce_sorted=False)
    assert po.batch_sizes.tolist() == pt.batch_sizes.tolist()
    assert po.sorted_indices.tolist() == pt.sorted_indices.tolist()
    h0 = rng.standard_normal((4, 3, 5))
    oo, ho = ours(po, ag.tensor(h0))
    ot, ht = theirs(pt, torch.tensor(h0))
    assert isinstance(oo, PackedSequence)
    _close(oo.data, ot.data, atol=1e-12)
    _close(ho, ht, atol=1e-12)
    pad_o, len_o = pad_packed_sequence(oo, batch_first=True)
    pad_t, len_t = torch.nn.utils.rnn.pad_packed_sequence(ot, batch_first=True)
    assert len_o.tolist() == len_t.tolist()
    _close(pad_o, pad_t, atol=1e-12)
    w = rng.standard_normal(tuple(pad_t.shape))
    ((pad_o * ag.tensor(w)).sum() + ho.sum()).backward()
    ((pad_t * torch.tensor(w)).sum() + ht.sum()).backward()
    for a, b in zip(so, st):
        _close(a.grad, b.grad, atol=1e-12)
    for k, p in theirs.named_parameters():
        _close(getattr(ours, k).grad, p.grad, atol=1e-12)


def test_rnn_utils_match_pytorch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as trnn
    rng = np.random.default_rng(6)
    seqs = [rng.standard_normal((n, 2)) for n in (4, 2, 3)]
    for kw in (dict(), dict(batch_first=True, padding_value=-1.0),
               dict(padding_side="left")):
        a = pad_sequence([ag.tensor(s) for s in seqs], **kw)
        b = trnn.pad_sequence([torch.tensor(s) for s in seqs], **kw)
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))
    padded = rng.standard_normal((4, 3, 2))
    for bf in (False, True):
        x = padded.transpose(1, 0, 2) if bf else padded
        a = pack_padded_sequence(ag.tensor(x), [2, 4, 3], batch_first=bf, enforce_sorted=False)
        b = trnn.pack_padded_sequence(torch.tensor(x), [2, 4, 3], batch_first=bf,
                                      enforce_sorted=False)
        np.testing.assert_array_equal(a.data.numpy(force=True), b.data.numpy(force=True))
        assert a.batch_sizes.tolist() == b.batch_sizes.tolist()
        assert a.unsorted_indices.tolist() == b.unsorted_indices.tolist()
        pa, la = pad_packed_sequence(a, batch_first=bf, padding_value=9.0, total_length=5)
        pb, lb = trnn.pad_packed_sequence(b, batch_first=bf, padding_value=9.0,
                                          total_length=5)
        np.testing.assert_array_equal(pa.numpy(force=True), pb.numpy(force=True))
        assert la.tolist() == lb.tolist() and la.dtype == ag.int64
    us = unpack_sequence(pack_sequence([ag.tensor(s) for s in seqs], enforce_sorted=False))
    for u, s in zip(us, seqs):
        np.testing.assert_array_equal(u.numpy(force=True), s)


BAD_UTILS = [
    ("pack_padded_sequence(X(3, 2, 4), [2, 3])", RuntimeError, "`lengths` array must be sorted"),
    ("pack_padded_sequence(X(3, 2, 4), [3, 0])", RuntimeError,
     "Length of all samples has to be greater than 0"),
    ("pad_sequence([X(2, 3), X(3, 4)])", RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton "
     "dimension 1"),
    ("pad_sequence([X(2, 3)], padding_side='middle')", RuntimeError,
     "Expected padding_side to be one of left or right, but got middle."),
    ("pad_sequence([])", RuntimeError, "received an empty list of sequences"),
    ("pad_packed_sequence(pack_sequence([X(3), X(2)]), total_length=2)", ValueError,
     "Expected total_length to be at least the length of the longest sequence"),
]


@pytest.mark.parametrize("expr,exc,msg", BAD_UTILS)
def test_rnn_utils_errors(expr, exc, msg):
    env = dict(X=lambda *s: ag.randn(*s), pack_padded_sequence=pack_padded_sequence,
               pad_sequence=pad_sequence, pad_packed_sequence=pad_packed_sequence,
               pack_sequence=pack_sequence)
    with pytest.raises(exc, match=msg):
        eval(expr, env)  # noqa: S307 - the table above
    torch = pytest.importorskip("torch")
    from torch.nn.utils import rnn as trnn
    env.update(X=lambda *s: torch.randn(*s), pack_padded_sequence=trnn.pack_padded_sequence,
               pad_sequence=trnn.pad_sequence, pad_packed_sequence=trnn.pad_packed_sequence,
               pack_sequence=trnn.pack_sequence)
    with pytest.raises(exc, match=msg):
        eval(expr, env)  # noqa: S307


def test_packed_length_beyond_the_input_is_an_error():
    with pytest.raises(ValueError, match="exceeds the 3 steps"):
        pack_padded_sequence(ag.randn(3, 2, 4), [4, 2])


# ---------------------------------------------------------------------------------------
# without PyTorch


def test_parameters_layout_and_init():
    m = nn.LSTM(3, 4, num_layers=2, proj_size=2, bidirectional=True)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                "weight_hr_l0"]
    assert shapes["weight_ih_l1"] == (16, 4) and shapes["weight_hh_l1_reverse"] == (16, 2)
    assert shapes["weight_hr_l1_reverse"] == (2, 4) and len(shapes) == 20
    assert all(np.abs(p.numpy(force=True)).max() <= 0.5 for p in m.parameters())
    g = nn.GRU(3, 20)
    vals = np.concatenate([p.numpy(force=True).ravel() for p in g.parameters()])
    assert np.abs(vals).max() <= 1 / np.sqrt(20) and np.abs(vals).max() > 0.2
    assert [len(w) for w in g.all_weights] == [4]
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)) == \
        "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert tuple(nn.GRUCell(3, 4).weight_hh.shape) == (12, 4)


def test_gate_equations_by_hand():
    """One LSTM and one GRU step written out from PyTorch's documented equations."""
    rng = np.random.default_rng(7)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), \
        rng.standard_normal((2, 4))
    sig = lambda v: 1 / (1 + np.exp(-v))   # noqa: E731
    cell = nn.LSTMCell(3, 4).double()
    W, U = cell.weight_ih.numpy(force=True), cell.weight_hh.numpy(force=True)
    b = cell.bias_ih.numpy(force=True) + cell.bias_hh.numpy(force=True)
    i, f, g, o = np.split(x @ W.T + h @ U.T + b, 4, axis=1)
    c2 = sig(f) * c + sig(i) * np.tanh(g)
    h2 = sig(o) * np.tanh(c2)
    ho, co = cell(ag.tensor(x), (ag.tensor(h), ag.tensor(c)))
    _close(ho, h2, atol=1e-12)
    _close(co, c2, atol=1e-12)
    gru = nn.GRUCell(3, 4).double()
    W, U = gru.weight_ih.numpy(force=True), gru.weight_hh.numpy(force=True)
    bi, bh = gru.bias_ih.numpy(force=True), gru.bias_hh.numpy(force=True)
    xr, xz, xn = np.split(x @ W.T + bi, 3, axis=1)
    hr, hz, hn = np.split(h @ U.T + bh, 3, axis=1)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn)                # b_hn inside the reset product
    _close(gru(ag.tensor(x), ag.tensor(h)), (1 - z) * n + z * h, atol=1e-12)


@pytest.mark.parametrize("name,kw", [("LSTM", dict(proj_size=2)), ("GRU", {}),
                                     ("RNN", dict(bidirectional=True))])
def test_second_derivatives(name, kw):
    m = getattr(nn, name)(2, 3, **kw).double()
    rng = np.random.default_rng(8)
    x = ag.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    d = 2 if kw.get("bidirectional") else 1
    h0 = ag.tensor(rng.standard_normal((d, 2, kw.get("proj_size", 3))), requires_grad=True)
    params = list(m.parameters())

    def f(x, h0, *ps):
        hx = (h0, ag.zeros(d, 2, 3, dtype=ag.float64)) if name == "LSTM" else h0
        out, h = m(x, hx)
        return out.tanh().sum() + (h[0] if name == "LSTM" else h).pow(2).sum()
    assert ag.gradgradcheck(f, (x, h0, *params[:2]))


@pytest.mark.parametrize("steps_per_chunk", [1, 3])
def test_lstm_kernel_in_chunks_of_steps_matches_pytorch(monkeypatch, steps_per_chunk):
    """The LSTM kernel prepares its operands and gate gradients in chunks of steps (sized
    for the L2 cache, so the tests' short sequences fit in one): forced into chunks of 1 or
    3 steps (the last one partial) over 7 steps, in both directions, with projections and
    a packed batch, it still gives PyTorch's outputs and gradients."""
    import nn.functional.rnn as rnn_kernels
    torch = pytest.importorskip("torch")
    per_step = 4 * 5 * 3 * 8               # (4 gates x hidden 5, batch 3) float64
    monkeypatch.setattr(rnn_kernels, "_CHUNK_BYTES", steps_per_chunk * per_step)
    kw = dict(proj_size=2, bidirectional=True)
    ours, theirs = _pair("LSTM", kw, torch)
    rng = np.random.default_rng(11)
    _compare(ours, theirs, rng.standard_normal((7, 3, 3)), _states("LSTM", kw, 3, rng), torch)
    seqs = [rng.standard_normal((n, 3)) for n in (7, 4, 6)]
    so = [ag.tensor(s, requires_grad=True) for s in seqs]
    st = [torch.tensor(s, requires_grad=True) for s in seqs]
    oo, (ho, co) = ours(pack_sequence(so, enforce_sorted=False))
    ot, (ht, ct) = theirs(torch.nn.utils.rnn.pack_sequence(st, enforce_sorted=False))
    _close(oo.data, ot.data, atol=1e-12)
    (oo.data.sum() + (ho * ho).sum() + co.sum()).backward()
    (ot.data.sum() + (ht * ht).sum() + ct.sum()).backward()
    for a, b in zip(so, st):
        _close(a.grad, b.grad, atol=1e-12)
    for k, p in theirs.named_parameters():
        _close(getattr(ours, k).grad, p.grad, atol=1e-12, err_msg=k)


def test_packed_equals_each_sequence_alone():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    rng = np.random.default_rng(9)
    seqs = [ag.tensor(rng.standard_normal((n, 3))) for n in (2, 5, 3)]
    out, (h, c) = m(pack_sequence(seqs, enforce_sorted=False))
    padded, lengths = pad_packed_sequence(out)
    for k, s in enumerate(seqs):
        alone, (ha, ca) = m(s)
        n = s.shape[0]
        _close(padded[:n, k], alone, atol=1e-12)
        assert np.all(padded[n:, k].numpy(force=True) == 0)
        _close(h[:, k], ha, atol=1e-12)
        _close(c[:, k], ca, atol=1e-12)
    assert lengths.tolist() == [2, 5, 3]


def test_dropout_between_layers_and_warning():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = ag.randn(5, 2, 3)
    m.eval()
    a, b = m(x)[0].numpy(force=True), m(x)[0].numpy(force=True)
    np.testing.assert_array_equal(a, b)
    m.train()
    assert not np.array_equal(m(x)[0].numpy(force=True), a)


def test_no_graph_under_no_grad_and_memory_released():
    m = nn.LSTM(3, 4)
    with ag.no_grad():
        out, (h, c) = m(ag.randn(4, 2, 3))
    assert out.grad_fn is None and h.grad_fn is None
    out, (h, c) = m(ag.randn(4, 2, 3))
    node = out.grad_fn
    (out.sum() + c.sum()).backward()
    assert node.kernel is None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()


BAD = [
    ("nn.RNN(3, 4)(X(2, 2, 2, 3))", ValueError,
     "RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
    ("nn.LSTM(3, 4)(X(3))", ValueError, "LSTM: Expected input to be 2D or 3D, got 1D instead"),
    ("nn.GRU(3, 4)(X(2, 2, 2, 3))", ValueError,
     "GRU: Expected input to be 2D or 3D, got 4D instead"),
    ("nn.LSTM(3, 4)(X(5, 2, 6))", RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 3, got 6"),
    ("nn.GRU(3, 4)(X(5, 6))", RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 3, got 6"),
    ("nn.GRU(3, 4)(X(5, 2, 3), X(1, 3, 4))", RuntimeError,
     "Expected hidden size (1, 2, 4), got [1, 3, 4]"),
    ("nn.RNN(3, 4)(X(5, 2, 3), X(2, 4))", RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    ("nn.RNN(3, 4)(X(5, 3), X(1, 2, 4))", RuntimeError,
     "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    ("nn.LSTM(3, 4)(X(5, 2, 3), (X(1, 3, 4), X(1, 2, 4)))", RuntimeError,
     "Expected hidden[0] size (1, 2, 4), got [1, 3, 4]"),
    ("nn.LSTM(3, 4)(X(5, 2, 3), (X(1, 2, 4), X(1, 2, 5)))", RuntimeError,
     "Expected hidden[1] size (1, 2, 4), got [1, 2, 5]"),
    ("nn.LSTM(3, 4)(X(5, 2, 3), (X(2, 4), X(1, 2, 4)))", RuntimeError,
     "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 3-D) tensors"),
    ("nn.LSTM(3, 4, proj_size=2)(X(5, 2, 3), (X(1, 2, 4), X(1, 2, 4)))", RuntimeError,
     "Expected hidden[0] size (1, 2, 2), got [1, 2, 4]"),
    ("nn.LSTMCell(3, 4)(X(2, 5))", RuntimeError,
     "input has inconsistent input_size: got 5 expected 3"),
    ("nn.GRUCell(3, 4)(X(2, 2, 3))", ValueError,
     "GRUCell: Expected input to be 1D or 2D, got 3D instead"),
    ("nn.GRUCell(3, 4)(X(2, 3), X(3, 4))", RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    ("nn.RNNCell(3, 4)(X(2, 3), X(2, 5))", RuntimeError,
     "hidden0 has inconsistent hidden_size: got 5, expected 4"),
    ("nn.LSTMCell(3, 4)(X(2, 3), (X(2, 4), X(2, 5)))", RuntimeError,
     "hidden1 has inconsistent hidden_size: got 5, expected 4"),
    ("nn.RNNCell(3, 4)(X(2, 3), X(2, 2, 4))", ValueError,
     "RNNCell: Expected hidden to be 1D or 2D, got 3D instead"),
    ("nn.RNN(3, 4, proj_size=2)", ValueError,
     "proj_size argument is only supported for LSTM, not RNN or GRU"),
    ("nn.LSTM(3, 4, proj_size=4)", ValueError, "proj_size has to be smaller than hidden_size"),
    ("nn.RNN(3, 4, nonlinearity='sigmoid')", ValueError,
     "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."),
    ("nn.LSTM(3, 4, dropout=1.5)", ValueError,
     "dropout should be a number in range [0, 1] representing the probability of an element "
     "being zeroed"),
]


@pytest.mark.parametrize("expr,exc,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_input(expr, exc, msg):
    with pytest.raises(exc) as e:
        eval(expr, dict(nn=nn, X=lambda *s: ag.randn(*s)))  # noqa: S307 - the table above
    assert str(e.value) == msg


@pytest.mark.parametrize("expr,exc,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_input_as_pytorch(expr, exc, msg):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(), pytest.raises(exc) as e:
        warnings.simplefilter("ignore")
        eval(expr, dict(nn=torch.nn, X=lambda *s: torch.randn(*s)))  # noqa: S307
    assert str(e.value) == msg


@pytest.mark.parametrize("expr", [
    "nn.GRU(3, 4)(X(5, 2, 3), X(1, 2, 4, dtype=ag.float64))",
    "nn.LSTM(3, 4)(X(5, 2, 3), (X(1, 2, 4), X(1, 2, 4, dtype=ag.float64)))",
    "nn.GRUCell(3, 4)(X(2, 3), X(2, 4, dtype=ag.float64))",
])
def test_initial_state_of_another_dtype(expr):
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got "
                                           "Double and Float"):
        eval(expr, dict(nn=nn, ag=ag, X=lambda *s, **k: ag.randn(*s, **k)))  # noqa: S307


def test_dtype_mismatch():
    with pytest.raises(ValueError, match=r"RNN input dtype \(autograd.float64\) does not match "
                                         r"weight dtype \(autograd.float32\)"):
        nn.LSTM(3, 4)(ag.randn(5, 2, 3, dtype=ag.float64))


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_retain_graph_backward_twice_gives_the_same_gradient(name):
    """The kernels' buffers are read, never written, by backward."""
    m = getattr(nn, name)(3, 4, bidirectional=True).double()
    x = ag.randn(5, 2, 3, dtype=ag.float64, requires_grad=True)
    out = m(x)[0]
    loss = (out * out).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    loss.backward()
    np.testing.assert_array_equal(first, x.grad.numpy())
