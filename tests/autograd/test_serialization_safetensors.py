"""`.safetensors` both ways: weights move between this engine and PyTorch unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors import safe_open  # a dependency of the project, not optional
from safetensors.numpy import load_file, save_file

import autograd as ag
import nn

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _sample(dtype: str) -> np.ndarray:
    return (np.arange(-3, 3).reshape(2, 3) % 2 if dtype == "bool" else
            np.arange(6).reshape(2, 3) * (1 if dtype[0] in "iu" else 0.25)).astype(dtype)


def test_roundtrip_every_dtype_and_shape(tmp_path):
    sd = {f"t_{d}": ag.from_numpy(_sample(d)) for d in DTYPES}
    sd.update({"scalar": ag.tensor(1.5), "empty": ag.zeros(0, 3),
               "transposed": ag.arange(6.0).reshape(2, 3).T,            # not contiguous
               "param": nn.Parameter(ag.ones(2)), "grad": ag.ones(2, requires_grad=True) * 2})
    p = tmp_path / "w.safetensors"
    ag.save(sd, p)
    back = ag.load(p)
    assert set(back) == set(sd)
    for k, v in sd.items():
        assert type(back[k]) is ag.Tensor and not back[k].requires_grad   # weights only
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        np.testing.assert_array_equal(back[k].numpy(), v.detach().numpy())
    back["t_float32"].add_(1)                          # loaded tensors are writable
    arrays = load_file(p)                              # the safetensors package reads it
    assert arrays["t_int16"].dtype == np.int16 and arrays["transposed"].shape == (3, 2)
    with safe_open(p, framework="np") as f:
        assert f.metadata() == {"format": "pt"}        # as PyTorch-side writers put it


def test_a_file_written_by_the_safetensors_package_loads(tmp_path):
    p = tmp_path / "np.safetensors"
    save_file({"b": np.ones(3, np.float32), "a": np.zeros((2, 2), np.int64)}, p,
              metadata={"note": "numpy"})
    back = ag.load(p)
    assert back["b"].tolist() == [1.0, 1.0, 1.0] and back["a"].dtype == ag.int64


@pytest.mark.parametrize("obj, phrase", [
    ({"model": {"w": ag.ones(1)}}, "cannot store 'model' in a .safetensors file: it is of type "
                                   "dict"),
    ({"w": ag.ones(1), "epoch": 3}, "cannot store 'epoch'"),
    ({"w": np.ones(2)}, "cannot store 'w'"),
    ({"state": {0: {"exp_avg": ag.ones(1)}}, "param_groups": []}, "cannot store 'state'"),
    ({3: ag.ones(1)}, "the key 3"),
    ({"__metadata__": ag.ones(1)}, "the key '__metadata__'"),
    ([ag.ones(1)], "not a list"),
])
def test_what_safetensors_cannot_hold_is_refused(tmp_path, obj, phrase):
    p = tmp_path / "m.safetensors"
    ag.save({"w": ag.ones(2)}, p)
    before = p.read_bytes()
    with pytest.raises(TypeError) as e:
        ag.save(obj, p)
    assert phrase in str(e.value) and ".npz" in str(e.value)
    assert p.read_bytes() == before and sorted(x.name for x in tmp_path.iterdir()) == [
        "m.safetensors"]


# ---- with PyTorch ---------------------------------------------------------------------------

def _models(torch):
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Conv2d(1, 4, 3), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.Flatten(),
                            tnn.Linear(4 * 6 * 6, 5), tnn.LayerNorm(5), tnn.Linear(5, 3))
    ours = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 5), nn.LayerNorm(5), nn.Linear(5, 3))
    return theirs, ours


def _compare(torch, theirs, ours) -> None:
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(ag.from_numpy(x)).detach().numpy(), expected, atol=1e-5)


def test_pytorch_weights_load_into_the_same_model(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch as st
    torch.manual_seed(0)
    theirs, ours = _models(torch)
    theirs.train()
    theirs(torch.randn(8, 1, 8, 8))                    # running stats and counters move
    p = tmp_path / "from_torch.safetensors"
    st.save_file(theirs.state_dict(), p)
    sd = ag.load(p)
    assert sd["1.num_batches_tracked"].dtype == ag.int64 and sd["1.num_batches_tracked"].item() == 1
    result = ours.load_state_dict(sd, strict=True)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    _compare(torch, theirs, ours)


def test_our_weights_load_into_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch as st
    ag.manual_seed(1)
    theirs, ours = _models(torch)
    ours.train()
    ours(ag.randn(8, 1, 8, 8))
    p = tmp_path / "from_ours.safetensors"
    ag.save(ours.state_dict(), p)
    sd = st.load_file(p)
    assert set(sd) == set(theirs.state_dict())
    theirs.load_state_dict(sd, strict=True)
    _compare(torch, theirs, ours)
    with safe_open(p, framework="pt") as f:
        assert f.metadata() == {"format": "pt"}


def test_dtypes_both_ways_with_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch as st
    tensors = {d: torch.from_numpy(_sample(d)) for d in DTYPES}
    st.save_file(tensors, tmp_path / "t.safetensors")
    ours = ag.load(tmp_path / "t.safetensors")
    for d in DTYPES:
        assert ours[d].dtype == getattr(ag, d)
        np.testing.assert_array_equal(ours[d].numpy(), tensors[d].numpy())
    ag.save(ours, tmp_path / "o.safetensors")
    theirs = st.load_file(tmp_path / "o.safetensors")
    for d in DTYPES:
        assert theirs[d].dtype == getattr(torch, d) and torch.equal(theirs[d], tensors[d])


def test_pytorch_files_this_engine_refuses(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch as st
    st.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.safetensors")
    with pytest.raises(ValueError, match="'.*bf16.safetensors'.*tensor 'w' is bfloat16"):
        ag.load(tmp_path / "bf16.safetensors")
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match=r"'.*model.pt'.*PyTorch checkpoint \(torch.save's zip "
                                         r"of pickles\).*safetensors.torch.save_file"):
        ag.load(tmp_path / "model.pt")
