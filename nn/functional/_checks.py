"""Argument checks shared by nn.functional's ops."""

from __future__ import annotations

from autograd.tensor import Tensor


def require_tensor(value, op: str, name: str, position: int) -> None:
    """PyTorch's TypeError for a non-Tensor where a Tensor argument is expected."""
    if not isinstance(value, Tensor):
        t = type(value)
        got = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
                        f"{got}")
