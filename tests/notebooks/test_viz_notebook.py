"""Run notebooks/viz_backprop.ipynb from top to bottom; it must finish without error."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "viz_backprop.ipynb"


def test_viz_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook with its outputs stripped"
    NotebookClient(nb, kernel_name="python3", timeout=120,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 7                 # every graph cell displayed a rendered picture
    htmls = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("type=\"range\"" in o["data"]["text/html"] for o in htmls)   # the slider
