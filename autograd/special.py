"""autograd.special, as torch.special: PyTorch's names for the special functions.

    import autograd as ag
    ag.special.gammaln(x)          # = ag.lgamma(x)
    ag.special.expit(x)            # = ag.sigmoid(x)
    ag.special.i1e(x), ag.special.log_ndtr(x), ag.special.zeta(s, q), ...
"""

from __future__ import annotations

import math

from .ops.bessel import i0, i0e, i1, i1e
from .ops.gamma import digamma, lgamma, mvlgamma, polygamma, zeta
from .ops.pointwise import erf, exp2, expm1, log1p, round, sigmoid
from .ops.reduction import log_softmax, logsumexp, softmax
from .ops.special import entr, erfc, erfcx, erfinv, log_ndtr, logit, ndtri, sinc, xlog1py, xlogy
from .tensor import Tensor

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln",
           "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax",
           "xlog1py", "xlogy", "zeta"]

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma

_SQRT1_2 = math.sqrt(0.5)


def ndtr(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The standard normal's CDF: (1 + erf(x / sqrt(2))) / 2, as erfc(-x / sqrt(2)) / 2."""
    return erfc(input * -_SQRT1_2) * 0.5
