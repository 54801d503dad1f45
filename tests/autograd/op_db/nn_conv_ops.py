"""Registry entries: the conv / pooling / normalisation / embedding ops behind nn."""

from __future__ import annotations

OPS: list = []
