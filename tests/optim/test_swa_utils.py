"""optim.swa_utils: AveragedModel (SWA, EMA), SWALR and update_bn, against their formulas
and against PyTorch's."""

import numpy as np
import pytest

import autograd as ag
import optim
from optim import swa_utils

nn = pytest.importorskip("nn")


def _model(lib):
    lib_nn = lib.nn if hasattr(lib, "nn") and lib is not ag else nn
    return lib_nn.Sequential(lib_nn.Linear(3, 4), lib_nn.BatchNorm1d(4), lib_nn.Linear(4, 2))


def _set_weights(lib, model, arrays):
    for p, a in zip(list(model.parameters()) + list(model.buffers()), arrays):
        if lib is ag:
            p._data[...] = a
        else:
            with lib.no_grad():
                p.copy_(lib.tensor(a))


def _snapshots(n, rng):
    """n sets of weights (and buffers) for the 3-4-2 model with a batch norm."""
    model = _model(ag)
    shapes = [p.shape for p in list(model.parameters()) + list(model.buffers())]
    return [[rng.standard_normal(s) if len(s) else np.array(k + 2) for s in shapes]
            for k in range(n)]


def _arrays(model):
    return [p._data.copy() if isinstance(p, ag.Tensor) else p.detach().numpy().copy()
            for p in list(model.parameters()) + list(model.buffers())]


@pytest.mark.parametrize("kind", ["swa", "ema-multi", "ema", "swa-multi", "swa-buffers",
                                  "ema-buffers"])
def test_averaged_model_matches_formula_and_torch(kind):
    rng = np.random.default_rng(0)
    snaps = _snapshots(5, rng)

    def kwargs(su):
        return {"swa": {}, "ema-multi": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
                "ema": {"avg_fn": su.get_ema_avg_fn(0.8)},
                "swa-multi": {"multi_avg_fn": su.get_swa_multi_avg_fn()},
                "swa-buffers": {"use_buffers": True},
                "ema-buffers": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.7),
                                "use_buffers": True}}[kind]

    def run(lib, su):
        model = _model(lib)
        avg = su.AveragedModel(model, **kwargs(su))
        for snap in snaps:
            _set_weights(lib, model, snap)
            avg.update_parameters(model)
        return avg

    ours = run(ag, swa_utils)
    n_params = len(list(ours.module.parameters()))
    got = _arrays(ours.module)
    decay = {"ema-multi": 0.9, "ema": 0.8, "ema-buffers": 0.7}.get(kind)
    averaged = n_params + (len(got) - n_params if kind.endswith("buffers") else 0)
    for i in range(averaged):
        if got[i].dtype.kind != "f":
            continue
        if decay is None:
            expected = np.mean([s[i] for s in snaps], axis=0)
        else:
            expected = snaps[0][i]
            for s in snaps[1:]:
                expected = decay * expected + (1 - decay) * s[i]
        np.testing.assert_allclose(got[i], expected, rtol=1e-6, atol=1e-6)
    for i in range(averaged, len(got)):                     # buffers: the model's last
        np.testing.assert_allclose(got[i], snaps[-1][i], rtol=1e-6)
    assert ours.n_averaged.item() == 5 and ours.n_averaged.dtype is ag.int64
    torch = pytest.importorskip("torch")
    theirs = run(torch, torch.optim.swa_utils)
    for a, b in zip(got, _arrays(theirs.module)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_averaged_model_forwards_and_copies_at_first_update():
    model = _model(ag)
    avg = swa_utils.AveragedModel(model)
    assert avg.module is not model and avg.n_averaged.item() == 0
    x = ag.randn(5, 3)
    model.eval()
    avg.eval()
    np.testing.assert_array_equal(avg(x)._data, model(x)._data)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match=r"^Invalid decay value 1.5 provided. Please provide "
                                         r"a value in \[0,1\] range.$"):
        swa_utils.get_ema_avg_fn(1.5)


def test_update_bn_recomputes_the_statistics():
    rng = np.random.default_rng(1)
    batches = [rng.standard_normal((8, 3)).astype(np.float32) for _ in range(4)]
    model = _model(ag)
    model.eval()
    swa_utils.update_bn([(ag.tensor(b), ag.zeros(8)) for b in batches], model)
    assert not model.training and model[1].momentum == 0.1
    feats = [model[0](ag.tensor(b))._data for b in batches]
    np.testing.assert_allclose(model[1].running_mean._data,
                               np.mean([f.mean(0) for f in feats], 0), rtol=1e-5, atol=1e-6)
    assert model[1].num_batches_tracked.item() == 4
    torch = pytest.importorskip("torch")
    tmodel = _model(torch)
    _set_weights(torch, tmodel, _arrays(model))
    torch.optim.swa_utils.update_bn([torch.tensor(b) for b in batches], tmodel)
    for a, b in zip(_arrays(model), _arrays(tmodel)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", [{"swa_lr": 0.05}, {"swa_lr": [0.01, 0.2], "anneal_epochs": 3,
                                                   "anneal_strategy": "linear"},
                                {"swa_lr": 0.05, "anneal_epochs": 0}])
def test_swalr_matches_torch(kw):
    def run(lib, mod):
        opt = mod.SGD([{"params": [lib.zeros(1, requires_grad=True)]},
                       {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1)
        sched = mod.swa_utils.SWALR(opt, **kw)
        lrs = [sched.get_last_lr()]
        for _ in range(15):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        return np.array(lrs), sched

    lrs, sched = run(ag, optim)
    swa = np.broadcast_to(kw["swa_lr"], (2,))
    np.testing.assert_allclose(lrs[-1], swa, rtol=1e-12)     # annealed, then held
    sd = sched.state_dict()
    assert "anneal_func" not in sd and "optimizer" not in sd
    torch = pytest.importorskip("torch")
    t_lrs, t_sched = run(torch, torch.optim)
    np.testing.assert_allclose(lrs, t_lrs, rtol=1e-12)
    assert set(sd) == set(t_sched.state_dict())


def test_swalr_bad_arguments():
    opt = optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="^anneal_strategy must be one of 'cos' or 'linear', "
                                         "instead got step$"):
        swa_utils.SWALR(opt, 0.05, anneal_strategy="step")
    with pytest.raises(ValueError, match="^anneal_epochs must be equal or greater than 0, got "
                                         "-1$"):
        swa_utils.SWALR(opt, 0.05, anneal_epochs=-1)
    assert optim.swa_utils is swa_utils
