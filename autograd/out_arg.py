"""PyTorch's `out=` argument, given by one decorator to the functions PyTorch gives it to:

    autograd.matmul(a, b, out=c)     # writes a @ b into c and returns c

with PyTorch's rules:
- the result is written into `out` (through a view, into the tensor it views) and `out`
  itself is returned;
- an `out` of another shape is resized: silently if it has no elements, with PyTorch's
  UserWarning otherwise (factories resize silently);
- dtypes: each function follows its PyTorch rule (`_cast`: the result is cast to out's
  dtype if PyTorch's casting allows it; `_exact`: matmul & co need out's dtype to be the
  result's; factories make the result in out's dtype);
- no autograd: if any argument requires grad (with grad mode on), PyTorch's error.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import numpy as np

from . import dtypes, grad_mode
from .tensor import Tensor, _make

__all__ = ["out_variant", "add_out_arguments"]

_RESIZED = ("An output with one or more elements was resized since it had shape {old}, which "
            "does not match the required output shape {new}. This behavior is deprecated, and in "
            "a future PyTorch release outputs will not be resized unless they have zero "
            "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
            "elements with t.resize_(0).")
_ARANGE_RESIZED = ("The number of elements in the out tensor of shape {old} is {n} which does not "
                   "match the computed number of elements {m}. Note that this may occur as a "
                   "result of rounding error. The out tensor will be resized to a tensor of shape "
                   "{new_tuple}.")


# ---- dtype rules: (function name, result dtype, out dtype) -> raise if not allowed ----------
def _legacy(d: np.dtype) -> str:
    return dtypes.from_np(d)._legacy


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}


def _cast(name: str, res: np.dtype, out: np.dtype) -> None:
    """PyTorch's canCast: never floating -> integral, nor anything but bool -> bool."""
    if (res.kind == "f" and out.kind in "iub") or (res.kind != "b" and out.kind == "b"):
        raise RuntimeError(f"result type {_legacy(res)} can't be cast to the desired output type "
                           f"{_legacy(out)}")


def _cast_cat(name: str, res: np.dtype, out: np.dtype) -> None:
    try:
        _cast(name, res, out)
    except RuntimeError:
        raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                        f"{_legacy(out)}") from None


def _exact(name: str, res: np.dtype, out: np.dtype) -> None:
    if res != out:
        raise RuntimeError(f"Expected out tensor to have dtype {_C_NAMES[res.name]}, but got "
                           f"{_C_NAMES[out.name]} instead")


def _exact_reduction(name: str, res: np.dtype, out: np.dtype) -> None:
    if res != out:
        raise RuntimeError(f"Expected the dtype for input and out to match, but got "
                           f"{_legacy(res)} for input's dtype and {_legacy(out)} for out's dtype.")


def _exact_where(name: str, res: np.dtype, out: np.dtype) -> None:
    if res != out:
        raise RuntimeError(f"Expected out type to be {_legacy(res)} but got {_legacy(out)}")


def _exact_clamp(name: str, res: np.dtype, out: np.dtype) -> None:
    if res != out:
        raise RuntimeError(f"Found dtype {_legacy(out)} but expected {_legacy(res)}")


# ---- the decorator ---------------------------------------------------------------------------
def out_variant(fn: Callable, dtype_rule: Callable = _cast, *, factory: bool = False,
                name: str | None = None, needs_dim: bool = False,
                in_out_dtype: bool = False) -> Callable:
    """`fn` with PyTorch's `out=` keyword (see the module docstring). `factory`: a tensor
    factory, whose result is made in out's dtype unless `dtype=` says otherwise.
    `needs_dim`: PyTorch accepts out= only with a `dim` (sum, prod). `in_out_dtype`: the
    function computes in out's dtype (its `dtype=`) unless told otherwise (sum, cumsum)."""
    name = name or fn.__name__

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        if needs_dim and len(args) < 2 and kwargs.get("dim") is None:
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            "(Tensor, out=Tensor), but expected one of: (Tensor input, *, dtype "
                            "dtype=None), (Tensor input, dim, bool keepdim=False, *, dtype "
                            "dtype=None, Tensor out=None)")
        if grad_mode._grad_enabled() and (out._rg or _any_requires_grad(args, kwargs)):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        if in_out_dtype and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        if factory:
            want = kwargs.get("dtype")
            if want is None:
                kwargs["dtype"] = out.dtype
            elif dtypes.to_np(want) != out._data.dtype:
                raise RuntimeError(f"dtype {_legacy(dtypes.to_np(want))} does not match dtype "
                                   f"of out parameter ({_legacy(out._data.dtype)})")
        with grad_mode.no_grad():
            result = fn(*args, **kwargs)
        if not factory:
            dtype_rule(name, result._data.dtype, out._data.dtype)
        return _write(out, result._data, name, factory)

    return with_out


def _any_requires_grad(args: tuple, kwargs: dict) -> bool:
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            if a._rg:
                return True
        elif isinstance(a, (list, tuple)) and any(isinstance(t, Tensor) and t._rg for t in a):
            return True
    return False


def _write(out: Tensor, data: np.ndarray, name: str, factory: bool) -> Tensor:
    out._check_inplace()
    if out._data.shape != data.shape:
        if out._data.size and not factory:
            warnings.warn(_RESIZED.format(old=list(out._data.shape), new=list(data.shape)),
                          UserWarning, stacklevel=3)
        elif out._data.size and name == "arange":
            warnings.warn(_ARANGE_RESIZED.format(
                old=list(out._data.shape), n=out._data.size, m=data.size,
                new_tuple=str(tuple(data.shape))), UserWarning, stacklevel=3)
        out.data = _make(np.empty(data.shape, out._data.dtype))
    elif not out._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the tensor "
                           "before performing the operation.")
    np.copyto(out._data, data, casting="unsafe")
    out._vc[0] += 1
    return out


# ---- which functions get out=, with which dtype rule (PyTorch's) --------------------------------
_TABLE = (
    (_cast, dict(), (
        "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
        "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum", "atan2", "arctan2",
        "abs", "absolute", "neg", "negative", "exp", "exp2", "expm1", "log", "log1p", "log2",
        "log10", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "tanh", "sinh",
        "cosh", "asin", "arcsin", "acos", "arccos", "atan", "arctan", "sigmoid", "erf", "sign",
        "floor", "ceil", "round", "trunc", "frac", "eq", "ne", "not_equal", "lt", "less", "le",
        "less_equal", "gt", "greater", "ge", "greater_equal", "logical_and", "logical_or",
        "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "addcmul",
        "addcdiv", "lerp", "mean", "var", "std", "logsumexp", "outer", "histc", "acosh", "asinh",
        "atanh", "arccosh", "arcsinh", "arctanh", "deg2rad", "rad2deg", "copysign", "fmax",
        "fmin", "heaviside", "ldexp", "nextafter")),
    (_cast, dict(needs_dim=True, in_out_dtype=True), ("sum", "prod")),
    (_cast, dict(in_out_dtype=True), ("cumsum",)),
    (_cast_cat, dict(), ("cat", "concat", "concatenate", "stack", "hstack", "vstack")),
    (_exact, dict(), ("matmul", "mm", "bmm", "mv", "dot", "softmax", "log_softmax", "norm",
                      "argmax", "argmin")),
    (_exact_reduction, dict(), ("amax", "amin")),
    (_exact_where, dict(), ("where",)),
    (_exact_clamp, dict(), ("clamp", "clip", "clamp_min", "clamp_max")),
    (None, dict(factory=True), ("arange", "linspace", "logspace", "zeros", "ones", "full",
                                "empty", "eye", "rand", "randn", "randint", "randperm")),
)


def add_out_arguments(namespace: dict) -> None:
    """Give each function of the table, in `namespace` (the autograd package), out=."""
    for rule, options, names in _TABLE:
        for n in names:
            namespace[n] = out_variant(namespace[n], rule or _cast, name=n, **options)
