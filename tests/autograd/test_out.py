"""PyTorch's out= argument (autograd/out_arg.py): the result written into out and out
returned, resizing (with PyTorch's warning when out had elements), each function's dtype
rule, writes through views, and the autograd error; compared with PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

from . import torch_oracle

SETUP = """
f = torch.ones(2, 3); i = torch.ones(2, 3, dtype=torch.int64)
d = torch.ones(2, 3, dtype=torch.float64); r = torch.ones(2, 3, requires_grad=True)
E = lambda *s, dt=torch.float32: torch.empty(*s, dtype=dt)
"""

EXPRS = [
    'torch.matmul(f, f.T, out=E(2,2))', 'torch.matmul(f, f.T, out=E(2,2,dt=torch.float64))',
    'torch.mm(f, f.T, out=E(2,2,dt=torch.float64))',
    'torch.bmm(f[None], f.T[None], out=E(1,2,2,dt=torch.float64))',
    'torch.matmul(r, f.T, out=E(2,2))', 'torch.mm(r, f.T, out=E(2,2))',
    'torch.add(r, f, out=E(2,3))', 'torch.add(f, f, out=E(2,3).requires_grad_())',
    'torch.cat([r, f], out=E(4,3))', 'torch.exp(r, out=E(2,3))',
    'torch.clamp(r, 0, 1, out=E(2,3))', 'torch.where(f>0, r, f, out=E(2,3))',
    'torch.stack([r,f], out=E(2,2,3))', 'torch.mul(r, 2, out=E(2,3))',
    'torch.sub(r, 2, out=E(2,3))', 'torch.div(r, 2, out=E(2,3))', 'torch.add(i, i, out=E(2,3))',
    'torch.add(f, f, out=E(2,3,dt=torch.int64))', 'torch.add(f, f, out=E(2,3,dt=torch.float64))',
    'torch.div(i, i, out=E(2,3,dt=torch.int64))', 'torch.add(f, f, out=E(2,3,dt=torch.bool))',
    'torch.add(i, i, out=E(2,3,dt=torch.bool))', 'torch.gt(f, 0, out=E(2,3,dt=torch.float32))',
    'torch.exp(i, out=E(2,3,dt=torch.int64))', 'torch.exp(f, out=E(2,3,dt=torch.float64))',
    'torch.exp(d, out=E(2,3))', 'torch.sum(f, out=E(()))', 'torch.sum(f, 1, out=E(2))',
    'torch.sum(f, 1, True, out=E(2, 1))', 'torch.sum(f, dim=1, out=E(5))',
    'torch.sum(f, 1, out=E(2,dt=torch.int64))', 'torch.mean(f, 1, out=E(2))',
    'torch.mean(f, 1, out=E(2, dt=torch.float64))', 'torch.mean(f, 1, out=E(2,dt=torch.int64))',
    'torch.mean(f, out=E(()))', 'torch.prod(f, out=E(()))',
    'torch.prod(f, 1, out=E(2,dt=torch.int64))', 'torch.cat([f, f], out=E(4,3,dt=torch.float64))',
    'torch.cat([f, f], out=E(4,3,dt=torch.int64))',
    'torch.cat([i, i], out=E(4,3,dt=torch.float32))', 'torch.cat([f, f], out=E(3,3))',
    'torch.stack([f, f], out=E(2,2,3,dt=torch.float64))', 'torch.stack([f, f], out=E(0))',
    'torch.stack([f, f], out=E(2,2,3,dt=torch.int64))',
    'torch.hstack([f, f], out=E(2,6,dt=torch.int64))',
    'torch.hstack([f, f], out=E(2,6,dt=torch.float64))', 'torch.where(f>0, f, d, out=E(2,3))',
    'torch.where(f>0, d, d, out=E(2,3))', 'torch.where(f>0, f, f, out=E(2,3,dt=torch.int64))',
    'torch.where(f>0, i, i, out=E(2,3))', 'torch.clamp(f, 0, 1, out=E(2,3,dt=torch.int64))',
    'torch.clamp(i, 0, 1, out=E(2,3,dt=torch.float32))',
    'torch.clamp(f, 0, 1, out=E(2,3,dt=torch.float64))', 'torch.clamp(f, min=0., out=E(2,3))',
    'torch.clamp_min(f, 0, out=E(2,3,dt=torch.float64))',
    'torch.clip(f, 0, 1, out=E(2,3,dt=torch.float64))', 'torch.arange(5, out=E(0))',
    'torch.arange(5, out=E(0, dt=torch.int64))', 'torch.arange(5, out=E(3))',
    'torch.arange(5., out=E(5, dt=torch.int64))', 'torch.arange(5, dtype=torch.float64, out=E(5))',
    'torch.linspace(0, 1, 5, out=E(5, dt=torch.float64))', 'torch.linspace(0,1,5,out=E(2))',
    'torch.logspace(0, 1, 3, out=E(0, dt=torch.float64))', 'torch.zeros(2, 3, out=E(6))',
    'torch.zeros(2, out=E(2, dt=torch.int64))', 'torch.zeros(2, dtype=torch.float64, out=E(2))',
    'torch.ones((2,), out=E(2, dt=torch.int64))', 'torch.randn(2, out=E(2)).shape',
    'torch.randn(2, out=E(2, dt=torch.int64))', 'torch.randn(2, out=E(2, dt=torch.float64)).dtype',
    'torch.rand(2, out=E(0)).shape', 'torch.randperm(3, out=E(0)).dtype',
    'torch.randint(5, (3,), out=E(0)).dtype', 'torch.empty(2, out=E(0)).shape',
    'torch.full((2,), 3., out=E(2, dt=torch.int64))',
    'torch.full((2,), 3., out=E(2, dt=torch.int64), dtype=torch.float32)',
    'torch.eye(2, out=E(2,2))', 'torch.eye(2, out=E(2,2,dt=torch.int64))',
    'torch.add(f, f, out=[1])', 'torch.add(f, 1, out=E(2,3).T).stride()',
    'torch.matmul(f, f.T, out=E(3,3)[:2,:2])', 'torch.matmul(f, f.T, out=E(5,5))',
    'torch.matmul(i, i.T, out=E(2,2))', 'torch.matmul(f, f.T, out=E(2,2,dt=torch.int64))',
    'torch.matmul(f, f.T, out=E(2,2,dt=torch.float16))', 'torch.mm(d, d.T, out=E(2,2))',
    'torch.exp(f, out=E(2,3).T)', 'torch.maximum(f, f, out=E(2,3))', 'torch.pow(f, 2, out=E(2,3))',
    'torch.pow(i, 2, out=E(2,3)).dtype', 'torch.neg(f, out=E(2,3))', 'torch.tanh(f, out=E(2,3))',
    'torch.sqrt(f, out=E(2,3))', 'torch.exp(f, out=E(2,3,dt=torch.float16)).dtype',
    'torch.argmax(f, 1, out=E(2, dt=torch.int64))', 'torch.argmax(f, 1, out=E(2))',
    'torch.cumsum(f, 0, out=E(2,3))', 'torch.cumsum(f, 0, out=E(2,3,dt=torch.int64))',
    'torch.abs(f, out=E(2,3))', 'torch.dot(f[0], f[0], out=E(()))', 'torch.mv(f, f[0], out=E(2))',
    'torch.outer(f[0], f[0], out=E(3,3))',
    'torch.outer(f[0], f[0], out=E(3,3,dt=torch.float64)).dtype',
    'torch.logsumexp(f, 1, out=E(2))', 'torch.logsumexp(f, 1, out=E(2,dt=torch.float64))',
    'torch.softmax(f, 1, out=E(2,3))', 'torch.softmax(f, 1, out=E(2,3,dt=torch.float64))',
    'torch.sigmoid(f, out=E(2,3))', 'torch.floor_divide(f, 2, out=E(2,3))',
    'torch.remainder(f, 2, out=E(2,3))', 'torch.eq(f, 1, out=E(2,3, dt=torch.bool))',
    'torch.eq(f, 1, out=E(2,3))', 'torch.log_softmax(f, 1, out=E(2,3))',
    'torch.var(f, 1, out=E(2))', 'torch.var(f, 1, out=E(2,dt=torch.float64))',
    'torch.std(f, 1, out=E(2))', 'torch.norm(f, dim=1, out=E(2,dt=torch.float64))',
    'torch.amax(f, 1, out=E(2))', 'torch.amax(f, 1, out=E(2,dt=torch.float64))',
    'torch.lerp(f, f, 0.5, out=E(2,3))', 'torch.addcmul(f, f, f, out=E(2,3))',
    'torch.logical_and(f, f, out=E(2,3)).dtype', 'torch.square(f, out=E(2,3))',
    'torch.add(f[0], f[0], out=E(1,3))',
]

STATEFUL = [   # (statements, then an expression)
    ('o = E(2, 2); res = torch.matmul(f, f.T, out=o)',
     'res is o'),
    ('o = E(2, 2); res = torch.matmul(f, f.T, out=o)',
     'o'),
    ('o = E(2, 2)',
     'torch.matmul(f, f.T, out=o)._version'),
    ('big = torch.zeros(3, 3); torch.add(torch.ones(2, 2), 1, out=big[:2, :2])',
     'big'),
    ('w = torch.ones(3, requires_grad=True)',
     '(lambda: [torch.mul(w, 2, out=E(3)) for _ in [0]])()'),
    ('w = torch.ones(3, requires_grad=True)\nwith torch.no_grad(): res = torch.mul(w, 2, out=E(3))',
     'res'),
    ('w = torch.ones(3, requires_grad=True)\nwith torch.no_grad(): res = torch.mul(w, 2, out=E(3))',
     'res.requires_grad'),
]


@pytest.mark.parametrize("stmts, expr", [("", e) for e in EXPRS] + STATEFUL)
def test_out_matches_pytorch(stmts, expr):
    torch_oracle.check(expr, setup=SETUP + "\n" + stmts)


def test_out_is_returned_filled_and_versioned():
    a, b = ag.ones(2, 3), ag.full((3, 2), 2.0)
    o = ag.empty(2, 2)
    v = o._version
    assert ag.matmul(a, b, out=o) is o and o.tolist() == [[6.0, 6.0], [6.0, 6.0]]
    assert o._version == v + 1
    big = ag.zeros(3, 3)
    ag.add(ag.ones(2, 2), 1, out=big[:2, :2])   # through a view, into the tensor it views
    assert big.sum().item() == 8.0


def test_out_resizes_with_a_warning_unless_empty():
    o = ag.empty(0)
    assert ag.exp(ag.zeros(2, 2), out=o).shape == (2, 2)   # silently
    o = ag.empty(5)
    with pytest.warns(UserWarning, match="An output with one or more elements was resized "
                                         "since it had shape \\[5\\]"):
        ag.exp(ag.zeros(2, 2), out=o)
    assert o.shape == (2, 2) and o.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    o = ag.empty(6)
    assert ag.zeros(2, 3, out=o) is o and o.shape == (2, 3)   # factories: silently


def test_out_dtype_rules():
    f = ag.ones(3)
    assert ag.add(f, f, out=ag.empty(3, dtype=ag.float64)).dtype == ag.float64
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        ag.add(f, f, out=ag.empty(3, dtype=ag.int64))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got "
                                           "double instead"):
        ag.dot(f, f, out=ag.empty((), dtype=ag.float64))
    assert ag.arange(4, out=ag.empty(0)).dtype == ag.float32      # made in out's dtype
    assert ag.sum(ag.tensor([0.5, 0.5]), 0, out=ag.empty((), dtype=ag.int64)).item() == 0


def test_out_refuses_autograd_but_works_under_no_grad():
    w = ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="mul\\(\\): functions with out=... arguments don't "
                                           "support automatic differentiation"):
        ag.mul(w, 2, out=ag.empty(3))
    with ag.no_grad():
        o = ag.mul(w, 2, out=ag.empty(3))
    assert o.tolist() == [2.0, 2.0, 2.0] and not o.requires_grad
    np.testing.assert_array_equal(ag.cat([ag.ones(1), ag.zeros(1)], out=ag.empty(2)).numpy(),
                                  [1.0, 0.0])


def test_functions_keep_their_names_and_docs():
    assert ag.matmul.__name__ == "matmul" and ag.matmul.__wrapped__.__doc__ == ag.matmul.__doc__
