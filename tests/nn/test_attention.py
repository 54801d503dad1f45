"""scaled_dot_product_attention, MultiheadAttention and the Transformer layers against
PyTorch (weights loaded from PyTorch's initialised modules, strict: outputs, attention
weights, gradients of inputs and every parameter), plus checks without PyTorch: second
derivatives, fully masked rows, memory of the fused attention node, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def _np(t):
    return t.numpy(force=True) if hasattr(t, "numpy") else np.asarray(t)


def _close(a, b, atol=1e-10, **kw):
    np.testing.assert_allclose(_np(a), _np(b), atol=atol, **kw)


def _load(ours, theirs):
    res = ours.load_state_dict({k: ag.tensor(v.numpy(force=True).copy())
                                for k, v in theirs.state_dict().items()}, strict=True)
    assert not res.missing_keys and not res.unexpected_keys
    assert list(ours.state_dict()) == list(theirs.state_dict())
    return ours


def _grads_match(ours, theirs, atol=1e-10):
    named = dict(theirs.named_parameters())
    seen = 0
    for k, p in ours.named_parameters():
        tp = named[k]
        if tp.grad is None:
            assert p.grad is None or not np.any(_np(p.grad)), k
            continue
        _close(p.grad, tp.grad, atol=atol, err_msg=k)
        seen += 1
    assert seen


# ---------------------------------------------------------------------------------------
# scaled_dot_product_attention

SDPA_CASES = [
    dict(),
    dict(is_causal=True),
    dict(is_causal=True, source=7),                  # top-left aligned, L != S
    dict(is_causal=True, source=3),
    dict(mask="bool"),
    dict(mask="float"),
    dict(mask="float", scale=0.3),
    dict(mask="bool_dead"),                         # a row with every key masked: zeros
    dict(mask="float_dead"),
    dict(batch=(2, 1), kv_batch=(1, 3)),             # broadcast batch dims
    dict(gqa=True),
    dict(two_d=True),
]


def _sdpa_inputs(case, rng):
    L, S = 4, case.get("source", 5)
    qb = case.get("batch", (2, 3))
    kb = case.get("kv_batch", qb)
    if case.get("two_d"):
        qb = kb = ()
    hq = qb[-1] if qb else None
    if case.get("gqa"):
        qb, kb = (2, 4), (2, 2)
    q = rng.standard_normal((*qb, L, 6))
    k = rng.standard_normal((*kb, S, 6))
    v = rng.standard_normal((*kb, S, 3))
    mask = None
    kind = case.get("mask")
    if kind and kind.startswith("bool"):
        mask = rng.random((L, S)) > 0.3
        mask[:, 0] = True
        if kind == "bool_dead":
            mask[1] = False
    elif kind and kind.startswith("float"):
        mask = rng.standard_normal((L, S))
        if kind == "float_dead":
            mask[2] = -np.inf
    del hq
    return q, k, v, mask


@pytest.mark.parametrize("case", SDPA_CASES, ids=str)
def test_sdpa_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    q, k, v, mask = _sdpa_inputs(case, rng)
    kw = dict(is_causal=case.get("is_causal", False), scale=case.get("scale"),
              enable_gqa=case.get("gqa", False))
    float_mask = mask is not None and mask.dtype != bool
    ours = [ag.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    mo = None if mask is None else ag.tensor(mask, requires_grad=float_mask)
    mt = None if mask is None else torch.tensor(mask, requires_grad=float_mask)
    out_o = F.scaled_dot_product_attention(*ours, attn_mask=mo, **kw)
    out_t = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=mt, **kw)
    _close(out_o, out_t)
    w = rng.standard_normal(tuple(out_t.shape))
    (out_o * ag.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        _close(a.grad, b.grad)
    if float_mask:
        _close(mo.grad, torch.nan_to_num(mt.grad))   # PyTorch: NaN under a row of -inf


def test_sdpa_fully_masked_rows_are_zero_with_zero_gradients():
    q = ag.randn(2, 3, 4, dtype=ag.float64, requires_grad=True)
    k = ag.randn(2, 5, 4, dtype=ag.float64, requires_grad=True)
    v = ag.randn(2, 5, 2, dtype=ag.float64, requires_grad=True)
    keep = np.ones((3, 5), bool)
    keep[0] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=ag.tensor(keep))
    assert np.all(_np(out)[:, 0] == 0) and np.isfinite(_np(out)).all()
    out.sum().backward()
    assert np.all(_np(q.grad)[:, 0] == 0) and np.isfinite(_np(k.grad)).all()


def test_sdpa_dropout_statistics_and_no_training_flag():
    ag.manual_seed(0)
    q = ag.zeros(1, 200, 4)
    k = ag.zeros(1, 50, 4)
    v = ag.ones(1, 50, 1)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25)
    vals = _np(out).ravel()    # each is (kept keys / 50) / 0.75: mean 1, never all equal
    assert abs(vals.mean() - 1) < 0.05 and vals.std() > 0.01
    assert np.all(_np(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)) == 0)


@pytest.mark.parametrize("kw", [dict(), dict(is_causal=True), dict(dropout_p=0.3)])
def test_sdpa_second_derivatives(kw):
    rng = np.random.default_rng(1)
    q, k, v = (ag.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((2, 3, 4), (2, 4, 4), (2, 4, 2)))
    m = ag.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def f(q, k, v, *m):
        ag.manual_seed(7)       # the same dropout mask at every evaluation
        return F.scaled_dot_product_attention(q, k, v, *m, **kw)
    inputs = (q, k, v) if kw.get("is_causal") else (q, k, v, m)
    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(f, inputs)


def test_sdpa_keeps_one_quadratic_array_per_pass():
    """Forward: the probabilities are the scores' buffer (softmax in place); backward: one
    new (L, S) array per head, turned into the scores' gradient in place."""
    import tracemalloc
    L = 256
    q, k, v = (ag.randn(1, 2, L, 8, requires_grad=True) for _ in range(3))
    quad = 2 * L * L * 4                     # one float32 (heads, L, S) array
    F.scaled_dot_product_attention(q, k, v, is_causal=True)   # (caches the (L, S) mask)
    tracemalloc.start()
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    fwd_peak = tracemalloc.get_traced_memory()[1]
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    out.sum().backward()
    bwd_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert fwd_peak < 1.6 * quad, fwd_peak / quad
    assert bwd_peak < 1.6 * quad, bwd_peak / quad
    assert out.grad_fn.probs is None    # released after backward


SDPA_BAD = [
    ("Q(2, 3, 4, 8), K(2, 3, 5, 8), V(2, 3, 5, 6), attn_mask=M((4, 5), 'long')", RuntimeError,
     "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
     "attn_mask.dtype: long int and  query.dtype: float instead."),
    ("Q(2, 3, 4, 8), K(2, 3, 5, 8), V(2, 3, 5, 6), attn_mask=M((4, 5), 'float64')",
     RuntimeError, "Expected attn_mask dtype to be bool or float or to match query dtype, but "
     "got attn_mask.dtype: double and  query.dtype: float instead."),
    ("Q(2, 3, 4, 8), K(2, 3, 5, 8), V(2, 3, 5, 6), attn_mask=M((4, 6), 'float32')",
     RuntimeError, "The size of tensor a (5) must match the size of tensor b (6) at "
     "non-singleton dimension 3"),
    ("Q(2, 4, 8), K(2, 4, 8), V(2, 4, 6), attn_mask=M((4, 4), 'bool'), is_causal=True",
     RuntimeError, "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
     "is_causal=True"),
    ("Q(8), K(8), V(8)", RuntimeError, "Expected query, key, and value to all be  at least 2 "
     "dimensional, but got query.dim: 1 key.dim: 1 and value.dim: 1 instead."),
    ("Q(2, 3, 4, 8), K(2, 3, 5, 8, dtype='float64'), V(2, 3, 5, 6)", RuntimeError,
     "Expected query, key, and value to have the same dtype, but got query.dtype: float "
     "key.dtype: double and value.dtype: float instead."),
    ("Q(2, 3, 4, 8), K(3, 3, 5, 8), V(3, 3, 5, 6)", RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
     "dimension 0"),
]


def _sdpa_env(lib):
    def make(*shape, dtype="float32"):
        return lib.randn(*shape, dtype=getattr(lib, dtype))

    def mask(shape, dtype):
        return lib.zeros(*shape, dtype=getattr(lib, dtype))
    return dict(Q=make, K=make, V=make, M=mask)


@pytest.mark.parametrize("args,exc,msg", SDPA_BAD)
def test_sdpa_bad_input(args, exc, msg):
    with pytest.raises(exc) as e:
        eval(f"F.scaled_dot_product_attention({args})",   # noqa: S307 - the table above
             dict(F=F, **_sdpa_env(ag)))
    assert msg in str(e.value)     # (a broadcasting error also names the op and the shapes)
    torch = pytest.importorskip("torch")
    with pytest.raises(exc) as e:
        eval(f"F.scaled_dot_product_attention({args})",   # noqa: S307
             dict(F=torch.nn.functional, **_sdpa_env(torch)))
    assert str(e.value) == msg


def test_sdpa_mismatched_embedding_is_an_error():
    with pytest.raises(RuntimeError, match="query and key must have the same embedding size"):
        F.scaled_dot_product_attention(ag.randn(2, 4, 8), ag.randn(2, 5, 7), ag.randn(2, 5, 3))


# ---------------------------------------------------------------------------------------
# MultiheadAttention

MHA_CASES = [
    dict(),
    dict(bias=False),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(kdim=4, vdim=6),
    dict(batch_first=True),
    dict(call=dict(key_padding_mask="bool")),
    dict(call=dict(attn_mask="bool")),
    dict(call=dict(attn_mask="float3d")),
    dict(call=dict(attn_mask="causal", is_causal=True, need_weights=False)),
    dict(call=dict(key_padding_mask="bool", need_weights=False)),
    dict(call=dict(average_attn_weights=False)),
    dict(call=dict(need_weights=False)),
    dict(unbatched=True, call=dict(key_padding_mask="bool")),
    dict(self_attention=True, batch_first=True, call=dict(attn_mask="causal")),
]


def _mha_call(case, rng, lib, L=3, S=5, N=2, E=8):
    ctor = {k: v for k, v in case.items() if k not in ("call", "unbatched", "self_attention")}
    kdim, vdim = ctor.get("kdim", E), ctor.get("vdim", E)
    unb = case.get("unbatched")
    bf = ctor.get("batch_first") and not unb
    if case.get("self_attention"):
        S = L

    def seq(n, d):
        shape = (n, d) if unb else ((N, n, d) if bf else (n, N, d))
        return rng.standard_normal(shape)
    q = seq(L, E)
    k, v = (q, q) if case.get("self_attention") else (seq(S, kdim), seq(S, vdim))
    call = dict(case.get("call", {}))
    if call.get("key_padding_mask") == "bool":
        kpm = rng.random((S,) if unb else (N, S)) > 0.6
        kpm[..., 0] = False
        call["key_padding_mask"] = kpm
    am = call.get("attn_mask")
    if am == "bool":
        m = rng.random((L, S)) > 0.7
        m[:, 0] = False
        call["attn_mask"] = m
    elif am == "float3d":
        call["attn_mask"] = rng.standard_normal((N * 2, L, S))
    elif am == "causal":
        call["attn_mask"] = np.triu(np.full((L, S), -np.inf), 1)
    return ctor, (q, k, v), call


def _to(lib, call):
    return {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}


@pytest.mark.parametrize("case", MHA_CASES, ids=str)
def test_multihead_attention_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    ctor, arrays, call = _mha_call(case, rng, np)
    theirs = torch.nn.MultiheadAttention(8, 2, **ctor).double()
    ours = _load(nn.MultiheadAttention(8, 2, **ctor).double(), theirs)
    if case.get("self_attention"):
        xo = ag.tensor(arrays[0], requires_grad=True)
        xt = torch.tensor(arrays[0], requires_grad=True)
        ins_o, ins_t = [xo] * 3, [xt] * 3
    else:
        ins_o = [ag.tensor(a, requires_grad=True) for a in arrays]
        ins_t = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_o, w_o = ours(*ins_o, **_to(ag, call))
    out_t, w_t = theirs(*ins_t, **_to(torch, call))
    _close(out_o, out_t)
    assert (w_o is None) == (w_t is None)
    loss_o = (out_o * out_o).sum()
    loss_t = (out_t * out_t).sum()
    if w_o is not None:
        _close(w_o, w_t)
        loss_o = loss_o + (w_o * w_o).sum()
        loss_t = loss_t + (w_t * w_t).sum()
    loss_o.backward()
    loss_t.backward()
    for a, b in zip(ins_o, ins_t):
        _close(a.grad, b.grad)
    _grads_match(ours, theirs)


def test_multihead_attention_fully_masked_rows():
    """As PyTorch: NaN with need_weights=True (explicit softmax), 0 with need_weights=False
    (the fused path)."""
    m = nn.MultiheadAttention(4, 2)
    x = ag.randn(3, 1, 4)
    kpm = ag.tensor([[True, True, True]])
    out, w = m(x, x, x, key_padding_mask=kpm)
    assert np.isnan(_np(out)).all() and np.isnan(_np(w)).all()
    out, w = m(x, x, x, key_padding_mask=kpm, need_weights=False)
    assert w is None and np.all(_np(out) == _np(m.out_proj.bias))


def test_multihead_attention_parameters():
    m = nn.MultiheadAttention(8, 2)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes == {"in_proj_weight": (24, 8), "in_proj_bias": (24,),
                      "out_proj.weight": (8, 8), "out_proj.bias": (8,)}
    bound = np.sqrt(6 / 32)
    assert np.abs(_np(m.in_proj_weight)).max() <= bound
    assert np.all(_np(m.in_proj_bias) == 0) and np.all(_np(m.out_proj.bias) == 0)
    m = nn.MultiheadAttention(8, 2, kdim=4, vdim=6, add_bias_kv=True)
    assert list(m.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                    "in_proj_bias", "bias_k", "bias_v", "out_proj.weight",
                                    "out_proj.bias"]
    assert "NonDynamicallyQuantizableLinear(in_features=8, out_features=8" in repr(m)


MHA_BAD = [
    ("nn.MultiheadAttention(8, 3)", AssertionError, "embed_dim must be divisible by num_heads"),
    ("nn.MultiheadAttention(0, 2)", ValueError,
     "embed_dim and num_heads must be greater than 0, got embed_dim=0 and num_heads=2 instead"),
    ("nn.MultiheadAttention(8, 2)(X(3, 2, 8), X(5, 2, 8), X(5, 2, 8), attn_mask=B(3, 4))",
     RuntimeError, "The shape of the 2D attn_mask is {S(3, 4)}, but should be (3, 5)."),
    ("nn.MultiheadAttention(8, 2)(X(3, 2, 8), X(5, 2, 8), X(5, 2, 8), attn_mask=B(2, 3, 5))",
     RuntimeError, "The shape of the 3D attn_mask is {S(2, 3, 5)}, but should be (4, 3, 5)."),
    ("nn.MultiheadAttention(8, 2)(X(3, 2, 8), X(5, 2, 8), X(5, 2, 8), "
     "key_padding_mask=B(2, 4))", AssertionError,
     "Expected key_padded_mask.shape[1] to be 5, but got 4"),
    ("nn.MultiheadAttention(8, 2)(X(3, 2, 8), X(5, 8), X(5, 8))", AssertionError,
     "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found 2-D and 2-D "
     "tensors respectively"),
    ("nn.MultiheadAttention(8, 2)(X(3, 2, 6), X(5, 2, 6), X(5, 2, 6))", AssertionError,
     "was expecting embedding dimension of 8, but got 6"),
    ("nn.MultiheadAttention(8, 2)(X(3, 2, 8), X(5, 2, 8), X(5, 2, 8), attn_mask=I(3, 5))",
     AssertionError, "only bool and floating types of attn_mask are supported"),
    ("nn.MultiheadAttention(8, 2)(X(3, 2, 8), X(3, 2, 8), X(3, 2, 8), is_causal=True)",
     RuntimeError, "Need attn_mask if specifying the is_causal hint. You may use the "
     "Transformer module method `generate_square_subsequent_mask` to create this mask."),
]


def _mha_env(lib, size_name):
    return dict(nn=lib.nn if hasattr(lib, "nn") else nn, X=lambda *s: lib.randn(*s),
                B=lambda *s: lib.zeros(*s, dtype=lib.bool),
                I=lambda *s: lib.zeros(*s, dtype=lib.int64))


@pytest.mark.parametrize("expr,exc,msg", MHA_BAD)
def test_multihead_attention_bad_input(expr, exc, msg):
    env = dict(nn=nn, X=lambda *s: ag.randn(*s), B=lambda *s: ag.zeros(*s, dtype=ag.bool),
               I=lambda *s: ag.zeros(*s, dtype=ag.int64))
    with pytest.raises(exc) as e:
        eval(expr, env)  # noqa: S307 - the table above
    assert str(e.value) == msg.replace("{S", "autograd.Size(").replace(")}", "])") \
        .replace("Size((", "Size([")
    torch = pytest.importorskip("torch")
    tenv = dict(nn=torch.nn, X=lambda *s: torch.randn(*s),
                B=lambda *s: torch.zeros(*s, dtype=torch.bool),
                I=lambda *s: torch.zeros(*s, dtype=torch.int64))
    with pytest.raises(exc) as e:
        eval(expr, tenv)  # noqa: S307
    assert str(e.value) == msg.replace("{S", "torch.Size(").replace(")}", "])") \
        .replace("Size((", "Size([")


def test_mismatched_mask_types_warn():
    m = nn.MultiheadAttention(4, 2)
    x = ag.randn(3, 1, 4)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                         "attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=ag.zeros(1, 3, dtype=ag.bool), attn_mask=ag.zeros(3, 3))


# ---------------------------------------------------------------------------------------
# Transformer layers

LAYER_CASES = [
    ("enc", dict()),
    ("enc", dict(norm_first=True, activation="gelu")),
    ("enc", dict(batch_first=True, activation="relu", call="causal")),
    ("enc", dict(call="padding")),
    ("enc", dict(bias=False, call="bool_mask")),
    ("dec", dict()),
    ("dec", dict(norm_first=True, batch_first=True, call="causal")),
    ("dec", dict(activation="gelu", call="padding")),
]


def _layer_inputs(kind, kw, rng, lib, N=2, L=4, S=5, E=8):
    bf = kw.get("batch_first")
    shape = (lambda n: (N, n, E)) if bf else (lambda n: (n, N, E))
    call = kw.get("call")
    args, kwargs = [rng.standard_normal(shape(L))], {}
    if kind == "dec":
        args.append(rng.standard_normal(shape(S)))
    mask_name = "src_mask" if kind == "enc" else "tgt_mask"
    pad_name = "src_key_padding_mask" if kind == "enc" else "memory_key_padding_mask"
    if call == "causal":
        kwargs[mask_name] = np.triu(np.full((L, L), -np.inf), 1)
        kwargs["is_causal" if kind == "enc" else "tgt_is_causal"] = True
    elif call == "padding":
        n = L if kind == "enc" else S
        p = np.zeros((N, n), bool)
        p[0, -2:] = True
        kwargs[pad_name] = p
    elif call == "bool_mask":
        m = rng.random((L, L)) > 0.7
        np.fill_diagonal(m, False)
        kwargs[mask_name] = m
    return args, kwargs


@pytest.mark.parametrize("case", LAYER_CASES, ids=str)
def test_transformer_layers_match_pytorch(case):
    torch = pytest.importorskip("torch")
    kind, kw = case
    ctor = {k: v for k, v in kw.items() if k != "call"}
    name = "TransformerEncoderLayer" if kind == "enc" else "TransformerDecoderLayer"
    theirs = getattr(torch.nn, name)(8, 2, dim_feedforward=16, dropout=0.0, **ctor).double()
    ours = _load(getattr(nn, name)(8, 2, dim_feedforward=16, dropout=0.0, **ctor).double(),
                 theirs)
    rng = np.random.default_rng(3)
    args, kwargs = _layer_inputs(kind, kw, rng, np)
    ao = [ag.tensor(a, requires_grad=True) for a in args]
    at = [torch.tensor(a, requires_grad=True) for a in args]
    out_o = ours(*ao, **_to(ag, kwargs))
    out_t = theirs(*at, **_to(torch, kwargs))
    _close(out_o, out_t)
    w = rng.standard_normal(tuple(out_t.shape))
    (out_o * ag.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    for a, b in zip(ao, at):
        _close(a.grad, b.grad)
    _grads_match(ours, theirs)


def test_encoder_decoder_and_transformer_match_pytorch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # PyTorch's nested-tensor notice
        theirs = torch.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, activation=torch.tanh,
                                      norm_first=True).double()
    ours = _load(nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, activation=ag.tanh,
                                norm_first=True).double(), theirs)
    assert "encoder.norm.weight" in ours.state_dict() and \
        "decoder.layers.0.multihead_attn.in_proj_weight" in ours.state_dict()
    rng = np.random.default_rng(4)
    src, tgt = rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 8))
    mask_o = nn.Transformer.generate_square_subsequent_mask(4, dtype=ag.float64)
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    so, to = ag.tensor(src, requires_grad=True), ag.tensor(tgt, requires_grad=True)
    st, tt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    out_o = ours(so, to, tgt_mask=mask_o)
    out_t = theirs(st, tt, tgt_mask=mask_t)
    _close(out_o, out_t)
    out_o.pow(2).sum().backward()
    out_t.pow(2).sum().backward()
    _close(so.grad, st.grad)
    _close(to.grad, tt.grad)
    _grads_match(ours, theirs)


def test_transformer_defaults_and_init():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.Transformer(16, 2, 1, 1, 32)
    ours = nn.Transformer(16, 2, 1, 1, 32)
    sd_o, sd_t = ours.state_dict(), theirs.state_dict()
    assert list(sd_o) == list(sd_t)
    for k in sd_t:
        assert tuple(sd_o[k].shape) == tuple(sd_t[k].shape), k
        if sd_t[k].ndim > 1:   # xavier_uniform_ bound
            bound = np.sqrt(6 / sum(sd_t[k].shape))
            assert np.abs(_np(sd_o[k])).max() <= bound + 1e-7, k
    layer = nn.TransformerEncoderLayer(8, 2)
    assert layer.dropout.p == 0.1 and layer.self_attn.dropout == 0.1
    assert layer.linear1.out_features == 2048 and layer.activation is F.relu
    m = nn.Transformer.generate_square_subsequent_mask(4)
    assert m.dtype == ag.float32
    np.testing.assert_array_equal(_np(m), torch.nn.Transformer.generate_square_subsequent_mask(4))


def test_transformer_errors():
    t = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        t(ag.randn(3, 2, 8), ag.randn(3, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal "
                                           "to d_model"):
        t(ag.randn(3, 2, 8), ag.randn(3, 2, 6))


def test_encoder_second_derivatives():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0,
                                       activation="gelu").double()
    x = ag.randn(3, 2, 4, dtype=ag.float64, requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=ag.float64)
    assert ag.gradgradcheck(lambda x: layer(x, src_mask=mask, is_causal=True), (x,))


def test_sdpa_retain_graph_backward_twice_gives_the_same_gradient():
    q = ag.randn(2, 3, 4, dtype=ag.float64, requires_grad=True)
    k, v = ag.randn(2, 5, 4, dtype=ag.float64), ag.randn(2, 5, 3, dtype=ag.float64)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    loss = (out * out).sum()
    loss.backward(retain_graph=True)
    first = _np(q.grad).copy()
    q.grad = None
    loss.backward()
    np.testing.assert_array_equal(first, _np(q.grad))
