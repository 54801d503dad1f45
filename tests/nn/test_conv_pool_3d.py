"""3-D convolutions and pooling (and the *_with_indices aliases): PyTorch's values, input
and weight gradients (float64), indices, grad_fn names, initialisation, state_dict, repr
and error texts; checks that need no PyTorch against 2-D ops and loop references."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from tests.autograd.op_db.nn_conv_ops import ref_avg_pool, ref_max_pool

from .torch_twin import assert_same_error, both_ways

rng = np.random.default_rng(3)

CONV_CASES = [
    ("conv3d", (2, 4, 4, 5, 4), (4, 4, 2, 3, 2), {}),
    ("conv3d", (1, 4, 5, 4, 6), (2, 2, 3, 1, 2),
     dict(stride=(2, 1, 3), padding=(1, 0, 2), dilation=(1, 2, 1), groups=2)),
    ("conv3d", (1, 2, 4, 4, 4), (3, 2, 2, 3, 2), dict(padding="same", dilation=(2, 1, 1))),
    ("conv3d", (2, 3, 3, 4), (2, 2, 2, 2, 2), dict(padding="valid")),       # unbatched
    ("conv_transpose3d", (2, 4, 2, 3, 2), (4, 1, 2, 3, 2), {}),
    ("conv_transpose3d", (1, 4, 3, 2, 3), (4, 2, 3, 2, 2),
     dict(stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 0), groups=2,
          dilation=(1, 2, 1))),
]


@pytest.mark.parametrize("name,xs,ws,kw", CONV_CASES)
def test_convolutions_3d_match_pytorch(name, xs, ws, kw):
    torch = pytest.importorskip("torch")
    transposed = name.startswith("conv_transpose")
    bias = rng.standard_normal(ws[1] * kw.get("groups", 1) if transposed else ws[0])
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws), bias]
    out, tout, ins, tins = both_ways(lambda *a: getattr(F, name)(*a, **kw),
                                     lambda *a: getattr(torch.nn.functional, name)(*a, **kw),
                                     arrays, rng)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-10)
    for a, b in zip(ins, tins):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)
    if len(xs) == 5:
        assert out.grad_fn.name() == type(tout.grad_fn).__name__ == "ConvolutionBackward0"


POOL_CASES = [
    ("max_pool3d", (2, 2, 5, 6, 7), dict(kernel_size=2)),
    ("max_pool3d", (1, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=(1, 2, 3),
                                         padding=(1, 1, 0), dilation=(2, 1, 1), ceil_mode=True)),
    ("max_pool3d", (2, 5, 4, 5), dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    ("max_pool3d_with_indices", (1, 2, 4, 4, 5), dict(kernel_size=2, stride=1)),
    ("max_pool2d_with_indices", (2, 3, 5, 4), dict(kernel_size=2)),
    ("max_pool1d_with_indices", (2, 3, 7), dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool3d", (2, 2, 4, 6, 6), dict(kernel_size=2)),
    ("avg_pool3d", (1, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=(1, 2, 3),
                                         padding=(1, 1, 0), ceil_mode=True)),
    ("avg_pool3d", (2, 5, 6, 5), dict(kernel_size=3, stride=2, padding=1,
                                      count_include_pad=False)),
    ("avg_pool3d", (1, 1, 5, 6, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                         divisor_override=5)),
    ("adaptive_avg_pool3d", (2, 2, 5, 6, 7), dict(output_size=(3, None, 4))),
    ("adaptive_avg_pool3d", (2, 4, 5, 3), dict(output_size=1)),
    ("adaptive_max_pool3d", (2, 2, 5, 6, 7), dict(output_size=(3, 4, 2), return_indices=True)),
    ("adaptive_max_pool3d", (2, 5, 6, 7), dict(output_size=(5, 4, 9))),
    ("adaptive_max_pool3d_with_indices", (1, 2, 3, 4, 5), dict(output_size=2)),
    ("adaptive_max_pool2d_with_indices", (1, 2, 4, 5), dict(output_size=(3, 2))),
    ("adaptive_max_pool1d_with_indices", (1, 2, 7), dict(output_size=3)),
    ("lp_pool3d", (1, 2, 4, 5, 4), dict(norm_type=2, kernel_size=(2, 3, 2), stride=1)),
    ("lp_pool3d", (2, 4, 5, 5), dict(norm_type=3, kernel_size=2, ceil_mode=True)),
]


@pytest.mark.parametrize("name,shape,kw", POOL_CASES)
def test_pools_3d_and_with_indices_match_pytorch(name, shape, kw):
    torch = pytest.importorskip("torch")
    n = int(np.prod(shape))
    x = rng.permutation(n).reshape(shape) * 0.1 + 0.5   # distinct, positive (lp_pool)
    out, tout, ins, tins = both_ways(lambda a: getattr(F, name)(a, **kw),
                                     lambda a: getattr(torch.nn.functional, name)(a, **kw),
                                     [x], rng, grad=False)
    if isinstance(tout, tuple):
        assert isinstance(out, tuple) and out[1].dtype == ag.int64
        np.testing.assert_array_equal(out[1].numpy(), tout[1].numpy())
        fn, tfn = (lambda a: getattr(F, name)(a, **kw)[0],
                   lambda a: getattr(torch.nn.functional, name)(a, **kw)[0])
    else:
        fn, tfn = (lambda a: getattr(F, name)(a, **kw),
                   lambda a: getattr(torch.nn.functional, name)(a, **kw))
    out, tout, ins, tins = both_ways(fn, tfn, [x], rng)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(ins[0].grad.numpy(), tins[0].grad.numpy(), atol=1e-10)
    if len(shape) == 5 and "3d" in name:
        assert out.grad_fn.name() == type(tout.grad_fn).__name__


def test_max_unpool3d_inverts_max_pool3d_as_pytorch():
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 2, 4, 6, 5))
    vals, idx = torch.nn.functional.max_pool3d(torch.tensor(x), 2, return_indices=True)
    out, tout, ins, tins = both_ways(
        lambda v: F.max_unpool3d(v, ag.tensor(idx.numpy()), 2, output_size=(4, 6, 5)),
        lambda v: torch.nn.functional.max_unpool3d(v, idx, 2, output_size=(4, 6, 5)),
        [vals.numpy()], rng)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(ins[0].grad.numpy(), tins[0].grad.numpy())
    assert out.grad_fn.name() == "MaxUnpool3DBackward0"


LAYERS = [
    ("Conv3d", (2, 3, (2, 3, 1)), dict(padding=1, padding_mode="reflect"), (2, 2, 3, 4, 3)),
    ("Conv3d", (4, 2, 3), dict(stride=2, groups=2, bias=False), (4, 5, 5, 5)),
    ("Conv3d", (2, 2, 3), dict(padding="same", padding_mode="circular"), (1, 2, 3, 3, 4)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), (1, 2, 2, 3, 2)),
    ("ConvTranspose3d", (2, 4, (1, 2, 3)), dict(stride=(1, 2, 1), padding=(0, 1, 1),
                                                output_padding=(0, 1, 0), groups=2),
     (2, 2, 3, 2)),
    ("MaxPool3d", (2,), dict(stride=1, ceil_mode=True), (2, 2, 3, 4, 3)),
    ("AvgPool3d", ((2, 1, 2),), dict(padding=(1, 0, 0), count_include_pad=False),
     (2, 2, 3, 4, 3)),
    ("AdaptiveAvgPool3d", ((1, None, 2),), {}, (2, 2, 3, 4, 3)),
    ("AdaptiveMaxPool3d", (2,), {}, (2, 3, 4, 3)),
    ("LPPool3d", (2, 2), {}, (2, 2, 3, 4, 3)),
    ("MaxUnpool3d", (2,), {}, None),
]


@pytest.mark.parametrize("name,args,kw,shape", LAYERS)
def test_3d_layers_initialise_and_run_as_pytorch(name, args, kw, shape):
    """Same weights after manual_seed (the same generator stream as Conv2d's), state_dict
    keys, repr and float32 forward."""
    torch = pytest.importorskip("torch")
    ag.manual_seed(7)
    torch.manual_seed(7)
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        np.testing.assert_array_equal(sd[k].numpy(), tsd[k].numpy())
    if shape is None:
        return
    x = rng.uniform(0.5, 2, shape).astype(np.float32)
    out, tout = ours(ag.tensor(x)), theirs(torch.tensor(x))
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda: F.conv3d(ag.zeros(1, 1, 2, 2, 2), ag.zeros(1, 1, 3, 1, 1)),
    lambda: F.conv3d(ag.zeros(1, 1, 2, 2, 2), ag.zeros(1, 1, 1, 1, 1), stride=(1, 2)),
    lambda: F.conv3d(ag.zeros(1, 3, 2, 2, 2), ag.zeros(2, 2, 1, 1, 1)),
    lambda: F.conv_transpose3d(ag.zeros(1, 1, 2, 2, 2), ag.zeros(1, 1, 1, 1, 1),
                               output_padding=(0, 0, 2)),
    lambda: F.conv_transpose3d(ag.zeros(1, 1, 1, 1, 1), ag.zeros(1, 1, 1, 1, 1), padding=1),
    lambda: F.max_pool3d(ag.zeros(1, 3, 4, 5, 6), 2, padding=2),
    lambda: F.max_pool3d(ag.zeros(1, 3, 1, 5, 6), 2),
    lambda: F.adaptive_avg_pool3d(ag.zeros(3, 4, 5), 2),
    lambda: F.adaptive_max_pool3d(ag.zeros(3, 4, 5), 2),
    lambda: F.adaptive_avg_pool3d(ag.zeros(1, 3, 0, 4, 5), 2),
    lambda: F.adaptive_max_pool3d(ag.zeros(1, 3, 0, 4, 5), 2),
    lambda: F.max_unpool3d(ag.zeros(1, 1, 1, 1, 1), ag.full((1, 1, 1, 1, 1), 9, dtype=ag.int64), 2),
    lambda: F.max_unpool3d(ag.zeros(1, 1, 1, 1, 1), ag.zeros(1, 1, 1, 1, 1, dtype=ag.int64), 2,
                           output_size=(5, 2, 2)),
])
def test_errors_match_pytorch(call):
    assert_same_error(call)


@pytest.mark.parametrize("call,match", [
    (lambda: F.conv3d(ag.zeros(2, 2, 2), ag.zeros(1, 1, 1, 1, 1)),
     r"Expected 4D \(unbatched\) or 5D \(batched\) input to conv3d, but got input of size: "
     r"\[2, 2, 2\]"),
    (lambda: nn.Conv3d(1, 1, 2)(ag.zeros(1, 2, 2, 2, 2)), r"Conv3d\(1, 1, kernel_size=\(2, 2, 2\)"
     r".*expected input\[1, 2, 2, 2, 2\] to have 1 channels, but got 2 channels instead"),
    (lambda: F.max_pool3d(ag.zeros(2, 3, 4), 2),
     r"non-empty 4D or 5D \(batch mode\) tensor expected for input"),
    (lambda: F.max_pool3d(ag.zeros(1, 3, 4, 5, 6), (2, 2)),
     "max_pool3d: kernel_size must either be a single int, or a tuple of three ints"),
    (lambda: F.avg_pool3d(ag.zeros(1, 3, 4, 5, 6), (2, 2)),
     "avg_pool3d: kernel_size must be a single int, or a tuple of three ints"),
    (lambda: F.avg_pool3d(ag.zeros(1, 3, 2, 5, 6), 2, divisor_override=0),
     "divisor must be not zero"),
    (lambda: F.adaptive_avg_pool3d(ag.zeros(1, 3, 2, 4, 5), (2, 2)), "output_size must be 3"),
    (lambda: F.adaptive_avg_pool3d(ag.zeros(1, 3, 2, 4, 5), -1),
     "elements of output_size must be greater than or equal to 0"),
])
def test_errors_name_the_op_and_the_argument(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_conv3d_of_depth_one_kernel_is_conv2d_per_slice():
    x, w = ag.tensor(rng.standard_normal((2, 3, 4, 5, 5))), ag.tensor(rng.standard_normal(
        (2, 3, 1, 3, 3)))
    out = F.conv3d(x, w, stride=(2, 1, 1), padding=(0, 1, 1))
    for d in range(out.shape[2]):
        np.testing.assert_allclose(out[:, :, d].numpy(),
                                   F.conv2d(x[:, :, 2 * d], w[:, :, 0], padding=1).numpy(),
                                   atol=1e-12)
    single = F.conv3d(x[0], w, stride=(2, 1, 1), padding=(0, 1, 1))
    np.testing.assert_allclose(single.numpy(), out[0].numpy(), atol=1e-12)


def test_pool3d_values_and_flat_depth_height_width_indices():
    x = rng.standard_normal((2, 2, 5, 4, 6))
    out, idx = F.max_pool3d(ag.tensor(x), (3, 2, 2), stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), ref_max_pool(x, (3, 2, 2), 2, 1))
    flat = x.reshape(2, 2, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(2, 2, -1), 2),
                                  out.numpy().reshape(2, 2, -1))
    np.testing.assert_allclose(F.avg_pool3d(ag.tensor(x), 2, ceil_mode=True).numpy(),
                               ref_avg_pool(x, 2, ceil_mode=True), atol=1e-12)
    t = ag.tensor(x, requires_grad=True)
    F.max_pool3d(t, 2).sum().backward()
    assert t.grad.numpy().sum() == 2 * 2 * 2 * 2 * 3   # one 1 per window
