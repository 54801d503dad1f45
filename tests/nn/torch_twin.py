"""Run a test's call against PyTorch too: the same lambda with its names `ag`, `F` and `nn`
bound to PyTorch's modules (`torch`, `torch.nn.functional`, `torch.nn`)."""

from __future__ import annotations

import warnings

import pytest


def with_torch(call, torch):
    """The lambda `call`, its globals `ag`, `F`, `nn` (and `np`) PyTorch's."""
    import numpy as np
    return type(call)(call.__code__, {"ag": torch, "F": torch.nn.functional, "nn": torch.nn,
                                      "np": np})


def assert_same_error(call) -> None:
    """`call` raises the exception PyTorch raises for it: same type, same text."""
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as ours:
        call()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            with_torch(call, torch)()
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    assert str(ours.value) == str(theirs.value), (str(ours.value), str(theirs.value))
