"""Samplers and DataLoader draw their indices lazily, in chunks, as PyTorch does: makemore's
endless loader (``RandomSampler(..., replacement=True, num_samples=int(1e10))``) costs
nothing up front, and seeded runs stay reproducible."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
)
from autograd.data.sampler import _CHUNK
from tests.autograd.torch_cpu_rng import TorchCPUStream


def _ds(n=1000):
    return TensorDataset(ag.arange(n).float(), ag.arange(n))


def _gen(seed=0):
    return ag.Generator().manual_seed(seed)


def _peak_mb(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_endless_random_sampler_costs_nothing_up_front():
    ds = _ds()
    sampler = RandomSampler(ds, replacement=True, num_samples=int(1e10), generator=_gen())
    loader = DataLoader(ds, sampler=sampler, batch_size=32)
    got = {}

    def first_batches():
        it = iter(sampler)
        got["draws"] = [next(it) for _ in range(5)]
        it = iter(loader)
        got["batches"] = [next(it) for _ in range(3)]

    t0 = time.perf_counter()
    peak = _peak_mb(first_batches)
    assert time.perf_counter() - t0 < 5
    assert peak < 16, f"the first batches of an endless loader took {peak:.0f} MiB"
    assert len(sampler) == 10**10 and len(loader) == -(-10**10 // 32)
    assert all(0 <= i < 1000 for i in got["draws"])
    assert [tuple(b[1].shape) for b in got["batches"]] == [(32,)] * 3


def test_endless_loader_with_custom_collate_and_without_replacement():
    ds = _ds(10)
    sampler = RandomSampler(ds, num_samples=int(1e10), generator=_gen())
    it = iter(DataLoader(ds, sampler=sampler, batch_size=4, collate_fn=lambda b: len(b)))
    assert [next(it) for _ in range(3)] == [4, 4, 4]
    it = iter(sampler)
    first = [next(it) for _ in range(20)]    # two permutations of 0..9
    assert sorted(first[:10]) == list(range(10)) == sorted(first[10:])


def test_draws_are_pytorchs_randint_and_randperm_streams():
    ds = _ds()
    want = TorchCPUStream(0).random_(300, 0, 1000)
    assert list(RandomSampler(ds, True, 300, generator=_gen())) == want.tolist()
    ref = TorchCPUStream(0)
    want = np.concatenate([ref.randperm(1000) for _ in range(3)])[:2500]
    assert list(RandomSampler(ds, False, 2500, generator=_gen())) == want.tolist()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), num=st.integers(1, 130), bs=st.integers(1, 17),
       drop_last=st.booleans(), replacement=st.booleans(), seed=st.integers(0, 3))
def test_batches_are_the_sampler_stream_cut_in_order(n, num, bs, drop_last, replacement,
                                                     seed):
    ds = _ds(n)
    stream = list(RandomSampler(ds, replacement, num, generator=_gen(seed)))
    assert len(stream) == num
    loader = DataLoader(ds, batch_size=bs, drop_last=drop_last,
                        sampler=RandomSampler(ds, replacement, num, generator=_gen(seed)))
    got = [b[1].tolist() for b in loader]
    stop = num - num % bs if drop_last else num
    assert got == [stream[i:i + bs] for i in range(0, stop, bs)]
    assert len(got) == len(loader)


def test_batches_straddling_chunks(monkeypatch):
    monkeypatch.setattr("autograd.data.sampler._CHUNK", 5)
    ds = _ds(12)
    makers = (lambda: SequentialSampler(ds),
              lambda: RandomSampler(ds, True, 23, generator=_gen(1)),
              lambda: RandomSampler(ds, False, 30, generator=_gen(2)))
    for make in makers:
        stream = list(make())
        for drop_last in (False, True):
            batches = [b.tolist() for b in BatchSampler(make(), 4, drop_last)._array_batches()]
            stop = len(stream) - len(stream) % 4 if drop_last else len(stream)
            assert batches == [stream[i:i + 4] for i in range(0, stop, 4)]


def test_seeded_runs_reproducible_and_epochs_differ():
    ds = _ds(50)

    def epochs(seed):
        ag.manual_seed(seed)
        loader = DataLoader(ds, batch_size=8, shuffle=True)
        return [[b[1].tolist() for b in loader] for _ in range(2)]

    a, b = epochs(3), epochs(3)
    assert a == b and a[0] != a[1]
    assert sorted(sum(a[0], [])) == list(range(50))


def test_sequential_and_subset_samplers_still_cover_everything():
    ds = _ds(2 * _CHUNK + 7)
    chunks = list(SequentialSampler(ds)._index_chunks())
    assert [len(c) for c in chunks] == [_CHUNK, _CHUNK, 7]
    assert sum(len(b[0]) for b in DataLoader(ds, batch_size=10_000)) == 2 * _CHUNK + 7
    s = SubsetRandomSampler([3, 5, 7], generator=_gen())
    assert sorted(s) == [3, 5, 7] and len(s) == 3


def test_torch_random_sampler_is_lazy_too():
    torch = pytest.importorskip("torch")
    # the PyTorch behaviour this mirrors: building and starting an endless sampler is free
    ts = torch.utils.data.RandomSampler(range(1000), replacement=True, num_samples=int(1e10))
    it = iter(ts)
    assert 0 <= next(it) < 1000 and len(ts) == int(1e10)
    ours = RandomSampler(range(1000), replacement=True, num_samples=int(1e10))
    it = iter(ours)
    assert 0 <= next(it) < 1000 and len(ours) == len(ts)
