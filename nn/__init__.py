"""nn: modules, layers, losses, initialisers and utilities, as in torch.nn."""

import importlib as _importlib

from . import functional, init, utils  # noqa: F401
from . import summary as _summary  # noqa: F401  (attaches Module.summary)
from .module import Module  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import (  # noqa: F401
    Buffer,
    Parameter,
    UninitializedBuffer,
    UninitializedParameter,
)

_TRAINING = ("fit", "evaluate", "predict", "History")


def __getattr__(name: str):
    """`nn.fit`, `nn.evaluate`, `nn.predict` and `nn.History` live in the training layer
    above nn and optim (`ndgrad.fit`); they are looked up there on first use, so that nn
    itself never imports what sits above it."""
    if name in _TRAINING:
        return getattr(_importlib.import_module("ndgrad.fit"), name)
    raise AttributeError(f"module 'nn' has no attribute '{name}'")
