"""Machinery shared by the op families: operands, dtype promotion, the derivative-table
builders, in-place variants, and attaching ops to Tensor as methods.

A pointwise op is declared as one line, its numpy forward and its derivative rule:

    unary("exp", np.exp, lambda g, out: g * out)
    binary("mul", np.multiply, lambda g, b: g * b, lambda g, a: g * a)

A rule receives the upstream gradient `g` and, by parameter name, the op's input (`x`,
or `a`/`b`) and result (`out`); the node saves exactly what its rules name, nothing
else. Rules are written in Tensor ops, so they run fast under no_grad and record a
graph under `create_graph=True`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from .. import anomaly, dtypes, grad_mode
from ..function import _BACKWARD_TWICE, _NO_EDGE, Node, next_seq
from ..tensor import Tensor, _make

_state = grad_mode._state
_anomaly = anomaly._enabled
_new = object.__new__
_ndarray = np.ndarray
_FLOAT_KINDS = "f"
_SCALARS = (int, float, bool)


def method(*names: str):
    """Attach the decorated function to Tensor under each name."""
    def deco(fn):
        for n in names or (fn.__name__,):
            setattr(Tensor, n, fn)
        return fn
    return deco


def as_array(out) -> np.ndarray:
    """numpy returns scalars for 0-d results; tensors always hold arrays."""
    return out if type(out) is _ndarray else np.asarray(out)


def wrap(data, node: Node | None = None) -> Tensor:
    """Wrap a forward result, attaching its node (None: no graph recorded)."""
    if type(data) is not _ndarray:
        data = np.asarray(data)
    return _make(data, node)


def needs_graph(*tensors) -> bool:
    if not _state.grad_enabled:
        return False
    for t in tensors:
        if t._rg:
            return True
    return False


def to_tensor(x, name: str = "input", like: Tensor | None = None) -> Tensor:
    """Accept Tensors, numpy arrays and Python numbers where a tensor is expected."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return _make(np.asarray(x))
    if isinstance(x, (_SCALARS, list, tuple)):
        from ..creation import tensor
        if like is not None and isinstance(x, _SCALARS):
            return _make(np.asarray(x, dtype=dtypes.result_type(like, x).np))
        return tensor(x)
    raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")


def float_data(x: Tensor) -> np.ndarray:
    """The data, promoted to the default float dtype if integral (`sqrt(int)` is float32)."""
    d = x._data
    if d.dtype.kind != "f":
        return d.astype(dtypes._DEFAULT[0].np)
    return d


def shape_mismatch(op: str, a, b) -> RuntimeError:
    sa = list(np.shape(a))
    sb = list(np.shape(b))
    n = max(len(sa), len(sb))
    pa, pb = [1] * (n - len(sa)) + sa, [1] * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"{op}: The size of tensor a ({pa[i]}) must match the size of tensor b "
                f"({pb[i]}) at non-singleton dimension {i} (shapes {sa} and {sb})")
    return RuntimeError(f"{op}: shapes {sa} and {sb} cannot be broadcast together")


# ---------------------------------------------------------------------------------------
# Operands of a binary op under PyTorch's promotion rules


def operands(a, b, true_divide: bool = False):
    """Return (a, b) as Tensors or Python scalars, cast to PyTorch's result dtype.

    Casting a tensor that requires grad is itself a recorded op, so mixed-dtype ops stay
    differentiable; the common same-dtype case costs two identity checks.
    """
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da is not db and da != db:
            rt = dtypes.result_type(a, b)
            if true_divide and rt.category != dtypes._FLOAT:
                rt = dtypes._DEFAULT[0]
            a, b = _cast(a, rt), _cast(b, rt)
        elif true_divide and da.kind != "f":
            rt = dtypes._DEFAULT[0]
            a, b = _cast(a, rt), _cast(b, rt)
        return a, b
    if ta:
        b = _scalar(b)
        if b is NotImplemented:
            return NotImplemented
        return _cast_for_scalar(a, b, true_divide), b
    if tb:
        a = _scalar(a)
        if a is NotImplemented:
            return NotImplemented
        return a, _cast_for_scalar(b, a, true_divide)
    return NotImplemented


def _scalar(x):
    t = type(x)
    if t is float or t is int or t is bool:
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (np.ndarray, list, tuple)):
        return to_tensor(x)
    if isinstance(x, _SCALARS):
        return t.__mro__[1](x) if t not in _SCALARS else x
    return NotImplemented


def _cast_for_scalar(t: Tensor, s, true_divide: bool) -> Tensor:
    if isinstance(s, Tensor):  # an ndarray or list turned into a tensor
        return t
    kind = t._data.dtype.kind
    if kind == "f":
        return t
    if type(s) is float or true_divide:
        return _make(t._data.astype(dtypes._DEFAULT[0].np))
    if kind == "b" and type(s) is int:
        return _make(t._data.astype(np.int64))
    return t


def _cast(t: Tensor, rt: dtypes.dtype) -> Tensor:
    if t._data.dtype is rt.np or t._data.dtype == rt.np:
        return t
    from .shape import to_dtype
    return to_dtype(t, rt)


# ---------------------------------------------------------------------------------------
# The derivative-table builders


def _rule_args(rule: Callable) -> tuple:
    return tuple(inspect.signature(rule).parameters)


def is_arith(rule: Callable) -> bool:
    """True if the rule uses nothing but operators on its arguments and constants (no
    attribute, method or global lookups): it then computes the same on ndarrays as on
    Tensors, and the engine may run it on arrays when no graph is being recorded."""
    code = getattr(rule, "__code__", None)
    return code is not None and not code.co_names and not code.co_freevars


def _adapt(rule: Callable, op: str) -> tuple[set, Callable]:
    """What a binary rule names among (a, b, out), and a caller taking all three."""
    params = _rule_args(rule)[1:]
    bad = set(params) - {"a", "b", "out"}
    if bad:
        raise TypeError(f"derivative rule of {op} names unknown values {sorted(bad)}")
    pos = tuple(("a", "b", "out").index(p) for p in params)
    if not pos:
        return set(), lambda g, a, b, out: rule(g)
    if len(pos) == 1:
        i = pos[0]
        if i == 0:
            return set(params), lambda g, a, b, out: rule(g, a)
        if i == 1:
            return set(params), lambda g, a, b, out: rule(g, b)
        return set(params), lambda g, a, b, out: rule(g, out)
    return set(params), lambda g, a, b, out: rule(g, *[(a, b, out)[i] for i in pos])


class UnaryNode(Node):
    """Node of a unary pointwise op; the subclass made by `unary` carries its rule."""

    args = ()

    def backward(self, g):
        return (self.rule(g, *self.saved(), *self.args),)

    def backward_fast(self, g):
        s = self._saved
        if s is None:
            raise RuntimeError(_BACKWARD_TWICE)
        o = self._out
        if s:
            t = s[0]
            if t._vc[0] != self._versions[0]:
                return self.backward(g)  # raises the version error
            if o is None:
                if self.args:
                    return (self.rule(g, t._data, *self.args),)
                return (self.rule(g, t._data),)
        if o is not None:
            if o[1][0] != o[2]:
                return self.backward(g)
            if s:
                return (self.rule(g, s[0]._data, o[0], *self.args),)
            if self.args:
                return (self.rule(g, o[0], *self.args),)
            return (self.rule(g, o[0]),)
        return (self.rule(g, *self.args),)


def unary(name: str, fn: Callable, rule: Callable | None, *, node: str | None = None,
          float_only: bool = True, register: bool = True):
    """Declare a unary pointwise op `name(x, *args)`: forward `fn(data, *args)`, derivative
    `rule(g, [x], [out], *args)`. `rule=None` marks it non-differentiable."""
    node_name = node or f"{name.capitalize()}Backward0"
    if rule is not None:
        params = _rule_args(rule)[1:]
        uses_x, uses_out = "x" in params, "out" in params
        if uses_out and uses_x and params.index("out") < params.index("x"):
            raise TypeError(f"derivative rule of {name}: name x before out")
        n_args = len([p for p in params if p not in ("x", "out")])
        cls = type(node_name, (UnaryNode,), {"rule": staticmethod(rule),
                                             "arith": is_arith(rule)})

    def op(x, *args):
        if not isinstance(x, Tensor):
            x = to_tensor(x)
        d = x._data
        if float_only and d.dtype.kind != "f":
            d = float_data(x)
        out = fn(d, *args)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        if rule is None or not (x._rg and _state.grad_enabled):
            return _make(out)
        n = _new(cls)
        n.next_functions = ((x.grad_fn or x._accum or x._accumulator(), x._out_nr),)
        n._seq = next_seq()   # after the edges: an input's AccumulateGrad may be made there
        if _anomaly[0]:
            n._trace = anomaly._capture()
        if n_args:
            n.args = args
        res = _make(out, n)
        if uses_x:
            n._saved, n._versions = (x,), (x._vc[0],)
        if uses_out:
            n._out = (out, res._vc, 0, 0)
        return res

    op.__name__ = name
    op.__qualname__ = name
    op.node_class = None if rule is None else cls
    if register:
        setattr(Tensor, name, op)
        setattr(Tensor, name + "_", inplace(op))
    return op


class BinaryNode(Node):
    """Node of a binary pointwise op; the subclass made by `binary` carries its rules.

    `plan` = (a is a tensor, b is a tensor, a needs grad, b needs grad, save a, save b,
    save out); a scalar operand is kept in `_ca`/`_cb`.
    """

    _ca = _cb = None

    def backward(self, g):
        return self._apply(g, self.saved())

    def backward_fast(self, g):
        # the hot path of backward(): same rules, on arrays, with the same version checks
        plan = self.plan
        s = self._saved
        if s is None:
            raise RuntimeError(_BACKWARD_TWICE)
        a, b, out, k = self._ca, self._cb, None, 0
        if plan[4]:
            t = s[0]
            if t._vc[0] != self._versions[0]:
                return self._apply(g, self.saved())  # raises the version error
            a, k = t._data, 1
        if plan[5]:
            t = s[k]
            if t._vc[0] != self._versions[k]:
                return self._apply(g, self.saved())
            b = t._data
        if plan[6]:
            out = self._out[0]
            if self._out[1][0] != self._out[2]:
                return self._apply(g, self.saved())
        if plan[0] and plan[1]:
            return (self.rule_a(g, a, b, out) if plan[2] else None,
                    self.rule_b(g, a, b, out) if plan[3] else None)
        return (self.rule_a(g, a, b, out),) if plan[0] else (self.rule_b(g, a, b, out),)

    def _apply(self, g, s):
        ta, tb, ra, rb, sa, sb, so = self.plan
        k = 0
        if sa:
            a, k = s[0], 1
        else:
            a = self._ca
        if sb:
            b, k = s[k], k + 1
        else:
            b = self._cb
        out = s[k] if so else None
        ga = self.rule_a(g, a, b, out) if ra else None
        gb = self.rule_b(g, a, b, out) if rb else None
        if ta and tb:
            return (ga, gb)
        return (ga,) if ta else (gb,)


def _plans(pa: set, pb: set) -> dict:
    """The saving plan for every (a is tensor, b is tensor, a needs grad, b needs grad)."""
    plans = {}
    for ta in (False, True):
        for tb in (False, True):
            for ra in (False, True):
                for rb in (False, True):
                    need = (pa if ra else set()) | (pb if rb else set())
                    plans[ta, tb, ra, rb] = (ta, tb, ra, rb, ta and "a" in need,
                                             tb and "b" in need, "out" in need)
    return plans


def binary(name: str, fn: Callable, rule_a: Callable | None, rule_b: Callable | None, *,
           node: str | None = None, true_divide: bool = False, register: bool = True):
    """Declare a binary pointwise op with numpy broadcasting and PyTorch's promotion.

    `rule_a(g, ...)` and `rule_b(g, ...)` give the gradients for each input from the values
    they name among `a`, `b`, `out`; the node saves only what the rules of the inputs
    that need a gradient name.
    """
    differentiable = rule_a is not None
    if differentiable:
        pa, call_a = _adapt(rule_a, name)
        pb, call_b = _adapt(rule_b, name)
        cls = type(node or f"{name.capitalize()}Backward0", (BinaryNode,),
                   {"rule_a": staticmethod(call_a), "rule_b": staticmethod(call_b),
                    "arith": is_arith(rule_a) and is_arith(rule_b)})
        plans = _plans(pa, pb)

    def slow(a, b):
        ops = operands(a, b, true_divide)
        if ops is NotImplemented:
            raise TypeError(f"{name}(): unsupported operand types {type(a).__name__} and "
                            f"{type(b).__name__}")
        a, b = ops
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        ad = a._data if ta else a
        bd = b._data if tb else b
        return a, b, ta, tb, ad, bd

    def op(a, b):
        # fast path: two tensors of one dtype, or a float tensor and a Python number
        if (type(b) is Tensor or isinstance(b, Tensor)) and isinstance(a, Tensor) and \
                a._data.dtype is b._data.dtype and not (true_divide and
                                                        a._data.dtype.kind != "f"):
            ad, bd, ta, tb = a._data, b._data, True, True
        elif (type(b) is float or type(b) is int) and isinstance(a, Tensor) and \
                a._data.dtype.kind == "f":
            ad, bd, ta, tb = a._data, b, True, False
        else:
            a, b, ta, tb, ad, bd = slow(a, b)
        try:
            out = fn(ad, bd)
        except ValueError:
            if np.ndim(ad) and np.ndim(bd):
                raise shape_mismatch(name, ad, bd) from None
            raise
        if type(out) is not _ndarray:
            out = np.asarray(out)
        ra = ta and a._rg
        rb = tb and b._rg
        if not (ra or rb) or not differentiable or not _state.grad_enabled:
            return _make(out)
        n = _new(cls)
        plan = n.plan = plans[ta, tb, ra, rb]
        if ta and tb:
            n.next_functions = (
                (a.grad_fn or a._accum or a._accumulator(), a._out_nr) if ra else _NO_EDGE,
                (b.grad_fn or b._accum or b._accumulator(), b._out_nr) if rb else _NO_EDGE)
        elif ta:
            n.next_functions = ((a.grad_fn or a._accum or a._accumulator(), a._out_nr),)
            n._cb = b
        else:
            n.next_functions = ((b.grad_fn or b._accum or b._accumulator(), b._out_nr),)
            n._ca = a
        n._seq = next_seq()   # after the edges: an input's AccumulateGrad may be made there
        if _anomaly[0]:
            n._trace = anomaly._capture()
        sa, sb = plan[4], plan[5]
        if sa and sb:
            n._saved, n._versions = (a, b), (a._vc[0], b._vc[0])
        elif sa:
            n._saved, n._versions = (a,), (a._vc[0],)
        elif sb:
            n._saved, n._versions = (b,), (b._vc[0],)
        res = _new(Tensor)                    # _make(out, n), inlined: the hot path
        res._data, res.grad_fn, res._rg, res._vc = out, n, True, [0]
        n.out_shape, n.out_dtype = out.shape, out.dtype
        if plan[6]:
            n._out = (out, res._vc, 0, 0)
        return res

    op.__name__ = name
    op.__qualname__ = name
    if register:
        setattr(Tensor, name, op)
        setattr(Tensor, name + "_", inplace(op))
    return op


def inplace(op: Callable) -> Callable:
    """The in-place variant `op_`: computed out of place, then written into self's storage.

    Under grad mode the op records a node on a stand-in for self's old value, and self
    adopts that node; leaves that require grad and saved tensors are protected by the
    checks in `Tensor._check_inplace` and the version counter.
    """
    def op_(self, *args, **kwargs):
        self._check_inplace()
        src = self
        if _state.grad_enabled and (self._rg or any(isinstance(a, Tensor) and a._rg
                                                     for a in args)):
            src = self._alias_for_inplace()
        return self._inplace_from(op(src, *args, **kwargs))

    op_.__name__ = op.__name__ + "_"
    return op_


def normalize_dims(x: Tensor, dim, op: str) -> tuple | None:
    """`dim` (None, int or sequence) as a sorted tuple of non-negative axes; None means
    every dim (also for a 0-d tensor, whose only valid dims are 0 and -1)."""
    if dim is None:
        return None
    n = x._data.ndim
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}(): dim must be an int or a tuple of ints, got {dim!r}")
        if not lo <= d <= hi:
            raise IndexError(f"{op}(): Dimension out of range (expected to be in range of "
                             f"[{lo}, {hi}], but got {d})")
        d = int(d) % n if n else 0
        if d in out:
            raise RuntimeError(f"{op}(): dim {d} appears multiple times in the list of dims")
        out.append(d)
    if n == 0 or not out:
        return None
    return tuple(sorted(out))


def size_args(args) -> tuple:
    """Accept f(2, 3), f((2, 3)) and f([2, 3]) alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"sizes must be integers, got {a!r} of type {type(a).__name__}")
        out.append(int(a))
    return tuple(out)
