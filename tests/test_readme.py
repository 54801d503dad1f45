"""The README's Python examples (```python blocks; ```py marks illustrations) run, in
order, as written, so they cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 6, "the README lost its examples"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"README.md block {i + 1}", "exec"), namespace)
        except Exception as e:  # say which block failed
            raise AssertionError(f"README block {i + 1} failed: {e!r}\n{code}") from e
        if "relu()" in code and "a.grad, b.grad" in code:   # the first example shows gradients
            assert (namespace["a"].grad.item(), namespace["b"].grad.item()) == (2.0, 9.0)
    assert (tmp_path / "ckpt.npz").exists()
