"""autograd.onnx.export's interface: torch.onnx.export's signature, files and file objects,
input/output names, dynamic axes in the file, opsets, eval mode, errors (naming the op
and the module, nothing written), and the same outputs as PyTorch with the same weights."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd.onnx import OnnxExporterError, UnsupportedOperatorError
from autograd.tensor import _make

from .harness import check, export_bytes, onnx, session


def _mlp():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_path_and_file_object_give_the_same_model(tmp_path):
    model, x = _mlp(), ag.randn(2, 4)
    path = tmp_path / "m.onnx"
    assert ag.onnx.export(model, (x,), path) is not None
    ag.onnx.export(model, (x,), str(tmp_path / "s.onnx"))
    buf = io.BytesIO()
    ag.onnx.export(model, x, buf)                       # a single tensor as args
    assert path.read_bytes() == buf.getvalue() == (tmp_path / "s.onnx").read_bytes()
    with open(tmp_path / "f.onnx", "wb") as fh:
        ag.onnx.export(model, (x,), fh)
    assert (tmp_path / "f.onnx").read_bytes() == buf.getvalue()
    out = session(path.read_bytes()).run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(out, model(x).detach().numpy(), atol=1e-6)


def test_text_file_and_bad_targets_are_refused(tmp_path):
    model, x = _mlp(), ag.randn(2, 4)
    with open(tmp_path / "t.onnx", "w") as fh, pytest.raises(TypeError, match="binary"):
        ag.onnx.export(model, (x,), fh)
    with pytest.raises(TypeError, match="path or a binary file object"):
        ag.onnx.export(model, (x,), 3)
    with pytest.raises(RuntimeError, match="Parent directory"):
        ag.onnx.export(model, (x,), tmp_path / "missing" / "m.onnx")


def test_names_dynamic_axes_and_weights_in_the_file():
    model, x = _mlp(), ag.randn(2, 4)
    m = onnx.load_from_string(export_bytes(
        model, (x,), input_names=["features"], output_names=["logits"],
        dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}}))
    assert [i.name for i in m.graph.input] == ["features"]
    assert [o.name for o in m.graph.output] == ["logits"]
    assert _dims(m.graph.input[0]) == ["batch", 4] and _dims(m.graph.output[0]) == ["batch", 3]
    weights = {i.name: onnx.numpy_helper.to_array(i) for i in m.graph.initializer}
    assert weights.keys() == model.state_dict().keys()
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(weights[k], v.numpy())
    assert m.opset_import[0].version == 17
    # a list of axes names them as torch does; an output axis follows from the inputs'
    m = onnx.load_from_string(export_bytes(model, (x,), input_names=["x"],
                                           dynamic_axes={"x": [0]}))
    assert _dims(m.graph.input[0]) == ["x_dynamic_axes_1", 4]
    assert _dims(m.graph.output[0]) == ["x_dynamic_axes_1", 3]
    # without dynamic axes every size is fixed
    m = onnx.load_from_string(export_bytes(model, (x,)))
    assert _dims(m.graph.input[0]) == [2, 4] and _dims(m.graph.output[0]) == [2, 3]
    assert [i.name for i in m.graph.input] == ["input"]   # forward's parameter name


def test_bad_names_and_axes():
    model, x = _mlp(), ag.randn(2, 4)
    with pytest.raises(ValueError, match="2 input_names given for 1 input"):
        ag.onnx.export(model, (x,), io.BytesIO(), input_names=["a", "b"])
    with pytest.raises(ValueError, match="must differ"):
        ag.onnx.export(model, (x,), io.BytesIO(), input_names=["a"], output_names=["a"])
    with pytest.raises(ValueError, match="dynamic axis 2 of input 'x' is out of range"):
        ag.onnx.export(model, (x,), io.BytesIO(), input_names=["x"],
                       dynamic_axes={"x": {2: "n"}})
    with pytest.warns(UserWarning, match="Provided key y for dynamic axes is not a valid"):
        ag.onnx.export(model, (x,), io.BytesIO(), input_names=["x"],
                       dynamic_axes={"y": {0: "n"}})


def test_several_inputs_keyword_arguments_and_shared_tensors():
    class Mix(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, a, b, scale=None):
            return self.lin(a) * b + (0 if scale is None else scale), a - b

    ag.manual_seed(0)
    a, b, s = ag.randn(2, 3), ag.randn(2, 3), ag.randn(1, 3)
    data = export_bytes(Mix(), (a, b, {"scale": s}))
    m = onnx.load_from_string(data)
    assert [i.name for i in m.graph.input] == ["a", "b", "scale"]
    assert [o.name for o in m.graph.output] == ["output_0", "output_1"]
    got = session(data).run(None, {"a": a.numpy(), "b": b.numpy(), "scale": s.numpy()})
    want = Mix.forward
    assert len(got) == 2
    data = export_bytes(Mix(), (a, a), kwargs={"scale": s})   # one tensor passed twice
    assert [i.name for i in onnx.load_from_string(data).graph.input] == ["a", "scale"]
    del want


@pytest.mark.parametrize("opset", range(13, 21))
def test_every_opset_runs(opset):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.lin = nn.LayerNorm(6), nn.Linear(6, 6)

        def forward(self, x):
            h = F.gelu(self.lin(self.norm(x))) + F.gelu(x, approximate="tanh")
            return h.mean(-1), h.amax(1), ag.ones(x.shape[1], x.shape[1]).tril() @ h[0]

    ag.manual_seed(0)
    if opset < 14:   # Trilu arrived in opset 14
        with pytest.raises(UnsupportedOperatorError, match="opset version 13"):
            check(Net(), (ag.randn(2, 4, 6),), dynamic={0: [1]}, opset_version=opset)
        return
    m = check(Net(), (ag.randn(2, 4, 6),), others=((ag.randn(2, 7, 6),),), dynamic={0: [1]},
              opset_version=opset, atol=1e-5)
    assert m.opset_import[0].version == opset


def test_unsupported_opsets_and_options():
    model, x = _mlp(), ag.randn(2, 4)
    for v in (12, 21):
        with pytest.raises(RuntimeError, match=f"Unsupported onnx_opset_version: {v}"):
            ag.onnx.export(model, (x,), io.BytesIO(), opset_version=v)
    with pytest.raises(ValueError, match="export_params=False is not supported"):
        ag.onnx.export(model, (x,), io.BytesIO(), export_params=False)
    with pytest.raises(TypeError, match="expects an nn.Module"):
        ag.onnx.export(lambda t: t, (x,), io.BytesIO())
    # PyTorch's machinery keywords are accepted
    prog = ag.onnx.export(model, (x,), None, dynamo=True, external_data=False, optimize=False,
                          do_constant_folding=False, verbose=False, report=False,
                          export_params=True, keep_initializers_as_inputs=False,
                          training=ag.onnx.TrainingMode.EVAL, verify=True)
    assert isinstance(prog, ag.onnx.ONNXProgram) and "opset 17" in repr(prog)
    assert ag.onnx.export(model, (x,), io.BytesIO(), dynamo=False) is None


def test_onnx_program_save_and_initializers_as_inputs(tmp_path):
    model, x = _mlp(), ag.randn(2, 4)
    prog = ag.onnx.export(model, (x,))
    prog.save(tmp_path / "p.onnx")
    assert (tmp_path / "p.onnx").read_bytes() == prog.model_proto.SerializeToString()
    m = onnx.load_from_string(export_bytes(model, (x,), keep_initializers_as_inputs=True))
    assert [i.name for i in m.graph.input] == ["input", "0.weight", "0.bias", "2.weight",
                                               "2.bias"]


def test_eval_mode_during_export_and_restored():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))
    model.train()
    x = ag.randn(3, 4)
    data = export_bytes(model, (x,))
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    np.testing.assert_allclose(session(data).run(None, {"input": x.numpy()})[0],
                               model(x).detach().numpy(), atol=1e-6)
    model.train()
    with pytest.raises(UnsupportedOperatorError, match=r"'nn.functional.dropout' \(called in "
                       r"module '1' \(Dropout\)\).*dropout in training mode"):
        ag.onnx.export(model, (x,), io.BytesIO(), training=ag.onnx.TrainingMode.PRESERVE)
    assert model.training


class _Sorter(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        y = self.lin(x)
        y[0] = 1.0
        return y


class _Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Sequential(nn.ReLU(), _Sorter())

    def forward(self, x):
        return self.inner(x) * 2


def test_unsupported_op_names_the_op_and_module_and_writes_nothing(tmp_path):
    path = tmp_path / "m.onnx"
    with pytest.raises(UnsupportedOperatorError) as e:
        ag.onnx.export(_Outer(), (ag.randn(2, 3),), path)
    msg = str(e.value)
    assert "'Tensor.__setitem__'" in msg and "module 'inner.1' (_Sorter)" in msg
    assert "opset version 17" in msg and e.value.op == "Tensor.__setitem__"
    assert not os.path.exists(path) and os.listdir(tmp_path) == []
    buf = io.BytesIO()
    with pytest.raises(UnsupportedOperatorError, match="boolean mask"):
        ag.onnx.export(nn.Sequential(_Masked()), (ag.randn(4),), buf)
    assert buf.getvalue() == b""


class _Masked(nn.Module):
    def forward(self, x):
        return x[x > 0]


def test_what_depends_on_the_inputs_outside_the_ops_is_refused():
    class Numpy(nn.Module):
        def forward(self, x):
            return x + ag.tensor(np.sort(x.numpy()))      # computed by numpy from the input

    with pytest.raises(OnnxExporterError, match="'autograd.tensor' .* gives a different "
                                                "constant when the inputs change"):
        ag.onnx.export(Numpy(), (ag.randn(5),), io.BytesIO())

    class Raw(nn.Module):
        def forward(self, x):
            return x + _make(np.sort(x._data))            # made without any op

    with pytest.raises(OnnxExporterError, match="changes with the inputs but was not made by "
                                                "an op"):
        ag.onnx.export(Raw(), (ag.randn(5),), io.BytesIO())

    class Item(nn.Module):
        def forward(self, x):
            return x * float(x.max())                    # a Python number read from x

    with pytest.raises(OnnxExporterError, match="changes when the inputs change"):
        ag.onnx.export(Item(), (ag.randn(5),), io.BytesIO())

    class Random(nn.Module):
        def forward(self, x):
            return x + ag.randn(5)

    with pytest.raises(OnnxExporterError, match="random op"):
        ag.onnx.export(Random(), (ag.randn(5),), io.BytesIO())

    class Fixed(nn.Module):
        def forward(self, x):
            return x.view(2, -1)                          # the batch size written in the code

    with pytest.raises(OnnxExporterError, match="failed when run again with other sizes"):
        ag.onnx.export(Fixed(), (ag.randn(2, 3),), io.BytesIO(), input_names=["x"],
                       dynamic_axes={"x": {0: "batch"}})


def test_rng_state_is_left_alone():
    model, x = _mlp(), ag.randn(2, 4)
    ag.manual_seed(5)
    ag.onnx.export(model, (x,), io.BytesIO())
    after = ag.rand(3)
    ag.manual_seed(5)
    np.testing.assert_array_equal(after.numpy(), ag.rand(3).numpy())


@pytest.mark.filterwarnings("ignore")
def test_same_outputs_as_pytorch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    ag.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 5), nn.GELU(),
                         nn.LayerNorm(5), nn.LogSoftmax(-1))
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 3, 5),
        torch.nn.GELU(), torch.nn.LayerNorm(5), torch.nn.LogSoftmax(-1))
    ours.train()
    ours(ag.randn(6, 1, 6, 6))     # running statistics
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    theirs.eval()
    x = ag.randn(3, 1, 6, 6)
    data = export_bytes(ours, (x,), input_names=["x"], dynamic_axes={"x": {0: "n"}})
    sess = session(data)
    for n in (3, 7):
        xn = np.random.default_rng(n).normal(size=(n, 1, 6, 6)).astype(np.float32)
        with torch.no_grad():
            want = theirs(torch.tensor(xn)).numpy()
        np.testing.assert_allclose(sess.run(None, {"x": xn})[0], want, atol=1e-5)
    names = {i.name for i in onnx.load_from_string(data).graph.initializer}
    weights = {n for n in names if not n.startswith("const_")}
    assert weights == set(theirs.state_dict()) - {"1.num_batches_tracked"}
    with pytest.raises(RuntimeError, match="Unsupported onnx_opset_version: 99"):
        torch.onnx.export(theirs, (torch.tensor(x.numpy()),), io.BytesIO(), opset_version=99,
                          dynamo=False)


def test_an_op_hidden_in_a_closure_is_refused_with_a_hint():
    fn = ag.tanh

    class Hidden(nn.Module):
        def forward(self, x):
            return fn(x)                 # bound before export could wrap it

    with pytest.raises(UnsupportedOperatorError, match="'Hidden'.*kept in a closure"):
        ag.onnx.export(Hidden(), (ag.randn(3),), io.BytesIO())


class _NumpyScale(nn.Module):
    """A layer computed with numpy: only a module converter can export it."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(ag.tensor([2.0, 3.0]))

    def forward(self, x):
        return _make(x._data * self.scale._data)


class _OwnForward(_NumpyScale):
    def forward(self, x):
        return x * self.scale


def test_a_module_converter_exports_the_module_as_one_group():
    from autograd.onnx import graph

    def convert(g, module, x):
        return g.op("Mul", g.v(x), g.v(module.scale))

    graph.converts_module(_NumpyScale)(convert)
    try:
        model = nn.Sequential(nn.Linear(2, 2), _NumpyScale())
        m = check(model, (ag.randn(3, 2),), others=((ag.randn(5, 2),),), dynamic={0: [0]})
        assert "1.scale" in {i.name for i in m.graph.initializer}
        # a subclass with a forward of its own is traced through its ops
        assert not graph.opaque_module(_OwnForward()) and graph.opaque_module(_NumpyScale())
        check(nn.Sequential(_OwnForward()), (ag.randn(3, 2),))
    finally:
        del graph.MODULE_CONVERTERS[_NumpyScale]
    with pytest.raises(UnsupportedOperatorError, match="'_NumpyScale'"):
        ag.onnx.export(model, (ag.randn(3, 2),), io.BytesIO())
