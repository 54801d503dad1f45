"""The backward engine: accumulation, guards and their errors, graph shape and freeing."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import autograd as ag


def test_issue_example_matches_closed_form():
    x = ag.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    y = (x.tanh() @ x.T).sum()
    y.backward()
    xn = x.detach().numpy().astype(np.float64)
    # d/dx sum(tanh(x) @ x.T) = (1 - tanh^2) * (ones @ x) + ones @ tanh(x) ...
    ones = np.ones((2, 2))
    expect = (1 - np.tanh(xn) ** 2) * (ones @ xn) + ones.T @ np.tanh(xn)
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-6)
    g, = ag.grad((x ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * xn ** 2, rtol=1e-6)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * xn, rtol=1e-6)


def test_micrograd_readme_example():
    a = ag.tensor(-4.0, requires_grad=True)
    b = ag.tensor(2.0, requires_grad=True)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    assert g.shape == () and g.ndim == 0
    assert abs(g.item() - 24.7041) < 1e-4
    assert abs(a.grad.item() - 138.8338) < 1e-3
    assert abs(b.grad.item() - 645.5773) < 1e-3


def test_leaf_gradients_accumulate_and_broadcast_is_undone():
    w = ag.zeros(3, requires_grad=True)
    x = ag.ones(4, 3)
    for _ in range(3):
        (x + w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [12., 12., 12.])


def test_repeated_use_sums_contributions_and_repeated_indices_accumulate():
    q = ag.tensor(2.0, requires_grad=True)
    (q * q).backward()
    assert q.grad.item() == 4.0
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    x[[0, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2., 0., 0.])


def test_second_backward_raises_only_when_saved_tensors_were_freed():
    x = ag.tensor([1., 2.], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    z = (x + x).sum()  # saves nothing: PyTorch allows a second backward
    x.grad = None
    z.backward()
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4., 4.])


def test_retain_graph_allows_second_backward():
    x = ag.tensor([1., 2.], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4., 8.])


def test_non_scalar_backward_needs_gradient():
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        y.backward()
    y.backward(ag.tensor([1., 2., 3.]))
    np.testing.assert_array_equal(x.grad.numpy(), [2., 4., 6.])


def test_wrong_gradient_shape_names_both_shapes():
    x = ag.tensor([1., 2., 3.], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"autograd.Size\(\[2\]\) and output\[0\] has a shape "
                                           r"of autograd.Size\(\[3\]\)"):
        (x * 2).backward(ag.tensor([1., 2.]))


def test_backward_without_graph_and_int_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ag.tensor([1., 2.]).sum().backward()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ag.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        ag.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype"):
        ag.tensor([1, 2]).requires_grad = True


def test_requires_grad_propagation_and_leaves():
    a = ag.rand(3, requires_grad=True)
    b = ag.rand(3)
    assert (a + b).requires_grad and not (b * 2).requires_grad
    assert not (a.detach() * 2).requires_grad
    assert a.is_leaf and not (a * 2).is_leaf and (b * 2).is_leaf
    assert not a.double().is_leaf
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        (a * 2).requires_grad = False


def test_grad_fn_names_and_next_functions():
    x = ag.rand(2, 3, requires_grad=True)
    w = ag.rand(3, 4)
    y = x @ w
    assert y.grad_fn.name() == "MmBackward0"
    (acc, nr), (none, _) = y.grad_fn.next_functions
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x and nr == 0
    assert none is None
    assert (x * 2).grad_fn.name() == "MulBackward0"
    assert (x + 1).grad_fn.name() == "AddBackward0"
    assert (x ** 2).grad_fn.name() == "PowBackward0"
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert x.sum(0).grad_fn.name() == "SumBackward1"
    assert x[0].grad_fn.name() == "SelectBackward0"
    assert x[1:].grad_fn.name() == "SliceBackward0"
    assert x.view(6).grad_fn.name() == "ViewBackward0"
    assert x.T.grad_fn.name() in ("PermuteBackward0", "TBackward0")
    assert x.max().grad_fn.name() == "MaxBackward1"
    assert x.max(0).values.grad_fn.name() == "MaxBackward0"
    assert ag.cat([x, x]).grad_fn.name() == "CatBackward0"


def test_version_counter_catches_modified_saved_tensor():
    a = ag.rand(3, requires_grad=True)
    b = a.sigmoid()
    c = b * 1  # uses b, which sigmoid saved as its output
    b.mul_(2)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation "
                                           "has been modified by an inplace operation"):
        b.sum().backward()
    del c


def test_inplace_on_unsaved_tensor_is_fine_and_bumps_version():
    a = ag.rand(3, requires_grad=True)
    b = a * 2
    c = b + b
    v = b._version
    b.add_(1)
    assert b._version == v + 1 and b.grad_fn.name() == "AddBackward0"
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4., 4., 4.])


def test_leaf_inplace_errors_and_no_grad_allows():
    w = ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        w.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0] = 5.0
    v = w._version
    with ag.no_grad():
        w.add_(1)
        w[0] = 5.0
    assert w._version == v + 2
    np.testing.assert_array_equal(w.detach().numpy(), [5., 2., 2.])


def test_detach_shares_storage_and_version_counter_data_does_not():
    a = ag.rand(3, requires_grad=True)
    b = a.sigmoid()
    d = b.detach()
    d.zero_()
    assert b._version == d._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()
    c = a.sigmoid()
    c.data.zero_()   # bypasses the counter, as in PyTorch
    assert c._version == 0


def test_allow_unused_and_materialize():
    x = ag.rand(3, requires_grad=True)
    z = ag.rand(3, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not "
                                           "have been used in the graph"):
        ag.grad(y, [x, z], retain_graph=True)
    gx, gz = ag.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gz is None and np.all(gx.numpy() == 2)
    _, gz = ag.grad(y, [x, z], materialize_grads=True)
    np.testing.assert_array_equal(gz.numpy(), np.zeros(3))


def test_grad_does_not_touch_dot_grad_and_works_for_non_leaves():
    x = ag.rand(3, requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    gh, gx = ag.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(gx.numpy(), 18 * x.detach().numpy(), rtol=1e-6)
    assert x.grad is None
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require"):
        ag.grad((x * 2).sum(), ag.rand(3))


def test_grad_of_several_outputs_sums():
    x = ag.rand(3, requires_grad=True)
    gx, = ag.grad([(x * 2).sum(), (x * 3).sum()], x)
    np.testing.assert_allclose(gx.numpy(), 5.0)
    a = ag.rand(2, requires_grad=True)
    ag.backward([a.sum(), (a * 2).sum()])
    np.testing.assert_allclose(a.grad.numpy(), 3.0)


def test_backward_inputs_limits_accumulation():
    x = ag.rand(3, requires_grad=True)
    w = ag.rand(3, requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert w.grad is None
    np.testing.assert_allclose(x.grad.numpy(), w.detach().numpy())


def test_third_order_derivative():
    x = ag.tensor(1.5, requires_grad=True)
    y = x ** 4
    g1, = ag.grad(y, x, create_graph=True)
    g2, = ag.grad(g1, x, create_graph=True)
    g3, = ag.grad(g2, x)
    assert abs(g1.item() - 4 * 1.5 ** 3) < 1e-4
    assert abs(g2.item() - 12 * 1.5 ** 2) < 1e-4
    assert abs(g3.item() - 24 * 1.5) < 1e-4


def test_hooks_replace_gradients():
    x = ag.tensor([1., 2.], requires_grad=True)
    h = x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20., 20.])
    h.remove()
    x.grad = None
    y = x * 2
    y.register_hook(lambda g: g * 100)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [600., 600.])
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
        ag.ones(2).register_hook(lambda g: g)


def test_retain_grad():
    x = ag.tensor([1., 2.], requires_grad=True)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.detach().numpy())
    z = x * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert z.grad is None
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad"):
        ag.ones(2).retain_grad()


def test_grads_never_alias_each_other_or_the_user_gradient():
    x = ag.zeros(3, requires_grad=True)
    b = ag.zeros(3, requires_grad=True)
    v = ag.tensor([1., 2., 3.])
    (x + b).backward(v)
    assert not np.shares_memory(x.grad.numpy(), b.grad.numpy())
    assert not np.shares_memory(x.grad.numpy(), v.numpy())
    x.grad.add_(1)
    np.testing.assert_array_equal(b.grad.numpy(), [1., 2., 3.])
    np.testing.assert_array_equal(v.numpy(), [1., 2., 3.])


def test_leaf_fed_by_many_nodes_and_an_array_shared_with_a_pending_node():
    """A leaf's sink collects contributions that arrive at different times, one of them an
    array that add's rule also hands to another node still to run: that node must read
    it unchanged, and .grad is the sum (here d/dx of x + exp(x) + 3x*x + x = 2 + e^x + 6x)."""
    x = ag.tensor([0.5, -1.0, 2.0], requires_grad=True, dtype=ag.float64)
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=ag.float64)
    y = (x + x.exp()) + (x * x) * 3 + (x + w)
    g = ag.tensor([1.0, 0.5, -2.0], dtype=ag.float64)
    y.backward(g)
    xs = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * (2 + np.exp(xs) + 6 * xs))
    np.testing.assert_allclose(w.grad.numpy(), g.numpy())
    assert not np.shares_memory(x.grad.numpy(), w.grad.numpy())


def test_failed_backward_leaves_no_pending_gradient_at_a_leaf():
    x = ag.ones(2, requires_grad=True)

    class Boom(ag.Function):
        @staticmethod
        def forward(ctx, a):
            return a.clone()

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    w = ag.ones(2, requires_grad=True)
    y = Boom.apply(x) + x * w   # MulBackward runs first: w's sink collects a gradient,
    with pytest.raises(ValueError, match="boom"):   # then Boom's backward fails
        y.sum().backward()
    assert x.grad is None and w.grad is None
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])   # nothing stale added


def test_chain_of_100000_ops_backprops_without_recursion():
    x = ag.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        x = ag.rand(4, requires_grad=True)
        h = (x * 2).tanh()
        node = weakref.ref(h.grad_fn)
        out = weakref.ref(h)
        loss = (h * h).sum()
        loss.backward()
        del h, loss
        assert node() is None and out() is None
    finally:
        gc.enable()


def test_training_like_loop_creates_no_garbage_cycles():
    w = ag.randn(5, 3, requires_grad=True)
    b = ag.zeros(3, requires_grad=True)
    x = ag.randn(16, 5)
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]
        for _ in range(200):
            loss = ((x @ w + b).relu() ** 2).mean()
            loss.backward()
            with ag.no_grad():
                w -= 0.01 * w.grad
                b -= 0.01 * b.grad
            w.grad = b.grad = None
        assert gc.collect() == 0, "the loop left reference cycles for the garbage collector"
        del before
    finally:
        gc.enable()


def test_grad_mode_is_thread_local():
    seen = []
    with ag.no_grad():
        t = threading.Thread(target=lambda: seen.append(ag.is_grad_enabled()))
        t.start()
        t.join()
        assert not ag.is_grad_enabled()
    assert seen == [True]


def test_grad_mode_managers_and_decorators():
    x = ag.ones(2, requires_grad=True)
    with ag.no_grad():
        assert not (x * 2).requires_grad
        with ag.enable_grad():
            assert (x * 2).requires_grad
        assert ag.ones(2, requires_grad=True).requires_grad

    @ag.no_grad()
    def f():
        return x * 2
    assert not f().requires_grad
    ag.set_grad_enabled(False)
    assert not ag.is_grad_enabled()
    ag.set_grad_enabled(True)
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()
    with ag.inference_mode():
        assert not (x * 2).requires_grad and ag.is_inference_mode_enabled()


def test_create_graph_grad_has_graph_and_backward_gives_second_order():
    x = ag.tensor(3.0, requires_grad=True)
    g, = ag.grad(x ** 3, x, create_graph=True)
    assert g.requires_grad and abs(g.item() - 27.0) < 1e-5
    g2, = ag.grad(g, x)
    assert abs(g2.item() - 18.0) < 1e-5
