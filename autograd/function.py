"""Graph nodes (PyTorch's `grad_fn` objects), a leaf's gradient sink, and `Function`.

A node is made by each op that records a graph. It points at its inputs' nodes through
`next_functions` (never at its own output, so graphs hold no reference cycles and are
freed by reference counting alone), keeps what its derivative rule needs, and maps the
gradient of its output to gradients of its inputs with `backward`, written in Tensor
ops so that the same rule also builds a graph under `create_graph=True`.

A node holds only what the graph is: its edges, its creation number, the shape and dtype
of its output, the values saved for its rule and the hooks registered on it. The state of
a backward pass (pending gradients) belongs to the pass (engine.py), so several passes
may run over one graph at once, nested or in other threads.

This module also attaches the graph-facing methods to Tensor: `register_hook`,
`register_post_accumulate_grad_hook` and `retain_grad`.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any

import numpy as np

from . import anomaly, grad_mode
from .tensor import RemovableHandle, Tensor, _make

__all__ = ["Node", "AccumulateGrad", "Function", "FunctionCtx", "once_differentiable"]

_NO_EDGE = (None, 0)
_anomaly = anomaly._enabled
# creation order of nodes: an op's node is always newer than its inputs' nodes, which is
# the order the engine runs them in (newest first)
next_seq = itertools.count(1).__next__
_SINK_LOCK = threading.Lock()   # one AccumulateGrad per leaf, also when threads race

_BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


def _version_error(t, saved_version: int) -> RuntimeError:
    fn = t.grad_fn
    op = "" if fn is None else anomaly._forward_op(fn)
    where = "" if fn is None else f", which is output {t._out_nr} of {op}"
    hint = ("Hint: the backtrace further above shows the operation that failed to compute its "
            "gradient. The variable in question was changed in there or anywhere later. Good luck!"
            if anomaly.is_anomaly_enabled() else
            "Hint: enable anomaly detection to find the operation that failed to compute its "
            "gradient, with autograd.set_detect_anomaly(True).")
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t._type_name()} {list(t.shape)}]{where}, is at version {t._vc[0]}; "
        f"expected version {saved_version} instead. {hint}")


def _accumulator(t: Tensor) -> AccumulateGrad:
    """The gradient sink of leaf `t`, made on first use."""
    acc = t._accum
    if acc is None:
        with _SINK_LOCK:
            acc = t._accum
            if acc is None:
                acc = t._accum = AccumulateGrad(t)
    return acc


def _edge(t: Tensor) -> tuple:
    """The edge from a new node to input `t`: (t's node, output nr), or (None, 0)."""
    if not t._rg:
        return _NO_EDGE
    return (t.grad_fn or t._accum or _accumulator(t), t._out_nr)


class Node:
    """One recorded op. Subclasses define `backward(self, grad) -> tuple of input grads`."""

    # set per instance in __init__ (slots: a node is made per op); every constructor sets
    # all of them:
    # - next_functions: (input's node, output nr) per input, (None, 0) if none;
    # - _seq: creation number, the engine's order (newest first);
    # - out_shape, out_dtype: of the output (set when the output is made), against which
    #   the engine checks the gradient arriving at this node;
    # - _saved: what backward needs, in one field so that releasing it is one store: the
    #   saved input tensors, then (if the op saved its output) the output's record (data,
    #   version counter, version, output nr) as a tuple (see `_out`); None once released;
    # - _versions: the saved inputs' versions when saved.
    __slots__ = ("next_functions", "_seq", "out_shape", "out_dtype", "_saved", "_versions",
                 "__dict__", "__weakref__")

    # No hooks, no retain_grad, the default release(): the engine runs the node without
    # its optional steps. Registering a hook clears it.
    _plain = True
    _hooked = False              # has hooks (the engine runs a hooked leaf's sink in order)
    _tensor_hooks: Any = None    # Tensor.register_hook on an output: {id: (output nr, fn)}
    _pre_hooks: Any = None       # Node.register_prehook: fn(grad_outputs) -> replacement
    _post_hooks: Any = None      # Node.register_hook: fn(grad_inputs, grad_outputs)
    _retain: Any = None          # weakref to an output tensor that called retain_grad()
    _trace: Any = None           # forward stack, recorded only under detect_anomaly
    n_outputs = 1
    # True when the rule uses only what ndarrays and Tensors share (operators, `.T`, ...):
    # the engine then runs `backward_fast` on raw arrays when no graph is being recorded
    arith = False

    def __init__(self, inputs: tuple) -> None:
        edges = ()
        for t in inputs:
            edges += ((t.grad_fn or t._accum or _accumulator(t), t._out_nr) if t._rg else
                      _NO_EDGE,)
        self.next_functions = edges
        self._seq = next_seq()   # after the edges: an input's AccumulateGrad may be made there
        self.out_shape, self.out_dtype = (), None   # set again when the output is made
        self._saved = self._versions = ()
        if _anomaly[0]:
            self._trace = anomaly._capture()

    # -- saving tensors for backward ------------------------------------------------------
    def save(self, *tensors) -> None:
        """Keep input tensors for backward; an in-place change to one is caught there."""
        rec = self._out
        self._saved = tensors if rec is None else tensors + (rec,)
        self._versions = tuple(t._vc[0] for t in tensors)

    def save_output(self, out) -> None:
        """Keep the op's output without a reference cycle: its data, not the Tensor."""
        self._out = (out._data, out._vc, out._vc[0], out._out_nr)

    @property
    def _out(self):
        """The saved output's record (data, version counter, version, output nr), or None."""
        s = self._saved
        if s and type(s[-1]) is tuple:
            return s[-1]
        return None

    @_out.setter
    def _out(self, rec) -> None:
        s = self._saved
        if s is None:
            return   # released
        if s and type(s[-1]) is tuple:
            s = s[:-1]
        self._saved = s if rec is None else s + (rec,)

    def saved(self) -> tuple:
        """The saved tensors, checked against in-place changes (inputs, then the output)."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(_BACKWARD_TWICE)
        for t, v in zip(saved, self._versions):
            if t._vc[0] != v:
                raise _version_error(t, v)
        if not saved or type(saved[-1]) is not tuple:
            return saved
        data, vc, v, nr = saved[-1]
        out = _make(data, self)
        out._vc = vc
        out._out_nr = nr
        if vc[0] != v:
            raise _version_error(out, v)
        return saved[:-1] + (out,)

    def saved_data(self) -> tuple:
        """Like `saved`, as raw arrays (for rules the engine runs on arrays)."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(_BACKWARD_TWICE)
        for t, v in zip(saved, self._versions):
            if t._vc[0] != v:
                raise _version_error(t, v)
        if not saved or type(saved[-1]) is not tuple:
            return tuple([t._data for t in saved])
        data, vc, v, nr = saved[-1]
        if vc[0] != v:
            raise _version_error(self.saved()[-1], v)
        return tuple([t._data for t in saved[:-1]]) + (data,)

    def backward_fast(self, g) -> tuple:
        """`backward` on arrays, when no graph is recorded: the engine's call. This default
        wraps them in Tensors for rules written in Tensor ops; nodes whose rule runs on
        arrays directly override it (and may leave out trailing None gradients)."""
        if self.n_outputs == 1:
            res = self.backward(_wrap(g))
        else:
            res = self.backward(*[None if x is None else _wrap(x) for x in g])
        return tuple([None if r is None else r._data for r in res])

    def release(self) -> None:
        """Free what backward needed (after a backward without retain_graph). The engine
        inlines this for plain nodes: a subclass that overrides `release` must set
        `_plain = False`."""
        if self._saved:   # (nothing saved: nothing to set, which keeps the dict small)
            self._saved = None

    # -- introspection and hooks (PyTorch's names) ----------------------------------------
    def name(self) -> str:
        return type(self).__name__

    def register_hook(self, fn):
        """`fn(grad_inputs, grad_outputs)` runs after this node's backward; it may return
        replacements for grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = {}
        self._plain, self._hooked = False, True
        return RemovableHandle(self._post_hooks, fn)

    def register_prehook(self, fn):
        """`fn(grad_outputs)` runs before this node's backward; it may return replacements."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._plain, self._hooked = False, True
        return RemovableHandle(self._pre_hooks, fn)

    def __getattr__(self, attr: str):
        # PyTorch exposes saved values as `_saved_self`, `_saved_other`, `_saved_result`
        if attr.startswith("_saved_"):
            items = self.saved()
            if attr == "_saved_result" and self._out is not None:
                return items[-1]
            if attr in ("_saved_self", "_saved_other") and self._saved:
                i = 0 if attr == "_saved_self" else 1
                if i < len(self._versions):
                    return self._saved[i]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def backward(self, grad):  # pragma: no cover - every node class defines it
        raise NotImplementedError


class AccumulateGrad(Node):
    """The sink for a leaf that requires grad: adds the incoming gradient to `leaf.grad`.

    The leaf holds its AccumulateGrad strongly; the node holds the leaf weakly.
    """

    _post_acc_hooks: Any = None   # Tensor.register_post_accumulate_grad_hook: fn(leaf)
    _plain = False    # the engine stores its gradient; it runs no rule

    def __init__(self, leaf) -> None:
        self._seq = next_seq()
        self.next_functions = ()
        self.out_shape, self.out_dtype = leaf._data.shape, leaf._data.dtype
        self._saved = self._versions = ()
        self._leaf = weakref.ref(leaf)

    @property
    def variable(self):
        return self._leaf()

    def backward(self, grad):  # pragma: no cover - the engine stores the gradient itself
        return ()


# --------------------------------------------------------------------------------------
# Running a node's hooks (the engine calls these for the nodes that have them)


def _hook_name(fn) -> str:
    return getattr(fn, "__name__", "<unknown>")


def _checked_replacement(fn, old: Tensor, new) -> Tensor:
    """A hook's replacement for a gradient must be a Tensor of the same size and dtype."""
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    if new._data.shape != old._data.shape:
        raise RuntimeError(f"hook '{_hook_name(fn)}' has changed the size of value")
    if new._data.dtype != old._data.dtype:
        raise RuntimeError(f"hook '{_hook_name(fn)}' has changed the type of value (was "
                           f"{old._type_name()} got {new._type_name()})")
    return new


def run_tensor_hooks(node: Node, g, multi: bool):
    """Tensor.register_hook: each hook sees its own output's gradient, in order."""
    g = list(g) if multi else g
    for nr, fn in list(node._tensor_hooks.values()):
        cur = g[nr] if multi else g
        if cur is None:
            continue
        r = fn(cur)
        if r is not None:
            r = _checked_replacement(fn, cur, r)
            if multi:
                g[nr] = r
            else:
                g = r
    return g


def _replace_all(fn, old: tuple, new) -> tuple:
    if not isinstance(new, (tuple, list)) or len(new) != len(old):
        got = len(new) if isinstance(new, (tuple, list)) else 1
        raise RuntimeError(f"hook '{_hook_name(fn)}' has returned an incorrect number of values "
                           f"(got {got}, but expected {len(old)})")
    return tuple(n if n is None or o is None else _checked_replacement(fn, o, n)
                 for o, n in zip(old, new))


def run_pre_hooks(node: Node, g, multi: bool):
    """Node.register_prehook: fn(grad_outputs) -> replacement tuple or None."""
    gs = tuple(g) if multi else (g,)
    for fn in list(node._pre_hooks.values()):
        r = fn(gs)
        if r is not None:
            gs = _replace_all(fn, gs, r)
    return list(gs) if multi else gs[0]


def run_post_hooks(node: Node, g, grads: tuple, fast: bool) -> tuple:
    """Node.register_hook: fn(grad_inputs, grad_outputs) -> replacement tuple or None."""
    n = len(node.next_functions)
    gin = tuple(_wrap(x) for x in grads) + (None,) * (n - len(grads))
    gout = tuple(_wrap(x) for x in g) if node.n_outputs != 1 else (_wrap(g),)
    for fn in list(node._post_hooks.values()):
        r = fn(gin, gout)
        if r is not None:
            gin = _replace_all(fn, gin, r)
    return tuple(None if x is None else x._data for x in gin) if fast else gin


def run_checked(node: Node, g, fast: bool) -> tuple:
    """Run one node under anomaly detection: report its forward trace on error or NaN."""
    try:
        if fast:   # on Tensors, even if the rule could run on arrays
            grads = Node.backward_fast(node, g)
            grads = tuple(None if x is None else _wrap(x) for x in grads)
        else:
            grads = node.backward(*g) if node.n_outputs != 1 else node.backward(g)
    except Exception as e:
        anomaly._report_error(node, e)
        raise
    anomaly._check_nan(node, grads)
    return tuple(None if x is None else x._data for x in grads) if fast else grads


# --------------------------------------------------------------------------------------
# The graph-facing Tensor methods


def _register_hook(self: Tensor, hook) -> RemovableHandle:
    """`hook(grad)` runs when this tensor's gradient is computed; it may return a
    replacement gradient."""
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = self.grad_fn if self.grad_fn is not None else _accumulator(self)
    if node._tensor_hooks is None:
        node._tensor_hooks = {}
    node._plain, node._hooked = False, True
    return RemovableHandle(node._tensor_hooks, (self._out_nr, hook))


def _register_post_accumulate_grad_hook(self: Tensor, hook) -> RemovableHandle:
    """`hook(tensor)` runs after `.grad` of this leaf has been accumulated."""
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    acc = _accumulator(self)
    if acc._post_acc_hooks is None:
        acc._post_acc_hooks = {}
    acc._hooked = True
    return RemovableHandle(acc._post_acc_hooks, hook)


def _retain_grad(self: Tensor) -> None:
    """Keep this non-leaf's gradient in `.grad` (leaves always keep theirs)."""
    if not self._rg:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is not None:
        self.grad_fn._retain = weakref.ref(self)
        self.grad_fn._plain = False


Tensor.register_hook = _register_hook
Tensor.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook
Tensor.retain_grad = _retain_grad
Tensor._accumulator = _accumulator


# --------------------------------------------------------------------------------------
# User-defined ops


class FunctionCtx:
    """What `Function.forward` and `backward` share (`ctx`)."""

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or None) for backward, as `saved_tensors`."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self.to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff = tensors

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = value


class BackwardCFunction(Node, FunctionCtx):
    """The node of a custom `Function`; it is also the `ctx` its methods receive."""

    _fn: Any = None
    _materialize = True
    _plain = False   # overrides release()
    needs_input_grad: tuple = ()

    @property
    def saved_tensors(self) -> tuple:
        saved = self.saved()
        if self._out_slots is None:
            return saved
        # re-insert saved outputs (kept as data, to avoid a reference cycle) in order
        out, k = [], 0
        for slot in self._out_slots:
            if slot is None:
                out.append(saved[k])
                k += 1
            elif slot is _SAVED_NONE:
                out.append(None)
            else:
                data, vc, v, nr = slot
                t = _make(data, self)
                t._vc, t._out_nr = vc, nr
                if vc[0] != v:
                    raise _version_error(t, v)
                out.append(t)
        return tuple(out)

    def release(self) -> None:
        self._saved = None
        self._out_slots = None

    def backward(self, *grads):
        """Call the user's backward and check what it returns, as PyTorch does: one
        gradient per forward argument (trailing Nones may be left out), None for
        non-tensor arguments."""
        if self._saved is None and self._had_saved:
            raise RuntimeError(_BACKWARD_TWICE)
        if self._materialize:
            grads = tuple(_make(np.zeros(shape, dt)) if g is None else g
                          for g, (shape, dt) in zip(grads, self._out_meta))
        res = self._fn.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self._arg_is_tensor)
        while len(res) > n and res[-1] is None:
            res = res[:-1]
        if len(res) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(res)})")
        for i, g in enumerate(res):
            if g is None:
                continue
            if not self._arg_is_tensor[i]:
                raise RuntimeError(f"function {self.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward "
                                   "input was not a Variable")
            if not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
        return tuple(g for g, is_t in zip(res, self._arg_is_tensor) if is_t)


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_fn": cls})


class Function(metaclass=_FunctionMeta):
    """A user-defined op: subclass with static `forward(ctx, ...)` and `backward(ctx, ...)`.

    `forward` runs without recording a graph; `backward` receives one gradient per output
    and returns one per input (`None` for inputs that need none). Call it with `apply`.
    `backward` may itself run `autograd.grad` or `backward` (a nested pass).
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    @staticmethod
    def setup_context(ctx, inputs: tuple, output) -> None:
        """PyTorch 2's split form: a subclass that defines it has `forward(*args)` without
        ctx, and saves what backward needs here, from the inputs and the output."""
        raise NotImplementedError("setup_context is not overridden")

    @classmethod
    def apply(cls, *args):
        tensors = tuple(a for a in args if isinstance(a, Tensor))
        is_t = tuple(isinstance(a, Tensor) for a in args)
        needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        record = grad_mode._grad_enabled() and any(needs)
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        ctx.needs_input_grad = needs
        ctx._arg_is_tensor = is_t
        with grad_mode.no_grad():
            if cls.setup_context is Function.setup_context:
                outs = cls.forward(ctx, *args)
            else:
                outs = cls.forward(*args)
                cls.setup_context(ctx, args, outs)
        single = not isinstance(outs, tuple)
        outs_t = (outs,) if single else outs
        if not record:
            return outs
        Node.__init__(ctx, tensors)
        non_diff = {id(t) for t in getattr(ctx, "_non_diff", ())}
        results = []
        for i, o in enumerate(outs_t):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            if any(o is t for t in tensors):  # returned an input: hand back a new alias
                o = _make(o._data)
            if id(o) not in non_diff and o._data.dtype.kind == "f":
                o.grad_fn, o._rg, o._out_nr = ctx, True, i
            results.append(o)
        ctx.n_outputs = len(outs_t)
        ctx._out_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor)
                              else ((), None) for o in results)
        # the engine checks gradients against out_shape for one output, _out_meta for more
        ctx.out_shape, ctx.out_dtype = ctx._out_meta[0] if len(outs_t) == 1 else (None, None)
        # saved tensors: inputs stay as they are; outputs are kept as data only
        to_save = getattr(ctx, "to_save", ())
        ctx._had_saved = bool(to_save)
        slots, kept = [], []
        for t in to_save:
            k = next((j for j, o in enumerate(results) if o is t), None)
            if t is None:
                slots.append(_SAVED_NONE)
            elif k is None:
                slots.append(None)
                kept.append(t)
            else:
                slots.append((t._data, t._vc, t._vc[0], k))
        ctx.save(*kept)
        ctx._out_slots = slots if any(s is not None for s in slots) else None
        ctx.to_save = ()
        return results[0] if single else tuple(results)


_SAVED_NONE = object()   # a None given to save_for_backward (saved_tensors gives it back)


def once_differentiable(fn):
    """Mark a backward as not differentiable again (accepted for PyTorch compatibility)."""
    return fn


def _wrap(g):
    if g is None or isinstance(g, Tensor):
        return g
    return _make(g if type(g) is np.ndarray else np.asarray(g))
