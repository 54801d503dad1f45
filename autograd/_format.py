"""PyTorch-style `repr` of tensors: `tensor([1.5000, 2.0000], requires_grad=True)`."""

from __future__ import annotations

import numpy as np

from . import dtypes


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    absf = np.abs(finite)
    amax, amin = absf.max(), absf[absf > 0].min() if (absf > 0).any() else 0.0
    if np.all(finite == np.round(finite)) and amax < 1e8:
        width = max(len(f"{v:.0f}") for v in finite) + 1
        return lambda v: (_special(v) or f"{v:.0f}.").rjust(width)
    if amax >= 1e8 or (amin > 0 and (amax / amin > 1000 or amin < 1e-4)):
        return lambda v: _special(v) or f"{v:.4e}"
    width = max(len(f"{v:.4f}") for v in finite)
    return lambda v: (_special(v) or f"{v:.4f}").rjust(width)


def _special(v) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def format_tensor(t, prefix: str = "tensor(") -> str:
    a = t._data
    kind = a.dtype.kind
    summarize = a.size > 1000
    opts = {"separator": ", ", "prefix": prefix, "threshold": 1000, "edgeitems": 3,
            "max_line_width": 80}
    if kind == "f":
        vals = a.astype(np.float64).ravel()
        if summarize:
            vals = _edges(a.astype(np.float64))
        fmt = _float_formatter(vals)
        body = np.array2string(a, formatter={"float_kind": fmt}, **opts)
    elif kind == "b":
        body = np.array2string(a, formatter={"bool": lambda v: "True" if v else "False"}, **opts)
    else:
        body = np.array2string(a, **opts)
    if a.size == 0:
        body = "[]" if a.ndim == 1 else f"[], size=({', '.join(map(str, a.shape))},)".replace(
            ",)", ")")
    suffix = []
    d = dtypes.from_np(a.dtype)
    if d not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool) or (
            a.size == 0 and d is not dtypes.get_default_dtype() and a.ndim == 1):
        suffix.append(f"dtype={d!r}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffix.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffix) + ")"


def _edges(a: np.ndarray) -> np.ndarray:
    """The values numpy shows when it summarises (first and last 3 along each axis)."""
    for ax in range(a.ndim):
        if a.shape[ax] > 6:
            a = np.concatenate([np.take(a, range(3), ax), np.take(a, range(-3, 0), ax)], ax)
    return a.ravel()
