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

import ast
import inspect
from collections.abc import Callable

import numpy as np

from .. import anomaly, dtypes, grad_mode
from ..function import _BACKWARD_TWICE, _NO_EDGE, Node, next_seq
from ..tensor import Tensor, _make

_grad_enabled = grad_mode._grad_enabled
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
        if cls.arith:
            cls.backward_fast = _compile_fast(
                ("x",) * uses_x + ("out",) * uses_out, {"": (rule, params)}, "(_r,)", n_args)

    def op(x, *args):
        if not isinstance(x, Tensor):
            x = to_tensor(x)
        d = x._data
        if float_only and d.dtype.kind != "f":
            d = float_data(x)
        out = fn(d, *args) if args else fn(d)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        if rule is None or not (x._rg and _grad_enabled()):
            return _make(out)
        n = _new(cls)
        n.next_functions = ((x.grad_fn or x._accum or x._accumulator(), x._out_nr),)
        n._seq = next_seq()   # after the edges: an input's AccumulateGrad may be made there
        if _anomaly[0]:
            n._trace = anomaly._capture()
        if n_args:
            n.args = args
        res = _new(Tensor)                    # _make(out, n), inlined
        res._data, res.grad_fn, res._rg, res._vc = out, n, True, [0]
        n.out_shape, n.out_dtype = out.shape, out.dtype
        if uses_x:
            if uses_out:
                n._saved, n._versions = (x, (out, res._vc, 0, 0)), (x._vc[0],)
            else:
                n._saved, n._versions = (x,), (x._vc[0],)
        elif uses_out:   # the output's record (see Node._out)
            n._saved, n._versions = ((out, res._vc, 0, 0),), ()
        else:
            n._saved = n._versions = ()
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


def _plan_classes(cls: type, plans: dict, rule_a: Callable, rule_b: Callable) -> dict:
    """One subclass of the op's node class per saving plan, with the plan and, for rules
    that run on arrays, a `backward_fast` compiled for exactly that plan."""
    classes = {}
    pa, pb = _rule_args(rule_a)[1:], _rule_args(rule_b)[1:]
    for key, plan in plans.items():
        ta, tb, ra, rb, sa, sb, so = plan
        ns = {"plan": plan}
        if cls.arith and (ra or rb):
            rules = {}
            if ra:
                rules["a"] = (rule_a, pa)
            if rb:
                rules["b"] = (rule_b, pb)
            grads = {"a": "_ra" if ra else "None", "b": "_rb" if rb else "None"}
            # a trailing None may be left out: the engine zips grads with next_functions
            ret = f"({grads['a']}, {grads['b']})" if ta and tb and rb else \
                f"({grads['a' if ta else 'b']},)"
            scalars = ("a",) * (not ta) + ("b",) * (not tb)
            ns["backward_fast"] = _compile_fast(("a",) * sa + ("b",) * sb + ("out",) * so,
                                                rules, ret, 0, scalars)
        classes[key] = type(cls.__name__, (cls,), ns)
    return classes


_LAMBDAS: dict = {}   # source file -> its lambda expressions (ast nodes)


def _lambda_body(rule: Callable) -> str | None:
    """The body (ast) of a table rule, if the rule is a lambda whose first parameter is `g`
    and whose source is found (matched by compiled code); else None."""
    code = getattr(rule, "__code__", None)
    if code is None or rule.__name__ != "<lambda>" or code.co_varnames[:1] != ("g",):
        return None
    fname = code.co_filename
    if fname not in _LAMBDAS:
        try:
            with open(fname, encoding="utf-8") as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError, ValueError):
            tree = None
        _LAMBDAS[fname] = [] if tree is None else \
            [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
    for lam in _LAMBDAS[fname]:
        if lam.lineno != code.co_firstlineno:
            continue
        twin = eval(compile(ast.Expression(lam), fname, "eval"), {})  # noqa: S307 - own source
        c = twin.__code__
        if (c.co_code, c.co_consts, c.co_varnames) == \
                (code.co_code, code.co_consts, code.co_varnames):
            return lam.body
    return None


class _Constants(ast.NodeTransformer):
    """Replace a rule's numeric constants by `_k{key}[i]`: 0-d arrays of the gradient's
    dtype. On small arrays numpy 2 takes about twice as long for `1 - x` as for the same
    with a 0-d array of x's dtype (a Python scalar takes its slow, weak-promotion path);
    the result is the same, as numpy casts a Python scalar to the array's dtype."""

    def __init__(self, key: str) -> None:
        self.key, self.values = key, []

    def visit_Subscript(self, node):   # an index stays a Python int
        node.value = self.visit(node.value)
        return node

    def visit_Constant(self, node):
        if type(node.value) not in (int, float):
            return node
        self.values.append(node.value)
        return ast.Subscript(ast.Name(f"_k{self.key}", ast.Load()),
                             ast.Constant(len(self.values) - 1), ast.Load())


class _PerDtype(dict):
    """dtype -> the constants as 0-d arrays of that dtype (made on first use)."""

    def __init__(self, values: list) -> None:
        super().__init__()
        self.values = values

    def __missing__(self, dtype):
        arrays = self[dtype] = tuple(np.asarray(v, dtype=dtype) for v in self.values)
        return arrays


def _compile_fast(saved: tuple, rules: dict, ret: str, n_args: int = 0,
                  scalars: tuple = ()) -> Callable:
    """Compile a node's `backward_fast(self, g)` for one saving plan: fetch the saved
    arrays (the saved inputs `saved` names, in order, then the output), check their
    versions, evaluate each rule on the values it names, return `ret`.

    The table's rules stay the only definition of each derivative; this only removes the
    interpretive overhead (which values are saved, which grads are wanted) from the path
    every small op pays for, as PyTorch generates its autograd functions from
    derivatives.yaml. A lambda rule's expression is written in line (found in its source
    file), any other rule is called. `rules` maps a suffix to (rule, parameter names);
    the result of rule `k` is bound to `_r{k}`; scalar operands are read from `_ca`/`_cb`."""
    lines = ["def backward_fast(self, g):",
             "    s = self._saved",
             "    if s is None:",
             "        raise RuntimeError(_BACKWARD_TWICE)"]
    inputs = [v for v in saved if v != "out"]
    for k, name in enumerate(inputs):
        lines += [f"    t = s[{k}]",
                  f"    if t._vc[0] != self._versions[{k}]:",
                  "        return self.backward(g)   # raises the version error",
                  f"    {name} = t._data"]
    if "out" in saved:
        lines += [f"    o = s[{len(inputs)}]   # the output's record (see Node._out)",
                  "    if o[1][0] != o[2]:",
                  "        return self.backward(g)",
                  "    out = o[0]"]
    for name in scalars:
        lines.append(f"    {name} = self._c{name}")
    env = {"RuntimeError": RuntimeError, "_BACKWARD_TWICE": _BACKWARD_TWICE,
           "_ndarray": _ndarray}
    on_arrays, on_scalars = [], []   # the in-line rules, in each form
    for k, (rule, params) in rules.items():
        body = None if n_args else _lambda_body(rule)
        if body is not None:   # the rule's expression, in line: no call
            on_scalars.append(f"_r{k} = ({ast.unparse(body)})")
            consts = _Constants(k)
            body = consts.visit(body)
            if consts.values:
                env[f"_K{k}"] = _PerDtype(consts.values)
                on_arrays.append(f"_k{k} = _K{k}[g.dtype]")
            on_arrays.append(f"_r{k} = ({ast.unparse(body)})")
            continue
        env[f"rule{k}"] = rule
        args = "".join(f", {p}" for p in params[:len(params) - n_args])
        lines.append(f"    _r{k} = rule{k}(g{args}{', *self.args' if n_args else ''})")
    if on_arrays:
        # On a 0-d graph the gradient is a numpy scalar (what numpy returns for 0-d
        # results), and numpy's scalar arithmetic is about 10x faster than its 0-d arrays':
        # the rule then runs on scalars, with its constants as written.
        lines.append("    if type(g) is _ndarray:")
        lines += [f"        {line}" for line in on_arrays]
        lines.append("    else:")
        lines += [f"        {v} = {v}[()]" for v in saved]
        lines += [f"        {line}" for line in on_scalars]
    lines.append(f"    return {ret}")
    src = "\n".join(lines) + "\n"
    exec(compile(src, f"<backward_fast {ret}>", "exec"), env)  # noqa: S102 - our own template
    fn = env["backward_fast"]
    fn.source = src
    return fn


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
        classes = _plan_classes(cls, _plans(pa, pb), rule_a, rule_b)

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

    if differentiable:
        c_a, c_b, c_ab = (classes[True, True, True, False], classes[True, True, False, True],
                          classes[True, True, True, True])
        # what each saves, as (save a, save b, save out): read by the hot path below
        s_a, s_b, s_ab = c_a.plan[4:], c_b.plan[4:], c_ab.plan[4:]

    def op(a, b):
        if type(a) is Tensor or isinstance(a, Tensor):
            ad = a._data
            if type(b) is Tensor or isinstance(b, Tensor):
                bd = b._data
                dt = ad.dtype
                if dt is not bd.dtype or true_divide and dt.kind != "f":
                    return general(*slow(a, b))
            elif (type(b) is float or type(b) is int) and ad.dtype.kind == "f":
                return general(a, b, True, False, ad, b)   # no promotion needed
            else:
                return general(*slow(a, b))
        else:
            return general(*slow(a, b))
        # two tensors of one dtype: the hot path, everything inlined
        try:
            out = fn(ad, bd)
        except ValueError:
            out = compute(ad, bd)   # raises the shape error
        if type(out) is not _ndarray:
            out = np.asarray(out)
        ra, rb = a._rg, b._rg
        if not (ra or rb) or not differentiable or not _grad_enabled():
            return _make(out)
        if ra:
            ea = (a.grad_fn or a._accum or a._accumulator(), a._out_nr)
            if rb:
                n = _new(c_ab)
                n.next_functions = ea, (b.grad_fn or b._accum or b._accumulator(), b._out_nr)
                sa, sb, so = s_ab
            else:
                n = _new(c_a)
                n.next_functions = ea, _NO_EDGE
                sa, sb, so = s_a
        else:
            n = _new(c_b)
            n.next_functions = _NO_EDGE, (b.grad_fn or b._accum or b._accumulator(), b._out_nr)
            sa, sb, so = s_b
        # finish(n, a, b, out), in line:
        n._seq = next_seq()   # after the edges: an input's AccumulateGrad may be made there
        if _anomaly[0]:
            n._trace = anomaly._capture()
        if sa:
            if sb:
                n._saved, n._versions = (a, b), (a._vc[0], b._vc[0])
            else:
                n._saved, n._versions = (a,), (a._vc[0],)
        elif sb:
            n._saved, n._versions = (b,), (b._vc[0],)
        else:
            n._saved = n._versions = ()
        res = _new(Tensor)                    # _make(out, n), inlined
        res._data, res.grad_fn, res._rg, res._vc = out, n, True, [0]
        n.out_shape, n.out_dtype = out.shape, dt   # a float op keeps its inputs' dtype
        if so:
            n._saved += ((out, res._vc, 0, 0),)   # the output's record (see Node._out)
        return res

    def compute(ad, bd):
        try:
            out = fn(ad, bd)
        except ValueError:
            if np.ndim(ad) and np.ndim(bd):
                raise shape_mismatch(name, ad, bd) from None
            raise
        return out if type(out) is _ndarray else np.asarray(out)

    def general(a, b, ta, tb, ad, bd):
        out = compute(ad, bd)
        ra = ta and a._rg
        rb = tb and b._rg
        if not (ra or rb) or not differentiable or not _grad_enabled():
            return _make(out)
        n = _new(classes[ta, tb, ra, rb])
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
        return finish(n, a, b, out)

    def finish(n, a, b, out):
        """Number the node, save what its plan names, and wrap the output. `op`'s hot path
        (two tensors of one dtype) has this written in line, a call being ~10% of a small
        op's cost: a change here goes there too."""
        n._seq = next_seq()   # after the edges: an input's AccumulateGrad may be made there
        if _anomaly[0]:
            n._trace = anomaly._capture()
        plan = n.plan
        if plan[4]:
            if plan[5]:
                n._saved, n._versions = (a, b), (a._vc[0], b._vc[0])
            else:
                n._saved, n._versions = (a,), (a._vc[0],)
        elif plan[5]:
            n._saved, n._versions = (b,), (b._vc[0],)
        else:
            n._saved = n._versions = ()
        res = _new(Tensor)                    # _make(out, n), inlined
        res._data, res.grad_fn, res._rg, res._vc = out, n, True, [0]
        n.out_shape, n.out_dtype = out.shape, out.dtype
        if plan[6]:
            n._saved += ((out, res._vc, 0, 0),)   # the output's record (see Node._out)
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
        if _grad_enabled() and (self._rg or any(isinstance(a, Tensor) and a._rg
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


# ---------------------------------------------------------------------------------------
# The derivative table of the ops that are not pointwise (views, shape ops, reductions,
# indexing reads, linalg, ...): one line per op, as in PyTorch's derivatives.yaml.
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
    rule, the instance what the forward recorded for it."""

    rule: Callable
    params: tuple = ()        # the rule's parameters after g
    uses_out: bool = False

    def backward(self, g):
        saved = self.saved()
        values = dict(self.values)
        values.update(zip(self.saved_names, saved))
        if self.uses_out:
            values["out"] = saved[-1]
        res = self.rule(g, *[values[p] for p in self.params])
        return res if type(res) is tuple else (res,)


def derivative(name: str, rule: Callable) -> type:
    """A node class named `name` (PyTorch's grad_fn name) whose backward is `rule`."""
    params = _rule_args(rule)[1:]
    return type(name, (TableNode,), {"rule": staticmethod(rule), "params": params,
                                     "uses_out": "out" in params})


def record(cls: type, out: np.ndarray, inputs: tuple, *, view_of: Tensor | None = None,
           **values) -> Tensor:
    """Wrap the forward result `out` of an op with inputs `inputs` in a Tensor and, if a
    graph is being recorded, attach a `cls` node holding `values` for its rule.

    `view_of=x`: the result may share x's storage; it then shares x's version counter,
    so that an in-place change through either is seen by the saved-tensor checks."""
    if type(out) is not _ndarray:
        out = np.asarray(out)
    if not needs_graph(*inputs):
        n = None
    else:
        n = cls(inputs)
        names, tensors = [], []
        for k, v in list(values.items()):
            if isinstance(v, Tensor):
                names.append(k)
                tensors.append(values.pop(k))
        n.values, n.saved_names = values, tuple(names)
        if tensors:
            n.save(*tensors)
    res = _make(out, n)
    if view_of is not None and out.base is not None and \
            np.may_share_memory(out, view_of._data):
        res._vc = view_of._vc
        res._base = view_of._base if view_of._base is not None else view_of
    if n is not None and cls.uses_out:
        n.save_output(res)
    return res
