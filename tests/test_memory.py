"""A training loop's live objects stay flat: no graph, tensor or gradient survives a step."""

from __future__ import annotations

import gc

import numpy as np

import autograd as ag
import nn
import optim
from autograd.data import DataLoader, TensorDataset
from autograd.function import Node
from autograd.tensor import Tensor


def _live() -> tuple[int, int]:
    gc.collect()
    objs = gc.get_objects()
    return (sum(isinstance(o, Tensor) for o in objs), sum(isinstance(o, Node) for o in objs))


def test_live_tensors_and_nodes_stay_flat_over_2000_steps():
    _, nodes_before = _live()   # other tests in this process may have left some
    ag.manual_seed(0)
    rng = np.random.default_rng(0)
    X = ag.tensor(rng.standard_normal((256, 20)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 5, 256))
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                          nn.Linear(32, 5))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    counts = []
    step = 0
    while step < 2000:
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            step += 1
            if step in (100, 1000, 2000):
                del loss
                counts.append(_live())
            if step == 2000:
                break
    assert counts[0] == counts[1] == counts[2], f"live (tensors, nodes) grew: {counts}"
    n_params = len(list(model.parameters()))
    assert counts[-1][1] - nodes_before == n_params, \
        "only the parameters' AccumulateGrad nodes may outlive a step"


def test_no_gc_cycles_are_created_by_a_training_step():
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = ag.randn(16, 8), ag.randint(0, 3, (16,))
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        assert gc.collect() == 0, "a training step left reference cycles behind"
    finally:
        gc.enable()


def test_load_state_dict_makes_no_reference_cycles():
    # the state dict copy must be freed by reference counting, not by the collector
    model = nn.Sequential(nn.Linear(8, 16), nn.Sequential(nn.Tanh(), nn.Linear(16, 3)),
                          nn.BatchNorm1d(3))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    gc.collect()
    gc.disable()
    try:
        for strict in (True, False):
            result = model.load_state_dict(state, strict=strict)
            assert not result.missing_keys and not result.unexpected_keys
        del result
        with_bad_key = dict(state, extra=ag.zeros(1))
        assert model.load_state_dict(with_bad_key, strict=False).unexpected_keys == ["extra"]
        assert gc.collect() == 0, "load_state_dict left reference cycles behind"
    finally:
        gc.enable()


def test_no_gc_cycles_from_optimizer_steps_and_state_dict_round_trips():
    """Every optimizer's step, `state_dict()` and `load_state_dict()` leave no reference
    cycles: a loaded state dict is freed by reference counting alone."""
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
    x, y = ag.randn(16, 8), ag.randint(0, 3, (16,))
    makers = [lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
              lambda p: optim.Adam(p, amsgrad=True), optim.AdamW, optim.RMSprop,
              optim.Adagrad, optim.Adadelta, optim.Adamax, optim.NAdam, optim.RAdam,
              optim.Rprop, optim.ASGD, optim.Adafactor,
              lambda p: optim.LBFGS(p, max_iter=4, line_search_fn="strong_wolfe")]

    def closure():
        model.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss

    gc.collect()
    gc.disable()
    try:
        for make in makers:
            opt = make(model.parameters())
            for _ in range(3):
                opt.step(closure)
            opt.load_state_dict(opt.state_dict())
            opt.step(closure)
            del opt
            # (generation 0 holds every object made since: it finds their cycles, fast)
            assert gc.collect(0) == 0, f"{make}: reference cycles left behind"
    finally:
        gc.enable()
