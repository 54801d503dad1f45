"""Running the same call through autograd and through PyTorch, for the tests that use
PyTorch as the oracle: values, dtypes, shapes, grad_fn names, gradients and errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag


def _to(lib, a, requires_grad: bool):
    if not isinstance(a, np.ndarray):
        return a
    t = lib.tensor(a.copy())
    if requires_grad and a.dtype.kind == "f":
        t.requires_grad_()
    return t


def _outputs(out) -> list:
    if isinstance(out, (tuple, list)):
        return [o for o in out if hasattr(o, "shape")]
    return [out]


def _dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


def _resolve(torch, fn, tfn):
    """`fn` may name a function of both libraries ("sort", "linalg.svd")."""
    if isinstance(fn, str):
        def get(mod):
            for part in fn.split("."):
                mod = getattr(mod, part)
            return mod
        return get(ag), get(torch)
    return fn, tfn or fn


def compare(torch, fn, tfn=None, *arrays, kwargs: dict | None = None, grad: bool = True,
            atol: float = 1e-6, rtol: float = 1e-5, names: bool = True, seed: int = 0):
    """Call `fn` on autograd tensors and `tfn` (default: fn; both looked up by name if fn
    is a string) on torch tensors made from the same arrays, with `kwargs`; check every
    tensor output's shape, dtype and values, that both record a graph or neither, and
    (with `grad`) the gradients of a random weighting of the float outputs. Returns the
    autograd outputs."""
    fn, tfn = _resolve(torch, fn, tfn)
    kwargs = kwargs or {}
    ins = [_to(ag, a, grad) for a in arrays]
    tins = [_to(torch, a, grad) for a in arrays]
    out, tout = fn(*ins, **kwargs), tfn(*tins, **kwargs)
    outs, touts = _outputs(out), _outputs(tout)
    assert len(outs) == len(touts)
    rng = np.random.default_rng(seed)
    loss, tloss = 0, 0
    for o, t in zip(outs, touts):
        assert tuple(o.shape) == tuple(t.shape), f"shape {tuple(o.shape)} != {tuple(t.shape)}"
        assert _dtype_name(o) == _dtype_name(t), f"dtype {o.dtype} != {t.dtype}"
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), atol=atol, rtol=rtol)
        if names:
            got = None if o.grad_fn is None else o.grad_fn.name()
            want = None if t.grad_fn is None else t.grad_fn.name()
            assert (got is None) == (want is None), f"grad_fn {got} != {want}"
        if grad and t.requires_grad:
            w = rng.standard_normal(tuple(t.shape))
            loss = loss + (o * ag.tensor(w, dtype=o.dtype)).sum()
            tloss = tloss + (t * torch.tensor(w, dtype=t.dtype)).sum()
    if grad and not isinstance(tloss, int):
        loss.backward()
        tloss.backward()
        for a, t in zip(ins, tins):
            if isinstance(a, ag.Tensor) and a.requires_grad:
                if t.grad is None:
                    assert a.grad is None or not np.any(a.grad.numpy())
                    continue
                assert a.grad is not None, "no gradient where PyTorch has one"
                np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(force=True), atol=atol * 10,
                                           rtol=rtol * 10)
    return out


def grad_fn_name(out) -> str | None:
    return None if out.grad_fn is None else out.grad_fn.name()


def same_error(torch, fn, tfn=None, *arrays, kwargs: dict | None = None):
    """Both raise; the same kind of exception, and ours contains PyTorch's message (ours
    may add the shapes or arguments at fault)."""
    fn, tfn = _resolve(torch, fn, tfn)
    kwargs = kwargs or {}
    with pytest.raises(Exception) as theirs:
        tfn(*[_to(torch, a, False) for a in arrays], **kwargs)
    with pytest.raises(Exception) as ours:
        fn(*[_to(ag, a, False) for a in arrays], **kwargs)
    tt, ot = theirs.type, ours.type
    assert ot.__name__.lstrip("_") == tt.__name__.lstrip("_") or \
        (issubclass(ot, RuntimeError) and issubclass(tt, RuntimeError)), (ot, tt)
    want = _first_line(str(theirs.value)).replace("torch.", "")
    got = str(ours.value).replace("torch.", "").replace("autograd.", "")
    assert want in got, f"PyTorch says {want!r}, we say {got!r}"
    return ours.value


def _first_line(msg: str) -> str:
    """PyTorch's message without the C++ source location it sometimes appends."""
    return re.sub(r" \(Triggered internally at .*", "", msg.splitlines()[0]).strip()
