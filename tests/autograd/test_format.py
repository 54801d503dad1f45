"""Printed tensors read as PyTorch's: element width, line breaks, modes, summaries."""

import numpy as np
import pytest

import autograd as ag


@pytest.fixture
def default_printoptions():
    yield
    ag.set_printoptions(profile="default")


def test_width_comes_from_nonzero_finite_values():
    # zeros, inf and nan do not widen the elements: 24 zeros of width 1 fit a line of 80
    assert str(ag.zeros(30)).split("\n")[0].count("0.") == 24
    # a one among zeros: width 2, so 18 per row after the 8-character indent of a matrix
    x = ag.zeros(1, 57)
    x[0, 35] = 1
    lines = str(x).split("\n")
    assert [ln.count(".") for ln in lines] == [18, 18, 18, 3]
    assert str(ag.tensor([0.0, 100.0, float("nan")])) == "tensor([  0., 100.,  nan])"


def test_modes():
    assert str(ag.tensor([1.5, -2.25])) == "tensor([ 1.5000, -2.2500])"
    assert str(ag.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert str(ag.tensor([1.0, 2000.0])) == "tensor([1.0000e+00, 2.0000e+03])"
    assert str(ag.tensor(3.5)) == "tensor(3.5000)"
    assert str(ag.tensor([[1, 22], [333, 4]])) == "tensor([[  1,  22],\n        [333,   4]])"
    assert str(ag.tensor([True, False])) == "tensor([ True, False])"


def test_summaries_and_suffixes(default_printoptions):
    assert str(ag.arange(2000.0)).startswith("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ...,")
    ag.set_printoptions(threshold=5, edgeitems=0)
    assert str(ag.arange(10)) == "tensor([...], size=(10,))"
    ag.set_printoptions(profile="default")
    y = ag.ones(2, requires_grad=True) * 2
    assert str(y) == "tensor([2., 2.], grad_fn=<MulBackward0>)"
    # a suffix that does not fit the last line goes on a line of its own
    z = ag.tensor(np.linspace(-1, 1, 7), dtype=ag.float64, requires_grad=True)
    assert str(z) == ("tensor([-1.0000, -0.6667, -0.3333,  0.0000,  0.3333,  0.6667,  1.0000],\n"
                      "       dtype=autograd.float64, requires_grad=True)")
    # a suffix is measured as PyTorch spells it (torch.float64): this line is PyTorch's 79
    # characters there, so it stays one line here too (it broke before the suffix)
    w = ag.tensor([1e8, 1e-8], dtype=ag.float64, requires_grad=True) * 2
    assert str(w) == "tensor([2.0000e+08, 2.0000e-08], dtype=autograd.float64, " \
                     "grad_fn=<MulBackward0>)"


def _cases():
    rng = np.random.default_rng(0)
    for shape in [(), (5,), (57,), (2, 1, 57), (3, 30), (2, 3, 4), (0,), (0, 3), (1001,),
                  (40, 40), (5, 5, 50)]:
        base = rng.standard_normal(shape)
        for a in (base, np.round(base * 300), base * 1e9, base * 1e-5,
                  base * 10.0 ** rng.integers(-6, 6, shape), np.zeros(shape),
                  np.where(rng.random(shape) < 0.3, np.nan, base)):
            yield a.astype(np.float32)
            yield np.nan_to_num(a).astype(np.int64)
        yield base > 0
        yield base.astype(np.float16)


@pytest.mark.parametrize("opts", [{}, {"precision": 2}, {"sci_mode": True}, {"sci_mode": False},
                                  {"linewidth": 40}, {"threshold": 5, "edgeitems": 1},
                                  {"profile": "short"}])
def test_matches_pytorch(opts, default_printoptions):
    torch = pytest.importorskip("torch")
    try:
        torch.set_printoptions(**opts)
        ag.set_printoptions(**opts)
        for a in _cases():
            for rg in (False, True) if a.dtype.kind == "f" else (False,):
                want = str(torch.tensor(a, requires_grad=rg))
                got = str(ag.tensor(a, requires_grad=rg))
                assert got.replace("autograd.", "torch.") == want   # (lines break as there)
    finally:
        torch.set_printoptions(profile="default")
