"""Module registry entries for conv, pooling, normalisation and embedding layers
(format: tests/nn/module_db.py's ModuleInfo)."""

from __future__ import annotations

import numpy as np

import nn

from .module_db import ModuleInfo, _called


def _x(*shape):
    return lambda rng: (rng.uniform(-2, 2, shape),)


def _distinct(*shape):
    """Values at least 0.1 apart: max-pool windows have no ties (finite differences hold)."""
    def make(rng):
        n = int(np.prod(shape))
        return ((rng.permutation(n).reshape(shape) - n / 2) * 0.1,)
    return make


def _unpool(n, c, h, w, k):
    """Values and max-pool-style indices (one position in each k x k window) to unpool."""
    def make(rng):
        a, b = rng.integers(0, k, (n, c, h, w)), rng.integers(0, k, (n, c, h, w))
        rows = np.arange(h)[:, None] * k + a
        cols = np.arange(w) * k + b
        return rng.uniform(-2, 2, (n, c, h, w)), (rows * (w * k) + cols).astype(np.int64)
    return make


def _unpool3d(n, c, pooled, k):
    """Values and max-pool-style flat D*H*W indices (one position in each k^3 window)."""
    def make(rng):
        size = tuple(p * k for p in pooled)
        offs = [np.arange(p)[(slice(None),) + (None,) * (2 - i)] * k + rng.integers(
            0, k, (n, c) + pooled) for i, p in enumerate(pooled)]
        idx = (offs[0] * size[1] + offs[1]) * size[2] + offs[2]
        return rng.uniform(-2, 2, (n, c) + pooled), idx.astype(np.int64)
    return make


def _positive(*shape):
    return lambda rng: (rng.uniform(0.5, 2, shape),)


MODULES: list[ModuleInfo] = [
    ModuleInfo("LazyConv1d", lambda: _called(nn.LazyConv1d(3, 2, stride=2), 1, 2, 5),
               _x(2, 2, 7)),
    ModuleInfo("LazyConv2d_groups", lambda: _called(nn.LazyConv2d(2, 2, groups=2), 4, 3, 3),
               _x(1, 4, 3, 3)),
    ModuleInfo("LazyConv3d", lambda: _called(nn.LazyConv3d(2, 2, bias=False), 1, 2, 3, 3, 3),
               _x(1, 2, 3, 3, 3)),
    ModuleInfo("LazyConvTranspose1d", lambda: _called(nn.LazyConvTranspose1d(3, 3, stride=2),
                                                      2, 4), _x(2, 2, 4)),
    ModuleInfo("LazyConvTranspose2d", lambda: _called(nn.LazyConvTranspose2d(
        2, 2, stride=2, output_padding=1, groups=2), 1, 4, 2, 2), _x(1, 4, 3, 3)),
    ModuleInfo("LazyConvTranspose3d", lambda: _called(nn.LazyConvTranspose3d(2, 2), 1, 2, 2, 2,
                                                      2), _x(1, 2, 2, 2, 2)),
    ModuleInfo("LazyBatchNorm1d", lambda: _called(nn.LazyBatchNorm1d(), 2, 3), _x(4, 3),
               train_eval_differ=True),
    ModuleInfo("LazyBatchNorm2d", lambda: _called(nn.LazyBatchNorm2d(bias=False), 2, 2, 2, 2),
               _x(2, 2, 3, 3), train_eval_differ=True),
    ModuleInfo("LazyBatchNorm3d_untracked", lambda: _called(nn.LazyBatchNorm3d(
        track_running_stats=False), 1, 2, 2, 2, 2), _x(2, 2, 2, 2, 2)),
    ModuleInfo("LazyInstanceNorm1d", lambda: _called(nn.LazyInstanceNorm1d(), 1, 3, 4),
               _x(2, 3, 4), train_eval_differ=True),
    ModuleInfo("LazyInstanceNorm2d_untracked", lambda: _called(nn.LazyInstanceNorm2d(
        track_running_stats=False), 1, 2, 3, 3), _x(2, 2, 3, 3)),
    ModuleInfo("LazyInstanceNorm3d_plain", lambda: _called(nn.LazyInstanceNorm3d(
        affine=False), 1, 2, 2, 2, 2), _x(1, 2, 2, 2, 2), train_eval_differ=True),
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
    ModuleInfo("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2), _x(2, 2, 3, 3)),
    ModuleInfo("ConvTranspose2d_full", lambda: nn.ConvTranspose2d(
        4, 2, (2, 3), stride=(2, 1), padding=1, output_padding=1, groups=2, dilation=(1, 2),
        bias=False), _x(1, 4, 3, 3)),
    ModuleInfo("ConvTranspose1d", lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1),
               _x(2, 2, 4)),
    ModuleInfo("Conv3d", lambda: nn.Conv3d(2, 2, 2), _x(1, 2, 3, 3, 2)),
    ModuleInfo("Conv3d_strided_padded_groups", lambda: nn.Conv3d(
        2, 2, (2, 1, 2), stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 1, 2), groups=2,
        bias=False), _x(1, 2, 3, 2, 3)),
    ModuleInfo("Conv3d_same_circular_unbatched", lambda: nn.Conv3d(
        1, 2, (1, 2, 3), padding="same", padding_mode="circular"), _x(1, 2, 3, 3)),
    ModuleInfo("ConvTranspose3d", lambda: nn.ConvTranspose3d(2, 1, 2, stride=2), _x(1, 2, 2, 1, 2)),
    ModuleInfo("ConvTranspose3d_full", lambda: nn.ConvTranspose3d(
        2, 2, (2, 1, 2), stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 1),
        groups=2, dilation=(1, 2, 1)), _x(1, 2, 2, 2, 2)),
    ModuleInfo("MaxPool3d", lambda: nn.MaxPool3d(2), _distinct(1, 2, 2, 4, 3)),
    ModuleInfo("MaxPool3d_overlap_ceil", lambda: nn.MaxPool3d(3, 2, 1, ceil_mode=True),
               _distinct(1, 1, 3, 4, 3)),
    ModuleInfo("AvgPool3d", lambda: nn.AvgPool3d(2), _x(1, 2, 2, 4, 3)),
    ModuleInfo("AvgPool3d_pad_exclude", lambda: nn.AvgPool3d(3, 2, 1, ceil_mode=True,
                                                             count_include_pad=False),
               _x(1, 1, 3, 4, 3)),
    ModuleInfo("AdaptiveAvgPool3d", lambda: nn.AdaptiveAvgPool3d((2, 1, 3)), _x(1, 2, 3, 2, 4)),
    ModuleInfo("AdaptiveAvgPool3d_global", lambda: nn.AdaptiveAvgPool3d(1), _x(1, 2, 3, 2, 2)),
    ModuleInfo("AdaptiveMaxPool3d", lambda: nn.AdaptiveMaxPool3d((2, 1, 3)),
               _distinct(1, 2, 3, 2, 4)),
    ModuleInfo("MaxUnpool3d", lambda: nn.MaxUnpool3d(2), _unpool3d(1, 2, (1, 2, 2), 2)),
    ModuleInfo("LPPool3d", lambda: nn.LPPool3d(2, 2), _positive(1, 2, 2, 4, 2)),
    ModuleInfo("Unfold", lambda: nn.Unfold((2, 3), padding=1, stride=2), _x(2, 2, 4, 5)),
    ModuleInfo("Fold", lambda: nn.Fold((4, 5), (2, 3), padding=1, stride=2), _x(2, 12, 9)),
    ModuleInfo("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d((2, 3)), _distinct(2, 2, 5, 4)),
    ModuleInfo("AdaptiveMaxPool1d", lambda: nn.AdaptiveMaxPool1d(3), _distinct(2, 2, 7)),
    ModuleInfo("MaxUnpool2d", lambda: nn.MaxUnpool2d(2), _unpool(2, 2, 2, 3, 2)),
    ModuleInfo("MaxUnpool1d", lambda: nn.MaxUnpool1d(2),
               lambda rng: (rng.uniform(-2, 2, (2, 2, 3)),
                            (np.arange(3) * 2 + rng.integers(0, 2, (2, 2, 3))).astype(np.int64))),
    ModuleInfo("LPPool2d", lambda: nn.LPPool2d(2, 2), _positive(2, 2, 4, 5)),
    ModuleInfo("LPPool1d", lambda: nn.LPPool1d(3, 2, ceil_mode=True), _positive(2, 2, 5)),
    ModuleInfo("Upsample_nearest", lambda: nn.Upsample(scale_factor=2), _x(2, 2, 3, 3)),
    ModuleInfo("Upsample_bilinear", lambda: nn.Upsample(size=(5, 4), mode="bilinear"),
               _x(2, 2, 3, 3)),
    ModuleInfo("Upsample_bicubic", lambda: nn.Upsample(scale_factor=1.5, mode="bicubic",
                                                       align_corners=True), _x(1, 2, 3, 3)),
    ModuleInfo("Upsample_linear", lambda: nn.Upsample(scale_factor=2, mode="linear"),
               _x(2, 2, 4)),
    ModuleInfo("UpsamplingNearest2d", lambda: nn.UpsamplingNearest2d(size=(4, 5)),
               _x(1, 2, 3, 3)),
    ModuleInfo("UpsamplingBilinear2d", lambda: nn.UpsamplingBilinear2d(scale_factor=2),
               _x(1, 2, 3, 3)),
    ModuleInfo("PixelShuffle", lambda: nn.PixelShuffle(2), _x(2, 8, 2, 3)),
    ModuleInfo("ChannelShuffle", lambda: nn.ChannelShuffle(3), _x(2, 6, 2, 3)),
    ModuleInfo("PixelUnshuffle", lambda: nn.PixelUnshuffle(2), _x(2, 2, 4, 6)),
    ModuleInfo("ZeroPad1d", lambda: nn.ZeroPad1d((1, 2)), _x(2, 3, 4)),
    ModuleInfo("ZeroPad2d", lambda: nn.ZeroPad2d((1, 0, 2, -1)), _x(2, 2, 3, 4)),
    ModuleInfo("ZeroPad3d", lambda: nn.ZeroPad3d(1), _x(1, 2, 2, 2, 3)),
    ModuleInfo("ConstantPad1d", lambda: nn.ConstantPad1d(2, 1.5), _x(2, 3, 4)),
    ModuleInfo("ConstantPad2d", lambda: nn.ConstantPad2d((1, 2, 0, 1), -1.0), _x(2, 3, 4)),
    ModuleInfo("ConstantPad3d", lambda: nn.ConstantPad3d((1, 0, 0, 1, 1, 1), 0.5),
               _x(1, 2, 2, 3)),
    ModuleInfo("ReflectionPad1d", lambda: nn.ReflectionPad1d((2, 1)), _x(2, 3, 4)),
    ModuleInfo("ReflectionPad2d", lambda: nn.ReflectionPad2d(1), _x(2, 2, 3, 4)),
    ModuleInfo("ReflectionPad3d", lambda: nn.ReflectionPad3d((1, 1, 0, 1, 1, 0)),
               _x(1, 2, 2, 3, 3)),
    ModuleInfo("ReplicationPad1d", lambda: nn.ReplicationPad1d((3, 1)), _x(2, 3, 4)),
    ModuleInfo("ReplicationPad2d", lambda: nn.ReplicationPad2d((1, 2, 2, 0)), _x(2, 3, 4)),
    ModuleInfo("ReplicationPad3d", lambda: nn.ReplicationPad3d(1), _x(1, 2, 2, 3)),
    ModuleInfo("CircularPad1d", lambda: nn.CircularPad1d((2, 1)), _x(2, 3, 4)),
    ModuleInfo("CircularPad2d", lambda: nn.CircularPad2d(1), _x(2, 2, 3, 4)),
    ModuleInfo("CircularPad3d", lambda: nn.CircularPad3d((1, 0, 1, 1, 0, 1)),
               _x(1, 2, 2, 3, 3)),
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
