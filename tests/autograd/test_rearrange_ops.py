"""Rearranging, stacking, splitting, grids and diagonals against PyTorch: values, dtypes,
gradients, grad_fn names, views and errors."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest

import autograd as ag

from .torch_compare import compare, grad_fn_name, same_error

rng = np.random.default_rng(2)
X = rng.standard_normal((3, 4))
V = rng.standard_normal(4)


@pytest.mark.parametrize("call", [
    lambda m, x: m.roll(x, 1), lambda m, x: m.roll(x, (1, -2), (0, 1)),
    lambda m, x: m.roll(x, -5, 1), lambda m, x: m.rot90(x), lambda m, x: m.rot90(x, 2),
    lambda m, x: m.rot90(x, -1, [1, 0]), lambda m, x: m.rot90(x, 0),
    lambda m, x: m.fliplr(x), lambda m, x: m.flipud(x), lambda m, x: m.tile(x, (2,)),
    lambda m, x: m.tile(x, (2, 1, 3)), lambda m, x: x.tile(2, 2),
    lambda m, x: m.repeat_interleave(x, 2), lambda m, x: m.repeat_interleave(x, 2, dim=1),
    lambda m, x: m.diag(x), lambda m, x: m.diag(x, 1), lambda m, x: m.diag(x[0], -1),
    lambda m, x: m.diagonal(x), lambda m, x: m.diagonal(x, 1, 1, 0), lambda m, x: x.diagonal(-1),
    lambda m, x: m.diag_embed(x), lambda m, x: m.diag_embed(x, 1, 0, 2),
    lambda m, x: m.diagflat(x, -1), lambda m, x: m.trace(x),
    lambda m, x: m.kron(x, x[:2, :1]), lambda m, x: m.kron(x[0], x),
    lambda m, x: m.atleast_3d(x), lambda m, x: m.atleast_2d(x[0]),
    lambda m, x: m.movedim(x, 0, 1), lambda m, x: m.swapaxes(x, 0, 1),
    lambda m, x: m.unflatten(x, 1, (2, 2)), lambda m, x: m.narrow(x, 1, 1, 2),
    lambda m, x: m.broadcast_to(x, (2, 3, 4)), lambda m, x: m.flatten(x),
])
def test_values_gradients_and_grad_fn_names_match_pytorch(call):
    torch = pytest.importorskip("torch")
    out = compare(torch, partial(call, ag), partial(call, torch), X)
    want = call(torch, torch.tensor(X, requires_grad=True))
    assert grad_fn_name(call(ag, ag.tensor(X, requires_grad=True))) == want.grad_fn.name() or \
        want.grad_fn.name() in ("UnsafeViewBackward0", "DiagonalBackward0_copy",
                                "ExpandBackward0", "RepeatBackward0")
    assert out.shape == tuple(want.shape)


def test_repeat_interleave_with_counts_matches_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, "repeat_interleave", None, X, np.array([1, 0, 2]), kwargs={"dim": 0})
    compare(torch, "repeat_interleave", None, X, np.array([2]))
    compare(torch, "repeat_interleave", None, np.array([2, 0, 3]), grad=False)
    compare(torch, "repeat_interleave", None, X, kwargs={"repeats": 2, "dim": 1,
                                                          "output_size": 8})
    for bad in (np.array([1, 2]), np.array([1, 2, -1]), np.array([[1, 2, 1]])):
        same_error(torch, "repeat_interleave", None, X, bad, kwargs={"dim": 0})
    same_error(torch, "repeat_interleave", None, X, kwargs={"repeats": 2, "dim": 1,
                                                             "output_size": 7})


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
def test_stacks_match_pytorch(name):
    torch = pytest.importorskip("torch")
    for arrays in ((X, X), (V, V), (np.array(1.0), np.array(2.0)), (X[:, :1], X[:, :1])):
        compare(torch, lambda *ts: getattr(ag, name)(ts), lambda *ts: getattr(torch, name)(ts),
                *arrays)
    same_error(torch, lambda: getattr(ag, name)([]), lambda: getattr(torch, name)([]))


def test_column_stack_mixes_vectors_and_matrices():
    torch = pytest.importorskip("torch")
    compare(torch, lambda a, b: ag.column_stack([a, b]), lambda a, b: torch.column_stack([a, b]),
            X[:, :2], X[:, 0])


def test_atleast_nd_match_pytorch_for_one_and_several_inputs():
    torch = pytest.importorskip("torch")
    for n in (1, 2, 3):
        name = f"atleast_{n}d"
        for a in (np.array(1.5), V, X, X[None]):
            compare(torch, name, None, a)
        compare(torch, name, None, np.array(1.5), V)
        out = getattr(ag, name)([ag.tensor(1.0)])
        assert isinstance(out, tuple) and len(out) == 1


def test_splits_match_pytorch():
    torch = pytest.importorskip("torch")
    r = np.arange(7.0)
    for ios in (3, [1, 5, 9], [2, 3], 1, 7, 9):
        compare(torch, "tensor_split", None, r, ios)
    compare(torch, "tensor_split", None, X, 2, kwargs={"dim": 1})
    compare(torch, "tensor_split", None, r, np.array(3), grad=False)
    compare(torch, "tensor_split", None, r, np.array([2, 3]), grad=False)
    compare(torch, "hsplit", None, X, 2)
    compare(torch, "hsplit", None, X, [1])
    compare(torch, "vsplit", None, X, 3)
    compare(torch, "dsplit", None, X[..., None].repeat(2, -1), 2)
    same_error(torch, "tensor_split", None, r, 0)
    same_error(torch, "hsplit", None, X, 3)
    same_error(torch, "vsplit", None, V, 2)
    same_error(torch, "dsplit", None, X, 2)
    same_error(torch, "hsplit", None, np.array(1.0), 1)
    parts = ag.tensor_split(ag.arange(7.0), 3)
    assert [p.shape[0] for p in parts] == [3, 2, 2]


def test_meshgrid_cartesian_prod_and_combinations_match_pytorch():
    torch = pytest.importorskip("torch")
    a, b, c = np.array([1.0, 2, 3]), np.array([4.0, 5]), np.array(7.0)
    for indexing in ("ij", "xy"):
        compare(torch, "meshgrid", None, a, b, c, kwargs={"indexing": indexing})
        compare(torch, lambda *ts, **kw: ag.meshgrid(list(ts), **kw),
                lambda *ts, **kw: torch.meshgrid(list(ts), **kw), a, b,
                kwargs={"indexing": indexing})
    with pytest.warns(UserWarning, match="indexing argument"):
        ag.meshgrid(ag.tensor(a), ag.tensor(b))
    same_error(torch, "meshgrid", None, a, b, kwargs={"indexing": "foo"})
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor in the tensor list"):
        ag.meshgrid(ag.tensor(X), indexing="ij")
    compare(torch, "cartesian_prod", None, a, b)
    compare(torch, "cartesian_prod", None, a)
    compare(torch, "cartesian_prod", None, np.array([1, 2]), np.array([3, 4, 5]), grad=False)
    for r in (0, 1, 2, 4):
        compare(torch, "combinations", None, a, kwargs={"r": r})
        compare(torch, "combinations", None, a, kwargs={"r": r, "with_replacement": True})
    same_error(torch, "combinations", None, X)


def test_block_diag_matches_pytorch():
    torch = pytest.importorskip("torch")
    compare(torch, "block_diag", None, np.array(1.0), np.array([2.0, 3]), X[:2, :1])
    compare(torch, "block_diag", None, np.array([1, 2]), np.ones((2, 1)), grad=False)
    compare(torch, "block_diag", None, grad=False)
    assert grad_fn_name(ag.block_diag(ag.tensor(X, requires_grad=True))) == "BlockDiagBackward0"
    same_error(torch, "block_diag", None, np.ones((2, 2, 2)))


def test_tril_triu_indices_match_pytorch():
    torch = pytest.importorskip("torch")
    for args in ((3, 4, 1), (3, 3, -1), (4, 2), (0, 3), (3, 3, 5)):
        np.testing.assert_array_equal(ag.tril_indices(*args).numpy(),
                                      torch.tril_indices(*args).numpy())
        np.testing.assert_array_equal(ag.triu_indices(*args).numpy(),
                                      torch.triu_indices(*args).numpy())
    assert ag.tril_indices(3, 3, dtype=ag.int32).dtype == ag.int32
    same_error(torch, lambda: ag.tril_indices(3, 3, dtype=ag.float32),
               lambda: torch.tril_indices(3, 3, dtype=torch.float32))


def test_diagonal_is_a_writeable_view_sharing_the_version_counter():
    x = ag.zeros(3, 3)
    d = x.diagonal()
    d.fill_(2.0)
    assert x.tolist() == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]
    assert d._version == x._version == 1
    y = ag.ones(2, 3, requires_grad=True) * 1
    z = y.diagonal(1)
    z.sum().backward()


def test_errors_match_pytorch():
    torch = pytest.importorskip("torch")
    same_error(torch, "rot90", None, X, kwargs={"k": 1, "dims": [0]})
    same_error(torch, "rot90", None, V)
    same_error(torch, "rot90", None, X, kwargs={"k": 1, "dims": [0, 0]})
    same_error(torch, "rot90", None, X, kwargs={"k": 1, "dims": [0, 2]})
    same_error(torch, "roll", None, X, kwargs={"shifts": (1, 2), "dims": (0,)})
    same_error(torch, "roll", None, X, kwargs={"shifts": (1, 1)})
    same_error(torch, "roll", None, X, kwargs={"shifts": 1, "dims": 5})
    same_error(torch, "diag", None, np.zeros((2, 2, 2)))
    same_error(torch, "diagonal", None, X, kwargs={"offset": 0, "dim1": 0, "dim2": 0})
    same_error(torch, "diag_embed", None, X, kwargs={"offset": 0, "dim1": 0, "dim2": 0})
    same_error(torch, "trace", None, np.zeros((2, 2, 2)))
    same_error(torch, "broadcast_tensors", None, np.ones((3, 2)), np.ones(4))
    with pytest.raises(RuntimeError, match="Shape mismatch"):
        ag.broadcast_shapes((3, 2), (4,))


def test_integer_trace_sums_to_int64_and_roll_of_0d():
    torch = pytest.importorskip("torch")
    compare(torch, "trace", None, np.array([[1, 2], [3, 4]], dtype=np.int32), grad=False)
    compare(torch, "roll", None, np.array(3.0), kwargs={"shifts": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.roll(ag.tensor(3.0), 1)


def test_inplace_forms_where_pytorch_has_them():
    x = ag.ones(3, 3)
    x.tril_(-1)
    assert x.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    x.cumsum_(0)
    assert x.tolist() == [[0, 0, 0], [1, 0, 0], [2, 1, 0]]
    x.triu_()
    assert x.sum().item() == 0.0

