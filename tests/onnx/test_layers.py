"""Every layer and activation of the module registries, exported and run by onnxruntime
at the traced batch size and, through a dynamic batch axis, at another."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.onnx import OnnxExporterError
from tests.nn.module_db import MODULES as _OWN

from .harness import check

ALL = list(_OWN)
SEQUENCE_FIRST: set = set()   # entries whose inputs are (L, N, ...) and states (layers, N, ...)
for _name in ("module_db_conv", "module_db_seq"):
    try:
        _entries = __import__(f"tests.nn.{_name}", fromlist=["MODULES"]).MODULES
    except ImportError:   # a registry that has not landed yet
        continue
    ALL += _entries
    if _name == "module_db_seq":
        SEQUENCE_FIRST = {i.name for i in _entries}

LAYERS = [i for i in ALL if not i.name.endswith("Loss") and "Loss_" not in i.name]
# what the exporter cannot express: the entry, and what the error says
UNSUPPORTED = {"LSTM_proj_batch_first": "proj_size", "Fold": "'nn.functional.fold'",
               "Unfold": "'nn.functional.unfold'", "MaxUnpool2d": "max_unpool2d",
               "MaxUnpool3d": "max_unpool3d",
               "MaxUnpool1d": "different constant",
               **{f"EmbeddingBag{k}": "embedding_bag" for k in (
                   "_sum_offsets_psw", "_mean", "_max_padding", "_last_offset")}}


def _tensors(arrays) -> tuple:
    return tuple(ag.tensor(np.asarray(a, np.float32)) if np.asarray(a).dtype.kind == "f"
                 else ag.tensor(a) for a in arrays)


def _batched(info, arrays) -> bool:
    return "unbatched" not in info.name and info.name not in SEQUENCE_FIRST and \
        all(np.ndim(a) >= 2 for a in arrays)


@pytest.mark.parametrize("info", LAYERS, ids=str)
def test_layer_runs_in_onnxruntime(info):
    rng = np.random.default_rng(0)
    ag.manual_seed(0)
    model = info.make()
    first = info.inputs(rng)
    args = _tensors(first)
    if info.name in UNSUPPORTED:
        with pytest.raises(OnnxExporterError, match=UNSUPPORTED[info.name]):
            check(model, args)
        return
    if _batched(info, first):
        more = info.inputs(np.random.default_rng(1))
        bigger = _tensors([np.concatenate([a, b, a[:1]]) for a, b in zip(first, more)])
        check(model, args, others=(bigger,), dynamic={i: [0] for i in range(len(args))})
    else:
        check(model, args, others=(_tensors(info.inputs(np.random.default_rng(1))),))
