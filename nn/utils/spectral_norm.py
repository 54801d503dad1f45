"""nn.utils.spectral_norm (the original, hook-based form): w = w_orig / sigma(w_orig), sigma
the largest singular value of w_orig (as a matrix: dim `dim` by the rest), estimated by
power iteration on the buffers <name>_u and <name>_v, one step per training forward."""

from __future__ import annotations

from typing import Any

from autograd import randn
from autograd.grad_mode import no_grad
from autograd.tensor import Tensor

from .. import functional as F
from ..module import Module
from ..parameter import Parameter
from .weight_norm import _hook_key, _remove_hook

__all__ = ["spectral_norm", "remove_spectral_norm"]


def _as_matrix(weight: Tensor, dim: int) -> Tensor:
    """weight with `dim` first, flattened to (size of dim, the rest)."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], -1)


def _random_unit(n: int, like: Tensor, eps: float) -> Tensor:
    return F.normalize(randn(n, dtype=like.dtype), dim=0, eps=eps)


def _power_iteration(mat: Tensor, u: Tensor, v: Tensor, steps: int, eps: float,
                     u_first: bool) -> None:
    """Update the unit vectors u, v (in place) by `steps` rounds of power iteration."""
    with no_grad():
        for _ in range(steps):
            if u_first:
                F.normalize(mat @ v, dim=0, eps=eps, out=u)
                F.normalize(mat.T @ u, dim=0, eps=eps, out=v)
            else:
                F.normalize(mat.T @ u, dim=0, eps=eps, out=v)
                F.normalize(mat @ v, dim=0, eps=eps, out=u)


def _default_dim(module: Module) -> int:
    """1 for transposed convolutions (their output channels are dim 1), else 0."""
    return 1 if type(module).__name__.startswith("ConvTranspose") else 0


class SpectralNorm:
    """The forward pre-hook that recomputes module.<name> = <name>_orig / sigma."""

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = \
            name, dim, n_power_iterations, eps

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = _as_matrix(weight, self.dim)
        if do_power_iteration:
            _power_iteration(mat, u, v, self.n_power_iterations, self.eps, u_first=False)
            u, v = u.clone(), v.clone()
        return weight / (u * (mat @ v)).sum()

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int,
              eps: float) -> SpectralNorm:
        if _hook_key(module, SpectralNorm, name) is not None:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter "
                               f"{name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        h, w = _as_matrix(weight, dim).shape
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", _random_unit(h, weight, eps))
        module.register_buffer(name + "_v", _random_unit(w, weight, eps))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide module.<name> by its spectral norm before each forward (parameter
    <name>_orig, buffers <name>_u and <name>_v)."""
    SpectralNorm.apply(module, name, n_power_iterations,
                       _default_dim(module) if dim is None else dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Fold the spectral norm back into a plain parameter."""
    return _remove_hook(module, SpectralNorm, name, "spectral_norm")
