"""Devices: autograd.device, Tensor.device and .to(), the factories' device=, Module.to(),
and autograd.cuda / accelerator / backends answering as a CPU-only PyTorch build does."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn

from . import torch_oracle

DEVICE_EXPRS = [
    "torch.device('cpu')", "str(torch.device('cpu'))", "torch.device('cpu', 0)",
    "torch.device('cpu:0')", "torch.device('cuda:1')", "str(torch.device('cuda', 1))",
    "torch.device('cuda').type", "torch.device('cuda', 1).index", "torch.device('cpu').index",
    "torch.device(type='cpu', index=0)", "torch.device('mps')", "torch.device('cuda', None)",
    "torch.device(torch.device('cpu'))", "torch.device(torch.device('cpu')) is torch.device('cpu')",
    "torch.device('cpu') == torch.device('cpu:0')", "torch.device('cpu') == torch.device('cpu')",
    "torch.device('cpu') == 'cpu'", "torch.device('cpu') != torch.device('cuda')",
    "hash(torch.device('cpu')) == hash(torch.device('cpu'))",
    # bad devices
    "torch.device(0)", "torch.device('cpu:x')", "torch.device('cpu', -1)", "torch.device('cpu:-1')",
    "torch.device('CPU')", "torch.device('gpu')", "torch.device(' cpu')", "torch.device('')",
    "torch.device('cuda:01')", "torch.device('cpu:0', 1)", "torch.device('cuda', 1.5)",
    "torch.device('cuda', True)",
]

TENSOR_EXPRS = [
    "t.device", "t.device == 'cpu'", "t.device.type == 'cpu'", "t.is_cpu", "t.is_cuda",
    "t.get_device()", "t.is_mps", "t.is_meta", "t.to('cpu') is t", "t.to(torch.float32) is t",
    "t.cpu() is t", "t.float() is t", "t.type(torch.float32) is t", "t.to(t) is t",
    "t.to('cpu', non_blocking=True) is t", "t.to('cpu', copy=True) is t", "t.double() is t",
    "t.to(torch.device('cpu')) is t", "t.to(None) is t", "t.to(device=None, dtype=None) is t",
    "t.to(torch.device('cpu'), torch.float64)", "t.to('cpu', torch.float64, True).dtype",
    "t.to(device='cpu', dtype=torch.float64, copy=True).dtype",
    "t.to('cpu', torch.float64, False, True).dtype", "t.to(torch.float64, True, True).dtype",
    "t.to(torch.ones(2, dtype=torch.int64), copy=True)", "t.to(int)", "t.to(float).dtype",
    "t.to(bool).dtype", "t.cpu(memory_format=torch.preserve_format)", "t.layout",
    "t.cuda()", "t.cuda(0)", "t.to(0)", "t.to('gpu')", "t.to('cuda:0')", "t.to('cuda')",
    "t.to(torch.float32, torch.float64)", "t.to('cpu', 'cpu')", "t.to(foo=1)",
    "t.pin_memory()", "t.is_pinned()",
]

FACTORY_EXPRS = [
    "torch.zeros(2, device='cpu').device", "torch.empty(2, device='cpu:0').device",
    "torch.ones(1, device='cpu:1').device", "torch.arange(3, device=torch.device('cpu'))",
    "torch.ones_like(torch.ones(2), device='cpu').device", "torch.randperm(3, device='cpu').shape",
    "torch.ones(1, device=torch.device('cuda'))", "torch.ones(1, device=0)",
    "torch.zeros(2, device='cuda:0')", "torch.tensor([1.], device='cuda')",
    "torch.zeros_like(torch.ones(2), device='cuda')", "torch.full((2,), 1., device='cuda')",
    "torch.arange(3, device='cuda')", "torch.linspace(0, 1, 3, device='cuda')",
    "torch.eye(2, device='cuda')", "torch.rand(2, device='cuda')", "torch.randn(2, device='cuda')",
    "torch.randint(3, (2,), device='cuda')", "torch.randperm(3, device='cuda')",
    "torch.empty(2, device='cuda')", "torch.rand_like(torch.ones(2), device='cuda')",
    "torch.ones(2).new_zeros(2, device='cuda')", "torch.as_tensor([1], device='cuda')",
    "torch.Generator(device='cpu').device", "torch.Generator('cpu').device",
    "torch.Generator(device=torch.device('cpu')).device", "torch.Generator(device=0)",
    "torch.Generator(device='mps')", "torch.Generator(device='cuda')",
]

BACKEND_EXPRS = [
    "torch.cuda.is_available()", "torch.cuda.device_count()", "torch.cuda.is_initialized()",
    "torch.cuda.manual_seed(1)", "torch.cuda.manual_seed_all(1)", "torch.cuda.seed()",
    "torch.cuda.seed_all()", "torch.cuda.empty_cache()", "torch.cuda.memory_allocated()",
    "torch.cuda.max_memory_allocated()", "torch.cuda.memory_reserved()",
    "torch.cuda.is_bf16_supported()", "torch.cuda.current_device()", "torch.cuda.synchronize()",
    "torch.cuda.get_device_name()", "torch.cuda.get_device_properties(0)",
    "torch.cuda.get_device_capability()", "torch.cuda.get_rng_state()",
    "torch.backends.cudnn.deterministic", "torch.backends.cudnn.benchmark",
    "torch.backends.cudnn.enabled", "torch.backends.cudnn.allow_tf32",
    "torch.backends.cudnn.is_available()", "torch.backends.cudnn.version()",
    "torch.backends.mps.is_available()", "torch.backends.mps.is_built()",
    "torch.backends.cuda.matmul.allow_tf32", "torch.backends.cuda.is_built()",
    "torch.accelerator.is_available()", "torch.accelerator.current_accelerator()",
    "torch.accelerator.device_count()",
    "torch.accelerator.current_accelerator(check_available=True)",
    "torch.accelerator.current_device_index()", "torch.get_default_device()",
]

MODULE_EXPRS = [
    "m.to('cpu') is m", "m.weight.to('cpu') is m.weight", "m.cpu() is m", "m.cuda()", "m.cuda(0)",
    "m.to('cuda')", "m.to(0)", "m.to('gpu')", "m.to(torch.int64)",
    "m.to(torch.device('cpu'), torch.float64).weight.dtype",
    "m.to('cpu', non_blocking=True).weight.dtype",
    "m.to(torch.ones(1, dtype=torch.float64)).weight.dtype",
    "m.to(dtype=torch.float64, device='cpu').weight.dtype",
    "m.to(torch.float64, True).weight.dtype",
    "m.to(memory_format=torch.channels_last) is m",
]


@pytest.mark.parametrize("expr", DEVICE_EXPRS + BACKEND_EXPRS + FACTORY_EXPRS)
def test_devices_match_pytorch(expr):
    torch_oracle.check(expr)


@pytest.mark.parametrize("expr", TENSOR_EXPRS)
def test_tensor_device_api_matches_pytorch(expr):
    torch_oracle.check(expr, setup="t = torch.ones(2)")


@pytest.mark.parametrize("expr", MODULE_EXPRS)
def test_module_device_api_matches_pytorch(expr):
    torch_oracle.check(expr, setup="m = nn.Linear(2, 2)")


@pytest.fixture
def restore_default_device():
    yield
    ag.set_default_device(None)


def test_default_device_matches_pytorch(restore_default_device):
    torch = pytest.importorskip("torch")
    ns = torch_oracle.namespaces()
    try:
        for expr in ["torch.set_default_device('cuda')", "torch.get_default_device()",
                     "torch.ones(2)", "torch.tensor([1.])", "torch.set_default_device(None)",
                     "torch.get_default_device()", "torch.set_default_device(torch.device('cpu'))",
                     "torch.get_default_device()", "torch.set_default_device('gpu')",
                     "torch.set_default_device(0)", "torch.get_default_device()",
                     "torch.set_default_device('cpu')", "torch.ones(2).device"]:
            torch_oracle.check(expr, ns=ns)
    finally:
        torch.set_default_device(None)


def test_device_objects():
    d = ag.device("cpu")
    assert repr(d) == "device(type='cpu')" and str(d) == "cpu"
    assert (d.type, d.index) == ("cpu", None)
    assert ag.device("cuda", 1) == ag.device("cuda:1") and str(ag.device("cuda", 1)) == "cuda:1"
    assert d != ag.device("cpu", 0) and d != "cpu" and {d: 1}[ag.device("cpu")] == 1
    assert ag.device(d) == d and ag.device(d) is not d
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda.* at start of device "
                                           "string: gpu"):
        ag.device("gpu")
    with pytest.raises(RuntimeError, match="Invalid device string: 'cpu:x'"):
        ag.device("cpu:x")


def test_everything_lives_on_the_cpu():
    x = ag.ones(2, 3, device="cpu")
    assert x.device == ag.device("cpu") and x.is_cpu and not x.is_cuda and x.get_device() == -1
    assert x.to("cpu") is x and x.cpu() is x and x.to(ag.device("cpu")) is x
    y = x.to("cpu", copy=True)
    assert y is not x and not np.shares_memory(x.numpy(), y.numpy())
    assert x.to("cpu", ag.float64).dtype == ag.float64
    for make in (lambda: ag.zeros(2, device="cuda"), lambda: x.to("cuda"), lambda: x.cuda(),
                 lambda: nn.Linear(2, 2).cuda(), lambda: nn.Linear(2, 2).to("cuda:0")):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled .*CPU "
                                                 "with numpy"):
            make()
    with pytest.raises(NotImplementedError, match="mps devices .*CPU with numpy"):
        ag.ones(1, device="mps")
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        x.to(0)


def test_cpu_only_programs_pick_the_cpu():
    """The idiom that opens most PyTorch examples runs and picks the CPU."""
    device = "cuda" if ag.cuda.is_available() else "mps" if ag.backends.mps.is_available() \
        else "cpu"
    assert device == "cpu" and ag.accelerator.current_accelerator() is None
    ag.cuda.manual_seed_all(0)   # silently ignored, as in PyTorch without CUDA
    ag.backends.cudnn.deterministic, ag.backends.cudnn.benchmark = True, False
    import autograd.backends.cudnn as cudnn
    assert cudnn.deterministic is True
    ag.backends.cudnn.deterministic = False
    model = nn.Linear(3, 2).to(device)
    x = ag.randn(4, 3, device=device)
    assert model(x).device.type == "cpu"
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ag.cuda.synchronize()   # as in PyTorch: it needs a GPU


def test_default_device(restore_default_device):
    assert ag.get_default_device() == ag.device("cpu")
    ag.set_default_device("cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA"):
        ag.zeros(2)
    ag.set_default_device(None)
    assert ag.zeros(2).device.type == "cpu"
    with ag.device("cpu"):
        assert ag.ones(1).device.type == "cpu"
    with ag.device("cuda"):
        with pytest.raises(AssertionError):
            ag.ones(1)
    assert ag.ones(1).device.type == "cpu"


def test_module_to_and_cpu():
    m = nn.Linear(2, 2)
    w = m.weight
    assert m.to("cpu") is m and m.cpu() is m and m.weight is w
    assert m.to("cpu", ag.float64) is m and w.dtype == ag.float64
    with pytest.raises(TypeError, match="only accepts floating point or complex dtypes, but got "
                                        "desired dtype=autograd.int64"):
        m.to(ag.int64)


def test_memory_formats_are_accepted():
    x = ag.ones(1, 2, 3, 3)
    assert x.contiguous(memory_format=ag.channels_last).shape == x.shape
    assert x.to(memory_format=ag.channels_last) is x
    assert x.layout is ag.strided and repr(ag.preserve_format) == "autograd.preserve_format"
