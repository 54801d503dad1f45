"""`torch.distributions`' common families: Normal, Categorical, Bernoulli, Uniform, and the
Normal-Normal `kl_divergence`. Samples come from the default generator exactly as
PyTorch draws them (`normal`, `multinomial`, `bernoulli`, `rand`), so a seeded program
samples PyTorch's numbers; `rsample` is differentiable (the reparameterisation trick);
`log_prob`, `entropy`, `mean`, `variance` and `stddev` are PyTorch's formulas, in Tensor ops.
"""

from __future__ import annotations

import math

from . import grad_mode
from .creation import as_tensor, empty, zeros_like
from .dtypes import finfo
from .ops.shape import broadcast_shapes, broadcast_tensors
from .ops.special import logaddexp
from .random import bernoulli, multinomial, normal, rand
from .tensor import Size, Tensor

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "Uniform", "kl_divergence"]


def _param(x) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(float(x))


class _lazy:  # noqa: N801
    """A parameter computed from the other on first use and kept (as PyTorch's
    lazy_property): Categorical's probs from its logits, or the reverse."""

    def __init__(self, fn) -> None:
        self.fn, self.name = fn, fn.__name__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value


class Distribution:
    """Base class: `batch_shape`, `event_shape`, `sample`, `rsample`, `log_prob`, ..."""

    has_rsample = False
    arg_names: tuple = ()

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> Size:
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()) -> Tensor:
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def _invalid(self, name: str, value: Tensor, constraint: str) -> ValueError:
        return ValueError(f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) of "
                          f"distribution {self!r} to satisfy the constraint {constraint}, but "
                          f"found invalid values:\n{value}")

    def __repr__(self) -> str:
        args = ", ".join(
            f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}"
            for p in self.arg_names if p in self.__dict__)
        return f"{type(self).__name__}({args})"


class Normal(Distribution):
    """N(loc, scale**2)."""

    has_rsample = True
    arg_names = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_tensors(_param(loc), _param(scale))
        super().__init__(self.loc.shape)
        if validate_args is not False and not bool((self.scale > 0).all()):
            raise self._invalid("scale", self.scale, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        return self.scale

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with grad_mode.no_grad():
            return normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=()) -> Tensor:
        eps = empty(self._extended_shape(sample_shape), dtype=self.loc.dtype).normal_()
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        value = _param(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - \
            math.log(math.sqrt(2 * math.pi))

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Categorical(Distribution):
    """A choice among the last dim's categories, by `probs` (normalised) or `logits`."""

    arg_names = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        param = self.probs if probs is not None else self.logits
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1])

    @_lazy
    def probs(self) -> Tensor:
        return self.logits.softmax(-1)

    @_lazy
    def logits(self) -> Tensor:
        eps = _finfo_eps(self.probs)
        return self.probs.clamp(min=eps, max=1 - eps).log()

    @property
    def mean(self) -> Tensor:
        return as_tensor(math.nan).expand(self._extended_shape())

    def sample(self, sample_shape=()) -> Tensor:
        n = math.prod(tuple(sample_shape))
        with grad_mode.no_grad():
            flat = multinomial(self.probs.reshape(-1, self._num_events), n, True).T
        return flat.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value) -> Tensor:
        value = _param(value).long().unsqueeze(-1)
        shape = tuple(value.shape[:-1]) if value.ndim - 1 >= self.logits.ndim - 1 else None
        logits = self.logits
        if shape is not None and tuple(logits.shape[:-1]) != shape:
            logits = logits.expand(shape + (self._num_events,))
        elif shape is None:
            value = value.expand(tuple(logits.shape[:-1]) + (1,))
        return logits.gather(-1, value).squeeze(-1)

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=_finfo_min(self.logits))
        return -(logits * self.probs).sum(-1)


class Bernoulli(Distribution):
    """1 with probability `probs` (or sigmoid(`logits`)), else 0."""

    arg_names = ("probs", "logits")

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.probs = _param(probs)
        else:
            self.logits = _param(logits)
        super().__init__((self.probs if probs is not None else self.logits).shape)

    @_lazy
    def probs(self) -> Tensor:
        return self.logits.sigmoid()

    @_lazy
    def logits(self) -> Tensor:
        eps = _finfo_eps(self.probs)
        p = self.probs.clamp(min=eps, max=1 - eps)
        return p.log() - (-p).log1p()

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        with grad_mode.no_grad():
            return bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value) -> Tensor:
        logits, value = self.logits, _param(value)
        if logits.shape != value.shape:
            shape = broadcast_shapes(logits.shape, value.shape)
            logits, value = logits.expand(shape), value.expand(shape)
        return -_bce_with_logits(logits, value)

    def entropy(self) -> Tensor:
        return _bce_with_logits(self.logits, self.probs)


def _bce_with_logits(x: Tensor, y: Tensor) -> Tensor:
    """-(y log sigmoid(x) + (1 - y) log sigmoid(-x)) = softplus(x) - x y, stable, and with
    the gradient sigmoid(x) - y everywhere (max(x, 0) + log1p(exp(-|x|)) has the same
    values but a kink's subgradient at x = 0)."""
    return logaddexp(x, zeros_like(x)) - x * y


class Uniform(Distribution):
    """Uniform on [low, high)."""

    has_rsample = True
    arg_names = ("low", "high")

    def __init__(self, low, high, validate_args=None) -> None:
        self.low, self.high = broadcast_tensors(_param(low), _param(high))
        super().__init__(self.low.shape)
        if validate_args is not False and not bool((self.low < self.high).all()):
            raise self._invalid("low", self.low, f"LessThan(upper_bound={self.high})")

    def __repr__(self) -> str:   # (PyTorch prints the bounds themselves)
        return f"Uniform(low: {self.low}, high: {self.high})"

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()) -> Tensor:
        u = rand(self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value) -> Tensor:
        value = _param(value)
        inside = (self.low <= value).to(self.low.dtype) * (self.high > value).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q); implemented for two Normals (PyTorch's formula)."""
    if isinstance(p, Normal) and isinstance(q, Normal):
        var_ratio = (p.scale / q.scale).pow(2)
        t1 = ((p.loc - q.loc) / q.scale).pow(2)
        return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())
    raise NotImplementedError(f"No KL(p || q) is implemented for p of type "
                              f"{type(p).__name__} and q of type {type(q).__name__}")


def _finfo_eps(x: Tensor) -> float:
    return finfo(x.dtype).eps


def _finfo_min(x: Tensor) -> float:
    return finfo(x.dtype).min
