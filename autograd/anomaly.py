"""Anomaly detection: find the forward op whose backward produced a NaN.

While enabled, every node records the stack of the user code that created it, and the
engine checks each gradient a backward rule returns. Off (the default), it costs one
flag read per op.
"""

from __future__ import annotations

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


def _capture() -> list:
    """The user's stack at op creation, without this package's own frames."""
    stack = traceback.extract_stack()[:-2]
    import os
    pkg = os.path.dirname(__file__)
    return [f for f in stack if not f.filename.startswith(pkg)]


def _forward_trace(node) -> str:
    if not node._trace:
        return "(no forward traceback recorded: the op ran before anomaly mode was enabled)"
    return "".join(traceback.format_list(node._trace))


def _check_nan(node, grads) -> None:
    if not _check_nan_flag[0]:
        return
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind == "f" and np.isnan(g._data).any():
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                          f"caused the error:\n{_forward_trace(node)}", UserWarning, stacklevel=3)
            where = ""
            if node._trace:
                f = node._trace[-1]
                where = f" (forward op created at {f.filename}:{f.lineno}: {f.line})"
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.{where}")


def _report_error(node, exc: Exception) -> None:
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                  f"error:\n{_forward_trace(node)}", UserWarning, stacklevel=3)


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
