"""`torch.distributions.constraints`: the sets a parameter or a sample must lie in. Each
constraint's `check(value)` is a bool Tensor (reduced over its `event_dim` rightmost dims)
and its repr is PyTorch's, which the validation errors print."""

from __future__ import annotations

from ..tensor import Tensor

__all__ = ["Constraint", "real", "positive", "nonnegative", "unit_interval", "simplex",
           "nonnegative_integer", "integer_interval", "one_hot", "real_vector",
           "positive_definite", "lower_cholesky", "greater_than", "less_than", "independent",
           "boolean", "interval"]


class Constraint:
    """A region of values; `event_dim` rightmost dims form one event checked together."""

    is_discrete = False
    event_dim = 0

    def check(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__[1:]}()"


class _Real(Constraint):
    def check(self, value):
        return value == value   # not NaN


class _Bound(Constraint):
    """One bound: `value <op> bound`, printed as PyTorch's GreaterThan(lower_bound=0.0)."""

    def __init__(self, name: str, key: str, bound, test, is_discrete: bool = False) -> None:
        self.name, self.key, self.bound, self.test = name, key, bound, test
        self.is_discrete = is_discrete

    def check(self, value):
        ok = self.test(value, self.bound)
        return ok & (value % 1 == 0) if self.is_discrete else ok

    def __repr__(self) -> str:
        return f"{self.name}({self.key}={self.bound})"


def greater_than(lower_bound) -> Constraint:
    return _Bound("GreaterThan", "lower_bound", lower_bound, lambda v, b: v > b)


def less_than(upper_bound) -> Constraint:
    return _Bound("LessThan", "upper_bound", upper_bound, lambda v, b: v < b)


class _Interval(Constraint):
    def __init__(self, low, high, is_discrete: bool = False) -> None:
        self.low, self.high, self.is_discrete = low, high, is_discrete

    def check(self, value):
        ok = (value >= self.low) & (value <= self.high)
        return ok & (value % 1 == 0) if self.is_discrete else ok

    def __repr__(self) -> str:
        name = "IntegerInterval" if self.is_discrete else "Interval"
        return f"{name}(lower_bound={self.low}, upper_bound={self.high})"


def integer_interval(lower_bound, upper_bound) -> Constraint:
    return _Interval(lower_bound, upper_bound, is_discrete=True)


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _OneHot(Constraint):
    is_discrete, event_dim = True, 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _IndependentConstraint(Constraint):
    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base, self.ndims = base, reinterpreted_batch_ndims
        self.is_discrete, self.event_dim = base.is_discrete, base.event_dim + self.ndims

    def check(self, value):
        ok = self.base.check(value)
        return ok.reshape(tuple(ok.shape[:ok.ndim - self.ndims]) + (-1,)).all(-1) \
            if self.ndims else ok

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base!r}, {self.ndims})"


def independent(base: Constraint, reinterpreted_batch_ndims: int) -> Constraint:
    return _IndependentConstraint(base, reinterpreted_batch_ndims)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        lower = (value.tril() == value).reshape(tuple(value.shape[:-2]) + (-1,)).all(-1)
        return lower & (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        from ..linalg import cholesky_ex
        symmetric = ((value - value.mT).abs() < 1e-6).reshape(
            tuple(value.shape[:-2]) + (-1,)).all(-1)
        return symmetric & (cholesky_ex(value)[1] == 0)


real = _Real()
positive = greater_than(0.0)
nonnegative = _Bound("GreaterThanEq", "lower_bound", 0.0, lambda v, b: v >= b)
nonnegative_integer = _Bound("IntegerGreaterThan", "lower_bound", 0, lambda v, b: v >= b,
                             is_discrete=True)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
one_hot = _OneHot()
real_vector = independent(real, 1)
positive_definite = _PositiveDefinite()
lower_cholesky = _LowerCholesky()


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


boolean = _Boolean()
interval = _Interval
