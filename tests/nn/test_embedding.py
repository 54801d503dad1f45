"""Embedding: lookup, padding_idx, max_norm, scale_grad_by_freq, from_pretrained, errors,
and PyTorch itself when installed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_db.nn_conv_ops import ref_embedding

rng = np.random.default_rng(3)


def test_lookup_and_accumulated_gradient():
    w = rng.standard_normal((5, 3))
    idx = np.array([[0, 2, 2], [4, 2, 1]])
    wt = ag.tensor(w, requires_grad=True)
    out = F.embedding(ag.tensor(idx), wt)
    np.testing.assert_array_equal(out.detach().numpy(), ref_embedding(idx, w))
    assert out.grad_fn.name() == "EmbeddingBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(wt.grad.numpy()[:, 0], [1, 1, 3, 0, 1])   # counts per row
    assert ag.gradgradcheck(lambda t: F.embedding(ag.tensor(idx), t) ** 2, (wt,))


def test_padding_idx_row_is_zero_and_gets_no_gradient():
    ag.manual_seed(0)
    emb = nn.Embedding(6, 4, padding_idx=-2)
    assert emb.padding_idx == 4
    np.testing.assert_array_equal(emb.weight.detach().numpy()[4], 0)
    w = emb.weight.detach().numpy()
    assert abs(w.std() - 1) < 0.5                         # N(0, 1) init
    emb(ag.tensor([[4, 1], [4, 4]])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[4], 0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], 1)


def test_from_pretrained_and_repr():
    w = ag.tensor([[1., 2.], [3., 4.], [5., 6.]])
    emb = nn.Embedding.from_pretrained(w)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(emb(ag.tensor([2, 0])).numpy(), [[5, 6], [1, 2]])
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    assert repr(nn.Embedding(100, 16)) == "Embedding(100, 16)"
    assert repr(nn.Embedding(10, 3, padding_idx=0, max_norm=1.0)) == \
        "Embedding(10, 3, padding_idx=0, max_norm=1.0)"
    assert list(nn.Embedding(3, 2).state_dict()) == ["weight"]
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dim"):
        nn.Embedding.from_pretrained(ag.zeros(3))


def test_max_norm_renormalises_looked_up_rows_in_place():
    w = ag.tensor([[3., 4.], [0.3, 0.4], [6., 8.]])
    out = F.embedding(ag.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(out.numpy(), axis=1), [1.0, 0.5], rtol=1e-6)
    np.testing.assert_allclose(w.numpy()[2], [6, 8])      # row not looked up: unchanged
    np.testing.assert_allclose(w.numpy()[0], [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.embedding(ag.tensor([5]), ag.randn(3, 2)), IndexError, "index out of range in self"),
    (lambda: F.embedding(ag.tensor([-1]), ag.randn(3, 2)), IndexError,
     "index out of range in self"),
    (lambda: F.embedding(ag.tensor([1.]), ag.randn(3, 2)), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
     "Long, Int; but got autograd.FloatTensor instead (while checking arguments for embedding)"),
    (lambda: nn.Embedding(10, 3, padding_idx=10), AssertionError,
     "Padding_idx must be within num_embeddings"),
])
def test_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 2, 1], [2, 2, 4]])
    for kw in [{}, dict(padding_idx=2), dict(scale_grad_by_freq=True, padding_idx=-1),
               dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0)]:
        w = rng.standard_normal((5, 3)) * 2
        tw, aw = torch.tensor(w, requires_grad=True), ag.tensor(w, requires_grad=True)
        to = torch.nn.functional.embedding(torch.tensor(idx), tw, **kw)
        ao = F.embedding(ag.tensor(idx), aw, **kw)
        up = rng.standard_normal(to.shape)
        to.backward(torch.tensor(up))
        ao.backward(ag.tensor(up))
        np.testing.assert_allclose(ao.detach().numpy(), to.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(aw.grad.numpy(), tw.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(aw.detach().numpy(), tw.detach().numpy(), atol=1e-12)
