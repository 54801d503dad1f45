"""The `.npz` checkpoint: round trips with types kept, Parameters through the tensor-class
registry (autograd does not import nn), what cannot be stored, and no pickle."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.serialization import register_tensor_class


def test_nested_roundtrip_keeps_types(tmp_path):
    obj = {
        "t32": ag.randn(2, 3),
        "t64": ag.tensor([1.0, 2.0], dtype=ag.float64),
        "ints": ag.tensor([1, 2, 3]),
        "flags": ag.tensor([True, False]),
        "arr": np.arange(6, dtype=np.int32).reshape(2, 3),
        "npscalar": np.float32(1.5),
        "epoch": 3, "lr": 0.1, "whole_float": 2.0, "ok": True, "name": "run-1", "none": None,
        "nan": float("nan"), "inf": float("-inf"),
        "list": [1, 2.5, "x", [ag.zeros(1)]], "tuple": (1, (2, 3)),
        7: "int key", (1, 2): "tuple key", 0.5: "float key",
        "shape0": ag.zeros(0, 3),
    }
    path = tmp_path / "ckpt.bin"  # exactly this path: no .npz appended
    ag.save(obj, path)
    assert path.exists() and not (tmp_path / "ckpt.bin.npz").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.bin"]  # no temp file left
    back = ag.load(path)
    assert set(back) == set(obj)
    for k in ("t32", "t64", "ints", "flags", "shape0"):
        assert isinstance(back[k], ag.Tensor) and back[k].dtype == obj[k].dtype
        np.testing.assert_array_equal(back[k].numpy(), obj[k].numpy())
    assert isinstance(back["arr"], np.ndarray) and back["arr"].dtype == np.int32
    assert isinstance(back["npscalar"], np.float32) and back["npscalar"] == 1.5
    assert type(back["epoch"]) is int and type(back["lr"]) is float
    assert type(back["whole_float"]) is float and back["ok"] is True and back["none"] is None
    assert np.isnan(back["nan"]) and back["inf"] == float("-inf")
    assert back["list"][:3] == [1, 2.5, "x"] and isinstance(back["list"][3][0], ag.Tensor)
    assert back["tuple"] == (1, (2, 3))
    assert back[7] == "int key" and back[(1, 2)] == "tuple key" and back[0.5] == "float key"


def test_model_and_optimizer_like_state_roundtrip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt_state = {"state": {0: {"step": ag.tensor(5.0), "exp_avg": ag.randn(4, 3)},
                           1: {"step": ag.tensor(5.0), "momentum_buffer": None}},
                 "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "params": [0, 1, 2, 3],
                                   "amsgrad": False}]}
    ag.save({"model": model.state_dict(), "optimizer": opt_state, "epoch": 3}, tmp_path / "c")
    ck = ag.load(tmp_path / "c")
    assert ck["epoch"] == 3
    assert isinstance(ck["model"], OrderedDict) and list(ck["model"]) == list(
        model.state_dict())
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(ck["model"])
    x = ag.randn(5, 3)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    st = ck["optimizer"]["state"]
    assert set(st) == {0, 1} and st[1]["momentum_buffer"] is None
    assert ck["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    np.testing.assert_array_equal(st[0]["exp_avg"].numpy(), opt_state["state"][0]["exp_avg"]
                                  .numpy())


def test_parameters_and_shared_tensors(tmp_path):
    p = nn.Parameter(ag.ones(2))
    t = ag.zeros(3)
    ag.save({"p": p, "a": t, "b": t}, tmp_path / "s.npz")
    back = ag.load(tmp_path / "s.npz")
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["a"] is back["b"]


def test_object_arrays_and_pickles_refused(tmp_path):
    evil = tmp_path / "evil.npz"
    np.savez(evil, x=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ValueError, match="entry 'x' holds Python objects"):
        ag.load(evil)
    raw = tmp_path / "raw.npy"
    np.save(raw, np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="holds Python objects"):
        ag.load(raw)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x80\x04\x95 not a zip")
    with pytest.raises(ValueError, match="'.*junk.pt'.*pickle checkpoints are not loaded"):
        ag.load(junk)
    with pytest.raises(TypeError, match="cannot store"):
        ag.save({"m": nn.Linear(2, 2)}, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="dtype object"):
        ag.save(np.array([1, None], dtype=object), tmp_path / "o.npz")
    with pytest.raises(ValueError, match="pickle checkpoints are not loaded"):
        ag.load(junk, weights_only=False)   # (it never unpickles, whatever the flag says)


def test_file_objects_and_plain_npz(tmp_path):
    buf = io.BytesIO()
    ag.save({"x": ag.arange(3)}, buf)
    buf.seek(0)
    assert ag.load(buf)["x"].tolist() == [0, 1, 2]
    plain = tmp_path / "plain.npz"
    np.savez(plain, weight=np.ones((2, 2)))
    back = ag.load(plain)
    assert isinstance(back["weight"], ag.Tensor) and back["weight"].dtype == ag.float64
    with zipfile.ZipFile(tmp_path / "plain.npz") as z:
        assert "weight.npy" in z.namelist()


def test_zero_dim_tensors_and_arrays_keep_their_shape(tmp_path):
    p = tmp_path / "scalars.npz"
    ag.save({"t": ag.tensor(1.5), "a": np.array(3), "step": ag.tensor(7)}, p)
    back = ag.load(p)
    assert back["t"].shape == () and back["t"].item() == 1.5
    assert back["a"].shape == () and back["step"].shape == () and back["step"].item() == 7


def test_what_cannot_be_stored_is_refused_before_writing(tmp_path):
    p = tmp_path / "x.npz"
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match=r"cannot store obj\[1\]: it contains itself"):
        ag.save(loop, p)
    deep: list = []
    for _ in range(150):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 100 levels deep"):
        ag.save(deep, p)
    with pytest.raises(TypeError, match=r"obj\['d'\], an array of dtype datetime64"):
        ag.save({"d": np.array(["2020-01-01"], "datetime64[D]")}, p)
    with pytest.raises(TypeError, match="dict key"):
        ag.save({frozenset(): 1}, p)
    assert not p.exists()
    shared = [1, 2]
    ag.save({"a": shared, "b": shared, "deep": [[[[[[1]]]]]]}, p)  # shared, not a loop
    assert ag.load(p) == {"a": [1, 2], "b": [1, 2], "deep": [[[[[[1]]]]]]}


def test_dtypes_strings_and_complex_arrays_roundtrip(tmp_path):
    obj = {"dt": ag.float16, "dts": [ag.int64, ag.bool], "s": np.array(["ab", "c"]),
           "c": np.array([1 + 2j]), "b": np.array([b"x"])}
    ag.save(obj, tmp_path / "x.npz")
    back = ag.load(tmp_path / "x.npz")
    assert back["dt"] is ag.float16 and back["dts"] == [ag.int64, ag.bool]
    for k in ("s", "c", "b"):
        assert back[k].dtype == obj[k].dtype and back[k].tolist() == obj[k].tolist()


def test_loaded_tensors_own_writable_memory(tmp_path):
    ag.save({"w": ag.ones(3), "a": np.zeros(2)}, tmp_path / "x.npz")
    back = ag.load(tmp_path / "x.npz")
    back["w"].add_(1)
    back["a"][0] = 5
    assert back["w"].tolist() == [2.0, 2.0, 2.0] and back["a"].tolist() == [5.0, 0.0]


def test_tensor_classes_are_kept_through_a_registry(tmp_path):
    class Marked(ag.Tensor):
        def __new__(cls, data, requires_grad=False):
            t = ag.Tensor.__new__(cls, data.detach().numpy())
            return t.requires_grad_(requires_grad)

    register_tensor_class(Marked, "test.Marked")
    p = nn.Parameter(ag.ones(2), requires_grad=False)
    ag.save({"m": Marked(ag.ones(2), requires_grad=True), "p": p,
             "plain_rg": ag.ones(2, requires_grad=True)}, tmp_path / "x.npz")
    back = ag.load(tmp_path / "x.npz")
    assert type(back["m"]) is Marked and back["m"].requires_grad
    assert type(back["p"]) is nn.Parameter and not back["p"].requires_grad
    assert type(back["plain_rg"]) is ag.Tensor and back["plain_rg"].requires_grad


WITHOUT_NN = """
import sys
import autograd as ag
ag.load(sys.argv[1])
back = ag.load(sys.argv[1])
assert not any(m == "nn" or m.startswith("nn.") for m in sys.modules), "autograd imported nn"
p = back["p"]
print(type(p).__name__, p.requires_grad, p.tolist())
"""


def test_autograd_serialization_does_not_import_nn(tmp_path):
    path = tmp_path / "p.npz"
    ag.save({"p": nn.Parameter(ag.ones(2))}, path)
    out = subprocess.run([sys.executable, "-c", WITHOUT_NN, str(path)], capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["Tensor", "True", "[1.0,", "1.0]"]  # nn not loaded: a plain tensor
