"""Gradient checkpointing, as `torch.utils.checkpoint`: trade compute for memory.

`checkpoint(fn, *args)` runs `fn` and keeps only its inputs and outputs: the activations
inside `fn` are freed as soon as it returns. The backward pass runs `fn` again (with the
random state it had, so dropout draws the same masks), differentiates the recomputed graph
with a nested backward pass, and sends the gradients on to `fn`'s inputs and to every
tensor `fn` used from outside (its module's parameters, say): gradients are those of the
plain run, and `autograd.grad` works through it as well as `backward`.

The forward learns which outside tensors `fn` uses by recording it once: the edges that
leave the recorded graph are the checkpoint node's edges, and the graph itself is dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from . import grad_mode
from .engine import _Pass
from .function import _BACKWARD_TWICE, AccumulateGrad, Node, _accumulator, next_seq
from .gradients import _roots
from .random import default_generator
from .tensor import Tensor, _make

__all__ = ["checkpoint", "checkpoint_sequential"]

_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


class CheckpointFunctionBackward(Node):
    """The node of a checkpointed segment: its edges are those that leave the graph the
    segment records (to its inputs and to the outside tensors it uses); its backward
    records the segment again and differentiates that graph up to those edges."""

    _plain = False   # release() also drops what recomputing needs

    def backward(self, *grads):
        if self.fn is None:
            raise RuntimeError(_BACKWARD_TWICE)
        self.saved()   # (raises if an input was changed in place since the forward)
        state = default_generator.get_state()
        if self.rng_state is not None:
            default_generator.set_state(self.rng_state)
        try:
            with grad_mode.enable_grad():
                first = next_seq()
                outs = _as_tuple(self.fn(*self.args, **self.kwargs))
        finally:
            default_generator.set_state(state)
        edges = self.next_functions
        used = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o._rg
                and g is not None]
        if not used:
            return (None,) * len(edges)
        create_graph = grad_mode.is_grad_enabled()   # (under create_graph: differentiable)
        roots = _roots(tuple(o for o, _ in used), tuple(g for _, g in used), create_graph)
        targets: dict = {}
        for k, edge in enumerate(edges):
            targets.setdefault(edge, []).append(k)
        needed = _inside(outs, first, set(targets))
        captured = _Pass(roots, create_graph, create_graph, targets, False, needed).run(roots)
        return tuple(captured.get(k) for k in range(len(edges)))

    def release(self) -> None:
        self._saved = None
        self.fn = self.args = self.kwargs = self.rng_state = None


def _as_tuple(out) -> tuple:
    return out if isinstance(out, tuple) else (out,)


def _walk(outs: tuple, first: int):
    """The nodes of the graph recorded since creation number `first` that `outs` hang
    from (each with its edges), and the edges that leave it: to nodes made before, or to
    leaves' sinks."""
    inside, stack, leaving = {}, [], []
    for o in outs:
        if isinstance(o, Tensor) and o.grad_fn is not None:
            stack.append(o.grad_fn)
    while stack:
        node = stack.pop()
        if node in inside:
            continue
        if node._seq < first or type(node) is AccumulateGrad:   # an output from outside
            continue
        inside[node] = None
        for edge in node.next_functions:
            child = edge[0]
            if child is None:
                continue
            if child._seq < first or type(child) is AccumulateGrad:
                if edge not in leaving:
                    leaving.append(edge)
            else:
                stack.append(child)
    return inside, leaving


def _boundary(outs: tuple, first: int) -> list:
    """The edges that leave the recorded graph, in a fixed order, and the edges of outputs
    that are themselves from outside (fn returned an input)."""
    _, leaving = _walk(outs, first)
    for o in outs:
        if isinstance(o, Tensor) and o._rg:
            fn = o.grad_fn
            if fn is None or fn._seq < first or type(fn) is AccumulateGrad:
                edge = (fn or _accumulator(o), o._out_nr)
                if edge not in leaving:
                    leaving.append(edge)
    return leaving


def _inside(outs: tuple, first: int, targets: set) -> set:
    """What the backward of the recomputed segment may run: its own nodes that lead to a
    target edge, and the targets' nodes, where it stops (never the graph outside)."""
    inside, _ = _walk(outs, first)
    needed = {n for n, _ in targets}
    for node in sorted(inside, key=lambda n: n._seq):   # inputs before the ops using them
        if any(c in needed for c, _ in node.next_functions):
            needed.add(node)
    return needed


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, context_fn=None, determinism_check: str =
               "default", debug: bool = False, early_stop: bool = True, **kwargs):
    """Run `function(*args, **kwargs)` without keeping its activations; backward runs it
    again. `use_reentrant` chooses nothing here (both of PyTorch's variants give the same
    gradients, and this one also works with `autograd.grad` and differentiates twice); not
    passing it warns as PyTorch does."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
    if context_fn is not None:
        raise NotImplementedError("checkpoint: context_fn is not supported")
    if not grad_mode.is_grad_enabled():
        return function(*args, **kwargs)
    rng_state = default_generator.get_state() if preserve_rng_state else None
    first = next_seq()   # every node `function` records is newer than this
    raw = function(*args, **kwargs)
    outs = _as_tuple(raw)
    diff = [o for o in outs if isinstance(o, Tensor) and o._rg]
    if not diff:
        return raw
    node = CheckpointFunctionBackward(())
    node.next_functions = tuple(_boundary(outs, first))
    node.save(*[a for a in args if isinstance(a, Tensor)])
    node.fn, node.args, node.kwargs, node.rng_state = function, args, kwargs, rng_state
    node.n_outputs = len(diff)
    node._out_meta = tuple((o._data.shape, o._data.dtype) for o in diff)
    results, k = [], 0
    for o in outs:   # the outputs, cut from the recorded graph, which is dropped here
        if isinstance(o, Tensor) and o._rg:
            o = _make(o._data, node)
            o._out_nr, k = k, k + 1
        results.append(o)
    if len(diff) != 1:
        node.out_shape = node.out_dtype = None
    return tuple(results) if isinstance(raw, tuple) else results[0]


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,
                          **kwargs):
    """Split `functions` (a Sequential or a list of modules) into `segments` runs of
    consecutive layers and checkpoint each but the last, as PyTorch does."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be at least 1, got {segments}")
    size = len(fns) // segments

    def run(start: int, end: int):
        def forward(x):
            for f in fns[start:end + 1]:
                x = f(x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(fns) - 1)(input)
