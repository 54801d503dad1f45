"""numpy's spellings that PyTorch accepts (`axis=` for `dim=`, `keepdims=` for `keepdim=`)
exactly where PyTorch takes them, and PyTorch's TypeError where it does not
(pytorch_behaviour_2.md §5.2)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag

X = np.arange(12.0).reshape(3, 4) - 5

KEEPDIMS = ["sum", "mean", "prod", "amax", "amin", "std", "var", "logsumexp", "argmax",
            "argmin", "any", "all", "median", "nanmedian", "nansum", "nanmean", "mode",
            "kthvalue", "quantile", "var_mean", "std_mean", "aminmax", "max", "min"]
AXIS_ONLY = ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin", "softmax", "log_softmax",
             "squeeze", "unsqueeze", "unbind", "chunk", "sort", "argsort", "topk", "diff",
             "repeat_interleave", "count_nonzero"]
EXTRA_ARGS = {"kthvalue": (1,), "quantile": (0.5,), "topk": (1,), "chunk": (2,),
              "repeat_interleave": (2,)}


def _call(lib, name, x, **kw):
    return getattr(lib, name)(x, *EXTRA_ARGS.get(name, ()), **kw)


def _same(a, b):
    a = a if isinstance(a, (tuple, list)) else (a,)
    b = b if isinstance(b, (tuple, list)) else (b,)
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(np.asarray(u.numpy()), np.asarray(v.numpy()))


@pytest.mark.parametrize("name", KEEPDIMS)
def test_keepdims_and_axis_are_aliases(name):
    x = ag.tensor(X)
    if name in ("aminmax",):
        _same(_call(ag, name, x, dim=1, keepdims=True), _call(ag, name, x, dim=1, keepdim=True))
        return
    _same(_call(ag, name, x, axis=1, keepdims=True), _call(ag, name, x, dim=1, keepdim=True))
    with pytest.raises(TypeError, match=f"{name}\\(\\) got an unexpected keyword argument "
                                        "'keepdims'"):
        _call(ag, name, x, dim=1, keepdim=True, keepdims=True)


@pytest.mark.parametrize("name", AXIS_ONLY)
def test_axis_is_an_alias_of_dim_and_keepdims_is_rejected(name):
    x = ag.tensor(X)
    _same(_call(ag, name, x, axis=0), _call(ag, name, x, dim=0))
    with pytest.raises(TypeError, match="axis"):
        _call(ag, name, x, dim=0, axis=0)
    with pytest.raises(TypeError):
        _call(ag, name, x, dim=0, keepdims=True)


def test_tensor_methods_and_joins_take_axis():
    x = ag.tensor(X)
    assert x.sum(axis=1, keepdims=True).shape == (3, 1)
    assert x.max(axis=1, keepdims=True).values.shape == (3, 1)
    assert ag.cat([x, x], axis=1).shape == (3, 8)
    assert ag.stack([x, x], axis=2).shape == (3, 4, 2)
    assert x.softmax(axis=0).shape == (3, 4)
    assert ag.linalg.vector_norm(x, axis=1, keepdims=True).shape == (3, 1)


def test_where_pytorch_rejects_the_numpy_names_so_do_we():
    x = ag.tensor(X)
    for call in (lambda: x.norm(dim=1, keepdims=True), lambda: ag.norm(x, dim=1, keepdims=True),
                 lambda: ag.count_nonzero(x, dim=1, keepdims=True),
                 lambda: ag.flip(x, axis=0), lambda: ag.roll(x, 1, axis=0)):
        with pytest.raises(TypeError):
            call()
    import nn.functional as F
    with pytest.raises(TypeError):
        F.softmax(x, axis=1)


def test_aliases_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    for name in KEEPDIMS + AXIS_ONLY:
        if name == "aminmax":
            continue
        ours = _call(ag, name, ag.tensor(X), axis=0)
        theirs = _call(torch, name, torch.tensor(X), axis=0)
        _same(ours, [t for t in (theirs if isinstance(theirs, tuple) else (theirs,))])
