"""Export a model, check the file with onnx's checker and run it with onnxruntime at the
traced sizes and at other sizes of the dynamic axes, against the model's own outputs."""

from __future__ import annotations

import io

import numpy as np
import pytest

import autograd as ag

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ATOL = 1e-5


def export_bytes(model, args, **kwargs) -> bytes:
    buf = io.BytesIO()
    ag.onnx.export(model, args, buf, **kwargs)
    data = buf.getvalue()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    return data


def session(data: bytes):
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def outputs_of(model, args) -> list:
    with ag.no_grad():
        out = model(*args)
    out = out if isinstance(out, (tuple, list)) else (out,)
    flat = []
    for o in out:
        flat += list(o) if isinstance(o, (tuple, list)) else [o]
    return [o.numpy() for o in flat if o is not None]


def check(model, args, others=(), dynamic=None, atol=ATOL, rtol=1e-5, **kwargs):
    """Export `model` on `args` (a tuple), then compare onnxruntime with the model on
    `args` and on each tuple in `others` (other sizes along the `dynamic` axes:
    {input index: [axes]}). Returns the ONNX model."""
    model.eval()
    names = [f"in{i}" for i in range(len(args))]
    axes = {names[i]: {a: f"dim{a}" for a in ax} for i, ax in (dynamic or {}).items()}
    data = export_bytes(model, args, input_names=names, dynamic_axes=axes or None, **kwargs)
    sess = session(data)
    for inputs in (args,) + tuple(others):
        feed = {n: t.numpy() for n, t in zip(names, inputs) if isinstance(t, ag.Tensor)}
        feed = {i.name: feed[i.name] for i in sess.get_inputs()}
        got = sess.run(None, feed)
        want = outputs_of(model, inputs)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape, (g.shape, w.shape)
            assert g.dtype == w.dtype, (g.dtype, w.dtype)
            np.testing.assert_allclose(g, w, atol=atol, rtol=rtol)
    return onnx.load_from_string(data)
