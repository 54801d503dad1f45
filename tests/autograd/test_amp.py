"""autograd.amp (torch.amp) on a CPU-only engine: autocast's state, GradScaler's
scaling, unscaling, skipped steps and scale updates, and the disabled CUDA forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import optim


def _train(lib, lib_nn, lib_optim, init_scale, steps=8, big=1.0):
    """SGD on a linear layer through GradScaler("cpu"); the history of (scale, step
    taken, growth tracker) and the final weights."""
    lib.manual_seed(0)
    m = lib_nn.Linear(3, 2)
    opt = lib_optim.SGD(m.parameters(), lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=init_scale, growth_interval=2)
    x = lib.tensor(np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32))
    history = []
    for i in range(steps):
        opt.zero_grad()
        loss = m(x * (big if i == 3 else 1.0)).pow(2).mean()
        scaler.scale(loss).backward()
        before = m.weight.detach().clone()
        scaler.step(opt)
        scaler.update()
        history.append((scaler.get_scale(), not bool((m.weight == before).all()),
                        scaler.state_dict()["_growth_tracker"]))
    return history, m.weight.detach().numpy()


def test_grad_scaler_skips_inf_steps_backs_off_and_grows():
    # at step 3 the scaled gradients overflow: that step is skipped and the scale halves;
    # growth_interval=2 clean steps double it, unless the doubled scale is not finite
    hist, _ = _train(ag, nn, optim, init_scale=2.0 ** 100, big=1e20)
    scales = [s for s, _, _ in hist]
    taken = [t for _, t, _ in hist]
    assert taken == [True, True, True, False, True, True, True, True]
    assert scales == [2.0 ** 100, 2.0 ** 101, 2.0 ** 101, 2.0 ** 100, 2.0 ** 100, 2.0 ** 101,
                      2.0 ** 101, 2.0 ** 102]
    hist, _ = _train(ag, nn, optim, init_scale=2.0 ** 127, steps=3)
    assert [s for s, _, _ in hist] == [2.0 ** 127] * 3   # 2 ** 128 overflows float32


@pytest.mark.parametrize("init_scale,big", [(2.0 ** 100, 1e20), (2.0 ** 16, 1.0),
                                            (2.0 ** 127, 1.0)])
def test_grad_scaler_against_pytorch(init_scale, big):
    torch = pytest.importorskip("torch")
    ours, w = _train(ag, nn, optim, init_scale, big=big)
    theirs, tw = _train(torch, torch.nn, torch.optim, init_scale, big=big)
    assert ours == theirs
    np.testing.assert_allclose(w, tw, rtol=1e-5, atol=1e-6)


def test_grad_scaler_unscale_and_its_errors():
    m = nn.Linear(2, 1)
    opt = optim.SGD(m.parameters(), lr=0.1)
    scaler = ag.amp.GradScaler("cpu", init_scale=8.0)
    loss = m(ag.ones(1, 2)).sum()
    scaler.scale(loss).backward()
    np.testing.assert_allclose(m.bias.grad.numpy(), [8.0])
    scaler.unscale_(opt)
    np.testing.assert_allclose(m.bias.grad.numpy(), [1.0])
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: loss)
    scaler.update()
    assert scaler.scale([loss, (loss,)])[1][0].item() == pytest.approx(loss.item() * 8)
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        ag.amp.GradScaler("cpu").load_state_dict({})
    with pytest.raises(AssertionError, match="growth factor must be > 1.0"):
        ag.amp.GradScaler("cpu", growth_factor=0.5)


def test_cuda_grad_scaler_and_autocast_disable_themselves_with_warnings():
    loss = ag.tensor(2.0, requires_grad=True)
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling"):
        s = ag.amp.GradScaler()
    assert not s.is_enabled() and s.get_scale() == 1.0 and s.state_dict() == {}
    assert s.scale(loss) is loss
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.GradScaler\(args...\)` is "
                                           "deprecated"):
        old = ag.cuda.amp.GradScaler(enabled=False)
    assert isinstance(old, ag.amp.GradScaler) and not old.is_enabled()
    opt = optim.SGD([loss], lr=1.0)
    loss.grad = ag.tensor(1.0)
    old.step(opt)   # disabled: a plain step
    assert loss.item() == 1.0
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported"):
        with ag.autocast("cuda"):
            assert not ag.is_autocast_enabled("cuda")


def test_autocast_nests_and_decorates():
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # (no warning on the CPU)
        assert not ag.is_autocast_enabled("cpu")
        with ag.autocast(device_type="cpu", dtype=ag.float16):
            assert ag.is_autocast_enabled("cpu") and not ag.is_autocast_enabled()
            assert ag.get_autocast_dtype("cpu") is ag.float16
            with ag.amp.autocast("cpu", enabled=False):
                assert not ag.is_autocast_enabled("cpu")
            assert ag.is_autocast_enabled("cpu")
            y = ag.ones(2, 3) @ ag.ones(3, 2)   # computed as it is (no bfloat16 in numpy)
            assert y.dtype == ag.float32
        assert not ag.is_autocast_enabled("cpu")

        @ag.autocast("cpu")
        def inside():
            return ag.is_autocast_enabled("cpu")
        assert inside() and not ag.is_autocast_enabled("cpu")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        ag.autocast(0)
    with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
        ag.autocast("gpu")
    assert ag.cpu.is_available() and ag.cpu.device_count() == 1
