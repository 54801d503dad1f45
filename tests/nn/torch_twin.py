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


def assert_same_error(call, prefix: str = "") -> None:
    """`call` raises the exception PyTorch raises for it: same type, same text (PyTorch's
    type names, `torch.Size`, are `autograd.` ones here); `prefix`: what our message adds
    before PyTorch's (a layer's name)."""
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as ours:
        call()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            with_torch(call, torch)()
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    theirs_text = str(theirs.value).replace("torch.", "autograd.")   # (torch.Size, ...)
    assert str(ours.value) == prefix + theirs_text, (str(ours.value), theirs_text)


def both_ways(fn, tfn, arrays, rng, grad=True) -> tuple:
    """`fn` on autograd tensors of `arrays`, `tfn` on PyTorch tensors of the same, each
    backward with the same random upstream gradient: (out, PyTorch's out, our inputs,
    PyTorch's inputs), the inputs carrying `.grad`. Integer arrays stay constants."""
    torch = pytest.importorskip("torch")
    import autograd as ag
    ins = [ag.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    tins = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    out, tout = fn(*ins), tfn(*tins)
    if grad:
        up = rng.standard_normal(tuple(tout.shape)).astype(arrays[0].dtype)
        out.backward(ag.tensor(up))
        tout.backward(torch.tensor(up))
    return out, tout, ins, tins
