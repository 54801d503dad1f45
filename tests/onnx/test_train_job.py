"""The main job writes model.onnx: onnxruntime gives the trained model's predictions for
any batch size; without the onnx package the job says how to get it."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import autograd as ag
from ndgrad import train


def test_the_job_writes_a_model_that_onnxruntime_runs(tmp_path, capsys):
    pytest.importorskip("onnx")
    from .harness import session
    out = tmp_path / "run"
    assert train.main(["--dataset", "moons", "--epochs", "2", "--hidden", "8,8",
                       "--out", str(out), "--seed", "1"]) == 0
    assert "model.onnx" in capsys.readouterr().out
    args = train._parse(["--dataset", "moons", "--hidden", "8,8", "--seed", "1"])
    _, test, n_classes = train.load_data(args)
    model = train.build_model(2, [8, 8], n_classes)
    model.load_state_dict(ag.load(str(out / "checkpoint.npz"))["model"])
    model.eval()
    sess = session((out / "model.onnx").read_bytes())
    for n in (1, len(test)):
        x = test.tensors[0][:n]
        got = sess.run(["logits"], {"features": x.numpy()})[0]
        np.testing.assert_allclose(got, model(x).detach().numpy(), atol=1e-5)


def test_without_onnx_the_job_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert train.main(["--dataset", "moons", "--epochs", "1", "--hidden", "4",
                       "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert 'skipped model.onnx: the onnx package is not installed (pip install "ndgrad[onnx]"' \
        in printed
    assert not (tmp_path / "model.onnx").exists()
