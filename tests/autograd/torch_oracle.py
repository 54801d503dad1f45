"""PyTorch as the oracle for table-driven tests: evaluate one expression with `torch` bound to
PyTorch and then to autograd, and require the same result or the same error.

    check("torch.ones(2).to('cpu')")          # same values, dtype, shape, requires_grad
    check("torch.device('gpu')")              # same exception type; our message starts with
                                              # PyTorch's (ours may add an explanation)

Results compare by kind: tensors by dtype, shape, requires_grad and values (NaN equal to NaN);
sizes, tuples and lists element by element; anything else by repr, with "torch" read as
"autograd". Warnings (other than DeprecationWarnings) must match in category and opening words.
Use `same=False` for random results: only their type, dtype and shape must match. Without
PyTorch installed, the test is skipped.
"""

from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pytest

import autograd
import nn


def namespaces(setup: str = "") -> tuple[dict, dict]:
    """Fresh (torch, autograd) namespaces with `np`, `copy`, `nn` and the `setup` code run;
    skips the calling test when PyTorch is not installed."""
    torch = pytest.importorskip("torch")
    ns_t = {"torch": torch, "np": np, "copy": copy, "nn": torch.nn}
    ns_a = {"torch": autograd, "np": np, "copy": copy, "nn": nn}
    caught = []
    for ns in (ns_t, ns_a):
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            exec(setup, ns)   # noqa: S102 - test code
        caught.append([w.category for w in ws if not issubclass(w.category, DeprecationWarning)])
    assert caught[0] == caught[1], f"setup {setup!r} warns {caught[1]}, PyTorch {caught[0]}"
    return ns_t, ns_a


def _run(expr: str, ns: dict):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value, err = eval(expr, ns), None   # noqa: S307 - test code
        except Exception as e:   # noqa: BLE001 - the error is the result being compared
            value, err = None, e
    ws = [(w.category, str(w.message)) for w in caught
          if not issubclass(w.category, DeprecationWarning)]
    return value, err, ws


def _opening(msg: str) -> str:
    """The part of PyTorch's message ours must start with: its first sentence (70 chars at
    most), "torch" read as "autograd"."""
    first = re.split(r"(?<=[.:])\s", msg.strip(), maxsplit=1)[0]
    return _text(first[:70])


def _text(s: str) -> str:
    s = s.replace("torch.return_types.", "").replace("torch", "autograd")
    return re.sub(r"\s+", " ", re.sub(r" at 0x[0-9a-f]+", "", s))


def _canon(v, same: bool):
    """A comparable form of a result."""
    import torch
    if isinstance(v, (torch.Tensor, autograd.Tensor)):
        dt = str(v.dtype).split(".")[-1]
        data = v.detach().numpy() if isinstance(v, torch.Tensor) else v.detach().numpy()
        body = data.astype(np.float64) if same else None
        return ("tensor", dt, tuple(v.shape), bool(v.requires_grad), _Values(body))
    if isinstance(v, (torch.Size, autograd.Size)):
        return ("size", tuple(v))
    if isinstance(v, (torch.dtype, autograd.dtype)):
        return ("dtype", str(v).split(".")[-1])
    if isinstance(v, (torch.device, autograd.device)):
        return ("device", str(v))
    if isinstance(v, (tuple, list)):   # and named tuples (torch.return_types)
        return (type(v).__name__, tuple(_canon(x, same) for x in v))
    if isinstance(v, np.ndarray):
        return ("ndarray", v.dtype.str, v.shape, _Values(v.astype(np.float64) if same else None))
    return ("value", _text(repr(v)) if same else type(v).__name__)


class _Values:
    def __init__(self, a) -> None:
        self.a = a

    def __eq__(self, other) -> bool:
        if self.a is None or other.a is None:
            return True
        return self.a.shape == other.a.shape and np.allclose(self.a, other.a, rtol=1e-5,
                                                             atol=1e-6, equal_nan=True)

    def __repr__(self) -> str:
        return "..." if self.a is None else np.array2string(self.a, threshold=20)


def check(expr: str, setup: str = "", same: bool = True, ns: tuple | None = None) -> None:
    """Assert that `expr` gives PyTorch's result (or error, or warnings) with autograd."""
    ns_t, ns_a = ns if ns is not None else namespaces(setup)
    vt, et, wt = _run(expr, ns_t)
    va, ea, wa = _run(expr, ns_a)
    if et is not None or ea is not None:
        assert et is not None, f"{expr}: PyTorch gives {vt!r}, autograd raised {ea!r}"
        assert ea is not None, f"{expr}: PyTorch raised {et!r}, autograd gave {va!r}"
        assert isinstance(ea, type(et)), \
            f"{expr}: PyTorch raised {type(et).__name__}, autograd {type(ea).__name__}: {ea}"
        assert _text(str(ea)).startswith(_opening(str(et))), \
            f"{expr}: messages differ:\n  PyTorch:  {et}\n  autograd: {ea}"
    else:
        ct, ca = _canon(vt, same), _canon(va, same)
        assert ct == ca, f"{expr}:\n  PyTorch:  {ct}\n  autograd: {ca}"
    assert [c for c, _ in wt] == [c for c, _ in wa], f"{expr}: warnings {wt} != {wa}"
    for (_, mt), (_, ma) in zip(wt, wa):
        assert _text(ma).startswith(_opening(mt)), f"{expr}: warning {ma!r} != {mt!r}"
