"""Reverse-mode execution: `backward` and `grad`.

One loop runs every backward pass. It never recurses: dependencies are counted with an
explicit stack, then nodes run when all the gradients flowing into them have arrived
(Kahn's algorithm), so a chain of 100,000 ops is as safe as one of ten. Broadcasting is
undone here, once for all ops: each gradient is summed to its input's shape, and its shape
and dtype are checked against the input's, naming the op whose rule got them wrong.
"""

from __future__ import annotations

import heapq

import numpy as np

from . import anomaly, grad_mode
from .function import AccumulateGrad, BackwardCFunction, Node, _wrap
from .tensor import Tensor, _make

__all__ = ["backward", "grad"]

_grad_enabled = grad_mode._grad_enabled


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs: tuple, grads, create_graph: bool, caller: str) -> list:
    """Validate the outputs and the gradients given for them (ones for scalars)."""
    grads = _as_tuple(grads) if grads is not None else (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"{caller}: got {len(grads)} gradients for {len(outputs)} outputs")
    roots = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{caller}: expected outputs to be Tensors, got {type(out).__name__} "
                            f"at index {i}")
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
                from .creation import tensor
                g = tensor(g, dtype=out.dtype)
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}.")
            if g._data.dtype != out._data.dtype:
                g = g.to(out.dtype)
            if not create_graph and g._rg:
                g = g.detach()
        node = out.grad_fn if out.grad_fn is not None else out._accumulator()
        roots.append((node, out._out_nr, g))
    return roots


def _needed(roots: list, targets: set) -> set:
    """The nodes on some path from a root to a target (for `grad` and `inputs=`)."""
    seen = {}
    stack = [node for node, _, _ in roots]
    for node in stack:
        seen[node] = None
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen[child] = None
                stack.append(child)
    needed = set()
    for node in sorted(seen, key=_seq_of):   # inputs before the ops that used them
        if node in targets or any(c in needed for c, _ in node.next_functions):
            needed.add(node)
    return needed


def _seq_of(node) -> int:
    return node._seq


def _sum_to(g, shape: tuple, node, i: int):
    """Undo broadcasting: sum `g` (Tensor or array) down to `shape`, or say which op's rule
    was wrong."""
    gs = g.shape
    lead = len(gs) - len(shape)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(shape, gs[lead:])):
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - "
                           f"got {list(gs)} but expected shape compatible with {list(shape)}")
    if isinstance(g, Tensor):
        return g.sum_to_size(shape)
    dims = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(shape)
                                      if s == 1 and gs[lead + k] != 1)
    return np.sum(g, axis=dims, keepdims=True).reshape(shape)


def _store_grad(t: Tensor, g: Tensor, owned: set, create_graph: bool) -> None:
    """Accumulate `g` into `t.grad` (a leaf, or a non-leaf that retains its grad).
    (`_store_array` has the first case for arrays: keep them alike.)"""
    old = t._grad
    if old is None:
        d = g._data
        if id(d) in owned or d.base is not None or not d.flags.writeable:
            g = g.clone() if create_graph else _make(d.copy())   # never alias another grad
        owned.add(id(g._data))
        t._grad = g
    elif create_graph or old._rg:
        t._grad = old + g
    else:
        np.add(old._data, g._data, out=old._data)




def _store_array(t: Tensor, g, owned: set) -> None:
    """`_store_grad` for the fast loop's array gradients: the first gradient of `t`, a fresh
    array nothing else holds, becomes `.grad` as it is (no Tensor made just to unwrap)."""
    if t._grad is None and type(g) is np.ndarray and g.base is None and \
            id(g) not in owned and g.flags.writeable:
        owned.add(id(g))
        t._grad = _make(g)
    else:
        _store_grad(t, _wrap(g), owned, False)


def _plain_sink(node) -> bool:
    """A leaf's AccumulateGrad with no hooks: the fast loop stores its gradient itself."""
    return type(node) is AccumulateGrad and not node._pre_hooks and not node._post_acc_hooks


def _run(roots: list, retain_graph: bool, create_graph: bool, targets: dict | None,
         accumulate: bool, user_grads: tuple) -> dict:
    """Execute the backward graph from `roots` [(node, output_nr, grad)].

    Order: every node has a creation number, and an op's node is always newer than its
    inputs' nodes; so taking the newest node with a pending gradient from a max-heap runs
    each node after every node that feeds it a gradient, with no dependency pass. The
    gradient waiting at a node is kept on the node (`_g`) until it runs.

    With `targets` ({(node, output_nr): keys}), gradients flowing into those edges are
    returned by key and only the part of the graph that leads to them runs.

    Without `create_graph`, gradients travel between nodes as raw arrays and the engine
    calls each node's `backward_fast` (which wraps them in Tensors for rules that need
    Tensors). With `create_graph`, everything is Tensors and every rule records a graph.
    """
    needed = None
    if targets is not None:
        needed = _needed(roots, {n for n, _ in targets})
    fast = not create_graph
    heap: list = []
    for node, nr, g in roots:
        if needed is None or node in needed:
            _give(heap, node, nr, g._data if fast else g)
    p = _Pass(retain_graph, create_graph, targets, needed, accumulate,
              {id(g._data) for g in user_grads})
    prev = _grad_enabled()
    grad_mode._set_grad(create_graph)
    errstate = np.errstate(divide="ignore", invalid="ignore", over="ignore")
    errstate.__enter__()   # inf/nan gradients are results, as in PyTorch (see detect_anomaly)
    try:
        if fast and needed is None and accumulate and not p.check_nan:
            _loop_fast(heap, p)
        else:
            _loop(heap, p)
    finally:
        grad_mode._set_grad(prev)
        errstate.__exit__(None, None, None)
        for _, node in heap:   # after an error: leave no pending gradient behind
            node._g = None
    return p.captured


_SKIP = object()


class _Pass:
    """One backward pass: its options, and the per-node work shared by both loops for
    nodes that are not plain (hooks, retain_grad, leaves, pruning, anomaly checks)."""

    def __init__(self, retain_graph, create_graph, targets, needed, accumulate, owned):
        self.retain_graph, self.create_graph = retain_graph, create_graph
        self.fast = not create_graph
        self.targets, self.needed, self.pruned = targets, needed, needed is not None
        self.accumulate, self.owned = accumulate, owned
        self.captured: dict = {}
        self.check_nan = anomaly._enabled[0]

    def pre(self, node, g):
        """Hooks, captures and retained grads before `node` runs; `_SKIP` if it runs no
        rule (a leaf's AccumulateGrad, or a target that leads nowhere else needed)."""
        fast, pruned = self.fast, self.pruned
        if node._pre_hooks or node._retain is not None or pruned:
            if fast:
                g = _wrap(g) if node.n_outputs == 1 else [_wrap(x) for x in g]
            if node._pre_hooks:
                g = _call_pre_hooks(node, g)
            if pruned and ((node, 0) in self.targets or node.n_outputs > 1):
                _capture(node, g, self.targets, self.captured)
            if node._retain is not None:
                t = node._retain()
                if t is not None:
                    _store_grad(t, g if node.n_outputs == 1 else g[t._out_nr], self.owned,
                                self.create_graph)
            if fast:
                g = g._data if node.n_outputs == 1 else [None if x is None else x._data
                                                         for x in g]
        if type(node) is AccumulateGrad:
            if self.accumulate:
                leaf = node._leaf()
                if leaf is not None:
                    _store_grad(leaf, _wrap(g), self.owned, self.create_graph)
                    if node._post_acc_hooks:
                        for hook in list(node._post_acc_hooks.values()):
                            hook(leaf)
            return _SKIP
        if pruned and not any(c in self.needed for c, _ in node.next_functions):
            return _SKIP
        return g

    def call(self, node, g) -> tuple:
        """Run the node's rule: on arrays if it can, else on Tensors."""
        if self.check_nan:
            return _call(node, g, self.fast)
        if self.fast:
            return node.backward_fast(g)
        return node.backward(g) if node.n_outputs == 1 else node.backward(*g)

    def post(self, node, g, grads) -> None:
        """Release what the node saved, and run its post-hooks."""
        if not self.retain_graph:
            node.release()
        if node._post_hooks:
            grads = tuple(grads) + (None,) * (len(node.next_functions) - len(grads))
            for hook in list(node._post_hooks.values()):
                hook(tuple(None if x is None else _wrap(x) for x in grads),
                     (_wrap(g),) if node.n_outputs == 1 else tuple(map(_wrap, g)))


def _loop_fast(heap: list, p: _Pass) -> None:
    """The loop of a plain backward (no create_graph, no pruning, no anomaly checks; leaves
    accumulate): gradients are arrays, and plain nodes (no hooks) and leaves' sinks run
    without leaving the loop.

    In a chain, the next node often is the only one with a pending gradient: it then runs
    next (`nxt`) without going through the heap, its gradient kept in `nxt_g`.

    A leaf's sink without hooks has no edges and nothing to observe it run, so it does not
    go through the heap either: it collects its gradient, and all of them are stored
    into `.grad` at the end (`sinks`), when no other node can still read those arrays."""
    pop, push = heapq.heappop, heapq.heappush
    retain_graph, owned = p.retain_graph, p.owned
    nxt = nxt_g = None
    sinks: list = []
    try:
        while True:
            if nxt is not None:
                node, g = nxt, nxt_g
                nxt = nxt_g = None
            elif heap:
                node = pop(heap)[1]
                g = node._g
                node._g = None
            else:
                break
            plain = node._plain
            if plain:
                grads = node.backward_fast(g)
                if len(grads) == 1:   # one gradient, of the right shape and dtype, for a
                    child = node.next_functions[0][0]   # node with none pending: the chain
                    gi = grads[0]                       # step, without the general edge loop
                    if child is not None and gi is not None and child._g is None and \
                            gi.shape == child.out_shape and gi.dtype is child.out_dtype:
                        if heap:   # not alone: let the heap order it
                            child._g = gi
                            push(heap, (-child._seq, child))
                        else:
                            nxt, nxt_g = child, gi
                        if not retain_graph and node._saved:   # Node.release, inlined
                            node._saved = None
                        continue
            elif _plain_sink(node):   # (one reached as `nxt`)
                leaf = node._leaf()
                if leaf is not None:
                    _store_array(leaf, g, owned)
                continue
            else:
                g = p.pre(node, g)
                if g is _SKIP:
                    continue
                grads = p.call(node, g)
            for (child, nr), gi in zip(node.next_functions, grads):
                if gi is None or child is None:
                    continue
                shape = child.out_shape
                if gi.shape != shape:
                    if child.n_outputs != 1:
                        _check_and_give(heap, node, child, nr, gi, True)
                        continue
                    gi = _sum_to(gi, shape, node, _index(node, child, nr))
                dt = child.out_dtype
                if gi.dtype is not dt and gi.dtype != dt:
                    gi = _fix_dtype(gi, dt, node, _index(node, child, nr))
                if child is nxt:
                    nxt_g = nxt_g + gi
                    continue
                prev_g = child._g
                if prev_g is not None:
                    child._g = prev_g + gi
                elif nxt is None:
                    nxt, nxt_g = child, gi
                else:
                    child._g = gi
                    if _plain_sink(child):
                        sinks.append(child)
                    else:
                        push(heap, (-child._seq, child))
            if nxt is not None and heap:   # not alone: let the heap order it
                nxt._g = nxt_g
                push(heap, (-nxt._seq, nxt))
                nxt = nxt_g = None
            if not plain:
                p.post(node, g, grads)
            elif not retain_graph and node._saved:   # Node.release, inlined
                node._saved = None
        for node in sinks:
            leaf, g = node._leaf(), node._g
            node._g = None
            if leaf is not None:
                _store_array(leaf, g, owned)
    finally:
        if nxt is not None:
            nxt._g = None
        for node in sinks:   # (after an error)
            node._g = None


def _loop(heap: list, p: _Pass) -> None:
    """The general loop: Tensors under create_graph, pruning for grad()/inputs=, anomaly
    checks; every node goes through `_Pass.pre`, `call` and `post`."""
    pop, push = heapq.heappop, heapq.heappush
    fast, pruned, needed = p.fast, p.pruned, p.needed
    while heap:
        node = pop(heap)[1]
        g = node._g
        node._g = None
        if not node._plain or pruned:
            g = p.pre(node, g)
            if g is _SKIP:
                continue
        grads = p.call(node, g)
        for (child, nr), gi in zip(node.next_functions, grads):
            if gi is None or child is None or pruned and child not in needed:
                continue
            if child.n_outputs != 1:
                _check_and_give(heap, node, child, nr, gi, fast)
                continue
            arr = gi if fast else gi._data
            if arr.shape != child.out_shape:
                gi = _sum_to(gi, child.out_shape, node, _index(node, child, nr))
            if arr.dtype is not child.out_dtype and arr.dtype != child.out_dtype:
                gi = _fix_dtype(gi, child.out_dtype, node, _index(node, child, nr))
            prev_g = child._g
            if prev_g is None:
                child._g = gi
                push(heap, (-child._seq, child))
            else:
                child._g = prev_g + gi
        p.post(node, g, grads)


def _check_and_give(heap: list, node, child, nr: int, gi, fast: bool) -> None:
    """The general edge: a gradient for output `nr` of a multi-output `child`."""
    shape, dt = child._out_meta[nr]
    arr = gi if fast else gi._data
    if arr.shape != shape:
        gi = _sum_to(gi, shape, node, _index(node, child, nr))
    if arr.dtype is not dt and arr.dtype != dt:
        gi = _fix_dtype(gi, dt, node, _index(node, child, nr))
    _give(heap, child, nr, gi)


def _give(heap: list, node, nr: int, g) -> None:
    """Add `g` to the gradient waiting at output `nr` of `node`; queue the node once."""
    if node.n_outputs == 1:
        if node._g is None:
            node._g = g
            heapq.heappush(heap, (-node._seq, node))
        else:
            node._g = node._g + g
        return
    if node._g is None:
        node._g = [None] * node.n_outputs
        heapq.heappush(heap, (-node._seq, node))
    slots = node._g
    slots[nr] = g if slots[nr] is None else slots[nr] + g


def _index(node, child, nr) -> int:
    """Which input of `node` the edge to (child, nr) is (for error messages)."""
    return node.next_functions.index((child, nr))


def _call_wrapped(node, g) -> tuple:
    """Run the node's rule on Tensors, even if it could run on arrays (anomaly mode)."""
    return Node.backward_fast(node, g)


def _fix_dtype(gi, dt, node, i: int):
    if isinstance(node, BackwardCFunction):  # a user's Function: cast, as PyTorch does
        return gi.to(dt) if isinstance(gi, Tensor) else gi.astype(dt)
    if isinstance(gi, np.generic) and np.can_cast(gi.dtype, dt, "same_kind") and gi.ndim == 0:
        return np.asarray(gi, dtype=dt)
    got = gi._data.dtype if isinstance(gi, Tensor) else gi.dtype
    raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - "
                       f"expected dtype {dt} but got {got}")


def _call(node, g, fast: bool) -> tuple:
    """Run one node under anomaly detection: report its forward trace on error or NaN."""
    try:
        if fast:
            grads = _call_wrapped(node, g)
            grads = tuple(None if x is None else _wrap(x) for x in grads)
        else:
            grads = node.backward(g) if node.n_outputs == 1 else node.backward(*g)
    except Exception as e:
        anomaly._report_error(node, e)
        raise
    anomaly._check_nan(node, grads)
    return tuple(None if x is None else x._data for x in grads) if fast else grads


def _call_pre_hooks(node, g):
    for hook in list(node._pre_hooks.values()):
        if node.n_outputs == 1:
            r = hook(g)
            if r is not None:
                g = r
        else:
            r = hook(g)
            if r is not None:
                g = r
    return g


def _capture(node, g, targets: dict, captured: dict) -> None:
    for (n, nr), keys in targets.items():
        if n is node:
            val = g if node.n_outputs == 1 else (g[nr] if g is not None else None)
            for k in keys:
                captured[k] = val if k not in captured or val is None else captured[k] + val


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate the gradients of `tensors` into the `.grad` of the leaves.

    `grad_tensors` weights each output (needed for non-scalars); `inputs` limits which
    leaves receive a gradient.
    """
    outputs = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(outputs, grad_tensors, create_graph, "backward")
    targets = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty.")
        targets = {}
        for k, t in enumerate(inputs):
            if not isinstance(t, Tensor) or not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node = t.grad_fn if t.grad_fn is not None else t._accumulator()
            targets.setdefault((node, t._out_nr), []).append(k)
        captured = _run(roots, retain_graph, create_graph, targets, True,
                        tuple([g for *_, g in roots]))
        owned: set = set()
        for k, t in enumerate(inputs):  # non-leaf inputs receive their grad in .grad too
            if t.grad_fn is not None and captured.get(k) is not None:
                _store_grad(t, captured[k], owned, create_graph)
        return
    _run(roots, retain_graph, create_graph, None, True, tuple([g for *_, g in roots]))


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Return d(outputs)/d(inputs), weighted by `grad_outputs`, without touching `.grad`."""
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched=True is not supported; loop over the "
                                  "batch or use autograd.functional.jacobian")
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if materialize_grads:
        if allow_unused is False:
            raise ValueError("Expected allow_unused to be True or not passed when "
                             "materialize_grads=True, but got: allow_unused=False.")
        allow_unused = True
    if retain_graph is None:
        retain_graph = create_graph
    targets: dict = {}
    for k, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: expected inputs to be Tensors, got {type(t).__name__} at "
                            f"index {k}")
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        node = t.grad_fn if t.grad_fn is not None else t._accumulator()
        targets.setdefault((node, t._out_nr), []).append(k)
    roots = _root_grads(outs, grad_outputs, create_graph, "grad")
    captured = _run(roots, retain_graph, create_graph, targets, False,
                    tuple([g for *_, g in roots]))
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
