"""Grad-mode switches: thread-local, usable as context managers and as decorators."""

from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]


class _State(threading.local):
    grad_enabled = True
    inference = False


_state = _State()


def is_grad_enabled() -> bool:
    return _state.grad_enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _Mode:
    """Base of the switches: `with mode():` or `@mode()` on a function."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return fn(*args, **kwargs)
        return wrapper

    _args: tuple = ()


class no_grad(_Mode):
    """Ops inside record no graph; their results do not require grad."""

    def __enter__(self):
        self._prev = _state.grad_enabled
        _state.grad_enabled = False

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev


class enable_grad(_Mode):
    """Turn recording back on inside `no_grad`."""

    def __enter__(self):
        self._prev = _state.grad_enabled
        _state.grad_enabled = True

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev


class set_grad_enabled(_Mode):
    """`set_grad_enabled(False)` as a call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._args = (mode,)
        self._prev = _state.grad_enabled
        _state.grad_enabled = bool(mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev

    def __call__(self, fn):  # as a decorator, undo the eager switch made by __init__
        _state.grad_enabled = self._prev
        return super().__call__(fn)


class inference_mode(_Mode):
    """Like `no_grad`; tensors made inside are inference tensors (never saved for backward)."""

    def __init__(self, mode: bool = True) -> None:
        self._args = (mode,)
        self._mode = mode

    def __enter__(self):
        self._prev = (_state.grad_enabled, _state.inference)
        if self._mode:
            _state.grad_enabled, _state.inference = False, True

    def __exit__(self, *exc):
        _state.grad_enabled, _state.inference = self._prev
