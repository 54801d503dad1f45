"""The README's ONNX example (marked ```py there, since onnx is an optional extra) runs as
written, and onnxruntime gives the model's outputs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import autograd as ag
import nn
from autograd.data import load_digits

from .harness import ort  # noqa: F401  (skips this file without onnxruntime)

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_onnx_blocks_run(tmp_path, monkeypatch):
    blocks = [b for b in re.findall(r"```py\n(.*?)```", README.read_text(), flags=re.S)
              if "onnx" in b]
    assert len(blocks) == 2, "the README lost its ONNX example"
    monkeypatch.chdir(tmp_path)
    ag.manual_seed(0)
    X, _ = load_digits()
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    images = (X[:7] / 16).numpy()
    namespace = {"ag": ag, "model": model, "X": X, "images": images}
    for code in blocks:
        exec(compile(code, "README.md (ONNX)", "exec"), namespace)
    np.testing.assert_allclose(namespace["logits"], model(X[:7] / 16).detach().numpy(),
                               atol=1e-5)
