"""Tests for the numpy-level data sources in autograd/data/datasets.py."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import os
import struct
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pytest

_ROOT = Path(__file__).resolve().parents[2]
_SHARED_MNIST = Path("/work/shared/data/mnist")


def _load_module():
    """Load datasets.py by path so the test does not depend on autograd/__init__.py."""
    path = _ROOT / "autograd" / "data" / "datasets.py"
    spec = importlib.util.spec_from_file_location("_autograd_data_datasets_np", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


ds = _load_module()
GENERATORS = [ds._make_moons_np, ds._make_circles_np, ds._make_spirals_np]


# ---------------------------------------------------------------- generators


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n", [1, 2, 7, 100, 101])
@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_generator_shapes_dtypes(make, n, noise):
    X, y = make(n, noise, rng=np.random.default_rng(0))
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make", [ds._make_moons_np, ds._make_circles_np])
@pytest.mark.parametrize("n, counts", [(100, [50, 50]), (101, [50, 51]), (1, [0, 1])])
def test_two_class_split_like_sklearn(make, n, counts):
    _, y = make(n, rng=np.random.default_rng(0))
    assert np.bincount(y, minlength=2).tolist() == counts


@pytest.mark.parametrize("make", [ds._make_moons_np, ds._make_circles_np])
def test_two_class_tuple_n_samples(make):
    X, y = make((3, 5), rng=np.random.default_rng(0))
    assert X.shape == (8, 2) and np.bincount(y).tolist() == [3, 5]


@pytest.mark.parametrize(
    "n, k, counts",
    [
        (100, 2, [50, 50]),
        (10, 3, [4, 3, 3]),
        (300, 3, [100] * 3),
        (11, 4, [3, 3, 3, 2]),
    ],
)
def test_spirals_class_balance(n, k, counts):
    _, y = ds._make_spirals_np(n, 0.0, n_classes=k, rng=np.random.default_rng(0))
    assert np.bincount(y, minlength=k).tolist() == counts


@pytest.mark.parametrize("make", GENERATORS)
def test_deterministic_given_seed_and_shuffled(make):
    X1, y1 = make(200, 0.2, rng=np.random.default_rng(123))
    X2, y2 = make(200, 0.2, rng=np.random.default_rng(123))
    X3, _ = make(200, 0.2, rng=np.random.default_rng(124))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    # shuffled: labels are not in sorted (generation) order
    assert not np.array_equal(y1, np.sort(y1))


@pytest.mark.parametrize("make", GENERATORS)
def test_default_rng_none_works(make):
    X, y = make(10)
    assert X.shape == (10, 2) and y.shape == (10,)


def test_moons_noise0_on_half_circles():
    X, y = ds._make_moons_np(101, 0.0, rng=np.random.default_rng(1))
    a, b = X[y == 0], X[y == 1]
    # class 0: upper unit half circle centred at (0, 0)
    np.testing.assert_allclose(np.hypot(a[:, 0], a[:, 1]), 1.0, atol=1e-12)
    assert (a[:, 1] >= -1e-12).all()
    # class 1: lower unit half circle centred at (1, 0.5)
    np.testing.assert_allclose(np.hypot(b[:, 0] - 1, b[:, 1] - 0.5), 1.0, atol=1e-12)
    assert (b[:, 1] <= 0.5 + 1e-12).all()
    # sklearn's exact point sets (linspace over [0, pi], endpoints included)
    t0, t1 = np.linspace(0, np.pi, 50), np.linspace(0, np.pi, 51)
    np.testing.assert_allclose(np.sort(a[:, 0]), np.sort(np.cos(t0)), atol=1e-15)
    np.testing.assert_allclose(np.sort(b[:, 0]), np.sort(1 - np.cos(t1)), atol=1e-15)


def test_circles_noise0_radii():
    X, y = ds._make_circles_np(100, 0.0, factor=0.3, rng=np.random.default_rng(2))
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-12)
    # endpoint=False: no duplicated first/last point
    assert len(np.unique(np.round(X[y == 0], 12), axis=0)) == 50


def test_spirals_noise0_radius_and_arms():
    X, y = ds._make_spirals_np(300, 0.0, n_classes=3, rng=np.random.default_rng(3))
    r = np.hypot(X[:, 0], X[:, 1])
    for k in range(3):
        rk = np.sort(r[y == k])
        np.testing.assert_allclose(rk, np.linspace(0, 1, 100), atol=1e-12)
    # (x, y) = r (sin t, cos t), so z = y + i x = r exp(i t): arm k = arm 0 * exp(2 pi i k / 3)
    z = X[:, 1] + 1j * X[:, 0]
    arms = [z[y == k][np.argsort(r[y == k])] for k in range(3)]
    for k in (1, 2):
        np.testing.assert_allclose(
            arms[k], arms[0] * np.exp(2j * np.pi * k / 3), atol=1e-12
        )
    # and the angle sweeps 4 radians from centre to tip
    np.testing.assert_allclose(np.angle(arms[0][-1]), 4.0 - 2 * np.pi, atol=1e-12)


def test_noise_magnitude_moons():
    X0, y0 = ds._make_moons_np(5000, 0.0, rng=np.random.default_rng(5))
    Xn, yn = ds._make_moons_np(5000, 0.05, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(y0, yn)  # same shuffle, noise added after it
    assert abs((Xn - X0).std() - 0.05) < 0.005


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_samples": 0}, ValueError, "n_samples must be >= 1"),
        ({"n_samples": 2.5}, TypeError, "n_samples must be an int"),
        ({"noise": -0.1}, ValueError, "noise must be >= 0"),
        ({"noise": float("nan")}, ValueError, "noise must be >= 0"),
        ({"rng": 0}, TypeError, "numpy.random.Generator"),
    ],
)
@pytest.mark.parametrize("make", GENERATORS)
def test_generator_bad_args(make, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make(**kwargs)


@pytest.mark.parametrize("factor", [1.0, -0.1, 1.5])
def test_circles_bad_factor(factor):
    with pytest.raises(
        ValueError, match=r"factor must be a float in the range \[0.0, 1.0\)"
    ):
        ds._make_circles_np(10, factor=factor)


def test_spirals_bad_n_classes():
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
        ds._make_spirals_np(10, n_classes=0)


# ---------------------------------------------------------------- digits


def test_digits():
    X, y = ds._load_digits_np()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and (X == np.round(X)).all()
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # first row of sklearn's load_digits() (a zero)
    assert y[0] == 0
    assert X[0, :16].tolist() == [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]
    # fresh, writable arrays on every call
    X[0, 0] = 99
    assert ds._load_digits_np()[0][0, 0] == 0


def test_digits_file_is_small_uint8_no_pickle():
    path = _ROOT / "autograd" / "data" / "_data" / "digits.npz"
    assert path.stat().st_size < 100_000
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["data", "target"]
        assert f["data"].dtype == np.uint8 and f["target"].dtype == np.uint8


# ---------------------------------------------------------------- IDX


def _idx_bytes(arr: np.ndarray) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    magic = {1: 2049, 3: 2051}[arr.ndim]
    return struct.pack(f">{1 + arr.ndim}I", magic, *arr.shape) + arr.tobytes()


def _write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.fixture
def sample():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5, dtype=np.uint8)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, sample, gz):
    images, labels = sample
    suffix = ".gz" if gz else ""
    pi = _write(tmp_path / f"img-idx3-ubyte{suffix}", _idx_bytes(images), gz)
    pl = _write(tmp_path / f"lbl-idx1-ubyte{suffix}", _idx_bytes(labels), gz)
    got_i, got_l = ds._read_idx(pi), ds._read_idx(str(pl))
    assert got_i.dtype == np.uint8 and got_i.shape == (5, 28, 28)
    assert got_l.dtype == np.uint8 and got_l.shape == (5,)
    np.testing.assert_array_equal(got_i, images)
    np.testing.assert_array_equal(got_l, labels)
    assert got_i.flags.writeable


def test_idx_gzip_detected_by_content_not_name(tmp_path, sample):
    # a gzip file without .gz suffix, and a plain file named .gz, both read fine
    images, labels = sample
    p1 = _write(tmp_path / "a-idx3-ubyte", _idx_bytes(images), gz=True)
    p2 = _write(tmp_path / "b-idx1-ubyte.gz", _idx_bytes(labels), gz=False)
    np.testing.assert_array_equal(ds._read_idx(p1), images)
    np.testing.assert_array_equal(ds._read_idx(p2), labels)


def test_idx_non_square_and_empty(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(
        ds._read_idx(_write(tmp_path / "x", _idx_bytes(arr))), arr
    )
    empty = np.zeros(0, np.uint8)
    assert ds._read_idx(_write(tmp_path / "e", _idx_bytes(empty))).shape == (0,)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated_data(tmp_path, sample, gz):
    data = _idx_bytes(sample[0])[:-10]
    p = _write(tmp_path / "t-idx3-ubyte", data, gz)
    with pytest.raises(ValueError, match="truncated") as e:
        ds._read_idx(p)
    msg = str(e.value)
    assert str(p) in msg and "(5, 28, 28)" in msg and "3920" in msg and "3910" in msg


def test_idx_trailing_bytes(tmp_path, sample):
    p = _write(tmp_path / "l-idx1-ubyte", _idx_bytes(sample[1]) + b"\x00\x00")
    with pytest.raises(ValueError, match="size mismatch") as e:
        ds._read_idx(p)
    assert str(p) in str(e.value) and "7 data bytes" in str(e.value)


def test_idx_wrong_magic(tmp_path, sample):
    data = struct.pack(">I", 2050) + _idx_bytes(sample[1])[4:]
    p = _write(tmp_path / "m-idx1-ubyte", data)
    with pytest.raises(ValueError, match="wrong magic number 2050") as e:
        ds._read_idx(p)
    assert str(p) in str(e.value) and "2049" in str(e.value) and "2051" in str(e.value)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "too short for the 4-byte magic number"),
        (b"\x00\x00\x08", "too short for the 4-byte magic number"),
        (struct.pack(">II", 2051, 5), "truncated header"),
        (struct.pack(">I", 2049), "truncated header"),
        (struct.pack(">IIII", 2051, 1, 0, 28), "bad image dimensions 0x28"),
    ],
)
def test_idx_bad_header(tmp_path, data, match):
    p = _write(tmp_path / "h", data)
    with pytest.raises(ValueError, match=match) as e:
        ds._read_idx(p)
    assert str(p) in str(e.value)


def test_idx_corrupt_gzip(tmp_path, sample):
    gz = gzip.compress(_idx_bytes(sample[0]))
    p = _write(tmp_path / "c.gz", gz[: len(gz) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated gzip") as e:
        ds._read_idx(p)
    assert str(p) in str(e.value)


def test_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        ds._read_idx(tmp_path / "nope")


# ---------------------------------------------------------------- file lookup


def _make_split(folder: Path, train: bool, gz: bool, n: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    sfx = ".gz" if gz else ""
    images = np.full((n, 28, 28), 7, np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    _write(folder / f"{prefix}-images-idx3-ubyte{sfx}", _idx_bytes(images), gz)
    _write(folder / f"{prefix}-labels-idx1-ubyte{sfx}", _idx_bytes(labels), gz)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("layout", ["flat", "torchvision"])
def test_find_mnist_files_layouts(tmp_path, train, gz, layout):
    folder = tmp_path if layout == "flat" else tmp_path / "MNIST" / "raw"
    _make_split(folder, train, gz)
    img, lbl = ds._find_mnist_files(tmp_path, train)
    prefix = "train" if train else "t10k"
    sfx = ".gz" if gz else ""
    assert img == folder / f"{prefix}-images-idx3-ubyte{sfx}"
    assert lbl == folder / f"{prefix}-labels-idx1-ubyte{sfx}"
    X, y = ds._load_mnist_np(str(tmp_path), train=train)
    assert X.shape == (3, 28, 28) and X.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2]


def test_find_mnist_prefers_root_and_plain(tmp_path):
    _make_split(tmp_path / "MNIST" / "raw", True, gz=False)
    _make_split(tmp_path, True, gz=True)
    _make_split(tmp_path, True, gz=False)
    img, lbl = ds._find_mnist_files(tmp_path, True)
    assert img == tmp_path / "train-images-idx3-ubyte"
    assert lbl == tmp_path / "train-labels-idx1-ubyte"


def test_find_mnist_missing(tmp_path):
    _make_split(tmp_path, train=False, gz=True)  # test split only
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        _idx_bytes(np.zeros(1, np.uint8))
    )
    with pytest.raises(FileNotFoundError) as e:
        ds._find_mnist_files(tmp_path, train=True)
    msg = str(e.value)
    assert "MNIST training files not found" in msg
    assert "train-images-idx3-ubyte[.gz]" in msg and "train-labels" not in msg
    assert f"'{tmp_path}'" in msg and f"'{tmp_path / 'MNIST' / 'raw'}'" in msg
    assert "download=True" in msg
    # the test split is found
    ds._find_mnist_files(tmp_path, train=False)


def test_find_mnist_nonexistent_root(tmp_path):
    with pytest.raises(
        FileNotFoundError, match="MNIST test files not found.*download=True"
    ):
        ds._find_mnist_files(tmp_path / "does-not-exist", train=False)


def test_load_mnist_count_mismatch(tmp_path):
    _write(
        tmp_path / "t10k-images-idx3-ubyte", _idx_bytes(np.zeros((3, 28, 28), np.uint8))
    )
    _write(tmp_path / "t10k-labels-idx1-ubyte", _idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match="3 images but .* 4 labels"):
        ds._load_mnist_np(tmp_path, train=False)


def test_load_mnist_swapped_files(tmp_path):
    _write(tmp_path / "t10k-images-idx3-ubyte", _idx_bytes(np.zeros(3, np.uint8)))
    _write(tmp_path / "t10k-labels-idx1-ubyte", _idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(ValueError, match="expected images"):
        ds._load_mnist_np(tmp_path, train=False)


# ---------------------------------------------------------------- download


def test_download_offline_message(tmp_path):
    # port 9 (discard) on localhost: refused at once, no DNS, no real network
    mirrors = ("http://127.0.0.1:9/mnist/", "http://127.0.0.1:9/other/")
    with pytest.raises(RuntimeError) as e:
        ds._download_mnist(tmp_path, mirrors=mirrors, timeout=2)
    msg = str(e.value)
    assert "could not download MNIST file 'train-images-idx3-ubyte.gz'" in msg
    assert "http://127.0.0.1:9/mnist/train-images-idx3-ubyte.gz" in msg
    assert "http://127.0.0.1:9/other/train-images-idx3-ubyte.gz" in msg
    assert "network" in msg and str(tmp_path / "MNIST" / "raw") in msg
    # nothing half-written left behind
    assert list((tmp_path / "MNIST" / "raw").iterdir()) == []


def test_download_offline_monkeypatched_default_mirrors(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError(OSError(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr(ds.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match="Temporary failure in name resolution") as e:
        ds._download_mnist(tmp_path)
    for mirror in ds.MNIST_MIRRORS:
        assert mirror + "train-images-idx3-ubyte.gz" in str(e.value)


def _fake_server(monkeypatch, payloads: dict[str, bytes], log: list[str]):
    def urlopen(url, timeout=None):
        log.append(url)
        for key, data in payloads.items():
            if url.startswith(key):
                return io.BytesIO(data)
        raise urllib.error.URLError("unreachable")

    monkeypatch.setattr(ds.urllib.request, "urlopen", urlopen)


def _files_and_md5s(n: int = 4):
    out = {}
    for name in ds.MNIST_FILES:
        arr = np.ones((n, 28, 28) if "images" in name else (n,), np.uint8)
        out[name] = gzip.compress(_idx_bytes(arr))
    return out, {k: hashlib.md5(v).hexdigest() for k, v in out.items()}


def test_download_success_md5_and_fallback(tmp_path, monkeypatch):
    files, md5s = _files_and_md5s()
    monkeypatch.setattr(ds, "MNIST_FILES", md5s)
    log: list[str] = []

    def urlopen(url, timeout=None):
        log.append(url)
        if url.startswith("http://bad/"):
            return io.BytesIO(b"not the file")  # md5 mismatch -> next mirror
        return io.BytesIO(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(ds.urllib.request, "urlopen", urlopen)
    raw = ds._download_mnist(tmp_path, mirrors=("http://bad/", "http://good"))
    assert raw == tmp_path / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(files)
    for name, data in files.items():
        assert (raw / name).read_bytes() == data
    assert len(log) == 8  # each file: bad mirror, then good one
    X, y = ds._load_mnist_np(tmp_path, train=True)
    assert X.shape == (4, 28, 28) and y.shape == (4,)

    # second call: files present with the right md5 -> no network at all
    log.clear()
    ds._download_mnist(tmp_path, mirrors=("http://bad/",))
    assert log == []


def test_download_checksum_failure_message(tmp_path, monkeypatch):
    log: list[str] = []
    _fake_server(monkeypatch, {"http://m/": b"garbage"}, log)
    with pytest.raises(
        RuntimeError, match="md5 mismatch.*expected f68b3c2dcbeaaa9fbdd348bbdeb94873"
    ):
        ds._download_mnist(tmp_path, mirrors=("http://m/",))
    assert not (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").exists()
    assert list((tmp_path / "MNIST" / "raw").iterdir()) == []


def test_load_mnist_download_only_when_missing(tmp_path, monkeypatch):
    log: list[str] = []
    _fake_server(monkeypatch, {}, log)
    _make_split(tmp_path, train=False, gz=True)
    ds._load_mnist_np(tmp_path, train=False, download=True)  # present: no download
    assert log == []
    with pytest.raises(FileNotFoundError, match="download=True"):
        ds._load_mnist_np(tmp_path, train=True, download=False)
    assert log == []
    with pytest.raises(RuntimeError, match="could not download"):
        ds._load_mnist_np(tmp_path, train=True, download=True)
    assert log


def test_published_md5s():
    assert ds.MNIST_FILES == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    assert ds.MNIST_MIRRORS[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"


# ---------------------------------------------------------------- real MNIST


@pytest.mark.skipif(not _SHARED_MNIST.is_dir(), reason=f"{_SHARED_MNIST} not present")
def test_real_mnist_t10k():
    img, lbl = ds._find_mnist_files(_SHARED_MNIST, train=False)
    assert img.name == "t10k-images-idx3-ubyte.gz"
    assert ds._md5(img) == ds.MNIST_FILES[img.name]
    assert ds._md5(lbl) == ds.MNIST_FILES[lbl.name]
    X, y = ds._load_mnist_np(_SHARED_MNIST, train=False)
    assert X.shape == (10000, 28, 28) and X.dtype == np.uint8
    assert y.shape == (10000,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 255
    assert np.bincount(y).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
