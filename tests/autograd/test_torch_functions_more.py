"""dist, isin, cov, corrcoef, renorm, vander, unravel_index, the *_scatter functions,
narrow_copy, addr, split_with_sizes, index_reduce, put, adjoint and the small predicates:
the same values, dtypes and errors as PyTorch (gradients: the op registry)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag

CASES = {
    "unravel": lambda t: t.unravel_index(t.tensor([5, -1, 3, 6]), (2, 3)),
    "unravel_0d": lambda t: t.unravel_index(t.tensor(4), (2, 3)),
    "unravel_float": lambda t: t.unravel_index(t.tensor([1.0]), (2, 3)),
    "vander_2d": lambda t: t.vander(t.tensor([[1.0]])),
    "vander_int": lambda t: t.vander(t.tensor([1, 2, 3]), N=4),
    "vander_inc": lambda t: t.vander(t.tensor([1.0, 2.0]), increasing=True),
    "vander_0": lambda t: t.vander(t.tensor([1.0, 2.0]), N=0),
    "vander_1": lambda t: t.vander(t.tensor([1.0, 2.0]), N=1),
    "adjoint_1d": lambda t: t.adjoint(t.zeros(3)),
    "adjoint": lambda t: t.arange(6.0).reshape(2, 3).adjoint(),
    "put_range": lambda t: t.zeros(6).put(t.tensor([10]), t.tensor([1.0])),
    "put": lambda t: t.zeros(2, 3).put(t.tensor([-1, 0]), t.tensor([1.0, 2.0])),
    "put_acc": lambda t: t.zeros(2, 3).put(t.tensor([1, 1]), t.tensor([1.0, 2.0]),
                                           accumulate=True),
    "put_count": lambda t: t.zeros(2, 3).put(t.tensor([1, 1]), t.tensor([1.0, 2.0, 3.0])),
    "put_": lambda t: t.zeros(2, 3).put_(t.tensor([4]), t.tensor([7.0])),
    "isin": lambda t: t.isin(t.tensor([1, 2, 3]), t.tensor([2, 5])),
    "isin_number": lambda t: t.isin(t.tensor([1.0, 2, 3]), 2),
    "isin_element": lambda t: t.isin(2, t.tensor([1, 2])),
    "isin_invert": lambda t: t.isin(t.tensor([1, 2, 3]), t.tensor([2.0]), invert=True),
    "dist3": lambda t: t.dist(t.zeros(3), t.ones(2, 3), p=3),
    "dist0": lambda t: t.dist(t.zeros(3), t.ones(2, 3), p=0),
    "dist_inf": lambda t: t.zeros(3).dist(t.ones(2, 3), p=float("inf")),
    "dist_shapes": lambda t: t.dist(t.zeros(3), t.ones(2)),
    "cov_3d": lambda t: t.cov(t.zeros(2, 3, 4)),
    "cov_1d": lambda t: t.cov(t.tensor([1.0, 2, 4])),
    "cov_int": lambda t: t.cov(t.tensor([[1, 2, 4], [0, 1, 1]])),
    "cov_fw_float": lambda t: t.cov(t.tensor([[1.0, 2, 4], [0, 1, 1]]),
                                    fweights=t.tensor([1.0, 2, 1])),
    "cov_fw_negative": lambda t: t.cov(t.tensor([[1.0, 2, 4], [0, 1, 1]]),
                                       fweights=t.tensor([1, -2, 1])),
    "cov_weights": lambda t: t.tensor([[1.0, 2, 4], [0, 1, 1]]).cov(
        fweights=t.tensor([1, 2, 1]), aweights=t.tensor([0.5, 1, 2]), correction=2),
    "cov_dof": lambda t: t.cov(t.tensor([[1.0, 2]]), correction=3),
    "corrcoef": lambda t: t.corrcoef(t.tensor([[1.0, 2, 4], [0, 1, 1], [3, 1, 2]])),
    "corrcoef_1d": lambda t: t.corrcoef(t.tensor([1.0, 2, 4])),
    "renorm": lambda t: t.renorm(t.tensor([[1.0, 2, 4], [0, 1, 1]]), 2, 0, 2),
    "renorm_dim1": lambda t: t.tensor([[1.0, 2, 4], [0, 1, 1]]).renorm(1, 1, 2),
    "renorm_p": lambda t: t.renorm(t.tensor([[1.0, 2, 4], [0, 1, 1]]), -1, 0, 2),
    "renorm_max": lambda t: t.renorm(t.tensor([[1.0, 2, 4], [0, 1, 1]]), 2, 0, -2),
    "renorm_1d": lambda t: t.renorm(t.tensor([1.0, 2, 4]), 2, 0, 2),
    "addr_beta0": lambda t: t.addr(t.full((2, 3), float("nan")), t.ones(2), t.ones(3), beta=0,
                                   alpha=2),
    "addr": lambda t: t.addr(t.ones(2, 3), t.tensor([1.0, 2]), t.ones(3), beta=0.5, alpha=2),
    "addr_broadcast": lambda t: t.ones(3).addr(t.tensor([1.0, 2]), t.ones(3)),
    "addr_shapes": lambda t: t.addr(t.zeros(2, 3), t.ones(2), t.ones(4)),
    "predicates": lambda t: (t.zeros(3).is_signed(), t.zeros(3, dtype=t.uint8).is_signed(),
                             t.zeros(3, dtype=t.bool).is_signed(), t.zeros(3).is_same_size(
                                 t.ones(3)), t.zeros(2).is_same_size(t.ones(3)),
                             t.ones(1).is_neg(), t.is_conj(t.ones(1)), t.is_neg(t.ones(1)),
                             t.ones(1).is_inference()),
    "resolve": lambda t: (t.resolve_neg(t.ones(2)), t.resolve_conj(t.ones(2)),
                          t.ones(2).resolve_neg()),
    "index_reduce_sum": lambda t: t.zeros(2, 3).index_reduce(0, t.tensor([0, 0, 1]),
                                                             t.ones(3, 3), "sum"),
    "index_reduce_amax": lambda t: t.zeros(2, 3).index_reduce(
        0, t.tensor([0, 0, 1]), t.arange(9.0).reshape(3, 3), "amax"),
    "index_reduce_prod": lambda t: t.ones(2, 3).index_reduce(
        1, t.tensor([0, 2]), t.arange(1.0, 5).reshape(2, 2), "prod", include_self=False),
    "index_reduce_mean": lambda t: t.ones(2, 3).index_reduce_(
        1, t.tensor([0, 0]), t.arange(1.0, 5).reshape(2, 2), "mean"),
    "slice_scatter": lambda t: t.zeros(4, 3).slice_scatter(t.ones(2, 3), start=1, end=3),
    "slice_scatter_size": lambda t: t.zeros(4, 3).slice_scatter(t.ones(2, 3), start=1),
    "slice_scatter_step": lambda t: t.slice_scatter(t.zeros(4, 3), t.ones(4, 2), dim=1,
                                                    start=0, step=2),
    "select_scatter": lambda t: t.select_scatter(t.zeros(4, 3), t.ones(4), 1, 0),
    "select_scatter_size": lambda t: t.zeros(4, 3).select_scatter(t.ones(3), 1, 0),
    "diagonal_scatter": lambda t: t.diagonal_scatter(t.zeros(3, 3), t.ones(2), 1),
    "diagonal_scatter_size": lambda t: t.zeros(3, 3).diagonal_scatter(t.ones(3), 1),
    "narrow_copy": lambda t: t.narrow_copy(t.arange(12.0).reshape(3, 4), 1, 1, 2),
    "split_with_sizes": lambda t: t.arange(12.0).reshape(3, 4).split_with_sizes([1, 3], 1),
    "split_with_sizes_sum": lambda t: t.split_with_sizes(t.zeros(3, 4), [1, 2], 1),
}


def _run(lib, case):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = CASES[case](lib)
    except Exception as e:   # noqa: BLE001 - the error is the result to compare
        return "error", type(e).__name__, str(e).replace("torch.", "").replace("autograd.", "")
    outs = out if isinstance(out, tuple) else (out,)
    return "value", [(o.numpy(), str(o.dtype).split(".")[-1]) if hasattr(o, "numpy") else o
                     for o in outs]


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_as_pytorch(case):
    ours = _run(ag, case)
    torch = pytest.importorskip("torch")
    theirs = _run(torch, case)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "error":
        assert ours[1] == theirs[1] and theirs[2].splitlines()[0] in ours[2], (ours, theirs)
        return
    for (a, b) in zip(ours[1], theirs[1], strict=True):
        if isinstance(a, tuple):
            np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
            assert a[1] == b[1]
        else:
            assert a == b


def test_without_torch():
    np.testing.assert_allclose(ag.cov(ag.tensor([[1.0, 2, 4], [0, 1, 1]])).numpy(),
                               np.cov([[1.0, 2, 4], [0, 1, 1]]), rtol=1e-6)
    assert [c.tolist() for c in ag.unravel_index(ag.tensor([5, -1]), (2, 3))] == \
        [[1, 1], [2, 2]]
    np.testing.assert_array_equal(ag.vander(ag.tensor([2, 3]), N=3).numpy(),
                                  np.vander([2, 3], 3))
    assert ag.isin(ag.tensor([1, 2]), ag.tensor([2])).tolist() == [False, True]
    with ag.inference_mode():
        t = ag.ones(2)
    assert t.is_inference() and not ag.ones(2).is_inference()
    x = ag.zeros(2, 3)
    out = x.put_(ag.tensor([-1]), ag.tensor([5.0]))
    assert out is x and x[1, 2].item() == 5.0
    with pytest.raises(IndexError, match="out of range: tried to access index 6 on a tensor "
                                         "of 6 elements"):
        x.put(ag.tensor([6]), ag.tensor([1.0]))
