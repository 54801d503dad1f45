"""Embedding and EmbeddingBag: lookup, bags (sum, mean, max; offsets, per-sample weights),
padding_idx, max_norm, scale_grad_by_freq, from_pretrained, errors,
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


@pytest.mark.parametrize("n,v,d", [(512, 65, 64), (768, 65, 16), (300, 5, 8), (200, 100, 8),
                                   (100, 3, 1), (1000, 2, 9), (70, 70, 8)])
def test_scattered_rows_sum_in_row_order_to_the_bit(n, v, d):
    """The embedding's weight gradient for indices that repeat evenly sums each index's
    rows one after another in the order of the rows, as np.add.at (and PyTorch's CPU
    loop): bitwise the same numbers, also with a padding row."""
    from nn.functional.sparse import _scatter_rows
    r = np.random.default_rng(n + d)
    idx = r.integers(0, v, n)
    rows = (r.standard_normal((n, d)) * 100).astype(np.float32)
    expect = np.zeros((v, d), np.float32)
    np.add.at(expect, idx, rows)
    np.testing.assert_array_equal(_scatter_rows(idx, rows, v), expect)
    w = ag.zeros(v, d, requires_grad=True)
    F.embedding(ag.tensor(idx.reshape(-1, 2) if n % 2 == 0 else idx), w,
                padding_idx=1).backward(ag.tensor(rows.reshape((-1, 2, d) if n % 2 == 0
                                                               else (-1, d))))
    expect[1] = 0
    np.testing.assert_array_equal(w.grad.numpy(), expect)


@pytest.mark.parametrize("v,dtype", [(65, np.float32), (65, np.float64), (9000, np.float32)])
def test_scattered_rows_with_one_index_far_more_frequent(v, dtype):
    """Skewed indices (a text's spaces): a small table takes the one-hot product, a large
    one np.add.at; the sums as np.add.at's to rounding."""
    from nn.functional.sparse import _scatter_rows
    r = np.random.default_rng(v)
    idx = np.r_[np.zeros(400, int), r.integers(0, v, 700)]
    r.shuffle(idx)
    rows = r.standard_normal((idx.size, 32)).astype(dtype)
    expect = np.zeros((v, 32), dtype)
    np.add.at(expect, idx, rows)
    got = _scatter_rows(idx, rows, v)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expect, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("create_graph", [False, True])
def test_padding_row_gradient_is_zero_even_for_nan_upstream(create_graph):
    w = ag.zeros(5, 3, dtype=ag.float64, requires_grad=True)
    out = F.embedding(ag.tensor([[1, 3], [3, 2]]), w, padding_idx=3)
    up = np.ones((2, 2, 3))
    up[0, 1] = np.nan
    g, = ag.grad(out, [w], ag.tensor(up), create_graph=create_graph)
    np.testing.assert_array_equal(g.detach().numpy(), [[0] * 3, [1] * 3, [1] * 3, [0] * 3,
                                                      [0] * 3])


def test_embedding_gradient_bitwise_as_pytorch():
    """float32, evenly repeated indices: the same bits as PyTorch (NaN in a padding row
    stays out)."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(7)
    idx = r.integers(0, 65, (16, 32))
    up = r.standard_normal((16, 32, 64)).astype(np.float32)
    up[idx == 3] = np.nan
    grads = []
    for lib in (ag, torch):
        w = lib.zeros(65, 64, requires_grad=True)
        emb = F.embedding if lib is ag else torch.nn.functional.embedding
        emb(lib.tensor(idx), w, padding_idx=3).backward(lib.tensor(up))
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("kw", [{}, dict(padding_idx=3), dict(scale_grad_by_freq=True),
                                dict(scale_grad_by_freq=True, padding_idx=0)])
def test_array_backward_matches_tensor_backward_and_pytorch(kw):
    """The weight gradient on arrays (a plain backward: sorted indices, one sum per run)
    equals the Tensor-op rule's (create_graph) and PyTorch's, in float32 with many
    repeated indices in no order."""
    idx = rng.integers(0, 7, (6, 9))
    w = rng.standard_normal((7, 5)).astype(np.float32)
    up = rng.standard_normal((6, 9, 5)).astype(np.float32)
    grads = []
    for create_graph in (False, True):
        aw = ag.tensor(w, requires_grad=True)
        out = F.embedding(ag.tensor(idx), aw, **kw)
        (g,) = ag.grad(out, aw, ag.tensor(up), create_graph=create_graph)
        assert g.dtype == ag.float32
        grads.append(g.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-6)
    torch = pytest.importorskip("torch")
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.embedding(torch.tensor(idx), tw, **kw).backward(torch.tensor(up))
    np.testing.assert_allclose(grads[0], tw.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---- EmbeddingBag ---------------------------------------------------------------------------

W6 = rng.standard_normal((6, 3))
IDX = np.array([1, 2, 4, 5, 4, 3, 2, 0])
OFFSETS = np.array([0, 2, 2, 5])   # bags [1 2] [] [4 5 4] [3 2 0]


def test_bags_sum_mean_max_with_offsets_and_empty_bags():
    w = ag.tensor(W6, requires_grad=True)
    bags = [[1, 2], [], [4, 5, 4], [3, 2, 0]]
    for mode, red in (("sum", np.sum), ("mean", np.mean), ("max", np.max)):
        out = F.embedding_bag(ag.tensor(IDX), w, ag.tensor(OFFSETS), mode=mode)
        assert out.grad_fn.name() == "EmbeddingBagBackward0"
        expect = [red(W6[b], axis=0) if b else np.zeros(3) for b in bags]
        np.testing.assert_allclose(out.detach().numpy(), expect, rtol=1e-12)
    # a 2-D input is one bag per row
    two = F.embedding_bag(ag.tensor(IDX.reshape(2, 4)), w, mode="sum").detach().numpy()
    np.testing.assert_allclose(two, [W6[IDX[:4]].sum(0), W6[IDX[4:]].sum(0)])


def test_bag_gradients_padding_and_per_sample_weights():
    w = ag.tensor(W6, requires_grad=True)
    psw = ag.tensor(np.linspace(0.5, 2.0, 8), requires_grad=True)
    out = F.embedding_bag(ag.tensor(IDX), w, ag.tensor(OFFSETS), mode="sum",
                          per_sample_weights=psw, padding_idx=4)
    assert [type(n).__name__ for n, _ in out.grad_fn.next_functions] == ["AccumulateGrad"] * 2
    up = np.arange(12.0).reshape(4, 3)
    out.backward(ag.tensor(up))
    bag_of = np.array([0, 0, 2, 2, 2, 3, 3, 3])
    expect_w = np.zeros_like(W6)
    expect_p = np.zeros(8)
    for j, (i, b) in enumerate(zip(IDX, bag_of)):
        if i != 4:
            expect_w[i] += psw.detach().numpy()[j] * up[b]
            expect_p[j] = W6[i] @ up[b]
    np.testing.assert_allclose(w.grad.numpy(), expect_w)
    np.testing.assert_allclose(psw.grad.numpy(), expect_p)
    assert ag.gradgradcheck(lambda a, p: F.embedding_bag(ag.tensor(IDX), a, ag.tensor(OFFSETS),
                                                         mode="sum", per_sample_weights=p),
                            (w, psw))
    # mean: padding entries do not count; max: the gradient goes to each dim's winner
    w.grad = None
    F.embedding_bag(ag.tensor([[4, 1]]), w, mode="mean", padding_idx=4).sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[1], 1.0)
    np.testing.assert_allclose(w.grad.numpy()[4], 0.0)
    ties = ag.tensor([[1.0, 2.0], [1.0, 3.0], [0.0, 2.0]], requires_grad=True)
    F.embedding_bag(ag.tensor([2, 1, 0]), ties, ag.tensor([0]), mode="max").sum().backward()
    np.testing.assert_array_equal(ties.grad.numpy(), [[0, 0], [1, 1], [0, 0]])  # first max


def test_embedding_bag_module_from_pretrained_and_repr():
    bag = nn.EmbeddingBag(5, 3, mode="max", padding_idx=-1)
    assert bag.padding_idx == 4 and not bag.weight.detach().numpy()[4].any()
    assert repr(bag) == "EmbeddingBag(5, 3, mode='max', padding_idx=4)"
    assert repr(nn.EmbeddingBag(5, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)) \
        == "EmbeddingBag(5, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, " \
           "mode='mean')"
    pre = nn.EmbeddingBag.from_pretrained(ag.tensor(W6), mode="sum")
    assert not pre.weight.requires_grad
    np.testing.assert_allclose(pre(ag.tensor([[0, 1]])).numpy(), [W6[0] + W6[1]], rtol=1e-6)
    assert nn.EmbeddingBag.from_pretrained(ag.tensor(W6), freeze=False).weight.requires_grad
    assert list(bag.state_dict()) == ["weight"]


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.embedding_bag(ag.tensor(IDX), ag.randn(6, 3), ag.tensor([1, 2])), RuntimeError,
     "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
     "position 0. However, got 1"),
    (lambda: F.embedding_bag(ag.tensor(IDX), ag.randn(6, 3), ag.tensor([0, 9])), RuntimeError,
     "offsets[-1] can not be greater than input's length 8 but got offsets[-1] of 9"),
    (lambda: F.embedding_bag(ag.tensor([1, 9]), ag.randn(6, 3), ag.tensor([0])), RuntimeError,
     "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be 9"),
    (lambda: F.embedding_bag(ag.tensor([1.0]), ag.randn(6, 3), ag.tensor([0])), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
     "Long, Int; but got autograd.FloatTensor instead (while checking arguments for "
     "embedding_bag)"),
    (lambda: F.embedding_bag(ag.tensor(IDX), ag.randn(6, 3), ag.tensor(OFFSETS),
                             per_sample_weights=ag.ones(8)), NotImplementedError,
     "per_sample_weights is only supported for mode='sum' (got mode='mean')"),
    (lambda: F.embedding_bag(ag.tensor(IDX), ag.randn(6, 3), ag.tensor(OFFSETS), mode="sum",
                             per_sample_weights=ag.ones(3)), ValueError,
     "embedding_bag: If per_sample_weights (autograd.Size([3])) is not None, then it must have "
     "the same shape as the input (autograd.Size([8]))"),
    (lambda: F.embedding_bag(ag.tensor(IDX.reshape(2, 4)), ag.randn(6, 3), ag.tensor([0])),
     ValueError, "if input is 2D, then offsets has to be None"),
    (lambda: F.embedding_bag(ag.tensor(IDX), ag.randn(6, 3)), ValueError,
     "offsets has to be a 1D Tensor but got None"),
    (lambda: F.embedding_bag(ag.tensor(IDX.reshape(2, 2, 2)), ag.randn(6, 3)), ValueError,
     "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    (lambda: F.embedding_bag(ag.tensor(IDX), ag.randn(6, 3), ag.tensor(OFFSETS), mode="min"),
     ValueError, "mode has to be one of sum, mean or max"),
    (lambda: F.embedding_bag(ag.tensor(IDX), ag.randn(6, 3), ag.tensor(OFFSETS), mode="max",
                             scale_grad_by_freq=True), ValueError,
     "max mode does not support scaling the gradient by the frequency"),
    (lambda: F.embedding_bag(ag.tensor(IDX), ag.randn(6), ag.tensor(OFFSETS)), ValueError,
     "weight has to be a 2D Tensor, but got Tensor of dimension 1"),
    (lambda: nn.EmbeddingBag(4, 2, padding_idx=4), AssertionError,
     "padding_idx must be within num_embeddings"),
    (lambda: nn.EmbeddingBag(6, 3)(ag.tensor(IDX), OFFSETS), TypeError,
     "embedding_bag(): argument 'offsets' (position 3) must be Tensor, not numpy.ndarray"),
    (lambda: nn.EmbeddingBag(6, 3, mode="sum")(ag.tensor(IDX), ag.tensor(OFFSETS), [1.0] * 8),
     TypeError, "embedding_bag(): argument 'per_sample_weights' (position 9) must be Tensor, "
     "not list"),
])
def test_embedding_bag_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


BAG_CASES = [dict(mode=m, padding_idx=p) for m in ("sum", "mean", "max") for p in (None, 4, 2)]
BAG_CASES += [dict(mode="mean", scale_grad_by_freq=True),
              dict(mode="sum", scale_grad_by_freq=True, padding_idx=2),
              dict(mode="sum", psw=True), dict(mode="sum", psw=True, padding_idx=4),
              dict(mode="mean", include_last_offset=True), dict(mode="max", max_norm=1.0),
              dict(mode="sum", two_d=True), dict(mode="sum", psw=True, two_d=True)]


@pytest.mark.parametrize("kw", BAG_CASES, ids=[str(k) for k in BAG_CASES])
def test_embedding_bag_against_pytorch(kw):
    """Values, weight and per-sample-weight gradients, and the weight after max_norm; with
    scale_grad_by_freq, the counts PyTorch's CPU kernel actually divides by."""
    torch = pytest.importorskip("torch")
    psw = np.linspace(0.3, 1.7, 8)
    res = []
    for lib, fn in ((torch, torch.nn.functional.embedding_bag), (ag, F.embedding_bag)):
        kw2 = dict(kw)
        w = lib.tensor(W6.copy(), requires_grad=True)
        p = lib.tensor(psw.reshape(2, 4) if kw.get("two_d") else psw, requires_grad=True)
        if kw2.pop("psw", False):
            kw2["per_sample_weights"] = p
        if kw2.pop("two_d", False):
            out = fn(lib.tensor(IDX.reshape(2, 4)), w, **kw2)
        else:
            out = fn(lib.tensor(IDX), w, lib.tensor(OFFSETS), **kw2)
        out.backward(lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape)))
        res.append([out.detach().numpy(), w.grad.numpy(), w.detach().numpy(),
                    None if p.grad is None else p.grad.numpy()])
    for a, b in zip(*res):
        if a is None or b is None:
            assert a is None and b is None
        else:
            np.testing.assert_allclose(b, a, atol=1e-12)
    assert repr(nn.EmbeddingBag(6, 3, mode=kw["mode"])) == \
        repr(torch.nn.EmbeddingBag(6, 3, mode=kw["mode"]))
