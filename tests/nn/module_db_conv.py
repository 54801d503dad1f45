"""Module registry entries for conv, pooling, normalisation and embedding layers
(format: tests/nn/module_db.py's ModuleInfo)."""

from __future__ import annotations

import numpy as np

import nn

from .module_db import ModuleInfo


def _x(*shape):
    return lambda rng: (rng.uniform(-2, 2, shape),)


def _distinct(*shape):
    """Values at least 0.1 apart: max-pool windows have no ties (finite differences hold)."""
    def make(rng):
        n = int(np.prod(shape))
        return ((rng.permutation(n).reshape(shape) - n / 2) * 0.1,)
    return make


MODULES: list[ModuleInfo] = [
    ModuleInfo("Conv2d", lambda: nn.Conv2d(2, 3, 3), _x(2, 2, 5, 5)),
    ModuleInfo("Conv2d_strided_padded_dilated", lambda: nn.Conv2d(2, 2, (3, 2), stride=2,
                                                                  padding=1, dilation=(1, 2)),
               _x(1, 2, 5, 6)),
    ModuleInfo("Conv2d_groups_nobias", lambda: nn.Conv2d(4, 2, 2, groups=2, bias=False),
               _x(1, 4, 3, 3)),
    ModuleInfo("Conv2d_same_reflect", lambda: nn.Conv2d(1, 2, 3, padding="same",
                                                        padding_mode="reflect"), _x(1, 1, 4, 4)),
    ModuleInfo("Conv2d_circular_unbatched", lambda: nn.Conv2d(1, 2, 3, padding=1,
                                                              padding_mode="circular"),
               _x(1, 4, 3)),
    ModuleInfo("Conv1d", lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), _x(2, 2, 7)),
    ModuleInfo("Conv1d_replicate", lambda: nn.Conv1d(1, 2, 2, padding=1,
                                                     padding_mode="replicate"), _x(2, 1, 5)),
    ModuleInfo("MaxPool2d", lambda: nn.MaxPool2d(2), _distinct(2, 2, 4, 5)),
    ModuleInfo("MaxPool2d_overlap_ceil", lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True),
               _distinct(1, 2, 6, 5)),
    ModuleInfo("MaxPool1d", lambda: nn.MaxPool1d(3, 2), _distinct(2, 2, 7)),
    ModuleInfo("AvgPool2d", lambda: nn.AvgPool2d(2), _x(2, 2, 4, 5)),
    ModuleInfo("AvgPool2d_pad_exclude", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True,
                                                             count_include_pad=False),
               _x(1, 2, 6, 5)),
    ModuleInfo("AvgPool1d", lambda: nn.AvgPool1d(2), _x(2, 2, 6)),
    ModuleInfo("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), _x(2, 2, 5, 4)),
    ModuleInfo("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(3), _x(2, 2, 7)),
    ModuleInfo("BatchNorm1d", lambda: nn.BatchNorm1d(3), _x(4, 3), train_eval_differ=True),
    ModuleInfo("BatchNorm1d_3d", lambda: nn.BatchNorm1d(2), _x(3, 2, 4), train_eval_differ=True),
    ModuleInfo("BatchNorm2d", lambda: nn.BatchNorm2d(2), _x(2, 2, 3, 3), train_eval_differ=True),
    ModuleInfo("BatchNorm2d_no_affine_no_stats",
               lambda: nn.BatchNorm2d(2, affine=False, track_running_stats=False),
               _x(2, 2, 2, 3)),
    ModuleInfo("LayerNorm", lambda: nn.LayerNorm(4), _x(3, 4)),
    ModuleInfo("LayerNorm_2d_shape", lambda: nn.LayerNorm((2, 3)), _x(2, 2, 3)),
    ModuleInfo("Embedding", lambda: nn.Embedding(5, 3), lambda rng: (rng.integers(0, 5, (2, 3)),)),
    ModuleInfo("Embedding_padding", lambda: nn.Embedding(5, 3, padding_idx=0),
               lambda rng: (np.array([[0, 1, 4], [2, 0, 3]]),),
               gradcheck=False),  # padding row: no gradient by design (tests/nn/test_embedding)
]
