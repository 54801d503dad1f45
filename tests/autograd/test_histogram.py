"""Histograms (autograd/histogram.py): histc, histogram, histogramdd and bincount, compared
with PyTorch (values, dtypes, bin edges, errors) when it is installed, and with numpy."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

from . import torch_oracle

SETUP = ("x = torch.tensor([1., 2., 1., 4., 2.5, 0.]); W = torch.tensor([1., 2., 3., 4.]); "
         "P = torch.tensor([[0., 0.], [1., 1.], [2., 0.]])")

EXPRS = [
    'torch.bincount(torch.tensor([0,2,2,5]))',
    'torch.bincount(torch.tensor([0,2,2,5]), minlength=8)',
    'torch.bincount(torch.tensor([0,2,2,5]), weights=W)',
    'torch.bincount(torch.tensor([0,2,2,5]), weights=W.double()).dtype',
    'torch.bincount(torch.tensor([0,2,2,5]), weights=torch.tensor([1,2,3,4])).dtype',
    'torch.bincount(torch.tensor([0,2,2,5]), weights=W.int()).dtype',
    'torch.bincount(torch.tensor([0,2,2,5]), weights=W.half()).dtype',
    'torch.bincount(torch.tensor([], dtype=torch.int64))',
    'torch.bincount(torch.tensor([], dtype=torch.int64), minlength=3)',
    'torch.bincount(torch.tensor([-1, 2]))', 'torch.bincount(torch.tensor([1., 2.]))',
    'torch.bincount(torch.tensor([[1, 2]]))', 'torch.bincount(torch.tensor(2))',
    'torch.bincount(torch.tensor([1,2]), minlength=-1)',
    'torch.bincount(torch.tensor([1,2]), weights=torch.ones(3))',
    'torch.bincount(torch.tensor([1,2], dtype=torch.int32))',
    'torch.bincount(torch.tensor([True, False]))', 'torch.tensor([0,1,1]).bincount()',
    'torch.bincount(torch.tensor([1,2], dtype=torch.uint8))', 'torch.histc(x, bins=4)',
    'torch.histc(x, bins=4, min=0, max=3)', 'torch.histc(x)',
    'torch.histc(torch.tensor([0.,1.,2.]), 2, 0, 2)',
    'torch.histc(torch.tensor([2.,2.,2.]), bins=4)', 'torch.histc(x.double(), 4).dtype',
    'torch.histc(x.clone().requires_grad_(), 4)', 'torch.histc(torch.tensor([1,2]), 4)',
    'torch.histc(x, 4, 3, 1)', "torch.histc(torch.tensor([float('nan'), 1.]), 4)",
    'torch.histc(x, bins=0)', 'torch.histc(x, bins=-1)', 'x.histc(4)',
    'torch.histc(torch.tensor([]), 4)', 'torch.histc(x, 4, min=2, max=2)',
    "torch.histc(torch.tensor([float('inf'), 1.]), 4)",
    "torch.histc(torch.tensor([float('nan'), 1.]), 4, 0, 3)", 'torch.histc(x, 4, 0., 3.).dtype',
    'torch.histc(x.half(), 4)', 'torch.histc(x, 4, out=torch.empty(4))',
    'torch.histc(x.detach(), 2.5)', 'torch.histc(torch.tensor([[1.,2.],[3.,4.]]), 2)',
    'torch.histc(x, 4, min=-1e10, max=1e10)', 'torch.histogram(x, bins=4)',
    'torch.histogram(x, bins=torch.tensor([0.,1.,2.,5.]))',
    'torch.histogram(torch.tensor([5.,0.,1.]), bins=torch.tensor([0.,1.,5.]))',
    'torch.histogram(x, bins=4, range=(0., 3.))',
    'torch.histogram(x, bins=2, weight=torch.arange(1., 7.))',
    'torch.histogram(x, bins=4, density=True)', 'torch.histogram(torch.tensor([2.,2.]), bins=2)',
    'torch.histogram(torch.tensor([[1.,2.],[3.,4.]]), bins=2)',
    'torch.histogram(torch.tensor([1,2]), bins=2)',
    "torch.histogram(torch.tensor([float('nan')]), bins=2)",
    'torch.histogram(x, bins=torch.tensor([2.,1.,3.]))', 'torch.histogram(x.double(), bins=2)',
    'torch.histogram(x, bins=torch.tensor([0.,1.,5.], dtype=torch.float64))',
    'torch.histogram(x, bins=0)', 'torch.histogram(x, 4, range=(3., 1.))',
    'torch.histogram(x, 4, range=(1., 1.))', 'torch.histogram(x, bins=[0., 1., 5.])',
    'torch.histogram(x, bins=torch.tensor([1.]))',
    'torch.histogram(x, bins=torch.tensor([[0.,1.]]))',
    'torch.histogram(x, 2, weight=torch.ones(3))',
    'torch.histogram(x, 2, weight=torch.ones(6, dtype=torch.float64))',
    'type(torch.histogram(x, 2)).__name__', 'torch.histogram(x, 2).hist',
    'torch.histogram(x,2)[1]', 'x.histogram(2)', 'torch.histogram(x, 2, range=(0, 3))',
    'torch.histogram(x, 2, density=True, weight=torch.arange(1., 7.))',
    'torch.histogram(torch.tensor([]), 2)', 'torch.histogram(x, bins=torch.tensor([0,1,5]))',
    'torch.histogram(x.half(), 2)',
    'torch.histogramdd(P, bins=2)',
    'torch.histogramdd(P, bins=[2,3])',
    'torch.histogramdd(P, bins=2, range=[0.,2.,0.,1.])',
    'torch.histogramdd(P, bins=[torch.arange(3.), torch.arange(3.) / 2])',
    'torch.histogramdd(P, bins=2, weight=torch.tensor([1.,2.,3.]), density=True)',
    'torch.histogramdd(torch.tensor([0.,1.,2.]), bins=2)',
    'torch.histogramdd(torch.tensor([[[0.,1.]]]), bins=2)',
    'torch.histogramdd(torch.tensor([[0.,0.],[1.,1.]]), bins=[2])',
    'type(torch.histogramdd(torch.tensor([[0.,0.],[1.,1.]]), bins=2)).__name__',
    'torch.histogramdd(torch.tensor([[0.,0.],[1.,1.]]), bins=2, range=[0.,1.])',
    'torch.histogramdd(torch.tensor([[0.,0.],[1.,1.]]), bins=(2,2))',
    'torch.histogramdd(torch.tensor([[0.,0.],[1.,1.]]), 2).bin_edges',
    'torch.histogramdd(torch.tensor([[0,0],[1,1]]), 2)',
    "torch.histogramdd(torch.tensor([[float('nan'),0.],[1.,1.]]), 2)",
    'torch.histogramdd(torch.tensor([[0.,0.],[1.,1.]]), bins=[torch.tensor([0.,1.])])',
]


@pytest.mark.parametrize("expr", EXPRS)
def test_histograms_match_pytorch(expr):
    torch_oracle.check(expr, setup=SETUP)


def test_histogram_agrees_with_numpy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        data = rng.normal(size=int(rng.integers(1, 200)))
        bins = int(rng.integers(1, 12))
        weights = rng.random(data.shape)
        hist, edges = ag.histogram(ag.tensor(data), bins, weight=ag.tensor(weights))
        h_np, e_np = np.histogram(data, bins, weights=weights)
        np.testing.assert_allclose(hist.numpy(), h_np, rtol=1e-12)
        np.testing.assert_allclose(edges.numpy(), e_np, rtol=1e-12)
        dens, _ = ag.histogram(ag.tensor(data), bins, density=True)
        np.testing.assert_allclose(dens.numpy(), np.histogram(data, bins, density=True)[0])
        pts = rng.normal(size=(50, 2))
        hdd, edd = ag.histogramdd(ag.tensor(pts), [bins, 3])
        h2, e2 = np.histogramdd(pts, [bins, 3])
        np.testing.assert_allclose(hdd.numpy(), h2)
        for a, b in zip(edd, e2):
            np.testing.assert_allclose(a.numpy(), b)


def test_histc_counts_in_the_input_dtype():
    x = ag.tensor([1.0, 2.0, 1.0, 4.0, 2.5, 0.0])
    h = ag.histc(x, bins=4)
    assert h.dtype == ag.float32 and h.tolist() == [1.0, 2.0, 2.0, 1.0]
    assert x.histc(4, min=0, max=3).tolist() == [1.0, 2.0, 1.0, 1.0]   # 4. is outside
    assert ag.histc(ag.tensor([2.0, 2.0, 2.0]), 4).tolist() == [0.0, 0.0, 3.0, 0.0]
    assert ag.histc(x, 4, out=ag.empty(4)).tolist() == [1.0, 2.0, 2.0, 1.0]
    with pytest.raises(RuntimeError, match="torch.histc: max must be larger than min"):
        ag.histc(x, 4, 3, 1)
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for "
                                                  "'Long'"):
        ag.histc(ag.tensor([1, 2]), 4)


def test_bincount():
    assert ag.bincount(ag.tensor([0, 2, 2, 5])).tolist() == [1, 0, 2, 0, 0, 1]
    w = ag.tensor([1.0, 2.0, 3.0, 4.0])
    assert ag.tensor([0, 2, 2, 5]).bincount(w, minlength=7).tolist() == \
        [1.0, 0.0, 5.0, 0.0, 0.0, 4.0, 0.0]
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral"):
        ag.bincount(ag.tensor([-1, 2]))
