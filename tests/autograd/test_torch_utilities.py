"""Small top-level utilities PyTorch programs call: finfo/iinfo, compile, asarray, inner,
is_nonzero, is_complex, can_cast."""

import numpy as np
import pytest

import autograd as ag
import nn


def test_finfo_iinfo():
    f = ag.finfo(ag.float32)
    assert f.eps == np.finfo(np.float32).eps and f.bits == 32 and f.dtype == "float32"
    assert f.min == -f.max and f.tiny == f.smallest_normal and f.resolution == 1e-6
    assert repr(ag.finfo(ag.float16)) == (
        "finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, "
        "smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)")
    assert ag.finfo().dtype == "float32"
    i = ag.iinfo(ag.int32)
    assert (i.min, i.max, i.bits) == (-2 ** 31, 2 ** 31 - 1, 32)
    with pytest.raises(TypeError, match="requires a floating point input type"):
        ag.finfo(ag.int32)
    with pytest.raises(TypeError, match="requires an integer input type"):
        ag.iinfo(ag.float32)


def test_compile_runs_eagerly():
    m = nn.Linear(2, 2)
    assert ag.compile(m) is m

    @ag.compile
    def f(x):
        return x * 2

    @ag.compile(mode="max-autotune")
    def g(x):
        return x * 3

    assert f(ag.ones(1)).item() == 2 and g(ag.ones(1)).item() == 3


def test_asarray_inner_and_predicates():
    a = np.ones(3, np.float32)
    t = ag.asarray(a)
    a[0] = 5
    assert t[0].item() == 5                       # shares memory
    assert ag.asarray(a, copy=True) is not None and ag.asarray([1, 2]).dtype is ag.int64
    assert ag.inner(ag.ones(3), ag.ones(3)).item() == 3
    assert ag.ones(2, 3).inner(ag.ones(4, 3)).shape == (2, 4)
    assert ag.is_nonzero(ag.tensor([1.0])) and not ag.is_nonzero(ag.tensor(0))
    for bad, words in ((ag.tensor([1.0, 2.0]), "more than one value"),
                       (ag.tensor([]), "no values")):
        with pytest.raises(RuntimeError, match=f"Boolean value of Tensor with {words}"):
            ag.is_nonzero(bad)
    assert not ag.is_complex(ag.ones(1))
    assert ag.can_cast(ag.int32, ag.float32) and not ag.can_cast(ag.float32, ag.int32)


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    for name in ("float16", "float32", "float64"):
        want, got = torch.finfo(getattr(torch, name)), ag.finfo(getattr(ag, name))
        assert repr(want) == repr(got)
        for k in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(want, k) == getattr(got, k), (name, k)
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        assert repr(torch.iinfo(getattr(torch, name))) == repr(ag.iinfo(getattr(ag, name)))
    kinds = ("bool", "uint8", "int32", "int64", "float16", "float32", "float64")
    for a in kinds:
        for b in kinds:
            assert torch.can_cast(getattr(torch, a), getattr(torch, b)) == \
                ag.can_cast(getattr(ag, a), getattr(ag, b)), (a, b)


def test_unfold_fill_diagonal_and_real_views():
    x = ag.arange(10.0, requires_grad=True)
    y = x.unfold(0, 3, 2)
    assert y.grad_fn.name() == "UnfoldBackward0" and y.shape == (4, 3)
    y.sum().backward()
    assert x.grad.tolist() == [1, 1, 2, 1, 2, 1, 2, 1, 1, 0]   # overlaps counted twice
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 5"):
        ag.arange(5.0).unfold(0, 6, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        ag.arange(5.0).unfold(0, 2, 0)
    b = ag.zeros(5, 3)
    b.fill_diagonal_(1, wrap=True)
    assert b.nonzero().tolist() == [[0, 0], [1, 1], [2, 2], [4, 0]]
    leaf = ag.ones(3, 3, requires_grad=True)
    w = leaf * 2
    w.fill_diagonal_(0)
    w.sum().backward()
    assert w.sum().item() == 12 and leaf.grad.tolist() == (2 - 2 * np.eye(3)).tolist()
    m = ag.ones(2, 3)
    assert m.conj() is m and m.real is m and m.H.shape == (3, 2) and m.mH.shape == (3, 2)
    with pytest.raises(RuntimeError, match="imag is not implemented"):
        _ = m.imag


def test_unfold_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((2, 7, 3))
    for dim, size, step in ((1, 3, 2), (-1, 2, 1), (0, 1, 1), (1, 7, 3)):
        t = torch.tensor(a, requires_grad=True)
        o = ag.tensor(a, requires_grad=True)
        tu, ou = t.unfold(dim, size, step), o.unfold(dim, size, step)
        np.testing.assert_array_equal(ou.detach().numpy(), tu.detach().numpy())
        (tu * tu).sum().backward()
        (ou * ou).sum().backward()
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy())


def test_inner_shapes_and_errors():
    a, b = ag.ones(2, 3), ag.ones(4, 5, 3)
    assert ag.inner(a, b).shape == (2, 4, 5)   # a's leading dims, then b's
    assert ag.inner(ag.tensor(2.0), ag.ones(3)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match=r"inner\(\) the last dimension must match on both "
                                           r"input tensors but got shapes \[2, 3\] and \[4\]"):
        ag.inner(ag.ones(2, 3), ag.ones(4))
    with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
        ag.ones(3).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        ag.ones(2, 3, 4).fill_diagonal_(1)


def test_inner_and_fill_diagonal_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 1, 3))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    oa, ob = ag.tensor(a, requires_grad=True), ag.tensor(b, requires_grad=True)
    tr, orr = torch.inner(ta, tb), ag.inner(oa, ob)
    np.testing.assert_allclose(orr.detach().numpy(), tr.detach().numpy())
    (tr ** 2).sum().backward()
    (orr ** 2).sum().backward()
    np.testing.assert_allclose(oa.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(ob.grad.numpy(), tb.grad.numpy())
    for shape, wrap in (((5, 3), True), ((5, 3), False), ((2, 4), False), ((3, 3, 3), False)):
        want = torch.zeros(shape).fill_diagonal_(7, wrap=wrap)
        got = ag.zeros(*shape).fill_diagonal_(7, wrap=wrap)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_named_tuples_and_softplus_print_as_pytorch():
    torch = pytest.importorskip("torch")
    import nn
    x, t = ag.arange(6).reshape(2, 3), torch.arange(6).reshape(2, 3)
    for name in ("max", "min"):
        assert repr(getattr(x, name)(dim=1)) == \
            repr(getattr(t, name)(dim=1)).replace("torch.", "autograd.")
    assert repr(nn.Softplus(beta=2, threshold=3)) == repr(torch.nn.Softplus(beta=2, threshold=3))
