"""Optimizer hooks (step, state_dict, load_state_dict; per optimizer and global), as
PyTorch's: arguments, order, return values, removal."""

import copy
import importlib

import numpy as np
import pytest

import autograd as ag
import optim
from optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook


def _record(lib, opt_module, hooks_module):
    """The calls the hooks see around two steps, a state_dict() and a load_state_dict()."""
    p = lib.ones(2, requires_grad=True)
    opt = opt_module.SGD([p], lr=0.5)
    log = []
    g1 = hooks_module.register_optimizer_step_pre_hook(
        lambda o, a, k: log.append(("global pre", len(a), a[0] is o, dict(k))))
    g2 = hooks_module.register_optimizer_step_post_hook(
        lambda o, a, k: log.append(("global post", len(a))))
    try:
        h = opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", len(a))))
        opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a))))
        opt.register_state_dict_pre_hook(lambda o: log.append(("sd pre",)))
        opt.register_state_dict_pre_hook(lambda o: log.append(("sd pre first",)), prepend=True)
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
        opt.register_load_state_dict_pre_hook(
            lambda o, sd: log.append(("load pre", sorted(sd))) or {k: sd[k] for k in
                                                                   ("state", "param_groups")})
        opt.register_load_state_dict_post_hook(lambda o: log.append(("load post",)))
        p.grad = lib.ones(2)
        opt.step()
        h.remove()
        opt.step(closure=None)
        sd = opt.state_dict()
        log.append(("state_dict keys", sorted(sd)))
        opt.load_state_dict(sd)
    finally:
        g1.remove()
        g2.remove()
    p.grad = lib.ones(2)
    opt.step()                                  # no global hook any more
    return log, p.detach().numpy() if hasattr(p, "detach") and lib is not ag else p._data


def test_hooks_run_as_pytorch_runs_them():
    class Hooks:
        register_optimizer_step_pre_hook = staticmethod(register_optimizer_step_pre_hook)
        register_optimizer_step_post_hook = staticmethod(register_optimizer_step_post_hook)
    log, x = _record(ag, optim, Hooks)
    assert log == [
        ("global pre", 1, True, {}), ("pre", 1), ("post", 1), ("global post", 1),
        ("global pre", 1, True, {"closure": None}), ("post", 1), ("global post", 1),
        ("sd pre first",), ("sd pre",), ("state_dict keys", ["extra", "param_groups", "state"]),
        ("load pre", ["extra", "param_groups", "state"]), ("load post",), ("post", 1)]
    np.testing.assert_allclose(x, [-0.5, -0.5])
    torch = pytest.importorskip("torch")
    t_log, t_x = _record(torch, torch.optim, importlib.import_module("torch.optim.optimizer"))
    assert log == t_log
    np.testing.assert_allclose(x, t_x)


def test_step_pre_hook_may_replace_the_arguments_and_is_checked():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": closure}))
    assert opt.step().item() == 5.0                # the hook supplied the closure
    np.testing.assert_allclose(x._data, [0.0, 0.0])
    opt2 = optim.SGD([x], lr=0.5)
    opt2.register_step_pre_hook(lambda o, args, kwargs: "oops")
    with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), but got oops."):
        opt2.step()


def test_subclasses_and_copies_keep_hooks_working():
    class MySGD(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = ag.ones(2, requires_grad=True)
    opt = MySGD([p], lr=1.0)
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(type(o).__name__))
    p.grad = ag.ones(2)
    opt.step()
    assert calls == ["MySGD"]                     # once, though two step()s are hooked
    clone = copy.deepcopy(opt)
    clone.step()                                  # a copy has no hooks, but steps
    assert calls == ["MySGD"]
    lb = optim.LBFGS([p])
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'closure'"):
        lb.step()
