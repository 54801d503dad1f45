"""Tools for testing code built on autograd: `assert_close` and hypothesis strategies.

    from autograd.testing import assert_close, strategies as st
"""

from . import strategies  # noqa: F401
from .comparison import assert_close  # noqa: F401
