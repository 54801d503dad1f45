"""The `Optimizer` base class: param groups, per-parameter state, state_dict, hooks, as torch.optim.

Subclasses implement `step()` on the raw numpy arrays (`p._data`, `p._grad._data`) with
in-place ufuncs: an update builds no graph. Each optimizer's update is a function of the
parameter's arrays (`_adam(x, g, m, v, ...)`), run by `_blockwise` on blocks of 256 KiB so
that its several passes hit the L2 cache. Its scratch arrays are made afresh inside it on
purpose: malloc hands back the memory just freed, still in cache, while a buffer kept
between steps, or one still alive when the next is made, has gone cold; on a 512-wide MLP
that is about 20% of the SGD step.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from functools import wraps
from itertools import chain
from typing import Any

import numpy as np

import autograd
from autograd import RemovableHandle, Tensor

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter that has no default."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


def _typename(obj: Any) -> str:
    """`torch.typename`: `autograd.FloatTensor` for tensors, else the qualified type name."""
    if isinstance(obj, Tensor):
        return obj._type_name()
    t = type(obj)
    module = t.__module__ or ""
    return t.__qualname__ if module in ("", "builtins") else f"{module}.{t.__qualname__}"


def _is_module(obj: Any) -> bool:
    """An `nn.Module` (told by its methods: optim does not import nn)."""
    return callable(getattr(obj, "parameters", None)) and callable(getattr(obj, "forward", None))


def _to_scalar(x: Any) -> Any:
    """A 1-element tensor hyper-parameter as a Python number (others unchanged)."""
    if isinstance(x, Tensor):
        return x._data.reshape(()).item()
    return x


def _check_lr(lr: Any) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= _to_scalar(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_nonneg(label: str, value: Any) -> None:
    """PyTorch's `Invalid {label} value: {value}` for a negative hyper-parameter."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label} value: {value}")


def _check_betas(betas: Any) -> tuple[float, float]:
    """Both betas in [0, 1) (PyTorch's texts); 1-element tensors become Python numbers."""
    for i in (0, 1):
        if isinstance(betas[i], Tensor) and betas[i].numel() != 1:
            raise ValueError(f"Tensor betas[{i}] must be 1-element")
        if not 0.0 <= _to_scalar(betas[i]) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
    return (_to_scalar(betas[0]), _to_scalar(betas[1]))


def _check_flags(name: str, differentiable: bool = False, fused: bool | None = None,
                 foreach: bool | None = None) -> None:
    """`foreach`, `fused` and `capturable` only choose PyTorch's kernels (there is one numpy
    path here, so they are accepted and change nothing); `differentiable=True` would record
    the update in the graph, which in-place numpy updates cannot do."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True is not supported (updates run "
                                  "in place on the numpy arrays, outside the autograd graph)")


def _state_tensor(array: np.ndarray) -> Tensor:
    return autograd.from_numpy(array)


_global_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
               "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
               "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks")


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """`hook(optimizer, args, kwargs)` before every optimizer's `step()` (it may return new
    `(args, kwargs)`); `.remove()` the returned handle to unregister it."""
    return RemovableHandle(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """`hook(optimizer, args, kwargs)` after every optimizer's `step()`."""
    return RemovableHandle(_global_step_post_hooks, hook)


def _hooked(step: Callable) -> Callable:
    """`step` running the global and the optimizer's step hooks around it, as PyTorch's
    (`args` holds the optimizer first)."""
    @wraps(step)
    def run(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        if self._in_step or not (_global_step_pre_hooks or self._optimizer_step_pre_hooks or
                                 self._optimizer_step_post_hooks or _global_step_post_hooks):
            return step(*args, **kwargs)    # (in_step: a subclass's step() calling super's)
        if _global_step_pre_hooks or self._optimizer_step_pre_hooks:
            for hook in (*_global_step_pre_hooks.values(),
                         *self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {result}.")
                    args, kwargs = result
        self._in_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_step = False
        if self._optimizer_step_post_hooks or _global_step_post_hooks:
            for hook in (*self._optimizer_step_post_hooks.values(),
                         *_global_step_post_hooks.values()):
                hook(self, args, kwargs)
        return out
    run.hooked = True  # type: ignore[attr-defined]
    return run


class Optimizer:
    """Base class for all optimizers (`torch.optim.Optimizer`).

    Args:
        params: an iterable of tensors, of dicts (param groups with per-group options),
            or of `(name, tensor)` pairs such as `model.named_parameters()`.
        defaults: the default value of every hyper-parameter, used for groups that do not
            set it.
    """

    _in_step = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hooked(step)

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        if _is_module(params):
            name = type(params).__name__
            lead = "" if hasattr(params, "__iter__") else f"'{name}' object is not iterable: "
            raise TypeError(f"{lead}params argument given to the optimizer should be an "
                            f"iterable of Tensors or dicts, but got the module {name}; pass "
                            f"its parameters: {type(self).__name__}(model.parameters(), ...)")
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- pickling / copying ---------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())
        for st in self.state.values():
            if isinstance(st, dict) and "step" in st and not isinstance(st["step"], Tensor):
                st["step"] = _state_tensor(np.array(float(st["step"]), np.float32))
        for group in self.param_groups:
            for k, v in self.defaults.items():
                if v is not required:
                    group.setdefault(k, v)

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ---- param groups ---------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group (a dict with `params` and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                hint = ("; pass model.parameters() to optimize a module's parameters"
                        if _is_module(param) else "")
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param) + hint)
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = {id(p) for p in tensors}
        if len(ids) != len(tensors):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
        self._init_state(param_group)

    def _init_state(self, group: dict[str, Any]) -> None:
        """Create state eagerly for a new group (only Adagrad does; others on first step)."""

    # ---- gradients ------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to None by default, else to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    if g._data.flags.writeable and g._data.base is None:
                        g._data.fill(0)
                    else:
                        g._data = np.zeros_like(g._data)
                    g._vc[0] += 1

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step; `closure` re-evaluates the model's loss."""
        raise NotImplementedError

    def _with_grad(self, group: dict[str, Any],
                   stateful: bool = True) -> list[tuple[Tensor, np.ndarray, dict | None]]:
        """`(p, grad array, state dict)` for each parameter of `group` that has a gradient
        (the state is None, and none is created, unless `stateful`), for the caller to
        update `p` in place: its version is bumped here."""
        state = self.state
        out = []
        for p in group["params"]:
            gt = p._grad
            if gt is not None:
                p._vc[0] += 1
                out.append((p, gt._data, state[p] if stateful else None))
        return out

    @staticmethod
    def _closure(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with autograd.enable_grad():
            return closure()

    # ---- state_dict -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """`{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}`.

        Parameters are replaced by their index in group order; the state tensors are the
        live ones (copy or save the dict to keep a snapshot), as in PyTorch.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a `state_dict()` (this project's or PyTorch's, whose tensors are read through
        numpy); state tensors are copied and cast to each parameter's dtype."""
        if isinstance(state_dict, Mapping):
            state_dict = dict(state_dict)
            for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
                result = pre_hook(self, state_dict)
                if result is not None:
                    state_dict = result
        _check_optimizer_state_dict(self, state_dict)
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict[Any, dict] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = _cast_state(id_map[k], v)
            else:
                state[k] = v
        for g, ng in zip(groups, saved_groups):
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ---- hooks ----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(optimizer, args, kwargs)` before each `step()`; it may return new
        `(args, kwargs)`."""
        return RemovableHandle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(optimizer, args, kwargs)` after each `step()`."""
        return RemovableHandle(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable,
                                     prepend: bool = False) -> RemovableHandle:
        """`hook(optimizer)` before `state_dict()` builds the dict."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable,
                                      prepend: bool = False) -> RemovableHandle:
        """`hook(optimizer, state_dict)` on the built dict; it may return a new one."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable,
                                          prepend: bool = False) -> RemovableHandle:
        """`hook(optimizer, state_dict)` before loading (on a shallow copy); it may return
        the dict to load instead."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> RemovableHandle:
        """`hook(optimizer)` after `load_state_dict()`."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)


def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks, hook)
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _check_optimizer_state_dict(opt: Optimizer, state_dict: Any) -> None:
    """A clear error for what is not an optimizer's state dict (a model's, most often)."""
    where = f"{type(opt).__name__}.load_state_dict()"
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"{where} expected the dict returned by optimizer.state_dict(), but "
                        f"got {_typename(state_dict)}")
    missing = [k for k in ("state", "param_groups") if k not in state_dict]
    if missing:
        hint = "an optimizer's state dict has the keys 'state' and 'param_groups'"
        if any(isinstance(v, Tensor) or hasattr(v, "__array__") for v in state_dict.values()):
            hint = ("this looks like a model's state_dict() (its values are tensors): load it "
                    "with model.load_state_dict(), and give the optimizer the dict of "
                    "optimizer.state_dict()")
        raise KeyError(f"{where}: the state dict has no {' or '.join(map(repr, missing))} key; "
                       f"{hint}")


def _cast_state(param: Tensor, value: Any, key: Any = None) -> Any:
    """A loaded state value as this optimizer keeps it: arrays (ours, numpy's or PyTorch's
    tensors) copied into tensors of the parameter's float dtype (`step` keeps its own)."""
    if isinstance(value, (Tensor, np.ndarray, np.generic)) or (
            hasattr(value, "__array__") and not isinstance(value, (list, tuple, dict))):
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        if key != "step" and param._data.dtype.kind == "f":
            arr = arr.astype(param._data.dtype, copy=True)
        else:
            arr = arr.copy()
        if key == "step" and arr.size == 1:
            arr = arr.reshape(())     # a 0-d counter, whatever the file kept
        return _state_tensor(arr)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _step_tensor() -> Tensor:
    """The per-parameter `step` counter: a float32 0-d tensor, as PyTorch stores it."""
    return _state_tensor(np.zeros((), np.float32))


def _incr_step(st: dict) -> float:
    """`state['step'] += 1` in place; returns the new step as a Python float."""
    s = st["step"]._data
    t = s.item() + 1.0
    s[()] = t
    return t


def _zeros_state(st: dict, x: np.ndarray, *names: str) -> None:
    """A fresh parameter's state: the `step` counter, then zero buffers shaped like `x`."""
    st["step"] = _step_tensor()
    for name in names:
        st[name] = _state_tensor(np.zeros_like(x))


def _lerp_(m: np.ndarray, g: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """`m.lerp_(g, weight)` with PyTorch's two-sided formula; `tmp` is scratch."""
    np.subtract(g, m, tmp)
    if weight < 0.5:
        np.add(m, np.multiply(tmp, weight, tmp), m)
    else:
        np.subtract(g, np.multiply(tmp, 1 - m.dtype.type(weight), tmp), m)


def _decay_sq_(v: np.ndarray, g: np.ndarray, beta: Any, w: Any, tmp: np.ndarray) -> None:
    """`v.mul_(beta).addcmul_(g, g, value=w)` (`w = 1 - beta`, computed by the caller in
    Python's precision as PyTorch does), rounding as PyTorch; `tmp` is scratch."""
    np.multiply(v, beta, v)
    np.multiply(g, w, tmp)
    np.add(v, np.multiply(tmp, g, tmp), v)


def _decayed_grad(x: np.ndarray, g: np.ndarray, maximize: bool, wd: float) -> np.ndarray:
    """`-g` if maximize, then `+ wd * x` (L2), in a fresh array; `g` itself if neither."""
    if wd != 0:
        out = np.multiply(x, wd, out=np.empty(x.shape, x.dtype))
        return np.subtract(out, g, out) if maximize else np.add(g, out, out)
    if maximize:
        return np.negative(g, out=np.empty(g.shape, g.dtype))
    return g


_BLOCK_BYTES = 1 << 18


def _blockwise(arrays: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator for an elementwise in-place update `update(*arrays, *scalars)` of
    same-shaped arrays (the first `arrays` arguments, None for an absent one): larger than
    256 KiB per array, it runs on consecutive blocks of that size.

    An update makes several passes over its arrays; on a block, all of them (scratch
    included, made afresh per block and handed back by malloc still in cache) stay in the
    core's L2 cache, so only the first read and the last write of each element go to
    memory: twice as fast as whole-array passes on a 1M-element weight.
    """
    def decorate(update: Callable[..., None]) -> Callable[..., None]:
        @wraps(update)
        def run(*args: Any) -> None:
            x = args[0]
            if x.nbytes <= _BLOCK_BYTES:
                return update(*args)
            arrs, rest = args[:arrays], args[arrays:]
            if not all(a is None or a.flags.c_contiguous for a in arrs):
                return update(*args)
            flat = [a if a is None else a.reshape(-1) for a in arrs]
            n = _BLOCK_BYTES // x.itemsize
            for i in range(0, x.size, n):
                update(*[a if a is None else a[i:i + n] for a in flat], *rest)
            return None
        return run
    return decorate


def _moments_(x: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, w1: Any, beta2: Any,
              w2: Any, lr: float, wd: float, decoupled: bool,
              maximize: bool) -> tuple[np.ndarray, np.ndarray]:
    """The Adam family's first half: weight decay (L2 into the gradient, or `x *= 1 - lr*wd`
    when decoupled), `m.lerp_(g, w1)`, `v = beta2*v + w2*g^2` (`w1 = 1 - beta1`,
    `w2 = 1 - beta2`). Returns the gradient used and a scratch array."""
    if wd != 0 and decoupled:
        np.multiply(x, 1 - lr * wd, x)
        g = _decayed_grad(x, g, maximize, 0)
    elif wd != 0 or maximize:
        g = _decayed_grad(x, g, maximize, wd)
    tmp = np.empty(x.shape, x.dtype)
    _lerp_(m, g, w1, tmp)
    _decay_sq_(v, g, beta2, w2, tmp)
    return g, tmp
