"""Every derivative rule is exercised by the op registry: a new op is not done until its
node shows up in a graph built from some registry sample (first or second order)."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
from hypothesis import HealthCheck, given, settings

import autograd as ag
import nn.functional
from autograd.function import AccumulateGrad, BackwardCFunction, Node

from .op_db import OPS

# node classes that are bases or that only the engine makes, with the reason
EXEMPT = {
    "_NormNode": "base class of the normalisations' nodes",
    "Node": "base class",
    "UnaryNode": "base class of the unary table",
    "BinaryNode": "base class of the binary table",
    "_Reduction": "base class of the reductions",
    "_EvenTies": "base class of MaxBackward1, MinBackward1, AmaxBackward0, AminBackward0",
    "_IndexedExtreme": "base class of MaxBackward0, MinBackward0",
    "TableNode": "base class of the derivative table (ops/base.py: derivative)",
    "_IndexPadNode": "base class of ReflectionPad1DBackward0 & co (nn/functional/padding.py)",
    "_IndexFoldNode": "base class of ReflectionPadBackwardBackward0 & co",
    "_UpsampleNode": "base class of UpsampleNearest2DBackward0 & co (nn/functional/resize.py)",
    "_SplitNode": "base class of SplitBackward0, SplitWithSizesBackward0",
    "_Recomputed": "base class of GridSampler2DBackward0 & co (nn/functional/vision.py)",
}


def _all_node_classes() -> dict:
    for pkg in (ag.ops, nn.functional):
        for info in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    found, stack = {}, [Node]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub in (AccumulateGrad,) or issubclass(sub, BackwardCFunction):
                continue
            if sub.__module__.startswith(("autograd.ops", "nn.functional")):
                found.setdefault(sub.__name__, sub)
    return found


def _graph_node_names(out) -> set:
    names, stack, seen = set(), [out.grad_fn], set()
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        names.add(type(n).__name__)
        stack.extend(c for c, _ in n.next_functions)
    return names


def _names_for(op, sample, rng) -> set:
    names = set()
    tensors = []
    for a in sample.args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            tensors.append(ag.tensor(a).requires_grad_())
        elif isinstance(a, np.ndarray):
            tensors.append(ag.tensor(a))
        else:
            tensors.append(a)
    out = op.fn(*tensors, **sample.kwargs)
    if not out.requires_grad:
        return names
    names |= _graph_node_names(out)
    leaves = [t for t in tensors if isinstance(t, ag.Tensor) and t.requires_grad]
    if op.gradgrad and out.numel():   # second and third order
        v = ag.tensor(rng.standard_normal(out.shape)).requires_grad_()
        grads = ag.grad(out, leaves, v, create_graph=True, allow_unused=True)
        for g in grads:
            if g is not None and g.requires_grad:
                names |= _graph_node_names(g)
                w = ag.tensor(rng.standard_normal(g.shape)).requires_grad_()
                gg = ag.grad(g, [v], w, create_graph=True, allow_unused=True)[0]
                if gg is not None and gg.requires_grad:
                    names |= _graph_node_names(gg)
    return names


def _exercised() -> set:
    """Node names reached by 12 derandomized samples of every op (deterministic)."""
    names: set = set()
    rng = np.random.default_rng(0)
    for op in OPS:
        _collector(op, names, rng)()
    return names


def _collector(op, names: set, rng):
    @settings(max_examples=12, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(sample=op.sample)
    def collect(sample):
        names.update(_names_for(op, sample, rng))
    return collect


def test_every_node_class_is_exercised_by_the_registry():
    defined = _all_node_classes()
    missing = sorted(set(defined) - _exercised() - set(EXEMPT))
    assert not missing, ("node classes that no registry sample reaches (add an OpInfo in "
                         f"tests/autograd/op_db/): {missing}")


def test_compiled_backward_inlines_rules_and_their_constants():
    """Table rules run on arrays through a compiled backward_fast: the rule's expression in
    line, its numeric constants as 0-d arrays of the gradient's dtype (same values); the
    generated source is known to linecache, so a traceback through it shows its lines."""
    import linecache

    from autograd.ops import pointwise

    fn = pointwise.tanh.node_class.backward_fast
    src = fn.source
    assert "g * (_k[0] - out * out)" in src and "rule" not in src
    lines = [linecache.getline(fn.__code__.co_filename, k) for k in range(1, 40)]
    assert "".join(lines) == src
    x = ag.tensor(np.linspace(-2, 2, 7), requires_grad=True)
    for dt in (ag.float32, ag.float64):
        xd = x.detach().to(dt).requires_grad_()
        y = xd.tanh()
        g = ag.tensor(np.linspace(0.5, 1.5, 7), dtype=dt)
        y.backward(g)
        out = np.tanh(xd.detach().numpy())
        assert xd.grad.dtype == dt
        np.testing.assert_array_equal(xd.grad.numpy(), g.numpy() * (1 - out * out))


def _compiled_nodes(out) -> list:
    """The nodes of `out`'s graph whose backward_fast was compiled with a scalar branch."""
    nodes, stack, seen = [], [out.grad_fn], set()
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        if "_ndarray" in getattr(type(n).backward_fast, "source", ""):
            nodes.append(n)
        stack.extend(c for c, _ in n.next_functions)
    return nodes


def test_compiled_backward_gives_the_same_on_numpy_scalars():
    """On a 0-d graph gradients travel as numpy scalars, and compiled rules then run on
    scalars: for every pointwise op of the registry, on 0-d inputs, the result equals the
    0-d array form's (same dtype, same value to rounding)."""
    from .op_db import pointwise as pw_db

    checked: set = set()
    for op in pw_db.OPS:
        _scalar_checker(op, checked)()
    assert {"MulBackward0", "TanhBackward0", "DivBackward0", "ReluBackward0",
            "SigmoidBackward0", "Atan2Backward0"} <= checked


def _scalar_checker(op, checked: set):
    @settings(max_examples=6, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(sample=op.sample)
    def check(sample):
        args = [ag.tensor(np.asarray(a.flat[0] if a.size else 0.5, a.dtype))
                .requires_grad_(a.dtype.kind == "f")
                if isinstance(a, np.ndarray) else a for a in sample.args]
        out = op.fn(*args, **sample.kwargs)
        if not out.requires_grad:
            return
        for node in _compiled_nodes(out):
            for dt in (np.float64, np.float32):
                on_scalar = node.backward_fast(dt(0.7))
                on_array = node.backward_fast(np.asarray(0.7, dt))
                for s, a in zip(on_scalar, on_array):
                    if a is None:
                        assert s is None
                        continue
                    assert np.asarray(s).dtype == np.asarray(a).dtype
                    np.testing.assert_allclose(np.asarray(s), np.asarray(a),
                                               rtol=1e-6 if dt is np.float32 else 1e-13)
            checked.add(type(node).__name__)
    return check
