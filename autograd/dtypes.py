"""dtypes and PyTorch's type-promotion rules (which differ from numpy's)."""

from __future__ import annotations

import builtins as _b

import numpy as np

_pyfloat, _pyint, _pybool = _b.float, _b.int, _b.bool

__all__ = [
    "dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "bool", "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "finfo", "iinfo", "can_cast",
]

_BOOL, _INT, _FLOAT = 0, 1, 2  # type categories, in promotion order


class dtype:
    """A tensor element type: `autograd.float32` and friends (PyTorch's `torch.dtype`)."""

    __slots__ = ("name", "np", "category", "itemsize", "_legacy")

    def __init__(self, name: str, np_type: type, category: int, legacy: str) -> None:
        self.name = name
        self.np = np.dtype(np_type)
        self.category = category
        self.itemsize = self.np.itemsize
        self._legacy = legacy

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_signed(self) -> bool:
        return self.np.kind != "u" and self.np.kind != "b"

    def __repr__(self) -> str:
        return f"autograd.{self.name}"

    def __reduce__(self):  # dtypes are singletons
        return (_by_name, (self.name,))


float16 = dtype("float16", np.float16, _FLOAT, "Half")
float32 = dtype("float32", np.float32, _FLOAT, "Float")
float64 = dtype("float64", np.float64, _FLOAT, "Double")
uint8 = dtype("uint8", np.uint8, _INT, "Byte")
int8 = dtype("int8", np.int8, _INT, "Char")
int16 = dtype("int16", np.int16, _INT, "Short")
int32 = dtype("int32", np.int32, _INT, "Int")
int64 = dtype("int64", np.int64, _INT, "Long")
bool = dtype("bool", np.bool_, _BOOL, "Bool")  # noqa: A001 - PyTorch's name
half, float, double, long, int = float16, float32, float64, int64, int32  # noqa: A001

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_FROM_NP: dict[np.dtype, dtype] = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_DEFAULT = [float32]


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_np(np_dtype: np.dtype) -> dtype:
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(f"unsupported numpy dtype {np_dtype}; supported: "
                        f"{', '.join(d.name for d in _ALL)}") from None


def to_np(d) -> np.dtype:
    """Our dtype, a numpy dtype, a Python type or a name -> numpy dtype."""
    if type(d) is dtype:
        return d.np
    if d is _pyfloat:   # Python's float is a double (torch.zeros(2, dtype=float) is float64)
        return float64.np
    if d is _pyint:
        return int64.np
    if d is _pybool:
        return bool.np
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d].np
    try:
        return from_np(np.dtype(d)).np
    except TypeError:
        raise TypeError(f"expected a dtype such as autograd.float32, got {d!r}") from None


def get_default_dtype() -> dtype:
    return _DEFAULT[0]


def set_default_dtype(d: dtype) -> None:
    d = from_np(to_np(d))
    if d.category != _FLOAT:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _DEFAULT[0] = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's promotion of two tensor dtypes: the higher category wins outright."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def _scalar_category(x) -> int:
    t = type(x)
    if t is _pybool or t is np.bool_:
        return _BOOL
    if t is _pyint or isinstance(x, np.integer):
        return _INT
    return _FLOAT


def result_type(*operands) -> dtype:
    """PyTorch's result dtype: dimensioned tensors > 0-d tensors > Python scalars.

    A lower-priority operand changes the result only if its category is higher:
    a 0-d tensor then contributes its own dtype, a Python scalar the default dtype
    of its category (float -> default float, int -> int64).
    """
    dim = zero = None
    scalar_cat = -1
    for x in operands:
        arr = getattr(x, "_data", None)
        if arr is None:
            scalar_cat = max(scalar_cat, _scalar_category(x))
            continue
        d = _FROM_NP[arr.dtype]
        if arr.ndim:
            dim = d if dim is None else promote_types(dim, d)
        else:
            zero = d if zero is None else promote_types(zero, d)
    if dim is None:
        res = zero
    elif zero is not None and zero.category > dim.category:
        res = zero
    else:
        res = dim
    if res is None:  # only scalars
        return {_BOOL: bool, _INT: int64, _FLOAT: _DEFAULT[0]}[scalar_cat]
    if scalar_cat > res.category:
        res = int64 if scalar_cat == _INT else _DEFAULT[0]
    return res


def _info_value(v) -> str:
    return f"{v:g}"


class finfo:  # noqa: N801  (PyTorch's name)
    """Machine limits of a floating dtype (the default one if none): `finfo(float32).eps`."""

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002
        d = get_default_dtype() if type is None else type
        if not isinstance(d, dtype) or d.np.kind != "f":
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(d.np)
        self.bits, self.dtype = info.bits, d.name
        self.eps, self.max, self.min = _pyfloat(info.eps), _pyfloat(info.max), _pyfloat(info.min)
        self.tiny = self.smallest_normal = _pyfloat(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self) -> str:
        fields = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")
        body = ", ".join(f"{k}={_info_value(getattr(self, k))}" for k in fields)
        return f"finfo({body}, dtype={self.dtype})"


class iinfo:  # noqa: N801
    """Limits of an integer dtype: `iinfo(int32).max`."""

    def __init__(self, type: dtype) -> None:  # noqa: A002
        if not isinstance(type, dtype) or type.np.kind not in "iu":
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(type.np)
        self.bits, self.max, self.min, self.dtype = info.bits, _pyint(info.max), _pyint(info.min), \
            type.name

    def __repr__(self) -> str:
        return f"iinfo(min={_info_value(self.min)}, max={_info_value(self.max)}, " \
               f"dtype={self.dtype})"


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether PyTorch's type promotion allows casting `from_` to `to` (no downcast of
    category: float to int, or anything to bool, is refused)."""
    return from_.category <= to.category
