"""Reverse-mode execution: one backward pass (`_Pass`), the loop behind `backward` and
`grad` (their argument checks are in gradients.py).

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
from .function import (
    AccumulateGrad,
    BackwardCFunction,
    Node,
    _wrap,
    run_checked,
    run_post_hooks,
    run_pre_hooks,
    run_tensor_hooks,
)
from .tensor import Tensor, _make

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
