"""The public calls `backward`, `grad` and `Tensor.backward`: they check their arguments,
turn the outputs into the roots of a pass (with ones for scalars) and the inputs into its
targets, run one `engine._Pass`, and hand its captures back (or store them into `.grad`).
"""

from __future__ import annotations

import numpy as np

from .creation import tensor as _tensor
from .engine import _STORE_LOCK, _Pass, _store
from .function import _accumulator
from .tensor import Tensor, _make

__all__ = ["backward", "grad"]

def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _roots(outputs: tuple, grads, create_graph: bool) -> list:
    """(node, output nr, gradient) per output, validated (ones for scalars)."""
    grads = _as_tuple(grads) if grads is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got "
                           f"{len(grads)} gradients for {len(outputs)} outputs")
    roots = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if not isinstance(out, Tensor):
            raise TypeError(f"expected outputs to be Tensors, got {type(out).__name__} at "
                            f"index {i}")
        if not out._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.empty(out._data.shape, out._data.dtype)
            g.fill(1)   # (np.ones, in two C calls)
            g = _make(g)
        else:
            if not isinstance(g, Tensor):
                g = _tensor(g, dtype=out.dtype)
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}.")
            if g._data.dtype != out._data.dtype:
                g = g.to(out.dtype)
            if not create_graph and g._rg:
                g = g.detach()
        node = out.grad_fn if out.grad_fn is not None else _accumulator(out)
        roots.append((node, out._out_nr, g))
    return roots


def _targets(inputs: tuple) -> dict:
    targets: dict = {}
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: expected inputs to be Tensors, got {type(t).__name__} at "
                            f"index {k}")
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        node = t.grad_fn if t.grad_fn is not None else _accumulator(t)
        targets.setdefault((node, t._out_nr), []).append(k)
    return targets


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate the gradients of `tensors` into the `.grad` of the leaves.

    `grad_tensors` weights each output (needed for non-scalars); `inputs` limits which
    leaves (or retained non-leaves) receive a gradient.
    """
    outputs = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(outputs, grad_tensors, create_graph)
    if inputs is None:
        _Pass(roots, retain_graph, create_graph, None, True).run(roots)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
    captured = _Pass(roots, retain_graph, create_graph, _targets(inputs), True).run(roots)
    owned: set = set()
    with _STORE_LOCK:   # non-leaf inputs receive their gradient in .grad too
        for k, t in enumerate(inputs):
            if t.grad_fn is not None and captured.get(k) is not None:
                _store(t, captured[k], owned, fresh=False)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Return d(outputs)/d(inputs), weighted by `grad_outputs`, without touching `.grad`."""
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported; loop over the "
                                  "batch or use autograd.functional.jacobian")
    ins = _as_tuple(inputs)
    if materialize_grads:
        if allow_unused is False:
            raise ValueError("Expected allow_unused to be True or not passed when "
                             "materialize_grads=True, but got: allow_unused=False.")
        allow_unused = True
    if retain_graph is None:
        retain_graph = create_graph
    targets = _targets(ins)
    roots = _roots(_as_tuple(outputs), grad_outputs, create_graph)
    captured = _Pass(roots, retain_graph, create_graph, targets, False).run(roots)
    result = []
    for k, t in enumerate(ins):
        g = captured.get(k)
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {k} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            if materialize_grads:
                g = _make(np.zeros(t._data.shape, t._data.dtype))
        elif not create_graph and g._rg:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _tensor_backward(self: Tensor, gradient: Tensor | None = None,
                     retain_graph: bool | None = None, create_graph: bool = False,
                     inputs=None) -> None:
    """Accumulate d(self)/d(leaf) into each leaf's `.grad` (see `autograd.backward`)."""
    backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
             inputs=inputs)


Tensor.backward = _tensor_backward
