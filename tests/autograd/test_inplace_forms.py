"""The in-place forms PyTorch programs call: shape changes (`squeeze_ unsqueeze_ t_
transpose_ swapaxes_ swapdims_`), the aliases (`clamp_min_ divide_ greater_ arccos_ fix_
...`), comparisons in place (a zero gradient), `div(rounding_mode=)` and `F.elu_` & co:
values, gradients, grad_fn names, versions and errors, against PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn.functional as F

from .torch_compare import same_error

X = np.array([[0.7, -1.3, 0.2], [1.9, -0.4, 0.05]])
SHAPE_OPS = [("squeeze_", ()), ("squeeze_", (1,)), ("squeeze_", ((0, 1),)),
             ("unsqueeze_", (0,)), ("unsqueeze_", (-1,)), ("t_", ()), ("transpose_", (0, 2)),
             ("swapaxes_", (1, 2)), ("swapdims_", (-1, 0))]
# (shape of the input for each op)
SHAPES = {"squeeze_": (2, 1, 3), "unsqueeze_": (2, 3), "t_": (2, 3)}


def _shape_case(lib, name, args):
    x = lib.tensor(X.reshape(SHAPES.get(name, (2, 1, 3))), requires_grad=True)
    y = x * 2
    v0 = y._version
    r = getattr(y, name)(*args)
    w = lib.arange(y.numel(), dtype=lib.float64).reshape(tuple(y.shape))
    (y * w).sum().backward()
    return r is y, tuple(y.shape), y.stride(), y._version - v0, type(y.grad_fn).__name__, \
        x.grad.numpy()


@pytest.mark.parametrize("name,args", SHAPE_OPS)
def test_shape_change_in_place(name, args):
    same, shape, stride, bumped, node, grad = _shape_case(ag, name, args)
    assert same and bumped == 1
    out_of_place = getattr(ag.zeros(SHAPES.get(name, (2, 1, 3))), name[:-1])(*args)
    assert shape == out_of_place.shape and stride == out_of_place.stride()
    # the gradient of sum(y * w) is 2 * w, laid back out in x's shape
    w = np.arange(grad.size, dtype=np.float64).reshape(shape)
    np.testing.assert_allclose(grad, 2 * getattr(ag.tensor(w), name[:-1])(*args).reshape(
        grad.shape).numpy() if name.startswith(("t", "swap")) else 2 * w.reshape(grad.shape))
    torch = pytest.importorskip("torch")
    t_same, t_shape, t_stride, t_bumped, t_node, t_grad = _shape_case(torch, name, args)
    assert (shape, stride, bumped, node) == (t_shape, t_stride, t_bumped, t_node)
    np.testing.assert_allclose(grad, t_grad)


def test_shape_change_keeps_storage_and_views():
    a = ag.zeros(2, 3)
    b = a[0]
    a.t_()
    assert a.shape == (3, 2) and not a.is_contiguous() and a.stride() == (1, 3)
    b.add_(1)                       # the view still writes into a's storage
    np.testing.assert_array_equal(a.numpy(), [[1, 0], [1, 0], [1, 0]])


def test_shape_change_of_a_view_and_of_its_base_record_pytorchs_graph():
    def run(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        y = x * 1
        v = y[0]
        v.unsqueeze_(0)
        names = [type(v.grad_fn).__name__, v._base is y]
        y.t_()
        names.append(type(v.grad_fn).__name__)
        ((v * lib.tensor([[5.0, 7.0]], dtype=lib.float64)).sum() +
         (y * lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)).sum()).backward()
        return names, x.grad.numpy()

    names, grad = run(ag)
    assert names == ["UnsqueezeBackward1", True, "AsStridedBackward0"]
    np.testing.assert_allclose(grad, [[6.0, 10.0], [2.0, 4.0]])
    torch = pytest.importorskip("torch")
    t_names, t_grad = run(torch)
    assert names == t_names
    np.testing.assert_allclose(grad, t_grad)


def test_shape_change_errors():
    leaf = ag.zeros(2, 1, requires_grad=True)
    for name, args in (("squeeze_", ()), ("t_", ()), ("transpose_", (0, 1)),
                       ("unsqueeze_", (0,))):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                               "used in an in-place operation"):
            getattr(leaf, name)(*args)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        leaf[0].unsqueeze_(0)
    with pytest.raises(RuntimeError, match="Output 0 of Split is a view"):
        (leaf * 1).split(1)[0].unsqueeze_(0)
    y = leaf * 1
    z = y.sin()
    y.t_()                          # y was saved by sin: the version check catches it
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    with ag.no_grad():              # a leaf may change shape under no_grad
        leaf.t_()
    (leaf * ag.tensor([[1.0, 2.0]])).sum().backward()
    assert leaf.grad.shape == (1, 2)
    torch = pytest.importorskip("torch")
    for args in (((2, 3, 4), "t_"), ((2, 3), "unsqueeze_", 4),
                 ((2, 3), "transpose_", 0, 2)):
        shape, name, *rest = args
        same_error(torch, lambda x, n=name, r=rest: getattr(x, n)(*r), None, np.zeros(shape))


ALIASES = ["clamp_min_(0.1)", "clamp_max_(0.1)", "divide_(2)", "multiply_(x)",
           "subtract_(x, alpha=2)", "true_divide_(3)", "negative_()", "absolute_()",
           "greater_(0)", "greater_equal_(x)", "less_(0)", "less_equal_(0)", "not_equal_(0)",
           "gt_(x * 0.5)", "eq_(0.7)", "arccos_()", "arcsin_()", "arctan_()",
           "arctan2_(x + 1)", "fix_()", "divide_(0.3, rounding_mode='floor')",
           "div_(x, rounding_mode='trunc')"]


def _alias_case(lib, op):
    x = lib.tensor([0.7, -0.4, 0.2, -0.9], dtype=lib.float64, requires_grad=True)
    y = x * 0.5
    eval("y." + op, {"y": y, "x": x})
    (y * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)).sum().backward()
    return y.detach().numpy(), type(y.grad_fn).__name__, x.grad.numpy(), y._version


@pytest.mark.parametrize("op", ALIASES)
def test_in_place_alias(op):
    value, node, grad, version = _alias_case(ag, op)
    assert version == 1
    torch = pytest.importorskip("torch")
    t_value, t_node, t_grad, t_version = _alias_case(torch, op)
    np.testing.assert_allclose(value, t_value)
    np.testing.assert_allclose(grad, t_grad)
    assert node == t_node


def test_comparison_in_place_stops_the_gradient():
    # it kept the old node: gt_ passed the gradient through as if y were unchanged
    x = ag.tensor([1.0, -1.0, 2.0], requires_grad=True)
    y = x * 3
    y.gt_(0)
    np.testing.assert_array_equal(y.detach().numpy(), [1.0, 0.0, 1.0])
    (y * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    assert y.grad_fn.name() == "GtBackward0"
    other = ag.tensor([0.0, 0.0, 3.0], requires_grad=True)
    y = x * 3
    y.le_(other)
    y.sum().backward()
    assert y.grad_fn.name() == "LeBackward1"
    np.testing.assert_array_equal(other.grad.numpy(), [0.0, 0.0, 0.0])


def test_fix_and_clamp_min_max_functions():
    x = ag.tensor([1.5, -2.5, 3.7], requires_grad=True)
    np.testing.assert_array_equal(ag.fix(x).detach().numpy(), [1.0, -2.0, 3.0])
    assert ag.fix(x).grad_fn.name() == "TruncBackward0" and ag.Tensor.fix is ag.Tensor.trunc
    assert ag.clamp_min(x, 0).grad_fn.name() == "ClampMinBackward0"
    assert ag.clamp_max(x, 0).grad_fn.name() == "ClampMaxBackward0"
    i = ag.tensor([1, 2, 3])
    assert ag.clamp_min(i, 2).dtype is ag.int64
    np.testing.assert_array_equal(ag.clamp_min(i, 2.5).numpy(), [2.5, 2.5, 3.0])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        i.clamp_min_(2.5)


DIVS = [([7, -7, 5, -5], [2, 2, -3, -3]), ([7.5, -7.5, 5.0, -5.0], [2.0, 2.0, -3.0, 0.0]),
        ([7, -7, 0, 9], 2.5), ([1.0, -3.0, 4.0, 8.0], 0.75)]


@pytest.mark.parametrize("mode", ["floor", "trunc", None])
@pytest.mark.parametrize("a,b", DIVS)
def test_div_rounding_mode(a, b, mode):
    def run(lib):
        bb = lib.tensor(b) if isinstance(b, list) else b
        out = lib.div(lib.tensor(a), bb, rounding_mode=mode)
        return out.numpy(), str(out.dtype).split(".")[-1]

    value, dtype = run(ag)
    torch = pytest.importorskip("torch")
    t_value, t_dtype = run(torch)
    np.testing.assert_array_equal(value, t_value)
    assert dtype == t_dtype


def test_div_rounding_mode_errors():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ag.div(ag.tensor([3]), 0, rounding_mode="floor")
    with pytest.raises(RuntimeError, match="div expected rounding_mode to be one of None, "
                                           "'trunc', or 'floor' but found 'round'"):
        ag.div(ag.tensor([3.0]), 2, rounding_mode="round")
    with pytest.raises(RuntimeError, match=r"size of tensor a \(2\) must match"):
        ag.div(ag.ones(2), ag.ones(3), rounding_mode="floor")
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.div(x, 0.3, rounding_mode="floor")
    assert y.grad_fn.name() == "DivBackward2"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


ACTIVATIONS = [("elu_", (0.5,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)),
               ("selu_", ()), ("celu_", (0.7,)), ("threshold_", (0.1, -3.0))]


def _activation_case(lib, functional, name, args):
    x = lib.tensor([1.2, -0.3, 0.05, -2.0], dtype=lib.float64, requires_grad=True)
    y = x * 1
    r = getattr(functional, name)(y, *args)
    (y * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)).sum().backward()
    return r is y, y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("name,args", ACTIVATIONS)
def test_functional_in_place_activation(name, args):
    same, value, grad = _activation_case(ag, F, name, args)
    out_of_place = getattr(F, name[:-1])(ag.tensor([1.2, -0.3, 0.05, -2.0],
                                                   dtype=ag.float64), *args)
    assert same
    np.testing.assert_allclose(value, out_of_place.numpy())
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(F, name)(ag.ones(2, requires_grad=True), *args)
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    t_same, t_value, t_grad = _activation_case(torch, TF, name, args)
    np.testing.assert_allclose(value, t_value)
    np.testing.assert_allclose(grad, t_grad)
