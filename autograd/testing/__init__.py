"""Tools for testing code built on autograd: `assert_close`, `check_grad` and hypothesis
strategies.

    from autograd.testing import assert_close, check_grad, strategies as st
"""

from . import strategies  # noqa: F401
from .comparison import assert_close  # noqa: F401
from .grad import GradReport, Kink, Mismatch, check_grad  # noqa: F401
