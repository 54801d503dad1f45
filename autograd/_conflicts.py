"""A warning at import when HIPS autograd is installed alongside this package.

PyPI's distribution ``autograd`` (HIPS autograd, github.com/HIPS/autograd) installs a
top-level package also named ``autograd``: installed in the same environment, the two
overwrite each other's files and ``import autograd`` loads a mix of both.
"""

from __future__ import annotations

import os
import sys
import warnings


def _metadata_dirs() -> list[str]:
    """The ``autograd-*.dist-info`` / ``.egg-info`` folders on ``sys.path`` (a cheap scan,
    so that importing this package does not pay for ``importlib.metadata`` every time)."""
    found = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            low = name.lower()
            if low.startswith("autograd-") and low.endswith((".dist-info", ".egg-info")):
                found.append(os.path.join(entry, name))
    return found


def warn_if_hips_autograd() -> None:
    """Warn (UserWarning) when the ``autograd`` distribution's metadata is installed."""
    if not _metadata_dirs():
        return
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution("autograd")
    except importlib.metadata.PackageNotFoundError:
        return
    where = dist.locate_file("")
    warnings.warn(
        f"HIPS autograd {dist.version} (the PyPI distribution 'autograd') is installed in this "
        f"environment, at {where}. It installs a top-level package also named 'autograd', so "
        "it and ndgrad overwrite each other's files and `import autograd` may load a mix of "
        "both. Use ndgrad in a virtual environment of its own (`python -m venv .venv`, then "
        "`.venv/bin/pip install .` in ndgrad's folder), or `pip uninstall autograd` and then "
        "reinstall ndgrad (`pip install --force-reinstall .`).", UserWarning, stacklevel=2)


warn_if_hips_autograd()
