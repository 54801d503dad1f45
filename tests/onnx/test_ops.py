"""Op by op: each converter exported inside a one-op model and run by onnxruntime at two
batch sizes, against the op itself (floats, ints, bools, Python numbers, in-place forms)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn

from .harness import check


class Op(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def _f(n, *shape, low=-2.0, high=2.0, seed=0):
    rng = np.random.default_rng(seed + n)
    return ag.tensor(rng.uniform(low, high, (n,) + shape).astype(np.float32))


def _i(n, *shape, high=5, seed=0):
    return ag.tensor(np.random.default_rng(seed + n).integers(-high, high, (n,) + shape))


UNARY = ["neg", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan",
         "sinh", "cosh", "tanh", "sigmoid", "relu", "abs", "reciprocal", "sign", "floor",
         "ceil", "round", "erf", "trunc", "frac", "square", "exp2", "expm1", "log1p", "log2",
         "log10", "isnan", "isinf", "isfinite", "logical_not"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    positive = name in ("log", "sqrt", "rsqrt", "log1p", "log2", "log10", "reciprocal")
    bounded = name in ("asin", "acos")
    low, high = (0.1, 3.0) if positive else (-0.9, 0.9) if bounded else (-2.0, 2.0)
    x = lambda n: _f(n, 3, low=low, high=high)  # noqa: E731
    check(Op(lambda t: getattr(t, name)()), (x(2),), others=((x(5),),), dynamic={0: [0]},
          atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ["relu", "abs", "neg", "square", "sign", "floor", "exp",
                                  "isnan", "logical_not"])
def test_unary_on_ints(name):
    check(Op(lambda t: getattr(t, name)()), (_i(2, 3),), others=((_i(4, 3),),),
          dynamic={0: [0]})


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a.abs() ** b,
    "max": lambda a, b: ag.maximum(a, b), "min": lambda a, b: ag.minimum(a, b),
    "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
    "fmod": lambda a, b: ag.fmod(a, b), "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, "and": lambda a, b: (a > 0) & (b > 0),
    "or": lambda a, b: (a > 0) | (b > 0), "xor": lambda a, b: (a > 0) ^ (b > 0),
    "logical_and": lambda a, b: ag.logical_and(a, b > 0),
    "where": lambda a, b: ag.where(a > b, a, b), "add_alpha": lambda a, b: a.add(b, alpha=2),
    "sub_alpha": lambda a, b: a.sub(b, alpha=0.5), "rsub": lambda a, b: ag.rsub(a, b),
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_with_broadcasting(name):
    fn = BINARY[name]
    a = lambda n: _f(n, 3)  # noqa: E731
    b = _f(1, 3, low=0.5, high=2.0, seed=7)                  # a weight-like constant
    check(Op(lambda x: fn(x, b)), (a(2),), others=((a(6),),), dynamic={0: [0]})
    check(Op(fn), (a(2), _f(2, 3, low=0.5, high=2.0, seed=3)),
          others=((a(4), _f(4, 3, low=0.5, high=2.0, seed=3)),), dynamic={0: [0], 1: [0]})


SCALARS = {
    "radd": lambda x: 1.5 + x, "rsub": lambda x: 1 - x, "rmul": lambda x: 2 * x,
    "rdiv": lambda x: 1 / x, "rpow": lambda x: 2 ** x, "pow": lambda x: x ** 3,
    "rfloordiv": lambda x: 7 // x, "rmod": lambda x: 7 % x, "pos": lambda x: +x,
    "int_plus_float": lambda x: x.long() + 0.5, "int_div": lambda x: x.long() / 2,
    "int_floordiv": lambda x: x.long() // 2, "int_mod": lambda x: x.long() % 3,
    "bool_plus_int": lambda x: (x > 0) + 1, "clamp": lambda x: x.clamp(min=-0.5),
    "clamp_max": lambda x: x.clamp_max(0.5), "clip": lambda x: x.clip(-1, 1),
    "clamp_tensor": lambda x: x.clamp(min=x * 0.5), "masked_fill": lambda x: x.masked_fill(
        x > 0, 0.0), "lerp": lambda x: ag.lerp(x, x * 2, 0.25), "invert": lambda x: ~(x > 0),
    "to_double": lambda x: x.double() * 2, "to_long": lambda x: x.to(ag.int64),
    "half": lambda x: x.half(), "type_as": lambda x: (x > 0).type_as(x), "clone": lambda x:
    x.clone().detach().contiguous(), "inplace": lambda x: (x * 1).add_(1).mul_(2).relu_(),
    "iadd": lambda x: _iadd(x),
}


def _iadd(x):
    y = x * 1
    y += 3
    y -= x
    return y


@pytest.mark.parametrize("name", list(SCALARS))
def test_with_python_numbers_casts_and_in_place(name):
    x = lambda n: _f(n, 4, low=0.5, high=3.0)  # noqa: E731
    check(Op(SCALARS[name]), (x(3),), others=((x(5),),), dynamic={0: [0]})



REDUCTIONS = {
    "sum": lambda x: x.sum(), "sum_dims": lambda x: x.sum((1, 2), keepdim=True),
    "mean": lambda x: x.mean(-1), "prod": lambda x: x.prod(1), "amax": lambda x: x.amax(
        (0, 2)), "amin": lambda x: x.amin(-1, keepdim=True), "max": lambda x: x.max(),
    "max_dim": lambda x: x.max(1), "min_dim": lambda x: x.min(-1, keepdim=True),
    "argmax": lambda x: x.argmax(), "argmin_dim": lambda x: x.argmin(1, keepdim=True),
    "all": lambda x: (x > -1.5).all(1), "any": lambda x: (x > 1.5).any(),
    "var": lambda x: x.var(1), "std": lambda x: x.std((1, 2), correction=0),
    "var_all": lambda x: x.var(), "logsumexp": lambda x: x.logsumexp(2),
    "norm": lambda x: x.norm(dim=-1), "norm_1": lambda x: x.norm(1, dim=1),
    "norm_inf": lambda x: x.norm(float("inf")), "norm_3": lambda x: x.norm(3, dim=0),
    "norm_0": lambda x: x.norm(0, dim=1), "norm_neg_inf": lambda x: x.norm(-math.inf, dim=1),
    "softmax": lambda x: x.softmax(0),
    "log_softmax": lambda x: x.log_softmax(-1), "cumsum": lambda x: x.cumsum(1),
    "sum_int": lambda x: (x > 0).sum(-1), "mean_dtype": lambda x: x.mean(dtype=ag.float64),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reductions(name):
    x = lambda n: _f(n, 3, 4)  # noqa: E731
    check(Op(REDUCTIONS[name]), (x(2),), others=((x(5),),), dynamic={0: [0]}, atol=1e-5,
          rtol=1e-5)


SHAPES = {
    "reshape": lambda x: x.reshape(x.shape[0], 12), "view_neg": lambda x: x.view(-1, 6),
    "flatten": lambda x: x.flatten(1), "flatten_mid": lambda x: x.flatten(1, 2),
    "ravel": lambda x: x.ravel(), "unflatten": lambda x: x.unflatten(2, (2, 2)),
    "squeeze": lambda x: x.unsqueeze(1).squeeze(1), "unsqueeze": lambda x: x.unsqueeze(-1),
    "permute": lambda x: x.permute(2, 0, 1), "transpose": lambda x: x.transpose(0, 2),
    "mT": lambda x: x.mT, "T2": lambda x: x[:, 0].T, "t": lambda x: x[0].t(),
    "movedim": lambda x: x.movedim(0, -1), "expand": lambda x: x[:, :1].expand(-1, 5, 4),
    "expand_new": lambda x: x.unsqueeze(0).expand(2, *x.shape),
    "expand_as": lambda x: x[:1].expand_as(x), "repeat": lambda x: x.repeat(1, 2, 1),
    "repeat_more": lambda x: x.repeat(2, 1, 1, 1), "cat": lambda x: ag.cat([x, x * 2], 1),
    "stack": lambda x: ag.stack([x, -x], -1), "split": lambda x: x.split([1, 3], dim=2),
    "chunk": lambda x: x.chunk(2, -1), "unbind": lambda x: x.unbind(1),
    "narrow": lambda x: x.narrow(2, 1, 2), "select": lambda x: x.select(1, -1),
    "pad": lambda x: ag.pad(x, (1, 2)), "pad_crop": lambda x: ag.pad(x, (-1, 1, 1, 0), value=3.),
    "pad_reflect": lambda x: ag.pad(x, (2, 1), mode="reflect"),
    "pad_replicate": lambda x: ag.pad(x, (1, 1, 2, 0), mode="replicate"),
    "pad_circular": lambda x: ag.pad(x, (1, 2), mode="circular"),
    "tril": lambda x: x.tril(), "triu": lambda x: x.triu(1), "flip": lambda x: x.flip(0, 2),
    "getitem": lambda x: x[:, 1:, ::2], "getitem_neg": lambda x: x[..., -1],
    "getitem_none": lambda x: x[:, None, 0, 1:3], "getitem_step": lambda x: x[:, ::2, 1::2],
    "getitem_list": lambda x: x[:, [2, 0]], "getitem_tensor": lambda x: x[:, ag.tensor(
        [[0, 1], [2, 2]])], "index_select": lambda x: x.index_select(2, ag.tensor([3, 0])),
    "gather": lambda x: x.gather(2, (x.argmax(2, keepdim=True))),
    "take_along": lambda x: ag.take_along_dim(x, x.argsort(2) if hasattr(x, "argsort") else
                                              x.argmax(2, keepdim=True), 2),
    "matmul": lambda x: x @ x.mT, "matmul_vec": lambda x: x @ ag.ones(4),
    "outer": lambda x: ag.outer(x[0, 0], x[0, 1]), "bmm": lambda x: ag.bmm(x, x.mT),
    "linear": lambda x: ag.linear(x, ag.ones(2, 4), ag.zeros(2)),
    "zeros_like": lambda x: ag.zeros_like(x) + x, "ones_like": lambda x: ag.ones_like(x, dtype=
        ag.int64), "full_like": lambda x: ag.full_like(x, 2.5) * x,
    "zeros_dyn": lambda x: ag.zeros(x.shape[0], 2) + x[:, 0, :2],
    "arange_dyn": lambda x: x[:, 0, 0] * ag.arange(x.shape[0]),
    "full_dyn": lambda x: ag.full((x.size(0), 1), 7.0) * x[:, 0],
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_shape_and_indexing(name):
    x = lambda n: _f(n, 3, 4)  # noqa: E731
    check(Op(SHAPES[name]), (x(2),), others=((x(5),),), dynamic={0: [0]})
