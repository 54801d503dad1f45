"""Making tensors: from data (`tensor`, `as_tensor`, `from_numpy`), filled (`zeros`, `full`,
`eye`, `arange`, `linspace`...) and the `*_like` variants. Random ones are in `random.py`.
Every factory takes PyTorch's `device=` (the CPU; others raise, see `device.py`)."""

from __future__ import annotations

import numpy as np

from . import dtypes, grad_mode
from .device import check as _check_device
from .tensor import Tensor, _make, size_args

__all__ = ["tensor", "as_tensor", "asarray",
           "from_numpy", "from_dlpack", "zeros", "ones", "full", "empty",
           "arange", "linspace", "logspace", "eye", "zeros_like", "ones_like", "full_like",
           "empty_like", "scalar_tensor"]


def _leaf(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(data)
    if requires_grad:
        if data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._rg = True
    if grad_mode._inference.get():
        t._extra = {"inference": True}
    return t


def _infer_dtype(data) -> np.dtype:
    """PyTorch's inference for Python data: floats -> default dtype, ints -> int64."""
    arr = np.asarray(data)
    kind = arr.dtype.kind
    if kind == "f":
        return dtypes._DEFAULT[0].np
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "b":
        return np.dtype(np.bool_)
    if kind == "O":
        raise TypeError("tensor(): could not infer a dtype for data of mixed or unsupported types")
    raise TypeError(f"tensor(): unsupported data of numpy kind '{kind}'")


def _contains_tensor(data) -> bool:
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _contains_tensor(data[0])
    return False


def tensor(data, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of `data` (nested lists, numbers, arrays, tensors).

    numpy arrays keep their dtype (float64 stays float64); Python floats become the
    default dtype (float32) and Python ints int64, as in PyTorch.
    """
    _check_device(device, "tensor")
    if isinstance(data, Tensor):
        arr = data._data.copy()
    elif isinstance(data, np.ndarray):
        _check_array(data)
        arr = np.array(data, copy=True)
    elif isinstance(data, np.generic):
        arr = np.array(data)
    else:
        if _contains_tensor(data):
            data = _untensor(data)
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(f"tensor(): could not build a tensor from ragged or invalid data "
                             f"({e})") from None
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"tensor(): could not infer a dtype for {type(data).__name__} data "
                            f"(numpy made {arr.dtype}); expected numbers or booleans")
        if dtype is None:
            arr = arr.astype(_infer_dtype(arr), copy=False)
    if dtype is not None:
        arr = arr.astype(dtypes.to_np(dtype), copy=False)
    return _leaf(arr, requires_grad)


def _legacy(dtype, args: tuple, kwargs: dict) -> Tensor:
    """PyTorch's legacy constructors (`Tensor(...)`, `FloatTensor(...)`): sizes
    (`Tensor(2, 3)`, `Tensor(torch.Size(...))`, `size=`) give a zero-filled tensor of that
    shape, a tensor gives itself (shared data), anything else is data in `dtype`."""
    _check_device(kwargs.pop("device", None), "Tensor")
    size = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"Tensor(): unexpected keyword argument '{next(iter(kwargs))}'")
    if size is not None and not args:
        return zeros(*size, dtype=dtype)
    if not args:
        return tensor([], dtype=dtype)
    if len(args) == 1 and isinstance(args[0], Tensor):   # (Tensor(t) keeps t's dtype)
        return args[0] if dtype is None or args[0].dtype is dtype else args[0].to(dtype)
    if dtype is None:
        dtype = dtypes.get_default_dtype()
    sizes = args[0] if len(args) == 1 and type(args[0]).__name__ == "Size" else args
    if all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
        return zeros(*sizes, dtype=dtype)
    if len(args) != 1:   # sizes, one of which is not an int
        pos, bad = next((i, n) for i, n in enumerate(sizes, 1)
                        if not isinstance(n, (int, np.integer)) or isinstance(n, bool))
        raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {pos} with "
                        f'error "type must be tuple of ints,but got {type(bad).__name__}"')
    return tensor(args[0], dtype=dtype)


def _construct(cls, *args, **kwargs) -> Tensor:
    """`Tensor(...)`: PyTorch users call the class (see `_legacy`; data in the default
    floating dtype)."""
    src = _legacy(None, args, kwargs)
    t = object.__new__(cls)
    t._data, t.grad_fn, t._rg, t._vc = src._data, None, src._rg, src._vc
    return t


class _LegacyType(type):
    """`FloatTensor` and its kin: constructors of one dtype, and `isinstance` by dtype."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, **kwargs) -> Tensor:
        return _legacy(cls.dtype, args, dict(kwargs))


def _legacy_class(name: str, dtype) -> type:
    return _LegacyType(name, (), {"dtype": dtype, "__module__": "autograd"})


FloatTensor = _legacy_class("FloatTensor", dtypes.float32)
DoubleTensor = _legacy_class("DoubleTensor", dtypes.float64)
HalfTensor = _legacy_class("HalfTensor", dtypes.float16)
LongTensor = _legacy_class("LongTensor", dtypes.int64)
IntTensor = _legacy_class("IntTensor", dtypes.int32)
ShortTensor = _legacy_class("ShortTensor", dtypes.int16)
CharTensor = _legacy_class("CharTensor", dtypes.int8)
ByteTensor = _legacy_class("ByteTensor", dtypes.uint8)
BoolTensor = _legacy_class("BoolTensor", dtypes.bool)


Tensor.__new__ = staticmethod(_construct)


def _untensor(data):
    if isinstance(data, Tensor):
        return data._data
    return [_untensor(d) for d in data]


def scalar_tensor(value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return tensor(float(value), dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with a numpy array or tensor when it can (when no
    dtype conversion is asked for)."""
    _check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.to_np(dtype) == data.dtype):
        return from_numpy(data)   # (raises for dtypes tensors cannot hold)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _check_array(array)
    return _make(array)


def _check_array(array: np.ndarray) -> None:
    if array.dtype not in dtypes._FROM_NP:
        raise TypeError(f"can't convert np.ndarray of type numpy.{array.dtype.type.__name__}. "
                        "The only supported types are: float64, float32, float16, int64, int32, "
                        "int16, int8, uint8, and bool.")


class _Capsule:
    """Lets numpy import a bare DLPack capsule (from `torch.utils.dlpack.to_dlpack`)."""

    def __init__(self, capsule) -> None:
        self.capsule = capsule

    def __dlpack__(self, **_):
        return self.capsule

    def __dlpack_device__(self) -> tuple:
        return (1, 0)  # kDLCPU: a capsule from another device fails in numpy with its error


def from_dlpack(ext_tensor, *, device=None, copy: bool | None = None) -> Tensor:
    """A tensor sharing memory with `ext_tensor` (a PyTorch or JAX tensor, a numpy array,
    anything with `__dlpack__`, or a DLPack capsule), as `torch.from_dlpack`: writes
    through one show in the other. The result does not require grad."""
    _check_device(device, "from_dlpack")
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    elif not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack(): expected an object with __dlpack__ or a DLPack "
                        f"capsule, got {type(ext_tensor).__name__}")
    try:
        array = np.from_dlpack(ext_tensor) if copy is None else \
            np.from_dlpack(ext_tensor, copy=copy)
    except RuntimeError as e:  # numpy's "Unsupported dtype in DLTensor." (bfloat16, ...)
        if "dtype" not in str(e):
            raise
        array = None
    if array is None or array.dtype not in dtypes._FROM_NP:
        dt = getattr(ext_tensor, "dtype", "of the capsule") if array is None else array.dtype
        raise TypeError(f"from_dlpack(): unsupported dtype {dt}; supported: "
                        f"{', '.join(d.name for d in dtypes._ALL)}")
    return _make(array)


def _shape(size) -> tuple:
    """`size_args(size)`, refusing negative sizes with PyTorch's error."""
    shape = size_args(size)
    for d in shape:
        if d < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: "
                               f"{list(shape)}")
    return shape


def _check_number(fn: str, fill_value) -> None:
    """PyTorch's error for a `fill_value` that is not a number (or a 0-d tensor)."""
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:
        return
    if not isinstance(fill_value, (bool, int, float, complex, np.number, np.bool_)):
        raise TypeError(f"{fn}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")


def _dtype(dtype, default=None) -> np.dtype:
    if dtype is None:
        return (default or dtypes._DEFAULT[0]).np
    return dtypes.to_np(dtype)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, layout=None,
          pin_memory: bool = False) -> Tensor:
    _check_device(device, "zeros")
    return _leaf(np.zeros(_shape(size), _dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, layout=None,
         pin_memory: bool = False) -> Tensor:
    _check_device(device, "ones")
    return _leaf(np.ones(_shape(size), _dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, layout=None,
          pin_memory: bool = False, memory_format=None) -> Tensor:
    _check_device(device, "empty")
    return _leaf(np.empty(_shape(size), _dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False,
         layout=None, pin_memory: bool = False) -> Tensor:
    """Filled with `fill_value`; the dtype is inferred from it as PyTorch does."""
    _check_device(device, "full")
    _check_number("full", fill_value)
    if dtype is None:
        fv = fill_value.item() if isinstance(fill_value, (Tensor, np.generic)) else fill_value
        dtype = dtypes.result_type(fv)
    return _leaf(np.full(_shape((size,) if isinstance(size, int) else size), fill_value,
                         _dtype(dtype)), requires_grad)


def like_args(x: Tensor, dtype, device, op: str) -> tuple:
    """(shape, numpy dtype) of a `*_like(x, dtype=..., device=...)` result."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    _check_device(device, op)
    return x._data.shape, (x._data.dtype if dtype is None else dtypes.to_np(dtype))


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None,  # noqa: A002
               requires_grad: bool = False, memory_format=None) -> Tensor:
    shape, dt = like_args(input, dtype, device, "zeros_like")
    return _leaf(np.zeros(shape, dt), requires_grad)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None,  # noqa: A002
              requires_grad: bool = False, memory_format=None) -> Tensor:
    shape, dt = like_args(input, dtype, device, "ones_like")
    return _leaf(np.ones(shape, dt), requires_grad)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None,  # noqa: A002
               requires_grad: bool = False, memory_format=None) -> Tensor:
    shape, dt = like_args(input, dtype, device, "empty_like")
    return _leaf(np.empty(shape, dt), requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None,  # noqa: A002
              device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    _check_number("full_like", fill_value)
    shape, dt = like_args(input, dtype, device, "full_like")
    return _leaf(np.full(shape, fill_value, dt), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive); int64 for integer arguments."""
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, (Tensor, np.generic)) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = dtypes.result_type(*vals)
    n = max(int(np.ceil((vals[1] - vals[0]) / vals[2])), 0)
    data = (vals[0] + np.arange(n, dtype=np.float64) * vals[2]) if any(
        isinstance(v, float) for v in vals) else np.arange(vals[0], vals[1], vals[2])
    return _leaf(data.astype(_dtype(dtype)), requires_grad)


def linspace(start, end, steps: int, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    _check_device(device, "linspace")
    return _leaf(np.linspace(float(start), float(end), int(steps)).astype(_dtype(dtype)),
                 requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, layout=None,
             device=None, requires_grad: bool = False) -> Tensor:
    _check_device(device, "logspace")
    return _leaf(np.logspace(float(start), float(end), int(steps), base=base).astype(
        _dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    _check_device(device, "eye")
    return _leaf(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def asarray(obj, *, dtype=None, device=None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """A tensor from `obj`, sharing memory with a numpy array or tensor unless `copy` or
    a dtype conversion asks otherwise."""
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    return t.requires_grad_() if requires_grad else t
