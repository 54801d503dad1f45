"""Tensor subclasses that checkpoints keep by name (`nn.Parameter` registers itself here, so
that autograd, below nn, need not import it)."""

from __future__ import annotations

CLASS_BY_NAME: dict[str, type] = {}
NAME_BY_CLASS: dict[type, str] = {}


def register_tensor_class(cls: type, name: str | None = None) -> None:
    """Let checkpoints keep instances of the Tensor subclass `cls`: they are saved under
    `name` (default: the class name) and rebuilt with `cls(tensor, requires_grad=...)`.
    Loaded where `cls` is not registered, they come back as plain tensors."""
    name = name or cls.__name__
    CLASS_BY_NAME[name] = cls
    NAME_BY_CLASS[cls] = name
