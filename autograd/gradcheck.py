"""Check gradients against finite differences: `gradcheck` and `gradgradcheck`.

Numerical Jacobians come from central differences, analytical ones from one vector-Jacobian
product per output element; they must agree to |a - n| <= atol + rtol * |n| (PyTorch's
defaults). A failure shows both Jacobians and the worst entry. `fast_mode=True` checks a
random projection v' J u instead (two function evaluations at any input size).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from . import grad_mode
from .gradients import grad as _grad
from .tensor import Tensor, _make

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _outputs(fn: Callable, inputs: tuple) -> tuple:
    out = fn(*inputs)
    return _as_tuple(out) if isinstance(out, (Tensor, tuple, list)) else (out,)


def _diff_inputs(inputs: tuple) -> list:
    idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for i in idx:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex.", UserWarning,
                          stacklevel=3)
    return idx


def _perturbed_outputs(fn, inputs: tuple, diff: list, h: float, who: str = "gradcheck"):
    """For each element j of each differentiable input k (index kk in `diff`), yield
    (kk, j, outputs at x + h, outputs at x - h), perturbing the input in place."""
    for kk, k in enumerate(diff):
        flat = inputs[k]._data.reshape(-1)  # a view: perturb in place
        if flat.size and not np.shares_memory(flat, inputs[k]._data):
            raise RuntimeError(f"{who}: inputs must be contiguous tensors")
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + h
            plus = [o._data.astype(np.float64) for o in _outputs(fn, inputs)
                    if isinstance(o, Tensor)]
            flat[j] = orig - h
            minus = [o._data.astype(np.float64) for o in _outputs(fn, inputs)
                     if isinstance(o, Tensor)]
            flat[j] = orig
            yield kk, j, plus, minus


def _numerical_jacobians(fn, inputs: tuple, diff: list, eps: float) -> list:
    """J[o][k] has shape (input k numel, output o numel), by central differences."""
    with grad_mode.no_grad():
        outs = [o._data for o in _outputs(fn, inputs) if isinstance(o, Tensor)]
        jac = [[np.zeros((inputs[k]._data.size, o.size)) for k in diff] for o in outs]
        for kk, j, plus, minus in _perturbed_outputs(fn, inputs, diff, eps):
            for o in range(len(outs)):
                jac[o][kk][j] = ((plus[o] - minus[o]) / (2 * eps)).reshape(-1)
    return jac


def _analytical_jacobians(fn, inputs: tuple, diff: list) -> tuple[list, list]:
    """One VJP per output element; also a second pass to check reentrancy."""
    outs = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor)]
    targets = [inputs[k] for k in diff]
    jac = [[np.zeros((inputs[k]._data.size, o._data.size)) for k in diff] for o in outs]
    again = [[np.zeros_like(j) for j in row] for row in jac]
    for oi, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for j in range(o._data.size):
            onehot = np.zeros(o._data.size, o._data.dtype)
            onehot[j] = 1
            go = _make(onehot.reshape(o._data.shape))
            for store in (jac, again):
                gs = _grad(o, targets, go, retain_graph=True, allow_unused=True)
                for kk, g in enumerate(gs):
                    if g is None:
                        continue
                    if g._data.shape != targets[kk]._data.shape:
                        raise GradcheckError(f"Analytical gradient has incorrect size: got "
                                             f"{list(g._data.shape)}, expected "
                                             f"{list(targets[kk]._data.shape)}")
                    store[oi][kk][:, j] = g._data.reshape(-1)
    return jac, again


def _fmt(m: np.ndarray) -> str:
    return repr(_make(np.asarray(m, dtype=np.float64)))


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _index(flat: int, shape: tuple) -> str:
    return str(tuple(int(i) for i in np.unravel_index(flat, shape))) if shape else "()"


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              fast_mode: bool = False, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_backward_ad: bool = True, masked=None) -> bool:
    """True if `func`'s analytical gradients match finite differences at `inputs`.

    Otherwise raise `GradcheckError` (or return False with `raise_exception=False`) showing
    both Jacobians (rows: input elements, columns: output elements) and the worst entry.
    """
    inputs = _as_tuple(inputs)
    diff = _diff_inputs(inputs)
    if fast_mode:
        return _fast_check(func, inputs, diff, eps, atol, rtol, raise_exception)
    numerical = _numerical_jacobians(func, inputs, diff, eps)
    analytical, again = _analytical_jacobians(func, inputs, diff)
    out_shapes = [tuple(o._data.shape) for o in _outputs(func, inputs) if isinstance(o, Tensor)]
    for oi in range(len(numerical)):
        for kk, k in enumerate(diff):
            n, a = numerical[oi][kk], analytical[oi][kk]
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                err = np.abs(a - n)
                w = np.unravel_index(np.nanargmax(np.where(np.isnan(err), np.inf, err)), err.shape)
                return _fail(
                    f"Jacobian mismatch for output {oi} with respect to input {k},\n"
                    f"numerical:{_fmt(n)}\nanalytical:{_fmt(a)}\n"
                    f"The worst entry is d(output {oi})[{_index(w[1], out_shapes[oi])}] / "
                    f"d(input {k})[{_index(w[0], tuple(inputs[k]._data.shape))}]: numerical "
                    f"{n[w]:.6g}, analytical {a[w]:.6g}, absolute difference {err[w]:.3g} "
                    f"(allowed {atol + rtol * abs(n[w]):.3g}).", raise_exception)
            if np.max(np.abs(analytical[oi][kk] - again[oi][kk]), initial=0) > nondet_tol:
                return _fail("Backward is not reentrant, i.e., running backward with same input "
                             "and grad_output multiple times gives different values, although "
                             "analytical gradient matches numerical gradient.The tolerance for "
                             f"nondeterminism was {nondet_tol}.", raise_exception)
    return True


def _fast_check(func, inputs, diff, eps, atol, rtol, raise_exception) -> bool:
    """For every (output o, input k): v_o' J_ok u_k by a directional central difference
    (two evaluations per input) against <J_ok' v_o, u_k> (one backward per output)."""
    rng = np.random.default_rng(0)
    us = {k: rng.standard_normal(inputs[k]._data.shape) for k in diff}
    outs = [o for o in _outputs(func, inputs) if isinstance(o, Tensor)]
    vs = [rng.standard_normal(o._data.shape) for o in outs]
    numerical = np.zeros((len(outs), len(diff)))
    with grad_mode.no_grad():
        for kk, k in enumerate(diff):
            saved = inputs[k]._data.copy()
            inputs[k]._data += eps * us[k]
            plus = [o._data.astype(np.float64) for o in _outputs(func, inputs)
                    if isinstance(o, Tensor)]
            inputs[k]._data[...] = saved - eps * us[k]
            minus = [o._data.astype(np.float64) for o in _outputs(func, inputs)
                     if isinstance(o, Tensor)]
            inputs[k]._data[...] = saved
            for oi in range(len(outs)):
                numerical[oi, kk] = np.sum((plus[oi] - minus[oi]) / (2 * eps) * vs[oi])
    analytical = np.zeros_like(numerical)
    for oi, o in enumerate(outs):
        if not o.requires_grad:
            continue
        gs = _grad(o, [inputs[k] for k in diff], _make(vs[oi].astype(o._data.dtype)),
                   retain_graph=True, allow_unused=True)
        for kk, (g, k) in enumerate(zip(gs, diff)):
            if g is not None:
                analytical[oi, kk] = np.sum(g._data * us[k])
    for oi in range(len(outs)):
        for kk, k in enumerate(diff):
            n, a = numerical[oi, kk], analytical[oi, kk]
            if not abs(a - n) <= atol + rtol * abs(n):
                slow_n = _numerical_jacobians(func, inputs, diff, eps)[oi][kk]
                slow_a = _analytical_jacobians(func, inputs, diff)[0][oi][kk]
                return _fail(
                    f"Jacobian mismatch for output {oi} with respect to input {k},\n"
                    f"numerical:{_fmt(n)}\nanalytical:{_fmt(a)}\n\n"
                    "The above quantities relating the numerical and analytical jacobians are "
                    "computed in fast mode (v'Ju for random vectors u, v). Below, we recompute "
                    f"numerical and analytical jacobians in slow mode:\n\nNumerical:\n "
                    f"{_fmt(slow_n)}\nAnalytical:\n{_fmt(slow_a)}\n\nThe max per-element "
                    f"difference (slow mode) is: {np.max(np.abs(slow_n - slow_a), initial=0)}.",
                    raise_exception)
    return True


def gradgradcheck(func: Callable, inputs, grad_outputs: Sequence | None = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, fast_mode: bool = False,
                  check_undefined_grad: bool = True, masked: bool = False) -> bool:
    """gradcheck of the gradient itself: second derivatives through `create_graph=True`."""
    inputs = _as_tuple(inputs)
    diff = _diff_inputs(inputs)
    outs = [o for o in _outputs(func, inputs) if isinstance(o, Tensor)]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_make(rng.standard_normal(o._data.shape).astype(o._data.dtype),
                                   None).requires_grad_(o._data.dtype.kind == "f") for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grad(*args):
        # finite differences call this under no_grad: the first derivative needs a graph
        with grad_mode.enable_grad():
            ins, gos = args[:n_in], args[n_in:]
            outs = [o for o in _outputs(func, ins) if isinstance(o, Tensor)]
            live = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
            if not live:
                return tuple()
            gs = _grad([o for o, _ in live], [ins[k] for k in diff], [g for _, g in live],
                       create_graph=True, allow_unused=True)
            return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, fast_mode=fast_mode)
