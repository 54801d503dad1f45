"""Module backward hooks (`register_full_backward_hook`, `register_full_backward_pre_hook`),
as torch.utils.hooks.BackwardHook does them: the module's tensor inputs and outputs pass
through an identity op (`BackwardHookFunctionBackward`) whose backward sees the gradients
with respect to the outputs (pre-hooks; may replace them) and, later, with respect to the
inputs (hooks; may replace them)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from autograd.creation import zeros
from autograd.function import Function
from autograd.grad_mode import is_grad_enabled
from autograd.tensor import Tensor


class BackwardHookFunction(Function):
    """The identity on tensors; its backward hands the gradients to a BackwardHook."""

    @staticmethod
    def forward(ctx, hook, side, *tensors):
        ctx.hook, ctx.side = hook, side
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        ctx.set_materialize_grads(False)   # the output side reports missing gradients as None
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        run = ctx.hook.on_outputs if ctx.side == "output" else ctx.hook.on_inputs
        return (None, None) + tuple(run(grads))


class BackwardHook:
    """The hooks of one module call: set up on its inputs, then on its outputs."""

    def __init__(self, module, hooks: list[Callable], pre_hooks: list[Callable]) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index: list | None = None    # positions of the tensors among the args
        self.output_index: list | None = None
        self.input_meta: list = []   # (shape, dtype) of the tensor inputs
        self.input_live: list = []   # positions of the inputs (outputs) passed through the op
        self.output_live: list = []

    def _wrap(self, side: str, args: tuple) -> tuple[tuple, list | None]:
        """Pass the tensors that require grad through the identity op; returns the new
        args and the positions of all tensors among them (None: no hook is set up)."""
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        live = [i for i in index if args[i].requires_grad]
        if not (live and is_grad_enabled()):
            return args, None
        new = BackwardHookFunction.apply(self, side, *[args[i] for i in live])
        out = list(args)
        for i, t in zip(live, new):
            out[i] = t
        if side == "input":
            self.input_live = live
            self.input_meta = [(args[i].shape, args[i].dtype) for i in index]
        else:
            self.output_live = live
        return tuple(out), index

    def setup_input_hook(self, args: tuple) -> tuple:
        res, self.input_index = self._wrap("input", args)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result: Any) -> Any:
        single = not isinstance(result, tuple)
        if single and not isinstance(result, Tensor):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or "
                          f"a tuple of Tensors but received {type(result)}", stacklevel=3)
            return result
        args = (result,) if single else result
        res, self.output_index = self._wrap("output", args)
        self.n_outputs = len(args)
        return res[0] if single else res

    @staticmethod
    def _pack(index: list, values, size: int) -> tuple:
        res = [None] * size
        for i, v in zip(index, values):
            res[i] = v
        return tuple(res)

    def on_outputs(self, grads: tuple) -> tuple:
        """The gradients with respect to the outputs: run the pre-hooks (which may replace
        them); without inputs that need a gradient, the hooks run here too."""
        self.grad_outputs = self._pack(self.output_live, grads, self.n_outputs)
        for hook in self.pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(new)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(new)
        local = self.grad_outputs
        if self.input_index is None:
            warnings.warn("Full backward hook is firing when gradients are computed with respect "
                          "to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            none = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, none, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and
                                            all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_live)

    def on_inputs(self, grads: tuple) -> tuple:
        """The gradients with respect to the inputs: run the hooks (which may replace them)."""
        # a tensor input that needs no gradient reports zeros, as in PyTorch
        res = [None] * self.n_inputs
        for i, (shape, dt) in zip(self.input_index, self.input_meta):
            res[i] = zeros(shape, dtype=dt)
        for i, g in zip(self.input_live, grads):
            if g is not None:
                res[i] = g
        res = tuple(res)
        if self.grad_outputs is None:
            return grads
        for hook in self.hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, got "
                                   f"{len(out)}, but expected {len(res)}")
            res = tuple(out)
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_live)
