"""linear and bilinear (nn.functional)."""

from __future__ import annotations

import autograd
from autograd.ops.base import to_tensor
from autograd.tensor import Tensor

__all__ = ["linear", "bilinear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ weight.T + bias, one fused op (AddmmBackward0)."""
    return autograd.linear(to_tensor(input, "input"), weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij x1[..., i] * weight[o, i, j] * x2[..., j] + bias[o]."""
    x1, x2 = to_tensor(input1, "input1"), to_tensor(input2, "input2")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got shape "
                           f"{list(weight.shape)}")
    out_f, in1, in2 = weight.shape
    if x1.ndim == 0 or x1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{x1.shape[-1] if x1.ndim else 1} but expected {in1}")
    if x2.ndim == 0 or x2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{x2.shape[-1] if x2.ndim else 1} but expected {in2}")
    if x1.shape[:-1] != x2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(x1.shape[:-1])} and {list(x2.shape[:-1])}")
    lead = tuple(x1.shape[:-1])
    a = x1.reshape(-1, in1)
    b = x2.reshape(-1, in2)
    # (n, in1) @ (in1, out*in2) -> (n, out, in2), then contract with x2
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = (a @ w).reshape(-1, out_f, in2)
    y = (t * b.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_f)
