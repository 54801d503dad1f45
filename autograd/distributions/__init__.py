"""`torch.distributions`: probability distributions that sample PyTorch's numbers after the
same seed (each calls the sampling op PyTorch calls, in the same order), with PyTorch's
`log_prob`, `entropy`, `mean`, `variance`, `cdf`/`icdf` formulas in Tensor ops (so they are
differentiable), `rsample` for the reparameterisation trick, `expand`, PyTorch's argument
validation and its error texts, and `kl_divergence` with `register_kl`.

Modules by family group: distribution (the base class), constraints, continuous (Normal,
Uniform, Exponential, Laplace, Cauchy), discrete (Categorical, OneHotCategorical, Bernoulli,
Geometric, Poisson, Binomial), transformed (Independent, TransformedDistribution,
LogNormal), multivariate_normal, kl."""

from . import constraints
from .continuous import Cauchy, Exponential, Laplace, Normal, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .transformed import (
    ExpTransform,
    Independent,
    LogNormal,
    Transform,
    TransformedDistribution,
)

__all__ = ["constraints", "Distribution", "Normal", "Uniform", "Exponential", "Laplace",
           "Cauchy", "Categorical", "OneHotCategorical", "Bernoulli", "Geometric", "Poisson",
           "Binomial", "Independent", "Transform", "ExpTransform", "TransformedDistribution",
           "LogNormal", "MultivariateNormal", "kl_divergence", "register_kl"]
