"""Registry entries: the ops behind nn.functional (activations, losses, conv, pooling,
normalisation). Each differentiable primitive that nn adds gets an entry here."""

from __future__ import annotations

OPS: list = []
