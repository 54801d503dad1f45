"""Devices: `autograd.device`, where tensors live (always the CPU: this engine computes with
numpy), the default device, and the errors a CPU-only PyTorch gives for CUDA, MPS and the
other accelerators.

    device = "cuda" if autograd.cuda.is_available() else "cpu"   # -> "cpu"
    x = autograd.zeros(3, device=device)
    x.device                                                     # device(type='cpu')
"""

from __future__ import annotations

import re

__all__ = ["device", "set_default_device", "get_default_device"]

# PyTorch's device types, in the order its error message lists them
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_SPEC = re.compile(r"([A-Za-z_]+)(?::(0|[1-9][0-9]*))?")
_CPU_ONLY = "this engine computes on the CPU with numpy: use device='cpu'"
NO_CUDA = f"Torch not compiled with CUDA enabled ({_CPU_ONLY})"
NO_ACCELERATOR = f"Cannot access accelerator device when none is available. ({_CPU_ONLY})"


class device:
    """A device: `device("cpu")`, `device("cuda", 0)`, `device("cpu:0")` (PyTorch's
    `torch.device`). Any PyTorch device type can be named; only the CPU computes."""

    __slots__ = ("_type", "_index")

    def __init__(self, type: str | device, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): argument 'type' (position 1) must be str, not device")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(NO_ACCELERATOR)   # device(0): the current accelerator's 0
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({_typename(type)}), but expected one of:\n * (device device)\n"
                            " * (str type, int index = -1)")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                            f"{_typename(index)}")
        if not type:
            raise RuntimeError("Device string must not be empty")
        m = _SPEC.fullmatch(type)
        if m is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        if m.group(1) not in _TYPES:
            raise RuntimeError(_bad_type(type))
        if m.group(2) is not None:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            index = int(m.group(2))
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self._type, self._index = m.group(1), index

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> int | None:
        return self._index

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __eq__(self, other) -> bool:
        # as in PyTorch: never equal to a string (compare `.type == "cpu"`), and
        # device("cpu") != device("cpu", 0)
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (str(self),))

    # `with autograd.device("cpu"):` sets the default device of the factories inside
    def __enter__(self) -> device:
        _CONTEXT.append(_DEFAULT[0])
        set_default_device(self)
        return self

    def __exit__(self, *exc) -> None:
        _DEFAULT[0] = _CONTEXT.pop()


def _typename(x) -> str:
    """How PyTorch's argument errors name a type (`autograd.dtype`, `int`, `NoneType`)."""
    name = type(x).__name__
    return f"autograd.{name}" if name in ("dtype", "device") else name


def _bad_type(spec: str) -> str:
    return (f"Expected one of {', '.join(_TYPES)} device type at start of device string: "
            f"{spec}")


CPU = device("cpu")
_DEFAULT = [CPU]     # set_default_device
_CONTEXT: list = []  # defaults saved by `with device(...)`


def as_device(d) -> device:
    """`d` (a device, a string such as "cuda:0", or None for the default) as a device."""
    if d is None:
        return _DEFAULT[0]
    if type(d) is device:
        return d
    return device(d)


def check(d, op: str = "") -> None:
    """Raise PyTorch's error unless `d` names the CPU (None: the default device)."""
    if d is None:
        d = _DEFAULT[0]
        if d is CPU:
            return
    elif d == "cpu" or d is CPU:
        return
    d = as_device(d)
    if d._type == "cpu":
        return
    if d._type == "cuda":
        raise AssertionError(NO_CUDA)
    raise NotImplementedError(
        f"{op + ': ' if op else ''}PyTorch is not linked with support for {d._type} devices "
        f"({_CPU_ONLY})")


def set_default_device(d) -> None:
    """Set the device of tensors made without `device=` (None restores the CPU). A CUDA
    device is accepted, as in PyTorch, and the factories then raise its error."""
    if d is None:
        _DEFAULT[0] = CPU
        return
    d = as_device(d)
    _DEFAULT[0] = CPU if d == CPU else d


def get_default_device() -> device:
    d = _DEFAULT[0]
    if d._type == "cuda":
        raise AssertionError(NO_CUDA)
    return d


def parse_to(args: tuple, kwargs: dict, what: str = "to") -> tuple:
    """The arguments of `Tensor.to` / `Module.to`: `to(dtype)`, `to(device, dtype=None)`,
    `to(other_tensor)`, each followed by `non_blocking` and `copy`, positional or named.
    Returns (dtype or None, copy); raises unless the device is the CPU."""
    if not kwargs and len(args) == 1:   # the common x.to(device) / x.to(dtype), per batch
        a = args[0]
        if a is CPU or (type(a) is str and a == "cpu") or (type(a) is device and a._type == "cpu"):
            return None, False
        if type(a).__name__ == "dtype":
            return a, False
    from .tensor import Tensor
    kw = dict(kwargs)
    dev, dtype = kw.pop("device", None), kw.pop("dtype", None)
    flags = [kw.pop("non_blocking", False), kw.pop("copy", False)]
    kw.pop("memory_format", None)
    if kw:
        raise _bad_to(what, "".join(f"{k}={_typename(v)}, " for k, v in kw.items()))
    rest = list(args)
    if rest:
        first = rest.pop(0)
        if isinstance(first, Tensor):
            dtype = first.dtype
        elif first is None or isinstance(first, (str, device)) or (
                isinstance(first, int) and not isinstance(first, bool)):
            dev = first
            if rest and not isinstance(rest[0], bool):
                dtype = rest.pop(0)
                if isinstance(dtype, (str, device, Tensor)):
                    rest.append(dtype)   # not a dtype: reported below
        else:
            dtype = first
    if len(rest) > 2 or not all(isinstance(f, bool) for f in rest):
        raise _bad_to(what, ", ".join(_typename(a) for a in args))
    flags[:len(rest)] = rest
    if dev is not None:
        check(dev, what)
    return dtype, bool(flags[1])


def _bad_to(what: str, got: str) -> TypeError:
    return TypeError(f"{what}() received an invalid combination of arguments - got ({got}), but "
                     "expected one of: (dtype), (device, dtype=None), (tensor), each followed by "
                     "non_blocking=False, copy=False")


def raise_for_cuda(index=None):
    """`Tensor.cuda()` / `Module.cuda()`: PyTorch's CPU-build errors."""
    if isinstance(index, int) and not isinstance(index, bool):
        raise RuntimeError(NO_ACCELERATOR)
    raise AssertionError(NO_CUDA)
