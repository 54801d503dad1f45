"""Global switches PyTorch programs set: deterministic algorithms, float32 matmul precision,
threads and print options. This engine's numpy kernels are deterministic and compute float32
matmuls in float32 whatever is set; the switches are kept and reported back, as PyTorch's
CPU build does."""

from __future__ import annotations

import os
import sys
import warnings

from . import _format

__all__ = ["compile", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "set_num_threads", "get_num_threads",
           "set_printoptions"]

_STATE = {"deterministic": False, "warn_only": False, "matmul_precision": "highest",
          "threads": None}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    _STATE["deterministic"], _STATE["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _STATE["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _STATE["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _STATE["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _STATE["matmul_precision"]


def set_num_threads(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _STATE["threads"] = n


def get_num_threads() -> int:
    return _STATE["threads"] or os.cpu_count() or 1


_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=sys.maxsize, edgeitems=3, linewidth=80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print: digits after the point, the size above which they are summarised
    (`edgeitems` shown at each end), line width, scientific notation (None: automatic);
    `profile` is "default", "short" or "full"."""
    opts = _format.OPTIONS
    if profile is not None:
        opts.update(_PROFILES[profile])
    for key, value in (("precision", precision), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            opts[key] = int(value)
    if threshold is not None:
        opts["threshold"] = sys.maxsize if threshold == float("inf") else int(threshold)
    opts["sci_mode"] = sci_mode


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",  # noqa: A001
            mode=None, options=None, disable: bool = False):
    """`torch.compile`: there is no compiler here, so the model (or function) is returned
    as it is, and runs eagerly; usable as `compile(m)`, `@compile` and `@compile(...)`."""
    if model is None:
        return lambda fn: fn
    return model
