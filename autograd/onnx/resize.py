"""Converters of resizing: interpolate (ONNX's Resize, with PyTorch's coordinate
conventions), pixel_shuffle and pixel_unshuffle."""

from __future__ import annotations

import numpy as np

from .graph import Graph, converts

try:   # resizing arrives with the imaging layers
    from nn.functional.resize import interpolate, pixel_shuffle, pixel_unshuffle
except ImportError:   # pragma: no cover - before they land
    interpolate = pixel_shuffle = pixel_unshuffle = None

# mode -> (ONNX mode, extra attributes); the coordinate mode follows align_corners
_MODES = {"nearest": ("nearest", {"coordinate_transformation_mode": "asymmetric",
                                  "nearest_mode": "floor"}),
          "nearest-exact": ("nearest", {"coordinate_transformation_mode": "half_pixel",
                                        "nearest_mode": "round_prefer_ceil"}),
          "linear": ("linear", {}), "bilinear": ("linear", {}),
          "bicubic": ("cubic", {"cubic_coeff_a": -0.75})}


if interpolate is not None:
    @converts(interpolate, accepts=lambda input, size=None, scale_factor=None, mode="nearest",
              *a, **k: mode in _MODES and not k.get("antialias"))
    def _interpolate(g: Graph, input, size=None, scale_factor=None, mode: str = "nearest",
                     align_corners=None, recompute_scale_factor=None, antialias=False) -> str:
        onnx_mode, attrs = _MODES[mode]
        attrs = dict(attrs)
        if onnx_mode != "nearest":
            attrs["coordinate_transformation_mode"] = \
                "align_corners" if align_corners else "pytorch_half_pixel"
        nd = input.ndim - 2
        if scale_factor is not None and not recompute_scale_factor:
            factors = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
                [scale_factor] * nd
            scales = g.const(np.asarray([1.0, 1.0] + [float(f) for f in factors], np.float32))
            return g.op("Resize", g.v(input), None, scales, mode=onnx_mode, **attrs)
        a, b = g.out.shape, g.out_b.shape
        sizes = list(g.dims(input)[:2]) + [sa if sa == sb else g.dyn(sa, sb, (input,))
                                           for sa, sb in zip(a[2:], b[2:])]
        return g.op("Resize", g.v(input), None, None, g.ints(sizes), mode=onnx_mode, **attrs)

    @converts(pixel_shuffle, accepts=lambda input, upscale_factor: input.ndim == 4)
    def _pixel_shuffle(g: Graph, input, upscale_factor: int) -> str:
        return g.op("DepthToSpace", g.v(input), blocksize=int(upscale_factor), mode="CRD")

    @converts(pixel_unshuffle, accepts=lambda input, downscale_factor: input.ndim == 4)
    def _pixel_unshuffle(g: Graph, input, downscale_factor: int) -> str:
        r = int(downscale_factor)
        n, c, h, w = g.dims(input)
        blocks = g.op("Reshape", g.v(input), g.ints([n, c, h // r, r, w // r, r]))
        moved = g.op("Transpose", blocks, perm=[0, 1, 3, 5, 2, 4])
        return g.op("Reshape", moved, g.ints([n, c * r * r, h // r, w // r]))
