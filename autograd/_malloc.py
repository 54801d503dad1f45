"""Keep freed memory in the process between training steps (Linux / glibc).

A training step allocates and frees the same large arrays every time (activations,
gradients). glibc hands blocks over 128 KiB back to the operating system when they are
freed, so the next step faults every page in again: on a small CNN that doubles the
step time. PyTorch avoids this with its own caching allocator; numpy has none, so at
import this raises glibc's mmap and trim thresholds (freed memory up to 128 MiB stays
with the process for reuse). Set NDGRAD_MALLOPT=0 to leave malloc alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3   # glibc's mallopt parameters
SETTINGS = {M_MMAP_THRESHOLD: 32 << 20, M_TRIM_THRESHOLD: 128 << 20, M_TOP_PAD: 16 << 20}


def tune_malloc() -> bool:
    """Apply the settings; returns whether they were applied."""
    if os.environ.get("NDGRAD_MALLOPT", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):   # not glibc (e.g. musl): nothing to do
        return False
    return all(mallopt(param, value) == 1 for param, value in SETTINGS.items())


APPLIED = tune_malloc()
