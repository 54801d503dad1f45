"""Pictures of computation graphs: torchviz's backward graph and micrograd's value graph.

    dot = make_dot(loss, params=dict(model.named_parameters()))   # a graphviz.Digraph
    dot.render("graph", format="svg")                              # or show it in Jupyter

Two views of the same graph:

* ``mode="backward"`` draws what ``torchviz.make_dot`` draws: one grey node per ``grad_fn``
  (``AddmmBackward0``), leaves in light blue with their parameter name and shape, the
  output in green, saved tensors in orange (``show_saved``) and op attributes
  (``show_attrs``).
* ``mode="value"`` draws what micrograd's ``draw_dot`` draws: one record per tensor with its
  value and gradient (``data | grad``) and op nodes between them. Graph nodes do not hold
  their outputs (that would make reference cycles), so intermediate values come from a
  :func:`trace` taken during the forward pass; it also retains their gradients and picks
  up variable names from the caller's locals.

``mode="auto"`` (the default) picks the value view for small graphs of small tensors.
Trouble is coloured: NaN/inf values or gradients red, gradients whose norm exceeds
``grad_threshold`` orange (with a thick border). With a model recorded by
``trace(model=...)`` / :func:`record_modules`, ops are grouped in one box per module.
:func:`backprop_frames` replays backward one node at a time, for a notebook slider or
PNG frames. Everything is iterative: a 100,000-node graph is summarised past
``max_nodes`` rather than handed to Graphviz whole.
"""

from __future__ import annotations

import html
import os
import re
import sys
import warnings
import weakref
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from typing import Any

import graphviz
import numpy as np

from .function import AccumulateGrad, BackwardCFunction
from .tensor import Tensor

__all__ = ["make_dot", "trace", "record_modules", "Trace", "backprop_frames", "Frames",
           "render", "GraphvizNotInstalled", "DotGraph"]

PARAM_COLOR = "lightblue"
OP_COLOR = "lightgrey"
OUTPUT_COLOR = "darkolivegreen1"
SAVED_COLOR = "orange"
TENSOR_COLOR = "white"
NAN_COLOR = "red"
EXPLODING_COLOR = "orange"
CURRENT_COLOR = "gold"

_INSTALL_HINT = ("the Graphviz 'dot' program is needed to render graphs and was not found on "
                 "PATH; install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install "
                 "graphviz` (macOS) or `conda install graphviz`, or from https://graphviz.org/"
                 "download/ (`pip install graphviz` installs only the Python bindings). The "
                 "DOT text is still available as `.source`.")


class GraphvizNotInstalled(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's `dot` binary; the message says how to install it."""

    def __init__(self, detail: str = "") -> None:
        RuntimeError.__init__(self, f"{_INSTALL_HINT} ({detail})" if detail else _INSTALL_HINT)


class DotGraph(graphviz.Digraph):
    """A `graphviz.Digraph` whose rendering explains how to install Graphviz when `dot` is
    missing (and whose Jupyter display then falls back to the DOT text)."""

    caption: str = ""

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except GraphvizNotInstalled:
            raise
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotInstalled(str(e)) from None

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except GraphvizNotInstalled:
            raise
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotInstalled(str(e)) from None

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"{_INSTALL_HINT}\n\n{self.source}"}


def render(dot: graphviz.Digraph, path: str, format: str = "svg") -> str:
    """Write `dot` as an image to `path` (the extension is added if missing); return the
    path written. Raises :class:`GraphvizNotInstalled` with install instructions when the
    `dot` binary is missing."""
    root, ext = os.path.splitext(path)
    if ext.lstrip(".") != format:
        path = f"{path}.{format}"
    try:
        return dot.render(outfile=path, format=format, cleanup=True)
    except GraphvizNotInstalled:
        raise
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotInstalled(str(e)) from None


# -------------------------------------------------------------------------------------
# Recording during the forward pass


_TRACES: weakref.WeakSet = weakref.WeakSet()
_LAST: list = [None]   # the latest trace stays alive even if the user did not keep it


class Trace:
    """Records, while active, the tensors made by ops (so values and gradients of
    intermediates can be drawn), the names they have in the caller's locals, and, with
    `model`, which module call made which node. Use through :func:`trace`.
    """

    def __init__(self, model: Any = None, values: bool = True, retain_grad: bool = True) -> None:
        self.model = model
        self.values = values
        self.retain_grad = retain_grad
        self._seen: dict[int, Tensor] = {}
        self._names: dict[int, tuple[str, Any]] = {}
        self._calls: list[tuple[str, str, list, list]] = []
        self._handles: list = []
        self._prev_profile = None
        self._index: dict | None = None

    # -- context manager ------------------------------------------------------------
    def __enter__(self) -> Trace:
        if self.model is not None:
            for name, m in self.model.named_modules():
                self._handles.append(m.register_forward_hook(self._module_hook(name)))
        if self.values:
            self._prev_profile = sys.getprofile()
            sys.setprofile(self._profile)
        _TRACES.add(self)
        _LAST[0] = self
        return self

    def __exit__(self, *exc) -> None:
        if self.values:
            sys.setprofile(self._prev_profile)
        for h in self._handles:
            h.remove()
        self._handles = []
        self.add_names(sys._getframe(1).f_locals)
        self._index = None

    # -- recording ------------------------------------------------------------------
    def _profile(self, frame, event, arg) -> None:
        if event == "return" and arg is not None:
            if isinstance(arg, Tensor):
                self._see(arg)
            elif type(arg) in (tuple, list) and len(arg) <= 64:
                for a in arg:
                    if isinstance(a, Tensor):
                        self._see(a)
        prev = self._prev_profile
        if prev is not None:
            prev(frame, event, arg)

    def _see(self, t: Tensor) -> None:
        if t.grad_fn is None or id(t) in self._seen:
            return
        self._seen[id(t)] = t
        if self.retain_grad:
            t.retain_grad()

    def _module_hook(self, name: str):
        def hook(module, args, output):
            self._calls.append((name, type(module).__name__, _nodes_of(args), _nodes_of(output)))
        return hook

    def add_names(self, names: dict) -> None:
        """Label tensors: `names` maps a name to a tensor (as `locals()` does)."""
        for k, v in list(names.items()):
            if isinstance(v, Tensor) and not k.startswith("_") and id(v) not in self._names:
                self._names[id(v)] = (k, weakref.ref(v))

    # -- lookups --------------------------------------------------------------------
    def _tensors(self) -> dict:
        if self._index is None:
            index: dict = {}
            for t in self._seen.values():   # the first tensor made for an output wins
                index.setdefault((t.grad_fn, t._out_nr), t)
            self._index = index
        return self._index

    def tensor_for(self, node, nr: int = 0) -> Tensor | None:
        """The tensor that `node` produced as output `nr`, if it was recorded."""
        return self._tensors().get((node, nr))

    def name_of(self, t: Tensor) -> str | None:
        entry = self._names.get(id(t))
        if entry is not None and entry[1]() is t:
            return entry[0]
        return None

    def module_of(self) -> dict:
        """Map each recorded node to the innermost module path whose call made it."""
        owner: dict = {}
        for name, _, ins, outs in self._calls:   # inner calls finish (and come) first
            stop = set(ins)
            stack = [n for n in outs if n not in stop]
            seen = set(stack)
            while stack:
                n = stack.pop()
                owner.setdefault(n, name)
                for c, _ in n.next_functions:
                    if c is not None and c not in seen and c not in stop:
                        seen.add(c)
                        stack.append(c)
        return owner

    def module_types(self) -> dict:
        return {name: cls for name, cls, _, _ in self._calls}


def _nodes_of(obj) -> list:
    """The graph nodes of the tensors in a (nested) module argument or output."""
    out, stack = [], [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            if o._rg:
                out.append(o.grad_fn if o.grad_fn is not None else o._accumulator())
        elif isinstance(o, (tuple, list)):
            stack.extend(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
    return out


def trace(model: Any = None, retain_grad: bool = True) -> Trace:
    """Context manager recording the forward pass for :func:`make_dot`'s value view.

        with viz.trace() as tr:
            o = (x1 * w1 + x2 * w2 + b).tanh()
        o.backward()
        viz.make_dot(o)          # data and grad of every tensor, named x1, w1, ..., o

    It keeps the tensors made inside it alive (and calls `retain_grad()` on them unless
    `retain_grad=False`), names tensors after the caller's variables, and with `model`
    (an `nn.Module`) records which module made which op, for grouping. `make_dot` finds
    the trace by itself (or pass `trace=`).
    """
    return Trace(model=model, retain_grad=retain_grad)


def record_modules(model: Any) -> Trace:
    """Context manager recording only which module of `model` made which op (forward
    hooks, no value tracing); pass it to `make_dot(..., trace=rec)`."""
    return Trace(model=model, values=False, retain_grad=False)


def _find_trace(roots: list) -> Trace | None:
    cands = list(_TRACES)
    if _LAST[0] is not None and _LAST[0] not in cands:
        cands.append(_LAST[0])
    for tr in sorted(cands, key=lambda t: t is not _LAST[0]):
        idx = tr._tensors()
        for n in roots:
            if (n, 0) in idx or any(n is m for _, _, _, outs in tr._calls for m in outs):
                return tr
    return None


# -------------------------------------------------------------------------------------
# Graph walk


def _walk(roots: list, limit: int | None) -> tuple[list, int, Counter]:
    """Breadth-first order of the nodes reachable from `roots` (nearest first), cut at
    `limit`; also the total count and a count by node type. Iterative."""
    order: list = []
    seen = set(roots)
    queue = deque(roots)
    total = 0
    kinds: Counter = Counter()
    while queue:
        n = queue.popleft()
        total += 1
        kinds[n.name()] += 1
        if limit is None or len(order) < limit:
            order.append(n)
        for c, _ in n.next_functions:
            if c is not None and c not in seen:
                seen.add(c)
                queue.append(c)
    return order, total, kinds


def _shape_str(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _arr(x) -> np.ndarray | None:
    if x is None:
        return None
    if isinstance(x, Tensor):
        return x._data
    return np.asarray(x)


def _fmt(a: np.ndarray, small: int) -> str:
    if a.size == 1:
        return f"{float(a.reshape(())):.4f}" if a.dtype.kind in "fc" else str(a.reshape(()))
    if a.size <= small:
        vals = ", ".join(f"{float(v):.4f}" for v in a.reshape(-1))
        return f"[{vals}] {_shape_str(a.shape)}"
    if a.dtype.kind not in "fiub" or a.size == 0:
        return _shape_str(a.shape)
    af = a.astype(np.float64)
    fin = af[np.isfinite(af)]
    if fin.size == 0:
        return f"{_shape_str(a.shape)} all non-finite"
    return (f"{_shape_str(a.shape)} mean {fin.mean():.3g} "
            f"min {fin.min():.3g} max {fin.max():.3g}")


def _trouble(data, grad, threshold: float | None) -> str | None:
    """'nan' if data or grad holds NaN/inf, 'exploding' if the grad norm is too large."""
    for a in (data, grad):
        if a is not None and a.dtype.kind == "f" and not np.isfinite(a).all():
            return "nan"
    if grad is not None and threshold is not None and grad.dtype.kind == "f":
        if float(np.sqrt(np.sum(np.square(grad, dtype=np.float64)))) > threshold:
            return "exploding"
    return None


_REC_SPECIAL = re.compile(r"([{}|<>\\\"])")


def _rec(s: str) -> str:
    """Escape text for a field of a `shape=record` label."""
    return _REC_SPECIAL.sub(r"\\\1", s.replace("\n", " "))


_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "**", "Neg": "neg",
            "Mm": "@", "Matmul": "@", "Addmm": "addmm", "Rsub": "-"}


def _op_symbol(name: str) -> str:
    base = re.sub(r"Backward\d*$", "", name)
    return _SYMBOLS.get(base, base.lower())


_HIDDEN_ATTRS = {"next_functions", "out_shape", "out_dtype", "n_outputs", "needs_input_grad",
                 "to_save", "plan", "saved_names"}


def _attrs(node, max_chars: int) -> list[tuple[str, str]]:
    max_chars = max(max_chars, 3)
    rows = []
    items = dict(vars(node))
    items.update(getattr(node, "values", None) or {})   # what a table op recorded for its rule
    for k, v in items.items():
        if k.startswith("_") or k in _HIDDEN_ATTRS:
            continue
        s = "[saved tensor]" if isinstance(v, Tensor) else str(v)
        if len(s) > max_chars:
            s = s[:max_chars - 3] + "..."
        rows.append((k, s))
    return rows


def _saved_name(name: str) -> str:
    """A table rule's name for a saved input, as PyTorch names it (`x` is `self`)."""
    return {"x": "self", "a": "self", "b": "other"}.get(name, name)


def _saved_items(node) -> list[tuple[str, np.ndarray]]:
    """The saved tensors of a node, named like PyTorch's `_saved_self` / `_saved_result`."""
    items = []
    saved = node._saved
    names = getattr(node, "saved_names", ())
    if saved:
        for i, t in enumerate(saved):
            if isinstance(t, Tensor):
                nm = _saved_name(names[i]) if i < len(names) else \
                    ("self", "other")[i] if i < 2 else str(i)
                items.append((f"_saved_{nm}", t._data))
    out = node._out
    if out is not None:
        items.append(("_saved_result", out[0]))
    slots = getattr(node, "_out_slots", None)
    if slots:
        for i, s in enumerate(slots):
            if s is not None:
                items.append((f"_saved_output{i}", s[0]))
    return items


# -------------------------------------------------------------------------------------
# make_dot


def make_dot(output, params: dict | None = None, show_attrs: bool = False,
             show_saved: bool = False, max_attr_chars: int = 50, *, mode: str = "auto",
             trace: Trace | None = None, model: Any = None, rankdir: str | None = None,
             max_nodes: int | None = 2000, grad_threshold: float | None = 1e3,
             small: int = 8, _step: tuple | None = None) -> DotGraph:
    """Draw the graph that produced `output` (a tensor or a tuple of tensors).

    torchviz's arguments: `params` names tensors (`dict(model.named_parameters())`),
    `show_attrs` lists each op's attributes, `show_saved` draws its saved tensors.
    Ours: `mode` "backward" (torchviz), "value" (micrograd: data and grad of each tensor)
    or "auto" (value for at most 100 nodes of at most `small` elements each);
    `trace` (default: the latest :func:`trace` that saw `output`) supplies intermediate
    values, gradients, names and module groups; `model` names parameters and, when a
    trace recorded it, groups ops by module; `rankdir` "LR" or "TB" (default: LR for the
    value view, TB for the backward view); past `max_nodes` graph nodes only the part
    nearest the output is drawn, with a note and a warning; NaN/inf is drawn red, a
    gradient with norm above `grad_threshold` orange (None: off).
    """
    if mode not in ("auto", "value", "backward"):
        raise ValueError(f"make_dot: mode must be 'auto', 'value' or 'backward', got {mode!r}")
    if rankdir is not None and rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"make_dot: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"make_dot: max_nodes must be positive or None, got {max_nodes}")
    outputs = (output,) if isinstance(output, Tensor) else tuple(output)
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            raise TypeError(f"make_dot: expected a Tensor or a tuple of Tensors, got "
                            f"{type(o).__name__} at index {i}")
    roots: list = []
    for o in outputs:
        if o._rg:
            n = o.grad_fn if o.grad_fn is not None else o._accumulator()
            if n not in roots:
                roots.append(n)
    if trace is None:
        trace = _find_trace(roots)
    if model is None and trace is not None:
        model = trace.model
    names: dict[int, str] = {}
    if model is not None and hasattr(model, "named_parameters"):
        for k, p in model.named_parameters():
            names.setdefault(id(p), k)
    for k, t in (params or {}).items():
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dot: params[{k!r}] is a {type(t).__name__}, not a Tensor")
        names[id(t)] = k

    order, total, kinds = _walk(roots, max_nodes)
    if mode == "auto":
        small_graph = total <= 100 and all(
            int(np.prod(n.out_shape)) <= small for n in order if n.n_outputs == 1)
        mode = "value" if small_graph and all(o.numel() <= small for o in outputs) else "backward"
    b = _Builder(mode, outputs, order, names, trace, show_attrs, show_saved, max_attr_chars,
                 grad_threshold, small, _step, model)
    dot = b.build(rankdir or ("LR" if mode == "value" else "TB"))
    if total > len(order):
        shown = ", ".join(f"{k} x{v}" for k, v in kinds.most_common(6))
        msg = (f"make_dot: the graph has {total} nodes; drew the {len(order)} nearest the output "
               f"(max_nodes={max_nodes}). Node types: {shown}. Pass max_nodes=None to draw all.")
        warnings.warn(msg, UserWarning, stacklevel=2)
        dot.node("note", msg, shape="note", fillcolor="lightyellow", style="filled")
        for i in b.cut:
            dot.edge("note", i, style="dashed", arrowhead="none")
    return dot


class _Builder:
    """Turns a walked graph into DOT statements, with deterministic ids (`n0`, `n1`, ...)."""

    def __init__(self, mode, outputs, order, names, trace, show_attrs, show_saved,
                 max_attr_chars, threshold, small, step, model):
        self.mode = mode
        self.outputs = outputs
        self.order = order
        self.index = {n: i for i, n in enumerate(order)}
        self.names = names
        self.trace = trace
        self.show_attrs, self.show_saved = show_attrs, show_saved
        self.max_attr_chars = max_attr_chars
        self.threshold, self.small = threshold, small
        self.step_grads, self.current = (step[0], step[1]) if step else (None, None)
        self.caption = step[2] if step else ""
        self.model = model
        self.owner = trace.module_of() if trace is not None and trace._calls else {}
        if not self.owner and model is not None and hasattr(model, "named_parameters"):
            for k, p in model.named_parameters():   # no recorded calls: group parameters
                if p._accum is not None and "." in k:
                    self.owner[p._accum] = k.rsplit(".", 1)[0]
        self.mtypes = trace.module_types() if trace is not None else {}
        self.stmts: list[tuple[str | None, str, str, dict]] = []   # (cluster, id, label, attrs)
        self.edges: list[tuple[str, str, dict]] = []
        self.cut: list[str] = []
        self._ids = 0

    def new_id(self) -> str:
        i = f"n{self._ids}"
        self._ids += 1
        return i

    # -- what we know about tensors -----------------------------------------------------
    def tensor(self, node, nr: int) -> Tensor | None:
        if isinstance(node, AccumulateGrad):
            return node.variable
        for o in self.outputs:
            if o.grad_fn is node and o._out_nr == nr:
                return o
        return self.trace.tensor_for(node, nr) if self.trace is not None else None

    def name(self, t: Tensor | None) -> str:
        if t is None:
            return ""
        n = self.names.get(id(t))
        if n is None and self.trace is not None:
            n = self.trace.name_of(t)
        return n or ""

    def grad(self, node, nr: int, t: Tensor | None) -> np.ndarray | None:
        if self.step_grads is not None:
            return _arr(self.step_grads.get((node, nr)))
        if t is None:
            return None
        return _arr(t._grad)

    def data(self, node, nr: int, t: Tensor | None) -> np.ndarray | None:
        if t is not None:
            return t._data
        out = node._out
        if out is not None and out[3] == nr:
            return out[0]
        return None

    def style(self, base: str, data, grad, current: bool = False) -> dict:
        attrs = {"fillcolor": base}
        trouble = _trouble(data, grad, self.threshold)
        if trouble == "nan":
            attrs.update(fillcolor=NAN_COLOR, color="darkred", penwidth="3")
        elif trouble == "exploding":
            attrs.update(fillcolor=EXPLODING_COLOR, color="red", penwidth="3")
        if current:
            attrs.update(fillcolor=CURRENT_COLOR, penwidth="3")
        return attrs

    # -- assembly ---------------------------------------------------------------------
    def build(self, rankdir: str) -> DotGraph:
        node_attr = dict(style="filled", shape="box", align="left", fontsize="10",
                         ranksep="0.1", height="0.2", fontname="monospace")
        dot = DotGraph(node_attr=node_attr, graph_attr=dict(size="12,12", rankdir=rankdir))
        if self.mode == "value":
            self.value_graph()
        else:
            self.backward_graph()
        self.emit(dot)
        if self.caption:
            dot.attr(label=self.caption, labelloc="t", fontname="monospace")
            dot.caption = self.caption
        size = max(12, 0.15 * len(dot.body))
        dot.graph_attr.update(size=f"{size},{size}")
        return dot

    def emit(self, dot: graphviz.Digraph) -> None:
        clusters: dict[str | None, list] = {}
        for cl, i, label, attrs in self.stmts:
            clusters.setdefault(cl, []).append((i, label, attrs))
        for i, label, attrs in clusters.pop(None, []):
            dot.node(i, label, **attrs)
        # nest clusters by module path: "" is the model, "0" its child, "0.fc" below that
        paths = set()
        for p in clusters:
            paths.add(p)
            while p:
                p = p.rsplit(".", 1)[0] if "." in p else ""
                if p in self.mtypes or p in clusters:
                    paths.add(p)
        first = {p: k for k, p in enumerate(clusters)}

        def parent(p: str):
            while p:
                p = p.rsplit(".", 1)[0] if "." in p else ""
                if p in paths:
                    return p
            return None

        children: dict = {}
        for p in paths:
            children.setdefault(parent(p) if p else None, []).append(p)

        def rank(p):
            return min([first.get(q, 1 << 30) for q in paths if q == p or (
                p == "" or q.startswith(p + "."))])

        counter = [0]

        def add(g, p):
            counter[0] += 1
            sub = graphviz.Digraph(name=f"cluster_{counter[0]}")
            cls = self.mtypes.get(p, "")
            label = (f"{p}: {cls}" if p else cls or "model") if cls else (p or "model")
            sub.attr(label=label, style="rounded,dashed", color="gray40", fontname="monospace",
                     fontsize="10")
            for i, lab, attrs in clusters.get(p, []):
                sub.node(i, lab, **attrs)
            for q in sorted(children.get(p, []), key=rank):
                add(sub, q)
            g.subgraph(sub)

        for p in sorted(children.get(None, []), key=rank):
            add(dot, p)
        for a, b, attrs in self.edges:
            dot.edge(a, b, **attrs)

    def cluster_of(self, node) -> str | None:
        return self.owner.get(node)

    # -- the backward view ----------------------------------------------------------------
    def backward_graph(self) -> None:
        ids = {}
        for n in self.order:
            ids[n] = self.new_id()
        for n in self.order:
            i = ids[n]
            cur = n is self.current
            cl = self.cluster_of(n)
            if isinstance(n, AccumulateGrad):
                var = n.variable
                t = var
                self.stmts.append((cl, i, "AccumulateGrad",
                                   self.style(OP_COLOR, None, None, cur)))
                if var is not None:
                    vid = self.new_id()
                    label = f"{self.name(var)}\n{_shape_str(var.shape)}".lstrip("\n")
                    g = self.grad(n, 0, var)
                    self.stmts.append((cl, vid, label,
                                       self.style(PARAM_COLOR, var._data, g)))
                    self.edges.append((vid, i, {}))
                continue
            t = self.tensor(n, 0) if n.n_outputs == 1 else None
            label = n.name()
            if self.show_attrs:
                rows = _attrs(n, self.max_attr_chars)
                if rows:
                    w = max(len(k) for k, _ in rows)
                    body = "\n".join(f"{k:<{w}}: {v}" for k, v in rows)
                    label = f"{label}\n{'-' * max(w + 2, len(label))}\n{body}"
            if t is not None and self.name(t) and not any(t is o for o in self.outputs):
                label = f"{label}\n-> {self.name(t)}"
            data = self.data(n, 0, t)
            self.stmts.append((cl, i, label,
                               self.style(OP_COLOR, data, self.grad(n, 0, t), cur)))
            if self.show_saved or isinstance(n, BackwardCFunction):
                for sname, arr in _saved_items(n):
                    sid = self.new_id()
                    self.stmts.append((cl, sid, f"{sname}\n{_shape_str(arr.shape)}",
                                       self.style(SAVED_COLOR, arr, None)))
                    self.edges.append((sid, i, {"dir": "none"}))
        for n in self.order:
            for c, _ in n.next_functions:
                if c is None:
                    continue
                if c in ids:
                    self.edges.append((ids[c], ids[n], {}))
                elif ids[n] not in self.cut:
                    self.cut.append(ids[n])
        for o in self.outputs:
            oid = self.new_id()
            g = self.grad(o.grad_fn or (o._accum if o._rg else None), o._out_nr, o)
            label = f"{self.name(o)}\n{_shape_str(o.shape)}".lstrip("\n")
            self.stmts.append((None, oid, label, self.style(OUTPUT_COLOR, o._data, g)))
            src = o.grad_fn or (o._accum if o._rg else None)
            if src is not None and src in ids:
                self.edges.append((ids[src], oid, {}))

    # -- the value view -------------------------------------------------------------------
    def value_graph(self) -> None:
        tids: dict = {}          # (node, nr) -> id of the tensor record
        for o in self.outputs:   # outputs first, so they get the first ids
            key = (o.grad_fn or o._accum, o._out_nr)
            if key not in tids:
                tids[key] = self.tensor_record(key[0], o._out_nr, o, OUTPUT_COLOR)
        for n in self.order:
            if isinstance(n, AccumulateGrad):
                if (n, 0) not in tids:
                    tids[(n, 0)] = self.tensor_record(n, 0, n.variable, PARAM_COLOR)
                continue
            nrs = range(n.n_outputs)
            for nr in nrs:
                if (n, nr) not in tids:
                    t = self.tensor(n, nr)
                    if t is not None or nr == 0:
                        tids[(n, nr)] = self.tensor_record(n, nr, t, TENSOR_COLOR)
            oid = self.new_id()
            label = _op_symbol(n.name())
            if self.show_attrs:
                rows = _attrs(n, self.max_attr_chars)
                if rows:
                    label += "\n" + "\n".join(f"{k}: {v}" for k, v in rows)
            attrs = dict(shape="ellipse", tooltip=n.name(), fillcolor=OP_COLOR)
            if n is self.current:
                attrs.update(fillcolor=CURRENT_COLOR, penwidth="3")
            self.stmts.append((self.cluster_of(n), oid, label, attrs))
            for nr in nrs:
                if (n, nr) in tids:
                    self.edges.append((oid, tids[(n, nr)], {}))
            for c, nr in n.next_functions:
                if c is None:
                    continue
                if c in self.index:
                    key = (c, nr)
                    if key not in tids:
                        t = self.tensor(c, nr)
                        color = PARAM_COLOR if isinstance(c, AccumulateGrad) else TENSOR_COLOR
                        tids[key] = self.tensor_record(c, nr, t, color)
                    self.edges.append((tids[key], oid, {}))
                elif oid not in self.cut:
                    self.cut.append(oid)

    def tensor_record(self, node, nr: int, t: Tensor | None, color: str) -> str:
        i = self.new_id()
        data = self.data(node, nr, t) if node is not None else (t._data if t is not None else None)
        grad = self.grad(node, nr, t) if node is not None else None
        fields = []
        nm = self.name(t)
        if nm:
            fields.append(_rec(nm))
        if data is not None:
            fields.append("data " + _rec(_fmt(data, self.small)))
        else:
            shape = node.out_shape if node.n_outputs == 1 else node._out_meta[nr][0]
            fields.append("data ? " + _rec(_shape_str(shape)))
        fields.append("grad " + (_rec(_fmt(grad, self.small)) if grad is not None else "None"))
        cur = self.current is not None and node is self.current
        attrs = dict(shape="record", **self.style(color, data, grad, cur))
        if t is not None:
            attrs["tooltip"] = f"{_shape_str(t.shape)} {t.dtype}"
        cl = self.cluster_of(node) if node is not None else None
        if t is not None and any(t is o for o in self.outputs):
            cl = None
        self.stmts.append((cl, i, "{ " + " | ".join(fields) + " }", attrs))
        return i


# -------------------------------------------------------------------------------------
# Step-through backprop


class Frames(Sequence):
    """The pictures of a backward pass, one per node executed (see :func:`backprop_frames`).

    Indexing builds the picture of that step; `to_html()` / `save_html(path)` make a page
    with a slider (Jupyter shows it inline), `save_pngs(directory)` writes numbered PNGs.
    """

    def __init__(self, output, steps: list, kwargs: dict) -> None:
        self._output = output
        self.steps = steps            # [(node, grad arrays)] in execution order
        self._kwargs = kwargs

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        n = len(self.steps)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(f"frame index {k} out of range for {n} frames")
        grads: dict = {}
        for node, g in self.steps[:k + 1]:
            if node.n_outputs == 1:
                grads[(node, 0)] = g
            else:
                for nr, gi in enumerate(g or ()):
                    grads[(node, nr)] = gi
        node = self.steps[k][0]
        what = node.name()
        t = node.variable if isinstance(node, AccumulateGrad) else None
        if t is None:
            caption = f"step {k + 1}/{n}: {what} received the gradient of its output"
        else:
            names = {id(v): key for key, v in (self._kwargs.get("params") or {}).items()}
            tr = self._kwargs.get("trace")
            nm = names.get(id(t)) or (tr.name_of(t) if tr is not None else None)
            leaf = nm or _shape_str(t.shape)
            caption = f"step {k + 1}/{n}: gradient accumulated into leaf {leaf}"
        return make_dot(self._output, _step=(grads, node, caption), **self._kwargs)

    def __iter__(self) -> Iterator[DotGraph]:
        for k in range(len(self)):
            yield self[k]

    def to_html(self) -> str:
        """A self-contained HTML page: every frame as inline SVG, and a slider."""
        svgs = []
        for k, dot in enumerate(self):
            svg = dot.pipe(format="svg", encoding="utf-8")
            svg = svg[svg.find("<svg"):]
            display = "block" if k == 0 else "none"
            svgs.append(f'<div class="frame" style="display:{display}">{svg}</div>')
        uid = f"bp{id(self):x}"
        return (f'<div id="{uid}"><input type="range" min="0" max="{len(svgs) - 1}" value="0" '
                f'style="width:60%" oninput="var f=document.querySelectorAll(\'#{uid} .frame\');'
                f'for(var i=0;i<f.length;i++)f[i].style.display=(i==this.value)?\'block\':\'none\';'
                f'this.nextElementSibling.textContent=\'frame \'+(+this.value+1)+'
                f'\'/{len(svgs)}\';">'
                f'<span>frame 1/{len(svgs)}</span>{"".join(svgs)}</div>')

    def _repr_html_(self) -> str:
        try:
            return self.to_html()
        except graphviz.ExecutableNotFound:
            return f"<pre>{html.escape(_INSTALL_HINT)}</pre>"

    def save_html(self, path: str) -> str:
        """Write the slider page to `path`; return the path."""
        page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>backprop</title>"
                f"</head><body>{self.to_html()}</body></html>")
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        return path

    def save_pngs(self, directory: str, prefix: str = "frame") -> list[str]:
        """Write `frame_000.png`, `frame_001.png`, ... to `directory`; return the paths."""
        os.makedirs(directory, exist_ok=True)
        paths = []
        width = max(3, len(str(len(self))))
        for k, dot in enumerate(self):
            paths.append(render(dot, os.path.join(directory, f"{prefix}_{k:0{width}d}"), "png"))
        return paths


def backprop_frames(output, gradient=None, retain_graph: bool | None = None,
                    **make_dot_kwargs) -> Frames:
    """Run `output.backward(gradient)` and return its pictures, one per node executed,
    in the engine's order: frame k shows every gradient computed so far and highlights
    (gold) the node whose output gradient has just arrived. Takes `make_dot`'s options.
    """
    outputs = (output,) if isinstance(output, Tensor) else tuple(output)
    roots = []
    for o in outputs:
        if not isinstance(o, Tensor) or not o._rg:
            raise RuntimeError("backprop_frames: the output must be a Tensor that requires grad")
        roots.append(o.grad_fn if o.grad_fn is not None else o._accumulator())
    if make_dot_kwargs.get("trace") is None:
        make_dot_kwargs["trace"] = _find_trace(roots)
    nodes, _, _ = _walk(roots, None)
    steps: list = []

    def hook_for(node):
        def hook(gs):   # grad_outputs, a tuple
            if node.n_outputs == 1:
                steps.append((node, None if gs[0] is None else np.array(_arr(gs[0]))))
            else:
                steps.append((node, [None if x is None else np.array(_arr(x)) for x in gs]))
        return hook

    handles = [n.register_prehook(hook_for(n)) for n in nodes]
    try:
        from .gradients import backward
        backward(outputs, gradient if gradient is None or isinstance(gradient, (tuple, list))
                 else (gradient,), retain_graph=retain_graph)
    finally:
        for h in handles:
            h.remove()
    return Frames(output, steps, make_dot_kwargs)

