"""Pin BLAS threads before numpy loads: `import _threads` first in a benchmark script.

`--threads N` (default 1) sets OPENBLAS/OMP/MKL_NUM_THREADS; `--threads 0` leaves the
libraries' defaults. On a shared 2-core machine, threaded BLAS mostly measures contention.
"""

from __future__ import annotations

import os
import sys


def threads_from_argv() -> int:
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return 1


THREADS = threads_from_argv()
if THREADS > 0:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(THREADS)
