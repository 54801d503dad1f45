"""PyTorch-style `repr` of tensors: `tensor([1.5000, 2.0000], requires_grad=True)`.

PyTorch's rules, so that printed tensors read the same: one width for all elements, set
by the nonzero finite values only (zeros, inf and nan are padded to it); floats print as
integers with a trailing dot when every such value is whole, in scientific notation when
they span more than a factor 1000 (or exceed 1e8, or, for non-integers, fall below 1e-4);
a row holds as many elements as fit in `linewidth` after the indent; tensors of more than
`threshold` elements show the first and last `edgeitems` along each dim.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes

# set by autograd.set_printoptions (PyTorch's defaults)
OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


class _Formatter:
    """The element format of one tensor: its mode (integers, fixed or scientific) and width."""

    def __init__(self, values: np.ndarray) -> None:
        p = OPTIONS["precision"]
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max([len(str(v)) for v in values.tolist()], default=1)
            return
        vals = values.astype(np.float64)
        nz = vals[np.isfinite(vals) & (vals != 0)]
        if not nz.size:   # zeros, inf and nan only: width 1, no scientific notation
            return
        big, small = np.abs(nz).max(), np.abs(nz).min()
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        sci = OPTIONS["sci_mode"]
        self.sci_mode = big / small > 1000.0 or big > 1.0e8 or small < 1.0e-4 \
            if sci is None else sci
        if self.sci_mode:
            self.width = max(len(f"{v:.{p}e}") for v in nz.tolist())
        elif self.int_mode:
            self.width = max(len(f"{v:.0f}") + 1 for v in nz.tolist())
        else:
            self.width = max(len(f"{v:.{p}f}") for v in nz.tolist())

    def format(self, v) -> str:
        p = OPTIONS["precision"]
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{p}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{p}f}"
        return s.rjust(self.width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements shown when a tensor is summarised: the first and last `edgeitems`
    along each dim (what sets the format)."""
    e = OPTIONS["edgeitems"]
    for ax in range(a.ndim):
        if a.shape[ax] > 2 * e:
            a = np.concatenate([np.take(a, range(e), ax), np.take(a, range(-e, 0), ax)], ax)
    return a


def _body(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """The nested brackets of `a` (>= 1-D); rows break at `linewidth`."""
    e = OPTIONS["edgeitems"]
    cut = summarize and a.shape[0] > 2 * e
    if a.ndim == 1:
        per_line = max(1, (OPTIONS["linewidth"] - indent) // (fmt.width + 2))
        if summarize and not e:
            items = ["..."]
        elif cut:
            items = ([fmt.format(v) for v in a[:e].tolist()] + [" ..."]
                     + [fmt.format(v) for v in a[-e:].tolist()])
        else:
            items = [fmt.format(v) for v in a.tolist()]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = range(a.shape[0])
    if cut:
        rows = list(range(e)) + [None] + list(range(a.shape[0] - e, a.shape[0]))
    parts = ["..." if i is None else _body(a[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_tensor(t, prefix: str = "tensor(") -> str:
    a = t._data
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    indent = len(prefix)
    d = dtypes.from_np(t._data.dtype)
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if d is not dtypes.get_default_dtype():
            suffixes.append(f"dtype={d!r}")
    else:
        summarize = a.size > OPTIONS["threshold"]
        fmt = _Formatter((_summarized(a) if summarize else a).reshape(-1))
        body = fmt.format(a.item()) if a.ndim == 0 else _body(a, indent, summarize, fmt)
        if not OPTIONS["edgeitems"]:
            suffixes.append(f"size={tuple(a.shape)}")
        if d not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool):
            suffixes.append(f"dtype={d!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """`, dtype=...` and the rest after the values, on a new line when the last one is full.
    A suffix is measured as PyTorch spells it (`dtype=torch.float64`), so lines break where
    PyTorch's do: read with `torch` for `autograd`, the text is PyTorch's."""
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        n = len(s.replace("autograd.", "torch."))
        if last + n + 2 > OPTIONS["linewidth"]:
            out.append(",\n" + " " * indent + s)
            last = indent + n
        else:
            out.append(", " + s)
            last += n + 2
    return "".join(out) + ")"
