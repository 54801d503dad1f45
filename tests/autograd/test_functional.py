"""autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp.

Checked against finite differences and against each other on random compositions of
smooth ops (hypothesis), plus PyTorch's documented values, tuple structures,
create_graph, strict mode and bad input.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import autograd as ag
from autograd import functional as F
from autograd.gradcheck import _numerical_jacobians
from autograd.testing import assert_close
from autograd.testing import strategies as st

SETTINGS = settings(max_examples=15, deadline=None)

UNARY = [lambda t: t.sin(), lambda t: t.tanh(), lambda t: t.sigmoid(), lambda t: t * t,
         lambda t: (0.3 * t).exp(), lambda t: t.cos() * 2.0]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
          lambda a, b: a * b.sin()]


@hs.composite
def programs(draw, n_inputs: int):
    """A random straight-line program over `n_inputs` tensors: a list of steps
    (kind, op index, operand indices) whose every value depends on the inputs."""
    steps = []
    n_vals = n_inputs
    for _ in range(draw(hs.integers(1, 4))):
        if draw(hs.booleans()):
            steps.append(("u", draw(hs.integers(0, len(UNARY) - 1)),
                          (draw(hs.integers(0, n_vals - 1)),)))
        else:
            steps.append(("b", draw(hs.integers(0, len(BINARY) - 1)),
                          (draw(hs.integers(0, n_vals - 1)), draw(hs.integers(0, n_vals - 1)))))
        n_vals += 1
    # the last output combines everything so that it depends on every input
    return steps


def run(steps, xs, n_outputs=1):
    vals = list(xs)
    for kind, op, args in steps:
        vals.append(UNARY[op](vals[args[0]]) if kind == "u" else
                    BINARY[op](vals[args[0]], vals[args[1]]))
    total = vals[len(xs)]
    for v in vals[len(xs) + 1:] + list(xs):
        total = total + v
    if n_outputs == 1:
        return total
    return total, vals[-1] * 2.0


@hs.composite
def problems(draw, max_inputs=2):
    n = draw(hs.integers(1, max_inputs))
    shapes = draw(st.broadcastable_shapes(n, min_dims=0, max_dims=2, min_side=1, max_side=3))
    xs = tuple(draw(st.tensors(shape=s, low=-1.5, high=1.5)) for s in shapes)
    return draw(programs(n)), xs


def fd_jac(fn, xs):
    """Finite-difference Jacobians as nested lists [output][input] of (out numel, in numel)."""
    xs = tuple(x.detach().clone().requires_grad_(True) for x in xs)
    jac = _numerical_jacobians(fn, xs, list(range(len(xs))), 1e-6)
    return [[j.T for j in row] for row in jac]


def flat(j, out_shape, in_shape):
    return j.numpy().reshape(int(np.prod(out_shape)), int(np.prod(in_shape)))


# -- against finite differences and each other ------------------------------------------

@SETTINGS
@given(problems(), hs.integers(1, 2))
def test_jacobian_matches_finite_differences(problem, n_out):
    steps, xs = problem
    fn = lambda *t: run(steps, t, n_out)  # noqa: E731
    outs = fn(*xs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    jac = F.jacobian(fn, xs)
    jac_fwd = F.jacobian(fn, xs, vectorize=True, strategy="forward-mode")
    expect = fd_jac(fn, xs)
    if n_out == 1:
        jac, jac_fwd = (jac,), (jac_fwd,)
    for i, o in enumerate(outs):
        for k, x in enumerate(xs):
            assert jac[i][k].shape == tuple(o.shape) + tuple(x.shape)
            np.testing.assert_allclose(flat(jac[i][k], o.shape, x.shape), expect[i][k],
                                       atol=1e-6, rtol=1e-5)
            assert_close(jac_fwd[i][k], jac[i][k])


@SETTINGS
@given(problems(), hs.data())
def test_jvp_vjp_are_jacobian_products(problem, data):
    steps, xs = problem
    fn = lambda *t: run(steps, t)  # noqa: E731
    out = fn(*xs)
    jac = F.jacobian(fn, xs)
    v_in = tuple(data.draw(st.tensors(shape=tuple(x.shape))) for x in xs)
    v_out = data.draw(st.tensors(shape=tuple(out.shape)))
    val, jv = F.jvp(fn, xs, v_in)
    assert_close(val, out)
    expect = sum(flat(j, out.shape, x.shape) @ v.numpy().reshape(-1)
                 for j, x, v in zip(jac, xs, v_in))
    np.testing.assert_allclose(jv.numpy().reshape(-1), expect, atol=1e-10)
    val, vj = F.vjp(fn, xs, v_out)
    assert isinstance(vj, tuple) and len(vj) == len(xs)
    for j, x, g in zip(jac, xs, vj):
        assert g.shape == x.shape
        np.testing.assert_allclose(g.numpy().reshape(-1),
                                   v_out.numpy().reshape(-1) @ flat(j, out.shape, x.shape),
                                   atol=1e-10)


@SETTINGS
@given(problems(), hs.data())
def test_hessian_is_jacobian_of_gradient(problem, data):
    steps, xs = problem
    fn = lambda *t: run(steps, t).sum()  # noqa: E731

    def gradient(*t):
        with ag.enable_grad():  # finite differences run it under no_grad
            t = tuple(x if x.requires_grad else x.detach().requires_grad_(True) for x in t)
            return ag.grad(fn(*t), t, create_graph=True)

    H = F.hessian(fn, xs)
    H_fwd = F.hessian(fn, xs, vectorize=True, outer_jacobian_strategy="forward-mode")
    JG = F.jacobian(gradient, xs)
    fd = fd_jac(gradient, xs)
    n = len(xs)
    for a in range(n):
        for b in range(n):
            assert H[a][b].shape == tuple(xs[a].shape) + tuple(xs[b].shape)
            assert_close(H[a][b], JG[a][b])
            assert_close(H_fwd[a][b], H[a][b])
            np.testing.assert_allclose(flat(H[a][b], xs[a].shape, xs[b].shape), fd[a][b],
                                       atol=1e-6, rtol=1e-5)
            # symmetry of second derivatives
            np.testing.assert_allclose(flat(H[a][b], xs[a].shape, xs[b].shape),
                                       flat(H[b][a], xs[b].shape, xs[a].shape).T, atol=1e-10)
    v = tuple(data.draw(st.tensors(shape=tuple(x.shape))) for x in xs)
    val, hv = F.hvp(fn, xs, v)
    val2, vh = F.vhp(fn, xs, v)
    assert_close(val, fn(*xs))
    assert_close(val2, fn(*xs))
    for a in range(n):
        hva = sum(flat(H[a][b], xs[a].shape, xs[b].shape) @ v[b].numpy().reshape(-1)
                  for b in range(n))
        vha = sum(v[b].numpy().reshape(-1) @ flat(H[b][a], xs[b].shape, xs[a].shape)
                  for b in range(n))
        np.testing.assert_allclose(hv[a].numpy().reshape(-1), hva, atol=1e-10)
        np.testing.assert_allclose(vh[a].numpy().reshape(-1), vha, atol=1e-10)


# -- PyTorch's documented values and structures ---------------------------------------------

A = [1.0, 2.0, 3.0]


def test_reference_values():
    a = ag.tensor(A, dtype=ag.float64)
    assert_close(F.jacobian(lambda x: x ** 2, a), ag.tensor(np.diag([2.0, 4, 6])))
    assert_close(F.hessian(lambda x: (x ** 3).sum(), a), ag.tensor(np.diag([6.0, 12, 18])))
    for fn in (F.hvp, F.vhp):
        val, res = fn(lambda x: (x ** 3).sum(), a, ag.ones(3, dtype=ag.float64))
        assert_close(val, ag.tensor(36.0, dtype=ag.float64))
        assert_close(res, ag.tensor([6.0, 12, 18], dtype=ag.float64))
    val, jv = F.jvp(lambda x: x ** 2, a, ag.ones(3, dtype=ag.float64))
    assert_close(jv, ag.tensor([2.0, 4, 6], dtype=ag.float64))
    val, vj = F.vjp(lambda x: x ** 2, a, ag.ones(3, dtype=ag.float64))
    assert_close(vj, ag.tensor([2.0, 4, 6], dtype=ag.float64))


def test_tuple_structures_and_linear_functions():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64)
    W = ag.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=ag.float64)
    jac = F.jacobian(lambda a, b: (b @ a, a.sum() * 3), (x, W))
    assert isinstance(jac, tuple) and len(jac) == 2 and all(len(r) == 2 for r in jac)
    assert jac[0][0].shape == (3, 2) and jac[0][1].shape == (3, 3, 2)
    assert jac[1][0].shape == (2,) and jac[1][1].shape == (3, 2)
    assert_close(jac[0][0], W)
    assert_close(jac[1][0], ag.full((2,), 3.0, dtype=ag.float64))
    assert_close(jac[1][1], ag.zeros(3, 2, dtype=ag.float64))
    # identity: the double-vjp trick where J'u is u itself
    _, jv = F.jvp(lambda t: t, x, ag.tensor([5.0, 7.0], dtype=ag.float64))
    assert_close(jv, ag.tensor([5.0, 7.0], dtype=ag.float64))
    # a 0-d input and v=None
    s = ag.tensor(0.5, dtype=ag.float64)
    _, jv = F.jvp(lambda t: t.sin(), s)
    assert_close(jv, s.cos())
    _, vj = F.vjp(lambda t: t.sin(), s)
    assert_close(vj, s.cos())
    # hessian of a linear function is zero (not an error unless strict)
    H = F.hessian(lambda t: (t * 2).sum(), x)
    assert_close(H, ag.zeros(2, 2, dtype=ag.float64))


def test_results_are_detached_and_inputs_untouched():
    x = ag.tensor([0.3, -0.7], dtype=ag.float64, requires_grad=True)
    for res in (F.jacobian(lambda t: t.sin(), x), F.hessian(lambda t: t.sin().sum(), x),
                F.vjp(lambda t: t.sin(), x, ag.ones(2, dtype=ag.float64))[1],
                F.jvp(lambda t: t.sin(), x, ag.ones(2, dtype=ag.float64))[1],
                F.hvp(lambda t: t.sin().sum(), x, ag.ones(2, dtype=ag.float64))[1]):
        assert not res.requires_grad and res.grad_fn is None
    assert x.grad is None


def test_works_under_no_grad():
    x = ag.tensor([0.3, -0.7], dtype=ag.float64)
    with ag.no_grad():
        J = F.jacobian(lambda t: t.tanh(), x)
        _, hv = F.hvp(lambda t: t.sin().sum(), x, ag.ones(2, dtype=ag.float64))
        assert not ag.is_grad_enabled()
    assert_close(J, ag.tensor(np.diag(1 - np.tanh([0.3, -0.7]) ** 2)))
    assert_close(hv, -x.sin())


def test_create_graph_results_are_differentiable():
    x = ag.tensor([0.3, -0.7, 1.1], dtype=ag.float64, requires_grad=True)
    J = F.jacobian(lambda t: t.sin(), x, create_graph=True)
    assert J.requires_grad
    # d/dx trace(J) = d/dx sum(cos x) = -sin x
    (g,) = ag.grad((J * ag.eye(3, dtype=ag.float64)).sum(), x)
    assert_close(g, -x.detach().sin())
    _, vj = F.vjp(lambda t: t ** 3, x, ag.ones(3, dtype=ag.float64), create_graph=True)
    (g,) = ag.grad(vj.sum(), x)
    assert_close(g, 6 * x.detach())
    _, jv = F.jvp(lambda t: t ** 3, x, ag.ones(3, dtype=ag.float64), create_graph=True)
    (g,) = ag.grad(jv.sum(), x)
    assert_close(g, 6 * x.detach())
    H = F.hessian(lambda t: (t ** 4).sum(), x, create_graph=True)
    (g,) = ag.grad((H * ag.eye(3, dtype=ag.float64)).sum(), x)
    assert_close(g, 24 * x.detach())
    _, hv = F.hvp(lambda t: (t ** 4).sum(), x, ag.ones(3, dtype=ag.float64), create_graph=True)
    (g,) = ag.grad(hv.sum(), x)
    assert_close(g, 24 * x.detach())


# -- strict mode and bad input ----------------------------------------------------------------

def test_strict_mode_errors():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64)
    y = ag.tensor([3.0], dtype=ag.float64)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent "
                                           "of input 1. This is not allowed in strict mode."):
        F.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    # not strict: a zero block
    J = F.jacobian(lambda a, b: a * 2, (x, y))
    assert_close(J[1], ag.zeros(2, 1, dtype=ag.float64))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                                           "require gradients"):
        F.vjp(lambda a: ag.ones(2), x, ag.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(lambda a, b: a * 2, (x, y), ag.ones(2, dtype=ag.float64), strict=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect "
                                           "to input 0 is independent of the input"):
        F.hessian(lambda a: (a * 2).sum(), x, strict=True)
    with pytest.raises(RuntimeError, match="not supported together"):
        F.jacobian(lambda a: a * 2, x, strict=True, vectorize=True)


def test_bad_input_errors():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64)
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor or "
                                        "a tuple of Tensors but the given inputs has type"):
        F.jacobian(lambda a: a, [1.0, 2.0])
    with pytest.raises(TypeError, match="value at index 1 has type"):
        F.vjp(lambda a, b: a, (x, 3.0))
    with pytest.raises(TypeError, match="The outputs of the user-provided function given to jvp"):
        F.jvp(lambda a: [a], x, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be autograd.Size\(\[2\]\) "
                                           r"but got autograd.Size\(\[3\]\)"):
        F.vjp(lambda a: a * 2, x, ag.ones(3, dtype=ag.float64))
    with pytest.raises(RuntimeError, match="Entry 1 in v has invalid size"):
        F.jvp(lambda a, b: a * b, (x, x), (x, ag.ones(3, dtype=ag.float64)))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        F.hvp(lambda a, b: (a * b).sum(), (x, x), (x,))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                                           "function returns a single Tensor with a single "
                                           "element"):
        F.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the "
                                           "user-provided function is a single Tensor"):
        F.jvp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="The Tensor returned by the function given to hessian "
                                           "should contain a single element"):
        F.hessian(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="The function given to hvp should return a single "
                                           "Tensor"):
        F.hvp(lambda a: (a.sum(), a.sum()), x, x)
    with pytest.raises(ValueError, match="Expected strategy"):
        F.jacobian(lambda a: a, x, strategy="sideways")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        F.jacobian(lambda a: a, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        F.jacobian(lambda a: a, x, strategy="forward-mode", vectorize=True, create_graph=True)


def test_lazy_attribute():
    assert ag.functional is F
