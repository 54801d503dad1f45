"""PyTorch-style `repr` of tensors: `tensor([1.5000, 2.0000], requires_grad=True)`."""

from __future__ import annotations

import numpy as np

from . import dtypes

# set by autograd.set_printoptions (PyTorch's defaults)
OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def _float_formatter(values: np.ndarray):
    p, sci = OPTIONS["precision"], OPTIONS["sci_mode"]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{p}f}"
    absf = np.abs(finite)
    amax, amin = absf.max(), absf[absf > 0].min() if (absf > 0).any() else 0.0
    if np.all(finite == np.round(finite)) and amax < 1e8 and sci is not True:
        width = max(len(f"{v:.0f}") for v in finite) + 1
        return lambda v: (_special(v) or f"{v:.0f}.").rjust(width)
    if sci or (sci is None and (amax >= 1e8 or (amin > 0 and (amax / amin > 1000
                                                               or amin < 1e-4)))):
        return lambda v: _special(v) or f"{v:.{p}e}"
    width = max(len(f"{v:.{p}f}") for v in finite)
    return lambda v: (_special(v) or f"{v:.{p}f}").rjust(width)


def _special(v) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def format_tensor(t, prefix: str = "tensor(") -> str:
    a = t._data
    kind = a.dtype.kind
    summarize = a.size > OPTIONS["threshold"]
    opts = {"separator": ", ", "prefix": prefix, "threshold": OPTIONS["threshold"],
            "edgeitems": OPTIONS["edgeitems"], "max_line_width": OPTIONS["linewidth"]}
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
    """The values numpy shows when it summarises (the first and last `edgeitems` along each
    axis)."""
    e = OPTIONS["edgeitems"]
    for ax in range(a.ndim):
        if a.shape[ax] > 2 * e:
            a = np.concatenate([np.take(a, range(e), ax), np.take(a, range(-e, 0), ax)], ax)
    return a.ravel()
