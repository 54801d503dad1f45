"""PyTorch's engine semantics where a numpy engine easily differs (issue 12): hook order,
replacements and their errors, what a custom Function's backward may return, grad-mode
decorators on generators, gradients at NaN, zero and tie points, and the grad_fn names
and edges users print (shared/reference/pytorch_behaviour_2.md §1.4-1.6, §3)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

nan = float("nan")


def _t(values, rg=True):
    return ag.tensor(values, dtype=ag.float64, requires_grad=rg)


# ---- hooks ---------------------------------------------------------------------------------
def test_hook_order_and_replacements():
    x = _t([1.0, 1.0])
    a = x.clone()
    log = []
    a.register_hook(lambda g: log.append(("h1", g.tolist())) or g * 2)
    a.register_hook(lambda g: log.append(("h2", g.tolist())) or g + 1)
    a.grad_fn.register_prehook(lambda gs: log.append(("pre1", gs[0].tolist())) or (gs[0] * 10,))
    a.grad_fn.register_prehook(lambda gs: log.append(("pre2", gs[0].tolist())))
    a.sum().backward()
    assert log == [("h1", [1, 1]), ("h2", [2, 2]), ("pre1", [3, 3]), ("pre2", [30, 30])]
    np.testing.assert_array_equal(x.grad.numpy(), [30, 30])


def test_retain_grad_sees_the_hooked_gradient_and_posthooks_replace():
    x = _t([1.0, 2.0])
    a = x * _t([1.0, 1.0], rg=False)
    a.retain_grad()
    a.register_hook(lambda g: g * 10)
    seen = []
    a.grad_fn.register_hook(lambda gin, gout: seen.append((gin, gout)) or (gin[0] * 3, None))
    a.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [10, 10])
    np.testing.assert_array_equal(x.grad.numpy(), [30, 30])
    assert len(seen[0][0]) == 2 and seen[0][0][1] is None


def test_leaf_hook_replaces_what_is_accumulated_and_post_accumulate_runs_after():
    x = _t([1.0])
    x.register_hook(lambda g: g * 2)
    after = []
    x.register_post_accumulate_grad_hook(lambda p: after.append(p.grad.item()))
    (x * 3).sum().backward()
    assert x.grad.item() == 6 and after == [6]


def test_hook_errors_are_pytorchs():
    def my_hook(g):
        return ag.ones(3, dtype=ag.float64)

    x = _t([1.0, 2.0])
    y = x * 2
    y.register_hook(my_hook)
    with pytest.raises(RuntimeError, match="^hook 'my_hook' has changed the size of value$"):
        y.sum().backward()
    y = x * 2
    y.register_hook(lambda g: g.float())
    with pytest.raises(RuntimeError, match=r"^hook '<lambda>' has changed the type of value "
                                           r"\(was autograd.DoubleTensor got "
                                           r"autograd.FloatTensor\)"):
        y.sum().backward()
    y = x * 2
    y.register_hook(lambda g: 1.0)
    with pytest.raises(TypeError, match="^expected Variable, but hook returned 'float'$"):
        y.sum().backward()
    y = x * 2
    y.grad_fn.register_prehook(lambda gs: (gs[0], gs[0]))
    with pytest.raises(RuntimeError, match=r"^hook '<lambda>' has returned an incorrect number "
                                           r"of values \(got 2, but expected 1\)$"):
        y.sum().backward()
    x.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        (x * 3).sum().backward()
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        ag.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda p: None)


# ---- custom Function --------------------------------------------------------------------
def _two(ret):
    class Two(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return ret(g)
    return Two


def test_function_backward_return_rules():
    a, b = _t([1.0, 2.0]), _t([3.0, 4.0])
    with pytest.raises(RuntimeError, match=r"^function TwoBackward returned an incorrect number "
                                           r"of gradients \(expected 2, got 1\)$"):
        _two(lambda g: g).apply(a, b).sum().backward()
    with pytest.raises(RuntimeError, match=r"\(expected 2, got 3\)"):
        _two(lambda g: (g, g, g)).apply(a, b).sum().backward()
    _two(lambda g: (g, g, None)).apply(a, b).sum().backward()   # trailing None: dropped
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1])
    a.grad = b.grad = None
    _two(lambda g: (g, None)).apply(a, b).sum().backward()       # None: no gradient
    assert b.grad is None
    with pytest.raises(RuntimeError, match=r"^expected Variable or None \(got float\)$"):
        _two(lambda g: (1.0, g)).apply(a, b).sum().backward()
    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - got \[3\] "
                                           r"but expected shape compatible with \[2\]"):
        _two(lambda g: (ag.ones(3, dtype=ag.float64), g)).apply(a, b).sum().backward()
    a.grad = None
    _two(lambda g: (ag.ones(3, 2, dtype=ag.float64), None)).apply(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3, 3])   # summed to the input's shape

    class WithInt(ag.Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="returned a gradient different than None at position "
                                           "2, but the corresponding forward input was not a "
                                           "Variable"):
        WithInt.apply(a, 2).sum().backward()


# ---- grad modes on generators ----------------------------------------------------------------
def test_grad_mode_decorators_hold_inside_generators():
    @ag.no_grad()
    def gen():
        sent = yield ag.is_grad_enabled()
        yield ag.is_grad_enabled(), sent

    w = ag.ones(2, requires_grad=True)
    g = gen()
    assert next(g) is False
    assert ag.is_grad_enabled() and (w * 2).requires_grad
    assert g.send(7) == (False, 7)
    assert ag.is_grad_enabled()

    @ag.no_grad
    def plain():
        return ag.is_grad_enabled()
    assert plain() is False and ag.is_grad_enabled()

    @ag.enable_grad()
    def on():
        yield ag.is_grad_enabled()
    with ag.no_grad():
        assert next(on()) is True and not ag.is_grad_enabled()

    @ag.inference_mode()
    def inf():
        yield ag.is_inference_mode_enabled()
    assert next(inf()) is True and not ag.is_inference_mode_enabled()

    @ag.no_grad()
    def catches():
        try:
            yield 1
        except ValueError:
            yield ag.is_grad_enabled()
    c = catches()
    next(c)
    assert c.throw(ValueError) is False and ag.is_grad_enabled()
    c.close()
    assert ag.is_grad_enabled()


# ---- gradients at NaN, zero and tie points -------------------------------------------------
def _grad(fn, *values):
    xs = [_t(v) for v in values]
    fn(*xs).sum().backward()
    return [x.grad.numpy() for x in xs]


def test_nan_zero_and_tie_gradients_are_pytorchs():
    eq = np.testing.assert_array_equal
    eq(_grad(F.relu, [nan, -1, 0, 1])[0], [1, 0, 0, 1])
    eq(_grad(lambda x: x.relu(), [nan, -1, 0, 1])[0], [1, 0, 0, 1])
    eq(_grad(lambda x: F.leaky_relu(x, 0.1), [nan, -1, 0, 1])[0], [0.1, 0.1, 0.1, 1])
    eq(_grad(lambda x: x.abs(), [nan, -1, 0, 1])[0], [0, -1, 0, 1])
    assert ag.tensor([nan, -2.0, 0.0]).sign().tolist() == [0, -1, 0]
    dx, dy = _grad(ag.maximum, [nan, 1, 2, 1], [0, nan, 2, 3])
    eq(dx, [1, 1, .5, 0]), eq(dy, [1, 1, .5, 1])
    dx, dy = _grad(ag.minimum, [nan, 1, 2, 1], [0, nan, 2, 3])
    eq(dx, [1, 1, .5, 1]), eq(dy, [1, 1, .5, 0])
    eq(_grad(lambda x: x.max(), [3, 1, 3])[0], [.5, 0, .5])
    eq(_grad(lambda x: x.max(), [1, nan, 3])[0], [0, 1, 0])
    eq(_grad(lambda x: x.max(), [nan, 1, nan])[0], [.5, 0, .5])
    eq(_grad(lambda x: x.amax(), [3, 1, 3])[0], [.5, 0, .5])
    assert np.isnan(_grad(lambda x: x.amax(), [1, nan, 3])[0]).all()
    eq(_grad(lambda x: x.min(), [1, 3, 1])[0], [.5, 0, .5])
    eq(_grad(lambda x: x.max(dim=0).values, [3, 1, 3])[0], [1, 0, 0])
    eq(_grad(lambda x: x.max(dim=0).values, [1, nan, 3, nan])[0], [0, 1, 0, 0])
    eq(_grad(lambda x: x.clamp(min=0.0), [nan, 0, -1, 1])[0], [0, 1, 0, 1])
    eq(_grad(lambda x: x.pow(0), [0, 1])[0], [0, 0])
    eq(_grad(lambda x: x.norm(), [0, 0])[0], [0, 0])


def test_nan_gradients_against_pytorch():
    torch = pytest.importorskip("torch")
    cases = [(F.relu, torch.nn.functional.relu, [[nan, -1, 0, 1]]),
             (lambda x: F.leaky_relu(x, 0.1), lambda x: torch.nn.functional.leaky_relu(x, 0.1),
              [[nan, -1, 0, 1]]),
             (lambda x: x.abs(), lambda x: x.abs(), [[nan, -1, 0, 1]]),
             (ag.maximum, torch.maximum, [[nan, 1, 2, 1], [0, nan, 2, 3]]),
             (ag.minimum, torch.minimum, [[nan, 1, 2, 1], [0, nan, 2, 3]]),
             (lambda x: x.max(), lambda x: x.max(), [[1, nan, 3]]),
             (lambda x: x.max(), lambda x: x.max(), [[nan, 1, nan]])]
    for ours, theirs, values in cases:
        ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        theirs(*ts).sum().backward()
        for g, t in zip(_grad(ours, *values), ts):
            np.testing.assert_array_equal(g, t.grad.numpy())


# ---- grad_fn names and edges -----------------------------------------------------------------
def _names(node):
    return [None if n is None else n.name() for n, _ in node.next_functions]


def test_loss_and_linear_graphs_have_pytorchs_nodes():
    x = ag.randn(4, 5, requires_grad=True)
    loss = F.cross_entropy(x, ag.tensor([0, 1, 2, 3]))
    assert loss.grad_fn.name() == "NllLossBackward0"
    assert _names(loss.grad_fn) == ["LogSoftmaxBackward0"]
    assert _names(loss.grad_fn.next_functions[0][0]) == ["AccumulateGrad"]
    nll = F.nll_loss(F.log_softmax(x, 1), ag.tensor([0, 1, 2, 3]))
    assert nll.grad_fn.name() == "NllLossBackward0"
    z = ag.randn(3, requires_grad=True)
    for kw in ({}, {"pos_weight": ag.tensor([2.0, 1.0, 0.5])}):
        b = F.binary_cross_entropy_with_logits(z, ag.tensor([0.0, 1.0, 1.0]), **kw)
        assert b.grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward0"
        assert _names(b.grad_fn)[:2] == ["AccumulateGrad", None]
    lin = nn.Linear(5, 3)
    out = lin(x)
    assert out.grad_fn.name() == "AddmmBackward0"
    assert out.grad_fn.next_functions[0][0].variable is lin.bias
    assert out.grad_fn.next_functions[1][0].variable is x
    assert nn.Linear(5, 3, bias=False)(x).grad_fn.name() == "MmBackward0"


def test_label_smoothing_and_weights_against_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xn, tn = rng.standard_normal((6, 4)), np.array([0, 3, 1, -100, 2, 3])
    wn = rng.uniform(0.5, 2, 4)
    for kw in ({"label_smoothing": 0.2}, {"label_smoothing": 0.1, "ignore_index": -100},
               {"reduction": "sum", "label_smoothing": 0.3}, {"reduction": "none",
                                                              "label_smoothing": 0.3}):
        for weighted in (False, True):
            x, tx = _t(xn), torch.tensor(xn, requires_grad=True)
            ours = F.cross_entropy(x, ag.tensor(tn), weight=ag.tensor(wn) if weighted else None,
                                   **kw)
            theirs = torch.nn.functional.cross_entropy(
                tx, torch.tensor(tn), weight=torch.tensor(wn) if weighted else None, **kw)
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                                       rtol=1e-10)
            ours.sum().backward()
            theirs.sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-15)
