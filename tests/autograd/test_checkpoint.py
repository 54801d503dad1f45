"""Gradient checkpointing (`autograd.checkpoint`, as torch.utils.checkpoint): the segment's
activations are not kept, and the gradients equal the plain run's, with dropout's masks
drawn again alike, through `backward` and `grad`, and twice differentiated."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.checkpoint import checkpoint, checkpoint_sequential


def _blocks(n=4, width=6, p=0.3):
    ag.manual_seed(0)
    return nn.Sequential(*[nn.Sequential(nn.Linear(width, width), nn.Tanh(), nn.Dropout(p))
                           for _ in range(n)]).double()


def _plain_grads(model, x):
    ag.manual_seed(1)
    model(x).pow(2).sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]
    model.zero_grad()
    x.grad = None
    return grads


def _graph_nodes(t) -> int:
    seen, stack = set(), [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        stack.extend(c for c, _ in n.next_functions)
    return len(seen)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpointed_blocks_give_the_plain_gradients(use_reentrant):
    model = _blocks()
    x = ag.randn(5, 6, dtype=ag.float64, requires_grad=True)
    want = _plain_grads(model, x)
    ag.manual_seed(1)
    h = x
    for block in model:
        h = checkpoint(block, h, use_reentrant=use_reentrant)
    assert h.grad_fn.name() == "CheckpointFunctionBackward"
    assert "CheckpointFunctionBackward" in [n.name() for n, _ in h.grad_fn.next_functions]
    loss = h.pow(2).sum()
    loss.backward()
    got = [p.grad.numpy() for p in model.parameters()] + [x.grad.numpy()]
    for a, b in zip(want, got):
        np.testing.assert_allclose(b, a, rtol=1e-12)
    model.zero_grad()
    ag.manual_seed(1)
    h = x
    for block in model:
        h = checkpoint(block, h, use_reentrant=use_reentrant)
    grads = ag.grad(h.pow(2).sum(), list(model.parameters()) + [x])
    for a, b in zip(want, grads):
        np.testing.assert_allclose(b.numpy(), a, rtol=1e-12)


def test_activations_are_not_kept():
    model = _blocks(n=6)
    x = ag.randn(5, 6, dtype=ag.float64, requires_grad=True)
    plain = _graph_nodes(model(x))
    h = x
    for block in model:
        h = checkpoint(block, h, use_reentrant=False)
    assert _graph_nodes(h) == 6 + 1 + 12   # one node per block, x's and the parameters' sinks
    assert plain > 6 * 4


def test_checkpoint_sequential_and_the_use_reentrant_warning():
    model = _blocks(n=6)
    x = ag.randn(5, 6, dtype=ag.float64, requires_grad=True)
    want = _plain_grads(model, x)
    ag.manual_seed(1)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed "
                                         "explicitly"):
        out = checkpoint_sequential(model, 3, x)
    out.pow(2).sum().backward()
    for a, b in zip(want, [p.grad.numpy() for p in model.parameters()] + [x.grad.numpy()]):
        np.testing.assert_allclose(b, a, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(model, x, use_reentrant=False)
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(model, 0, x, use_reentrant=False)


def test_differentiable_twice_and_several_outputs():
    def f(u):
        return checkpoint(lambda t: ((t.sin() * t).sum(0), t.exp()), u,
                          use_reentrant=False)
    u = ag.randn(3, 2, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda t: f(t)[0], (u,))
    assert ag.gradgradcheck(lambda t: f(t)[0], (u,))
    assert ag.gradcheck(lambda t: f(t)[0] * f(t)[1].sum(), (u,))


def test_input_changed_in_place_before_backward_raises():
    x = ag.randn(3, dtype=ag.float64, requires_grad=True)
    y = x * 2
    out = checkpoint(lambda t: t.exp(), y, use_reentrant=False)
    with ag.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils.checkpoint import checkpoint as tcheckpoint
    rng = np.random.default_rng(0)
    w1, w2, xn = rng.standard_normal((4, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)

    def block(lib, w):
        return lambda t: (t @ w).tanh()

    x = ag.tensor(xn, requires_grad=True)
    a1, a2 = ag.tensor(w1, requires_grad=True), ag.tensor(w2, requires_grad=True)
    out = checkpoint(block(ag, a2), checkpoint(block(ag, a1), x, use_reentrant=False),
                     use_reentrant=True)
    out.sum().backward()
    tx = torch.tensor(xn, requires_grad=True)
    t1, t2 = torch.tensor(w1, requires_grad=True), torch.tensor(w2, requires_grad=True)
    tout = tcheckpoint(block(torch, t2), tcheckpoint(block(torch, t1), tx, use_reentrant=False),
                       use_reentrant=True)
    tout.sum().backward()
    for ours, theirs in ((x, tx), (a1, t1), (a2, t2)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
