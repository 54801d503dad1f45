"""Silence numpy's floating-point warnings raised inside this package's ops.

`log(0)`, `0 / 0` or an overflow give -inf, nan or inf in PyTorch, silently; numpy gives
the same values but warns ("divide by zero encountered in log"), naming a line of our
code. Only warnings attributed to the code of autograd, nn, optim and ndgrad are ignored:
a user's own numpy code warns as before. (Backward passes also run under `np.errstate`.)
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", category=RuntimeWarning,
                        message=r"(divide by zero|overflow|invalid value|underflow) encountered",
                        module=r"(autograd|nn|optim|ndgrad)(\.|$)")
