"""Numpy-level data sources behind ``autograd.data``.

Everything here works on plain numpy arrays (no Tensor dependency):

- toy 2-D classification sets following scikit-learn's ``make_moons`` and
  ``make_circles``, plus CS231n-style spirals;
- the 8x8 handwritten digits bundled in ``_data/digits.npz``;
- MNIST IDX files: reading (plain or gzip), locating and downloading.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import math
import numbers
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

StrPath = str | os.PathLike[str]

_DATA_DIR = Path(__file__).resolve().parent / "_data"

# torchvision.datasets.MNIST.mirrors / .resources
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

# IDX magic number -> number of dimensions (both unsigned-byte data).
_IDX_MAGIC: dict[int, tuple[int, str]] = {2049: (1, "labels"), 2051: (3, "images")}


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_noise(noise: float | None) -> float:
    if noise is None:
        return 0.0
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a float, got {type(noise).__name__}")
    if not noise >= 0:  # also rejects nan
        raise ValueError(f"noise must be >= 0, got {noise}")
    return float(noise)


def _check_rng(rng: np.random.Generator | None) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}"
        )
    return rng


def _split_two(n_samples: int | Sequence[int], name: str) -> tuple[int, int]:
    """sklearn's split: ``n // 2`` in class 0, the rest in class 1; or an explicit pair."""
    if isinstance(n_samples, numbers.Integral) and not isinstance(n_samples, bool):
        n = _check_int(n_samples, "n_samples", 1)
        return n // 2, n - n // 2
    if isinstance(n_samples, Sequence) and len(n_samples) == 2:
        n0 = _check_int(n_samples[0], "n_samples[0]", 0)
        n1 = _check_int(n_samples[1], "n_samples[1]", 0)
        if n0 + n1 < 1:
            raise ValueError(
                f"{name}: n_samples must add up to at least 1, got {tuple(n_samples)}"
            )
        return n0, n1
    raise TypeError(
        f"{name}: n_samples must be an int or a pair of ints, got {n_samples!r}"
    )


def _finish(
    X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle rows, then add Gaussian noise (sklearn's order)."""
    perm = rng.permutation(len(y))
    X, y = X[perm], y[perm]
    if noise > 0:
        X = X + rng.normal(scale=noise, size=X.shape)
    return np.ascontiguousarray(X, dtype=np.float64), y.astype(np.int64)


# --------------------------------------------------------------------------
# toy generators
# --------------------------------------------------------------------------


def _make_moons_np(
    n_samples: int | Sequence[int] = 100,
    noise: float | None = 0.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as ``sklearn.datasets.make_moons(shuffle=True)``.

    Class 0 (``n // 2`` points) lies on the upper unit half circle, class 1 (the
    rest) on ``(1 - cos t, 0.5 - sin t)``, ``t`` evenly spaced in ``[0, pi]``.
    Rows are shuffled with ``rng``, then N(0, noise**2) is added to every
    coordinate. Returns ``X`` float64 (n, 2) and ``y`` int64 (n,).
    """
    n_out, n_in = _split_two(n_samples, "make_moons")
    noise, rng = _check_noise(noise), _check_rng(rng)
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    return _finish(X, y, noise, rng)


def _make_circles_np(
    n_samples: int | Sequence[int] = 100,
    noise: float | None = 0.0,
    factor: float = 0.8,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A large circle containing a smaller one, as ``sklearn.datasets.make_circles``.

    Class 0 (``n // 2`` points) on the unit circle, class 1 (the rest) on the
    circle of radius ``factor``; angles evenly spaced in ``[0, 2 pi)``. Rows are
    shuffled with ``rng``, then N(0, noise**2) is added to every coordinate.
    Returns ``X`` float64 (n, 2) and ``y`` int64 (n,).
    """
    n_out, n_in = _split_two(n_samples, "make_circles")
    noise, rng = _check_noise(noise), _check_rng(rng)
    if (
        isinstance(factor, bool)
        or not isinstance(factor, numbers.Real)
        or not 0 <= factor < 1
    ):
        raise ValueError(
            f"factor must be a float in the range [0.0, 1.0), got {factor!r}"
        )
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    return _finish(X, y, noise, rng)


def _make_spirals_np(
    n_samples: int = 100,
    noise: float | None = 0.0,
    n_classes: int = 2,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms (CS231n "spiral data").

    Arm ``k`` gets ``n // n_classes`` points (the first ``n % n_classes`` arms
    one more), with radius ``r`` evenly spaced in ``[0, 1]`` and angle
    ``t = 4 r + 2 pi k / n_classes + noise * N(0, 1)``; the point is
    ``(r sin t, r cos t)``. Unlike moons/circles the noise perturbs the angle, as
    in CS231n (``noise=0.2`` gives the classic picture); arms are offset by
    ``2 pi / n_classes`` rather than CS231n's 4 radians so they are evenly
    spread. Rows are shuffled with ``rng``. Returns ``X`` float64 (n, 2) and
    ``y`` int64 (n,).
    """
    n = _check_int(n_samples, "n_samples", 1)
    n_classes = _check_int(n_classes, "n_classes", 1)
    noise, rng = _check_noise(noise), _check_rng(rng)
    counts = [n // n_classes + (k < n % n_classes) for k in range(n_classes)]
    r = np.concatenate([np.linspace(0.0, 1.0, c) for c in counts])
    y = np.repeat(np.arange(n_classes, dtype=np.int64), counts)
    t = 4.0 * r + 2 * np.pi * y / n_classes
    if noise > 0:
        t = t + noise * rng.standard_normal(n)
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _finish(X, y, 0.0, rng)


# --------------------------------------------------------------------------
# bundled digits
# --------------------------------------------------------------------------


def _load_digits_np() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits (UCI, via scikit-learn): ``X`` float64 (1797, 64) in 0..16, ``y`` int64."""
    path = _DATA_DIR / "digits.npz"
    try:
        with np.load(path, allow_pickle=False) as f:
            X, y = f["data"], f["target"]
    except FileNotFoundError:
        raise FileNotFoundError(
            f"bundled digits data not found at '{path}'; the package installation is "
            "incomplete (package data 'autograd/data/_data/digits.npz' missing)"
        ) from None
    if X.shape != (1797, 64) or y.shape != (1797,):
        raise ValueError(f"'{path}' is corrupt: got data {X.shape}, target {y.shape}")
    return X.astype(np.float64), y.astype(np.int64)


# --------------------------------------------------------------------------
# MNIST IDX files
# --------------------------------------------------------------------------


def _read_idx(path: StrPath) -> np.ndarray:
    """Read an MNIST IDX file (plain or gzip) into a uint8 array.

    Accepts magic 2049 (labels, shape (n,)) and 2051 (images, shape (n, rows,
    cols)); sizes are big-endian uint32. Raises ``ValueError`` naming the file
    if the magic number is wrong, the header or data is truncated, the file has
    trailing bytes, or the gzip stream is corrupt.
    """
    path = Path(path)
    raw = path.read_bytes()
    what = "file"
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(
                f"IDX file '{path}': corrupt or truncated gzip data ({e})"
            ) from e
        what = "decompressed data"
    if len(raw) < 4:
        raise ValueError(
            f"IDX file '{path}': truncated, {what} is {len(raw)} bytes, "
            "too short for the 4-byte magic number"
        )
    magic = int.from_bytes(raw[:4], "big")
    if magic not in _IDX_MAGIC:
        raise ValueError(
            f"IDX file '{path}': wrong magic number {magic} (0x{magic:08x}); expected "
            "2049 (0x00000801, labels) or 2051 (0x00000803, images). "
            "Not an MNIST IDX file, or a gzip file that was not recognised"
        )
    ndim, kind = _IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"IDX file '{path}': truncated header, {what} is {len(raw)} bytes but a "
            f"{ndim}-d {kind} header needs {header}"
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and (dims[1] == 0 or dims[2] == 0):
        raise ValueError(f"IDX file '{path}': bad image dimensions {dims[1]}x{dims[2]}")
    n_data = math.prod(dims)
    found = len(raw) - header
    if found != n_data:
        problem = "truncated" if found < n_data else "size mismatch"
        raise ValueError(
            f"IDX file '{path}': {problem}, header declares {kind} of shape {dims} "
            f"({n_data} data bytes) but the {what} has {found} data bytes "
            f"({len(raw)} bytes in total, expected {header + n_data})"
        )
    return (
        np.frombuffer(raw, dtype=np.uint8, count=n_data, offset=header)
        .reshape(dims)
        .copy()
    )


def _mnist_names(train: bool) -> tuple[str, str]:
    prefix = "train" if train else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def _find_mnist_files(root: StrPath, train: bool = True) -> tuple[Path, Path]:
    """Locate ``(images, labels)`` IDX files in ``root/`` or ``root/MNIST/raw/``.

    Each file may be plain or ``.gz``; ``root/`` is searched first and plain
    files are preferred over gzip in the same folder. Raises
    ``FileNotFoundError`` listing the missing files and the folders searched.
    """
    root = Path(root)
    folders = (root, root / "MNIST" / "raw")
    found: list[Path] = []
    missing: list[str] = []
    for name in _mnist_names(train):
        candidates = (f / n for f in folders for n in (name, name + ".gz"))
        hit = next((p for p in candidates if p.is_file()), None)
        if hit is None:
            missing.append(f"{name}[.gz]")
        else:
            found.append(hit)
    if missing:
        split = "training" if train else "test"
        where = " and ".join(f"'{f}'" for f in folders)
        raise FileNotFoundError(
            f"MNIST {split} files not found: {', '.join(missing)} missing; looked in "
            f"{where}. Pass download=True to download them, or put the IDX files "
            "(plain or .gz) in one of those folders."
        )
    return found[0], found[1]


class _ChecksumError(Exception):
    pass


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(url: str, dest: Path, md5: str, timeout: float) -> None:
    """Download ``url`` to ``dest`` atomically (temp file + ``os.replace``), checking md5."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        h = hashlib.md5(usedforsecurity=False)
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=timeout) as resp,
        ):
            for chunk in iter(lambda: resp.read(1 << 16), b""):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != md5:
            raise _ChecksumError(f"md5 mismatch: got {h.hexdigest()}, expected {md5}")
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _download_mnist(
    root: StrPath,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    timeout: float = 30.0,
) -> Path:
    """Download the four MNIST ``.gz`` files into ``root/MNIST/raw/``; return that folder.

    Files already present with the right md5 are kept. Each file is tried on
    every mirror in turn; if all fail (offline, HTTP error, bad checksum) a
    ``RuntimeError`` lists each attempt and how to install the files by hand.
    """
    raw_dir = Path(root) / "MNIST" / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    for name, md5 in MNIST_FILES.items():
        dest = raw_dir / name
        if dest.is_file() and _md5(dest) == md5:
            continue
        errors: list[str] = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                _fetch(url, dest, md5, timeout)
                break
            except (
                OSError,
                ValueError,
                http.client.HTTPException,
                _ChecksumError,
            ) as e:
                reason = e.reason if isinstance(e, urllib.error.URLError) else e
                errors.append(f"  {url}: {type(e).__name__}: {reason}")
        else:
            tried = "\n".join(errors) if errors else "  (no mirrors given)"
            raise RuntimeError(
                f"could not download MNIST file '{name}' into '{raw_dir}'; tried:\n{tried}\n"
                "Check the network connection, or download the four files "
                f"({', '.join(MNIST_FILES)}) by hand and put them in '{Path(root)}' "
                f"or '{raw_dir}'."
            )
    return raw_dir


def _load_mnist_np(
    root: StrPath, train: bool = True, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST split as ``(images uint8 (n, 28, 28), labels int64 (n,))``.

    Looks in ``root/`` and ``root/MNIST/raw/``; downloads only if the files are
    missing and ``download`` is true. Checks that the two files agree.
    """
    try:
        images_path, labels_path = _find_mnist_files(root, train)
    except FileNotFoundError:
        if not download:
            raise
        _download_mnist(root)
        images_path, labels_path = _find_mnist_files(root, train)
    images, labels = _read_idx(images_path), _read_idx(labels_path)
    if images.ndim != 3:
        raise ValueError(
            f"'{images_path}' holds labels (shape {images.shape}), expected images"
        )
    if labels.ndim != 1:
        raise ValueError(
            f"'{labels_path}' holds images (shape {labels.shape}), expected labels"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"MNIST size mismatch: '{images_path}' has {len(images)} images but "
            f"'{labels_path}' has {len(labels)} labels"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"'{labels_path}': label {labels.max()} out of range 0..9")
    return images, labels.astype(np.int64)
