"""Random numbers: `Generator`, seeding and RNG state, and sampling (`rand`, `randn`,
`randint`, `randperm`, `normal`, `bernoulli`, `poisson`, the `*_like` variants and the
in-place `uniform_`, `normal_`, ... methods), each with PyTorch's `generator=` and errors.

Streams come from numpy's PCG64, so seeds give reproducible results here, but not the
same numbers as PyTorch's generator (a Mersenne Twister).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from . import dtypes
from .creation import _dtype, _leaf, _shape, like_args
from .device import CPU, as_device
from .device import check as _check_device
from .ops.base import derivative, inplace, record, shape_mismatch
from .tensor import Tensor, _make

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator",
           "get_rng_state", "set_rng_state", "fork_rng", "rand", "randn", "randint", "randperm",
           "normal", "bernoulli", "poisson", "rand_like", "randn_like", "randint_like"]

_U64 = (1 << 64) - 1


class Generator:
    """A seeded source of random numbers, accepted as `generator=` by random functions."""

    def __init__(self, device="cpu") -> None:
        _generator_device(device)
        self._seed = 67280421310721  # PyTorch's default seed value
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _U64
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed."""
        s = int(np.random.SeedSequence().entropy) & _U64
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The generator's state as a uint8 tensor (for `set_state`, or saving to a file)."""
        st = self._rng.bit_generator.state
        pcg = st["state"]
        raw = (pcg["state"].to_bytes(16, "little") + pcg["inc"].to_bytes(16, "little")
               + bytes([st["has_uint32"]]) + st["uinteger"].to_bytes(4, "little")
               + self._seed.to_bytes(8, "little"))
        return _make(np.frombuffer(raw, np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = new_state._data.tobytes()
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(f"Expected a state of {_STATE_BYTES} bytes (from get_state()), got "
                               f"{len(raw)}")
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[:16], "little"),
                      "inc": int.from_bytes(raw[16:32], "little")},
            "has_uint32": raw[32], "uinteger": int.from_bytes(raw[33:37], "little")}
        self._seed = int.from_bytes(raw[37:], "little")
        return self

    @property
    def device(self):
        return CPU


_STATE_BYTES = 45


def _generator_device(device) -> None:
    kind = as_device(device).type
    if kind == "cuda":
        raise RuntimeError("Cannot get CUDA generator without ATen_cuda library. (This engine "
                           "computes on the CPU with numpy)")
    if kind != "cpu":
        raise RuntimeError(f"Cannot execute getNewGenerator() without {kind.upper()} backend. "
                           "(this engine computes on the CPU with numpy)")


default_generator = Generator()


def _rng(generator: Generator | None) -> np.random.Generator:
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an autograd.Generator, got {type(generator).__name__}")
    return generator._rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (used by every random function without `generator=`)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    if not isinstance(new_state, Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """Run the block with the default generator's state restored afterwards."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# ---- sampling functions -----------------------------------------------------------------------
def _not_implemented(kernel: str, dt: np.dtype, op: str) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.from_np(dt)._legacy}' "
                               f"({op} samples floating-point values)")


def _float_dtype(dtype, kernel: str, op: str) -> np.dtype:
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise _not_implemented(kernel, dt, op)
    return dt


def rand(*size, generator: Generator | None = None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    _check_device(device, "rand")
    dt = _float_dtype(dtype, "check_uniform_bounds", "rand")
    return _leaf(_rng(generator).random(_shape(size), np.float64).astype(dt), requires_grad)


def randn(*size, generator: Generator | None = None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal."""
    _check_device(device, "randn")
    dt = _float_dtype(dtype, "normal_kernel_cpu", "randn")
    return _leaf(_rng(generator).standard_normal(_shape(size)).astype(dt), requires_grad)


def _check_range(low, high, hint: str = "") -> None:
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}{hint}")


def randint(low, high=None, size=None, *, generator: Generator | None = None, dtype=None,
            layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high); `randint(high, size)` and `randint(low, high, size)`."""
    _check_device(device, "randint")
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    _check_range(low, high, f" (randint draws from [low, high): low={low}, high={high})")
    data = _rng(generator).integers(low, high, size=_shape((size,) if isinstance(size, int)
                                                            else size))
    return _leaf(data.astype(_dtype(dtype, dtypes.int64)), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype=None, layout=None,
             device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless `dtype` says otherwise)."""
    _check_device(device, "randperm")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    return _leaf(_rng(generator).permutation(int(n)).astype(_dtype(dtype, dtypes.int64)),
                 requires_grad)


def _zeros_for(*grads):
    """The gradient PyTorch defines for sampling ops: zero for every input."""
    def rule(g):
        z = g.new_zeros(g.shape)
        return z if len(grads) == 1 else (z,) * len(grads)
    return rule


NormalBackward1 = derivative("NormalBackward1", _zeros_for("mean"))
NormalBackward2 = derivative("NormalBackward2", _zeros_for("std"))
NormalBackward3 = derivative("NormalBackward3", _zeros_for("mean", "std"))
BernoulliBackward0 = derivative("BernoulliBackward0", _zeros_for("input"))
PoissonBackward0 = derivative("PoissonBackward0", _zeros_for("input"))


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None, dtype=None,
           layout=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Samples of N(mean, std): `normal(mean_tensor, std_tensor)` (broadcast),
    `normal(mean_tensor, std=1.0)`, `normal(mean, std_tensor)`, or
    `normal(mean, std, size)` with Python numbers. Gradients are zero, as in PyTorch."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if (tm or ts) == (size is not None):
        got = ", ".join(type(a).__name__ for a in (mean, std, size) if a is not None)
        raise TypeError(f"normal() received an invalid combination of arguments - got ({got}), "
                        "but expected one of: (Tensor mean, Tensor std), (Tensor mean, float "
                        "std=1), (float mean, Tensor std), (float mean, float std, tuple of ints "
                        "size)")
    if not (tm or ts):
        _check_device(device, "normal")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        dt = _float_dtype(dtype, "normal_kernel_cpu", "normal")
        shape = _shape((size,) if isinstance(size, int) else size)
        return _leaf(_rng(generator).normal(mean, std, shape).astype(dt), requires_grad)
    ref = mean if tm else std
    dt = ref._data.dtype
    for t in (mean, std):
        if isinstance(t, Tensor) and t._data.dtype.kind != "f":
            raise _not_implemented("normal_kernel_cpu", t._data.dtype, "normal")
    m = mean._data if tm else mean
    s = std._data if ts else std
    if ts:
        if (s < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif s < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {s}")
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    except ValueError:
        msg = str(shape_mismatch("normal", m, s)).split(": ", 1)[1].split(" (shapes")[0]
        raise RuntimeError(f"{msg} (normal(): mean of shape {list(np.shape(m))}, std of shape "
                           f"{list(np.shape(s))})") from None
    out = _rng(generator).normal(m, s, size=shape).astype(dt)
    if tm and ts:
        return record(NormalBackward3, out, (mean, std))
    return record(NormalBackward1 if tm else NormalBackward2, out, (ref,))


def _check_float_input(x: Tensor, kernel: str, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise _not_implemented(kernel, x._data.dtype, op)


def _draw_bernoulli(rng: np.random.Generator, p, shape: tuple) -> np.ndarray:
    return rng.random(shape) < p


def bernoulli(input: Tensor, p: float | None = None, *,  # noqa: A002
              generator: Generator | None = None) -> Tensor:
    """0/1 samples, 1 with probability `input` (elementwise), or `p` if given; same shape
    and dtype as input."""
    _check_float_input(input, "bernoulli_tensor_cpu_p_", "bernoulli")
    d = input._data
    rng = _rng(generator)
    if p is not None:
        _check_p(p, "bernoulli")
        return _make(_draw_bernoulli(rng, p, d.shape).astype(d.dtype))
    if not ((d >= 0) & (d <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                           "(bernoulli(): every probability must be in [0, 1])")
    return record(BernoulliBackward0, _draw_bernoulli(rng, d, d.shape).astype(d.dtype), (input,))


def _check_p(p: float, op: str) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"{op}_ expects p to be in [0, 1], but got p={p}")


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Samples of Poisson(rate) for each rate in `input` (same dtype)."""
    _check_float_input(input, "poisson_cpu", "poisson")
    d = input._data
    if not (d >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    try:
        out = _rng(generator).poisson(d)
    except ValueError as e:
        raise RuntimeError(f"poisson(): {e}") from None
    return record(PoissonBackward0, np.asarray(out).astype(d.dtype), (input,))


def _like(sample, name: str):
    """`rand_like` / `randn_like`: `sample` shaped like the input, in its dtype."""
    def like(input: Tensor, *, dtype=None, layout=None, device=None,  # noqa: A002
             requires_grad: bool = False, memory_format=None,
             generator: Generator | None = None) -> Tensor:
        shape, dt = like_args(input, dtype, device, name)
        return sample(shape, generator=generator, dtype=dtypes.from_np(dt),
                      requires_grad=requires_grad)
    like.__name__ = like.__qualname__ = name
    like.__doc__ = f"`{sample.__name__}` shaped like the input, in its dtype unless `dtype=`."
    return like


rand_like = _like(rand, "rand_like")
randn_like = _like(randn, "randn_like")


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,  # noqa: A002
                 dtype=None, layout=None, device=None, requires_grad: bool = False,
                 memory_format=None, generator: Generator | None = None) -> Tensor:
    """Integers in [low, high) shaped like input, in input's dtype; `randint_like(x, high)`."""
    shape, dt = like_args(input, dtype, device, "randint_like")
    if high is None:
        low, high = 0, low
    return randint(low, high, shape, generator=generator, dtype=dtypes.from_np(dt),
                   requires_grad=requires_grad)


# ---- in-place sampling: x.uniform_(), x.normal_(), ... -------------------------------------------
# Each fills the tensor with new samples; on a tensor in a graph its grad_fn is PyTorch's
# (UniformBackward0, ...) and the gradient through it is zero.

_FILL_NODES = {name: derivative(name, _zeros_for("self")) for name in (
    "UniformBackward0", "NormalBackward0", "BernoulliBackward2", "ExponentialBackward0",
    "RandomBackward0", "RandomBackward1", "RandomBackward2", "GeometricBackward0",
    "LogNormalBackward0", "CauchyBackward0")}
_FILL_NODES["BernoulliBackward1"] = derivative("BernoulliBackward1", _zeros_for("self", "p"))


def _fill(x: Tensor, data: np.ndarray, node: str, p: Tensor | None = None) -> Tensor:
    return record(_FILL_NODES[node], np.asarray(data).astype(x._data.dtype),
                  (x,) if p is None else (x, p))


def _continuous(x: Tensor, kernel: str, op: str) -> None:
    """PyTorch's error for a continuous distribution drawn into an integer tensor."""
    if x._data.dtype.kind != "f":
        raise _not_implemented(kernel, x._data.dtype, op)


def _from_to(args: tuple, kwargs: dict, op: str, default_to) -> tuple:
    """`op(from, to)` with `from` positional only (a Python keyword) and `to` either way."""
    if len(args) > 2 or set(kwargs) - {"to"}:
        bad = next((k for k in kwargs if k != "to"), None)
        raise TypeError(f"{op}() got an unexpected keyword argument '{bad}'" if bad else
                        f"{op}() takes at most 2 positional arguments ({len(args)} given)")
    vals = list(args) + [None] * (2 - len(args))
    if "to" in kwargs:
        vals[1] = kwargs["to"]
    return vals[0], vals[1] if vals[1] is not None else default_to


def _uniform(x: Tensor, *args, generator: Generator | None = None, **kwargs) -> Tensor:
    low, high = _from_to(args, kwargs, "uniform_", 1.0)
    low = 0.0 if low is None else low
    _continuous(x, "check_uniform_bounds", "uniform_")
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={low} > to={high}")
    return _fill(x, _rng(generator).uniform(low, high, x._data.shape), "UniformBackward0")


def _normal(x: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    _continuous(x, "normal_kernel_cpu", "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill(x, _rng(generator).normal(mean, std, x._data.shape), "NormalBackward0")


def _bernoulli(x: Tensor, p=0.5, *, generator: Generator | None = None) -> Tensor:
    rng = _rng(generator)
    if isinstance(p, Tensor):
        try:
            probs = np.broadcast_to(p._data, x._data.shape)
        except ValueError:
            raise RuntimeError(f"bernoulli_: the probabilities of shape {list(p.shape)} do not "
                               f"broadcast to the tensor's shape {list(x.shape)}") from None
        if not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(bernoulli_(): every probability must be in [0, 1])")
        return _fill(x, _draw_bernoulli(rng, probs, x._data.shape), "BernoulliBackward1", p)
    _check_p(p, "bernoulli")
    return _fill(x, _draw_bernoulli(rng, p, x._data.shape), "BernoulliBackward2")


def _exponential(x: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {x.dtype._legacy}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(x, _rng(generator).exponential(1.0 / lambd, x._data.shape),
                 "ExponentialBackward0")


def _random_bounds(dt: np.dtype) -> int:
    """`random_()` with no bounds draws from [0, this): every integer the dtype holds
    exactly (2**mantissa bits + 1 for floats, as PyTorch)."""
    if dt.kind == "b":
        return 2
    if dt.kind == "f":
        return (1 << (np.finfo(dt).nmant + 1)) + 1
    return int(np.iinfo(dt).max) + 1


def _random(x: Tensor, *args, generator: Generator | None = None, **kwargs) -> Tensor:
    low, high = _from_to(args, kwargs, "random_", None)
    if high is None:
        low, high = (0, _random_bounds(x._data.dtype)) if low is None else (0, low)
    elif low is None:
        low = 0
    _check_range(low, high)
    node = "RandomBackward0" if len(args) == 2 or (args and "to" in kwargs) else \
        "RandomBackward1" if args or "to" in kwargs else "RandomBackward2"
    return _fill(x, _rng(generator).integers(low, high, x._data.shape), node)


def _geometric(x: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _fill(x, _rng(generator).geometric(p, x._data.shape), "GeometricBackward0")


def _log_normal(x: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Generator | None = None) -> Tensor:
    _continuous(x, "log_normal_cpu", "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _fill(x, _rng(generator).lognormal(mean, std, x._data.shape), "LogNormalBackward0")


def _cauchy(x: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"Cauchy distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {x.dtype._legacy}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    return _fill(x, median + sigma * _rng(generator).standard_cauchy(x._data.shape),
                 "CauchyBackward0")


Tensor.uniform_ = inplace(_uniform)
Tensor.normal_ = inplace(_normal)
Tensor.bernoulli_ = inplace(_bernoulli)
Tensor.exponential_ = inplace(_exponential)
Tensor.random_ = inplace(_random)
Tensor.geometric_ = inplace(_geometric)
Tensor.log_normal_ = inplace(_log_normal)
Tensor.cauchy_ = inplace(_cauchy)


def _bernoulli_method(x: Tensor, p: float | None = None, *,
                      generator: Generator | None = None) -> Tensor:
    return bernoulli(x, p, generator=generator)


Tensor.bernoulli = _bernoulli_method
