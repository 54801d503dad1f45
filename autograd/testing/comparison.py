"""`assert_close`: compare tensors with PyTorch's dtype-based default tolerances."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["assert_close"]

# PyTorch's defaults (torch.testing.assert_close): (rtol, atol) by dtype
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


def _as_array(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data
    return np.asarray(x)


def assert_close(actual, expected, *, rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = False, check_dtype: bool = True, msg: str | None = None) -> None:
    """Raise AssertionError unless |actual - expected| <= atol + rtol * |expected| everywhere.

    Default tolerances depend on the dtype (as in PyTorch); integers and bools must match
    exactly. The message gives the number of mismatches and the greatest absolute and
    relative differences with their positions.
    """
    a, e = _as_array(actual), _as_array(expected)
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: pass both rtol and atol, or neither")
    if a.shape != e.shape:
        raise AssertionError(f"The values for attribute 'shape' do not match: {a.shape} != "
                             f"{e.shape}.")
    if check_dtype and isinstance(actual, Tensor) and isinstance(expected, Tensor) and \
            a.dtype != e.dtype:
        raise AssertionError(f"The values for attribute 'dtype' do not match: {actual.dtype} != "
                             f"{expected.dtype}.")
    if rtol is None:
        rtol, atol = max(_TOLERANCES.get(a.dtype, (0.0, 0.0)), _TOLERANCES.get(e.dtype, (0.0, 0.0)))
    af, ef = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(af) & np.isfinite(ef)
        ok = np.where(finite, np.abs(af - ef) <= atol + rtol * np.abs(ef), af == ef)
        if equal_nan:
            ok |= np.isnan(af) & np.isnan(ef)
    if ok.all():
        return
    bad = ~ok
    with np.errstate(invalid="ignore", divide="ignore"):
        absdiff = np.where(bad, np.abs(af - ef), 0)
        reldiff = np.where(bad, np.abs(af - ef) / np.abs(ef), 0)
    ia = np.unravel_index(np.nanargmax(np.nan_to_num(absdiff, nan=np.inf)), a.shape) if a.ndim \
        else ()
    ir = np.unravel_index(np.nanargmax(np.nan_to_num(reldiff, nan=np.inf)), a.shape) if a.ndim \
        else ()
    text = (f"Tensor-likes are not close!\n\nMismatched elements: {int(bad.sum())} / {a.size} "
            f"({100.0 * bad.sum() / max(a.size, 1):.1f}%)\n"
            f"Greatest absolute difference: {absdiff[ia]} at index {tuple(int(i) for i in ia)} "
            f"(up to {atol} allowed)\n"
            f"Greatest relative difference: {reldiff[ir]} at index {tuple(int(i) for i in ir)} "
            f"(up to {rtol} allowed)")
    raise AssertionError(text if msg is None else f"{msg}\n{text}")
