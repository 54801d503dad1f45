"""The malloc tuning applied at import: on by default on glibc, off on request."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _applied(env: dict) -> str:
    code = "import autograd._malloc as m; print(m.APPLIED)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux's")
def test_applied_by_default_and_opt_out(monkeypatch):
    import os
    base = dict(os.environ)
    base.pop("NDGRAD_MALLOPT", None)
    assert _applied(base) == "True"
    assert _applied({**base, "NDGRAD_MALLOPT": "0"}) == "False"
