"""Grad-mode switches: thread-local, usable as context managers and as decorators."""

from __future__ import annotations

import contextvars
import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]


# Thread-local (each thread, and each asyncio task, has its own context; a new thread starts
# with grad mode on). A ContextVar reads in about half the time of a threading.local.
_grad = contextvars.ContextVar("grad_enabled", default=True)
_inference = contextvars.ContextVar("inference_mode", default=False)
_grad_enabled = _grad.get    # the hot paths' read: `_grad_enabled()`
_set_grad = _grad.set


def is_grad_enabled() -> bool:
    return _grad.get()


def is_inference_mode_enabled() -> bool:
    return _inference.get()


class _Mode:
    """Base of the switches: `with mode():`, `@mode()` or `@mode` on a function. On a
    generator function the mode holds each time the generator runs (its first `next`,
    every `send` and `throw`), and the caller's mode is back between them."""

    _args: tuple = ()

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]) and cls._args == () and \
                cls is not set_grad_enabled:   # `@no_grad` without parentheses
            return cls()(args[0])
        return super().__new__(cls)

    def __call__(self, fn):
        make = functools.partial(self.__class__, *self._args)
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                resume, arg = gen.send, None
                while True:
                    try:
                        with make():
                            value = resume(arg)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        arg = yield value
                        resume = gen.send
                    except GeneratorExit:
                        with make():
                            gen.close()
                        raise
                    except BaseException as e:   # g.throw(...): delivered in the mode
                        resume, arg = gen.throw, e
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with make():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_Mode):
    """Ops inside record no graph; their results do not require grad."""

    def __enter__(self):
        self._prev = _grad.get()
        _grad.set(False)

    def __exit__(self, *exc):
        _grad.set(self._prev)


class enable_grad(_Mode):
    """Turn recording back on inside `no_grad`."""

    def __enter__(self):
        self._prev = _grad.get()
        _grad.set(True)

    def __exit__(self, *exc):
        _grad.set(self._prev)


class set_grad_enabled(_Mode):
    """`set_grad_enabled(False)` as a call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._args = (mode,)
        self._prev = _grad.get()
        _grad.set(bool(mode))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _grad.set(self._prev)

    def __call__(self, fn):  # as a decorator, undo the eager switch made by __init__
        _grad.set(self._prev)
        return super().__call__(fn)


class inference_mode(_Mode):
    """Like `no_grad`; tensors made inside are inference tensors (never saved for backward)."""

    def __init__(self, mode: bool = True) -> None:
        self._args = (mode,)
        self._mode = mode

    def __enter__(self):
        self._prev = (_grad.get(), _inference.get())
        if self._mode:
            _grad.set(False)
            _inference.set(True)

    def __exit__(self, *exc):
        _grad.set(self._prev[0])
        _inference.set(self._prev[1])
