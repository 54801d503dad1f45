"""Anomaly detection: find the forward op whose backward produced a NaN.

While enabled, every node records the stack of the user code that created it, and the
engine checks each gradient a backward rule returns. Off (the default), it costs one
flag read per op.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
import warnings

import numpy as np

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

_enabled = [False]   # global, as in PyTorch (not thread-local)
_check_nan_flag = [True]


def is_anomaly_enabled() -> bool:
    return _enabled[0]


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan_flag[0]


_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
_PROJECT_DIRS = tuple(os.path.join(os.path.dirname(_PKG_DIR), name) + os.sep
                      for name in ("autograd", "nn", "optim"))


def _capture() -> list:
    """The stack at op creation, without this package's own frames (called only while
    anomaly mode is on)."""
    stack = traceback.extract_stack()[:-2]
    return [f for f in stack if not f.filename.startswith(_PKG_DIR)]


def _user_frame(trace: list):
    """The innermost frame of the user's code (not autograd, nn or optim), else the last."""
    for f in reversed(trace):
        if not f.filename.startswith(_PROJECT_DIRS):
            return f
    return trace[-1] if trace else None


def _forward_op(node) -> str:
    """`SqrtBackward0` -> `Sqrt`, `MyFnBackward` -> `MyFn`."""
    return re.sub(r"Backward\d*$", "", node.name())


def _stacklevel() -> int:
    """Stack level of the first frame outside this package (where backward was called)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PKG_DIR):
        frame, level = frame.f_back, level + 1
    return level


def _forward_trace(node) -> str:
    if not node._trace:
        return "(no forward traceback recorded: the op ran before anomaly mode was enabled)\n"
    return "".join(traceback.format_list(node._trace))


def _warn(node) -> None:
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                  f"error:\n{_forward_trace(node)}", UserWarning, stacklevel=_stacklevel())


def _check_nan(node, grads) -> None:
    """Raise PyTorch's error if a backward rule returned NaN, naming the forward op and the
    user's line that created it."""
    if not _check_nan_flag[0]:
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        d = g._data if hasattr(g, "_data") else np.asarray(g)
        if d.dtype.kind in "fc" and np.isnan(d).any():
            _warn(node)
            f = _user_frame(node._trace or [])
            where = (f" The forward op was {_forward_op(node)}, created at {f.filename}:"
                     f"{f.lineno}: {f.line}" if f is not None else
                     f" The forward op was {_forward_op(node)} (no traceback: it was created "
                     "before anomaly mode was enabled).")
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.{where}")


def _report_error(node, exc: Exception) -> None:
    """A backward rule raised: show where its forward op was created, then let it raise."""
    _warn(node)


class set_detect_anomaly:
    """`set_detect_anomaly(True)` as a call or a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_enabled[0], _check_nan_flag[0])
        _enabled[0], _check_nan_flag[0] = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _enabled[0], _check_nan_flag[0] = self._prev


class detect_anomaly:
    """Context manager: record forward stacks and stop at the first NaN gradient."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev = (_enabled[0], _check_nan_flag[0])
        _enabled[0], _check_nan_flag[0] = True, self.check_nan
        return self

    def __exit__(self, *exc):
        _enabled[0], _check_nan_flag[0] = self._prev
