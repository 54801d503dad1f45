"""Convolutions: conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
conv_transpose3d.

One primitive with PyTorch's node, ConvolutionBackward0, and two numpy kernels on
(N, C, H, W) arrays (a 1-D convolution runs as a 2-D one of height 1, a 3-D one as a 2-D
one over the depth taps folded into channels, see `_depth_taps`):

- `_conv_np`: y = conv(x, w), im2col then one matrix product;
- `_grads_np`: the input gradient dx = col2im(W^T @ g), the weight gradient
  dw = g @ im2col(x)^T and the bias gradient sum(g), in one pass.

y is bilinear in (x, w), so each kernel is the derivative of the others: a transposed
convolution is the input gradient of a convolution (its own gradients are a convolution
and a weight gradient), and the nodes of dx and dw (ConvolutionBackwardBackward0)
differentiate themselves with the same kernels: convolutions are differentiable any
number of times (`create_graph=True`).

Speed. The arithmetic is three matrix products per convolution; what decides the time
around them is memory traffic. Images go through in chunks whose working set fits in the
CPU's L2 cache (`_CHUNK_BYTES`), so the columns are written and read back in cache, and
each product writes straight into its slice of the result. A bias is one more column of
W against a row of ones in the columns (its gradient comes out of the weight gradient's
product the same way). With stride 1, the backward reads each padded image as one long
row ("full width": the output positions run over the whole padded width, the extra ones
against zero gradients), and splits the kernel's two axes between the two operands (x
shifted by kernel rows, g by kernel columns, see `_grads_full`), so that it copies a few
long rows per image instead of an im2col, and its col2im sums kh rows, not kh * kw.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd.function import Node
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

_CHUNK_BYTES = 1 << 20   # the working set of one chunk of images: about the L2 cache


def _tuple(v, n: int, name: str, op: str = "") -> tuple:
    """An int or a length-n sequence of ints, as a tuple of n ints (PyTorch's error)."""
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(v)}")
    return v


# ---------------------------------------------------------------------------------------
# geometry shared by the kernels (and by pooling)


def _windows(xp: np.ndarray, k: tuple, stride: tuple, dilation: tuple, out: tuple):
    """(N, C, *out, *k) read-only view of the windows of a padded (N, C, *spatial) array
    (as many spatial dims as k has)."""
    lead, sp = xp.strides[:-len(k)], xp.strides[-len(k):]
    return as_strided(xp, xp.shape[:-len(k)] + tuple(out) + tuple(k),
                      lead + tuple(st * s for st, s in zip(sp, stride)) +
                      tuple(st * d for st, d in zip(sp, dilation)), writeable=False)


def _pad_array(x: np.ndarray, pads: tuple, value=0) -> np.ndarray:
    """Pad the last len(pads) // 2 dims by (lo, hi) each, first dim first, with `value`."""
    if not any(pads):
        return x
    nd = len(pads) // 2
    lo, hi = pads[0::2], pads[1::2]
    out = np.full(x.shape[:-nd] + tuple(s + a + b for s, a, b in zip(x.shape[-nd:], lo, hi)),
                  value, dtype=x.dtype)
    out[(...,) + tuple(slice(a, a + s) for a, s in zip(lo, x.shape[-nd:]))] = x
    return out


def _out_size(size: int, lo: int, hi: int, d: int, k: int, s: int) -> int:
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _geometry(x_shape: tuple, w_shape: tuple, stride, pads, dilation) -> tuple:
    oh = _out_size(x_shape[2], pads[0], pads[1], dilation[0], w_shape[2], stride[0])
    ow = _out_size(x_shape[3], pads[2], pads[3], dilation[1], w_shape[3], stride[1])
    return oh, ow


class _Plan:
    """One convolution's geometry, worked out once for a kernel's chunk loop: the padded
    image (`hp`, `wp`: big enough for the image at (top, left) and for every window), the
    output (`oh`, `ow`), the columns per image `cols` (`full`: the output positions over
    the whole padded width, (oh - 1) * wp + ow; else oh * ow) and how many images a chunk
    holds (`per_image(plan)`: its floats per image)."""

    def __init__(self, x_shape, w_shape, out, stride, pads, dilation, groups, dtype,
                 full: bool, bias_row: bool, per_image: int) -> None:
        self.n, self.c, self.h, self.w = x_shape
        self.o, self.cg, self.kh, self.kw = w_shape
        self.oh, self.ow = out
        self.stride, self.dilation, self.groups = stride, dilation, groups
        self.pt, self.pl = pads[0], pads[2]
        (sh, sw), (dh, dw) = stride, dilation
        self.hp = max(self.pt + self.h, (self.oh - 1) * sh + dh * (self.kh - 1) + 1)
        self.wp = max(self.pl + self.w, (self.ow - 1) * sw + dw * (self.kw - 1) + 1)
        self.cols = (self.oh - 1) * self.wp + self.ow if full else self.oh * self.ow
        self.kg = self.cg * self.kh * self.kw
        self.rows = self.kg + bias_row       # im2col rows per group (+ the ones row)
        # the full-width backward (see `_grads_full`): positions of an image's columns
        # shifted by up to (kw-1)*dw, and the col2im's rows of margin zeros then columns
        self.shifted_cols = self.cols + (self.kw - 1) * dw
        self.margin = (self.kh - 1) * dh * self.wp
        self.row = self.margin + self.hp * self.wp
        item = np.dtype(dtype).itemsize
        self.nb = max(1, min(self.n, _CHUNK_BYTES // max(per_image(self) * item, 1)))
        self.dtype = dtype
        self._pad_buf = self._taps = None

    @property
    def padded_is_x(self) -> bool:
        return self.pt == self.pl == 0 and self.hp == self.h and self.wp == self.w

    def chunk_taps(self, x: np.ndarray, n0: int, m: int, view=None) -> np.ndarray:
        """`view` (default `taps`, the im2col) of images n0 .. n0+m of x zero-padded to
        (hp, wp): of x itself when there is no padding, else of a buffer whose borders stay
        zero (the view is made once per call of a kernel)."""
        view = view or self.taps
        if self.padded_is_x:
            if self._taps is None:
                self._taps = view(x)
            return self._taps[n0:n0 + m]
        if self._pad_buf is None:
            self._pad_buf = np.zeros((self.nb, self.c, self.hp, self.wp), self.dtype)
            self._taps = view(self._pad_buf)
        self._pad_buf[:m, :, self.pt:self.pt + self.h, self.pl:self.pl + self.w] = x[n0:n0 + m]
        return self._taps[:m]

    def row_taps(self, xp: np.ndarray) -> np.ndarray:
        """(m, G, kh, C/G, shifted_cols) read-only view: each padded image as one long row,
        from the start of kernel row i's reach (i * dh image rows down)."""
        m, g, cg = xp.shape[0], self.groups, self.cg
        s0, s1, s2, s3 = xp.strides
        return as_strided(xp, (m, g, self.kh, cg, self.shifted_cols),
                          (s0, cg * s1, self.dilation[0] * s2, s1, s3), writeable=False)

    def taps(self, xp: np.ndarray) -> np.ndarray:
        """(m, G, C/G, kh, kw, oh, ow) read-only view of a padded chunk's im2col."""
        m, g, cg = xp.shape[0], self.groups, self.cg
        s0, s1, s2, s3 = xp.strides
        (sh, sw), (dh, dw) = self.stride, self.dilation
        return as_strided(xp, (m, g, cg, self.kh, self.kw, self.oh, self.ow),
                          (s0, cg * s1, s1, dh * s2, dw * s3, sh * s2, sw * s3),
                          writeable=False)

    def shifted(self, r4: np.ndarray) -> np.ndarray:
        """The full-width col2im as a view: r4 (G, kh * C/G, m, row), contiguous, holds for
        each kernel row i and channel the columns of W_i^T g after `margin` zeros; the view
        (m, G, C/G, kh, h, w) reads at each input pixel the column of each kernel row that
        lands on it (a zero where none does), so that dx is its sum over kh
        (`_sum_axis3`)."""
        sg, sr, sm, _ = r4.strides
        it = r4.itemsize
        dh, kh, wp, cg = self.dilation[0], self.kh, self.wp, self.cg
        return as_strided(r4.reshape(-1)[self.margin + self.pt * wp + self.pl:],
                          (r4.shape[2], r4.shape[0], cg, kh, self.h, self.w),
                          (sm, sg, sr, cg * sr - dh * wp * it, wp * it, it), writeable=False)

    def add_cols(self, dxp: np.ndarray, dcols: np.ndarray) -> None:
        """col2im: add each tap's columns (m, G, C/G, kh, kw, oh * ow) back into the padded
        chunk dxp (m, C, hp, wp), one strided numpy add per tap."""
        m, g, cg = dxp.shape[0], self.groups, self.cg
        (sh, sw), (dh, dw) = self.stride, self.dilation
        grid = dxp.reshape(m, g, cg, self.hp, self.wp)
        dc = dcols.reshape(m, g, cg, self.kh, self.kw, self.oh, self.ow)
        for i in range(self.kh):
            for j in range(self.kw):
                grid[..., i * dh:i * dh + sh * (self.oh - 1) + 1:sh,
                     j * dw:j * dw + sw * (self.ow - 1) + 1:sw] += dc[:, :, :, i, j]


def _conv2d_np(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride, pads, dilation,
               groups: int, out_hw: tuple | None = None) -> np.ndarray:
    """y = conv(x, w) + b on (N, C, H, W): per chunk, im2col then one product per group
    written into the chunk's slice of y. `out_hw` caps the output size (the gradient of a
    transposed convolution whose output_padding added rows no window of x reached)."""
    x = np.ascontiguousarray(x)
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    oh, ow = _geometry(x.shape, w.shape, stride, pads, dilation)
    if out_hw is not None:
        oh, ow = min(oh, out_hw[0]), min(ow, out_hw[1])
    out = np.empty((n, o, oh, ow), dtype=np.result_type(x, w))
    g, og = groups, o // groups
    y = out.reshape(n, g, og, oh * ow)
    if kh == kw == 1 and stride == (1, 1) and not any(pads) and (oh, ow) == x.shape[2:]:
        # 1x1: the image is its own im2col
        np.matmul(w.reshape(g, og, cg), x.reshape(n, g, cg, -1), out=y)
        if b is not None:
            y += b.reshape(g, og, 1)
        return out
    bias = b is not None
    plan = _Plan(x.shape, w.shape, (oh, ow), stride, pads, dilation, groups, out.dtype,
                 False, bias, lambda p: g * p.rows * p.cols)
    wm = w.reshape(g, og, plan.kg)
    if bias:
        wm = np.concatenate([wm, b.reshape(g, og, 1).astype(wm.dtype)], axis=2)
    buf = np.empty((plan.nb, g, plan.rows, plan.cols), out.dtype)
    if bias:
        buf[:, :, -1] = 1
    dst = buf[:, :, :plan.kg].reshape(plan.nb, g, cg, kh, kw, oh, ow)
    for n0 in range(0, n, plan.nb):
        m = min(plan.nb, n - n0)
        np.copyto(dst[:m], plan.chunk_taps(x, n0, m))
        np.matmul(wm, buf[:m], out=y[n0:n0 + m])
    return out


def _scratch(flat: np.ndarray, shape: tuple) -> np.ndarray:
    """The first prod(shape) elements of a flat buffer, as a contiguous array of `shape`."""
    return flat[:math.prod(shape)].reshape(shape)


def _grads2d_np(g: np.ndarray, x: np.ndarray | None, w: np.ndarray, x_shape: tuple, stride,
                pads, dilation, groups: int, need_x: bool, need_w: bool,
                need_b: bool = False, full: bool | None = None) -> tuple:
    """(dx, dw, db) of y = conv(x, w) + b for the output gradient g; each only if needed
    (x is read only for dw), in one pass over chunks of images: `_grads_full` with stride 1
    (when its buffers are not too big), `_grads_exact` otherwise (and after a non-finite
    value met the full-width kernel's junk columns)."""
    dt = np.result_type(g, w)
    if full is None:   # the full-width junk meets zero gradients: exact if w is finite
        full = need_x and stride == (1, 1) and bool(np.isfinite(w).all()) and \
            _full_fits(x_shape, w.shape, g.shape)
    bias_row = need_b and need_w
    o, oh, ow = g.shape[1:]
    c, (_, _, kh, kw) = x_shape[1], w.shape
    if full:   # g shifted kw times, x kh times, W^T g with its margins
        per_image = lambda p: (kw * o + kh * c) * p.shifted_cols + kh * c * p.row  # noqa: E731
    else:      # the im2col (then W^T g) and the image
        per_image = lambda p: groups * p.rows * p.cols + c * p.hp * p.wp  # noqa: E731
    plan = _Plan(x_shape, w.shape, (oh, ow), stride, pads, dilation, groups, dt, full,
                 bias_row, per_image)
    g = np.ascontiguousarray(g)
    if need_w:
        x = np.ascontiguousarray(x)
    kernel = _grads_full if full else _grads_exact
    gx, acc = kernel(plan, g, x, w, need_x, need_w, bias_row)
    gw = gb = None
    if need_w:
        if full and not np.isfinite(acc).all():
            # a non-finite input met the full-width junk (0 * inf): redo without it
            return _grads2d_np(g, x, w, x_shape, stride, pads, dilation, groups, need_x,
                               need_w, need_b, full=False)
        gw = np.ascontiguousarray(acc[:, :plan.kg].transpose(0, 2, 1)).reshape(w.shape)
        if bias_row:
            gb = acc[:, -1].reshape(o).copy()
    if need_b and gb is None:
        gb = g.sum((0, 2, 3))
    return gx, gw, gb


def _sum_axis3(a: np.ndarray, out: np.ndarray) -> None:
    """out = a.sum(3), one addition per slice of axis 3: faster than numpy's reduction
    over a strided axis (each addition runs over whole images when their rows are
    contiguous)."""
    if a.shape[3] == 1:
        np.copyto(out, a[:, :, :, 0])
        return
    np.add(a[:, :, :, 0], a[:, :, :, 1], out=out)
    for i in range(2, a.shape[3]):
        np.add(out, a[:, :, :, i], out=out)


def _full_fits(x_shape: tuple, w_shape: tuple, g_shape: tuple) -> bool:
    """Whether the full-width backward's buffers per image (g shifted kw times, x kh
    times, W^T g) stay within twice the im2col's: not when the outputs' channels far
    outnumber the inputs' (a first layer's 3 -> 64)."""
    (c, h, w), (o, _, kh, kw), (oh, ow) = x_shape[1:], w_shape, g_shape[2:]
    return (kw * o + 2 * kh * c) * h * w <= 2 * (c * kh * kw + 1) * oh * ow


def _grads_exact(plan: _Plan, g, x, w, need_x: bool, need_w: bool, bias_row: bool) -> tuple:
    """dx and dw^T by chunks of images, image-major: g is read in place (each image's
    (O, OH*OW) is a matrix), dw^T adds up one product per image, col2im is one strided
    add per tap."""
    n, o, oh, ow = g.shape
    grp, og, cg, kh, kw = plan.groups, o // plan.groups, plan.cg, plan.kh, plan.kw
    nb, L, dt = plan.nb, plan.cols, plan.dtype
    gi = g.reshape(n, grp, og, L)
    cols = np.empty((nb, grp, plan.rows, L), dt)   # im2col, then W^T g (the ones row kept)
    if bias_row:
        cols[:, :, -1] = 1
    acc = np.zeros((grp, plan.rows, og), dt) if need_w else None
    if need_x:
        gx = np.empty((n, plan.c, plan.h, plan.w), dt)
        wt = w.reshape(grp, og, plan.kg).transpose(0, 2, 1)
        dxp = None if plan.padded_is_x else np.empty((nb, plan.c, plan.hp, plan.wp), dt)
    for n0 in range(0, n, nb):
        m = min(nb, n - n0)
        gm = gi[n0:n0 + m]
        if need_w:
            np.copyto(cols[:m, :, :plan.kg].reshape(m, grp, cg, kh, kw, oh, ow),
                      plan.chunk_taps(x, n0, m))
            part = np.matmul(cols[:m], gm.transpose(0, 1, 3, 2))
            acc += part[0] if m == 1 else part.sum(0)
        if need_x:
            d = cols[:m, :, :plan.kg]
            np.matmul(wt, gm, out=d)
            target = gx[n0:n0 + m] if dxp is None else dxp[:m]
            target[...] = 0
            plan.add_cols(target, d.reshape(m, grp, cg, kh, kw, L))
            if dxp is not None:
                gx[n0:n0 + m] = target[:, :, plan.pt:plan.pt + plan.h, plan.pl:plan.pl + plan.w]
    return (gx if need_x else None), acc


def _grads_full(plan: _Plan, g, x, w, need_x: bool, need_w: bool, bias_row: bool) -> tuple:
    """dx and dw^T by chunks of images at full width (stride 1), the kernel's two axes
    split between the two operands: G3 holds g shifted by each kernel column (kw copies of
    g's rows, zeros in each row's junk), X3 holds x shifted by each kernel row (kh copies of
    x's rows), so that

        dw[o, c, i, j] = (G3 @ X3^T)[(j, o), (i, c)]     one product per chunk
        dx[c, q] = sum_i (W3 @ G3)[(i, c), q - i * dh * wp]

    with W3[(i, c), (j, o)] = w[o, c, i, j]: a product per image, then a sum over the kh
    kernel rows read through a shifted view (`_Plan.shifted`). Copies: kw + kh short
    ones per image instead of an im2col of kh * kw."""
    n, o, oh, ow = g.shape
    grp, og, cg, kh, kw = plan.groups, o // plan.groups, plan.cg, plan.kh, plan.kw
    nb, L, L3, dt = plan.nb, plan.cols, plan.shifted_cols, plan.dtype
    mg, row, dw_ = plan.margin, plan.row, plan.dilation[1]
    rows3 = kh * cg
    acc = np.zeros((grp, kw * og, rows3), dt) if need_w else None
    # db from g's rows (a row of ones in X3 would make the product's N = rows3 + 1, which
    # costs more than this sum)
    db = np.zeros((grp, og), dt) if bias_row else None
    ones = np.ones(nb * L3, dt) if bias_row else None
    w3 = np.ascontiguousarray(w.reshape(grp, og, cg, kh, kw).transpose(0, 3, 2, 4, 1)) \
        .reshape(grp, kh * cg, kw * og)
    gx = np.empty((n, plan.c, plan.h, plan.w), dt)
    g3buf = np.zeros(grp * kw * og * nb * L3, dt)
    x3buf = np.empty(grp * rows3 * nb * L3, dt) if need_w else None
    rbuf = np.zeros(grp * kh * cg * nb * row, dt)
    last_m = None
    for n0 in range(0, n, nb):
        m = min(nb, n - n0)
        if m != last_m:   # (the last chunk may be smaller: its own layout)
            g3 = _scratch(g3buf, (grp, kw, og, m, L3))
            g3[...] = 0
            it = g3.itemsize
            grows = as_strided(g3, (grp, og, m, oh, ow), (g3.strides[0], g3.strides[2],
                                                          g3.strides[3], plan.wp * it, it))
            g3m = g3.reshape(grp, kw * og, m, L3).transpose(2, 0, 1, 3)   # (m, G, kw*og, L3)
            r4 = _scratch(rbuf, (grp, kh * cg, m, row))
            r4[...] = 0
            r_out = r4[..., mg:mg + L3].transpose(2, 0, 1, 3)              # (m, G, kh*cg, L3)
            fold = plan.shifted(r4)
            if need_w:
                x3 = _scratch(x3buf, (grp, rows3, m, L3))
                x3_taps = x3.reshape(grp, kh, cg, m, L3)
        grows[...] = g[n0:n0 + m].reshape(m, grp, og, oh, ow).transpose(1, 2, 0, 3, 4)
        for j in range(1, kw):   # shifted by kernel column j (zeros stay before and after)
            g3[:, j, ..., j * dw_:j * dw_ + L] = g3[:, 0, ..., :L]
        if need_w:
            np.copyto(x3_taps, plan.chunk_taps(x, n0, m, plan.row_taps).transpose(1, 2, 3, 0, 4))
            acc += np.matmul(g3.reshape(grp, kw * og, m * L3),
                             x3.reshape(grp, rows3, m * L3).transpose(0, 2, 1))
            if bias_row:   # (a matrix-vector product: faster than numpy's sum here)
                db += np.matmul(g3[:, 0].reshape(grp, og, m * L3), ones[:m * L3])
        np.matmul(w3, g3m, out=r_out)
        _sum_axis3(fold, gx[n0:n0 + m].reshape(m, grp, cg, plan.h, plan.w))
        last_m = m
    if need_w:   # as the exact kernel's: dw^T per group, rows (c, i, j), then db's row
        d = acc.reshape(grp, kw, og, kh, cg).transpose(0, 4, 3, 1, 2)
        d = d.reshape(grp, cg * kh * kw, og)
        acc = np.concatenate([d, db[:, None]], 1) if bias_row else d
    return gx, acc


# ---------------------------------------------------------------------------------------
# any number of spatial dims: a 1-D convolution runs as a 2-D one of height 1; a 3-D one
# as a 2-D one over images (N * OD of them) whose channels are the input's channels at
# each of the kd depth taps ("depth im2col"), with the weight's (C/G, kd) as its channels.
# Geometry is per spatial dim: stride and dilation nd ints, pads 2 * nd (lo, hi per dim).


def _depth_taps(x: np.ndarray, kd: int, sd: int, dd: int, pf: int, od: int) -> np.ndarray:
    """(N * OD, C * kd, H, W) copy: image (n, t) holds x's depth slices t * sd + i * dd
    (i < kd) of the depth-padded (N, C, D, H, W) x, channel c * kd + i."""
    n, c, d, h, w = x.shape
    dp = max(pf + d, (od - 1) * sd + dd * (kd - 1) + 1)
    if pf or dp != d:
        xp = np.zeros((n, c, dp, h, w), x.dtype)
        xp[:, :, pf:pf + d] = x
        x = xp
    s0, s1, s2, s3, s4 = x.strides
    v = as_strided(x, (n, od, c, kd, h, w), (s0, sd * s2, s1, dd * s2, s3, s4), writeable=False)
    return v.reshape(n * od, c * kd, h, w)


def _depth_fold(cols: np.ndarray, x_shape: tuple, kd: int, sd: int, dd: int,
                pf: int) -> np.ndarray:
    """The transpose of `_depth_taps`: each depth tap's slices added back into x_shape."""
    n, c, d, h, w = x_shape
    od = cols.shape[0] // n
    dp = max(pf + d, (od - 1) * sd + dd * (kd - 1) + 1)
    taps = cols.reshape(n, od, c, kd, h, w)
    out = np.zeros((n, c, dp, h, w), cols.dtype)
    for i in range(kd):
        out[:, :, i * dd:i * dd + sd * (od - 1) + 1:sd] += taps[:, :, :, i].transpose(0, 2, 1,
                                                                                      3, 4)
    return out[:, :, pf:pf + d] if pf or dp != d else out


def _g_as_2d(g: np.ndarray) -> np.ndarray:
    """A 3-D convolution's (N, O, OD, OH, OW) output (gradient) as (N * OD, O, OH, OW)."""
    n, o, od, oh, ow = g.shape
    return np.ascontiguousarray(g.transpose(0, 2, 1, 3, 4)).reshape(n * od, o, oh, ow)


def _conv_np(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride, pads, dilation,
             groups: int, out_hw: tuple | None = None) -> np.ndarray:
    """y = conv(x, w) + b on (N, C, *spatial) arrays, 1 to 3 spatial dims (`_conv2d_np`)."""
    nd = x.ndim - 2
    if nd == 2:
        return _conv2d_np(x, w, b, stride, pads, dilation, groups, out_hw)
    if nd == 1:
        return _conv2d_np(x[:, :, None], w[:, :, None], b, (1,) + tuple(stride),
                          (0, 0) + tuple(pads), (1,) + tuple(dilation), groups,
                          None if out_hw is None else (1,) + tuple(out_hw))[:, :, 0]
    n, o, kd = x.shape[0], w.shape[0], w.shape[2]
    od = _out_size(x.shape[2], pads[0], pads[1], dilation[0], kd, stride[0])
    if out_hw is not None:
        od = min(od, out_hw[0])
    y = _conv2d_np(_depth_taps(x, kd, stride[0], dilation[0], pads[0], od),
                   w.reshape(o, -1, *w.shape[3:]), b, stride[1:], pads[2:], dilation[1:],
                   groups, None if out_hw is None else out_hw[1:])
    return np.ascontiguousarray(y.reshape(n, od, o, *y.shape[2:]).transpose(0, 2, 1, 3, 4))


def _grads_np(g: np.ndarray, x: np.ndarray | None, w: np.ndarray, x_shape: tuple, stride,
              pads, dilation, groups: int, need_x: bool, need_w: bool,
              need_b: bool = False, full: bool | None = None) -> tuple:
    """(dx, dw, db) of y = conv(x, w) + b for 1 to 3 spatial dims (`_grads2d_np`)."""
    nd = len(x_shape) - 2
    if nd == 2:
        return _grads2d_np(g, x, w, x_shape, stride, pads, dilation, groups, need_x, need_w,
                           need_b, full)
    if nd == 1:
        gx, gw, gb = _grads2d_np(g[:, :, None], None if x is None else x[:, :, None],
                                 w[:, :, None], (*x_shape[:2], 1, x_shape[2]),
                                 (1,) + tuple(stride), (0, 0) + tuple(pads),
                                 (1,) + tuple(dilation), groups, need_x, need_w, need_b, full)
        return (None if gx is None else gx[:, :, 0]), (None if gw is None else gw[:, :, 0]), gb
    n, c = x_shape[:2]
    kd, sd, dd, pf = w.shape[2], stride[0], dilation[0], pads[0]
    od = g.shape[2]
    xs = _depth_taps(x, kd, sd, dd, pf, od) if need_w else None
    ws = w.reshape(w.shape[0], -1, *w.shape[3:])
    gx, gw, gb = _grads2d_np(_g_as_2d(g), xs, ws, (n * od, c * kd) + tuple(x_shape[3:]),
                             stride[1:], pads[2:], dilation[1:], groups, need_x, need_w,
                             need_b, full)
    gx = None if gx is None else _depth_fold(gx, x_shape, kd, sd, dd, pf)
    return gx, (None if gw is None else gw.reshape(w.shape)), gb


# ---------------------------------------------------------------------------------------
# the primitive and its derivatives: y = conv(x, w) is bilinear, dx = conv_input_grad(g, w)
# and dw = conv_weight_grad(g, x) are linear in each argument, and each is differentiated
# with the others. A transposed convolution y = conv_input_grad(x, w).


def _channel_sum(g: Tensor) -> Tensor:
    """A bias's gradient: g summed over every dim but the channels."""
    return g.sum((0,) + tuple(range(2, g.ndim)))


class ConvolutionBackward0(Node):
    """Gradients of a 1-D/2-D/3-D convolution (or transposed convolution) with respect to
    input, weight and bias."""

    def _need(self) -> tuple:
        return tuple(e[0] is not None for e in self.next_functions) + (False,)

    def backward(self, g):
        x, w = self.saved()
        need = self._need()
        geo = self.geo
        if self.transposed:   # y = dx(x, w): dL/dx = conv(g, w), dL/dw = dw(x, g)
            gx = _convolution(g, w, None, *geo, out_hw=x.shape[2:]) if need[0] else None
            gw = _weight_grad(x, g, tuple(w.shape), *geo) if need[1] else None
        else:
            gx = _input_grad(g, w, tuple(x.shape), *geo) if need[0] else None
            gw = _weight_grad(g, x, tuple(w.shape), *geo) if need[1] else None
        gb = _channel_sum(g) if self.has_bias and need[2] else None
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def backward_fast(self, g):
        x, w = self.saved_data()
        need = self._need()
        nb = self.has_bias and need[2]
        if self.transposed:
            gx = _conv_np(g, w, None, *self.geo, out_hw=x.shape[2:]) if need[0] else None
            gw = _grads_np(x, g, w, g.shape, *self.geo, False, True)[1] if need[1] else None
            gb = g.sum((0,) + tuple(range(2, g.ndim))) if nb else None
        else:
            gx, gw, gb = _grads_np(g, x, w, x.shape, *self.geo, need[0], need[1], nb)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvolutionBackwardBackward0(Node):
    """Backward of a convolution's input gradient dx(g, w) (`weight=False`) or of its weight
    gradient dw(g, x) (`weight=True`): both linear in each argument."""

    def backward(self, gg):
        g, other = self.saved()
        need = [e[0] is not None for e in self.next_functions]
        geo = self.geo
        if self.weight:   # dw(g, x): d/dg = conv(x, gg), d/dx = dx(g, gg)
            return (_convolution(other, gg, None, *geo, out_hw=g.shape[2:]) if need[0] else None,
                    _input_grad(g, gg, tuple(other.shape), *geo) if need[1] else None)
        # dx(g, w): d/dg = conv(gg, w), d/dw = dw(g, gg)
        return (_convolution(gg, other, None, *geo, out_hw=g.shape[2:]) if need[0] else None,
                _weight_grad(g, gg, tuple(other.shape), *geo) if need[1] else None)


def _record_grad(out: np.ndarray, a: Tensor, b: Tensor, geo: tuple, weight: bool) -> Tensor:
    if not needs_graph(a, b):
        return _make(out)
    n = ConvolutionBackwardBackward0((a, b))
    n.geo, n.weight = geo, weight
    n.save(a, b)
    return _make(out, n)


def _input_grad(g: Tensor, w: Tensor, x_shape: tuple, stride, pads, dilation,
                groups: int) -> Tensor:
    """dL/dx of a convolution of an input of shape x_shape with w, for its output grad g."""
    out = _grads_np(g._data, None, w._data, x_shape, stride, pads, dilation, groups, True,
                    False)[0]
    return _record_grad(out, g, w, (stride, pads, dilation, groups), False)


def _weight_grad(g: Tensor, x: Tensor, w_shape: tuple, stride, pads, dilation,
                 groups: int) -> Tensor:
    """dL/dw of a convolution of x with a weight of shape w_shape, for its output grad g."""
    wd = np.empty(w_shape, np.result_type(g._data, x._data))   # (only its shape is read)
    out = _grads_np(g._data, x._data, wd, tuple(x.shape), stride, pads, dilation, groups,
                    False, True)[1]
    return _record_grad(out, g, x, (stride, pads, dilation, groups), True)


def _convolution(x: Tensor, w: Tensor, b: Tensor | None, stride: tuple, pads: tuple,
                 dilation: tuple, groups: int, transposed: bool = False,
                 out_shape: tuple | None = None, out_hw: tuple | None = None) -> Tensor:
    """The primitive on (N, C, *spatial) tensors, arguments already checked. A transposed
    convolution's output has `out_shape`; `out_hw` caps a convolution's output size (see
    `_conv2d_np`)."""
    xd, wd = x._data, w._data
    bd = None if b is None else b._data
    geo = (stride, pads, dilation, groups)
    if transposed:
        out = _grads_np(xd, None, wd, out_shape, *geo, True, False)[0]
        if bd is not None:
            out += bd.reshape((-1,) + (1,) * (out.ndim - 2))
    else:
        out = _conv_np(xd, wd, bd, *geo, out_hw=out_hw)
    tensors = (x, w) if b is None else (x, w, b)
    if not needs_graph(*tensors):
        return _make(out)
    n = ConvolutionBackward0(tensors)
    n.geo, n.transposed, n.has_bias = geo, transposed, b is not None
    n.save(x, w)
    return _make(out, n)


# ---------------------------------------------------------------------------------------
# public functions


def _check(x, w: Tensor, b: Tensor | None, nd: int, groups: int, op: str,
           transposed: bool = False) -> None:
    if not isinstance(x, Tensor) or not isinstance(w, Tensor):
        raise TypeError(f"{op}(): argument 'input' and 'weight' must be Tensors, got "
                        f"{type(x).__name__} and {type(w).__name__}")
    if b is not None and not isinstance(b, Tensor):
        raise TypeError(f"{op}(): argument 'bias' must be a Tensor, not {type(b).__name__}")
    if x.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(x.shape)}")
    if w.ndim != nd + 2:
        raise RuntimeError("weight should have at least three dimensions" if w.ndim < 3 else
                           f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional "
                           f"input {list(x.shape)}, but got {w.ndim}-dimensional weight of "
                           f"size {list(w.shape)} instead")
    if x.dtype != w.dtype:
        raise RuntimeError(f"Input type ({x._type_name()}) and weight type ({w._type_name()}) "
                           "should be the same")
    if b is not None and b.dtype != x.dtype:
        raise RuntimeError(f"Input type ({x.dtype._legacy.lower()}) and bias type "
                           f"({b.dtype._legacy.lower()}) should be the same")
    if groups < 1:
        raise RuntimeError("non-positive groups is not supported")
    if w.shape[0] == 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least 1 at "
                           f"dimension 0, but got weight of size {list(w.shape)} instead")
    if w.shape[0] % groups:   # (PyTorch's double brackets)
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w.shape)}] instead")
    if transposed:
        if x.shape[1] != w.shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected "
                               f"input{list(x.shape)} to have {w.shape[0]} channels, but got "
                               f"{x.shape[1]} channels instead")
        out_ch = w.shape[1] * groups
    else:
        if x.shape[1] != w.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, "
                               f"expected input{list(x.shape)} to have {w.shape[1] * groups} "
                               f"channels, but got {x.shape[1]} channels instead")
        out_ch = w.shape[0]
    if b is not None and tuple(b.shape) != (out_ch,):
        raise RuntimeError(f"Given {'transposed=1, ' if transposed else ''}weight of size "
                           f"{list(w.shape)}, expected bias to be 1-dimensional with {out_ch} "
                           f"elements, but got bias of size {list(b.shape)} instead")


def _resolve_padding(padding, k: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """Per spatial dim (lo, hi) padding from an int, a tuple, 'valid' or 'same'."""
    nd = len(k)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            return tuple((d * (kk - 1) // 2, d * (kk - 1) - d * (kk - 1) // 2)
                         for kk, d in zip(k, dilation))
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    p = _tuple(padding, nd, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    return tuple((v, v) for v in p)


def _strides_dilations(stride, dilation, nd: int, op: str) -> tuple:
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    if any(s < 1 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 1 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    return stride, dilation


def _conv(x, weight, bias, stride, padding, dilation, groups, nd: int, op: str) -> Tensor:
    unbatched = isinstance(x, Tensor) and x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    _check(x, weight, bias, nd, groups, op)
    k = tuple(weight.shape[2:])
    stride, dilation = _strides_dilations(stride, dilation, nd, op)
    pad = _resolve_padding(padding, k, stride, dilation, op)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pad))
    eff = tuple(d * (kk - 1) + 1 for d, kk in zip(dilation, k))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           "actual input size")
    out = _convolution(x, weight, bias, stride, sum(pad, ()), dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of input (N, C, H, W) or (C, H, W) with weight
    (out_channels, C/groups, kh, kw); padding is an int, a pair, 'valid' or 'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D cross-correlation of input (N, C, D, H, W) or (C, D, H, W) with weight
    (out_channels, C/groups, kd, kh, kw); padding is an int, a triple, 'valid' or 'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of input (N, C, L) or (C, L) with weight (out, C/groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation,
                    nd: int, op: str) -> Tensor:
    unbatched = isinstance(x, Tensor) and x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    _check(x, weight, bias, nd, groups, op, transposed=True)
    stride, dilation = _strides_dilations(stride, dilation, nd, op)
    if isinstance(padding, str):
        raise RuntimeError(f"{op}(): argument 'padding' must be an int or a tuple of ints, "
                           f"not str ('{padding}')")
    pad = _resolve_padding(padding, tuple(weight.shape[2:]), stride, dilation, op)
    op_ = _tuple(output_padding, nd, "output_padding", op)
    if any(p < 0 for p in op_):
        raise RuntimeError("negative output_padding is not supported")
    if any(p >= s and p >= d for p, s, d in zip(op_, stride, dilation)):
        names = ("depth", "height", "width")[-nd:]
        parts = [f"output_padding_{h}: {p}" for h, p in zip(names, op_)] + \
            [f"stride_{h}: {s}" for h, s in zip(names, stride)] + \
            [f"dilation_{h}: {d}" for h, d in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           f"but got {' '.join(parts)}")
    k = tuple(weight.shape[2:])
    sizes = tuple((i - 1) * s - 2 * p[0] + d * (kk - 1) + o + 1 for i, s, p, d, kk, o in
                  zip(x.shape[2:], stride, pad, dilation, k, op_))
    if any(s <= 0 for s in sizes):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))})"
                           f". Calculated output size per channel: "
                           f"({' x '.join(map(str, sizes))}). Output size is too small")
    out_shape = (x.shape[0], weight.shape[1] * groups) + sizes
    out = _convolution(x, weight, bias, stride, sum(pad, ()), dilation, groups,
                       transposed=True, out_shape=out_shape)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution ("deconvolution", the gradient of conv2d with respect to
    its input) of (N, C_in, H, W) or (C_in, H, W) with weight (C_in, C_out/groups, kh, kw)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution of (N, C_in, L) or (C_in, L) with weight
    (C_in, C_out/groups, k)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution of (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_in, C_out/groups, kd, kh, kw)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, "conv_transpose3d")
