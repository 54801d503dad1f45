"""numpy's keyword spellings that PyTorch accepts: `axis=` for `dim=` and `keepdims=` for
`keepdim=`, on the functions whose native signature has those parameters
(`x.sum(axis=1, keepdims=True)`). Passing both spellings is PyTorch's TypeError. Functions
written in Python in PyTorch (`norm`, `F.softmax`, `split`, ...) do not take them, and
neither do ours: only the functions decorated here do."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable


def numpy_names(fn: Callable) -> Callable:
    """Accept `axis=` (if fn has `dim`) and `keepdims=` (if fn has `keepdim`)."""
    params = inspect.signature(fn).parameters
    aliases = tuple((np_name, name) for np_name, name in (("axis", "dim"), ("keepdims", "keepdim"))
                    if name in params)
    op = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):
            for np_name, name in aliases:
                if np_name in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{op}() got an unexpected keyword argument '{np_name}'")
                    kwargs[name] = kwargs.pop(np_name)
        return fn(*args, **kwargs)

    return wrapper
