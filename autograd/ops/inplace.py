"""In-place ops and views: what `x.add_(y)`, `x[i] += v` and `x.view(3, 2).mul_(2)` do to
the graph.

An in-place op computes its result out of place, writes it into the tensor's storage and
bumps the version counter, which a view shares with its base: a node that saved the old
value then raises instead of using the new one. The tensor takes over the op's node.

On a view whose base records a graph, the base's history is rewritten as PyTorch does
(its CopySlices): the base gets a `CopySlices` node that sends the gradient of the view's
region through the op's rule and the rest to the base's previous node; the view, and
every other view of the base in use, becomes `AsStridedBackward0` of the base, so its
gradient reaches the base through the op. A view is located in its base by the flat
positions of its elements (`_view_index`), whatever chain of views made it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
from numpy.lib.array_utils import byte_bounds
from numpy.lib.stride_tricks import as_strided

from .. import dtypes, grad_mode
from ..function import Node, _edge
from ..tensor import Tensor, _make

_grad_enabled = grad_mode._grad_enabled

_INPLACE_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
_INPLACE_VIEW_LEAF = ("a view of a leaf Variable that requires grad is being used in an "
                      "in-place operation.")
_NOGRAD_VIEW = (
    "A view was created in no_grad mode and is being modified inplace with grad mode "
    "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can "
    "clarify your code by moving both the view and the inplace either both inside the no_grad "
    "block (if you don't want the inplace to be tracked) or both outside (if you want the "
    "inplace to be tracked).")


def inplace(op: Callable) -> Callable:
    """The in-place variant `op_` of `op`: computed out of place, then written into self."""
    def op_(self, *args, **kwargs):
        _check_inplace(self)
        src = self
        if _grad_enabled() and (self._rg or any(isinstance(a, Tensor) and a._rg
                                                for a in args)):
            src = _alias_for_inplace(self)
        return _inplace_from(self, op(src, *args, **kwargs))

    op_.__name__ = op.__name__ + "_"
    return op_


def _check_inplace(self: Tensor) -> None:
    """Raise PyTorch's error for an in-place op that autograd cannot allow."""
    if self._extra is not None and self._extra.get("inference") and \
            not grad_mode._inference.get():
        raise RuntimeError(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You "
            "can make a clone to get a normal tensor before doing inplace update.See "
            "https://github.com/pytorch/rfcs/pull/17 for more details.")
    if not _grad_enabled():
        return
    if self._rg and self.grad_fn is None:
        raise RuntimeError(_INPLACE_VIEW_LEAF if self._base is not None else _INPLACE_LEAF)
    base = self._base
    if base is None:
        return
    if base._rg and base.grad_fn is None:
        raise RuntimeError(_INPLACE_VIEW_LEAF)
    extra = self._extra or {}
    if extra.get("nograd_view") and base._rg:
        raise RuntimeError(_NOGRAD_VIEW)
    if extra.get("multi_view") and (base._rg or self._rg):
        name, i = extra["multi_view"]
        raise RuntimeError(
            f"Output {i} of {name} is a view and is being modified inplace. This view is the "
            "output of a function that returns multiple views. Such functions do not allow the "
            "output views to be modified inplace. You should replace the inplace operation by "
            "an out-of-place one.")


def _alias_for_inplace(self: Tensor) -> Tensor:
    """A stand-in for self's value before an in-place op (same node, same storage)."""
    t = _make(self._data, self.grad_fn)
    t._rg, t._vc, t._out_nr, t._accum = self._rg, self._vc, self._out_nr, self._accum
    return t


def _inplace_from(self: Tensor, result: Tensor) -> Tensor:
    """Finish an in-place op: write `result` into self's storage and take over its node
    (through CopySlices on the base when self is a view of a tensor in a graph)."""
    data, rdata = self._data, result._data
    if data.shape != rdata.shape:
        raise RuntimeError(f"output with shape {list(data.shape)} doesn't match the "
                           f"broadcast shape {list(rdata.shape)}")
    if data.dtype != rdata.dtype and not (np.can_cast(rdata.dtype, data.dtype, "same_kind")
                                          or rdata.dtype.kind == "b"):
        raise RuntimeError(f"result type {dtypes.from_np(rdata.dtype)._legacy} can't be cast "
                           f"to the desired output type {self.dtype._legacy}")
    if not data.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers "
            "to a single memory location. Please clone() the tensor before performing the "
            "operation.")
    fn = result.grad_fn
    if fn is not None and fn._saved:
        _snapshot_inputs(fn, data)
    base = self._base
    rewrite = fn is not None and base is not None
    if rewrite:   # where the view sits in its base, before anything moves
        idx, old_edge = _view_index(base._data, data), _edge(base)
    np.copyto(data, rdata, casting="unsafe")
    self._vc[0] += 1
    if fn is None:
        return self
    if fn._out is not None:   # the node saved its output: that is now self's storage
        fn._out = (data, self._vc, self._vc[0], 0)
    if rewrite:
        cs = CopySlices((base,))
        cs.next_functions = (old_edge,) + fn.next_functions[1:]
        cs.fn, cs.idx = fn, idx
        cs.out_shape, cs.out_dtype = base._data.shape, base._data.dtype
        base.grad_fn, base._rg, base._out_nr = cs, True, 0
        _as_view_of(self, base, idx)
        _regenerate_views(base, self)
    else:
        self.grad_fn, self._rg, self._out_nr = fn, True, 0
        _regenerate_views(self, None)
    return self


def _snapshot_inputs(fn: Node, data: np.ndarray) -> None:
    """The op's rule saved self's old value, which is about to be overwritten: keep a copy."""
    saved, versions = list(fn._saved), list(fn._versions)
    for i, t in enumerate(saved[:len(versions)]):   # the inputs (not the output)
        if t._data is data:
            snap = _make(data.copy(), t.grad_fn)
            snap._rg, snap._out_nr, snap._accum = t._rg, t._out_nr, t._accum
            saved[i], versions[i] = snap, 0
    fn._saved, fn._versions = tuple(saved), tuple(versions)


# ---- views -----------------------------------------------------------------------------


def _track_view(view: Tensor, of: Tensor) -> None:
    """`view` shares `of`'s storage: it shares its version counter and remembers the base
    (the tensor that is not itself a view), which lists its views (weakly) so that an
    in-place change of the base can rewrite their history. (A leaf that requires grad
    cannot change in place while recording: it keeps no list.)"""
    base = of._base if of._base is not None else of
    view._vc, view._base = of._vc, base
    if base._rg and not _grad_enabled():
        view._extra = dict(view._extra or {}, nograd_view=True)
    if base._rg and base.grad_fn is None:
        return
    views = base._views
    if views is None:
        views = base._views = []
    elif len(views) >= 16 and not len(views) & (len(views) - 1):   # now and then: drop the dead
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(view))


def _view_index(base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """The flat (C-order) positions in `base` of the elements of `view`, which lies in
    base's memory: computed by laying the positions out in a buffer shaped like that
    memory and reading them back through the view's strides."""
    lo, hi = byte_bounds(base)
    size = base.itemsize
    span = np.full(max(hi - lo, 0) // size, -1, np.int64)

    def placed(a: np.ndarray) -> np.ndarray:
        start = (a.__array_interface__["data"][0] - lo) // size
        return as_strided(span[start:], a.shape, [s // size * 8 for s in a.strides])

    if base.size:
        placed(base)[...] = np.arange(base.size).reshape(base.shape)
    return placed(view).copy() if view.size else np.zeros(view.shape, np.int64)


def _scatter(g: Tensor, idx: np.ndarray, shape: tuple) -> Tensor:
    """A tensor of `shape` that holds g at the flat positions idx, zeros elsewhere."""
    flat = _make(np.zeros(int(np.prod(shape)), g._data.dtype))
    return flat.index_put((_make(idx),), g, accumulate=True).reshape(shape)


class AsStridedBackward0(Node):
    """A strided view of its input's memory: its gradient goes to its places (`idx`) in a
    buffer of `base_shape`, which is the input's gradient (a view whose base was changed
    in place after the view was taken), or, for `as_strided`, is read back where the input
    lies in it (`read`), divided by how often the input reads each place (`count`)."""

    read = count = None

    def backward(self, g):
        gb = _scatter(g, self.idx, self.base_shape)
        if self.read is None:
            return (gb,)
        gx = gb[_make(self.read)]
        return (gx if self.count is None else gx / _make(self.count.astype(gx._data.dtype)),)


class CopySlices(Node):
    """The base of a view that an op `fn` changed in place: the region's gradient goes
    through fn's rule (its first input was the view's old value, which lives in the
    base's old value), the rest to the base's previous node; fn's other inputs get theirs.
    next_functions: (the base's previous node, fn's other inputs...)."""

    def backward(self, g):
        idx = _make(self.idx)
        gv = g.reshape(-1)[idx]
        res = self.fn.backward(gv)
        back = res[0] - gv if res and res[0] is not None else -gv
        return (g + _scatter(back, self.idx, g.shape),) + tuple(res[1:])


def _as_view_of(w: Tensor, base: Tensor, idx: np.ndarray) -> None:
    """Make view w's node AsStridedBackward0 of its base's current node."""
    n = AsStridedBackward0((base,))
    n.idx, n.base_shape = idx, base._data.shape
    n.out_shape, n.out_dtype = w._data.shape, w._data.dtype
    w.grad_fn, w._rg, w._out_nr = n, True, 0


def _regenerate_views(base: Tensor, done: Tensor | None) -> None:
    """After base changed in place, each of its other live views becomes
    AsStridedBackward0 of the base's new node."""
    if base._views is None or base.grad_fn is None:
        return
    live = []
    for ref in base._views:
        w = ref()
        if w is None or w._base is not base:
            continue
        live.append(ref)
        if w is not done:
            _as_view_of(w, base, _view_index(base._data, w._data))
    base._views = live


# in-place helpers that op modules outside autograd.ops (nn.functional) call on tensors
Tensor._check_inplace = _check_inplace
Tensor._alias_for_inplace = _alias_for_inplace
Tensor._inplace_from = _inplace_from
