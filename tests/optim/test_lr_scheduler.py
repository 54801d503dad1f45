"""Learning-rate schedulers: each lr sequence over 30 epochs against its formula."""

import copy
import math
import warnings
from bisect import bisect_right

import numpy as np
import pytest

import autograd as ag
import optim
from optim import lr_scheduler as S

BASE = 0.1
EPOCHS = 30


def _opt(cls=optim.SGD, groups=1, **kw):
    params = [ag.zeros(2, requires_grad=True) for _ in range(groups)]
    return cls([{"params": [p]} for p in params], lr=BASE, **kw), params


def _sequence(make_sched, cls=optim.SGD, epochs=EPOCHS, metrics=None, **kw):
    """lr after construction, then after each `opt.step(); sched.step()`."""
    opt, params = _opt(cls, **kw)
    sched = make_sched(opt)
    lrs = [opt.param_groups[0]["lr"]]
    assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
    for e in range(epochs):
        for p in params:
            p.grad = ag.ones(2)
        opt.step()
        sched.step(metrics[e]) if metrics is not None else sched.step()
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs), opt, sched


E = np.arange(EPOCHS + 1)


@pytest.mark.parametrize("make,formula", [
    (lambda o: S.StepLR(o, step_size=3, gamma=0.5), lambda e: BASE * 0.5 ** (e // 3)),
    (lambda o: S.MultiStepLR(o, milestones=[2, 5, 11]),
     lambda e: BASE * 0.1 ** bisect_right([2, 5, 11], e)),
    (lambda o: S.ExponentialLR(o, gamma=0.9), lambda e: BASE * 0.9 ** e),
    (lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
     lambda e: 0.01 + (BASE - 0.01) * (1 + math.cos(math.pi * e / 4)) / 2),
    (lambda o: S.CosineAnnealingLR(o, T_max=30),
     lambda e: BASE * (1 + math.cos(math.pi * e / 30)) / 2),
    (lambda o: S.LambdaLR(o, lr_lambda=lambda e: 1 / (1 + e)), lambda e: BASE / (1 + e)),
    (lambda o: S.LinearLR(o), lambda e: BASE * (1 / 3 + (2 / 3) * min(e, 5) / 5)),
    (lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20),
     lambda e: BASE * (1.0 - 0.9 * min(e, 20) / 20)),
    (lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.95), lambda e: BASE * 0.95 ** e),
    (lambda o: S.ConstantLR(o, factor=0.5, total_iters=4), lambda e: BASE * (0.5 if e < 4 else 1)),
    (lambda o: S.PolynomialLR(o, total_iters=10, power=2.0),
     lambda e: BASE * (1 - min(e, 10) / 10) ** 2),
], ids=["step", "multistep", "exponential", "cosine", "cosine-full", "lambda", "linear",
        "linear-decay", "multiplicative", "constant", "polynomial"])
def test_sequence_matches_formula(make, formula):
    lrs, _, _ = _sequence(make)
    np.testing.assert_allclose(lrs, [formula(e) for e in E], rtol=1e-10, atol=1e-15)


def test_pytorch_printed_sequences():
    """The sequences PyTorch prints (reference section 4.4), to 4 digits."""
    lrs, _, _ = _sequence(lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01), epochs=8)
    np.testing.assert_allclose(lrs, [0.1, 0.08682, 0.055, 0.02318, 0.01, 0.02318, 0.055,
                                     0.08682, 0.1], atol=1e-5)
    lrs, _, _ = _sequence(lambda o: S.LinearLR(o), epochs=6)
    np.testing.assert_allclose(lrs, [0.0333, 0.0467, 0.06, 0.0733, 0.0867, 0.1, 0.1], atol=1e-4)


def test_cosine_warm_restarts():
    lrs, _, _ = _sequence(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2))
    # restarts at epochs 3, 3+6=9, 9+12=21
    t_cur, t_i, expected = 0, 3, []
    for _ in E:
        expected.append(BASE * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur, t_i = 0, t_i * 2
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    np.testing.assert_allclose(lrs[:5], [0.1, 0.075, 0.025, 0.1, 0.0933], atol=1e-4)


def _one_cycle(step, total, max_lr, pct=0.3, div=25.0, final_div=1e4, lo=0.85, hi=0.95):
    init, end1 = max_lr / div, pct * total - 1
    min_lr = init / final_div

    def cos(a, b, t):
        return b + (a - b) / 2 * (1 + math.cos(math.pi * t))
    if step <= end1:
        t = step / end1
        return cos(init, max_lr, t), cos(hi, lo, t)
    t = (step - end1) / (total - 1 - end1)
    return cos(max_lr, min_lr, t), cos(lo, hi, t)


def test_one_cycle_lr_and_momentum():
    lrs, opt, sched = _sequence(lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=31),
                                momentum=0.9)
    np.testing.assert_allclose(lrs, [_one_cycle(e, 31, 1.0)[0] for e in E], rtol=1e-12)
    assert opt.param_groups[0]["momentum"] == pytest.approx(_one_cycle(30, 31, 1.0)[1])
    assert opt.param_groups[0]["initial_lr"] == 0.04 and opt.param_groups[0]["max_lr"] == 1.0
    with pytest.raises(ValueError, match="^Tried to step 32 times. The specified number of "
                                         "total steps is 31$"):
        sched.step()        # epoch 31 is still computed (as PyTorch does); 32 is refused
        sched.step()


def test_one_cycle_printed_sequence_and_adam_beta1():
    lrs, opt, _ = _sequence(lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10),
                            cls=optim.Adam, epochs=9)
    np.testing.assert_allclose(lrs, [0.04, 0.52, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883,
                                     0.0495, 4e-06], atol=1e-4)
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.95)   # back at max_momentum
    assert opt.param_groups[0]["betas"][1] == 0.999


def test_reduce_lr_on_plateau():
    metrics = [1.0, 0.9] + [0.95] * (EPOCHS - 2)
    lrs, _, sched = _sequence(lambda o: S.ReduceLROnPlateau(o, patience=2, factor=0.5),
                              metrics=metrics)
    # best is 0.9 at epoch 2; then every third bad epoch (bad > patience) halves the lr
    expected = [BASE] + [BASE * 0.5 ** (max(k - 2, 0) // 3) for k in range(1, EPOCHS + 1)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert sched.best == 0.9


def test_reduce_lr_on_plateau_cooldown_min_lr_and_max_mode():
    metrics = [1.0] * EPOCHS
    lrs, _, _ = _sequence(lambda o: S.ReduceLROnPlateau(o, mode="max", patience=0, factor=0.5,
                                                        cooldown=2, min_lr=0.02),
                          metrics=metrics)
    # epoch 1 sets best; epoch 2 is bad -> reduce; 2 cooldown epochs; then reduce again ...
    assert list(np.round(lrs[:9], 6)) == [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02]
    assert lrs[-1] == 0.02
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(_opt()[0], factor=1.0)


def test_per_group_base_lrs_and_lambdas():
    opt, _ = _opt(groups=2)
    opt.param_groups[1]["lr"] = 1.0
    sched = S.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: 1 + e])
    assert sched.base_lrs == [0.1, 1.0]
    for _ in range(3):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.125, 4.0])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])


def test_warns_when_stepped_before_optimizer():
    opt, _ = _opt()
    sched = S.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        sched.step()
    opt2, _ = _opt()
    sched2 = S.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()
        sched2.step()


def test_state_dict_and_resume():
    _, opt, sched = _sequence(lambda o: S.StepLR(o, step_size=3, gamma=0.5), epochs=4)
    sd = sched.state_dict()
    assert set(sd) == {"step_size", "gamma", "base_lrs", "last_epoch", "_step_count",
                       "_is_initial", "_get_lr_called_within_step", "_last_lr"}
    assert sd["last_epoch"] == 4 and sd["_step_count"] == 5
    opt2, _ = _opt()
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    sched2 = S.StepLR(opt2, step_size=99)
    sched2.load_state_dict(copy.deepcopy(sd))
    assert sched2.step_size == 3
    for _ in range(5):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_lambda_state_dict_skips_functions():
    opt, _ = _opt()
    sched = S.LambdaLR(opt, lambda e: 0.9 ** e)
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None] and "optimizer" not in sd


def test_resume_requires_initial_lr_and_optimizer_type():
    opt, _ = _opt()
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        S.StepLR(opt, step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="^list is not an Optimizer$"):
        S.StepLR([], step_size=2)


# ---- CyclicLR, SequentialLR, ChainedScheduler ------------------------------------------------
def _triangle(e, lo, hi, up, down):
    """The lr of a plain triangular cycle at iteration e."""
    pos = e % (up + down)
    frac = pos / up if pos <= up else 1 - (pos - up) / down
    return lo + (hi - lo) * frac


def test_cyclic_lr_triangles_and_momentum():
    lrs, opt, sched = _sequence(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                     step_size_up=4, step_size_down=6),
                                momentum=0.9)
    np.testing.assert_allclose(lrs, [_triangle(e, 0.01, 0.1, 4, 6) for e in E], rtol=1e-12)
    # momentum runs the other way: max_momentum at the lr's lows, base_momentum at its peaks
    assert opt.param_groups[0]["momentum"] == 0.9                    # epoch 30: a low
    opt.step()
    sched.step()
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.9 - 0.1 * _triangle(31, 0, 1, 4, 6))
    assert opt.param_groups[0]["base_momentum"] == 0.8
    lrs2, _, _ = _sequence(lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                mode="triangular2"), momentum=0.9)
    heights = [0.09 / 2 ** (e // 4) for e in E]
    np.testing.assert_allclose(lrs2, [0.01 + h * _triangle(e, 0, 1, 2, 2)
                                      for e, h in zip(E, heights)], rtol=1e-12)


def test_cyclic_lr_exp_range_and_adam_beta1():
    lrs, opt, _ = _sequence(lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                 mode="exp_range", gamma=0.95), cls=optim.Adam)
    np.testing.assert_allclose(lrs, [0.01 + 0.09 * _triangle(e, 0, 1, 3, 3) * 0.95 ** e
                                     for e in E], rtol=1e-12)
    assert opt.param_groups[0]["betas"][1] == 0.999 and "max_momentum" in opt.param_groups[0]


def test_sequential_lr_warmup_then_cosine():
    def make(o):
        return S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                  S.CosineAnnealingLR(o, T_max=10)], milestones=[5])
    lrs, _, sched = _sequence(make)
    expected = [BASE * (0.1 + 0.9 * e / 5) if e < 5 else
                BASE * (1 + math.cos(math.pi * (e - 5) / 10)) / 2 for e in E]
    np.testing.assert_allclose(lrs, expected, rtol=1e-10, atol=1e-15)
    assert set(sched.state_dict()) == {"_milestones", "last_epoch", "_last_lr", "_schedulers"}
    assert sched.state_dict()["_schedulers"][1]["T_max"] == 10


def test_chained_scheduler_multiplies_the_factors():
    def make(o):
        return S.ChainedScheduler([S.ConstantLR(o, factor=0.1, total_iters=2),
                                   S.ExponentialLR(o, gamma=0.9)])
    lrs, _, _ = _sequence(make)
    np.testing.assert_allclose(lrs, [BASE * 0.9 ** e * (0.1 if e < 2 else 1) for e in E],
                               rtol=1e-10)


def _bad_scheduler_cases(lib):
    S_, o = lib.optim.lr_scheduler, _groups_of(lib)
    o2 = _groups_of(lib)
    return [
        lambda: S_.SequentialLR(o, [], milestones=[]),
        lambda: S_.SequentialLR(o, [S_.StepLR(o, 2), S_.StepLR(o, 3)], milestones=[1, 2]),
        lambda: S_.SequentialLR(o, [S_.StepLR(o, 2), S_.ReduceLROnPlateau(o)], milestones=[1]),
        lambda: S_.SequentialLR(o, [S_.StepLR(o, 2), S_.StepLR(o2, 3)], milestones=[1]),
        lambda: S_.SequentialLR(o, [S_.StepLR(o, 2), object()], milestones=[1]),
        lambda: S_.ChainedScheduler([]),
        lambda: S_.ChainedScheduler([S_.StepLR(o, 2), S_.ReduceLROnPlateau(o)]),
        lambda: S_.ChainedScheduler([S_.StepLR(o, 2), S_.StepLR(o2, 3)]),
        lambda: S_.CyclicLR(o, 0.01, 0.1, mode="sawtooth"),
        lambda: S_.CyclicLR(o, [0.01], 0.1),
        lambda: S_.CyclicLR(lib.optim.Adagrad(o.param_groups[0]["params"]), 0.01, 0.1),
        lambda: S_.CyclicLR([], 0.01, 0.1),
    ]


def _groups_of(lib):
    return lib.optim.SGD([{"params": [lib.zeros(1, requires_grad=True)]},
                          {"params": [lib.zeros(1, requires_grad=True)]}], lr=0.1)


class _Lib:
    """`autograd` with `optim` reachable as `lib.optim`, like `torch.optim`."""
    zeros = staticmethod(ag.zeros)
    optim = optim


@pytest.mark.parametrize("i", range(12))
def test_bad_scheduler_arguments_raise_pytorchs_errors(i):
    with pytest.raises((ValueError, TypeError)) as ours:
        _bad_scheduler_cases(_Lib)[i]()
    torch = pytest.importorskip("torch")
    with pytest.raises((ValueError, TypeError)) as theirs:
        _bad_scheduler_cases(torch)[i]()
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value).replace("torch.", "")
