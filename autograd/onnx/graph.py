"""Building the ONNX graph from two recorded runs of the model.

The model runs twice: on the given inputs (run A, the one exported) and on inputs whose
dynamic axes have other sizes and whose values are shuffled (run B). Walking both call
trees in step, a converter sees each call of run A with its arguments; an int argument
that differs between the runs depends on the dynamic axes and reaches the converter as a
`Sym`: an int (its value in run A) that also knows how the graph computes it, from the
size of some value along some axis (`Shape`), found by matching its two values with
the sizes of the values converted so far. A constant that differs between the runs
(random, or made from an input by an op that was not recorded) is an error.

Converters are registered per op function (`converts`) or per module type
(`converts_module`); they receive the `Graph` and the call's arguments and return the
name (or names, shaped like the call's result) of the ONNX values they made.
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Callable

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..tensor import Tensor
from .errors import OnnxExporterError, UnsupportedOperatorError
from .tracing import Call, tensors_in

__all__ = ["Graph", "Sym", "converts", "converts_module", "load_converters"]

CONVERTERS: dict[int, tuple] = {}          # id(op function) -> (converter, accepts or None)
MODULE_CONVERTERS: dict[type, tuple] = {}  # module type -> (converter, accepts or None)
INT64_MAX, INT64_MIN = 2 ** 63 - 1, -2 ** 63


def converts(*fns: Callable, accepts: Callable | None = None):
    """Register the decorated `converter(g, *args, **kwargs)` for the op functions `fns`;
    `accepts(*args, **kwargs)` (optional) says, while the model runs, whether it handles
    this call by itself (if not, the calls made inside are recorded and converted)."""
    def deco(conv):
        for f in fns:
            CONVERTERS[id(f)] = (conv, accepts)
        return conv
    return deco


def converts_module(*types_: type, accepts: Callable | None = None):
    """Register `converter(g, module, *args, **kwargs)` for modules of exactly these types
    (a subclass that keeps the forward counts too)."""
    def deco(conv):
        for t in types_:
            MODULE_CONVERTERS[t] = (conv, accepts)
        return conv
    return deco


# the modules of converters, by family
CONVERTER_MODULES = ("pointwise", "shape", "reduction", "layers", "activation", "resize",
                     "sequence")


def load_converters() -> None:
    """Import the converter modules (each registers its converters)."""
    for name in CONVERTER_MODULES:
        importlib.import_module(f"{__package__}.{name}")
    register_inplace_variants()


def register_inplace_variants() -> None:
    """`x.op_(...)` converts as `x.op(...)`: its result names x's new value."""
    for name, fn in list(vars(Tensor).items()):
        base = converter_of(vars(Tensor).get(name[:-1]))
        if name.endswith("_") and not name.startswith("_") and base is not None:
            CONVERTERS.setdefault(id(fn), base)


def module_converter(module) -> tuple | None:
    for cls in type(module).__mro__:
        entry = MODULE_CONVERTERS.get(cls)
        if entry is not None:
            if cls is not type(module) and type(module).forward is not cls.forward:
                return None   # a subclass with its own forward: follow its ops
            return entry
    return None


def converter_of(fn) -> tuple | None:
    """The (converter, accepts) of op `fn`, or of the function it wraps (`out=` variants)."""
    while fn is not None:
        entry = CONVERTERS.get(id(fn))
        if entry is not None:
            return entry
        fn = getattr(fn, "__wrapped__", None)
    return None


def opaque(fn, args: tuple, kwargs: dict) -> bool:
    entry = converter_of(fn)
    if entry is None or kwargs.get("out") is not None:
        return False
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    return entry[1] is None or bool(entry[1](*args, **kwargs))


def opaque_module(module) -> bool:
    entry = module_converter(module)
    return entry is not None and (entry[1] is None or bool(entry[1](module)))


def onnx_dtype(dt) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dt))


# ---------------------------------------------------------------------------------------
# sizes that depend on the dynamic axes


class Sym(int):
    """An int that depends on the dynamic axes: its value in the exported run, and
    `make(g)`, which adds the nodes computing it (a 1-element int64 tensor). Arithmetic
    with ints and other Syms gives Syms."""

    make: Callable
    text: str

    def __new__(cls, value: int, make: Callable, text: str) -> Sym:
        s = super().__new__(cls, value)
        s.make, s.text = make, text
        return s

    def __repr__(self) -> str:
        return f"Sym({int(self)}: {self.text})"

    def _arith(self, other, op: str, fn: Callable, text: str, swap: bool = False):
        if not isinstance(other, (int, np.integer)) or isinstance(other, bool):
            return fn(int(self), other) if not swap else fn(other, int(self))
        a, b = (other, self) if swap else (self, other)
        return Sym(fn(int(a), int(b)), lambda g: g.op(op, g.sym(a), g.sym(b)),
                   f"({_text(a)} {text} {_text(b)})")

    def __add__(self, o):
        return self._arith(o, "Add", lambda a, b: a + b, "+")

    def __radd__(self, o):
        return self._arith(o, "Add", lambda a, b: a + b, "+", swap=True)

    def __sub__(self, o):
        return self._arith(o, "Sub", lambda a, b: a - b, "-")

    def __rsub__(self, o):
        return self._arith(o, "Sub", lambda a, b: a - b, "-", swap=True)

    def __mul__(self, o):
        return self._arith(o, "Mul", lambda a, b: a * b, "*")

    def __rmul__(self, o):
        return self._arith(o, "Mul", lambda a, b: a * b, "*", swap=True)

    def __floordiv__(self, o):   # sizes are non-negative: ONNX's truncating Div is floor
        return self._arith(o, "Div", lambda a, b: a // b, "//")

    def __neg__(self):
        return self._arith(-1, "Mul", lambda a, b: a * b, "*")


def _text(v) -> str:
    return v.text if isinstance(v, Sym) else str(int(v))


# ---------------------------------------------------------------------------------------
# the graph


class Graph:
    """The ONNX graph under construction, and what converters need to know about run A's
    values: `v(t)` is the name of tensor t's value, `dims(t)` its sizes (Syms where they
    depend on the dynamic axes), `op(...)` adds a node."""

    def __init__(self, opset: int, tracers: tuple, params: dict) -> None:
        self.opset = opset
        self.tr_a, self.tr_b = tracers
        self.params = params                 # id -> (state_dict key, tensor)
        self.nodes: list = []
        self.initializers: dict[str, onnx.TensorProto] = {}
        self._small: dict = {}               # (dtype, shape, bytes) -> name of a small constant
        self.constants: set = set()          # names of the constants (not the weights)
        self.names: dict[int, str] = {}      # id(tensor of run A) -> value name
        self.names_b: dict[int, str] = {}    # id(tensor of run B) -> value name
        self.shapes: dict[str, tuple] = {}   # value name -> (shape in A, shape in B)
        self.dtypes: dict[str, np.dtype] = {}
        self.versions: dict[int, int] = {}   # id(tensor of run A) -> its version when bound
        self.inputs: list[str] = []
        self._by_sizes: dict[tuple, tuple] = {}   # (size A, size B) -> (name, axis), first seen
        self._syms: dict = {}                # id(Sym) -> (Sym, value name)
        self._dim_syms: dict = {}            # (name, axis) -> Sym
        self._count = itertools.count()
        self.call: Call | None = None        # the call being converted (run A), its result
        self.out = self.out_b = None         # in run A and in run B
        self.op_names: dict[int, str] = {}   # id(fn) -> op name, for messages

    # -- names and nodes ---------------------------------------------------------------
    def fresh(self, hint: str = "v") -> str:
        return f"{hint}_{next(self._count)}"

    def op(self, op_type: str, *inputs, outputs: int = 1, **attrs):
        """Add a node; its output name (a tuple of names when `outputs` > 1). Inputs may be
        value names, None (an omitted optional input) or Tensors."""
        ins = ["" if i is None else i if isinstance(i, str) else self.v(i) for i in inputs]
        outs = [self.fresh(op_type.lower()) for _ in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, ins, outs, name=outs[0], **attrs))
        return outs[0] if outputs == 1 else tuple(outs)

    def const(self, array, hint: str = "const") -> str:
        """An initializer holding `array` (small arrays are shared by value)."""
        a = np.asarray(array)
        if a.dtype == np.float16 or a.dtype.kind in "fiub":
            pass
        else:
            raise OnnxExporterError(f"cannot store a constant of dtype {a.dtype} in ONNX")
        key = None
        if a.size <= 64:
            key = (a.dtype.str, a.shape, a.tobytes())
            name = self._small.get(key)
            if name is not None:
                return name
        name = self.fresh(hint)
        self.constants.add(name)
        self.initializers[name] = numpy_helper.from_array(_contiguous(a), name)
        self.shapes[name] = (a.shape, a.shape)
        self.dtypes[name] = a.dtype
        if key is not None:
            self._small[key] = name
        return name

    def scalar(self, value, dtype) -> str:
        """A 0-d constant of `dtype` (a Sym is computed and cast)."""
        dtype = np.dtype(dtype)
        if isinstance(value, Sym):
            s = self.op("Squeeze", self.sym(value), self.ints([0]))
            return s if dtype == np.int64 else self.op("Cast", s, to=onnx_dtype(dtype))
        return self.const(np.asarray(value, dtype=dtype))

    def ints(self, values) -> str:
        """A 1-D int64 tensor of `values` (ints and Syms)."""
        values = list(values)
        if not any(isinstance(v, Sym) for v in values):
            return self.const(np.asarray(values, dtype=np.int64).reshape(len(values)))
        parts, run = [], []
        for v in values:
            if isinstance(v, Sym):
                if run:
                    parts.append(self.const(np.asarray(run, dtype=np.int64)))
                    run = []
                parts.append(self.sym(v))
            else:
                run.append(int(v))
        if run:
            parts.append(self.const(np.asarray(run, dtype=np.int64)))
        return parts[0] if len(parts) == 1 else self.op("Concat", *parts, axis=0)

    def sym(self, s) -> str:
        """The name of a 1-element int64 tensor holding Sym (or int) `s`."""
        if not isinstance(s, Sym):
            return self.ints([int(s)])
        hit = self._syms.get(id(s))
        if hit is None:
            hit = self._syms[id(s)] = (s, s.make(self))
        return hit[1]

    def cast(self, name: str, dtype) -> str:
        dtype = np.dtype(dtype)
        if self.dtypes.get(name) == dtype:
            return name
        out = self.op("Cast", name, to=onnx_dtype(dtype))
        self.dtypes[out] = dtype
        return out

    def vt(self, x, dtype) -> str:
        """A tensor or Python number as a value of `dtype` (cast if needed)."""
        if isinstance(x, Tensor):
            return self.cast(self.v(x), dtype) if x._data.dtype != dtype else self.v(x)
        return self.scalar(x, dtype)

    # -- values of run A ---------------------------------------------------------------
    def v(self, t: Tensor) -> str:
        """The name of the value of tensor `t` (of run A)."""
        name = self.names.get(id(t))
        if name is not None:
            return name
        p = self.params.get(id(t))
        if p is not None:
            key, _ = p
            self.initializers[key] = numpy_helper.from_array(_contiguous(t._data), key)
            self._bind_one(t, t, key, self.tr_a.versions0.get(id(t), t._vc[0]))
            return key
        raise OnnxExporterError(
            f"a tensor of shape {list(t.shape)} used by {self._what()} was made by a call that "
            "the exporter did not record")

    def dims(self, t: Tensor) -> tuple:
        """t's sizes, a Sym for each size that changes with the dynamic axes."""
        name = self.v(t)
        a, b = self.shapes[name]
        return tuple(self._dim_sym(name, i) if sa != sb else sa
                     for i, (sa, sb) in enumerate(zip(a, b)))

    def _dim_sym(self, name: str, axis: int) -> Sym:
        s = self._dim_syms.get((name, axis))
        if s is None:
            def make(g, name=name, axis=axis):
                if g.opset >= 15:
                    return g.op("Shape", name, start=axis, end=axis + 1)
                return g.op("Gather", g.op("Shape", name), g.ints([axis]), axis=0)
            s = self._dim_syms[(name, axis)] = Sym(self.shapes[name][0][axis], make,
                                                   f"{name}.shape[{axis}]")
        return s

    def exact(self, a: int, b: int) -> Sym | None:
        """The size of a value seen so far that is `a` in run A and `b` in run B, if any."""
        hit = self._by_sizes.get((a, b))
        return None if hit is None else self._dim_sym(*hit)

    def dyn(self, a: int, b: int, near: tuple = ()) -> Sym:
        """A Sym worth `a` in run A and `b` in run B, computed from the sizes of the values
        so far (first those of `near`, tensors): a size, or c * size, size // c,
        size + c, or the product of two sizes."""
        hit = self.exact(a, b)
        if hit is not None:
            return hit
        dims = []
        seen = set()
        for name in [self.v(t) for t in near] + self.inputs:
            if name in seen:
                continue
            seen.add(name)
            sa, sb = self.shapes[name]
            dims += [(name, i, x, y) for i, (x, y) in enumerate(zip(sa, sb)) if x != y]
        for name, i, x, y in dims:
            s = self._dim_sym(name, i)
            if x and a % x == 0 and b == y * (a // x):          # c * size
                return s * (a // x)
            c = x // a if a else 0
            if c > 1 and x // c == a and y // c == b:           # size // c
                return s // c
            if b - y == a - x:                                   # size + c
                return s + (a - x)
        for (n1, i1, x1, y1), (n2, i2, x2, y2) in itertools.combinations(dims, 2):
            if x1 * x2 == a and y1 * y2 == b:
                return self._dim_sym(n1, i1) * self._dim_sym(n2, i2)
        raise OnnxExporterError(
            f"the size {a} given to {self._what()} changes with the dynamic axes (it is {b} "
            "when their sizes change), and the exporter cannot tell how it follows from them; "
            "compute it from the inputs' sizes (x.shape[i], products and sums of them)")

    # -- binding results ------------------------------------------------------------------
    def bind(self, a, b, names) -> None:
        """Give the tensors of result `a` (run A) and `b` (run B) of the current call the
        value names `names` (shaped like the result)."""
        if isinstance(a, Tensor):
            if not isinstance(names, str):
                raise OnnxExporterError(f"internal: {self._what()} gave {names!r} for a tensor")
            self._bind_one(a, b, names, self.call.vout[id(a)])
        elif isinstance(a, (tuple, list)):
            if not isinstance(names, (tuple, list)) or len(names) != len(a):
                raise OnnxExporterError(f"internal: {self._what()} gave {names!r} for a "
                                        f"result of {len(a)} items")
            for x, y, n in zip(a, b, names):
                self.bind(x, y, n)

    def _bind_one(self, a: Tensor, b: Tensor, name: str, version: int) -> None:
        if not isinstance(b, Tensor) or a.ndim != b.ndim:
            raise self.mismatch()
        self.names[id(a)], self.names_b[id(b)] = name, name
        self.versions[id(a)] = version
        self.shapes[name] = (tuple(a.shape), tuple(b.shape))
        self.dtypes[name] = a._data.dtype
        for i, (x, y) in enumerate(zip(a.shape, b.shape)):
            if x != y:
                self._by_sizes.setdefault((x, y), (name, i))

    # -- walking the two runs ------------------------------------------------------------
    def convert(self, ca: Call, cb: Call) -> None:
        """Convert call `ca` of run A (`cb` is the same call in run B)."""
        if cb is None or ca.fn is not cb.fn or type(ca.module) is not type(cb.module) or \
                ca.opaque != cb.opaque:
            raise self.mismatch(ca)
        self.call = ca
        if ca.const and self._foldable(ca, cb):
            return self._fold(ca, cb)
        before = [self.names.get(id(t)) for t in ca.mutated]
        if ca.opaque:
            args = self._pair(ca.args, cb.args)
            kwargs = self._pair(ca.kwargs, cb.kwargs)
            self.call, self.out, self.out_b = ca, ca.out, cb.out
            if ca.module is not None:
                conv = module_converter(ca.module)[0]
                names = conv(self, *args, **kwargs)   # args[0] is the module
            else:
                kwargs.pop("out", None)
                names = converter_of(ca.fn)[0](self, *args, **kwargs)
            self.bind(ca.out, cb.out, names)
        else:
            if len(ca.children) != len(cb.children):
                raise self.mismatch(ca)
            try:
                for x, y in zip(ca.children, cb.children):
                    self.convert(x, y)
            except UnsupportedOperatorError as e:
                if ca.module is not None:
                    raise
                # name the op the model called, not the one inside it
                raise self.unsupported(ca, why=f"it uses '{e.op}'" + (
                    f", and {e.why}" if e.why else "")) from e
            self.call = ca
            for t in tensors_in(ca.out):
                if id(t) not in self.names and id(t) not in self.params or \
                        self.versions.get(id(t)) != ca.vout[id(t)]:
                    raise self.unsupported(ca, why="" if ca.module is None else (
                        "its forward returns a tensor that no recorded op made (computed with "
                        "numpy, or by an op the exporter could not wrap, such as a function "
                        "kept in a closure)"))
        for t, name in zip(ca.mutated, before):
            if self.names.get(id(t)) == name:
                raise self.unsupported(ca, why="it changes a tensor in place that the exported "
                                               "graph would not see changed (a view of it?)")

    def _fold(self, ca: Call, cb: Call) -> None:
        """A call on constants only: its results are constants (equal in both runs)."""
        snap_a, snap_b = self.tr_a.snaps[id(ca)], self.tr_b.snaps[id(cb)]
        for ta, tb in zip(tensors_in(ca.out), tensors_in(cb.out)):
            va, vb = snap_a[id(ta)], snap_b[id(tb)]
            if not _same(va, vb):
                raise OnnxExporterError(
                    f"{self._what(ca)} gives a different constant when the inputs change (a "
                    "random op, or one that reads the inputs' values outside the recorded ops)")
            self._bind_one(ta, tb, self.const(va), ca.vout[id(ta)])

    def _foldable(self, ca: Call, cb: Call) -> bool:
        """A call of constants only (no size that depends on the dynamic axes, every tensor
        argument a constant of the graph) can be computed now."""
        if self._differs(ca.args, cb.args) or self._differs(ca.kwargs, cb.kwargs):
            return False
        return all(self.names.get(id(t), "") in self.constants or id(t) not in self.names
                   for t in tensors_in(ca.args) + tensors_in(ca.kwargs))

    def _differs(self, a, b) -> bool:
        """True if an int in the arguments differs between the runs."""
        if isinstance(a, bool) or not isinstance(a, (int, np.integer, tuple, list, dict, slice)):
            return False
        if isinstance(a, (int, np.integer)):
            return a != b
        if isinstance(a, slice):
            return self._differs((a.start, a.stop, a.step), (b.start, b.stop, b.step))
        if isinstance(a, dict):
            return any(self._differs(v, b.get(k)) for k, v in a.items())
        return len(a) != len(b) or any(self._differs(x, y) for x, y in zip(a, b))

    def _pair(self, a, b):
        """The arguments of run A with a Sym for each int that differs in run B; tensors
        first seen here become constants."""
        if isinstance(a, Tensor):
            if not isinstance(b, Tensor):
                raise self.mismatch()
            self._tensor_arg(a, b)
            return a
        if isinstance(a, bool) or a is None or isinstance(a, str):
            if a != b:
                raise self.mismatch()
            return a
        if isinstance(a, (int, np.integer)):
            if a == b:
                return a
            near = tuple(t for t in tensors_in(self.call.args) if id(t) in self.names)
            a, b = int(a), int(b)   # resolved when a converter uses it
            return Sym(a, lambda g: g.sym(g.dyn(a, b, near)), f"size {a}")
        if isinstance(a, (float, np.floating)):
            if a != b and not (math.isnan(a) and math.isnan(b)):
                raise OnnxExporterError(
                    f"the number {a} given to {self._what()} changes when the inputs change "
                    f"(it is {b} in a second run); the exporter keeps numbers constant")
            return a
        if isinstance(a, np.ndarray):
            if not isinstance(b, np.ndarray) or not _same(a, b):
                raise OnnxExporterError(
                    f"an array given to {self._what()} changes when the inputs change: the "
                    "model computes it outside autograd's ops")
            return a
        if isinstance(a, slice):
            return slice(*self._pair((a.start, a.stop, a.step), (b.start, b.stop, b.step)))
        if isinstance(a, (tuple, list)):
            if not isinstance(b, (tuple, list)) or len(a) != len(b):
                raise self.mismatch()
            items = [self._pair(x, y) for x, y in zip(a, b)]
            if hasattr(a, "_fields"):
                return type(a)(*items)
            return type(a)(items) if isinstance(a, tuple) else items
        if isinstance(a, dict):
            if not isinstance(b, dict) or a.keys() != b.keys():
                raise self.mismatch()
            return {k: self._pair(v, b[k]) for k, v in a.items()}
        return a

    def _tensor_arg(self, a: Tensor, b: Tensor, version: int | None = None) -> None:
        """Check tensor argument `a` of the current call (`b` in run B): its value must be
        the one bound (not changed in place since); a constant seen for the first time gets
        an initializer."""
        version = self.call.vin[id(a)] if version is None else version
        name = self.names.get(id(a))
        if name is None and id(a) in self.params:
            name = self.v(a)
        if name is None:
            ca, cb = self.tr_a.consts.get(id(a)), self.tr_b.consts.get(id(b))
            if ca is None or cb is None:
                self.v(a)   # raises: made by a call that was not recorded
            (va, version0), (vb, _) = ca, cb
            if version0 != version:
                raise self.stale(a)
            if not _same(va, vb):
                how = "" if a.grad_fn is None else f" (made by {a.grad_fn.name()})"
                raise OnnxExporterError(
                    f"a tensor of shape {list(a.shape)} given to {self._what()} changes with "
                    f"the inputs but was not made by an op the exporter records{how}: the "
                    "model computes it outside autograd's ops (with numpy?)")
            name = self.const(va)
            self._bind_one(a, b, name, version)
        elif self.names_b.get(id(b)) != name:
            raise self.mismatch()
        elif self.versions[id(a)] != version:
            raise self.stale(a)

    def stale(self, t: Tensor) -> UnsupportedOperatorError:
        return self.unsupported(why=f"it reads a tensor of shape {list(t.shape)} that was "
                                    "changed in place (through a view of it?) by an op that "
                                    "the exported graph cannot follow")

    # -- messages ------------------------------------------------------------------------------
    def op_name(self, call: Call) -> str:
        if call.module is not None:
            cls = type(call.module)
            return f"{cls.__module__.split('.')[0]}.{cls.__name__}" \
                if cls.__module__.startswith("nn.") else cls.__name__
        return self.op_names.get(id(call.fn), getattr(call.fn, "__qualname__", repr(call.fn)))

    def _where(self, call: Call) -> str:
        path, cls = call.where
        return f" (called in module '{path}' ({cls}))" if path else \
            f" (called in the forward of {cls})"

    def _what(self, call: Call | None = None) -> str:
        call = call or self.call
        return f"'{self.op_name(call)}'{self._where(call)}" if call is not None else "the model"

    def unsupported(self, call: Call | None = None, why: str = "") -> UnsupportedOperatorError:
        call = call or self.call
        return UnsupportedOperatorError(self.op_name(call), self._where(call), self.opset, why)

    def mismatch(self, call: Call | None = None) -> OnnxExporterError:
        return OnnxExporterError(
            f"the model ran differently at {self._what(call)} when the sizes of the dynamic "
            "axes (or the inputs' values) changed: an exported graph computes the same ops "
            "for every input")


def _contiguous(a: np.ndarray) -> np.ndarray:
    """C-ordered (np.ascontiguousarray would make a 0-d array 1-d)."""
    return a if a.flags.c_contiguous else a.copy(order="C")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        a, b, equal_nan=a.dtype.kind == "f")
