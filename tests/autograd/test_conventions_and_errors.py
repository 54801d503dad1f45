"""Subgradient conventions at kinks (PyTorch's), numerical stability, and bad input: each
error raised at the call, naming the op and the shapes, dtypes or argument at fault."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def grad_of(fn, values):
    x = ag.tensor(values, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.tolist()


# ---- kinks --------------------------------------------------------------------------------------
def test_relu_and_abs_have_zero_gradient_at_zero():
    assert grad_of(ag.relu, [-1., 0., 2.]) == [0., 0., 1.]
    assert grad_of(ag.abs, [-1., 0., 2.]) == [-1., 0., 1.]


def test_clamp_passes_the_gradient_at_its_bounds():
    assert grad_of(lambda x: x.clamp(0, 1), [0., 1., 0.5, 2.]) == [1., 1., 1., 0.]


def test_full_max_splits_ties_evenly_and_max_dim_picks_the_first():
    assert grad_of(lambda x: x.max(), [2., 2., 1.]) == [0.5, 0.5, 0.]
    assert grad_of(lambda x: x.min(), [1., 3., 1.]) == [0.5, 0., 0.5]
    assert grad_of(lambda x: x.max(0).values, [1., 1., 0.]) == [1., 0., 0.]
    assert grad_of(lambda x: x.amax(0), [2., 2., 1.]) == [0.5, 0.5, 0.]
    assert grad_of(lambda x: ag.maximum(x, ag.tensor([1., 1., 1.])), [1., 2., 0.]) == \
        [0.5, 1., 0.]


def test_sqrt_at_zero_is_inf_and_rounding_has_zero_gradient():
    assert grad_of(ag.sqrt, [0.])[0] == float("inf")
    assert grad_of(ag.floor, [1.5]) == [0.] and grad_of(ag.round, [1.2]) == [0.]


def test_comparisons_and_argmax_never_require_grad():
    x = ag.ones(3, requires_grad=True)
    assert not (x > 0).requires_grad and not x.argmax().requires_grad
    assert x.argmax().dtype == ag.int64


def test_prod_gradient_with_zeros_is_exact():
    assert grad_of(lambda x: x.prod(), [2., 0., 3.]) == [0., 6., 0.]
    assert grad_of(lambda x: x.prod(), [0., 0., 3.]) == [0., 0., 0.]


# ---- stability ----------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_family_is_stable_for_huge_inputs(scale):
    x = ag.tensor([[1., 2., 3.], [0., 0., 0.]], requires_grad=True)
    z = x * scale
    s, ls, lse = z.softmax(1), z.log_softmax(1), z.logsumexp(1)
    for t in (s, ls, lse):
        assert np.isfinite(t.detach().numpy()).all()
    np.testing.assert_allclose(s.detach().numpy().sum(1), [1., 1.], rtol=1e-6)
    expect = 3e4 if scale > 0 else -1e4   # the max of the row, exactly
    np.testing.assert_allclose(lse.detach().numpy()[0], expect, rtol=1e-6, atol=1e-3)
    (s.sum() + ls.sum() + lse.sum()).backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_sigmoid_is_stable_and_logsumexp_handles_minus_inf():
    x = ag.tensor([-1e4, 0., 1e4], requires_grad=True)
    x.sigmoid().sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    t = ag.tensor([float("-inf"), float("-inf")])
    assert t.logsumexp(0).item() == float("-inf")


# ---- errors -------------------------------------------------------------------------------------
def test_broadcast_mismatch_names_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"add: The size of tensor a \(3\) must match the size "
                                           r"of tensor b \(2\) at non-singleton dimension 1"):
        ag.ones(2, 3) + ag.ones(2, 2)


def test_matmul_errors_name_shapes_and_dtypes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and "
                                           r"2x3\)"):
        ag.ones(2, 3) @ ag.ones(2, 3)
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: "
                                           "float != double"):
        ag.ones(2, 2) @ ag.ones(2, 2, dtype=ag.float64)
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D"):
        ag.tensor(1.) @ ag.ones(2)
    with pytest.raises(RuntimeError, match=r"matmul: shapes \[2, 3, 4\] and \[5, 6\]"):
        ag.ones(2, 3, 4) @ ag.ones(5, 6)


def test_bad_dim_is_an_index_error_naming_the_range():
    with pytest.raises(IndexError, match=r"sum\(\): Dimension out of range \(expected to be in "
                                         r"range of \[-2, 1\], but got 2\)"):
        ag.ones(2, 3).sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.ones(2).softmax(3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.ones(2).unsqueeze(5)


def test_shape_errors():
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        ag.ones(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size"):
        ag.ones(2, 3).T.view(6)
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the "
                                           r"existing size \(3\) at non-singleton dimension 1"):
        ag.ones(2, 3).expand(2, 4)
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[2\] at entry 0 and \[3\] at entry 1"):
        ag.stack([ag.ones(2), ag.ones(3)])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        ag.cat([ag.ones(2, 3), ag.ones(2, 4)])


def test_index_errors_name_the_dimension_and_shape():
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 0 with size 3 "
                                         r"\(indexing a tensor of shape \[3\]\)"):
        ag.ones(3)[5]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        ag.ones(3)[ag.tensor([0.5])]
    with pytest.raises(RuntimeError, match="gather\\(\\)|out of bounds|Index tensor"):
        ag.ones(2, 3).gather(1, ag.tensor([[5]]))


def test_wrong_dtypes_are_rejected_where_they_are_passed():
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks"):
        ag.ones(3).masked_fill(ag.tensor([1, 0, 1]), 0.)
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        ag.where(ag.tensor([1, 0]), ag.ones(2), ag.zeros(2))
    with pytest.raises(TypeError, match="unsupported operand types Tensor and str"):
        ag.ones(2) * "a"
    with pytest.raises(TypeError, match="expected a dtype such as autograd.float32"):
        ag.ones(2).to(dtype="not-a-dtype")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ag.ones(2).to("cuda")


def test_wrong_gradient_is_caught_in_the_engine_naming_the_function():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return ag.ones(5)   # wrong shape: not broadcastable to the input's

    x = ag.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function BadBackward returned an invalid gradient at "
                                           r"index 0 - got \[5\] but expected shape compatible "
                                           r"with \[3\]"):
        Bad.apply(x).sum().backward()


def test_custom_function_with_saved_tensors_and_needs_input_grad():
    class MulConst(ag.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return g * ctx.k, None

    x = ag.tensor([1., 2.], requires_grad=True)
    y = MulConst.apply(x, 3.0)
    assert y.grad_fn.name() == "MulConstBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3., 3.]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_floating_point_edge_values_are_silent_as_pytorch():
    """log(0), 0/0, sqrt(-1) and overflow give PyTorch's -inf/nan/inf without numpy's
    RuntimeWarning (it named a line of our ops); a user's own numpy code still warns."""
    import subprocess
    import sys
    code = ("import numpy as np, autograd as ag, nn.functional as F\n"
            "z, m, big = ag.tensor(0.0), ag.tensor(-1.0), ag.tensor(1e38)\n"
            "print([t.item() for t in (z.log(), m.sqrt(), big * 10, z / 0, m / 0,\n"
            "       F.softplus(big * 1e9), (ag.tensor(6e4, dtype=ag.float16) * 2))])\n"
            "np.log(np.zeros(1))\n")
    run = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == "[-inf, nan, inf, nan, -inf, inf, inf]"
    lines = [ln for ln in run.stderr.splitlines() if "Warning" in ln]
    assert len(lines) == 1 and "<string>" in lines[0] and "divide by zero" in lines[0], \
        run.stderr
