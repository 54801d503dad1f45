"""Attention: `scaled_dot_product_attention` (one fused node) and
`multi_head_attention_forward` (what nn.MultiheadAttention runs), as in PyTorch.

The fused node keeps the softmax's exponentials E (one L x S array per head, P = E / its
row sums: the output's rows are divided, not E), the only quadratic array of the forward
besides the dropout mask; softmax runs in place on the scores. Its backward builds one
more: dP = g @ v^T, turned in place into the scores' gradient P * (dP - rowsum(dP * P)).
Under `create_graph=True` the backward is the same formula in Tensor ops, with P
recomputed from the saved q and k so that it is differentiable again.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

import autograd as ag
from autograd.function import Node
from autograd.ops.base import needs_graph
from autograd.ops.reduction import row_max, row_sum
from autograd.random import _bernoulli_mask
from autograd.tensor import Tensor, _make

from .dropout import dropout as _dropout
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}


def _c_name(t: Tensor) -> str:
    """The C++ name of a tensor's dtype, as PyTorch's attention errors print it."""
    return _C_NAMES.get(str(t.dtype).split(".")[-1], str(t.dtype))


def _causal(length: int, source: int) -> np.ndarray:
    """Top-left aligned causal mask (L, S): query i sees keys 0..i."""
    return np.tri(length, source, dtype=bool)


@functools.lru_cache(maxsize=16)
def _causal_additive(length: int, source: int, dtype: str) -> np.ndarray:
    """The causal mask as 0 / -inf to add to the scores (one pass, ~3x faster than a masked
    copy), kept for the next call of the same size (read-only)."""
    add = np.zeros((length, source), dtype)
    add[~_causal(length, source)] = -np.inf
    add.flags.writeable = False
    return add


def _check_sdpa(q: Tensor, k: Tensor, v: Tensor, attn_mask) -> None:
    for name, t in (("query", q), ("key", k), ("value", v)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, "
                            f"not {type(t).__name__}")
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: "
                           f"{v.ndim} instead.")
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_c_name(q)} key.dtype: "
                           f"{_c_name(k)} and value.dtype: {_c_name(v)} "
                           "instead.")
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key must have the same "
                           f"embedding size, got query {list(q.shape)} and key {list(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same "
                           f"sequence length, got key {list(k.shape)} and value "
                           f"{list(v.shape)}")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError("scaled_dot_product_attention(): argument 'attn_mask' must be "
                            f"Tensor, not {type(attn_mask).__name__}")
        md = attn_mask._data.dtype
        if md.kind != "b" and md != q._data.dtype:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {_c_name(attn_mask)} and  query.dtype: "
                f"{_c_name(q)} instead.")


def _scores_shape(q: Tensor, k: Tensor, v: Tensor, attn_mask) -> tuple:
    """The (..., L, S) shape the scores broadcast to, with PyTorch's error if they do not."""
    shapes = [tuple(q.shape[:-1]) + (k.shape[-2],), tuple(k.shape[:-2]) + (1, 1),
              tuple(v.shape[:-2]) + (1, 1)]
    if attn_mask is not None:
        shapes.append(tuple(attn_mask.shape))
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        from autograd.ops.base import shape_mismatch
        for other in shapes[1:]:
            try:
                np.broadcast_shapes(shapes[0], other)
            except ValueError:
                raise shape_mismatch("scaled_dot_product_attention", np.empty(shapes[0]),
                                     np.empty(other)) from None
        raise


class ScaledDotProductAttentionBackward0(Node):
    """out = dropout(softmax(q k^T * scale + mask)) @ v. Inputs: q, k, v and, if it needs a
    gradient, the float mask."""

    _plain = False   # release() also drops the probabilities
    probs = None

    def release(self) -> None:
        super().release()
        self.probs = self.inv = self.keep = None

    def _need(self) -> list:
        return [e[0] is not None for e in self.next_functions]

    def backward_fast(self, g):
        saved = self.saved_data()
        q, k, v, out = saved[:3] + saved[-1:]
        need = self._need()
        e, inv, s = self.probs, self.inv, self.scale      # P = e * inv, per row
        gi = g * inv
        ed = e if self.keep is None else e * self.keep
        dv = np.matmul(ed.swapaxes(-1, -2), gi) if need[2] else None
        ds = np.matmul(gi, v.swapaxes(-1, -2))           # dP * inv (after dropout): the one
        if self.keep is not None:                         # new quadratic array, in place
            ds *= self.keep
        # rowsum(dP * P) = g . (P_dropped @ v) = g . out: no quadratic temporary
        ds -= np.einsum("...i,...i->...", g, out)[..., None] * inv
        ds *= e                                           # the scores' gradient
        dq = np.matmul(ds, k) * s if need[0] else None
        dk = np.matmul(ds.swapaxes(-1, -2), q) * s if need[1] else None
        return (dq, dk, dv) + ((ds,) if len(need) > 3 else ())

    def backward(self, g):
        """In Tensor ops, with the probabilities recomputed from q and k (create_graph)."""
        saved = self.saved()[:-1]   # (the output is recomputed here)
        q, k, v = saved[:3]
        mask = saved[3] if len(saved) > 3 else self.const_mask
        need = self._need()
        p = _probs_tensor(q, k, mask, self.keep_mask, self.dead, self.scale)
        keep = None if self.keep is None else _make(self.keep)
        pd = p if keep is None else p * keep
        dv = pd.transpose(-1, -2) @ g if need[2] else None
        dp = g @ v.transpose(-1, -2)
        if keep is not None:
            dp = dp * keep
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        dq = (ds @ k) * self.scale if need[0] else None
        dk = (ds.transpose(-1, -2) @ q) * self.scale if need[1] else None
        return (dq, dk, dv) + ((ds,) if len(need) > 3 else ())


def _probs_tensor(q, k, mask, keep_mask, dead, scale) -> Tensor:
    """softmax(q k^T * scale + mask) in Tensor ops; rows with every key masked give 0."""
    s = (q @ k.transpose(-1, -2)) * scale
    if mask is not None:
        s = s + mask
    if keep_mask is not None:
        s = s.masked_fill(_make(~keep_mask), float("-inf"))
    if dead is not None:
        d = _make(dead)
        return ag.where(d, 0.0, ag.where(d, 0.0, s).softmax(-1))
    return s.softmax(-1)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) @ v over the last two dims, batch dims broadcast.

    q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev). `attn_mask` broadcasts to
    (..., L, S): bool True = take part, float = added to the scores. `is_causal` masks
    query i from keys after i (top-left aligned; PyTorch 2.13 refuses it together with
    `attn_mask`). `scale` defaults to 1/sqrt(E). Dropout with `dropout_p` is always applied
    (there is no training flag). A row whose keys are all masked gives 0. With
    `enable_gqa`, k and v may have fewer heads (dim -3) than q; they are shared in groups.
    """
    q, k, v = query, key, value
    _check_sdpa(q, k, v, attn_mask)
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k, v = (t.unsqueeze(-3).expand(*t.shape[:-2], rep, *t.shape[-2:])
                .reshape(*t.shape[:-3], t.shape[-3] * rep, *t.shape[-2:]) for t in (k, v))
    shape = _scores_shape(q, k, v, attn_mask)
    L, S = shape[-2], shape[-1]
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    qd, kd, vd = q._data, k._data, v._data
    dt = qd.dtype
    float_mask = keep_mask = None
    if attn_mask is not None:
        if attn_mask._data.dtype.kind == "b":
            keep_mask = attn_mask._data
        else:
            float_mask = attn_mask
    if is_causal:
        keep_mask = _causal(L, S)
    scores = np.matmul(qd * np.asarray(s, dt), kd.swapaxes(-1, -2))   # the one quadratic
    if float_mask is not None:
        fm = float_mask._data
        if np.broadcast_shapes(scores.shape, fm.shape) == scores.shape:
            scores += fm
        else:
            scores = scores + fm
    if scores.shape != shape:
        scores = np.ascontiguousarray(np.broadcast_to(scores, shape))
    if keep_mask is not None:
        scores += _causal_additive(L, S, dt.str) if is_causal else \
            np.where(keep_mask, dt.type(0), dt.type(-np.inf))
    rows = scores.reshape(-1, S)                           # (a view: scores is fresh)
    m = row_max(rows)[:, None] if rows.size else np.zeros((rows.shape[0], 1), dt)
    dead = ~np.isfinite(m)                                 # rows with every key masked
    if dead.any():
        m[dead] = 0
    else:
        dead = None
    rows -= m
    np.exp(rows, out=rows)
    total = row_sum(rows)[:, None]
    total[total == 0] = 1                                  # (dead rows, or no keys: out 0)
    if dead is not None:
        dead = dead.reshape(shape[:-1] + (1,))
    # the exponentials stay unnormalised (E): the output's rows are divided instead
    inv = (1 / total).astype(dt, copy=False).reshape(shape[:-1] + (1,))
    keep = None
    if dropout_p > 0.0:
        if dropout_p >= 1.0:
            keep = np.zeros(shape, dt)
        else:
            keep = _bernoulli_mask(shape, 1.0 - dropout_p) * np.asarray(1 / (1 - dropout_p), dt)
        out = np.matmul(scores * keep, vd)
    else:
        out = np.matmul(scores, vd)
    out *= inv
    inputs = (q, k, v) + ((float_mask,) if float_mask is not None and float_mask._rg else ())
    if not needs_graph(*inputs):
        return _make(out)
    n = ScaledDotProductAttentionBackward0(inputs)
    n.probs, n.inv, n.keep, n.scale, n.keep_mask, n.dead = scores, inv, keep, s, keep_mask, dead
    n.const_mask = None if len(inputs) > 3 else float_mask
    n.save(*inputs)
    res = _make(out, n)
    n.save_output(res)
    return res


# ---------------------------------------------------------------------------------------
# multi-head attention


def _canonical_mask(mask: Tensor | None, name: str, other: Tensor | None, other_name: str,
                    dtype, check_other: bool = True) -> Tensor | None:
    """A bool mask (True = masked) as a float mask of -inf and 0; float masks as they are."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind != "b" and kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if check_other and other is not None and other.dtype != mask.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same "
                      "type for both instead.", stacklevel=3)
    if kind == "b":
        return _make(np.where(mask._data, -np.inf, 0).astype(dtype.np))
    return mask


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                     "instead")
            if attn_mask.ndim == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate) -> tuple:
    """q, k, v = the three projections (one matmul when query, key and value are one
    tensor)."""
    E = query.shape[-1] if separate is None else separate[0].shape[0]
    if separate is None and query is key and key is value:
        qkv = linear(query, in_proj_weight, in_proj_bias)
        return qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
    if separate is None:
        w_q, w_k, w_v = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
    else:
        w_q, w_k, w_v = separate
    if in_proj_bias is None:
        b_q = b_k = b_v = None
    else:
        b_q, b_k, b_v = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple:
    """Multi-head attention on (L, N, E) query and (S, N, E_k/E_v) key/value (or unbatched
    (L, E), (S, E)), as PyTorch's F.multi_head_attention_forward: returns (output, weights);
    weights (the attention probabilities after dropout, averaged over heads unless
    `average_attn_weights=False`) only with `need_weights`, else None. Without weights the
    fused `scaled_dot_product_attention` runs (a row with every key masked gives 0); with
    them, the explicit softmax (such a row gives NaN), as in PyTorch."""
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    dtype = query.dtype
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask,
                                       "attn_mask", dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        separate = None
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate)
    src_len = key.shape[0]
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if bias_k is not None and bias_v is not None:
        k = ag.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = ag.cat([v, bias_v.expand(1, bsz, embed_dim)])
        if attn_mask is not None:
            attn_mask = ag.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = ag.pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k is set but bias_v is None" if bias_k is not None else
                             "bias_v is set but bias_k is None")
    # (L, N, E) -> (N, heads, L, head_dim)
    q = q.reshape(tgt_len, bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    k = (k.reshape(k.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)
         if static_k is None else static_k.reshape(bsz, num_heads, -1, head_dim))
    v = (v.reshape(v.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)
         if static_v is None else static_v.reshape(bsz, num_heads, -1, head_dim))
    if add_zero_attn:
        zeros = ag.zeros(bsz, num_heads, 1, head_dim, dtype=dtype)
        k, v = ag.cat([k, zeros], 2), ag.cat([v, zeros], 2)
        if attn_mask is not None:
            attn_mask = ag.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = ag.pad(key_padding_mask, (0, 1))
    src_len = k.shape[2]
    if attn_mask is not None:   # (1 or N*heads, L, S) -> (1 or N, 1 or heads, L, S)
        attn_mask = attn_mask.reshape(-1 if attn_mask.shape[0] == 1 else bsz,
                                      1 if attn_mask.shape[0] == 1 else num_heads,
                                      tgt_len, src_len)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            which, want, got = (0, bsz, key_padding_mask.shape[0]) \
                if key_padding_mask.shape[0] != bsz else (1, src_len, key_padding_mask.shape[1])
            raise AssertionError(f"Expected key_padded_mask.shape[{which}] to be {want}, but "
                                 f"got {got}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        with np.errstate(invalid="ignore"):   # a row with every key masked: NaN, as PyTorch
            weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = _dropout(weights, p=dropout_p)
        out = weights @ v
    else:
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        weights = None
    out = out.permute(2, 0, 1, 3).reshape(tgt_len, bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    if weights is not None and average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        out = out.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return out, weights
