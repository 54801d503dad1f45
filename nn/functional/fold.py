"""unfold and fold: the sliding blocks of a batch of images as columns (im2col), and the
columns added back into images (col2im).

They are the convolution kernels' im2col and col2im (nn/functional/conv.py), as ops of
their own: each is linear and the other's adjoint, so Im2ColBackward0 runs a fold and
Col2ImBackward0 an unfold, and both differentiate any number of times.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Node
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

from .conv import _pad_array, _Plan, _windows

__all__ = ["unfold", "fold"]


def _pair(v, name: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * 2
    v = tuple(int(e) for e in v)
    if len(v) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    return v


def _args(kernel_size, dilation, padding, stride) -> tuple:
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    for what, v, bad, word in (("kernel size", k, min(k) <= 0, "kernel"),
                               ("stride", s, min(s) <= 0, "stride"),
                               ("dilation", d, min(d) <= 0, "dilation")):
        if bad:
            raise RuntimeError(f"{what} should be greater than zero, but got {word}_height: "
                               f"{v[0]} {word}_width: {v[1]}")
    if min(p) < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} "
                           f"pad_width: {p[1]}")
    return k, d, p, s


def _blocks(size: tuple, k, d, p, s) -> tuple:
    return tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))


def _im2col_np(x: np.ndarray, k, d, p, s) -> np.ndarray:
    n, c, h, w = x.shape
    oh, ow = _blocks((h, w), k, d, p, s)
    win = _windows(_pad_array(x, (p[0], p[0], p[1], p[1])), k, s, d, (oh, ow))
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, -1, oh * ow)


def _col2im_np(cols: np.ndarray, size: tuple, k, d, p, s) -> np.ndarray:
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    oh, ow = _blocks(size, k, d, p, s)
    plan = _Plan((n, c) + tuple(size), (1, c) + k, (oh, ow), s, (p[0], p[0], p[1], p[1]), d,
                 1, cols.dtype, False, False, lambda _: 1)
    out = np.zeros((n, c, plan.hp, plan.wp), cols.dtype)
    plan.add_cols(out, cols.reshape(n, 1, c, k[0], k[1], oh, ow))
    return np.ascontiguousarray(out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]])


class Im2ColBackward0(Node):
    def backward(self, g):
        return (_fold(g, self.size, *self.args),)


class Col2ImBackward0(Node):
    def backward(self, g):
        return (_unfold(g, *self.args),)


def _unfold(x: Tensor, k, d, p, s) -> Tensor:
    out = _im2col_np(x._data, k, d, p, s)
    if not needs_graph(x):
        return _make(out)
    n = Im2ColBackward0((x,))
    n.size, n.args = tuple(x.shape[2:]), (k, d, p, s)
    return _make(out, n)


def _fold(x: Tensor, size: tuple, k, d, p, s) -> Tensor:
    out = _col2im_np(x._data, size, k, d, p, s)
    if not needs_graph(x):
        return _make(out)
    n = Col2ImBackward0((x,))
    n.args = (k, d, p, s)
    return _make(out, n)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The sliding kernel_size blocks of (N, C, H, W) or (C, H, W) as columns:
    (N, C * kh * kw, L), L the number of blocks (im2col)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"unfold(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    k, d, p, s = _args(kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    size = tuple(input.shape[-2:])
    blocks = _blocks(size, k, d, p, s)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {size}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of "
                           f"sliding blocks as {blocks}, but its components must be at least "
                           "one.")
    if input.ndim == 3:
        return _unfold(input.unsqueeze(0), k, d, p, s).squeeze(0)
    return _unfold(input, k, d, p, s)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Columns (N, C * kh * kw, L) or (C * kh * kw, L) added back into images
    (N, C, *output_size): overlapping blocks sum (col2im, the adjoint of unfold)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fold(): argument 'input' must be Tensor, not {type(input).__name__}")
    size = _pair(output_size, "output_size")
    k, d, p, s = _args(kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    rows, cols = input.shape[-2:]
    if rows % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={rows} and kernel_size={k}.")
    blocks = _blocks(size, k, d, p, s)
    if cols != blocks[0] * blocks[1] or min(blocks) < 1:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {blocks[0]} * "
                           f"{blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)="
                           f"{cols}.")
    if input.ndim == 2:
        return _fold(input.unsqueeze(0), size, k, d, p, s).squeeze(0)
    return _fold(input, size, k, d, p, s)
