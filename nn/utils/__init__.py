"""nn.utils: gradient clipping, flattening parameters to one vector, weight and spectral
normalisation (hook-based here, as parametrizations in nn.utils.parametrizations)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from autograd.grad_mode import no_grad
from autograd.tensor import Tensor, _make

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "get_total_norm", "clip_grads_with_norm_", "weight_norm",
           "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


def _params(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _sum_squares(d: np.ndarray, chunk: int = 1 << 16) -> float:
    """The sum of the squares of d's elements: float32/float64 as dot products (BLAS) of
    chunks of 65,536 elements, whose sums are added in float64."""
    if d.dtype.kind == "f" and d.dtype.itemsize >= 4:
        flat = d.reshape(-1)
        return sum(float(np.dot(c, c)) for c in (flat[i:i + chunk]
                                                for i in range(0, flat.size, chunk)))
    return float(np.sum(np.abs(d.astype(np.float64)) ** 2))


def get_total_norm(tensors: Iterable[Tensor], norm_type: float | str = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The norm of all the tensors concatenated (as a 0-d tensor)."""
    ts = _params(tensors)
    p = float(norm_type)
    if not ts:
        return _make(np.asarray(0.0, dtype=np.float32))
    dt = np.result_type(*[t._data.dtype for t in ts])
    if math.isinf(p):
        vals = [np.abs(t._data).max() if t._data.size else 0.0 for t in ts]
        total = max(vals) if p > 0 else min(vals)
    elif p == 2:   # each tensor's sum of squares as one dot product (BLAS), summed in float64
        total = math.sqrt(sum(_sum_squares(t._data) for t in ts))
    else:
        total = sum(float(np.sum(np.abs(t._data.astype(np.float64)) ** p)) for t in ts) ** (1 / p)
    total_t = _make(np.asarray(total, dtype=dt))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`")
    return total_t


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)), in place."""
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    coef = float(max_norm) / (float(total_norm.item()) + 1e-6)
    if coef >= 1.0:
        return
    with no_grad(), np.errstate(invalid="ignore", over="ignore"):
        for g in grads:
            g.mul_(coef)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Clip the gradients' total norm (all grads concatenated) to `max_norm`, in place;
    returns the total norm before clipping. `norm_type` may be inf."""
    params = _params(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient to [-clip_value, clip_value], in place (None grads skipped)."""
    v = float(clip_value)
    with no_grad():
        for p in _params(parameters):
            if p.grad is not None:
                p.grad.clamp_(-v, v)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (a copy)."""
    ps = _params(parameters)
    if not ps:
        raise RuntimeError("parameters_to_vector: expected a non-empty iterable of tensors")
    import autograd
    return autograd.cat([p.reshape(-1) for p in ps])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vec` into the parameters' data, in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected autograd.Tensor, but got: {type(vec).__name__}")
    ps = _params(parameters)
    total = sum(p.numel() for p in ps)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: vec of shape {list(vec.shape)} does not "
                           f"hold the {total} values of the parameters")
    i = 0
    data = vec._data
    for p in ps:
        n = p.numel()
        p.data = _make(data[i:i + n].reshape(p.shape).astype(p._data.dtype))
        i += n


from . import (  # noqa: E402,F401
    parametrizations,
    parametrize,
    prune,  # (nn.utils.prune: pruning masks)
    rnn,  # noqa: E402,F401  (nn.utils.rnn: packed and padded sequences)
)
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: E402
from .weight_norm import remove_weight_norm, weight_norm  # noqa: E402
