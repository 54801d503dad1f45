"""Backward passes are independent of each other: nested (reentrant) passes from hooks and
custom Functions, passes in several threads over one shared model, and a pass that raises
half way, each leave every other pass's gradients exact (issue 12; PyTorch's behaviour in
shared/reference/pytorch_behaviour_2.md §1.1-1.3)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd as ag
import nn


def _x():
    return ag.tensor([0.5, 1.0], dtype=ag.float64, requires_grad=True)


def test_hook_running_a_nested_grad_of_the_same_graph_leaves_the_outer_pass_exact():
    x = _x()
    a = x.exp()
    b, c = 2 * a, 3 * a
    inner = []

    def hook(g):
        assert not ag.is_grad_enabled()       # backward runs without recording
        with ag.enable_grad():
            inner.append(ag.grad(a.sum(), x, retain_graph=True, allow_unused=True))
            assert x.grad is None             # the outer pass has not reached x yet

    b.register_hook(hook)
    (b + c).sum().backward()
    e = np.exp([0.5, 1.0])
    np.testing.assert_allclose(inner[0][0].numpy(), e)
    np.testing.assert_allclose(x.grad.numpy(), 5 * e)


def test_nested_backward_into_the_same_leaf_adds_its_share():
    x = _x()
    a = x.exp()
    b, c = 2 * a, 3 * a

    def hook(g):
        with ag.enable_grad():
            a.sum().backward(retain_graph=True)
            np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]))

    b.register_hook(hook)
    (b + c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.exp([0.5, 1.0]))


def test_nested_grad_without_retain_graph_frees_what_the_outer_pass_needs():
    x = _x()
    a = x.exp()
    b, c = 2 * a, 3 * a

    def hook(g):
        with ag.enable_grad():
            ag.grad(a.sum(), x)

    b.register_hook(hook)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        (b + c).sum().backward()


def test_hooks_nested_deeply_each_starting_another_backward():
    x = ag.tensor([1.0], requires_grad=True)
    depth = [0]

    def run():
        y = x * 1
        if depth[0] < 100:
            def hook(g):
                depth[0] += 1
                with ag.enable_grad():
                    run()
            y.register_hook(hook)
        y.sum().backward()

    run()
    assert x.grad.item() == 101


def test_custom_function_backward_may_run_autograd_grad():
    class Sin(ag.Function):
        @staticmethod
        def forward(ctx, inp):
            ctx.save_for_backward(inp)
            return inp.sin()

        @staticmethod
        def backward(ctx, g):
            (inp,) = ctx.saved_tensors
            with ag.enable_grad():
                t = inp.detach().requires_grad_()
                (d,) = ag.grad(t.sin().sum(), t)
            return g * d

    x = _x()
    w = ag.tensor([2.0, 3.0], dtype=ag.float64, requires_grad=True)
    (Sin.apply(x * w) * w).sum().backward()
    xn, wn = np.array([0.5, 1.0]), np.array([2.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), np.cos(xn * wn) * wn * wn)
    np.testing.assert_allclose(w.grad.numpy(), np.cos(xn * wn) * xn * wn + np.sin(xn * wn))


def test_custom_function_backward_through_a_shared_parameter():
    """The inner pass reaches the same parameter as the outer one (as checkpointing does)."""
    w = ag.tensor([2.0, 3.0], dtype=ag.float64, requires_grad=True)

    class Recompute(ag.Function):
        @staticmethod
        def forward(ctx, inp):
            ctx.save_for_backward(inp)
            return (inp * w).tanh()

        @staticmethod
        def backward(ctx, g):
            (inp,) = ctx.saved_tensors
            with ag.enable_grad():
                t = inp.detach().requires_grad_()
                out = (t * w).tanh()
                gt, = ag.grad(out, t, g)
                out2 = (t.detach() * w).tanh()
                out2.backward(g)         # accumulates into w.grad mid-pass
            return gt

    x = _x()
    ((Recompute.apply(x * 1) + x * w).sum()).backward()
    xn, wn = np.array([0.5, 1.0]), np.array([2.0, 3.0])
    sech2 = 1 - np.tanh(xn * wn) ** 2
    np.testing.assert_allclose(x.grad.numpy(), sech2 * wn + wn)
    np.testing.assert_allclose(w.grad.numpy(), sech2 * xn + xn)


def test_a_pass_that_raises_leaves_nothing_behind():
    x = _x()
    y = x * 3
    z = y.exp()

    def boom(g):
        raise ValueError("boom")

    h = y.register_hook(boom)
    out = (z + y).sum()
    with pytest.raises(ValueError, match="boom"):
        out.backward(retain_graph=True)
    assert x.grad is None
    h.remove()
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(3 * np.array([0.5, 1.0])) + 3)


def test_grad_after_an_error_in_grad_is_exact():
    x = _x()
    y = (x * x).sum()
    with pytest.raises(RuntimeError):
        ag.grad(y, x, grad_outputs=ag.ones(3, dtype=ag.float64), retain_graph=True)
    (g,) = ag.grad(y, x)
    np.testing.assert_allclose(g.numpy(), [1.0, 2.0])


def _model_and_batches(n):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    rng = np.random.default_rng(1)
    xs = [ag.tensor(rng.normal(size=(8, 5))) for _ in range(n)]
    return model, xs


def test_threads_sharing_one_model_get_the_sequential_gradients_with_grad():
    threads_n, per = 4, 200
    model, xs = _model_and_batches(threads_n * per)
    params = list(model.parameters())
    want = [ag.grad(model(x).pow(2).sum(), params) for x in xs]
    got: list = [None] * len(xs)
    errors = []

    def work(k):
        try:
            for i in range(k * per, (k + 1) * per):
                got[i] = ag.grad(model(xs[i]).pow(2).sum(), params)
        except Exception as e:   # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads_n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    for w, g in zip(want, got):
        for a, b in zip(w, g):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_threads_accumulating_into_shared_grads_lose_nothing():
    threads_n, per = 4, 200
    model, xs = _model_and_batches(threads_n * per)
    for x in xs:
        model(x).pow(2).sum().backward()
    want = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    errors = []

    def work(k):
        try:
            for i in range(k * per, (k + 1) * per):
                model(xs[i]).pow(2).sum().backward()
        except Exception as e:   # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads_n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    for w, p in zip(want, model.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-10)


def test_threads_backward_through_one_shared_graph_with_retain_graph():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    ts = [threading.Thread(target=lambda: y.backward(retain_graph=True)) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    np.testing.assert_allclose(x.grad.numpy(), 8 * np.array([1.0, 2.0, 3.0]))
