"""Tests for autograd.data: datasets, samplers, DataLoader, collate, random_split, wrappers."""

from __future__ import annotations

import collections
import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd.data import (
    MNIST,
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    load_digits,
    make_circles,
    make_moons,
    make_spirals,
    random_split,
)


class ListDataset(Dataset):
    def __init__(self, items):
        self.items = list(items)

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)


def _tds(n=10, d=3):
    X = ag.from_numpy(np.arange(n * d, dtype=np.float32).reshape(n, d))
    y = ag.from_numpy(np.arange(n, dtype=np.int64))
    return TensorDataset(X, y)


# ---------------------------------------------------------------- datasets


def test_tensor_dataset_items_and_len():
    ds = _tds(5, 2)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(ag.zeros(3, 2), ag.zeros(4))


def test_dataset_base_getitem_and_add():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement"):
        Dataset()[0]
    a, b = ListDataset([1, 2]), ListDataset([3, 4, 5])
    c = a + b
    assert isinstance(c, ConcatDataset)
    assert len(c) == 5 and [c[i] for i in range(5)] == [1, 2, 3, 4, 5]
    assert c[-1] == 5 and c.cumulative_sizes == [2, 5]
    with pytest.raises(ValueError, match="absolute value of index should not exceed"):
        c[-6]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])


def test_subset():
    ds = ListDataset("abcdef")
    s = Subset(ds, [5, 0, 2])
    assert len(s) == 3 and [s[i] for i in range(3)] == ["f", "a", "c"]


# ---------------------------------------------------------------- DataLoader


@pytest.mark.parametrize("n,bs,drop,sizes", [
    (10, 4, False, [4, 4, 2]), (10, 4, True, [4, 4]), (8, 4, False, [4, 4]),
    (3, 5, False, [3]), (3, 5, True, []),
])
@pytest.mark.parametrize("fast", [True, False])
def test_loader_lengths_and_drop_last(n, bs, drop, sizes, fast):
    ds = _tds(n) if fast else ListDataset(range(n))
    dl = DataLoader(ds, batch_size=bs, drop_last=drop)
    assert len(dl) == len(sizes)
    batches = list(dl)
    got = [len(b[1]) if fast else len(b) for b in batches]
    assert got == sizes
    flat = np.concatenate([np.asarray(b[1].tolist() if fast else b.tolist()) for b in batches]) \
        if batches else np.array([])
    assert flat.tolist() == list(range(sum(sizes)))  # sequential order without shuffle


def test_tensor_dataset_batches_are_lists_matching_slow_path():
    ds = _tds(7, 3)
    fast = list(DataLoader(ds, batch_size=3))
    slow = list(DataLoader(ds, batch_size=3, collate_fn=lambda b: default_collate(b)))
    assert all(isinstance(b, list) and len(b) == 2 for b in fast)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xf.dtype == ag.float32 and yf.dtype == ag.int64
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_fast_path_does_not_index_sample_by_sample(monkeypatch):
    calls = []
    orig = TensorDataset.__getitem__
    monkeypatch.setattr(TensorDataset, "__getitem__",
                        lambda self, i: calls.append(i) or orig(self, i))
    dl = DataLoader(_tds(50), batch_size=8, shuffle=True)
    seen = sorted(int(v) for _, yb in dl for v in yb.tolist())
    assert seen == list(range(50))
    assert calls == []  # whole batches were gathered at once


def test_subclass_overriding_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    ds = Doubled(ag.ones(4, 2), ag.zeros(4, dtype=ag.int64))
    xb, _ = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.tolist() == [[2.0, 2.0]] * 4


def test_fast_path_through_subset_of_tensor_dataset():
    ds = _tds(10)
    sub = Subset(Subset(ds, [9, 8, 7, 6, 5, 4]), [0, 2, 4])
    (xb, yb), = list(DataLoader(sub, batch_size=5))
    assert yb.tolist() == [9, 7, 5]
    assert xb.tolist() == [ds[i][0].tolist() for i in (9, 7, 5)]


def test_fast_path_keeps_graph_for_requires_grad_tensors():
    X = ag.randn(6, 2, requires_grad=True)
    ds = TensorDataset(X, ag.arange(6))
    xb, _ = next(iter(DataLoader(ds, batch_size=3)))
    xb.sum().backward()
    assert X.grad is not None
    assert X.grad.numpy()[:3].tolist() == [[1.0, 1.0]] * 3
    assert X.grad.numpy()[3:].tolist() == [[0.0, 0.0]] * 3


@pytest.mark.parametrize("fast", [True, False])
def test_shuffle_each_index_once_new_order_each_epoch(fast):
    n = 40
    ds = _tds(n) if fast else ListDataset(range(n))
    dl = DataLoader(ds, batch_size=7, shuffle=True, generator=ag.Generator().manual_seed(3))

    def epoch():
        return np.concatenate([np.asarray(b[1].tolist() if fast else b.tolist()) for b in dl])

    e1, e2 = epoch(), epoch()
    assert sorted(e1.tolist()) == list(range(n)) and sorted(e2.tolist()) == list(range(n))
    assert e1.tolist() != e2.tolist()
    assert e1.tolist() != list(range(n))
    # reproducible per seed
    dl2 = DataLoader(ds, batch_size=7, shuffle=True, generator=ag.Generator().manual_seed(3))
    r1 = np.concatenate([np.asarray(b[1].tolist() if fast else b.tolist()) for b in dl2])
    assert r1.tolist() == e1.tolist()
    dl3 = DataLoader(ds, batch_size=7, shuffle=True, generator=ag.Generator().manual_seed(4))
    r3 = np.concatenate([np.asarray(b[1].tolist() if fast else b.tolist()) for b in dl3])
    assert r3.tolist() != e1.tolist()


def test_shuffle_uses_default_generator():
    ds = ListDataset(range(30))
    ag.manual_seed(11)
    a = [int(v) for b in DataLoader(ds, batch_size=5, shuffle=True) for v in b.tolist()]
    ag.manual_seed(11)
    b = [int(v) for b in DataLoader(ds, batch_size=5, shuffle=True) for v in b.tolist()]
    assert a == b and sorted(a) == list(range(30))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 60), bs=st.integers(1, 20), drop=st.booleans(), shuffle=st.booleans())
def test_loader_partition_property(n, bs, drop, shuffle):
    dl = DataLoader(_tds(n, 1), batch_size=bs, shuffle=shuffle, drop_last=drop)
    seen = [int(v) for _, yb in dl for v in yb.tolist()]
    expected = (n // bs) * bs if drop else n
    assert len(seen) == expected and len(set(seen)) == expected
    assert len(dl) == (n // bs if drop else -(-n // bs))
    if not shuffle:
        assert seen == list(range(expected))


def test_batch_size_none_yields_samples():
    ds = ListDataset([np.float64(1.5), np.float64(2.5)])
    out = list(DataLoader(ds, batch_size=None))
    assert len(out) == 2 and isinstance(out[0], ag.Tensor) and out[0].dtype == ag.float64


def test_custom_collate_and_samplers():
    ds = ListDataset(range(6))
    assert list(DataLoader(ds, batch_size=4, collate_fn=lambda b: b)) == [[0, 1, 2, 3], [4, 5]]
    bs = BatchSampler(SequentialSampler(range(5)), 2, False)
    assert list(bs) == [[0, 1], [2, 3], [4]] and len(bs) == 3
    dl = DataLoader(ds, batch_sampler=[[5, 0], [1]])
    assert [b.tolist() for b in dl] == [[5, 0], [1]]
    dl = DataLoader(ds, sampler=[3, 1, 4], batch_size=2)
    assert [b.tolist() for b in dl] == [[3, 1], [4]]
    rs = RandomSampler(range(5), replacement=True, num_samples=12,
                       generator=ag.Generator().manual_seed(0))
    draws = list(rs)
    assert len(draws) == 12 and set(draws) <= set(range(5))


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)


def test_loader_errors_match_pytorch():
    ds = ListDataset(range(4))
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match=r"batch_size should be a positive integer value, "
                                         r"but got batch_size=0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(TypeError, match="generator"):
        DataLoader(ds, shuffle=True, generator=np.random.default_rng(0))


# ---------------------------------------------------------------- default_collate


def test_default_collate_types():
    out = default_collate([1, 2, 3])
    assert out.dtype == ag.int64 and out.tolist() == [1, 2, 3]
    out = default_collate([1.0, 2.5])
    assert out.dtype == ag.float64
    out = default_collate([True, False])
    assert out.dtype == ag.bool
    out = default_collate([np.zeros(2, np.float64), np.ones(2, np.float64)])
    assert out.dtype == ag.float64 and out.shape == (2, 2)
    out = default_collate([np.int32(1), np.int32(2)])
    assert out.dtype == ag.int32
    assert default_collate(["a", "b"]) == ["a", "b"]
    d = default_collate([{"x": 1, "y": 2.0}, {"x": 3, "y": 4.0}])
    assert d["x"].tolist() == [1, 3] and d["y"].dtype == ag.float64
    tup = default_collate([(ag.zeros(2), 0), (ag.ones(2), 1)])
    assert isinstance(tup, list) and tup[0].shape == (2, 2) and tup[1].tolist() == [0, 1]
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got "
                                           r"\[1\] at entry 0 and \[2\] at entry 1"):
        default_collate([ag.zeros(1), ag.zeros(2)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])


def test_default_collate_keeps_graph():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


# ---------------------------------------------------------------- random_split


def test_random_split_lengths_and_fractions():
    ds = ListDataset(range(10))
    a, b = random_split(ds, [3, 7], generator=ag.Generator().manual_seed(0))
    assert len(a) == 3 and len(b) == 7
    items = sorted([a[i] for i in range(3)] + [b[i] for i in range(7)])
    assert items == list(range(10))
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=ag.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(ListDataset(range(11)), [0.5, 0.5])
    assert [len(p) for p in parts] == [6, 5]  # remainder goes round-robin from the first
    again = random_split(ds, [3, 7], generator=ag.Generator().manual_seed(0))
    assert again[0].indices == a.indices
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [3, 3])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(ListDataset(range(2)), [1.0, 0.0])


# ---------------------------------------------------------------- bundled datasets


@pytest.mark.parametrize("fn", [make_moons, make_circles, make_spirals])
def test_toy_wrappers(fn):
    X, y = fn(50, noise=0.1, generator=ag.Generator().manual_seed(1))
    assert X.dtype == ag.float32 and y.dtype == ag.int64
    assert X.shape == (50, 2) and y.shape == (50,)
    assert set(y.tolist()) == {0, 1}
    X2, y2 = fn(50, noise=0.1, generator=ag.Generator().manual_seed(1))
    np.testing.assert_array_equal(X.numpy(), X2.numpy())
    X3, _ = fn(50, noise=0.1, generator=ag.Generator().manual_seed(2))
    assert not np.array_equal(X.numpy(), X3.numpy())


def test_moons_geometry_without_noise():
    X, y = make_moons(20)
    x = X.numpy().astype(np.float64)
    upper = x[y.numpy() == 0]
    np.testing.assert_allclose((upper ** 2).sum(1), 1.0, atol=1e-6)


def test_load_digits():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == ag.float32
    assert y.shape == (1797,) and y.dtype == ag.int64
    assert 0 <= X.numpy().min() and X.numpy().max() == 16
    assert np.bincount(y.numpy()).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def _write_idx(path, arr, gz=False):
    arr = np.asarray(arr, np.uint8)
    magic = 2051 if arr.ndim == 3 else 2049
    raw = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in arr.shape)
    raw += arr.tobytes()
    (gzip.open if gz else open)(path, "wb").write(raw)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_class_on_written_idx_files(tmp_path, gz):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(13, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=13)
    sfx = ".gz" if gz else ""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _write_idx(raw / f"t10k-images-idx3-ubyte{sfx}", imgs, gz)
    _write_idx(raw / f"t10k-labels-idx1-ubyte{sfx}", labels, gz)
    ds = MNIST(tmp_path, train=False)
    assert len(ds) == 13
    assert ds.data.dtype == ag.uint8 and ds.data.shape == (13, 28, 28)
    assert ds.targets.dtype == ag.int64 and ds.targets.tolist() == labels.tolist()
    img, label = ds[4]
    assert img.dtype == ag.float32 and img.shape == (1, 28, 28)
    assert isinstance(label, int) and label == labels[4]
    np.testing.assert_allclose(img.numpy()[0], imgs[4] / 255.0, rtol=1e-6)
    assert 0.0 <= img.numpy().min() and img.numpy().max() <= 1.0
    # batched loading (fast path) agrees with per-item
    xb, yb = next(iter(DataLoader(ds, batch_size=5)))
    assert xb.shape == (5, 1, 28, 28) and yb.tolist() == labels[:5].tolist()
    np.testing.assert_array_equal(xb.numpy()[4], img.numpy())
    # transform applies per item, and batches still collate
    ds_t = MNIST(tmp_path, train=False, transform=lambda t: t.reshape(-1))
    assert ds_t[0][0].shape == (784,)
    xb, yb = next(iter(DataLoader(ds_t, batch_size=4)))
    assert xb.shape == (4, 784) and yb.dtype == ag.int64
    with pytest.raises(FileNotFoundError, match="MNIST training files not found"):
        MNIST(tmp_path, train=True)
