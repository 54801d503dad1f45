"""In-place ops on views and on bases with views, with PyTorch's gradients and graph
shapes (CopySlices, AsStridedBackward0), and its errors. Expected values are PyTorch's
(shared/reference/pytorch_behaviour_2.md §2); with torch installed, each case is also run
there."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

W4 = [1.0, 2.0, 3.0, 4.0]
W6 = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def _run(lib, case):
    """Run one case with `lib` (autograd or torch); returns the gradients as arrays."""
    f64 = lib.float64
    x = lib.tensor(W6[:4] if case != "view_of_view" and case[:4] != "mat_" else W6,
                   dtype=f64, requires_grad=True)
    w = lib.tensor(W4 if x.numel() == 4 else W6, dtype=f64)
    y = x * 1
    if case == "iadd_slice":
        v = lib.tensor([10.0, 20.0], dtype=f64, requires_grad=True)
        y[1:3] += v
        (y * w).sum().backward()
        return x.grad, v.grad, y._version
    if case == "narrow_mul":
        y.narrow(0, 1, 2).mul_(2)
        (y * w).sum().backward()
        return (x.grad,)
    if case == "view_of_view":
        vv = y.view(2, 3)[1]
        vv.mul_(3)
        (y * w).sum().backward(retain_graph=True)
        g1 = x.grad.clone()
        x.grad = None
        vv.sum().backward()
        return g1, x.grad
    if case == "base_mul_after_view":
        v = y[1:3]
        y.mul_(10)
        v.sum().backward()
        return x.grad, v.detach()
    if case == "base_exp_after_view":
        v = y[1:3]
        y.exp_()
        (v * v).sum().backward()
        return (x.grad,)
    if case == "mat_isub_row":
        d = lib.tensor([1.0, 2.0, 3.0], dtype=f64, requires_grad=True)
        y.view(2, 3)[0] -= d * 2
        (y * w).sum().backward()
        return x.grad, d.grad
    if case == "mat_isub_advanced":
        y.view(2, 3)[:, [0, 2]] -= 1
        (y * w).sum().backward()
        return (x.grad,)
    if case == "mat_imul_bool":
        y.view(2, 3)[lib.tensor([True, False])] *= 2
        y.backward(w)
        return (x.grad,)
    raise AssertionError(case)


EXPECTED = {   # PyTorch's results (pytorch_behaviour_2.md §2)
    "iadd_slice": ([1, 2, 3, 4], [2, 3], 2),
    "narrow_mul": ([1, 4, 6, 4],),
    "view_of_view": ([1, 2, 3, 12, 15, 18], [0, 0, 0, 3, 3, 3]),
    "base_mul_after_view": ([0, 10, 10, 0], [20, 30]),
    "base_exp_after_view": ([0, 2 * np.exp(4.0), 2 * np.exp(6.0), 0],),
    "mat_isub_row": ([1, 2, 3, 4, 5, 6], [-2, -4, -6]),
    "mat_isub_advanced": ([1, 2, 3, 4, 5, 6],),
    "mat_imul_bool": ([2, 4, 6, 4, 5, 6],),
}


def _as_list(v):
    if isinstance(v, int):
        return v
    return np.asarray(v.detach().numpy() if hasattr(v, "detach") else v, dtype=float)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_inplace_on_views_gives_pytorchs_gradients(case):
    got = _run(ag, case)
    for g, want in zip(got, EXPECTED[case]):
        np.testing.assert_allclose(_as_list(g), want, rtol=1e-12)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_inplace_on_views_against_pytorch(case):
    torch = pytest.importorskip("torch")
    for ours, theirs in zip(_run(ag, case), _run(torch, case)):
        np.testing.assert_allclose(_as_list(ours), _as_list(theirs), rtol=1e-12)


def test_graph_after_inplace_on_views_has_pytorchs_nodes():
    x = ag.arange(1.0, 5.0, dtype=ag.float64).requires_grad_()
    y = x * 1
    y[1:3] += ag.tensor([10.0, 20.0], dtype=ag.float64, requires_grad=True)
    names = [None if n is None else n.name() for n, _ in y.grad_fn.next_functions]
    assert y.grad_fn.name() == "CopySlices" and names == ["CopySlices", "AsStridedBackward0"]
    y = x * 1
    v = y[1:3]
    assert v.grad_fn.name() == "SliceBackward0"
    y.mul_(10)
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert v.grad_fn.next_functions[0][0] is y.grad_fn
    assert y._version == v._version == 1
    np.testing.assert_array_equal(v.detach().numpy(), [20.0, 30.0])


def test_makemore_manual_backprop_index_accumulation():
    """`dC[ix] += d` on plain tensors, as makemore's manual backprop writes it."""
    C = ag.randn(27, 10, generator=ag.Generator().manual_seed(0))
    dC = ag.zeros_like(C)
    ix = ag.tensor([[1, 5], [5, 26]])
    demb = ag.ones(2, 2, 10)
    for k in range(2):
        for j in range(2):
            dC[ix[k, j]] += demb[k, j]
    expected = np.zeros((27, 10))
    expected[1] += 1
    expected[5] += 2
    expected[26] += 1
    np.testing.assert_array_equal(dC.numpy(), expected)
    n = 4
    logits = ag.randn(n, 27, generator=ag.Generator().manual_seed(1))
    Yb = ag.tensor([3, 0, 26, 3])
    dlogits = logits.softmax(1)
    dlogits[range(n), Yb] -= 1
    want = logits.softmax(1).numpy().copy()
    want[np.arange(n), Yb.numpy()] -= 1
    np.testing.assert_allclose(dlogits.numpy(), want, rtol=1e-6)


def test_inplace_errors_on_views():
    x = ag.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad"):
        x[1:3].add_(1)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad"):
        x.view(2, 2).mul_(2)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad"):
        x[0] = 5.0
    with ag.no_grad():
        x[1:3].add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [1, 2, 2, 1])
    y = x * 1
    with ag.no_grad():
        v = y[1:3]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        v.mul_(2)
    a, b = y.unbind(0)[:2]
    with pytest.raises(RuntimeError, match="Output 0 of Unbind is a view and is being modified "
                                           "inplace"):
        a.add_(1)
    with pytest.raises(RuntimeError, match="Output 1 of Split is a view"):
        y.split(2)[1].mul_(2)
    with pytest.raises(RuntimeError, match="Output 0 of Split is a view"):
        y.chunk(2)[0].mul_(2)
    z = y.exp()
    z.add_(1)   # a saved output: named by the op that saved it
    with pytest.raises(RuntimeError, match="which is output 0 of Exp, is at version 1; expected "
                                           "version 0 instead"):
        z.sum().backward()
    y2 = x * 2
    z2 = y2 * y2
    y2.add_(1)   # a saved input: named by its current op
    with pytest.raises(RuntimeError, match="which is output 0 of Add, is at version 1; expected "
                                           "version 0 instead"):
        z2.sum().backward()


def test_split_is_one_node_of_views():
    """split / chunk record one node with an output per piece (PyTorch's names); the
    pieces are views of x (an in-place change of x shows in them); the
    backward fills a piece without a gradient with zeros, on arrays and in Tensor ops."""
    x = ag.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
    y = x * 1
    a, b, c = y.split(2)
    assert [t.grad_fn.name() for t in (a, b, c)] == ["SplitBackward0"] * 3
    assert a.grad_fn is b.grad_fn and [t._out_nr for t in (a, b, c)] == [0, 1, 2]
    assert y.split([1, 5])[0].grad_fn.name() == "SplitWithSizesBackward0"
    assert y.chunk(3)[2].grad_fn.name() == "SplitBackward0"
    with pytest.raises(RuntimeError, match="Output 1 of SplitWithSizes is a view"):
        y.split([1, 5])[1].mul_(2)
    (a.sum() + (c * c).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [1, 1], [0, 0], [0, 0],
                                                   [16, 18], [20, 22]])
    g, = ag.grad((c * c).sum(), x, create_graph=True)
    assert g.grad_fn is not None
    np.testing.assert_array_equal(g.detach().numpy()[4:], [[16, 18], [20, 22]])
    with ag.no_grad():
        y[4, 0] = 100.0
    assert c.detach().numpy()[0, 0] == 100.0
    only, = y.split(6)
    assert only.grad_fn.name() == "SplitBackward0" and only._base is y
    assert x.detach().split(2)[0].grad_fn is None
