"""nn: modules, layers, losses, initialisers and utilities, as in torch.nn."""

from . import functional, init, utils  # noqa: F401
from .module import Module  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter  # noqa: F401

try:  # the Keras-style helpers (nn.fit & co) arrive with the training issue
    from .training import History, evaluate, fit, predict  # noqa: F401
except ImportError:  # pragma: no cover
    pass
