"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and CircularPad, in
1d, 2d and 3d: `F.pad` with the padding fixed at construction."""

from __future__ import annotations

from autograd.tensor import Tensor

from .. import functional as F
from ..module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """`padding`: an int (every side) or a tuple (left, right, top, bottom, front, back)."""

    mode = "constant"
    _nd = 1

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = (int(padding),) * (2 * self._nd) if isinstance(padding, int) else \
            tuple(padding)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim of (C, W) or (N, C, W) with `value`."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) with `value`."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) with `value`."""

    _nd = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class _ReflectionPadNd(_PadNd):
    mode = "reflect"


class _ReplicationPadNd(_PadNd):
    mode = "replicate"


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        nd = self._nd
        if isinstance(input, Tensor) and input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"expected {nd + 1}D or {nd + 2}D input (got {input.ndim}D input)")
        return super().forward(input)


def _layers(base: type, stem: str, how: str) -> tuple:
    """`{stem}1d`, `2d`, `3d`: padding the last 1, 2 or 3 dims {how}."""
    dims = ("the last dim", "the last two dims", "the last three dims")
    return tuple(type(f"{stem}{d}d", (base,), {"_nd": d, "__module__": __name__,
                                               "__doc__": f"Pads {dims[d - 1]} {how}."})
                 for d in (1, 2, 3))


ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _layers(
    _ReflectionPadNd, "ReflectionPad", "with their mirror image (the edge not repeated)")
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _layers(
    _ReplicationPadNd, "ReplicationPad", "by repeating their edge values")
CircularPad1d, CircularPad2d, CircularPad3d = _layers(
    _CircularPadNd, "CircularPad", "by wrapping around (the other end's values)")
