"""LazyModuleMixin: layers whose parameter shapes come from their first input."""

from __future__ import annotations

from typing import Any

from autograd.grad_mode import no_grad

from ..parameter import _UninitializedTensor


class LazyModuleMixin:
    """Mix in before a layer class: its parameters (and buffers) start uninitialized
    (`UninitializedParameter`, `UninitializedBuffer`);
    the first call runs `initialize_parameters(*args)` (which materialises them from the
    input's shape), then the module becomes `cls_to_become` (a plain layer). Loading a
    state dict materialises them with the saved shapes."""

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(p, _UninitializedTensor)
                   for p in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        for name, p in (*self._parameters.items(), *self._buffers.items()):
            value = state_dict.get(prefix + name)
            if isinstance(p, _UninitializedTensor) and value is not None and \
                    not isinstance(value, _UninitializedTensor):
                with no_grad():
                    p.materialize(value.shape)
        self._after_load()
        super()._load_from_state_dict(state_dict, prefix, *args)

    def _after_load(self) -> None:
        """Record what the loaded shapes tell (a layer's feature sizes)."""


def _infer_parameters(module: LazyModuleMixin, args: tuple) -> None:
    """The forward pre-hook: materialise from the first input, then become a plain layer."""
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    hooks = module._forward_pre_hooks   # found by value: a deep copy has its own
    for hid in [h for h, fn in hooks.items() if fn is _infer_parameters]:
        del hooks[hid]
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become
