"""autograd.special, as torch.special: PyTorch's names for the special functions.

    import autograd as ag
    ag.special.gammaln(x)          # = ag.lgamma(x)
    ag.special.expit(x)            # = ag.sigmoid(x)
"""

from __future__ import annotations

import math

from .ops.gamma import digamma, lgamma, mvlgamma, polygamma
from .ops.pointwise import erf, exp2, expm1, log1p, round, sigmoid
from .ops.reduction import log_softmax, logsumexp, softmax
from .ops.special import erfc, erfinv, logit, sinc, xlogy
from .tensor import Tensor

__all__ = ["digamma", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "log1p",
           "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "polygamma", "psi",
           "round", "sinc", "softmax", "xlogy"]

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma

_SQRT1_2 = math.sqrt(0.5)


def ndtr(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The standard normal's CDF: (1 + erf(x / sqrt(2))) / 2, as erfc(-x / sqrt(2)) / 2."""
    return erfc(input * -_SQRT1_2) * 0.5
