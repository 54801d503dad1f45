"""PyTorch's CPU random streams, transcribed plainly from its C++ source: one element at a
time, in Python ints and floats with the math module, mt19937 written out from its reference
code (not numpy's). autograd.random computes the same streams vectorised; the op registry and
tests/autograd/test_random_streams.py compare the two without needing torch.

Sources: aten/src/ATen/core/MT19937RNGEngine.h (seeding and draws), CPUGeneratorImpl.cpp
(random64), core/DistributionsHelper.h and core/TransformationHelper.h (the distributions),
native/cpu/DistributionTemplates.h and DistributionKernels.cpp (the kernels, normal_fill).
"""

from __future__ import annotations

import math

import numpy as np

_N, _M = 624, 397


class TorchCPUStream:
    """A CPU generator after `manual_seed(seed)`."""

    def __init__(self, seed: int) -> None:
        mt = [seed & 0xFFFFFFFF]
        for j in range(1, _N):
            mt.append((1812433253 * (mt[-1] ^ (mt[-1] >> 30)) + j) & 0xFFFFFFFF)
        self.mt, self.i = mt, _N
        self.cached_normal: float | None = None

    # ---- raw draws
    def _twist(self) -> None:
        mt = self.mt
        for k in range(_N):
            y = (mt[k] & 0x80000000) | (mt[(k + 1) % _N] & 0x7FFFFFFF)
            mt[k] = mt[(k + _M) % _N] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
        self.i = 0

    def random(self) -> int:
        if self.i >= _N:
            self._twist()
        y = self.mt[self.i]
        self.i += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)

    def random64(self) -> int:
        hi = self.random()
        return (hi << 32) | self.random()

    # ---- distributions
    def uniform_double(self) -> float:
        return (self.random64() & ((1 << 53) - 1)) * 2.0 ** -53

    def uniform_float(self) -> np.float32:
        return np.float32((self.random() & 0xFFFFFF) * 2.0 ** -24)

    def normal_double(self) -> float:
        """normal_distribution<double>: one Box-Muller pair, the sine half cached."""
        if self.cached_normal is not None:
            z, self.cached_normal = self.cached_normal, None
            return z
        u1, u2 = self.uniform_double(), self.uniform_double()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        self.cached_normal = r * math.sin(theta)
        return r * math.cos(theta)

    # ---- kernels: n values of a contiguous tensor of dtype `dt`
    def uniform_(self, n: int, dt, low: float = 0.0, high: float = 1.0) -> np.ndarray:
        if np.dtype(dt) == np.float64:
            return np.array([self.uniform_double() * (high - low) + low for _ in range(n)])
        lo, hi = np.float32(low), np.float32(high)
        return np.array([self.uniform_float() * (hi - lo) + lo for _ in range(n)],
                        np.float32).astype(dt)

    def normal_(self, n: int, dt, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
        dt = np.dtype(dt)
        if n < 16:
            return np.array([self.normal_double() * std + mean for _ in range(n)]).astype(dt)
        is64 = dt == np.float64
        draw = self.uniform_double if is64 else self.uniform_float
        f = float if is64 else np.float32
        data = [draw() for _ in range(n - n % 16 if dt == np.float16 else n)]
        data += [f(0)] * (n - len(data))

        def fill16(at: int) -> None:
            for j in range(8):
                u1, u2 = f(1) - data[at + j], data[at + j + 8]
                radius = np.sqrt(f(-2) * np.log(u1))
                theta = f(2.0 * math.pi) * u2
                data[at + j] = radius * np.cos(theta) * f(std) + f(mean)
                data[at + j + 8] = radius * np.sin(theta) * f(std) + f(mean)
        for at in range(0, n - 15, 16):
            fill16(at)
        if n % 16:
            data[n - 16:] = [draw() for _ in range(16)]
            fill16(n - 16)
        return np.array(data, np.float64 if is64 else np.float32).astype(dt)

    def random_(self, n: int, low: int, high: int) -> np.ndarray:
        """random_(low, high) / randint: 64-bit draws for ranges of 2**28 or more."""
        span = high - low
        draw = self.random64 if span >= 1 << 28 else self.random
        return np.array([draw() % span + low for _ in range(n)], np.int64)

    def randperm(self, n: int) -> np.ndarray:
        r = list(range(n))
        for i in range(n - 1):
            z = self.random() % (n - i)
            r[i], r[i + z] = r[i + z], r[i]
        return np.array(r, np.int64)

    def bernoulli_(self, p: np.ndarray, p_is_double: bool = True) -> np.ndarray:
        draw = self.uniform_double if p_is_double else self.uniform_float
        return np.array([draw() < q for q in np.ravel(p)]).reshape(np.shape(p))

    def exponential_(self, n: int, lambd: float) -> np.ndarray:
        return np.array([-1.0 / lambd * math.log1p(-self.uniform_double()) for _ in range(n)])

    def geometric_(self, n: int, p: float) -> np.ndarray:
        return np.array([math.ceil(math.log(self.uniform_double()) / math.log1p(-p))
                         for _ in range(n)])

    def log_normal_(self, n: int, mean: float, std: float) -> np.ndarray:
        return np.array([math.exp(self.normal_double() * std + mean) for _ in range(n)])

    def cauchy_(self, n: int, median: float, sigma: float) -> np.ndarray:
        return np.array([median + sigma * math.tan(math.pi * (self.uniform_double() - 0.5))
                         for _ in range(n)])

    def poisson_(self, rates: np.ndarray) -> np.ndarray:
        """native/Distributions.cpp's sample_poisson, element by element."""
        return np.array([self._poisson(float(r)) for r in np.ravel(rates)]).reshape(
            np.shape(rates))

    def _poisson(self, lam: float) -> int:
        if lam < 10:   # (0 for lam == 0: the first product is already <= exp(0) = 1)
            x, prod = 0, self.uniform_double() if lam else 0.0
            while prod > math.exp(-lam):
                x, prod = x + 1, prod * self.uniform_double()
            return x
        b = 0.931 + 2.53 * math.sqrt(lam)   # transformed rejection (Hoermann, 1993)
        a, inv_alpha = -0.059 + 0.02483 * b, 1.1239 + 1.1328 / (b - 3.4)
        v_r = 0.9277 - 3.6224 / (b - 2)
        while True:
            u, v = self.uniform_double() - 0.5, self.uniform_double()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= v_r:
                return k
            if k >= 0 and not (us < 0.013 and v > us) and \
                    math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= \
                    -lam + k * math.log(lam) - math.lgamma(k + 1):
                return k

    def numpy_generator(self) -> np.random.Generator:
        """A numpy Generator over this mt19937 (autograd's draws without torch parity)."""
        bits = np.random.MT19937()
        bits.state = {"bit_generator": "MT19937",
                      "state": {"key": np.array(self.mt, np.uint32), "pos": self.i}}
        return np.random.Generator(bits)
