"""Losses (nn.functional), with PyTorch's formulas, reductions and error texts.

cross_entropy (class-index targets), nll_loss, mse_loss and binary_cross_entropy are
primitives: one numpy pass forward, and a node whose rule is written in Tensor ops (so
it differentiates again) with a numpy fast path for plain backward.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

import autograd
from autograd import dtypes
from autograd.function import Node
from autograd.ops.base import derivative, needs_graph, record, shape_mismatch, to_tensor
from autograd.ops.reduction import LogSoftmax
from autograd.tensor import Tensor, _make

from .activation import logsigmoid

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "one_hot"]


# ---- reductions ----------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", UserWarning, stacklevel=4)
    return ret


def _reduction(reduction: str, size_average=None, reduce=None, extra: tuple = ()) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum") + extra:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _pair(input, target, name: str, warn: bool = True) -> tuple[Tensor, Tensor]:
    """Input and target as tensors of one floating dtype; warns when they broadcast."""
    x, y = to_tensor(input, "input"), to_tensor(target, "target")
    if warn and x.shape != y.shape:
        warnings.warn(f"Using a target size ({y.shape}) that is different to the input size "
                      f"({x.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
    rt = dtypes.result_type(x, y)
    if rt.category != dtypes._FLOAT:
        rt = dtypes._DEFAULT[0]
    if x.dtype is not rt:
        x = x.to(rt)
    if y.dtype is not rt:
        y = y.to(rt)
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise shape_mismatch(name, x._data, y._data) from None
    return x, y


# ---- MSE -------------------------------------------------------------------------------------
class MseLossBackward0(Node):
    """d/dx = 2 (x - y) g (/ numel for 'mean'); d/dy = -d/dx. One rule, run on arrays
    when no graph is recorded (`arith`) and on Tensors under create_graph."""

    arith = True

    def _rule(self, g, x, y):
        gx = (g * (2.0 / self.count) if self.reduction == "mean" else g * 2.0) * (x - y)
        return (gx if self.need[0] else None, -gx if self.need[1] else None)

    def backward(self, g):
        return self._rule(g, *self.saved())

    def backward_fast(self, g):
        return self._rule(g, *self.saved_data())


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean (or sum, or elementwise) squared error (x - y)^2."""
    reduction = _reduction(reduction, size_average, reduce)
    x, y = _pair(input, target, "mse_loss")
    if weight is not None:
        return _reduce((x - y) ** 2 * weight, reduction)
    d = x._data - y._data
    sq = d * d
    out = sq if reduction == "none" else (sq.mean() if reduction == "mean" else sq.sum())
    out = np.asarray(out, dtype=sq.dtype)
    if not needs_graph(x, y):
        return _make(out)
    n = MseLossBackward0((x, y))
    n.reduction, n.count, n.need = reduction, sq.size, (x._rg, y._rg)
    n.save(x, y)
    return _make(out, n)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean (or sum, or elementwise) absolute error |x - y|."""
    reduction = _reduction(reduction, size_average, reduce)
    x, y = _pair(input, target, "l1_loss")
    loss = (x - y).abs()
    return _reduce(loss if weight is None else loss * weight, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta * (|d| - 0.5 delta), with d = x - y."""
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, y = _pair(input, target, "huber_loss")
    d = x - y
    ad = d.abs()
    loss = autograd.where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (the L1 loss when beta=0)."""
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, y = _pair(input, target, "smooth_l1_loss")
    d = x - y
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    loss = autograd.where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return _reduce(loss, reduction)


# ---- class-index targets: shared checks ------------------------------------------------------
_TARGET_DTYPES = (np.dtype(np.int64), np.dtype(np.uint8))


class _ClassTarget:
    """Validated class-index target, flattened to M rows of C classes (class dim last)."""

    def __init__(self, x: Tensor, target, weight, ignore_index: int, name: str) -> None:
        t = to_tensor(target, "target")
        xd, td = x._data, t._data
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"{name}: expected a floating-point input, got {x.dtype}")
        if xd.ndim == 0:
            raise ValueError(f"{name}: expected input with at least 1 dimension (C) or "
                             "(N, C, ...), got a 0-d tensor")
        if td.dtype not in _TARGET_DTYPES:
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                               f"{t.dtype._legacy}")
        xs, ts = x._data.shape, t._data.shape
        if xd.ndim == 1:
            if t._data.size != 1 or td.ndim > 1:
                raise RuntimeError(f"{name}: expected a 0-d target for a 1-d input of shape "
                                   f"{list(xs)}, got target of shape {list(ts)}")
            self.C = xs[0]
        else:
            n = xs[0]
            if td.ndim == 0 or ts[0] != n:
                raise ValueError(f"Expected input batch_size ({n}) to match target batch_size "
                                 f"({ts[0] if td.ndim else 0}).")
            if xd.ndim == 2 and td.ndim != 1:
                raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
            expect = (n,) + xs[2:]
            if ts != expect:
                raise RuntimeError(f"Expected target size {list(expect)}, got {list(ts)}")
            self.C = xs[1]
        C = self.C
        self.target_shape, self.dtype = ts, x._data.dtype
        tf = t._data.reshape(-1).astype(np.int64, copy=False)
        self.M = tf.size
        self.plain = False   # every target valid, no class weights (the common case)
        if weight is None and (not tf.size or np.maximum.reduce(tf.view(np.uint64)) < C) and \
                (not 0 <= ignore_index < C or not (tf == ignore_index).any()):   # (negatives wrap)
            self.tsafe, self.all_valid, self.w, self.plain = tf, True, None, True
            return   # valid and wt are made if asked for
        valid = tf != ignore_index
        all_valid = bool(valid.all())
        tsafe = tf if all_valid else np.where(valid, tf, 0)
        bad = (tsafe < 0) | (tsafe >= C)
        if bad.any():
            raise IndexError(f"Target {int(tsafe[bad][0])} is out of bounds.")
        dt = self.dtype
        self.w = None
        if weight is not None:
            w = to_tensor(weight, "weight")
            if w.shape != (C,):
                raise RuntimeError(f"weight tensor should be defined either for all {C} classes "
                                   f"or no classes but got weight tensor of shape: "
                                   f"{list(w.shape)}")
            self.w = w._data.astype(dt, copy=False)
            wt = self.w[tsafe]
            if not all_valid:
                wt = wt * valid
        else:
            wt = valid.astype(dt)
        self.tsafe, self.valid, self.wt, self.all_valid = tsafe, valid, wt, all_valid

    @functools.cached_property
    def row_index(self) -> np.ndarray:   # 0 .. M-1: with tsafe, the targets' places
        return np.arange(self.M)

    @functools.cached_property
    def valid(self) -> np.ndarray:   # (the plain case only: otherwise set in __init__)
        return np.ones(self.M, bool)

    @functools.cached_property
    def wt(self) -> np.ndarray:   # per-row weight: 1 in the plain case
        return np.ones(self.M, self.dtype)

    def rows(self, d: np.ndarray) -> np.ndarray:
        """Input data laid out as (M, C)."""
        if d.ndim == 1:
            return d.reshape(1, -1)
        if d.ndim == 2:
            return d
        return np.moveaxis(d, 1, -1).reshape(-1, self.C)

    def unrows(self, g, shape: tuple):
        """(M, C) gradient (array or Tensor) back to the input's layout."""
        if len(shape) <= 2:
            return g.reshape(shape)
        moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
        g = g.reshape(moved)
        if isinstance(g, Tensor):
            return g.movedim(-1, 1)
        return np.moveaxis(g, -1, 1)

    def onehot(self, dtype) -> np.ndarray:
        oh = np.zeros((self.M, self.C), dtype=dtype)
        oh[self.row_index, self.tsafe] = 1
        return oh


def _finish(loss_rows: np.ndarray, ct: _ClassTarget, reduction: str):
    """Reduce per-row losses; returns (output array, denominator for 'mean')."""
    if reduction == "none":
        return loss_rows.reshape(ct.target_shape), 1.0
    total = loss_rows.sum()
    if reduction == "sum":
        return np.asarray(total, dtype=loss_rows.dtype), 1.0
    if ct.plain and ct.M:
        return np.asarray(total / ct.M, dtype=loss_rows.dtype), ct.M
    denom = ct.wt.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / denom, dtype=loss_rows.dtype), denom


def _row_grad(g, reduction: str, denom, tensor: bool):
    """The upstream gradient as a per-row column (M, 1) or a scalar."""
    if reduction == "none":
        return g.reshape(-1, 1)
    if reduction == "mean":
        return g / denom if tensor else g / np.asarray(denom, dtype=g.dtype)
    return g


# ---- cross entropy ---------------------------------------------------------------------------
def _cross_entropy_probs(x: Tensor, target: Tensor, weight, reduction: str,
                         eps: float) -> Tensor:
    cdim = 0 if x.ndim == 1 else 1
    C = x.shape[cdim]
    lsm = x.log_softmax(cdim)
    if eps:
        target = target * (1.0 - eps) + eps / C
    prod = lsm * target
    if weight is not None:
        w = to_tensor(weight, "weight")
        if w.shape != (C,):
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or "
                               f"no classes but got weight tensor of shape: {list(w.shape)}")
        prod = prod * w.reshape((C,) + (1,) * (x.ndim - cdim - 1))
    loss = -prod.sum(cdim)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / max(1, x.numel() // C) if x.numel() else loss.sum() / 0.0


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits (C,), (N, C) or (N, C, d1, ...) against class indices
    (int64) or class probabilities (float, same shape as input); `weight` per class,
    `ignore_index`, `label_smoothing` and 'mean' = sum / sum of target weights."""
    reduction = _reduction(reduction, size_average, reduce)
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {eps}")
    x = to_tensor(input, "input")
    t = to_tensor(target, "target")
    if t._data.dtype.kind == "f" and t._data.shape == x._data.shape and x._data.ndim >= 1:
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"cross_entropy: expected a floating-point input, got {x.dtype}")
        if t.dtype is not x.dtype:
            t = t.to(x.dtype)
        return _cross_entropy_probs(x, t, weight, reduction, eps)
    ct = _ClassTarget(x, t, weight, ignore_index, "cross_entropy")
    if ct.plain and not eps and reduction == "mean" and x._data.ndim == 2 and \
            0 < ct.C < 32 <= ct.M and x._data.itemsize >= 4:
        loss = _cross_entropy_few_classes(x, ct)
        if loss is not None:
            return loss
    logp = x.log_softmax(0 if x._data.ndim == 1 else 1)   # LogSoftmaxBackward0
    loss = _nll(logp, ct, reduction)                       # NllLossBackward0, as PyTorch
    if not eps:
        return loss
    # label smoothing: the mean over classes of the (weighted) log-probabilities
    rows = logp if x._data.ndim <= 2 else logp.movedim(1, -1)
    w = None if ct.w is None else _make(ct.w)
    smooth = -(rows.sum(-1) if w is None else (rows * w).sum(-1)) / ct.C
    smooth = smooth * _make(ct.valid.reshape(ct.target_shape).astype(x._data.dtype))
    if reduction == "mean":
        denom = ct.wt.sum() if not ct.plain else ct.M
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return loss * (1.0 - eps) + smooth * eps


def _cross_entropy_few_classes(x: Tensor, ct: _ClassTarget) -> Tensor | None:
    """A classifier's usual loss: (N, C) logits of few classes, valid targets, no weights
    or smoothing, 'mean'. numpy reduces short rows slowly, so the log-softmax is computed
    on the transposed (C, N) copy (C vectorized steps) and the loss picked from it, in one
    pass; the graph is PyTorch's, NllLossBackward0 over LogSoftmaxBackward0. None when a
    row's max is not finite (inf, NaN, all -inf: the general path's NaN rows)."""
    xt = np.ascontiguousarray(x._data.T)
    mx = np.maximum.reduce(xt, axis=0)
    if not np.isfinite(mx).all():
        return None
    s = np.subtract(xt, mx, out=xt)
    np.subtract(s, np.log(np.add.reduce(np.exp(s), axis=0)), out=s)   # log-softmax, (C, N)
    M = ct.M
    total = np.add.reduce(s.reshape(-1)[ct.tsafe * M + ct.row_index])
    logp = record(LogSoftmax, np.ascontiguousarray(s.T), (x,), dim=1)   # (N, C) as PyTorch's
    return _nll_node(logp, np.asarray(-total / M, dtype=s.dtype), ct, "mean", M)


# ---- NLL -------------------------------------------------------------------------------------
class NllLossBackward0(Node):
    """d/dx = -w[t] * onehot(t) * g (per row; / the weights' sum for 'mean'): linear in g,
    constant in x. One rule for arrays and Tensors."""

    arith = True

    def _rule(self, g, tensor: bool):
        ct = self.ct
        if ct.plain and self.reduction == "mean" and not tensor:   # -onehot * g / M
            grad = np.zeros((ct.M, ct.C), self.in_dtype, order="F" if self.in_f else "C")  # (as x)
            grad[ct.row_index, ct.tsafe] = -g / np.asarray(self.denom, dtype=g.dtype)
            return (ct.unrows(grad, self.in_shape),)
        b = ct.onehot(self.in_dtype) * -ct.wt[:, None].astype(self.in_dtype, copy=False)
        grad = (_make(b) if tensor else b) * _row_grad(g, self.reduction, self.denom, tensor)
        return (ct.unrows(grad, self.in_shape),)

    def backward_fast(self, g):
        return self._rule(g, tensor=False)

    def backward(self, g):
        return self._rule(g, tensor=True)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (C,), (N, C) or (N, C, d1, ...):
    -w[t] * input[t]; 'mean' divides by the sum of the target weights."""
    reduction = _reduction(reduction, size_average, reduce)
    x = to_tensor(input, "input")
    return _nll(x, _ClassTarget(x, target, weight, ignore_index, "nll_loss"), reduction)


def _nll(x: Tensor, ct: _ClassTarget, reduction: str) -> Tensor:
    picked = ct.rows(x._data)[ct.row_index, ct.tsafe]
    if ct.plain and reduction == "mean" and ct.M:
        out, denom = np.asarray(-np.add.reduce(picked) / ct.M, dtype=x._data.dtype), ct.M
    else:
        out, denom = _finish((picked * -ct.wt).astype(x._data.dtype, copy=False), ct, reduction)
    return _nll_node(x, out, ct, reduction, denom)


def _nll_node(x: Tensor, out: np.ndarray, ct: _ClassTarget, reduction: str, denom) -> Tensor:
    if not needs_graph(x):
        return _make(out)
    n = NllLossBackward0((x,))
    n.ct, n.reduction, n.denom = ct, reduction, denom
    n.in_shape, n.in_dtype = tuple(x.shape), x._data.dtype
    n.in_f = x._data.ndim == 2 and not x._data.flags.c_contiguous and x._data.flags.f_contiguous
    return _make(out, n)


# ---- binary cross entropy --------------------------------------------------------------------
class BinaryCrossEntropyBackward0(Node):
    """d/dp = w (p - y) / max(p (1 - p), 1e-12) g;  d/dy = w (log(1-p) - log p) g (clamped)."""

    def backward(self, g):
        x, y = self.saved()[:2]
        w = self._saved[2] if self.has_weight else None
        if self.reduction == "mean":
            g = g / self.count
        if w is not None:
            g = g * w
        gx = gy = None
        if self.need[0]:
            gx = g * (x - y) / ((1.0 - x) * x).clamp(min=1e-12)
        if self.need[1]:
            gy = g * ((1.0 - x).log().clamp(min=-100.0) - x.log().clamp(min=-100.0))
        return (gx, gy) if not self.has_weight else (gx, gy, None)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-w (y log p + (1 - y) log(1 - p)), each log clamped to >= -100."""
    reduction = _reduction(reduction, size_average, reduce)
    x, y = to_tensor(input, "input"), to_tensor(target, "target")
    if y.shape != x.shape:
        raise ValueError(f"Using a target size ({y.shape}) that is different to the input size "
                         f"({x.shape}) is deprecated. Please ensure they have the same size.")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"binary_cross_entropy: expected a floating-point input, got "
                           f"{x.dtype}")
    if y.dtype is not x.dtype:
        raise RuntimeError(f"Found dtype {y.dtype._legacy} but expected {x.dtype._legacy}")
    p, t = x._data, y._data
    if ((p < 0) | (p > 1)).any() or np.isnan(p).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        lp = np.maximum(np.log(p), -100.0)
        l1p = np.maximum(np.log1p(-p), -100.0)
    loss = -(t * lp + (1 - t) * l1p)
    w = None
    if weight is not None:
        w = to_tensor(weight, "weight")
        loss = loss * w._data
    loss = np.asarray(loss, dtype=p.dtype)
    out = loss if reduction == "none" else (loss.mean() if reduction == "mean" else loss.sum())
    out = np.asarray(out, dtype=p.dtype)
    if not needs_graph(x, y):
        return _make(out)
    n = BinaryCrossEntropyBackward0((x, y) if w is None else (x, y, w))
    n.has_weight, n.reduction, n.count, n.need = w is not None, reduction, loss.size, \
        (x._rg, y._rg)
    if w is None:
        n.save(x, y)
    else:
        n.save(x, y, w)
    return _make(out, n)


def _bce_logits_backward(g, x, y, weight=None, pos_weight=None, reduction="mean"):
    """d/dz of (1 - y) z + lw softplus(-z), lw = 1 + (pos_weight - 1) y, times the weight:
    w ((1 - y) - lw (1 - sigmoid(z))); the target, weight and pos_weight get theirs too."""
    if reduction == "mean":
        g = g / max(x.numel(), 1)
    sp = -logsigmoid(x)   # softplus(-z), stably
    lw, dy = 1.0, -x
    if pos_weight is not None:
        lw = (pos_weight - 1) * y + 1
        dy = dy + (pos_weight - 1) * sp
    w = 1.0 if weight is None else weight
    gw = None if weight is None else g * ((1 - y) * x + lw * sp)
    gpw = None if pos_weight is None else g * w * y * sp
    grads = (g * w * ((1 - y) - lw * (1 - x.sigmoid())), g * w * dy)
    return grads + ((gw,) if weight is not None else ()) + \
        ((gpw,) if pos_weight is not None else ())


BinaryCrossEntropyWithLogits = derivative("BinaryCrossEntropyWithLogitsBackward0",
                                          _bce_logits_backward)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """-(pos_weight y log sigmoid(z) + (1 - y) log sigmoid(-z)), in the stable form
    (1 - y) z + (1 + (pos_weight - 1) y) softplus(-z); one node, as PyTorch."""
    reduction = _reduction(reduction, size_average, reduce)
    x, y = to_tensor(input, "input"), to_tensor(target, "target")
    if y.shape != x.shape:
        raise ValueError(f"Target size ({y.shape}) must be the same as input size ({x.shape})")
    x, y = _pair(x, y, "binary_cross_entropy_with_logits", warn=False)
    z, t = x._data, y._data
    w = None if weight is None else to_tensor(weight, "weight").to(x.dtype)
    pw = None if pos_weight is None else to_tensor(pos_weight, "pos_weight").to(x.dtype)
    with np.errstate(over="ignore"):
        loss = (1 - t) * z + (1 if pw is None else (pw._data - 1) * t + 1) * np.logaddexp(0, -z)
    if w is not None:
        loss = loss * w._data
    loss = np.asarray(loss, dtype=z.dtype)
    out = loss if reduction == "none" else loss.mean() if reduction == "mean" else loss.sum()
    inputs = (x, y) + ((w,) if w is not None else ()) + ((pw,) if pw is not None else ())
    return record(BinaryCrossEntropyWithLogits, np.asarray(out, dtype=z.dtype), inputs, x=x,
                  y=y, weight=w, pos_weight=pw, reduction=reduction)


# ---- KL divergence ---------------------------------------------------------------------------
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target * (log target - input) with input = log-probabilities (0 where target = 0);
    `log_target=True` takes log-probability targets. 'batchmean' divides by the batch size."""
    reduction = _reduction(reduction, size_average, reduce, extra=("batchmean",))
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    x, y = _pair(input, target, "kl_div", warn=False)
    if log_target:
        loss = y.exp() * (y - x)
    else:
        pos = y > 0
        logy = autograd.where(pos, y, 1.0).log()
        loss = y * logy - y * x
    if reduction == "batchmean":
        s = loss.sum()
        return s / x.shape[0] if x.ndim else s
    return _reduce(loss, reduction)


# ---- one_hot ---------------------------------------------------------------------------------
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a trailing dimension of `num_classes` (max + 1 if -1)."""
    t = to_tensor(tensor, "tensor")
    if t._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    d = t._data
    if d.size and d.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if d.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(d.max()) + 1
    elif d.size and d.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(d.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, d[..., None], 1, axis=-1)
    return _make(out)
