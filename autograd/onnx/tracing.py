"""Recording one forward pass as a tree of calls.

While a `Tracer` runs, the op functions (Tensor methods, operators and properties,
`autograd.X`, `nn.functional.X`, and every module-level name bound to one of them in this
project's modules and in the model's own modules) and `Module.__call__` are wrapped. Each
call that returns a tensor becomes a `Call` in a tree: a module's call holds the calls its
forward made, an op implemented with other ops holds those. A call that a converter will
express by itself (`opaque`) records nothing inside. The wrappers are removed when the
trace ends, also when the model raises.

Tensors are known by kind: the graph inputs, the parameters and buffers, results of
recorded calls, and constants: tensors that appear from nowhere (made by numpy, or by an
op that was not recorded), whose value is copied when first seen. A call whose tensor
arguments are all constants is a constant call; its results are copied too, so that the
exporter can fold it.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

from ..tensor import Tensor

__all__ = ["Call", "Tracer", "tensors_in"]

# the modules whose functions are ops (by the function's __module__)
_OP_MODULES = ("autograd.ops", "autograd.creation", "autograd.random", "autograd.linalg",
               "nn.functional")
_TENSOR_EXTRA = ("detach", "detach_", "data")        # ops of tensor.py
_OPERATORS = frozenset(
    f"__{n}__" for n in "add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod "
    "pow rpow matmul rmatmul neg pos abs invert eq ne lt le gt ge and rand or ror xor rxor "
    "getitem setitem iadd isub imul itruediv ipow".split())
# packages whose modules may hold a direct reference to an op (`from .linear import linear`)
_OUR_PACKAGES = ("autograd", "nn", "optim", "ndgrad")

_ACTIVE: list = [None]   # the tracer that is recording, if any


class Call:
    """One recorded call: `fn(*args, **kwargs) -> out`, made while the module at `where`
    ran (a path such as 'features.0', '' for the model itself). `module` is set for a
    module's call. `children` are the calls made inside (none if `opaque`). `const`: every
    tensor argument was a constant."""

    __slots__ = ("fn", "args", "kwargs", "out", "children", "where", "module", "opaque",
                 "const", "vin", "vout", "mutated")

    def __init__(self, fn, args: tuple, kwargs: dict, where: tuple, module=None) -> None:
        self.fn, self.args, self.kwargs, self.where, self.module = fn, args, kwargs, where, module
        self.out: Any = None
        self.children: list[Call] = []
        self.opaque = self.const = False
        # versions (in-place changes) of the tensor arguments and results, at entry and
        # exit; the arguments it changed in place
        self.vin: dict = {}
        self.vout: dict = {}
        self.mutated: list = []

    def __repr__(self) -> str:
        return f"Call({getattr(self.fn, '__name__', self.fn)}, {len(self.children)} inside)"


def tensors_in(obj) -> list:
    """The tensors in a (nested) argument or result, in order: tuples, lists and dict values."""
    if isinstance(obj, Tensor):
        return [obj]
    out: list = []
    if isinstance(obj, (tuple, list)):
        for o in obj:
            out += tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            out += tensors_in(o)
    return out


class Tracer:
    """Records the calls of one forward pass of `model`.

    `inputs` and `params` map id(tensor) to the tensor for the graph inputs and for the
    parameters and buffers; `opaque(fn, args, kwargs)` and `opaque_module(module)` tell
    whether a converter expresses a call by itself (nothing inside is then recorded);
    `names` maps id(fn) to the op's name for messages."""

    def __init__(self, model, inputs: dict, params: dict,
                 opaque: Callable[[Callable, tuple, dict], bool],
                 opaque_module: Callable[[Any], bool]) -> None:
        self.model = model
        self.kind: dict[int, tuple] = {}   # id -> (tensor, 'input' | 'param' | 'call' | 'const')
        for i, t in inputs.items():
            self.kind[i] = (t, "input")
        for i, t in params.items():
            self.kind.setdefault(i, (t, "param"))
        self.versions0 = {i: t._vc[0] for i, (t, _) in self.kind.items()}
        self.consts: dict[int, Any] = {}   # id -> (value, version) of a constant when first seen
        self.snaps: dict[int, Any] = {}    # id(call) -> {id(tensor): value} of a constant call
        self._opaque, self._opaque_module = opaque, opaque_module
        self.module_names = {id(m): n for n, m in model.named_modules()}
        self.stack: list[Call] = []
        self.paused = 0

    # -- running -------------------------------------------------------------------------
    def run(self, args: tuple, kwargs: dict) -> Call:
        """Call the model on args under the wrappers; the root call of the tree."""
        from nn.module import Module
        root = Call(None, (), {}, ("", type(self.model).__name__))
        self.stack = [root]
        module_call = vars(Module)["__call__"]
        undo = _patch(self.model)
        _ACTIVE[0] = self
        try:
            self.call(module_call, (self.model,) + tuple(args), dict(kwargs), module=self.model)
        finally:
            _ACTIVE[0] = None
            _unpatch(undo)
        return root.children[0]

    def call(self, fn, args: tuple, kwargs: dict, module=None):
        parent = self.stack[-1]
        if module is not None:
            where = (self.module_names.get(id(module), f"<{type(module).__name__}>"),
                     type(module).__name__)
        else:
            where = parent.where
        c = Call(fn, args, kwargs, where, module)
        arg_tensors = tensors_in(args) + tensors_in(kwargs)
        c.vin = {id(t): t._vc[0] for t in arg_tensors}
        c.const = self._see(arg_tensors)
        if module is not None and c.const:   # a layer's result keeps naming its weights
            c.const = next(iter(module.parameters()), None) is None and \
                next(iter(module.buffers()), None) is None
        c.opaque = self._opaque_module(module) if module is not None else \
            self._opaque(fn, args, kwargs)
        self.stack.append(c)
        self.paused += c.opaque
        try:
            out = fn(*args, **kwargs)
        finally:
            self.paused -= c.opaque
            self.stack.pop()
        result = args[0] if fn is _SETITEM[0] else out   # x[i] = v changes x
        found = tensors_in(result)
        if not found and module is None:
            return out       # not an op's result: size(), item(), tolist(), ...
        c.out = result
        c.vout = {id(t): t._vc[0] for t in found}
        c.mutated = [t for t in arg_tensors if t._vc[0] != c.vin[id(t)]]
        parent.children.append(c)
        kind = "const" if c.const else "call"
        for t in found:
            self.kind[id(t)] = (t, kind)
        if c.const:
            self.snaps[id(c)] = {id(t): t._data.copy() for t in found}
        return out

    def _see(self, tensors: list) -> bool:
        """Note the tensors among the arguments (a tensor seen for the first time is a
        constant: its value is copied); True if every one of them is a constant."""
        const = True
        for t in tensors:
            k = self.kind.get(id(t))
            if k is None:
                self.kind[id(t)] = (t, "const")
                self.consts[id(t)] = (t._data.copy(), t._vc[0])
            elif k[1] != "const":
                const = False
        return const


# ---------------------------------------------------------------------------------------
# the wrappers


_SETITEM: list = [None]   # Tensor.__setitem__ (it returns None; its result is its target)


def op_functions() -> dict[int, tuple]:
    """id(fn) -> (fn, name) for every op function reachable from Tensor, autograd and
    nn.functional (and their submodules), by the module that defines it."""
    import autograd
    import nn.functional

    from ..ops import base, inplace

    found: dict[int, tuple] = {}
    # the machinery that ops are made with (to_tensor, record, unary...) is not an op
    helpers = {id(v) for m in (base, inplace) for v in vars(m).values()
               if isinstance(v, types.FunctionType) and v.__module__ == m.__name__}

    def add(fn, name: str) -> None:
        if isinstance(fn, types.FunctionType) and id(fn) not in found and \
                id(fn) not in helpers and fn.__module__.startswith(_OP_MODULES):
            found[id(fn)] = (fn, name)

    for k, v in vars(Tensor).items():
        if k in _TENSOR_EXTRA:
            fn = v.fget if isinstance(v, property) else v
            found.setdefault(id(fn), (fn, f"Tensor.{k}"))
        elif isinstance(v, property) and not k.startswith("_") and v.fget is not None:
            add(v.fget, f"Tensor.{k}")
        elif not k.startswith("_") or k in _OPERATORS:
            add(v, f"Tensor.{k}")
    for modname, mod in list(sys.modules.items()):
        if mod is not None and modname.startswith(("autograd", "nn.functional")) and \
                not modname.startswith("autograd.onnx"):
            for k, v in list(vars(mod).items()):
                if not k.startswith("_"):
                    add(v, f"{modname}.{k}")
    # the public names win (autograd.cat over autograd.ops.shape.cat)
    for ns, prefix in ((vars(nn.functional), "nn.functional."), (vars(autograd), "autograd.")):
        for k, v in ns.items():
            if id(v) in found and not k.startswith("_"):
                found[id(v)] = (v, prefix + k)
    return found


def _wrapper(fn: Callable) -> Callable:
    def traced(*args, **kwargs):
        tr = _ACTIVE[0]
        if tr is None or tr.paused:
            return fn(*args, **kwargs)
        return tr.call(fn, args, kwargs)
    traced.__name__, traced.__qualname__ = fn.__name__, fn.__qualname__
    traced.__doc__, traced.__wrapped__ = fn.__doc__, fn
    return traced


def _module_call(orig: Callable) -> Callable:
    def __call__(module, *args, **kwargs):
        tr = _ACTIVE[0]
        if tr is None or tr.paused:
            return orig(module, *args, **kwargs)
        return tr.call(orig, (module,) + args, kwargs, module=module)
    return __call__


def _patch(model) -> list:
    """Wrap every op function where it can be found; the list of (where, name, original)
    to restore."""
    from nn.module import Module

    fns = op_functions()
    _SETITEM[0] = vars(Tensor)["__setitem__"]
    wrappers = {i: _wrapper(fn) for i, (fn, _) in fns.items()}
    undo: list = []
    try:
        for k, v in list(vars(Tensor).items()):
            target = v.fget if isinstance(v, property) else v
            w = wrappers.get(id(target))
            if w is not None:
                undo.append((Tensor, k, v))
                setattr(Tensor, k, property(w, v.fset, v.fdel, v.__doc__)
                        if isinstance(v, property) else w)
        for m in model.modules():   # ops kept as attributes (activation=F.gelu)
            d = vars(m)
            for k, v in list(d.items()):
                w = wrappers.get(id(v)) if isinstance(v, types.FunctionType) else None
                if w is not None:
                    undo.append((d, k, v))
                    d[k] = w
        classes = {c for m in model.modules() for c in type(m).__mro__} - {Module, object}
        for cls in classes:         # and as class attributes (fn = staticmethod(F.selu))
            for k, v in list(vars(cls).items()):
                target = v.__func__ if isinstance(v, staticmethod) else v
                w = wrappers.get(id(target)) if isinstance(target, types.FunctionType) else None
                if w is not None:
                    undo.append((cls, k, v))
                    setattr(cls, k, staticmethod(w) if isinstance(v, staticmethod) else w)
        own = {type(m).__module__ for m in model.modules()} | {"__main__"}
        for modname, mod in list(sys.modules.items()):
            if mod is None or modname.startswith("autograd.onnx") or not (
                    modname in own or modname.split(".")[0] in _OUR_PACKAGES):
                continue
            d = vars(mod)
            for k, v in list(d.items()):
                w = wrappers.get(id(v))
                if w is not None and fns[id(v)][0] is v:
                    undo.append((d, k, v))
                    d[k] = w
        undo.append((Module, "__call__", vars(Module)["__call__"]))
        Module.__call__ = _module_call(vars(Module)["__call__"])
    except BaseException:
        _unpatch(undo)
        raise
    return undo


def _unpatch(undo: list) -> None:
    for where, name, orig in reversed(undo):
        if isinstance(where, dict):
            where[name] = orig
        else:
            setattr(where, name, orig)
