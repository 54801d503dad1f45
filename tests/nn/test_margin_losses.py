"""The margin, embedding and likelihood losses (CosineEmbedding ... GaussianNLL): closed
forms, reductions, legacy arguments, errors naming the loss and the shapes, reprs, and
(when torch is installed) values and gradients against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(5)
N, C = 5, 4
X1, X2, X3 = (rng.normal(size=(N, C)) for _ in range(3))
SGN = np.array([1, -1, 1, -1, 1.0])
SGN_C = np.sign(rng.normal(size=(N, C)))
CLS = np.array([0, 3, 2, 1, 3])
LABELS = np.array([[0, 1, -1, 2], [3, -1, 0, 0], [2, 2, 1, -1], [-1, 0, 0, 0], [0, 1, 2, 3]])
COUNTS = rng.poisson(2.0, size=(N, C)).astype(float)
W = rng.uniform(0.5, 2, size=C)


def t64(a, rg=False):
    return ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def test_closed_forms():
    x1, x2 = t64(X1), t64(X2)
    cos = (X1 * X2).sum(1) / np.sqrt((X1 ** 2).sum(1) * (X2 ** 2).sum(1))
    np.testing.assert_allclose(
        F.cosine_embedding_loss(x1, x2, t64(SGN), margin=0.1, reduction="none").numpy(),
        np.where(SGN == 1, 1 - cos, np.maximum(cos - 0.1, 0)))
    np.testing.assert_allclose(F.margin_ranking_loss(x1, x2, t64(SGN_C), 0.2).numpy(),
                               np.maximum(-SGN_C * (X1 - X2) + 0.2, 0).mean())
    np.testing.assert_allclose(F.hinge_embedding_loss(x1, t64(SGN_C), reduction="sum").numpy(),
                               np.where(SGN_C == 1, X1, np.maximum(1 - X1, 0)).sum())
    np.testing.assert_allclose(F.soft_margin_loss(x1, t64(SGN_C)).numpy(),
                               np.log1p(np.exp(-SGN_C * X1)).mean())
    y01 = (SGN_C > 0).astype(float)
    bce = -(y01 * np.log(1 / (1 + np.exp(-X1))) + (1 - y01) * np.log(1 / (1 + np.exp(X1))))
    np.testing.assert_allclose(F.multilabel_soft_margin_loss(x1, t64(y01)).numpy(),
                               bce.mean(1).mean())
    np.testing.assert_allclose(F.poisson_nll_loss(x1, t64(COUNTS)).numpy(),
                               (np.exp(X1) - COUNTS * X1).mean())
    var = np.abs(X3) + 0.1
    np.testing.assert_allclose(
        F.gaussian_nll_loss(x1, x2, t64(var), full=True, reduction="none").numpy(),
        0.5 * (np.log(var) + (X1 - X2) ** 2 / var) + 0.5 * math.log(2 * math.pi))
    d = lambda u, v: np.linalg.norm(u - v + 1e-6, axis=1)   # noqa: E731
    np.testing.assert_allclose(F.triplet_margin_loss(x1, x2, t64(X3), margin=2.0).numpy(),
                               np.maximum(2 + d(X1, X2) - d(X1, X3), 0).mean())


def test_multi_margin_and_multilabel_margin_by_hand():
    x = t64([[0.1, 0.2, 0.4, 0.8]], rg=True)
    loss = F.multi_margin_loss(x, ag.tensor([3]))   # PyTorch's documented example
    np.testing.assert_allclose(loss.item(), (1 - 0.8 + 0.1 + 1 - 0.8 + 0.2 + 1 - 0.8 + 0.4) / 4)
    assert loss.grad_fn.name() == "MultiMarginLossBackward0"
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.25, 0.25, 0.25, -0.75]])
    y = ag.tensor([[3, 0, -1, 1]])   # classes 3 and 0; what follows -1 is ignored
    x.grad = None
    loss = F.multilabel_margin_loss(x, y)
    expect = sum(max(0, 1 - (x.detach().numpy()[0, j] - x.detach().numpy()[0, k]))
                 for j in (3, 0) for k in (1, 2)) / 4
    np.testing.assert_allclose(loss.item(), expect)   # 0.85, as in PyTorch's docs
    np.testing.assert_allclose(loss.item(), 0.85)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[-0.5, 0.5, 0.5, -0.5]])


def test_triplet_with_distance_and_modules():
    a, p, n = t64(X1, True), t64(X2, True), t64(X3, True)
    cos_dist = lambda u, v: 1 - F.cosine_similarity(u, v)   # noqa: E731
    out = F.triplet_margin_with_distance_loss(a, p, n, distance_function=cos_dist, margin=0.5,
                                              swap=True)
    dn = np.minimum(cos_dist(a, n).detach().numpy(), cos_dist(p, n).detach().numpy())
    np.testing.assert_allclose(out.item(), np.maximum(
        0.5 + cos_dist(a, p).detach().numpy() - dn, 0).mean())
    m = nn.TripletMarginWithDistanceLoss()
    assert isinstance(m.distance_function, nn.PairwiseDistance)
    assert repr(m) == "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"
    np.testing.assert_allclose(m(a, p, n).item(), F.triplet_margin_loss(a, p, n).item())
    assert ag.gradcheck(lambda u, v, w: nn.TripletMarginLoss(swap=True, p=1)(u, v, w),
                        (a, p, n))


def test_legacy_reduction_arguments():
    x1, x2 = t64(X1), t64(X2)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.soft_margin_loss(x1, t64(SGN_C), size_average=False)
    np.testing.assert_allclose(out.numpy(), np.log1p(np.exp(-SGN_C * X1)).sum())
    with pytest.warns(UserWarning):
        m = nn.MarginRankingLoss(reduce=False)
    assert m.reduction == "none" and m(x1, x2, t64(SGN_C)).shape == (N, C)


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.cosine_embedding_loss(t64(X1), t64(X2), ag.ones(N, C)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cosine_embedding_loss(t64(X1[0]), t64(X2[0]), ag.ones(3)), RuntimeError,
     "1D target tensor expects 2D input tensors, but found inputs with sizes [4] and [4]."),
    (lambda: F.cosine_embedding_loss(t64(X1), t64(X2), ag.tensor(1.0)), RuntimeError,
     "0D target tensor expects 1D input tensors, but found inputs with sizes [5, 4] and "
     "[5, 4]."),
    (lambda: F.cosine_embedding_loss(t64(X1), t64(X2), ag.ones(4)), RuntimeError,
     "cosine_embedding_loss: The size of tensor a (4) must match the size of tensor b (5) at "
     "non-singleton dimension 0"),
    (lambda: F.margin_ranking_loss(t64(X1[:, 0]), t64(X2[:, 0]), ag.ones(5, 1)), RuntimeError,
     "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
     "input1: autograd.Size([5]), input2: autograd.Size([5]), target: autograd.Size([5, 1])"),
    (lambda: F.triplet_margin_loss(t64(X1), t64(X2), t64(X3[0])), RuntimeError,
     "The anchor, positive, and negative tensors are expected to have the same number of "
     "dimensions, but got: anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda: F.triplet_margin_loss(t64(X1), t64(X2), t64(X3), margin=0), ValueError,
     "margin must be greater than 0, got 0"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), ValueError,
     "TripletMarginLoss: expected margin to be greater than 0, got -1.0 instead"),
    (lambda: F.triplet_margin_loss(t64(X1), t64(X2), t64(X3[:2])), RuntimeError,
     "triplet_margin_loss: The size of tensor a (5) must match the size of tensor b (2)"),
    (lambda: F.poisson_nll_loss(t64(X1), t64(X2[:, :2])), RuntimeError,
     "poisson_nll_loss: The size of tensor a (2) must match the size of tensor b (4) at "
     "non-singleton dimension 1 (shapes [5, 2] and [5, 4])"),
    (lambda: F.poisson_nll_loss(t64(X1), t64(X2), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: F.gaussian_nll_loss(t64(X1), t64(X2), -ag.ones(N, C)), ValueError,
     "var has negative entry/entries"),
    (lambda: F.gaussian_nll_loss(t64(X1), t64(X2), ag.ones(3)), ValueError,
     "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(t64(X1), t64(X2), ag.ones(N, C), reduction="avg"),
     ValueError, "avg is not valid"),
    (lambda: nn.GaussianNLLLoss()(t64(X1), t64(X2), np.ones((N, C))), TypeError,
     "gaussian_nll_loss(): argument 'var' (position 3) must be Tensor, not numpy.ndarray"),
    (lambda: F.soft_margin_loss(t64(X1), t64(X2[:, :2])), RuntimeError,
     "soft_margin_loss: The size of tensor a (4) must match the size of tensor b (2)"),
    (lambda: F.soft_margin_loss(t64(X1), t64(SGN_C, True)), RuntimeError,
     "The function 'soft_margin_loss' is not differentiable with respect to argument "
     "'target'. This input cannot have requires_grad True."),
    (lambda: F.soft_margin_loss(ag.ones(2, 2, dtype=ag.int64), t64(np.ones((2, 2)))),
     RuntimeError, "result type Float can't be cast to the desired output type Long"),
    (lambda: F.multilabel_soft_margin_loss(t64(X1), t64(X2), reduction="avg"), ValueError,
     "avg is not valid"),
    (lambda: F.multi_margin_loss(t64(X1), t64(CLS)), RuntimeError,
     "expected scalar type Long but found Double"),
    (lambda: F.multi_margin_loss(t64(X1), ag.tensor([0, 1])), RuntimeError,
     "multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
     "samples (batch size). Expected target size [5], but got [2]. Input has shape [5, 4]."),
    (lambda: F.multi_margin_loss(t64(X1), ag.tensor([0, 1, 2, 3, 4])), RuntimeError,
     "target out of range"),
    (lambda: F.multi_margin_loss(t64(X1), ag.tensor(CLS), p=3), ValueError,
     "only p == 1 and p == 2 supported"),
    (lambda: F.multi_margin_loss(t64(X1), ag.tensor(CLS), weight=ag.ones(2, 2)), ValueError,
     "weight must be one-dimensional"),
    (lambda: F.multi_margin_loss(t64(X1), ag.tensor(CLS), weight=t64(np.ones(3))),
     RuntimeError, "inconsistent weight size, expected 4 but got [3]"),
    (lambda: F.multi_margin_loss(t64(X1), ag.tensor(CLS), weight=t64(np.ones(4), True)),
     RuntimeError, "The function 'multi_margin_loss' is not differentiable with respect to "
     "argument 'weight'."),
    (lambda: F.multi_margin_loss(ag.randn(2, 3, 4), ag.tensor([0, 1])), RuntimeError,
     "Expected non-empty vector or matrix with optional 0-dim batch size, but got: [2, 3, 4]"),
    (lambda: F.multi_margin_loss(ag.ones(3, 4, dtype=ag.int64), ag.tensor([0, 1, 2])),
     NotImplementedError, "\"multi_margin_loss_cpu_kernel\" not implemented for 'Long'"),
    (lambda: nn.MultiMarginLoss(weight=ag.ones(2, 2)), ValueError,
     "MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead"),
    (lambda: F.multilabel_margin_loss(t64(X1), t64(LABELS)), RuntimeError,
     "expected scalar type Long but found Double"),
    (lambda: F.multilabel_margin_loss(t64(X1), ag.tensor(LABELS[:, :3])), RuntimeError,
     "inconsistent target size: [5, 3] for input of size: [5, 4]"),
    (lambda: F.multilabel_margin_loss(t64(X1), ag.full((N, C), 4)), RuntimeError,
     "argument #2 'target' is out of range"),
    (lambda: F.hinge_embedding_loss(t64(X1), t64(X2[:, :2])), RuntimeError,
     "hinge_embedding_loss: The size of tensor a (2) must match the size of tensor b (4)"),
])
def test_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


def _cases():
    """(name, loss as a function of (F, lib, a, b, c)) for the comparisons with torch."""
    return {
        "cosemb": lambda F, L, a, b, c: F.cosine_embedding_loss(a, b, L.tensor(SGN), 0.2),
        "cosemb_none": lambda F, L, a, b, c: F.cosine_embedding_loss(
            a, b, L.tensor([1.0, -1, 0, 2, -1]), reduction="none"),
        "cosemb_0d": lambda F, L, a, b, c: F.cosine_embedding_loss(a[0], b[0], L.tensor(-1),
                                                                   margin=-0.5),
        "mrl": lambda F, L, a, b, c: F.margin_ranking_loss(a[:, 0], b[:, 0], L.tensor(SGN),
                                                           margin=0.3),
        "mrl_sum": lambda F, L, a, b, c: F.margin_ranking_loss(a, b, L.tensor(SGN_C),
                                                               reduction="sum"),
        "hinge": lambda F, L, a, b, c: F.hinge_embedding_loss(a.abs(), L.tensor(SGN_C), 1.5),
        "hinge_none": lambda F, L, a, b, c: F.hinge_embedding_loss(a, L.tensor(SGN_C),
                                                                   reduction="none"),
        "triplet": lambda F, L, a, b, c: F.triplet_margin_loss(a, b, c),
        "triplet_swap_p1": lambda F, L, a, b, c: F.triplet_margin_loss(
            a, b, c, margin=2.0, p=1, swap=True, reduction="none"),
        "tripletd": lambda F, L, a, b, c: F.triplet_margin_with_distance_loss(a, b, c),
        "tripletd_cos": lambda F, L, a, b, c: F.triplet_margin_with_distance_loss(
            a, b, c, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v),
            swap=True, margin=0.5),
        "poisson": lambda F, L, a, b, c: F.poisson_nll_loss(a, L.tensor(COUNTS)),
        "poisson_rates_full": lambda F, L, a, b, c: F.poisson_nll_loss(
            a.abs(), L.tensor(COUNTS), log_input=False, full=True, reduction="none"),
        "poisson_full": lambda F, L, a, b, c: F.poisson_nll_loss(a, L.tensor(COUNTS), full=True,
                                                                 reduction="sum"),
        "gauss": lambda F, L, a, b, c: F.gaussian_nll_loss(a, b, c.abs()),
        "gauss_full_none": lambda F, L, a, b, c: F.gaussian_nll_loss(
            a, b, c.abs()[:, 0], full=True, reduction="none"),
        "gauss_float": lambda F, L, a, b, c: F.gaussian_nll_loss(a, b, 0.5, reduction="sum"),
        "gauss_tiny_var": lambda F, L, a, b, c: F.gaussian_nll_loss(a, b, c[:, :1].abs() * 1e-8),
        "softm": lambda F, L, a, b, c: F.soft_margin_loss(a, L.tensor(SGN_C)),
        "softm_none_bcast": lambda F, L, a, b, c: F.soft_margin_loss(a, L.tensor(SGN_C[0]),
                                                                     reduction="none"),
        "softm_long": lambda F, L, a, b, c: F.soft_margin_loss(a, L.tensor(SGN_C).long()),
        "mlsm": lambda F, L, a, b, c: F.multilabel_soft_margin_loss(a, L.tensor(SGN_C > 0) * 1.0),
        "mlsm_w_none": lambda F, L, a, b, c: F.multilabel_soft_margin_loss(
            a, L.tensor(SGN_C > 0) * 1.0, weight=L.tensor(W), reduction="none"),
        "mm": lambda F, L, a, b, c: F.multi_margin_loss(a, L.tensor(CLS)),
        "mm_p2_w": lambda F, L, a, b, c: F.multi_margin_loss(
            a, L.tensor(CLS), p=2, margin=0.7, weight=L.tensor(W), reduction="none"),
        "mm_1d": lambda F, L, a, b, c: F.multi_margin_loss(a[0], L.tensor(2), reduction="sum"),
        "mlm": lambda F, L, a, b, c: F.multilabel_margin_loss(a, L.tensor(LABELS)),
        "mlm_none": lambda F, L, a, b, c: F.multilabel_margin_loss(a, L.tensor(LABELS),
                                                                   reduction="none"),
        "mlm_1d": lambda F, L, a, b, c: F.multilabel_margin_loss(a[0], L.tensor(LABELS[0])),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_against_pytorch(name):
    torch = pytest.importorskip("torch")
    fn = _cases()[name]
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ag, F)):
        a, b, c = (lib.tensor(v, requires_grad=True) for v in (X1, X2, X3))
        out = fn(mod, lib, a, b, c)
        out.backward(lib.tensor(np.random.default_rng(1).normal(size=tuple(out.shape))))
        res.append([out.detach().numpy()] + [None if t.grad is None else t.grad.numpy()
                                             for t in (a, b, c)])
    for theirs, ours in zip(*res):
        if theirs is None:
            assert ours is None
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    # float32 inputs: PyTorch's result dtype (float32, or float64 where a constant is), its
    # values to float32 precision
    outs = []
    for lib, mod in ((torch, torch.nn.functional), (ag, F)):
        try:
            out = fn(mod, lib, *(lib.tensor(v.astype(np.float32)) for v in (X1, X2, X3)))
            outs.append((str(out.dtype).split(".")[-1], out.numpy()))
        except RuntimeError as e:   # e.g. a float64 class weight for float32 inputs
            outs.append((str(e), None))
    assert outs[0][0] == outs[1][0]
    if outs[0][1] is not None:
        np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-4, atol=1e-5)


def test_modules_match_torch_reprs_and_names():
    torch = pytest.importorskip("torch")
    for name in ("CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss",
                 "TripletMarginWithDistanceLoss", "PoissonNLLLoss", "GaussianNLLLoss",
                 "SoftMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
                 "MultiLabelMarginLoss", "HingeEmbeddingLoss", "CTCLoss"):
        ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert {k for k in vars(ours) if not k.startswith("_")} == \
            {k for k in vars(theirs) if not k.startswith("_")}
    w = ag.tensor(W)
    assert list(nn.MultiMarginLoss(weight=w).state_dict()) == ["weight"]
