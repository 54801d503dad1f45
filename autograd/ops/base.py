"""The derivative table's machinery, and what the op families share (operands, dtype
promotion, dims, attaching ops to Tensor as methods).

Every stateless op is one line of the table, its derivative next to its name, as in
PyTorch's derivatives.yaml. A pointwise op gives its numpy forward and a rule per input:

    tanh = unary("tanh", np.tanh, "g * (1 - out * out)")
    mul = binary("mul", np.multiply, "g * b", "g * a")

A rule is an expression of `g` (the gradient of the result) and of the values it names:
`x` (or `a`, `b`), `out`, the op's extra arguments and the constants in `CONSTANTS`. The
node saves exactly what the rules of the inputs that need a gradient name. Rules are
Tensor expressions, so they record a graph under `create_graph=True` and differentiate
again; a rule that uses nothing but operators also runs as it is on the numpy arrays when
no graph is recorded, compiled once per saving plan from one template (its constants
made 0-d arrays of the gradient's dtype: numpy is slower with Python scalars). A rule
that needs more than an expression is a function `(g, *named values)`.

Every other stateless op (views, shape ops, reductions, indexing reads) declares its node
with `derivative` and records it with `record`:

    Flip = derivative("FlipBackward0", lambda g, dims: g.flip(dims))
    ...
    return record(Flip, numpy_result, (x,), dims=dims)

Ops with real state or a fused hand-written backward (convolution, pooling, losses,
normalisation, index_put) define a Node subclass next to their forward.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import math
from collections.abc import Callable

import numpy as np

from .. import anomaly, dtypes, grad_mode
from ..creation import tensor as _tensor
from ..function import _BACKWARD_TWICE, _NO_EDGE, Node, _accumulator, next_seq
from ..tensor import Tensor, _make, size_args  # noqa: F401  (size_args: for the op families)
from .inplace import _track_view, inplace  # noqa: F401  (inplace: for the op families)

_grad_enabled = grad_mode._grad_enabled
_anomaly = anomaly._enabled
_ndarray = np.ndarray
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
    if not _grad_enabled():
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
        if like is not None and isinstance(x, _SCALARS):
            return _make(np.asarray(x, dtype=dtypes.result_type(like, x).np))
        return _tensor(x)
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
    return t.to(rt)   # (ToCopyBackward0: ops/shape.py)


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



# ---------------------------------------------------------------------------------------
# Pointwise ops: the rules


CONSTANTS = {"LN2": math.log(2.0), "LN10": math.log(10.0), "PI": math.pi,
             "SQRT_2_OVER_PI": math.sqrt(2.0 / math.pi), "TWO_OVER_SQRT_PI": 2 / math.sqrt(math.pi)}
_ARITH = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Constant, ast.Load,
          ast.operator, ast.unaryop, ast.cmpop)


def _rule_args(rule: Callable) -> tuple:
    return tuple(inspect.signature(rule).parameters)


class _Rule:
    """One rule of the pointwise table, for an op whose values are `values` (in order):
    `names`, what it uses of them; `fn(g, *values)`, it on Tensors; `text` and `arith`,
    its expression (None for a function rule) and whether it runs on arrays as well."""

    def __init__(self, rule, values: tuple, op: str) -> None:
        if callable(rule):
            params = _rule_args(rule)[1:]
            unknown = set(params) - set(values)
            if unknown:
                raise TypeError(f"derivative rule of {op} names unknown values {sorted(unknown)}")
            self.names, self.text, self.arith = params, None, False
            pos = [values.index(p) for p in params]
            self.fn = lambda g, *vals: rule(g, *[vals[i] for i in pos])
            return
        tree = ast.parse(rule, mode="eval")
        used = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
        unknown = {n for n in used if n != "g" and n not in values and n not in CONSTANTS}
        if unknown:
            raise TypeError(f"derivative rule of {op} names unknown values {sorted(unknown)}")
        self.names = tuple(v for v in values if v in used)
        self.text = rule
        self.arith = all(isinstance(n, _ARITH) for n in ast.walk(tree))
        self.fn = _compile(f"lambda g, {', '.join(values)}: {rule}", f"<rule of {op}>",
                           dict(CONSTANTS))


def _compile(src: str, filename: str, env: dict):
    """Evaluate generated source, registered with linecache so that tracebacks show it."""
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    return eval(compile(src, filename, "eval" if src.startswith("lambda") else "exec"), env)


class _Constants(ast.NodeTransformer):
    """The rule's numbers and named constants become `_k[i]`, 0-d arrays of the gradient's
    dtype: on small arrays numpy takes about twice as long for `1 - x` as for the same
    with a 0-d array of x's dtype (a Python scalar takes its slow, weak-promotion path)."""

    def __init__(self, values: list) -> None:
        self.values = values

    def visit_Constant(self, node):
        if type(node.value) not in (int, float):
            return node
        return self._k(node.value)

    def visit_Name(self, node):
        return self._k(CONSTANTS[node.id]) if node.id in CONSTANTS else node

    def _k(self, value):
        self.values.append(value)
        return ast.Subscript(ast.Name("_k", ast.Load()), ast.Constant(len(self.values) - 1),
                             ast.Load())


class _PerDtype(dict):
    """dtype -> the constants as 0-d arrays of that dtype (made on first use)."""

    def __init__(self, values: list) -> None:
        super().__init__()
        self.values = values

    def __missing__(self, dtype):
        arrays = self[dtype] = tuple(np.asarray(v, dtype=dtype) for v in self.values)
        return arrays


_TEMPLATE = """\
def backward_fast(self, g):
    s = self._saved
    if s is None:
        raise RuntimeError(_BACKWARD_TWICE)
{fetch}
    if type(g) is _ndarray:
        _k = _K[g.dtype]
{on_arrays}
    else:   # a numpy scalar (0-d graphs): numpy's scalar arithmetic is ~10x faster
{to_scalars}
{on_scalars}
    return {ret}
"""


def _fast(op: str, saved: tuple, rules: dict, ret: str, read: dict) -> Callable:
    """The node's `backward_fast(self, g)` for one saving plan, from the template: fetch the
    saved arrays (`saved` names the saved inputs in order, then `out`), check versions,
    read the other values (`read`: name -> expression), evaluate the rules (`rules`:
    result name -> _Rule), return `ret`."""
    fetch = []
    inputs = [v for v in saved if v != "out"]
    for k, name in enumerate(inputs):
        fetch += [f"    t = s[{k}]",
                  f"    if t._vc[0] != self._versions[{k}]:",
                  "        return self.backward(g)   # raises the version error",
                  f"    {name} = t._data"]
    if "out" in saved:
        fetch += [f"    o = s[{len(inputs)}]   # the output's record (see Node._out)",
                  "    if o[1][0] != o[2]:",
                  "        return self.backward(g)",
                  "    out = o[0]"]
    fetch += [f"    {name} = {expr}" for name, expr in read.items()]
    consts: list = []
    on_arrays = [f"        {r} = {ast.unparse(_Constants(consts).visit(ast.parse(rule.text)))}"
                 for r, rule in rules.items()]
    on_scalars = [f"        {r} = {rule.text}" for r, rule in rules.items()]
    to_scalars = [f"        {v} = {v}[()]" for v in saved] or ["        pass"]
    src = _TEMPLATE.format(fetch="\n".join(fetch), on_arrays="\n".join(on_arrays),
                           on_scalars="\n".join(on_scalars), to_scalars="\n".join(to_scalars),
                           ret=ret)
    env = {"RuntimeError": RuntimeError, "_BACKWARD_TWICE": _BACKWARD_TWICE,
           "_ndarray": _ndarray, "_K": _PerDtype(consts), **CONSTANTS}
    filename = f"<backward of {op}: {ret}>"
    _compile(src, filename, env)
    fn = env["backward_fast"]
    fn.source = src
    return fn


_RECORD = """\
def record({args}):
    n = _new(Cls)
    n.next_functions = ({edges})
    n._seq = next_seq()   # after the edges: an input's AccumulateGrad may be made there
    if _anomaly[0]:
        n._trace = _capture()
    res = _new(Tensor)    # _make(out, n)
    res._data, res.grad_fn, res._rg, res._vc = out, n, True, [0]
    n.out_shape, n.out_dtype = out.shape, out.dtype
    n._saved, n._versions = ({saved}), ({versions})
{extra}    return res
"""


def _recorder(cls: type, args: str, inputs: dict, saved: tuple, extra: list) -> Callable:
    """The forward half of a pointwise node class, from the template: `record(args)` makes
    the node (what Node.__init__, save() and save_output() do, for exactly this plan) and
    wraps the result `out`. `inputs`: tensor operand -> whether it needs a gradient."""
    edges = [f"({v}.grad_fn or {v}._accum or _accumulator({v}), {v}._out_nr)" if r else
             "_NO_EDGE" for v, r in inputs.items()]
    out_record = ("(out, res._vc, 0, 0)",) if cls.saves_out else ()   # see Node._out
    src = _RECORD.format(args=args, edges="".join(e + ", " for e in edges),
                         saved="".join(v + ", " for v in saved + out_record),
                         versions="".join(f"{v}._vc[0], " for v in saved),
                         extra="".join(f"    {line}\n" for line in extra))
    env = {"Cls": cls, "_new": object.__new__, "Tensor": Tensor, "next_seq": next_seq,
           "_accumulator": _accumulator, "_NO_EDGE": _NO_EDGE, "_anomaly": _anomaly,
           "_capture": anomaly._capture}
    _compile(src, f"<record {cls.__name__} {args}: {tuple(inputs.values())}>", env)
    return env["record"]


class UnaryNode(Node):
    """Node of a unary pointwise op; the subclass made by `unary` carries its rule."""

    args: tuple = ()
    saves_x = saves_out = False

    def backward(self, g):
        s = list(self.saved())
        x = s.pop(0) if self.saves_x else None
        out = s.pop(0) if self.saves_out else None
        return (self.rule.fn(g, x, out, *self.args),)


def unary(name: str, fn: Callable, rule, *, args: tuple = (), node: str | None = None,
          float_only: bool = True, register: bool = True):
    """Declare a unary pointwise op `name(x, *args)`: forward `fn(data, *args)`, derivative
    `rule` naming `x`, `out` and the extra arguments `args`. `rule=None`: no derivative."""
    cls = None
    if rule is not None:
        if callable(rule) and not args:   # a function's parameters past x/out: the op's args
            args = tuple(p for p in _rule_args(rule)[1:] if p not in ("x", "out"))
        r = _Rule(rule, ("x", "out") + tuple(args), name)
        ns = {"rule": r, "saves_x": "x" in r.names, "saves_out": "out" in r.names}
        if r.arith:
            ns["backward_fast"] = _fast(name, ("x",) * ns["saves_x"] + ("out",) * ns["saves_out"],
                                        {"_r": r}, "(_r,)",
                                        {a: f"self.args[{i}]" for i, a in enumerate(args)})
        cls = type(node or f"{name.capitalize()}Backward0", (UnaryNode,), ns)
        cls.record = staticmethod(_recorder(cls, "x, out, args", {"x": True},
                                            ("x",) * cls.saves_x,
                                            ["n.args = args"] if args else []))

    def op(x, *args):
        if not isinstance(x, Tensor):
            x = to_tensor(x)
        d = x._data
        if float_only and d.dtype.kind != "f":
            d = float_data(x)
        out = fn(d, *args) if args else fn(d)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        if cls is None or not (x._rg and _grad_enabled()):
            return _make(out)
        return cls.record(x, out, args)

    op.__name__ = op.__qualname__ = name
    op.node_class = cls
    if register:
        setattr(Tensor, name, op)
        setattr(Tensor, name + "_", inplace(op))
    return op


class BinaryNode(Node):
    """Node of a binary pointwise op; the subclass made by `binary` for one saving plan
    carries the rules and the plan: (a is a tensor, b is a tensor, a needs grad, b needs
    grad, save a, save b); a scalar operand is kept in `_ca`/`_cb`."""

    _ca = _cb = None

    def backward(self, g):
        ta, tb, ra, rb, sa, sb = self.plan
        s = list(self.saved())
        a = s.pop(0) if sa else self._ca
        b = s.pop(0) if sb else self._cb
        out = s.pop(0) if self.saves_out else None
        ga = self.rule_a.fn(g, a, b, out) if ra else None
        gb = self.rule_b.fn(g, a, b, out) if rb else None
        return (ga, gb) if ta and tb else (ga,) if ta else (gb,)


def _plan_classes(name: str, node: str, rule_a: _Rule, rule_b: _Rule) -> dict:
    """One node class per (a is tensor, b is tensor, a needs grad, b needs grad): it saves
    what the rules of the inputs that need a gradient name; its `backward_fast` is
    compiled for exactly that when the rules run on arrays."""
    classes = {}
    for ta, tb, ra, rb in itertools.product((False, True), repeat=4):
        need = set(rule_a.names if ra else ()) | set(rule_b.names if rb else ())
        sa, sb = ta and "a" in need, tb and "b" in need
        ns = {"plan": (ta, tb, ra, rb, sa, sb), "saves_out": "out" in need,
              "rule_a": rule_a, "rule_b": rule_b}
        if rule_a.arith and rule_b.arith and (ra or rb):
            rules = {k: r for k, r, wanted in (("_ra", rule_a, ra), ("_rb", rule_b, rb)) if wanted}
            ga, gb = "_ra" if ra else "None", "_rb" if rb else "None"
            # (a trailing None may be left out: the engine zips grads with next_functions)
            ret = f"({ga}, {gb})" if ta and tb and rb else f"({ga if ta else gb},)"
            read = {v: f"self._c{v}" for v, t in (("a", ta), ("b", tb)) if not t}
            saved = ("a",) * sa + ("b",) * sb + ("out",) * ("out" in need)
            ns["backward_fast"] = _fast(name, saved, rules, ret, read)
        cls = classes[ta, tb, ra, rb] = type(node, (BinaryNode,), ns)
        cls.record = staticmethod(_recorder(
            cls, "a, b, out", {v: r for v, t, r in (("a", ta, ra), ("b", tb, rb)) if t},
            ("a",) * sa + ("b",) * sb, [f"n._c{v} = {v}" for v, t in (("a", ta), ("b", tb))
                                        if not t]))
    return classes


def binary(name: str, fn: Callable, rule_a, rule_b, *, node: str | None = None,
           true_divide: bool = False, register: bool = True):
    """Declare a binary pointwise op with numpy broadcasting and PyTorch's promotion:
    forward `fn(a, b)`, rules naming `a`, `b` and `out` (None, None: no derivative)."""
    classes = None
    if rule_a is not None:
        classes = _plan_classes(name, node or f"{name.capitalize()}Backward0",
                                _Rule(rule_a, ("a", "b", "out"), name),
                                _Rule(rule_b, ("a", "b", "out"), name))

    def compute(ad, bd):
        try:
            out = fn(ad, bd)
        except ValueError:
            if np.ndim(ad) and np.ndim(bd):
                raise shape_mismatch(name, ad, bd) from None
            raise
        return out if type(out) is _ndarray else np.asarray(out)

    def op(a, b):
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        if ta and tb and a._data.dtype is b._data.dtype and \
                not (true_divide and a._data.dtype.kind != "f"):
            pass   # the common case: two tensors of one dtype, nothing to promote
        elif ta and (type(b) is float or type(b) is int) and a._data.dtype.kind == "f":
            pass   # a float tensor and a Python number: numpy keeps the tensor's dtype
        else:
            ops = operands(a, b, true_divide)
            if ops is NotImplemented:
                raise TypeError(f"{name}(): unsupported operand types {type(a).__name__} and "
                                f"{type(b).__name__}")
            a, b = ops
            ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        out = compute(a._data if ta else a, b._data if tb else b)
        ra, rb = ta and a._rg, tb and b._rg
        if not (ra or rb) or classes is None or not _grad_enabled():
            return _make(out)
        return classes[ta, tb, ra, rb].record(a, b, out)

    op.__name__ = op.__qualname__ = name
    if register:
        setattr(Tensor, name, op)
        setattr(Tensor, name + "_", inplace(op))
    return op


def binary_overloads(name: str, fn: Callable, rule_a, rule_b, *, node: str,
                     true_divide: bool = False) -> Callable:
    """A binary op whose node is named per PyTorch overload: `{node}0` for two tensors,
    `{node}1` for a number `input`, `{node}2` for a number `other` (as XlogyBackward0/1/2)."""
    ops = [binary(name, fn, rule_a, rule_b, node=f"{node}{k}", true_divide=true_divide,
                  register=False) for k in range(3)]

    def op(input, other) -> Tensor:  # noqa: A002 - PyTorch's names
        return ops[0 if isinstance(input, Tensor) == isinstance(other, Tensor) else
                   1 if isinstance(other, Tensor) else 2](input, other)

    op.__name__ = op.__qualname__ = name
    return op


# ---------------------------------------------------------------------------------------
# Every other stateless op (views, shape ops, reductions, indexing reads, linalg, ...):
#
#     View = derivative("ViewBackward0", lambda g, shape: g.reshape(shape))
#     ...
#     return record(View, data, (x,), view_of=x, shape=x._data.shape)
#
# The rule gets the output's gradient `g` and, by parameter name, what the forward
# recorded: Tensors are saved for backward (and checked against in-place changes), `out`
# is the op's result, anything else is kept as it is. It returns the gradient of each
# input in `inputs` (a tuple, or one Tensor for one input; None where there is none),
# written in Tensor ops so that it is differentiable again.


class TableNode(Node):
    """Node of an op in the derivative table; the class made by `derivative` carries the
    rule, the instance what the forward recorded for it: `values` (by the rule's
    parameter names) and, in `_saved`, the Tensors among them (`saved_names`)."""

    __slots__ = ("values", "saved_names")
    rule: Callable
    uses_out: bool = False

    def _call(self, g, saved: tuple) -> tuple:
        kw = self.values
        if saved:
            kw = kw.copy()
            kw.update(zip(self.saved_names, saved))
            if self.uses_out:
                kw["out"] = saved[-1]
        res = self.rule(g, **kw)
        return res if type(res) is tuple else (res,)

    def backward(self, g):
        return self._call(g, self.saved())

    def backward_fast(self, g):
        if not self.arith:
            return Node.backward_fast(self, g)
        return self._call(g, self.saved_data())


# What the array-capable rules of the table use where numpy and Tensors spell things
# differently (each works on both, returning the same kind)
def broadcast(g, shape: tuple):
    """g broadcast to `shape` (Tensor.expand, np.broadcast_to). An array of up to 4096
    elements is filled instead: numpy's broadcast view costs 2 us, more than the copy."""
    if isinstance(g, Tensor):
        return g.expand(shape)
    if math.prod(shape) > 4096:
        return np.broadcast_to(g, shape)
    out = np.empty(shape, g.dtype)
    np.copyto(out, g)
    return out


def reorder(g, dims: tuple):
    """g with its dims in the order `dims` (Tensor.permute, ndarray.transpose)."""
    return g.permute(dims) if isinstance(g, Tensor) else g.transpose(dims)


def sum_to(g, shape: tuple):
    """g summed down to `shape`, which broadcasts to g's shape (undoes `broadcast`)."""
    if isinstance(g, Tensor):
        return g.sum_to_size(shape)
    lead = g.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(shape)
                                      if s == 1 and g.shape[lead + k] != 1)
    return np.add.reduce(g, axis=dims, keepdims=True).reshape(shape) if dims else g


def derivative(name: str, rule: Callable, *, arith: bool = False) -> type:
    """A node class named `name` (PyTorch's grad_fn name) whose backward is `rule`.
    `arith=True`: the rule uses only what arrays and Tensors share (operators, `.T`,
    `.sum(axis)`...), so it also runs on the arrays when no graph is recorded."""
    return type(name, (TableNode,), {"rule": staticmethod(rule), "arith": arith,
                                     "uses_out": "out" in _rule_args(rule)[1:]})


def record(cls: type, out: np.ndarray, inputs: tuple, *, view_of: Tensor | None = None,
           **values) -> Tensor:
    """Wrap the forward result `out` of an op with inputs `inputs` in a Tensor and, if a
    graph is being recorded, attach a `cls` node holding `values` (the rule's parameters
    but g and out) for its rule.

    `view_of=x`: the result may share x's storage; it then shares x's version counter
    (and is tracked as a view, for in-place ops; see ops/inplace.py)."""
    if type(out) is not _ndarray:
        out = np.asarray(out)
    n = None
    if _grad_enabled() and any([t._rg for t in inputs]):
        n = cls(inputs)
        names = saved = versions = ()
        for k, v in values.items():
            if isinstance(v, Tensor):
                names += (k,)
                saved += (v,)
                versions += (v._vc[0],)
        for k in names:
            del values[k]
        if saved:
            n._saved, n._versions = saved, versions
        n.values, n.saved_names = values, names
    res = _make(out, n)
    if view_of is not None and out.base is not None and np.may_share_memory(out, view_of._data):
        _track_view(res, view_of)
    if n is not None and cls.uses_out:
        n.save_output(res)
    return res
