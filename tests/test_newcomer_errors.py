"""Every bad input a newcomer hit (issue 17) gets a clear error, raised where the mistake
was made: PyTorch's exception type (and its words, where PyTorch has good ones), naming
the op or layer, the argument and the shapes or types at fault.

`CASES` lists them; each is tried here, and compared with PyTorch when torch is installed
(same exception type; with `same_text`, our message starts with PyTorch's). The generic
test at the end hands a numpy array to every layer and loss of the module registry.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd.data import DataLoader, RandomSampler, TensorDataset
from ndgrad import train

from .nn.module_db import MODULES as _NN_MODULES

try:
    from .nn.module_db_conv import MODULES as _CONV_MODULES
except ImportError:  # pragma: no cover - the conv registry is part of the suite today
    _CONV_MODULES = []


@dataclass
class Case:
    id: str
    ours: Callable[[], object]
    exc: type[BaseException]
    match: str                                            # a regex our message must contain
    torch: Callable[[object], object] | None = None       # the same mistake, made in PyTorch
    same_text: bool = False                               # ours starts with PyTorch's message

    def __repr__(self) -> str:
        return self.id


def _fit(model, loss_fn, data, **kw):
    return nn.fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), data, verbose=0, **kw)


_X = ag.randn(8, 2)
_Y = ag.tensor([0, 1] * 4)
_NP = np.ones((1, 2))

CASES = [
    # ---- a numpy array, a list or a number given to a layer
    Case("Linear(ndarray)", lambda: nn.Linear(2, 2)(_NP), TypeError,
         r"^linear\(\): argument 'input' \(position 1\) must be Tensor, not numpy\.ndarray "
         r"\(convert it first: autograd\.tensor\(x, dtype=autograd\.float32\)\)$",
         lambda t: t.nn.Linear(2, 2)(_NP), same_text=True),
    Case("Linear(list)", lambda: nn.Linear(2, 2)([[1.0, 2.0]]), TypeError,
         r"^linear\(\): argument 'input' \(position 1\) must be Tensor, not list",
         lambda t: t.nn.Linear(2, 2)([[1.0, 2.0]]), same_text=True),
    Case("Linear(int)", lambda: nn.Linear(2, 2)(5), TypeError, r"must be Tensor, not int",
         lambda t: t.nn.Linear(2, 2)(5), same_text=True),
    Case("ReLU(ndarray)", lambda: nn.ReLU()(_NP), TypeError, r"^relu\(\): argument 'input'",
         lambda t: t.nn.ReLU()(_NP), same_text=True),
    Case("Tanh(list)", lambda: nn.Tanh()([1.0]), TypeError, r"^tanh\(\): .* not list",
         lambda t: t.nn.Tanh()([1.0]), same_text=True),
    Case("LeakyReLU(ndarray)", lambda: nn.LeakyReLU()(_NP), TypeError, r"^leaky_relu\(\)",
         lambda t: t.nn.LeakyReLU()(_NP), same_text=True),
    Case("LayerNorm(ndarray)", lambda: nn.LayerNorm(2)(_NP), TypeError, r"^layer_norm\(\)",
         lambda t: t.nn.LayerNorm(2)(_NP), same_text=True),
    Case("Dropout(ndarray)", lambda: nn.Dropout()(_NP), TypeError, r"^dropout\(\)",
         lambda t: t.nn.Dropout()(_NP), same_text=True),
    Case("MaxPool2d(ndarray)", lambda: nn.MaxPool2d(2)(np.ones((1, 1, 4, 4))), TypeError,
         r"^max_pool2d\(\)", lambda t: t.nn.MaxPool2d(2)(np.ones((1, 1, 4, 4))), same_text=True),
    Case("Conv2d(ndarray)", lambda: nn.Conv2d(1, 1, 3)(np.ones((1, 1, 4, 4))), TypeError,
         r"^conv2d\(\): argument 'input' \(position 1\) must be Tensor, not numpy\.ndarray",
         lambda t: t.nn.Conv2d(1, 1, 3)(np.ones((1, 1, 4, 4)))),
    Case("Embedding(ndarray)", lambda: nn.Embedding(3, 2)(np.array([0, 1])), TypeError,
         r"^embedding\(\): .* must be Tensor, not numpy\.ndarray",
         lambda t: t.nn.Embedding(3, 2)(np.array([0, 1]))),
    Case("BatchNorm1d(ndarray)", lambda: nn.BatchNorm1d(2)(np.ones((3, 2))), TypeError,
         r"^batch_norm1d\(\): argument 'input' .* must be Tensor"),   # PyTorch: AttributeError
    Case("Softmax(ndarray)", lambda: nn.Softmax(1)(_NP), TypeError,
         r"^softmax\(\): argument 'input'"),                           # PyTorch: AttributeError
    Case("CrossEntropyLoss(target ndarray)",
         lambda: nn.CrossEntropyLoss()(ag.ones(3, 2), np.ones(3, dtype=np.int64)), TypeError,
         r"^cross_entropy_loss\(\): argument 'target' \(position 2\) must be Tensor, not "
         r"numpy\.ndarray \(convert it first: autograd\.tensor\(x\)\)$",
         lambda t: t.nn.CrossEntropyLoss()(t.ones(3, 2), np.ones(3, dtype=np.int64)),
         same_text=True),
    Case("CrossEntropyLoss(target list)",
         lambda: nn.CrossEntropyLoss()(ag.ones(2, 3), [0, 1]), TypeError,
         r"argument 'target' \(position 2\) must be Tensor, not list",
         lambda t: t.nn.CrossEntropyLoss()(t.ones(2, 3), [0, 1]), same_text=True),
    Case("MSELoss(input ndarray)", lambda: nn.MSELoss()(np.ones(2), ag.ones(2)), TypeError,
         r"^mse_loss\(\): argument 'input' \(position 1\)",
         lambda t: t.nn.MSELoss()(np.ones(2), t.ones(2))),
    Case("Bilinear(2nd input list)", lambda: nn.Bilinear(2, 2, 1)(ag.ones(1, 2), [[1.0, 2.0]]),
         TypeError, r"^bilinear\(\): argument 'input2' \(position 2\) must be Tensor, not list",
         lambda t: t.nn.Bilinear(2, 2, 1)(t.ones(1, 2), [[1.0, 2.0]])),
    Case("Sequential(ndarray)", lambda: nn.Sequential(nn.Linear(2, 2), nn.ReLU())(_NP),
         TypeError, r"^linear\(\): argument 'input'",
         lambda t: t.nn.Sequential(t.nn.Linear(2, 2), t.nn.ReLU())(_NP), same_text=True),
    # ---- layer construction
    Case("Linear(-1, 3)", lambda: nn.Linear(-1, 3), RuntimeError,
         r"^Linear: in_features must be non-negative, got in_features=-1 \(Trying to create "
         r"tensor with negative dimension -1\)$", lambda t: t.nn.Linear(-1, 3)),
    Case("Linear(3, -2)", lambda: nn.Linear(3, -2), RuntimeError, r"out_features=-2",
         lambda t: t.nn.Linear(3, -2)),
    Case("Linear(2.5, 3)", lambda: nn.Linear(2.5, 3), TypeError,
         r"^Linear: in_features must be an int, got 2\.5 \(float\)$",
         lambda t: t.nn.Linear(2.5, 3)),
    Case("Bilinear(2, -3, 4)", lambda: nn.Bilinear(2, -3, 4), RuntimeError,
         r"^Bilinear: in2_features must be non-negative", lambda t: t.nn.Bilinear(2, -3, 4)),
    Case("Sequential(Linear, ReLU class)", lambda: nn.Sequential(nn.Linear(2, 2), nn.ReLU),
         TypeError, r"^nn\.modules\.activation\.ReLU is not a Module subclass instance: "
         r"Sequential got the class itself as module '1'; create the layer by calling it: "
         r"ReLU\(\)$", lambda t: t.nn.Sequential(t.nn.Linear(2, 2), t.nn.ReLU)),
    Case("Sequential(Linear class)", lambda: nn.Sequential(nn.Linear), TypeError,
         r"Linear is not a Module subclass.* calling it: Linear\(\.\.\.\)$",
         lambda t: t.nn.Sequential(t.nn.Linear)),
    Case("Sequential.append(class)", lambda: nn.Sequential().append(nn.Tanh), TypeError,
         r"Tanh is not a Module subclass.*Tanh\(\)$",
         lambda t: t.nn.Sequential().append(t.nn.Tanh)),
    Case("ModuleList([class])", lambda: nn.ModuleList([nn.Tanh]), TypeError,
         r"ModuleList got the class itself as module '0'", lambda t: t.nn.ModuleList([t.nn.Tanh])),
    Case("ModuleDict({k: class})", lambda: nn.ModuleDict({"act": nn.GELU}), TypeError,
         r"ModuleDict got the class itself as module 'act'.*GELU\(\)$",
         lambda t: t.nn.ModuleDict({"act": t.nn.GELU})),
    Case("Sequential(3)", lambda: nn.Sequential(3), TypeError, r"^int is not a Module subclass$",
         lambda t: t.nn.Sequential(3), same_text=True),
    # ---- data
    Case("TensorDataset size mismatch", lambda: TensorDataset(ag.ones(3), ag.ones(4)),
         AssertionError, r"^Size mismatch between tensors: .* tensor 0 has 3 samples \(shape "
         r"\[3\]\) and tensor 1 has 4 \(shape \[4\]\)$",
         lambda t: t.utils.data.TensorDataset(t.ones(3), t.ones(4)), same_text=True),
    Case("TensorDataset 3rd tensor", lambda: TensorDataset(ag.ones(3, 2), ag.ones(3), ag.ones(5)),
         AssertionError, r"tensor 0 has 3 samples \(shape \[3, 2\]\) and tensor 2 has 5",
         lambda t: t.utils.data.TensorDataset(t.ones(3, 2), t.ones(3), t.ones(5))),
    Case("RandomSampler(num_samples=0)", lambda: RandomSampler(range(3), num_samples=0),
         ValueError, r"num_samples should be a positive integer value, but got num_samples=0",
         lambda t: t.utils.data.RandomSampler(range(3), num_samples=0), same_text=True),
    Case("DataLoader(batch_size=0)", lambda: DataLoader(range(3), batch_size=0), ValueError,
         r"batch_size=0", lambda t: t.utils.data.DataLoader(range(3), batch_size=0),
         same_text=True),
    # ---- factories
    Case("full((2,), 'x')", lambda: ag.full((2,), "x"), TypeError,
         r"^full\(\): argument 'fill_value' \(position 2\) must be Number, not str$",
         lambda t: t.full((2,), "x"), same_text=True),
    Case("full((2,), None)", lambda: ag.full((2,), None), TypeError, r"not NoneType$",
         lambda t: t.full((2,), None), same_text=True),
    Case("full((2,), [1])", lambda: ag.full((2,), [1]), TypeError, r"not list$",
         lambda t: t.full((2,), [1]), same_text=True),
    Case("full((2,), 1-d tensor)", lambda: ag.full((2,), ag.ones(2)), TypeError, r"not Tensor$",
         lambda t: t.full((2,), t.ones(2)), same_text=True),
    Case("full_like(x, 'x')", lambda: ag.full_like(ag.ones(2), "x"), TypeError,
         r"^full_like\(\): argument 'fill_value'", lambda t: t.full_like(t.ones(2), "x"),
         same_text=True),
    Case("full((3, -1), 1.0)", lambda: ag.full((3, -1), 1.0), RuntimeError,
         r"^Trying to create tensor with negative dimension -1: \[3, -1\]$",
         lambda t: t.full((3, -1), 1.0), same_text=True),
    Case("randint(5, 2, (3,))", lambda: ag.randint(5, 2, (3,)), RuntimeError,
         r"^random_ expects 'from' to be less than 'to', but got from=5 >= to=2 \(randint draws "
         r"from \[low, high\): low=5, high=2\)$", lambda t: t.randint(5, 2, (3,)), same_text=True),
    Case("randint(5, 5, (3,))", lambda: ag.randint(5, 5, (3,)), RuntimeError, r"from=5 >= to=5",
         lambda t: t.randint(5, 5, (3,)), same_text=True),
    Case("randint(0, (3,))", lambda: ag.randint(0, (3,)), RuntimeError, r"from=0 >= to=0",
         lambda t: t.randint(0, (3,)), same_text=True),
    Case("randint(-3, (3,))", lambda: ag.randint(-3, (3,)), RuntimeError, r"from=0 >= to=-3",
         lambda t: t.randint(-3, (3,)), same_text=True),
    Case("randint_like(x, 5, 2)", lambda: ag.randint_like(ag.ones(2), 5, 2), RuntimeError,
         r"from=5 >= to=2", lambda t: t.randint_like(t.ones(2), 5, 2), same_text=True),
    Case("empty(3, -1)", lambda: ag.empty(3, -1), RuntimeError,
         r"^Trying to create tensor with negative dimension -1: \[3, -1\]$",
         lambda t: t.empty(3, -1), same_text=True),
    Case("ones(-2)", lambda: ag.ones(-2), RuntimeError, r"negative dimension -2: \[-2\]",
         lambda t: t.ones(-2), same_text=True),
    Case("zeros(3, -1)", lambda: ag.zeros(3, -1), RuntimeError, r"negative dimension -1",
         lambda t: t.zeros(3, -1)),
    Case("rand(2, -1)", lambda: ag.rand(2, -1), RuntimeError, r"negative dimension -1: \[2, -1\]",
         lambda t: t.rand(2, -1), same_text=True),
    Case("randn(-1)", lambda: ag.randn(-1), RuntimeError, r"negative dimension -1: \[-1\]",
         lambda t: t.randn(-1), same_text=True),
    # ---- ops
    Case("masked_fill mask (4,) on (2, 3)",
         lambda: ag.ones(2, 3).masked_fill(ag.ones(4, dtype=ag.bool), 0.0), RuntimeError,
         r"^masked_fill \(a: mask, b: input\): The size of tensor a \(4\) must match the size "
         r"of tensor b \(3\) at non-singleton dimension 1 \(shapes \[4\] and \[2, 3\]\)$",
         lambda t: t.ones(2, 3).masked_fill(t.ones(4, dtype=t.bool), 0.0)),
    Case("masked_fill_ mask (4,) on (2, 3)",
         lambda: ag.ones(2, 3).masked_fill_(ag.ones(4, dtype=ag.bool), 0.0), RuntimeError,
         r"must match the size of tensor b",
         lambda t: t.ones(2, 3).masked_fill_(t.ones(4, dtype=t.bool), 0.0)),
    Case("masked_fill mask (2, 2) on (2, 3)",
         lambda: ag.zeros(2, 3).masked_fill(ag.zeros(2, 2, dtype=ag.bool), 1.0), RuntimeError,
         r"tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 1",
         lambda t: t.zeros(2, 3).masked_fill(t.zeros(2, 2, dtype=t.bool), 1.0)),
    Case("expand(-2, 3)", lambda: ag.ones(3).expand(-2, 3), RuntimeError,
         r"^The expanded size of the tensor \(-2\) isn't allowed in a leading, non-existing "
         r"dimension 0: expand's sizes must be >= 0, or -1 to keep an existing dimension\.  "
         r"Target sizes: \[-2, 3\]\.  Tensor sizes: \[3\]$", lambda t: t.ones(3).expand(-2, 3)),
    Case("expand(-1, 3)", lambda: ag.ones(3).expand(-1, 3), RuntimeError,
         r"isn't allowed in a leading, non-existing dimension 0",
         lambda t: t.ones(3).expand(-1, 3), same_text=True),
    Case("(1, 3).expand(-2, 3)", lambda: ag.ones(1, 3).expand(-2, 3), RuntimeError,
         r"expanded size of the tensor \(-2\) isn't allowed at dimension 0",
         lambda t: t.ones(1, 3).expand(-2, 3)),
    Case("(2, 3).expand(-2, 3)", lambda: ag.ones(2, 3).expand(-2, 3), RuntimeError,
         r"must match the existing size \(2\) at non-singleton dimension 0",
         lambda t: t.ones(2, 3).expand(-2, 3), same_text=True),
    # ---- fit / evaluate: a target that does not fit the loss
    Case("evaluate: cross-entropy, 1 output, float targets",
         lambda: nn.evaluate(nn.Linear(2, 1), (_X, _Y.float()[:, None]), nn.CrossEntropyLoss()),
         ValueError, r"^evaluate: CrossEntropyLoss needs scores for at least 2 classes, but the "
         r"model outputs shape \(8, 1\): over one class the loss is always 0"),
    Case("fit: cross-entropy, 1 output",
         lambda: _fit(nn.Linear(2, 1), nn.functional.cross_entropy, (_X, _Y)),
         ValueError, r"^fit: cross_entropy needs scores for at least 2 classes.*BCEWithLogitsLoss"),
    Case("fit: NLLLoss, 1 output", lambda: _fit(nn.Linear(2, 1), nn.NLLLoss(), (_X, _Y)),
         ValueError, r"NLLLoss needs scores for at least 2 classes"),
    Case("fit: MSELoss, (N, 1) output and (N,) targets",
         lambda: _fit(nn.Linear(2, 1), nn.MSELoss(), (_X, _Y.float())), ValueError,
         r"^fit: MSELoss pairs outputs and targets element by element, but the model outputs "
         r"shape \(8, 1\) and the targets have shape \(8,\).*y\.unsqueeze\(1\)"),
    Case("evaluate: l1_loss, (N, 2) output and (N,) targets",
         lambda: nn.evaluate(nn.Linear(2, 2), (_X, _Y.float()), nn.functional.l1_loss),
         ValueError, r"^evaluate: l1_loss pairs outputs .* shape \(8, 2\) .* shape \(8,\)"),
    Case("fit: X and y of different lengths",
         lambda: _fit(nn.Linear(2, 2), nn.CrossEntropyLoss(), (_X, _Y[:5])), ValueError,
         r"same number of samples, got X of shape \(8, 2\) and y of shape \(5,\)"),
]


def test_the_cases_are_many_and_named_once():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 50


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_gets_a_clear_error(case):
    with pytest.raises(case.exc, match=case.match):
        case.ours()


@pytest.mark.parametrize("case", [c for c in CASES if c.torch is not None], ids=str)
def test_pytorch_raises_the_same_type(case):
    torch = pytest.importorskip("torch")
    with pytest.raises(case.exc) as theirs:
        case.torch(torch)
    if case.same_text:
        with pytest.raises(case.exc) as ours:
            case.ours()
        want = str(theirs.value).replace("torch.", "")
        assert str(ours.value).startswith(want), (str(ours.value), want)


# ---- every layer and loss of the module registry, handed a numpy array or a list


_LAYERS = [i for i in _NN_MODULES + _CONV_MODULES if i.name != "Identity"]


@pytest.mark.parametrize("info", _LAYERS, ids=str)
def test_every_layer_refuses_numpy_arrays_and_lists_by_name(info):
    rng = np.random.default_rng(0)
    m = info.make()
    arrays = [np.asarray(a) for a in info.inputs(rng) + (info.targets(rng) if info.targets
                                                           else ())]
    tensors = [ag.tensor(a.astype(np.float32) if a.dtype.kind == "f" else a) for a in arrays]
    m(*tensors)   # the right inputs work
    names = type(m)._n_tensor_inputs if not isinstance(m, nn.Sequential) else 1
    assert names >= 1
    # (arguments past the Tensor-annotated ones, e.g. CTCLoss's lengths, which may be lists,
    # are the layer's own to check: tests/nn)
    for pos in range(min(len(arrays), names)):
        for bad in (arrays[pos], arrays[pos].tolist()):
            args = tensors[:pos] + [bad] + tensors[pos + 1:]
            with pytest.raises(TypeError, match=rf"\(\): argument '\w+' \(position "
                                                rf"{pos + 1 if pos < names else 1}\) must "
                                                rf"be Tensor, not (numpy\.ndarray|list)"):
                m(*args)


def test_identity_passes_anything_through_as_in_pytorch():
    a = np.ones(2)
    assert nn.Identity()(a) is a and nn.Identity()([1]) == [1]


def test_user_modules_may_take_anything():
    class Tokens(nn.Module):
        def forward(self, words: list) -> ag.Tensor:
            return ag.tensor([len(w) for w in words]).float()[:, None]

    class Sub(nn.Linear):       # a subclass with its own forward decides for itself
        def forward(self, x):
            return super().forward(ag.tensor(x, dtype=ag.float32))

    model = nn.Sequential(Tokens(), nn.Linear(1, 2))
    assert model(["ab", "c"]).shape == (2, 2)
    assert Sub(2, 1)(np.ones((3, 2))).shape == (3, 1)


def test_a_pre_hook_may_convert_the_input_first():
    lin = nn.Linear(2, 1)
    lin.register_forward_pre_hook(lambda m, args: (ag.tensor(args[0], dtype=ag.float32),))
    assert lin(np.ones((3, 2))).shape == (3, 1)


# ---- the command-line job


@pytest.mark.parametrize("hidden", ["64,,64", "64,", ",64", " , "])
def test_train_hidden_with_an_empty_entry_is_refused(hidden, tmp_path, capsys):
    rc = train.main(["--hidden", hidden, "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert err[0] == (f"ndgrad-train: error: --hidden must be comma-separated positive ints "
                      f"such as 64,64, got '{hidden}'")


def test_train_download_failure_is_printed_in_full(tmp_path, capsys, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("autograd.data.datasets.urllib.request.urlopen", offline)
    rc = train.main(["--dataset", "mnist", "--download", "--data-dir", str(tmp_path / "d"),
                     "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("ndgrad-train: error: could not download MNIST file") and \
        lines[0].endswith("tried:")
    from autograd.data.datasets import MNIST_MIRRORS
    tried = [ln for ln in lines[1:] if "Temporary failure in name resolution" in ln]
    assert len(tried) == len(MNIST_MIRRORS) >= 1
    assert all(ln.strip().startswith(m) for ln, m in zip(tried, MNIST_MIRRORS))
    assert lines[-1].startswith("Check the network connection, or download the four files")
