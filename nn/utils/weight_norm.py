"""nn.utils.weight_norm (the original, hook-based form): w = g * v / ||v||, with the norm
taken over every dim but `dim`; `weight` is recomputed from the parameters `weight_g` and
`weight_v` before each forward. Deprecated in PyTorch in favour of
nn.utils.parametrizations.weight_norm (same formula)."""

from __future__ import annotations

import warnings
from typing import Any

from autograd.tensor import Tensor

from ..module import Module
from ..parameter import Parameter

__all__ = ["weight_norm", "remove_weight_norm"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:   # noqa: A002
    """The p-norm of v over every dim but `dim` (kept, others of size 1); over all of v
    for dim=-1 (a 0-d tensor)."""
    if dim == -1:
        return v.norm(pow)
    dims = tuple(d for d in range(v.ndim) if d != dim)
    return v.norm(pow, dims, keepdim=True) if dims else v.abs()


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """g * v / ||v||, the norm taken as by norm_except_dim."""
    return v * (g / norm_except_dim(v, 2, dim))


def _hook_key(module: Module, cls: type, name: str):
    """The key of module's forward pre-hook of class `cls` for tensor `name`, or None."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, cls) and hook.name == name:
            return k
    return None


def _remove_hook(module: Module, cls: type, name: str, what: str) -> Module:
    """Undo the reparametrization that `cls` hooks on module.<name>."""
    k = _hook_key(module, cls, name)
    if k is None:
        raise ValueError(f"{what} of '{name}' not found in {module}")
    module._forward_pre_hooks.pop(k).remove(module)
    return module


class WeightNorm:
    """The forward pre-hook that recomputes module.<name> from <name>_g and <name>_v."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        if _hook_key(module, WeightNorm, name) is not None:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter "
                               f"{name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize module.<name> as g * v / ||v|| (parameters <name>_g, <name>_v)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Fold the weight norm back into a plain parameter."""
    return _remove_hook(module, WeightNorm, name, "weight_norm")
