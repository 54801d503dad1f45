"""`export`: torch.onnx.export for this project's models."""

from __future__ import annotations

import enum
import inspect
import io
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..grad_mode import enable_grad
from ..random import default_generator
from ..tensor import Tensor, _make
from .errors import OnnxExporterError

__all__ = ["export", "ONNXProgram", "TrainingMode"]

DEFAULT_OPSET = 17
OPSETS = range(13, 21)
# sizes added to the dynamic axes for the second run: one per axis name, all different
_DELTAS = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31)


class TrainingMode(enum.IntEnum):
    """torch.onnx.TrainingMode: the mode the model is put in while it is exported."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class ONNXProgram:
    """What `export` returns (as torch.onnx's ONNXProgram): the model as an
    `onnx.ModelProto`, and `save(destination)`."""

    def __init__(self, model_proto) -> None:
        self.model_proto = model_proto

    def save(self, destination) -> None:
        """Write the model to a path (atomically) or a binary file object."""
        _write(self.model_proto.SerializeToString(), destination)

    def __repr__(self) -> str:
        g = self.model_proto.graph
        return (f"ONNXProgram(opset {self.model_proto.opset_import[0].version}, "
                f"{len(g.node)} nodes, inputs {[i.name for i in g.input]}, "
                f"outputs {[o.name for o in g.output]})")


def export(model, args: Any = (), f=None, *, kwargs: dict | None = None,
           verbose: bool | None = None, input_names: Sequence[str] | None = None,
           output_names: Sequence[str] | None = None, opset_version: int | None = None,
           dynamo: bool = True, external_data: bool = True, dynamic_shapes=None,
           custom_translation_table=None, report: bool = False, optimize: bool = True,
           verify: bool = False, profile: bool = False, dump_exported_program: bool = False,
           artifacts_dir="." , export_params: bool = True,
           keep_initializers_as_inputs: bool = False,
           dynamic_axes: Mapping | None = None, training: TrainingMode = TrainingMode.EVAL,
           operator_export_type=None, do_constant_folding: bool = True,
           custom_opsets: Mapping | None = None, export_modules_as_functions: bool = False,
           autograd_inlining: bool = True) -> ONNXProgram | None:
    """Export `model` to ONNX (torch.onnx.export's signature).

    The model runs on `args` (a tensor, or a tuple of positional arguments whose last item
    may be a dict of keyword arguments; `kwargs=` too), in eval mode by default. The file
    `f` (a path or a binary file object) gets a standard ONNX model whose initializers are
    the weights, named after the model's state_dict keys. `dynamic_axes` marks axes of the
    inputs and outputs (by name) whose size may change: `{"x": {0: "batch"}}` or
    `{"x": [0]}`. An op that ONNX cannot express raises `UnsupportedOperatorError`, naming
    the op and the module that ran it, before anything is written. Returns an
    `ONNXProgram` (None with `dynamo=False`, as PyTorch).

    Accepted and ignored, as they describe PyTorch's machinery: `dynamo`, `external_data`,
    `report`, `optimize`, `profile`, `dump_exported_program`, `artifacts_dir`,
    `operator_export_type`, `do_constant_folding` (constants are always folded),
    `autograd_inlining`. `verify=True` runs the file with onnxruntime and compares.
    """
    try:
        import onnx
    except ImportError:
        raise ImportError('autograd.onnx.export needs the onnx package: pip install '
                          '"ndgrad[onnx]" (or pip install onnx onnxruntime)') from None
    from nn.module import Module

    from .graph import Graph, load_converters, opaque, opaque_module
    from .tracing import Tracer, op_functions, tensors_in

    load_converters()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset not in OPSETS:
        raise RuntimeError(f"Unsupported onnx_opset_version: {opset_version} (this exporter "
                           f"writes opsets {OPSETS.start} to {OPSETS.stop - 1})")
    if not isinstance(model, Module):
        raise TypeError(f"export() expects an nn.Module, got {type(model).__name__}")
    for name, value, ok in (("export_params", export_params, True),
                            ("custom_opsets", custom_opsets, None),
                            ("export_modules_as_functions", export_modules_as_functions, False),
                            ("custom_translation_table", custom_translation_table, None)):
        if value != ok and not (ok is None and not value):
            raise ValueError(f"export(): {name}={value!r} is not supported")
    if dynamic_shapes is not None:
        raise ValueError("export(): dynamic_shapes is not supported; use dynamic_axes="
                         "{input_name: {axis: 'name'}}")
    args, kwargs = _split_args(args, kwargs)
    names_in, tensors = _input_names(model, args, kwargs, input_names)
    params = _params(model)

    was_training = model.training
    if training == TrainingMode.EVAL:
        model.train(False)
    elif training == TrainingMode.TRAINING:
        model.train(True)
    rng_state = default_generator.get_state()
    try:
        with enable_grad():
            run_a = Tracer(model, {id(t): t for t in tensors}, {i: t for i, (_, t) in
                                                               params.items()}, opaque,
                           opaque_module)
            root_a = run_a.run(args, kwargs)
            axes_in, axes_out = _dynamic_axes(dynamic_axes, names_in, output_names)
            first_error = None
            for plan in _size_plans(tensors, names_in, axes_in):
                b_args, b_kwargs, b_tensors = _second_inputs(args, kwargs, tensors, names_in,
                                                             axes_in, plan)
                run_b = Tracer(model, {id(t): t for t in b_tensors}, {
                    i: t for i, (_, t) in params.items()}, opaque, opaque_module)
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")   # (a check run: its values are noise)
                        root_b = run_b.run(b_args, b_kwargs)
                    break
                except Exception as e:
                    first_error = first_error or e
            else:
                changed = f" with other sizes on the dynamic axes {axes_in}" if axes_in else ""
                raise OnnxExporterError(
                    f"the model failed when run again{changed} with other input values, to "
                    f"check what depends on the inputs: {type(first_error).__name__}: "
                    f"{first_error}") from first_error
    finally:
        default_generator.set_state(rng_state)
        model.train(was_training)

    g = Graph(opset, (run_a, run_b), params)
    g.op_names = {i: name for i, (_, name) in op_functions().items()}
    for name, ta, tb in zip(names_in, tensors, b_tensors):
        g._bind_one(ta, tb, name, run_a.versions0[id(ta)])
        g.inputs.append(name)
    g.convert(root_a, root_b)
    outs_a, outs_b = tensors_in(root_a.out), tensors_in(root_b.out)
    names_out = _output_names(output_names, len(outs_a), names_in)
    axes_in, axes_out = _dynamic_axes(dynamic_axes, names_in, names_out)
    g.call = root_a
    for ta, tb, name in zip(outs_a, outs_b, names_out):
        g._tensor_arg(ta, tb, root_a.vout[id(ta)])
        g.nodes.append(onnx.helper.make_node("Identity", [g.v(ta)], [name], name=name))
    proto = _model(g, names_in, tensors, b_tensors, names_out, outs_a, outs_b, axes_in,
                   axes_out, keep_initializers_as_inputs)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as e:
        raise OnnxExporterError(f"internal error: the exported model fails onnx's checker: "
                                f"{e}") from e
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if verify:
        _verify(proto, names_in, tensors, outs_a)
    if f is not None:
        _write(proto.SerializeToString(), f)
    return ONNXProgram(proto) if dynamo else None


# ---------------------------------------------------------------------------------------
# inputs, outputs, names


def _split_args(args, kwargs) -> tuple:
    if isinstance(args, Tensor):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):   # torch.onnx's old convention: (x, {"k": v})
        kwargs = {**args[-1], **kwargs}
        args = args[:-1]
    return args, kwargs


def _input_names(model, args: tuple, kwargs: dict, given) -> tuple:
    """The input tensors (each once, in order) and their names: `given`, else the names
    of forward's parameters (`x_0`, `x_1`... inside a tuple argument)."""
    try:
        params = list(inspect.signature(model.forward).parameters)
    except (TypeError, ValueError):
        params = []
    named: list = []
    for i, a in enumerate(args):
        base = params[i] if i < len(params) and not params[i].startswith("*") else f"input_{i}"
        _name_tensors(a, base, named)
    for k, v in kwargs.items():
        _name_tensors(v, k, named)
    seen, tensors, names = set(), [], []
    for name, t in named:
        if id(t) not in seen:
            seen.add(id(t))
            tensors.append(t)
            names.append(name)
    if given is not None:
        given = list(given)
        if len(given) > len(names):
            raise ValueError(f"export(): {len(given)} input_names given for {len(names)} input "
                             f"tensors")
        names[:len(given)] = given
    if len(set(names)) != len(names):
        raise ValueError(f"export(): the input names {names} are not all different")
    return names, tensors


def _name_tensors(obj, base: str, out: list) -> None:
    if isinstance(obj, Tensor):
        out.append((base, obj))
    elif isinstance(obj, (tuple, list)):
        for i, o in enumerate(obj):
            _name_tensors(o, f"{base}_{i}", out)
    elif isinstance(obj, dict):
        for k, o in obj.items():
            _name_tensors(o, f"{base}_{k}", out)


def _output_names(given, n: int, names_in: list) -> list:
    names = [f"output_{i}" for i in range(n)] if n > 1 else ["output"]
    if given is not None:
        given = list(given)
        if len(given) > n:
            raise ValueError(f"export(): {len(given)} output_names given for {n} outputs")
        names[:len(given)] = given
    clash = set(names) & set(names_in)
    if clash or len(set(names)) != len(names):
        raise ValueError(f"export(): output names {names} must differ from each other and "
                         f"from the input names {names_in}")
    return names


def _params(model) -> dict:
    """id(tensor) -> (name, tensor) for every parameter and buffer, named by its state_dict
    key (the first one, for a tensor shared by several modules)."""
    out: dict = {}
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t is not None:
            out.setdefault(id(t), (name, t))
    return out


def _dynamic_axes(spec, names_in: list, names_out) -> tuple:
    """{name: {axis: dim name}} for the inputs and for the outputs."""
    axes_in: dict = {}
    axes_out: dict = {}
    for key, axes in (spec or {}).items():
        if isinstance(axes, Mapping):
            axes = {int(a): str(n) for a, n in axes.items()}
        else:
            axes = {int(a): f"{key}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
        if key in names_in:
            axes_in[key] = axes
        elif names_out is not None and key in names_out:
            axes_out[key] = axes
        elif names_out is not None:
            warnings.warn(f"Provided key {key} for dynamic axes is not a valid input/output "
                          "name", UserWarning, stacklevel=3)
    return axes_in, axes_out


def _size_plans(tensors: list, names: list, axes: dict) -> list:
    """The size changes to try for the second run, each {axis name: amount}: longer by a
    different amount per name; else shorter (a model traced at its longest sequence); else
    one amount for every name (axes that must stay equal but were named apart)."""
    smallest: dict = {}
    for name, t in zip(names, tensors):
        for axis, dim in axes.get(name, {}).items():
            if not -t.ndim <= axis < t.ndim:
                raise ValueError(f"export(): dynamic axis {axis} of input '{name}' is out of "
                                 f"range for its shape {list(t.shape)}")
            smallest[dim] = min(smallest.get(dim, t.shape[axis]), t.shape[axis])
    order = list(smallest)
    plans = [{n: _DELTAS[k % len(_DELTAS)] + k // len(_DELTAS) * 40 for k, n in enumerate(order)},
             {n: -(k + 1) for k, n in enumerate(order)}, {n: 3 for n in order},
             {n: -1 for n in order}]
    out = []
    for p in plans:
        if p not in out and all(smallest[n] + d >= 1 for n, d in p.items()):
            out.append(p)
    return out


def _second_inputs(args: tuple, kwargs: dict, tensors: list, names: list, axes: dict,
                   plan: dict) -> tuple:
    """Inputs for the second run: the dynamic axes resized by `plan` ({axis name: amount}),
    the values resampled from the first inputs' values (and floats rescaled)."""
    rng = np.random.default_rng(0)
    swap: dict = {}
    for name, t in zip(names, tensors):
        d = t._data
        shape = list(d.shape)
        for axis, dim_name in axes.get(name, {}).items():
            shape[axis] += plan[dim_name]
        flat = d.reshape(-1)
        if flat.size:
            new = rng.choice(flat, size=shape)
            if d.dtype.kind == "f":
                new = new * rng.uniform(0.5, 1.5, size=shape)
        else:
            new = np.zeros(shape)
        swap[id(t)] = _make(np.asarray(new, dtype=d.dtype))

    def sub(obj):
        if isinstance(obj, Tensor):
            return swap.get(id(obj), obj)
        if isinstance(obj, tuple):
            return type(obj)(*map(sub, obj)) if hasattr(obj, "_fields") else \
                tuple(map(sub, obj))
        if isinstance(obj, list):
            return list(map(sub, obj))
        if isinstance(obj, dict):
            return {k: sub(v) for k, v in obj.items()}
        return obj
    return sub(args), sub(kwargs), [swap[id(t)] for t in tensors]


# ---------------------------------------------------------------------------------------
# the model proto


def _value_info(name: str, a: Tensor, b: Tensor, declared: dict, by_sizes: dict):
    from onnx import helper

    from .graph import onnx_dtype
    dims = []
    for i, (sa, sb) in enumerate(zip(a.shape, b.shape)):
        if i in declared or i - a.ndim in declared:
            dims.append(declared.get(i, declared.get(i - a.ndim)))
        elif sa != sb:
            dims.append(by_sizes.get((sa, sb), f"{name}_dim_{i}"))
        else:
            dims.append(int(sa))
    return helper.make_tensor_value_info(name, onnx_dtype(a._data.dtype), dims)


def _model(g, names_in, tensors, b_tensors, names_out, outs_a, outs_b, axes_in, axes_out,
           keep_initializers_as_inputs: bool):
    from onnx import helper

    import autograd

    by_sizes: dict = {}   # (size A, size B) -> the dim name of an input axis
    for name, ta, tb in zip(names_in, tensors, b_tensors):
        for axis, dim_name in axes_in.get(name, {}).items():
            by_sizes.setdefault((ta.shape[axis], tb.shape[axis]), dim_name)
    inputs = [_value_info(n, a, b, axes_in.get(n, {}), by_sizes)
              for n, a, b in zip(names_in, tensors, b_tensors)]
    outputs = [_value_info(n, a, b, axes_out.get(n, {}), by_sizes)
               for n, a, b in zip(names_out, outs_a, outs_b)]
    used = {i for node in g.nodes for i in node.input}
    inits = [t for name, t in g.initializers.items() if name in used]
    if keep_initializers_as_inputs:
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                   for t in inits]
    graph = helper.make_graph(g.nodes, "main_graph", inputs, outputs, inits)
    opsets = [helper.make_opsetid("", g.opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="ndgrad",
                              producer_version=autograd.__version__)
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    return proto


def _verify(proto, names_in: list, tensors: list, outs: list) -> None:
    import onnxruntime as ort
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {n: t._data for n, t in zip(names_in, tensors)})
    for i, (a, t) in enumerate(zip(got, outs)):
        if not np.allclose(a, t._data, rtol=1e-3, atol=1e-5, equal_nan=True):
            raise OnnxExporterError(f"verify: output {i} of the exported model differs from the "
                                    f"model's (max difference "
                                    f"{np.max(np.abs(a - t._data)):.3g})")


def _write(data: bytes, f) -> None:
    if isinstance(f, (str, bytes, os.PathLike)):
        from ..serialization.files import write_atomic
        write_atomic(f, lambda fh: fh.write(data), who="autograd.onnx.export")
    elif hasattr(f, "write"):
        if isinstance(f, io.TextIOBase):
            raise TypeError("export(): f must be opened in binary mode ('wb')")
        f.write(data)
    else:
        raise TypeError(f"export(): f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
