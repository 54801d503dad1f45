"""Custom Functions written as PyTorch's "Extending PyTorch" page writes them, and the
PyTorch spellings reached through the top-level module (`torch.autograd.grad`, ...)."""

import numpy as np
import pytest

import autograd as ag


class LinearFunction(ag.Function):
    """The docs' example: bias may be None, and is saved as None."""

    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


def test_save_for_backward_keeps_none():
    x = ag.tensor(np.arange(20.0).reshape(4, 5) / 7, requires_grad=True)
    w = ag.tensor(np.linspace(-1, 1, 15).reshape(3, 5), requires_grad=True)
    assert ag.gradcheck(LinearFunction.apply, (x, w), eps=1e-6, atol=1e-4)
    b = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(LinearFunction.apply, (x, w, b), eps=1e-6, atol=1e-4)


def test_save_for_backward_rejects_other_objects():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="argument 1 is of type int"):
        Bad.apply(ag.ones(2, requires_grad=True))


class MyCube(ag.Function):
    """PyTorch 2's form: forward without ctx, then setup_context; two outputs."""

    @staticmethod
    def forward(x):
        return x ** 3, 3 * x ** 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,), (_, dx) = inputs, output
        ctx.save_for_backward(x, dx)

    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        return grad_output * dx + grad_dx * 6 * x


def test_setup_context_form():
    x = ag.tensor([1.5, -2.0], dtype=ag.float64, requires_grad=True)
    cube = lambda t: MyCube.apply(t)[0]   # noqa: E731
    assert ag.gradcheck(cube, (x,)) and ag.gradgradcheck(cube, (x,))
    g, = ag.grad(cube(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    np.testing.assert_allclose(ag.grad(g.sum(), x)[0].numpy(), 6 * x.detach().numpy())


def test_pytorch_spellings_through_the_top_module():
    import nn
    import optim
    torch = ag
    assert torch.autograd.grad is ag.grad and torch.autograd.Function is ag.Function
    assert torch.nn is nn and torch.optim is optim
    assert torch.nn.functional.relu is nn.functional.relu
    assert torch.utils.data.DataLoader is ag.data.DataLoader
    x = ag.ones(2)
    v = torch.autograd.Variable(x, requires_grad=True)
    assert v is not x and v.requires_grad and v.is_leaf
    assert np.shares_memory(v.detach().numpy(), x.numpy())
    assert not torch.autograd.Variable(x * 1).requires_grad
