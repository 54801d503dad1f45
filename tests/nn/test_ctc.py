"""CTCLoss: against a brute-force sum over alignments, PyTorch's gradient convention for
log-probabilities, reductions, zero_infinity, input forms, errors, and (when torch is
installed) values and gradients against PyTorch on random inputs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

rng = np.random.default_rng(6)


def _log_softmax(x):
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _brute_force(lp, seq, blank):
    """-log of the total probability of the frame paths that collapse to seq."""
    total = 0.0
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        out = [k for j, k in enumerate(path) if k != blank and (j == 0 or path[j - 1] != k)]
        if out == list(seq):
            total += np.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -np.log(total)


def test_loss_is_the_negative_log_probability_of_all_alignments():
    lp = _log_softmax(rng.normal(size=(5, 2, 3)))
    seqs = [[1, 1], [2]]   # a repeated label needs a blank between its copies
    targets = ag.tensor([[1, 1], [2, 0]])
    out = F.ctc_loss(ag.tensor(lp), targets, [5, 4], [2, 1], reduction="none")
    expect = [_brute_force(lp[:5, 0], seqs[0], 0), _brute_force(lp[:4, 1], seqs[1], 0)]
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-10)
    # 'mean' divides by the target lengths, then averages; 'sum' adds
    mean = F.ctc_loss(ag.tensor(lp, requires_grad=True), targets, [5, 4], [2, 1])
    np.testing.assert_allclose(mean.item(), (expect[0] / 2 + expect[1]) / 2, rtol=1e-10)
    assert mean.grad_fn.name() == "MeanBackward0"
    total = F.ctc_loss(ag.tensor(lp), targets, [5, 4], [2, 1], reduction="sum")
    np.testing.assert_allclose(total.item(), sum(expect), rtol=1e-10)


def test_gradient_convention_and_through_log_softmax():
    """d/d log_probs is exp(log_probs) - posterior (PyTorch's): through log_softmax it is
    the true gradient with respect to the logits."""
    x = ag.tensor(rng.normal(size=(6, 2, 4)), requires_grad=True)
    targets, il, tl = ag.tensor([[1, 2, 2], [3, 0, 0]]), ag.tensor([6, 4]), ag.tensor([3, 1])
    lp = x.log_softmax(2)
    lp.retain_grad()
    loss = F.ctc_loss(lp, targets, il, tl, reduction="sum")
    assert loss.grad_fn.next_functions[0][0].name() == "CtcLossBackward0"
    loss.backward()
    g = lp.grad.numpy()
    # for each frame inside the input, the gradient sums to 0 over the classes (the
    # posteriors sum to 1, as do the probabilities); past the input length it is 0
    np.testing.assert_allclose(g[:, 0].sum(-1), 0, atol=1e-12)
    np.testing.assert_allclose(g[:4, 1].sum(-1), 0, atol=1e-12)
    np.testing.assert_array_equal(g[4:, 1], 0)
    assert ag.gradcheck(lambda t: F.ctc_loss(t.log_softmax(2), targets, il, tl), (x,))


def test_zero_infinity_and_impossible_alignments():
    lp = ag.tensor(_log_softmax(rng.normal(size=(4, 2, 3))), requires_grad=True)
    targets = ag.tensor([[1, 1, 2], [1, 0, 0]])   # [1, 1, 2] needs at least 4 frames
    out = F.ctc_loss(lp, targets, [3, 4], [3, 1], reduction="none")
    assert np.isinf(out.detach().numpy()[0]) and np.isfinite(out.detach().numpy()[1])
    out.sum().backward()
    assert np.isnan(lp.grad.numpy()[:3, 0]).all()   # as PyTorch: NaN gradient for inf loss
    lp.grad = None
    out = F.ctc_loss(lp, targets, [3, 4], [3, 1], reduction="none", zero_infinity=True)
    assert out.detach().numpy()[0] == 0
    out.sum().backward()
    np.testing.assert_array_equal(lp.grad.numpy()[:, 0], 0)
    assert np.isfinite(lp.grad.numpy()).all()


def test_input_forms_agree():
    lp = ag.tensor(_log_softmax(rng.normal(size=(5, 2, 4))))
    padded = F.ctc_loss(lp, ag.tensor([[1, 2, 3], [2, 2, 0]]), ag.tensor([5, 5]),
                        ag.tensor([3, 2]), reduction="none").numpy()
    concat = F.ctc_loss(lp, ag.tensor([1, 2, 3, 2, 2]), (5, 5), [3, 2], reduction="none")
    np.testing.assert_allclose(concat.numpy(), padded)
    one = F.ctc_loss(lp[:, 0], ag.tensor([1, 2, 3]), ag.tensor(5), ag.tensor(3),
                     reduction="none")
    assert one.shape == () and np.isclose(one.item(), padded[0])
    m = nn.CTCLoss(blank=3, reduction="sum", zero_infinity=True)
    assert (m.blank, m.reduction, m.zero_infinity) == (3, "sum", True)
    assert m(lp, ag.tensor([[1, 2, 0], [2, 2, 0]]), [5, 5], [3, 2]).shape == ()
    f32 = F.ctc_loss(lp.float(), ag.tensor([[1, 2, 3], [2, 2, 0]]), [5, 5], [3, 2])
    assert f32.dtype == ag.float32


def test_double_backward_is_refused_as_in_pytorch():
    x = ag.tensor(rng.normal(size=(4, 1, 3)), requires_grad=True)
    loss = F.ctc_loss(x.log_softmax(2), ag.tensor([[1, 2]]), [4], [2])
    g, = ag.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not "
                       "implemented"):
        g.sum().backward()


LP = ag.tensor(_log_softmax(rng.normal(size=(6, 2, 5))))
TG = ag.tensor([[1, 2, 2], [1, 3, 0]])


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: F.ctc_loss(LP, TG, ag.tensor([7, 5]), ag.tensor([3, 2])), RuntimeError,
     "Expected input_lengths to have value at most 6, but got value 7 (while checking "
     "arguments for ctc_loss_allocate_outputs)"),
    (lambda: F.ctc_loss(LP, TG, ag.tensor([6, 5]), ag.tensor([4, 2])), RuntimeError,
     "Expected tensor to have size at least 4 at dimension 1, but got size 3 for argument #2 "
     "'targets'"),
    (lambda: F.ctc_loss(LP, TG, ag.tensor([6]), ag.tensor([3, 2])), RuntimeError,
     "input_lengths must be of size batch_size"),
    (lambda: F.ctc_loss(LP, TG, ag.tensor([6, 5]), ag.tensor([3])), RuntimeError,
     "target_lengths must be of size batch_size"),
    (lambda: F.ctc_loss(LP, TG, [6, 5], [3, 2], blank=5), RuntimeError,
     "blank must be in label range"),
    (lambda: F.ctc_loss(LP[None], TG, [6, 5], [3, 2]), RuntimeError,
     "Expected 3-dimensional tensor, but got 5-dimensional tensor for argument #1 "
     "'log_probs'"),
    (lambda: F.ctc_loss(LP, TG, ag.tensor([6.0, 5.0]), [3, 2]), RuntimeError,
     "input_lengths must be integral"),
    (lambda: F.ctc_loss(LP.long(), TG, [6, 5], [3, 2]), NotImplementedError,
     "\"ctc_loss_cpu\" not implemented for 'Long'"),
    (lambda: F.ctc_loss(LP, TG, [6, 5], [3, -1]), RuntimeError,
     "Expected target_lengths to have value at least 0, but got value -1"),
    (lambda: F.ctc_loss(LP, ag.tensor([1, 2, 2, 1]), [6, 5], [3, 2]), RuntimeError,
     "Expected tensor to have size 5 at dimension 0, but got size 4 for argument #2 "
     "'targets'"),
    (lambda: F.ctc_loss(LP, TG[None], [6, 5], [3, 2]), RuntimeError,
     "Expected 1 to 2 dimensions, but got 3-dimensional tensor for argument #2 'targets'"),
    (lambda: F.ctc_loss(LP, TG[:1], [6, 5], [3, 2]), RuntimeError,
     "Expected tensor to have size 2 at dimension 0, but got size 1 for argument #2 'targets'"),
    (lambda: F.ctc_loss(LP, ag.tensor([[1, 2, 7], [1, 3, 0]]), [6, 5], [3, 2]), RuntimeError,
     "ctc_loss: target value 7 is out of range for 5 classes"),
    (lambda: F.ctc_loss(LP, TG, [6, 5], [3, 2], reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: F.ctc_loss(LP, TG, np.array([6, 5]), [3, 2]), TypeError,
     "ctc_loss(): argument 'input_lengths' (position 3) must be Tensor, not numpy.ndarray"),
    (lambda: F.ctc_loss(LP.numpy(), TG, [6, 5], [3, 2]), TypeError,
     "ctc_loss(): argument 'log_probs' (position 1) must be Tensor, not numpy.ndarray"),
])
def test_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(reduction="none"),
                                dict(zero_infinity=True, reduction="none"), dict(blank=2)],
                         ids=["mean", "sum", "none", "zero_infinity", "blank2"])
def test_against_pytorch_on_random_inputs(seed, kw):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(seed)
    t_max, n, c = r.integers(3, 9), r.integers(1, 4), r.integers(3, 6)
    x = r.normal(size=(t_max, n, c))
    in_len = r.integers(0, t_max + 1, n)
    tgt_len = r.integers(0, 4, n)
    targets = r.integers(0, c, (n, 3))   # may hold the blank too, and be impossible
    up = r.normal(size=n) if kw.get("reduction") == "none" else 1.0
    res = []
    for lib, fn in ((torch, torch.nn.functional.ctc_loss), (ag, F.ctc_loss)):
        logits = lib.tensor(x, requires_grad=True)
        lp = logits.log_softmax(2)
        lp.retain_grad()
        out = fn(lp, lib.tensor(targets), lib.tensor(in_len), lib.tensor(tgt_len), **kw)
        out.backward(lib.tensor(up) if kw.get("reduction") == "none" else None)
        res.append([out.detach().numpy(), lp.grad.numpy(), logits.grad.numpy()])
    for theirs, ours in zip(*res):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10, equal_nan=True)


def test_no_reference_cycles():
    import gc

    gc.collect()
    gc.disable()
    try:
        for create_graph in (False, True):
            x = ag.tensor(rng.normal(size=(5, 2, 4)), requires_grad=True)
            loss = F.ctc_loss(x.log_softmax(2), ag.tensor([[1, 2], [3, 0]]), [5, 4], [2, 1])
            ag.grad(loss, x, create_graph=create_graph)
            del x, loss
        assert gc.collect() == 0
    finally:
        gc.enable()
