"""Installing and importing next to other packages: the SPDX license form (no setuptools
warning), and a clear warning when HIPS autograd shares the environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_an_spdx_string_with_a_setuptools_that_reads_it():
    text = (ROOT / "pyproject.toml").read_text()   # (no tomllib before Python 3.11)
    # the table form, license = { text = "MIT" }, makes setuptools warn twice
    assert re.search(r'^license = "MIT"$', text, flags=re.M)
    version = re.search(r'^requires = \["setuptools>=(\d+)"\]', text, flags=re.M).group(1)
    assert int(version) >= 77   # PEP 639 support


def _import_autograd(extra_path: Path | None) -> subprocess.CompletedProcess:
    path = [str(ROOT)] + ([str(extra_path)] if extra_path else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    return subprocess.run([sys.executable, "-W", "always", "-c", "import autograd"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_hips_autograd_installed_alongside_is_reported_at_import(tmp_path):
    info = tmp_path / "autograd-1.7.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: autograd\nVersion: 1.7.0\n")
    proc = _import_autograd(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "UserWarning: HIPS autograd 1.7.0" in proc.stderr
    assert str(tmp_path) in proc.stderr and "virtual environment" in proc.stderr
    assert "pip uninstall autograd" in proc.stderr


def test_no_warning_without_hips_autograd(tmp_path):
    (tmp_path / "autograd_extras-0.1.dist-info").mkdir()   # a lookalike name is not it
    proc = _import_autograd(tmp_path)
    assert proc.returncode == 0 and proc.stderr == ""
