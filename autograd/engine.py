"""Reverse-mode execution: `backward` and `grad`.

Each call runs one backward pass (`_Pass`), which owns all of its state: the gradients
pending at each node, the leaves' gradients it is going to store, and what `grad()`
captures. Nothing is kept on the graph's nodes, so passes may nest (a hook or a custom
Function's backward may call `grad` or `backward` again) and run in several threads over
one graph; a pass that raises leaves nothing behind.

The order needs no dependency count: each node has a creation number, and an op's node is
always newer than its inputs' nodes, so running the newest node with a pending gradient
first (a max-heap) runs each node once, after every node that feeds it. The loop never
recurses: a chain of 100,000 ops is as safe as one of ten.

One loop, with steps that only some nodes take:
- the chain step: when a node's gradient goes to a node with nothing pending and no other
  node is waiting, that node runs next without going through the heap (most of a chain);
- leaf sinks: a leaf without hooks has nothing to observe its gradient arrive, so the
  pass sums its gradients and stores them into `.grad` after the loop, under a lock
  (threads may share leaves);
- hooks, retain_grad, the captures of `grad()` / `inputs=` and the pruning of what does
  not lead to them, anomaly checks: only for the nodes that have them, or when asked.
Without `create_graph`, gradients travel as raw arrays and nodes run `backward_fast`; with
it they are Tensors and every rule records a graph. Broadcasting is undone here, once for
all ops: each gradient is summed to its input's shape, and its shape and dtype are
checked, naming the op whose rule got them wrong.
"""

from __future__ import annotations

import threading
from heapq import heappop, heappush

import numpy as np

from . import anomaly, grad_mode
from .creation import tensor as _tensor
from .function import (
    AccumulateGrad,
    BackwardCFunction,
    Node,
    _accumulator,
    _wrap,
    run_checked,
    run_post_hooks,
    run_pre_hooks,
    run_tensor_hooks,
)
from .tensor import Tensor, _make

__all__ = ["backward", "grad"]

_grad_enabled = grad_mode._grad_enabled
_STORE_LOCK = threading.Lock()   # guards every store into a `.grad`
_SKIP = object()


class _Pass:
    """One backward pass: its options and its state."""

    def __init__(self, roots: list, retain_graph: bool, create_graph: bool,
                 targets: dict | None, accumulate: bool, needed: set | None = None) -> None:
        self.retain_graph, self.create_graph = retain_graph, create_graph
        self.fast = not create_graph
        self.targets = targets   # {(node, output nr): [keys]} of grad() / inputs=, or None
        if targets is not None and needed is None:
            needed = _needed(roots, {n for n, _ in targets})
        self.needed = needed     # the nodes that lead to a target (the others are pruned)
        self.accumulate = accumulate   # store into .grad (backward) or only capture (grad)
        self.captured: dict = {}
        self.owned = {id(g._data) for _, _, g in roots}   # arrays no .grad may alias
        self.check_nan = anomaly._enabled[0]

    def run(self, roots: list) -> dict:
        pending: dict = {}
        heap: list = []
        for node, nr, g in roots:
            if self.needed is None or node in self.needed:
                _give(pending, heap, node, nr, g._data if self.fast else g)
        prev = _grad_enabled()
        grad_mode._set_grad(self.create_graph)
        try:   # inf/nan gradients are results, as in PyTorch (see detect_anomaly)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                sinks = self.loop(pending, heap)
        finally:
            grad_mode._set_grad(prev)
        with _STORE_LOCK:
            for node, g in sinks.items():
                leaf = node._leaf()
                if leaf is not None:
                    _store(leaf, g, self.owned, fresh=True)
        return self.captured

    def loop(self, pending: dict, heap: list) -> dict:
        fast, keep, needed = self.fast, self.retain_graph, self.needed
        direct = fast and needed is None and not self.check_nan   # plain nodes skip `before`
        defer = self.accumulate and self.targets is None          # leaf sinks wait till the end
        sinks: dict = {}
        nxt = nxt_g = None
        while True:
            if nxt is not None:
                node, g, nxt = nxt, nxt_g, None
            elif heap:
                node = heappop(heap)[1]
                g = pending.pop(node)
            else:
                return sinks
            if direct and node._plain:
                grads = node.backward_fast(g)
            else:
                g = self.before(node, g)
                if g is _SKIP:
                    continue
                grads = self.call(node, g)
            child, g0 = (node.next_functions[0][0], grads[0]) if len(grads) == 1 else (None, None)
            if not heap and child is not None and g0 is not None and needed is None and \
                    g0.shape == child.out_shape and g0.dtype is child.out_dtype and \
                    type(child) is not AccumulateGrad:
                # the chain step: nothing else waits, and the one gradient goes to a node
                # whose shape and dtype it has (a node of several outputs has none): that
                # node runs next
                nxt, nxt_g = child, g0
            else:
                for (child, nr), gi in zip(node.next_functions, grads):
                    if gi is None or child is None or needed is not None and child not in needed:
                        continue
                    a = gi if fast else gi._data
                    dt = child.out_dtype
                    if a.shape != child.out_shape or a.dtype is not dt and a.dtype != dt:
                        gi = _conform(gi, node, child, nr)
                    if child is nxt:
                        nxt_g = nxt_g + gi
                    elif child in pending:
                        _give(pending, heap, child, nr, gi)
                    elif defer and type(child) is AccumulateGrad and not child._hooked:
                        sinks[child] = sinks[child] + gi if child in sinks else gi
                    elif nxt is None and child.n_outputs == 1:
                        nxt, nxt_g = child, gi
                    else:
                        _give(pending, heap, child, nr, gi)
                if nxt is not None and heap:   # not alone: the heap orders it among the others
                    _give(pending, heap, nxt, 0, nxt_g)
                    nxt = None
            if not keep:
                if not node._plain:
                    node.release()
                elif node._saved:   # Node.release, in line
                    node._saved = None

    def before(self, node: Node, g):
        """The steps before a node runs: tensor hooks, pre-hooks, retain_grad and the
        captures of grad()/inputs=; a leaf's sink stores its gradient here. Returns
        `_SKIP` for a node that runs no rule."""
        multi = node.n_outputs != 1
        targets = self.targets
        is_target = targets is not None and any((node, nr) in targets
                                                for nr in range(node.n_outputs))
        if node._tensor_hooks or node._pre_hooks or node._retain is not None or is_target:
            if self.fast:
                g = [_wrap(x) for x in g] if multi else _wrap(g)
            if node._tensor_hooks:
                g = run_tensor_hooks(node, g, multi)
            if node._pre_hooks:
                g = run_pre_hooks(node, g, multi)
            if node._retain is not None and node._retain() is not None:
                t = node._retain()
                with _STORE_LOCK:
                    _store(t, g[t._out_nr] if multi else g, self.owned, fresh=False)
            if is_target:
                _capture(node, g, multi, targets, self.captured)
            if self.fast:
                g = [None if x is None else x._data for x in g] if multi else g._data
        if type(node) is AccumulateGrad:
            leaf = node._leaf()
            if self.accumulate and leaf is not None:
                with _STORE_LOCK:
                    _store(leaf, g, self.owned, fresh=False)
                for hook in list((node._post_acc_hooks or {}).values()):
                    hook(leaf)
            return _SKIP
        if self.needed is not None and not any(c in self.needed for c, _ in node.next_functions):
            return _SKIP   # a captured node that leads to nothing else wanted
        return g

    def call(self, node: Node, g) -> tuple:
        """Run the node's rule (on arrays if it can), then its post-hooks."""
        if self.check_nan:
            grads = run_checked(node, g, self.fast)
        elif self.fast:
            grads = node.backward_fast(g)
        else:
            grads = node.backward(*g) if node.n_outputs != 1 else node.backward(g)
        if node._post_hooks:
            grads = run_post_hooks(node, g, grads, self.fast)
        return grads


def _give(pending: dict, heap: list, node: Node, nr: int, g) -> None:
    """Add `g` to the gradient pending at output `nr` of `node`; queue the node once."""
    if node.n_outputs == 1:
        if node in pending:
            pending[node] = pending[node] + g
        else:
            pending[node] = g
            heappush(heap, (-node._seq, node))
        return
    slots = pending.get(node)
    if slots is None:
        slots = pending[node] = [None] * node.n_outputs
        heappush(heap, (-node._seq, node))
    slots[nr] = g if slots[nr] is None else slots[nr] + g


def _conform(gi, node: Node, child: Node, nr: int):
    """A gradient whose shape or dtype is not its input's: sum broadcasting away, cast a
    custom Function's or a scalar's dtype, or say which op's rule got it wrong."""
    shape, dt = child._out_meta[nr] if child.n_outputs != 1 else (child.out_shape,
                                                                   child.out_dtype)
    i = node.next_functions.index((child, nr))
    a = gi._data if isinstance(gi, Tensor) else gi
    if a.shape != shape:
        gs, lead = a.shape, a.ndim - len(shape)
        if lead < 0 or any(s != 1 and s != d for s, d in zip(shape, gs[lead:])):
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                               f"{i} - got {list(gs)} but expected shape compatible with "
                               f"{list(shape)}")
        if isinstance(gi, Tensor):
            gi = gi.sum_to_size(shape)
        else:
            dims = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(shape)
                                              if s == 1 and gs[lead + k] != 1)
            gi = np.sum(gi, axis=dims, keepdims=True).reshape(shape)
        a = gi._data if isinstance(gi, Tensor) else gi
    if a.dtype != dt:
        if isinstance(node, BackwardCFunction) or \
                np.can_cast(a.dtype, dt, "same_kind") and a.ndim == 0:
            gi = gi.to(dt) if isinstance(gi, Tensor) else np.asarray(gi, dtype=dt)
        else:
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                               f"{i} - expected dtype {dt} but got {a.dtype}")
    return gi


def _store(t: Tensor, g, owned: set, fresh: bool) -> None:
    """Add gradient `g` (array or Tensor) into `t.grad`; the caller holds `_STORE_LOCK`.

    The first gradient becomes `.grad` as it is when nothing else can hold it: at the end
    of a pass (`fresh`), an array the pass made that is not already some `.grad`."""
    d = g._data if isinstance(g, Tensor) else g
    old = t._grad
    if old is None:
        if not (fresh and type(d) is np.ndarray and d.base is None and d.flags.writeable) \
                or id(d) in owned:
            g = g.clone() if isinstance(g, Tensor) and g._rg else np.array(d, order="C")
            d = g._data if isinstance(g, Tensor) else g
        owned.add(id(d))
        t._grad = g if isinstance(g, Tensor) else _make(d)
    elif old._rg or isinstance(g, Tensor) and g._rg:
        t._grad = old + g   # under create_graph: a gradient with a graph of its own
    else:
        np.add(old._data, d, out=old._data)


def _capture(node: Node, g, multi: bool, targets: dict, captured: dict) -> None:
    for nr in range(node.n_outputs):
        keys = targets.get((node, nr))
        val = g[nr] if multi else g
        for k in keys or ():
            captured[k] = val if captured.get(k) is None or val is None else captured[k] + val


def _needed(roots: list, targets: set) -> set:
    """The nodes on some path from a root to a target (for `grad` and `inputs=`)."""
    seen = {node: None for node, _, _ in roots}
    stack = list(seen)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None and child not in seen:
                seen[child] = None
                stack.append(child)
    needed = set()
    for node in sorted(seen, key=lambda n: n._seq):   # inputs before the ops that used them
        if node in targets or any(c in needed for c, _ in node.next_functions):
            needed.add(node)
    return needed


# --------------------------------------------------------------------------------------
# The public calls


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
