"""One generic test over the module registry (tests/nn/module_db.py, plus the `MODULES`
of tests/nn/module_db_conv.py when it exists): forward in float32 and float64, gradcheck
in float64 w.r.t. inputs and parameters, train/eval behaviour, state_dict round trip."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn

from .module_db import MODULES as _OWN
from .module_db import ModuleInfo

ALL: list[ModuleInfo] = list(_OWN)
try:
    from .module_db_conv import MODULES as _CONV
    ALL += list(_CONV)
except ImportError:  # the conv/pool/norm registry has not landed yet
    pass
from .module_db_seq import MODULES as _SEQ  # noqa: E402  (RNN, attention, Transformer)

ALL += list(_SEQ)


def _tensors(arrays, dtype, rg):
    out = []
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.kind == "f":
            out.append(ag.tensor(a.astype(dtype), requires_grad=rg))
        else:
            out.append(ag.tensor(a))
    return out


def _setup(info: ModuleInfo, dtype=np.float64, rg=True, seed=0):
    rng = np.random.default_rng(seed)
    ag.manual_seed(seed)
    m = info.make()
    if dtype == np.float64:
        m.double()
    ins = _tensors(info.inputs(rng), dtype, rg)
    tgts = _tensors(info.targets(rng), dtype, False) if info.targets else []
    return m, ins, tgts


@pytest.mark.parametrize("info", ALL, ids=str)
def test_forward_float32_and_float64_agree(info):
    m32, ins32, t32 = _setup(info, np.float32, rg=False)
    m64, ins64, t64 = _setup(info, np.float64, rg=False)
    if info.random:
        m32.eval()
        m64.eval()
    out32, out64 = m32(*ins32, *t32), m64(*ins64, *t64)
    assert isinstance(out64, ag.Tensor)
    assert out64.dtype == ag.float64 and out32.dtype == ag.float32, info.name
    np.testing.assert_allclose(out32.detach().numpy().astype(np.float64),
                               out64.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("info", [i for i in ALL if i.gradcheck], ids=str)
def test_gradcheck_inputs_and_parameters(info):
    m, ins, tgts = _setup(info)
    params = list(m.parameters())
    diff = [t for t in ins if t.requires_grad]
    if info.random:
        m.eval()  # a fixed function for finite differences

    def f(*xs):
        k = len(diff)
        it = iter(xs[:k])
        args = [next(it) if t.requires_grad else t for t in ins]
        return m(*args, *tgts)

    # parameters enter through the module itself; gradcheck perturbs them in place
    assert ag.gradcheck(f, (*diff, *params))
    if info.random:  # and in train mode with a fixed seed for each evaluation
        m.train()

        def g(*xs):
            ag.manual_seed(123)
            return f(*xs)
        assert ag.gradcheck(g, (*diff, *params))


@pytest.mark.parametrize("info", [i for i in ALL if i.train_eval_differ], ids=str)
def test_train_and_eval_differ(info):
    m, ins, tgts = _setup(info, rg=False)
    m.eval()
    a = m(*ins, *tgts).detach().numpy()
    b = m(*ins, *tgts).detach().numpy()
    np.testing.assert_array_equal(a, b)  # eval is deterministic
    m.train()
    c = m(*ins, *tgts).detach().numpy()
    assert not np.array_equal(a, c), f"{info.name}: train and eval outputs should differ"


@pytest.mark.parametrize("info", [i for i in ALL if not i.train_eval_differ], ids=str)
def test_train_and_eval_agree(info):
    m, ins, tgts = _setup(info, rg=False)
    a = m.eval()(*ins, *tgts).detach().numpy()
    b = m.train()(*ins, *tgts).detach().numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("info", ALL, ids=str)
def test_state_dict_roundtrip(info):
    m, ins, tgts = _setup(info, rg=False, seed=1)
    m2, _, _ = _setup(info, rg=False, seed=2)
    res = m2.load_state_dict(m.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    m.eval()
    m2.eval()
    np.testing.assert_array_equal(m(*ins, *tgts).detach().numpy(), m2(*ins, *tgts).detach().numpy())
    assert isinstance(repr(m), str) and repr(m).startswith(type(m).__name__)
    assert all(isinstance(p, nn.Parameter) for p in m.parameters())
