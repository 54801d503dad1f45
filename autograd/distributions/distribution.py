"""The `Distribution` base class (shapes, validation of parameters and samples, `expand`,
PyTorch's repr) and the helpers the families share."""

from __future__ import annotations

from .. import grad_mode
from ..creation import as_tensor, zeros_like
from ..dtypes import finfo
from ..ops.shape import broadcast_tensors
from ..ops.special import logaddexp
from ..tensor import Size, Tensor
from . import constraints

__all__ = ["Distribution"]

_validate_default = True   # PyTorch's default is __debug__ (True unless python -O)


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """Numbers and Tensors broadcast together; numbers take the first Tensor's dtype (the
    default dtype when there is none), as PyTorch's `broadcast_all`."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = like.dtype if like is not None and like.is_floating_point() else None
    return broadcast_tensors(*(v if isinstance(v, Tensor) else as_tensor(float(v), dtype=dtype)
                               for v in values))


def batch_shape_of(*values) -> Size:
    """Size() when every parameter was given as a number, else their broadcast shape."""
    return Size(broadcast_all(*values)[0].shape) if any(isinstance(v, Tensor) for v in values) \
        else Size()


class lazy_property:  # noqa: N801
    """A parameter computed from another on first use and kept (PyTorch's lazy_property):
    Categorical's probs from its logits, or the reverse."""

    def __init__(self, fn) -> None:
        self.fn, self.name = fn, fn.__name__
        self.__doc__ = fn.__doc__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value


class Distribution:
    """Base class: `batch_shape`, `event_shape`, `sample`, `rsample`, `log_prob`, ...
    `arg_constraints` name the parameters (checked at construction unless
    `validate_args=False`) and `support` the values `log_prob` accepts."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support: constraints.Constraint | None = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError
        global _validate_default
        _validate_default = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        self._validate_args = _validate_default if validate_args is None else validate_args
        if not self._validate_args:
            return
        for name, constraint in self.arg_constraints.items():
            if name not in self.__dict__ and isinstance(getattr(type(self), name, None),
                                                        lazy_property):
                continue   # (the parameter not given: it is derived from the other)
            value = getattr(self, name)
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {name} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> Size:
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def expand(self, batch_shape, _instance=None) -> Distribution:
        """The same distribution with its parameters expanded to `batch_shape` (views)."""
        new, nb = self._copy(batch_shape), len(self._batch_shape)
        for name in self.arg_constraints:
            if name in self.__dict__:
                value = self.__dict__[name]
                new.__dict__[name] = value.expand(tuple(batch_shape) + tuple(value.shape[nb:]))
        return new

    def _copy(self, batch_shape) -> Distribution:
        """A shallow copy with `batch_shape` (expand then replaces the parameters)."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._batch_shape = Size(batch_shape)
        return new

    def sample(self, sample_shape=()) -> Tensor:
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        return self.sample(Size((n,)))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self)} does not implement mean")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self)} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    def _validate_sample(self, value) -> None:
        """PyTorch's checks of a value given to log_prob/cdf: a Tensor, of an event shape and
        a batch shape that fit, inside the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape, ne = Size(value.shape), len(self._event_shape)
        if shape[len(shape) - ne:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs "
                             f"{self._event_shape}.")
        expected = Size(tuple(self._batch_shape) + tuple(self._event_shape))
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{shape} vs {expected}.")
        if self.support is not None and not bool(self.support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{tuple(value.shape)}) to be within the support "
                             f"({self.support!r}) of the distribution {self!r}, but found "
                             f"invalid values:\n{value}")

    def _check(self, value) -> None:
        if self._validate_args:
            self._validate_sample(value)

    def __repr__(self) -> str:
        args = ", ".join(
            f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}"
            for p in self.arg_constraints if p in self.__dict__)
        return f"{type(self).__name__}({args})"


def finfo_eps(x: Tensor) -> float:
    return finfo(x.dtype).eps


def finfo_tiny(x: Tensor) -> float:
    return finfo(x.dtype).tiny


def finfo_min(x: Tensor) -> float:
    return finfo(x.dtype).min


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    eps = finfo_eps(probs)
    p = probs.clamp(min=eps, max=1 - eps)
    return p.log() - (-p).log1p() if is_binary else p.log()


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), stable, with the gradient sigmoid(x) everywhere."""
    return logaddexp(x, zeros_like(x))
