"""Random numbers: `Generator`, seeding and RNG state, and sampling (`rand`, `randn`,
`randint`, `randperm`, `normal`, `bernoulli`, `poisson`, `multinomial`, the `*_like`
variants and the in-place `uniform_`, `normal_`, ... methods), each with PyTorch's
`generator=` and errors.

The streams are PyTorch's: a Mersenne Twister (mt19937, numpy's `MT19937` bit generator)
seeded as PyTorch seeds it, and PyTorch's CPU kernels on top of its 32-bit draws, so
`manual_seed(s)` followed by `rand`, `randn`, `randint`, `randperm`, `normal`, `bernoulli`,
`multinomial`, the in-place samplers, `nn.init` and the layers' default initialisation give
PyTorch's numbers, as its x86 builds compute them (float32 `randn` uses its AVX2 kernel's log,
sin and cos: see _avx_mathfun.py). `get_state()` is PyTorch's 5056-byte state, so states
move between the two; dropout's masks are PyTorch's too (`_bernoulli_mask`). `poisson`
draws from a numpy `Generator` over the same bit generator: one seed drives everything, but
its numbers are not PyTorch's.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np

from . import _avx_mathfun, dtypes
from .creation import _dtype, _leaf, _shape, like_args
from .device import CPU, as_device
from .device import check as _check_device
from .ops.base import derivative, inplace, record, shape_mismatch
from .tensor import Tensor, _make

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator",
           "get_rng_state", "set_rng_state", "fork_rng", "rand", "randn", "randint", "randperm",
           "normal", "bernoulli", "poisson", "binomial", "rand_like", "randn_like", "randint_like"]

_U64 = (1 << 64) - 1
_MT_N = 624   # mt19937's words of state

# PyTorch's CPUGeneratorImplState, byte for byte (get_state() / set_state()).
_STATE = np.dtype([
    ("the_initial_seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
    ("state", "<u8", (_MT_N,)), ("normal_x", "<f8"), ("normal_y", "<f8"),
    ("normal_rho", "<f8"), ("normal_is_valid", "<i4"), ("_pad0", "V4"),
    ("next_float_normal_sample", "<f4"), ("is_next_float_normal_sample_valid", "u1"),
    ("_pad1", "V3")])


def _seeded_key(seed: int) -> np.ndarray:
    """mt19937's state right after `init_genrand(seed)` (PyTorch seeds with seed & 0xffffffff)."""
    key = [seed & 0xFFFFFFFF]
    for j in range(1, _MT_N):
        p = key[-1]
        key.append((1812433253 * (p ^ (p >> 30)) + j) & 0xFFFFFFFF)
    return np.array(key, np.uint32)


class Generator:
    """A seeded source of random numbers, accepted as `generator=` by random functions:
    PyTorch's CPU generator (mt19937), with its seeding, streams and state layout."""

    def __init__(self, device="cpu") -> None:
        _generator_device(device)
        self._bits = np.random.MT19937()
        self._np = np.random.Generator(self._bits)   # for samplers without torch parity
        self.manual_seed(67280421310721)  # PyTorch's default seed value

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _U64
        self._fresh = _seeded_key(self._seed)
        self._set_key(self._fresh, _MT_N)
        self._normal: float | None = None         # the cached second Box-Muller sample
        self._float_normal: float | None = None   # PyTorch's float cache (kept for get_state)
        return self

    def _set_key(self, key: np.ndarray, pos: int) -> None:
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed."""
        s = int(np.random.SeedSequence().entropy) & _U64
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def _u32(self, n: int) -> np.ndarray:
        """n draws of 32 bits (PyTorch's `random()`), as uint64."""
        return self._bits.random_raw(n)

    def _u64(self, n: int) -> np.ndarray:
        """n draws of 64 bits (PyTorch's `random64()`: two 32-bit draws, high word first)."""
        r = self._bits.random_raw(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    def get_state(self) -> Tensor:
        """PyTorch's state: a uint8 tensor of 5056 bytes (the mt19937 words and position,
        the seed, and the cached normal sample), for `set_state` or saving to a file."""
        mt = self._bits.state["state"]
        key, pos = mt["key"], int(mt["pos"])
        st = np.zeros((), _STATE)
        st["the_initial_seed"], st["seeded"], st["state"] = self._seed, 1, key
        fresh = pos == _MT_N and np.array_equal(key, self._fresh)   # seeded, nothing drawn
        st["next"] = 0 if fresh else pos
        st["left"] = 1 if pos == _MT_N else _MT_N + 1 - pos
        if self._normal is not None:
            st["normal_is_valid"], st["normal_y"] = 1, self._normal
        if self._float_normal is not None:
            st["is_next_float_normal_sample_valid"] = 1
            st["next_float_normal_sample"] = self._float_normal
        return _make(np.frombuffer(st.tobytes(), np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = new_state._data.tobytes()
        if len(raw) != _STATE.itemsize:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE.itemsize} but "
                               f"found the input RNG state size to be {len(raw)}")
        st = np.frombuffer(raw, _STATE)[0]
        left, nxt = int(st["left"]), int(st["next"])
        if not 1 <= left <= _MT_N or nxt > _MT_N:
            raise RuntimeError("Invalid mt19937 state")
        key = st["state"].astype(np.uint32)
        self._set_key(key, _MT_N if left == 1 else nxt)
        self._seed = int(st["the_initial_seed"])
        self._fresh = key if left == 1 and nxt == 0 else None
        self._normal = float(st["normal_y"]) if st["normal_is_valid"] else None
        self._float_normal = (float(st["next_float_normal_sample"])
                              if st["is_next_float_normal_sample_valid"] else None)
        return self

    @property
    def device(self):
        return CPU


def _generator_device(device) -> None:
    kind = as_device(device).type
    if kind == "cuda":
        raise RuntimeError("Cannot get CUDA generator without ATen_cuda library. (This engine "
                           "computes on the CPU with numpy)")
    if kind != "cpu":
        raise RuntimeError(f"Cannot execute getNewGenerator() without {kind.upper()} backend. "
                           "(this engine computes on the CPU with numpy)")


default_generator = Generator()


def _gen(generator: Generator | None) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an autograd.Generator, got {type(generator).__name__}")
    return generator


def _rng(generator: Generator | None) -> np.random.Generator:
    """A numpy Generator over `generator`'s mt19937 (for draws without PyTorch parity)."""
    return _gen(generator)._np


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


# ---- PyTorch's CPU kernels on the generator's draws -------------------------------------------
# Each returns n values as PyTorch's kernel produces them in memory order; `_in_layout` places
# them in a tensor's elements in that order.

def _uniform01(g: Generator, n: int, dt: np.dtype) -> np.ndarray:
    """U[0, 1): 53 bits of a 64-bit draw for float64, else 24 bits of a 32-bit draw (float32)."""
    if dt == np.float64:
        return (g._u64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0 ** -53
    return (g._u32(n) & np.uint64(0xFFFFFF)).astype(np.float32) * np.float32(2.0 ** -24)


def _fma(a: np.ndarray, b, c) -> np.ndarray:
    """a * b + c rounded once, as PyTorch's kernels compute it (compiled with fused
    multiply-add). float32: exact in float64, then rounded. float64: Dekker's exact product
    and Knuth's exact sum, then rounded (faithfully: off by one ulp in rare ties)."""
    if a.dtype != np.float64:
        return (a.astype(np.float64) * np.float64(b) + np.float64(c)).astype(a.dtype)
    p = a * b
    split = lambda x: (lambda t: (t - (t - x), x - (t - (t - x))))(134217729.0 * x)  # noqa: E731
    (ah, al), (bh, bl) = split(a), split(np.float64(b))
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl      # a * b == p + e exactly
    s = p + c
    back = s - p
    err = (p - (s - back)) + (c - back)                    # p + c == s + err exactly
    return s + (err + e)


def _libm(name: str, x: np.ndarray, exact: bool = True) -> np.ndarray:
    """numpy's `name` (log, log1p, sin, ...), or with `exact` the C library's, which PyTorch
    calls: numpy's vectorised float64 versions are an ulp off for a few percent of inputs."""
    if not exact:
        return getattr(np, name)(x)
    return np.fromiter(map(getattr(math, name), x.ravel().tolist()), np.float64,
                       count=x.size).reshape(x.shape)


def _uniform_values(g: Generator, n: int, dt: np.dtype, low: float, high: float) -> np.ndarray:
    """uniform_(low, high): `u * (high - low) + low` (fused) in the dtype's arithmetic
    (float32 for float16, whose draws are float32's)."""
    ct = np.float64 if dt == np.float64 else np.float32
    lo, hi = ct(low), ct(high)
    return _fma(_uniform01(g, n, dt), hi - lo, lo).astype(dt, copy=False)


def _double_uniform01(g: Generator, n: int) -> np.ndarray:
    return _uniform01(g, n, np.dtype(np.float64))


def _box_muller_blocks(u: np.ndarray) -> np.ndarray:
    """PyTorch's normal_fill_16 over blocks of 16 uniforms: u1 = 1 - u[j], u2 = u[j + 8],
    z[j] = r cos(theta), z[j + 8] = r sin(theta), r = sqrt(-2 log u1), theta = 2 pi u2; in
    float32 with its AVX2 kernel's log, sin and cos."""
    b = u.reshape(-1, 2, 8)
    dt = u.dtype.type
    theta = dt(2.0 * np.pi) * b[:, 1]
    if dt is np.float64:
        log, (sin, cos) = _libm("log", 1 - b[:, 0]), (_libm("sin", theta), _libm("cos", theta))
    else:
        log, (sin, cos) = _avx_mathfun.log_ps(dt(1) - b[:, 0]), _avx_mathfun.sincos_ps(theta)
    radius = np.sqrt(dt(-2) * log)
    return np.stack([radius * cos, radius * sin], 1).reshape(-1)


def _normal_fill(g: Generator, n: int, dt: np.dtype) -> np.ndarray:
    """PyTorch's normal_fill (n >= 16, contiguous): n uniforms, Box-Muller per block of 16;
    when n % 16 != 0 the last 16 values are redone from 16 fresh uniforms (float16 draws
    no uniforms for the incomplete block's own elements)."""
    ct = np.dtype(np.float64 if dt == np.float64 else np.float32)
    z = np.empty(n, ct)
    head = n - n % 16 if dt == np.float16 else n
    z[:head] = _uniform01(g, head, ct)
    full = n - n % 16
    z[:full] = _box_muller_blocks(z[:full])
    if n % 16:
        z[n - 16:] = _box_muller_blocks(_uniform01(g, 16, ct))
    return z


def _normal_serial(g: Generator, n: int) -> np.ndarray:
    """n draws of PyTorch's normal_distribution<double>: two 53-bit uniforms give
    r = sqrt(-2 log1p(-u2)), theta = 2 pi u1; r cos(theta) is returned and r sin(theta) cached
    on the generator for the next draw."""
    if n == 0:
        return np.zeros(0)
    head = [] if g._normal is None else [g._normal]
    g._normal = None
    pairs = (n - len(head) + 1) // 2
    u = _double_uniform01(g, 2 * pairs).reshape(-1, 2)
    r = np.sqrt(-2.0 * _libm("log1p", -u[:, 1]))
    theta = 2.0 * np.pi * u[:, 0]
    z = np.stack([r * _libm("cos", theta), r * _libm("sin", theta)], 1).reshape(-1)
    if (n - len(head)) % 2:
        g._normal = float(z[-1])
        z = z[:-1]
    return np.concatenate([np.asarray(head, np.float64), z])


def _normal_values(g: Generator, n: int, dt: np.dtype, mean: float, std: float,
                   contiguous: bool = True) -> np.ndarray:
    """normal_(mean, std): normal_fill for 16 or more contiguous elements (in float32 for
    float32 and float16, fused `z * std + mean`), else normal_distribution<double>."""
    if n >= 16 and contiguous:
        z = _normal_fill(g, n, dt)
        ct = z.dtype.type
        return _fma(z, ct(std), ct(mean)).astype(dt, copy=False)
    return _fma(_normal_serial(g, n), std, mean).astype(dt, copy=False)


_WIDE_RANGE = 1 << 28   # PyTorch draws 64 bits for integer ranges this wide or wider


def _int_values(g: Generator, n: int, low: int, span: int) -> np.ndarray:
    """random_(low, low + span): `draw % span + low` with 32-bit draws for spans below 2**28,
    64-bit ones above (span 2**64: the 64-bit draw itself), as int64 with wraparound."""
    if span >= 1 << 64:
        return g._u64(n).view(np.int64)
    raw = g._u64(n) if span >= _WIDE_RANGE else g._u32(n)
    return (raw % np.uint64(span) + np.uint64(low & _U64)).view(np.int64)


def _full_range_values(g: Generator, n: int, dt: np.dtype) -> np.ndarray:
    """random_() without bounds: [0, 2**mantissa bits + 1) for floats, [0, max + 1) for
    integers, from 64-bit draws for int64 and float64, else 32-bit ones."""
    if dt.kind == "b":
        return g._u32(n) & np.uint64(1)
    span = ((1 << (np.finfo(dt).nmant + 1)) + 1 if dt.kind == "f"
            else int(np.iinfo(dt).max) + 1)
    raw = g._u64(n) if dt in (np.int64, np.float64) else g._u32(n)
    return raw % np.uint64(span)


def _random_seed(generator: Generator | None) -> int:
    """`int(empty((), dtype=int64).random_(generator=generator))`: how PyTorch's data
    loading draws a seed for a fresh generator."""
    return int(_full_range_values(_gen(generator), 1, np.dtype(np.int64))[0])


def _randperm_values(g: Generator, n: int) -> np.ndarray:
    """PyTorch's randperm: Fisher-Yates with 32-bit draws, swapping r[i] and r[i + z],
    z = draw % (n - i) (for n below 2**32 / 20; above, its inside-out variant on 64-bit draws)."""
    if n >= (1 << 32) // 20:
        return _randperm_inside_out(g, n)
    i = np.arange(n, dtype=np.int64)
    j = i.copy()
    if n > 1:
        j[:-1] += (g._u32(n - 1) % (n - i[:-1]).astype(np.uint64)).astype(np.int64)
    return _apply_swaps(j)


def _apply_swaps(j: np.ndarray) -> np.ndarray:
    """The permutation left by `for i: swap(r[i], r[j[i]])` on r = arange(n), where j[i] >= i,
    without a loop over i.

    Step i fixes r[i] for good, to the value then at position j[i]. Let v[k] be the value at
    position k just before step k. A position p > i changes only at steps k < i with j[k] = p,
    each of which leaves v[k] there. So the value at p before step i is v[k] for the latest
    such k, or p itself; and v[k] follows the same rule with i = k, p = k, so v is a forest of
    "latest earlier writer" links whose roots are their own values (pointer jumping).
    """
    n = len(j)
    if n == 0:
        return j
    k = np.arange(n)
    order = np.argsort(j * n + k)                 # steps grouped by target, in step order
    js = j[order]
    same = js[1:] == js[:-1]
    prev = np.full(n, -1)                         # latest earlier step with the same target
    prev[order[1:][same]] = order[:-1][same]
    last = np.full(n, -1)                         # latest step writing each position
    ends = np.append(~same, True)
    last[js[ends]] = order[ends]
    # v[k]'s link: the latest step before k that wrote position k
    link = np.where(j == k, prev, last)
    link = np.where(link < k, link, -1)
    root = np.where(link >= 0, link, k)
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    return np.where(prev >= 0, root[np.maximum(prev, 0)], j)


def _skip_randperm(g: Generator, n: int) -> None:
    """Advance `g` past the draws of randperm(n), without making the permutation."""
    if n >= (1 << 32) // 20:
        g._u64(n)
    elif n > 1:
        g._u32(n - 1)


def _randperm_inside_out(g: Generator, n: int) -> np.ndarray:
    """PyTorch's randperm for huge n: r[i] = r[z]; r[z] = i with z = 64-bit draw % (i + 1)."""
    z = (g._u64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
    r = list(range(n))
    for i, zi in enumerate(z):
        r[i] = r[zi]
        r[zi] = i
    return np.array(r, np.int64)


def _in_layout(flat: np.ndarray, like: np.ndarray) -> np.ndarray:
    """`flat`, drawn in the memory order of `like`'s elements (PyTorch's kernels walk a
    tensor's storage), arranged in `like`'s logical shape."""
    if like.flags.c_contiguous:
        return flat.reshape(like.shape)
    order = sorted(range(like.ndim), key=lambda d: -abs(like.strides[d]))
    return flat.reshape([like.shape[d] for d in order]).transpose(np.argsort(order))


# ---- sampling functions -----------------------------------------------------------------------
def _not_implemented(kernel: str, dt: np.dtype, op: str) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.from_np(dt)._legacy}' "
                               f"({op} samples floating-point values)")


def _float_dtype(dtype, kernel: str, op: str) -> np.dtype:
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise _not_implemented(kernel, dt, op)
    return dt


def _numel(shape: tuple) -> int:
    return int(np.prod(shape, dtype=np.int64))


def rand(*size, generator: Generator | None = None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    _check_device(device, "rand")
    dt = _float_dtype(dtype, "check_uniform_bounds", "rand")
    shape = _shape(size)
    data = _uniform_values(_gen(generator), _numel(shape), dt, 0.0, 1.0)
    return _leaf(data.reshape(shape), requires_grad)


def randn(*size, generator: Generator | None = None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal."""
    _check_device(device, "randn")
    dt = _float_dtype(dtype, "normal_kernel_cpu", "randn")
    shape = _shape(size)
    data = _normal_values(_gen(generator), _numel(shape), dt, 0.0, 1.0)
    return _leaf(data.reshape(shape), requires_grad)


_C_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
            "int32": "int", "int64": "long"}


def _check_range(low, high, hint: str = "", dt: np.dtype | None = None) -> None:
    """[low, high) must be non-empty, and within an integer dtype's values."""
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}{hint}")
    if dt is not None and dt.kind in "biu":
        lo, hi = (0, 1) if dt.kind == "b" else (int(np.iinfo(dt).min), int(np.iinfo(dt).max))
        for name, v in (("from", low), ("to - 1", high - 1)):
            if not lo <= v <= hi:
                raise RuntimeError(f"{name} is out of bounds for {_C_NAMES[dt.name]}")


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
    dt = _dtype(dtype, dtypes.int64)
    _check_range(low, high, f" (randint draws from [low, high): low={low}, high={high})", dt)
    shape = _shape((size,) if isinstance(size, int) else size)
    data = _int_values(_gen(generator), _numel(shape), int(low), int(high) - int(low))
    return _leaf(data.reshape(shape).astype(dt), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype=None, layout=None,
             device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless `dtype` says otherwise)."""
    _check_device(device, "randperm")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    return _leaf(_randperm_values(_gen(generator), int(n)).astype(_dtype(dtype, dtypes.int64)),
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
        data = _normal_values(_gen(generator), _numel(shape), dt, mean, std)
        return _leaf(data.reshape(shape), requires_grad)
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
    # PyTorch: out.normal_(0, std) then + mean for a float std; out.normal_(0, 1) then
    # * std + mean for a tensor std (in the output's dtype)
    z = _normal_values(_gen(generator), _numel(shape), dt, 0.0, 1.0 if ts else s)
    z = z.reshape(shape)
    out = ((z * s.astype(dt, copy=False) if ts else z) + m).astype(dt, copy=False)
    if tm and ts:
        return record(NormalBackward3, out, (mean, std))
    return record(NormalBackward1 if tm else NormalBackward2, out, (ref,))


def _check_float_input(x: Tensor, kernel: str, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise _not_implemented(kernel, x._data.dtype, op)


def _draw_bernoulli(g: Generator, p, like: np.ndarray, p_dtype=np.float64) -> np.ndarray:
    """PyTorch's bernoulli: `u < p` for each element of `like`, flat in memory order; u a
    53-bit uniform for a float p or float64 probabilities, else a 24-bit one."""
    u = _uniform01(g, like.size, np.dtype(p_dtype))
    if isinstance(p, np.ndarray):
        p = _memory_order(np.broadcast_to(p, like.shape), like)
    return u < p


def _bernoulli_mask(shape: tuple, p: float, generator: Generator | None = None) -> np.ndarray:
    """PyTorch's `empty(shape).bernoulli_(p)` as a bool array: how its CPU dropout draws the
    mask of kept units (`bernoulli_(1 - p)`, then scaled by 1 / (1 - p))."""
    return _draw_bernoulli(_gen(generator), p, np.empty(shape, np.bool_)).reshape(shape)


def _memory_order(a: np.ndarray, like: np.ndarray) -> np.ndarray:
    """`a`'s elements (shaped like `like`) listed in the memory order of `like`'s."""
    if like.flags.c_contiguous:
        return a.reshape(-1)
    order = sorted(range(like.ndim), key=lambda d: -abs(like.strides[d]))
    return a.transpose(order).reshape(-1)


def bernoulli(input: Tensor, p: float | None = None, *,  # noqa: A002
              generator: Generator | None = None) -> Tensor:
    """0/1 samples, 1 with probability `input` (elementwise), or `p` if given; same shape
    and dtype as input."""
    _check_float_input(input, "bernoulli_tensor_cpu_p_", "bernoulli")
    d = input._data
    g, out = _gen(generator), np.empty(d.shape, d.dtype)
    if p is not None:
        _check_p(p, "bernoulli")
        return _make(_draw_bernoulli(g, p, out).astype(d.dtype).reshape(d.shape))
    if not ((d >= 0) & (d <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                           "(bernoulli(): every probability must be in [0, 1])")
    draws = _draw_bernoulli(g, d, out, d.dtype).astype(d.dtype).reshape(d.shape)
    return record(BernoulliBackward0, draws, (input,))


def _check_p(p: float, op: str) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"{op}_ expects p to be in [0, 1], but got p={p}")


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Samples of Poisson(rate) for each rate in `input` (same dtype)."""
    _check_float_input(input, "poisson_cpu", "poisson")
    d = input._data
    if not (d >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    g = _gen(generator)
    out = np.array([_poisson_sample(float(rate), g) for rate in d.reshape(-1).tolist()],
                   np.float64).reshape(d.shape)
    return record(PoissonBackward0, out.astype(d.dtype), (input,))


def _poisson_sample(rate: float, g: Generator) -> int:
    """PyTorch's CPU sampler, one rate at a time on 53-bit uniforms: Hoermann's transformed
    rejection (1993) for rates of 10 or more, else multiplying uniforms until the product
    falls below exp(-rate)."""
    def uniform() -> float:
        return _uniform53(g)
    if rate >= 10:
        slam, loglam = math.sqrt(rate), math.log(rate)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = (2 * a / us + b) * u + rate + 0.43
            k = math.floor(k) if math.isfinite(k) else -2 ** 63   # (C's cast, for rate inf)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= \
                    -rate + k * loglam - math.lgamma(k + 1):
                return k
    if rate == 0:
        return 0
    enlam, k, prod = math.exp(-rate), 0, 1.0
    while True:
        prod *= uniform()
        if prod <= enlam:
            return k
        k += 1


def _uniform53(g: Generator) -> float:
    """One double in [0, 1) from 53 bits of a 64-bit draw (PyTorch's
    uniform_real_distribution<double>, which its CPU samplers call per value)."""
    return float(g._u64(1)[0] & np.uint64((1 << 53) - 1)) * 2.0 ** -53


def binomial(count: Tensor, prob: Tensor, generator: Generator | None = None) -> Tensor:
    """Samples of Binomial(count, prob), elementwise (same dtype as `count`)."""
    _check_float_input(count, "binomial_cpu", "binomial")
    c, p = np.broadcast_arrays(count._data, prob._data)
    g = _gen(generator)
    out = np.array([_binomial_sample(n, q, g) for n, q in zip(c.reshape(-1).tolist(),
                                                              p.reshape(-1).tolist())],
                   np.float64).reshape(c.shape)
    return _make(out.astype(count._data.dtype))   # (PyTorch has no derivative for it)


def _binomial_sample(count: float, prob: float, g: Generator) -> float:
    """PyTorch's CPU sampler: for the smaller of p and 1 - p, Hoermann's BTRS rejection
    (1993) when count * p >= 10, else counting geometric waiting times."""
    if count <= 0 or prob <= 0:
        return 0.0
    if prob >= 1:
        return count
    if math.isnan(prob):
        return math.nan
    q = prob if prob <= 0.5 else 1.0 - prob
    k = _btrs(count, q, g) if count * q >= 10 else _binomial_inversion(count, q, g)
    return k if prob <= 0.5 else count - k


def _binomial_inversion(count: float, prob: float, g: Generator) -> float:
    geom_sum, num_geom, logprob = 0.0, 0.0, math.log1p(-prob)
    while True:
        u = _uniform53(g)
        geom_sum += math.ceil(math.log(u) / logprob) if u > 0 else math.inf
        if geom_sum > count:
            return num_geom
        num_geom += 1


_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_tail(k: float) -> float:
    """log k! minus its Stirling approximation."""
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _btrs(count: float, prob: float, g: Generator) -> float:
    stddev = math.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor((count + 1) * prob)
    while True:
        u = _uniform53(g) - 0.5
        v = _uniform53(g)
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + c)
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return float(k)
        v = math.log(v * alpha / (a / (us * us) + b))
        upperbound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                      + (count + 1) * math.log((count - m + 1) / (count - k + 1))
                      + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
                      + _stirling_tail(m) + _stirling_tail(count - m)
                      - _stirling_tail(k) - _stirling_tail(count - k))
        if v <= upperbound:
            return float(k)


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


def _fill(x: Tensor, flat: np.ndarray, node: str, p: Tensor | None = None) -> Tensor:
    """x's new values, `flat` listing them in the memory order of x's elements."""
    data = _in_layout(flat.astype(x._data.dtype, copy=False), x._data)
    return record(_FILL_NODES[node], data, (x,) if p is None else (x, p))


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
    d = x._data
    return _fill(x, _uniform_values(_gen(generator), d.size, d.dtype, low, high),
                 "UniformBackward0")


def _normal(x: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    _continuous(x, "normal_kernel_cpu", "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    d = x._data
    return _fill(x, _normal_values(_gen(generator), d.size, d.dtype, mean, std,
                                   d.flags.c_contiguous), "NormalBackward0")


def _bernoulli(x: Tensor, p=0.5, *, generator: Generator | None = None) -> Tensor:
    g = _gen(generator)
    if isinstance(p, Tensor):
        try:
            probs = np.broadcast_to(p._data, x._data.shape)
        except ValueError:
            raise RuntimeError(f"bernoulli_: the probabilities of shape {list(p.shape)} do not "
                               f"broadcast to the tensor's shape {list(x.shape)}") from None
        if not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(bernoulli_(): every probability must be in [0, 1])")
        draws = _draw_bernoulli(g, probs, x._data, np.float64 if probs.dtype == np.float64
                                else np.float32)
        return _fill(x, draws, "BernoulliBackward1", p)
    _check_p(p, "bernoulli")
    return _fill(x, _draw_bernoulli(g, p, x._data), "BernoulliBackward2")


def _exponential(x: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {x.dtype._legacy}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _double_uniform01(_gen(generator), x._data.size)
    return _fill(x, -1.0 / lambd * _libm("log1p", -u, x._data.dtype == np.float64),
                 "ExponentialBackward0")


def _largest_exact(dt: np.dtype) -> int:
    """The largest integer `random_(from, None)` draws: the dtype's maximum (2**mantissa
    bits for floats)."""
    if dt.kind == "b":
        return 1
    if dt.kind == "f":
        return 1 << (np.finfo(dt).nmant + 1)
    return int(np.iinfo(dt).max)


def _random(x: Tensor, *args, generator: Generator | None = None, **kwargs) -> Tensor:
    """random_(): every integer the dtype holds exactly; random_(to): [0, to);
    random_(from, to): [from, to); random_(from, None): [from, the dtype's largest]."""
    low, high = _from_to(args, kwargs, "random_", None)
    both = len(args) + ("to" in kwargs) == 2
    d, g = x._data, _gen(generator)
    if both:
        if high is None:
            if low == -(1 << 63):
                return _fill(x, _int_values(g, d.size, 0, 1 << 64), "RandomBackward0")
            high = _largest_exact(d.dtype) + 1
        _check_range(low, high, dt=d.dtype)
        return _fill(x, _int_values(g, d.size, low, high - low), "RandomBackward0")
    if low is None and high is None:
        return _fill(x, _full_range_values(g, d.size, d.dtype), "RandomBackward2")
    high = low if high is None else high
    _check_range(0, high, dt=d.dtype)
    return _fill(x, _int_values(g, d.size, 0, high), "RandomBackward1")


def _geometric(x: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    if x._data.dtype.kind == "b":
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    u = _double_uniform01(_gen(generator), x._data.size)
    return _fill(x, np.ceil(_libm("log", u, x._data.dtype == np.float64) / math.log1p(-p)),
                 "GeometricBackward0")


def _log_normal(x: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Generator | None = None) -> Tensor:
    _continuous(x, "log_normal_cpu", "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    z = _normal_serial(_gen(generator), x._data.size)
    return _fill(x, _libm("exp", _fma(z, std, mean), x._data.dtype == np.float64),
                 "LogNormalBackward0")


def _cauchy(x: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"Cauchy distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {x.dtype._legacy}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    u = _double_uniform01(_gen(generator), x._data.size)
    tan = _libm("tan", np.pi * (u - 0.5), x._data.dtype == np.float64)
    return _fill(x, _fma(tan, sigma, median), "CauchyBackward0")


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


# ---------------------------------------------------------------------------------------
# multinomial (torch.multinomial): draws of category indices from rows of weights


def multinomial(input, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None, out=None):
    """Draw `num_samples` category indices from each row of non-negative weights
    (`input` 1-D (K,) or 2-D (rows, K); weights need not sum to 1). Returns int64 indices
    of shape (num_samples,) or (rows, num_samples).

    With replacement, each draw follows p / sum(p). Without (the default), each index
    appears at most once and later draws follow the renormalised remaining weights;
    zero-weight categories come last, once the positive ones are used up. PyTorch's
    algorithms and draws: the same seed gives PyTorch's indices."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"multinomial(): argument 'generator' must be autograd.Generator, not "
                        f"{type(generator).__name__}")
    p = input._data
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if p.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._legacy}")
    n = int(num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = p.shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    w = np.atleast_2d(p).astype(np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = w.sum(axis=1)
    if (total <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = _gen(generator)
    if replacement and n > 1:
        # PyTorch: the row's cumulative weights (in its dtype) over their total, and for
        # each draw the first category whose cumulative weight reaches a 53-bit uniform
        cdf = np.cumsum(np.atleast_2d(p), axis=1)
        cdf = cdf / cdf[:, -1:]
        u = _double_uniform01(g, w.shape[0] * n).reshape(-1, n)
        idx = np.stack([np.searchsorted(c, r, side="left") for c, r in zip(cdf, u)])
        idx = np.minimum(idx, k - 1)
    else:
        # PyTorch's exponential race: the largest p / q with q ~ Exp(1) drawn by exponential_
        # (one sample, with or without replacement, is the same draw); zero weights come last,
        # in descending index order, as PyTorch's topk leaves them
        u = _double_uniform01(g, w.size)
        q = (-_libm("log1p", -u, p.dtype == np.float64)).astype(p.dtype).reshape(w.shape)
        keys = np.atleast_2d(p) / q
        back = np.broadcast_to(-np.arange(k), w.shape)
        idx = np.lexsort((back, -keys), axis=-1)[:, :n]
    idx = idx.astype(np.int64, copy=False)
    res = _make(idx if p.ndim == 2 else idx[0])
    if out is not None:
        out._data[...] = res._data
        return out
    return res


def _tensor_multinomial(self, num_samples: int, replacement: bool = False, *,
                        generator: Generator | None = None):
    return multinomial(self, num_samples, replacement, generator=generator)


Tensor.multinomial = _tensor_multinomial
