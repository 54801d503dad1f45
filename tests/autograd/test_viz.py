"""autograd.viz: DOT structure of known graphs, rendering, determinism, large graphs,
module grouping and step-through backprop."""

from __future__ import annotations

import re
import warnings

import graphviz
import numpy as np
import pytest

import autograd as ag
from autograd import viz

B = 6.8813735870195432


def neuron(traced: bool = True):
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b)."""
    x1 = ag.tensor(2.0, requires_grad=True)
    x2 = ag.tensor(0.0, requires_grad=True)
    w1 = ag.tensor(-3.0, requires_grad=True)
    w2 = ag.tensor(1.0, requires_grad=True)
    b = ag.tensor(B, requires_grad=True)
    if traced:
        with viz.trace() as tr:
            x1w1 = x1 * w1
            x2w2 = x2 * w2
            x1w1x2w2 = x1w1 + x2w2
            n = x1w1x2w2 + b
            o = n.tanh()
    else:
        tr = None
        o = (x1 * w1 + x2 * w2 + b).tanh()
    return o, tr, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b)


def nodes(dot) -> dict:
    """id -> (label, attribute text) for every node statement in the DOT source."""
    out = {}
    for m in re.finditer(r'^\s*(n\d+|note) \[label=("(?:[^"\\]|\\.)*"|\S+)(.*)\]$',
                         dot.source, re.M):
        out[m.group(1)] = (m.group(2).strip('"'), m.group(3))
    return out


def edges(dot) -> list:
    return re.findall(r"^\s*(n\d+|note) -> (n\d+)", dot.source, re.M)


def label_of(dot, pattern: str) -> tuple:
    hits = [(i, lab, attrs) for i, (lab, attrs) in nodes(dot).items() if re.search(pattern, lab)]
    assert len(hits) == 1, (pattern, hits)
    return hits[0]


# -- the value view (micrograd) -----------------------------------------------------------


def test_value_view_neuron_before_and_after_backward():
    o, tr, leaves = neuron()
    dot = viz.make_dot(o)
    assert isinstance(dot, graphviz.Digraph)
    ns = nodes(dot)
    records = [lab for lab, a in ns.values() if "shape=record" in a]
    ops = sorted(lab for lab, a in ns.values() if "shape=ellipse" in a)
    assert len(records) == 10 and ops == ["*", "*", "+", "+", "tanh"]
    assert len(edges(dot)) == 14          # 5 ops: 5 outputs + 9 inputs
    assert "{ o | data 0.7071 | grad None }" in records
    assert "{ x1w1 | data -6.0000 | grad None }" in records
    o.backward()
    dot = viz.make_dot(o)
    want = {"o": (0.7071, 1.0), "n": (0.8814, 0.5), "x1w1x2w2": (-6.0, 0.5),
            "x1w1": (-6.0, 0.5), "x2w2": (0.0, 0.5), "b": (B, 0.5),
            "x1": (2.0, -1.5), "w1": (-3.0, 1.0), "x2": (0.0, 0.5), "w2": (1.0, 0.0)}
    for name, (data, grad) in want.items():
        _, lab, attrs = label_of(dot, rf"^\{{ {name} \|")
        d, g = re.match(r"\{ \w+ \| data (\S+) \| grad (\S+) \}", lab).groups()
        assert float(d) == pytest.approx(data, abs=1e-4) and float(g) == pytest.approx(grad,
                                                                                         abs=1e-4)
    assert "darkolivegreen1" in label_of(dot, r"^\{ o \|")[2]
    for leaf in leaves:
        assert "lightblue" in label_of(dot, rf"^\{{ {leaf} \|")[2]
    # the op between x1, w1 and x1w1
    i_x1, i_w1, i_p = (label_of(dot, rf"^\{{ {n} \|")[0] for n in ("x1", "w1", "x1w1"))
    es = edges(dot)
    mul = [b for a, b in es if a == i_x1]
    assert len(mul) == 1 and (i_w1, mul[0]) in es and (mul[0], i_p) in es


def test_value_view_without_trace_uses_saved_values():
    x = ag.tensor(2.0, requires_grad=True)
    w = ag.tensor(-0.5, requires_grad=True)
    b = ag.tensor(1.0, requires_grad=True)
    viz._LAST[0] = None
    o = (x * w).exp() + b
    labels = [lab for lab, _ in nodes(viz.make_dot(o, mode="value", params=dict(x=x))).values()]
    assert labels.count("{ data ? () | grad None }") == 1   # x*w: no op saved it
    assert "{ data 0.3679 | grad None }" in labels            # exp saved its result
    assert "{ x | data 2.0000 | grad None }" in labels
    assert "{ data 1.3679 | grad None }" in labels            # the output itself


def test_small_tensor_values_and_summaries():
    a = ag.tensor([1.0, -2.0], requires_grad=True)
    big = ag.ones(3, 4, requires_grad=True)
    y = (a * 3).sum() + big.mean()
    y.backward()
    dot = viz.make_dot(y, mode="value", params=dict(a=a, big=big))
    assert "{ a | data [1.0000, -2.0000] (2) | grad [3.0000, 3.0000] (2) }" in dot.source
    lab = label_of(dot, r"^\{ big")[1]
    assert "(3, 4) mean 1 min 1 max 1" in lab and "grad (3, 4) mean 0.0833" in lab


# -- the backward view (torchviz) ---------------------------------------------------------


def mlp_graph():
    ag.manual_seed(0)
    w1 = ag.randn(3, 4, requires_grad=True)
    b1 = ag.zeros(4, requires_grad=True)
    w2 = ag.randn(4, 1, requires_grad=True)
    x = ag.randn(5, 3)
    loss = ((x @ w1 + b1).relu() @ w2).mean()
    return loss, dict(w1=w1, b1=b1, w2=w2)


def test_backward_view_like_torchviz():
    loss, params = mlp_graph()
    dot = viz.make_dot(loss, params=params, mode="backward")
    ns = nodes(dot)
    labels = [lab for lab, _ in ns.values()]
    ops = [lab for lab, a in ns.values() if "lightgrey" in a]
    assert sorted(ops) == sorted(["MeanBackward0", "MmBackward0", "ReluBackward0", "AddBackward0",
                                  "MmBackward0", "AccumulateGrad", "AccumulateGrad",
                                  "AccumulateGrad"])
    for name, p in params.items():
        i, lab, attrs = label_of(dot, rf"^{name}\n")
        assert lab == f"{name}\n({', '.join(map(str, p.shape))})" and "lightblue" in attrs
        acc = [b for a, b in edges(dot) if a == i]
        assert len(acc) == 1 and ns[acc[0]][0] == "AccumulateGrad"
    out = [i for i, (lab, a) in ns.items() if "darkolivegreen1" in a]
    assert len(out) == 1 and ns[out[0]][0] == "()"
    mean = label_of(dot, "^MeanBackward0$")[0]
    assert (mean, out[0]) in edges(dot)
    assert len(edges(dot)) == 7 + 3 + 1        # op edges, leaf -> AccumulateGrad, -> output
    assert len(labels) == 8 + 3 + 1


def test_show_attrs_and_show_saved():
    x = ag.randn(2, 3, requires_grad=True)
    y = x.sum(dim=1, keepdim=True).tanh()
    dot = viz.make_dot(y, show_attrs=True, show_saved=True, mode="backward")
    lab = label_of(dot, "^SumBackward")[1]
    assert "keepdim: True" in lab and re.search(r"dims\s*: \(1,\)", lab)
    _, saved, attrs = label_of(dot, "^_saved_result")
    assert saved == "_saved_result\n(2, 1)" and "orange" in attrs
    assert 'dir=none' in dot.source
    plain = viz.make_dot(y, mode="backward")
    assert "_saved" not in plain.source and "keepdim" not in plain.source
    trunc = viz.make_dot(y, show_attrs=True, max_attr_chars=3, mode="backward").source
    assert "keepdim: ..." in trunc


def test_multiple_outputs_and_shared_subgraph():
    x = ag.randn(3, requires_grad=True)
    h = x.exp()
    a, b = h.sum(), (h * 2).sum()
    dot = viz.make_dot((a, b), mode="backward")
    ns = nodes(dot)
    assert sum("darkolivegreen1" in at for _, at in ns.values()) == 2
    assert sum(lab == "ExpBackward0" for lab, _ in ns.values()) == 1   # drawn once


def test_tensors_without_a_graph_are_drawn_alone():
    # a newcomer's first call: a plain tensor (no grad_fn) of several elements
    for t in (ag.ones(2), ag.tensor(3.0), ag.zeros(20)):
        src = viz.make_dot(t).source
        assert "darkolivegreen1" in src and "->" not in src
    assert "data [1.0000, 1.0000] (2)" in viz.make_dot(ag.ones(2)).source
    assert "data 3.0000" in viz.make_dot(ag.tensor(3.0)).source


def test_bad_arguments_raise_clear_errors():
    x = ag.randn(2, requires_grad=True)
    with pytest.raises(ValueError, match="mode must be"):
        viz.make_dot(x.sum(), mode="forward")
    with pytest.raises(ValueError, match="rankdir"):
        viz.make_dot(x.sum(), rankdir="XY")
    with pytest.raises(TypeError, match="params\\['w'\\] is a ndarray"):
        viz.make_dot(x.sum(), params={"w": np.zeros(2)})
    with pytest.raises(TypeError, match="got list at index 1"):
        viz.make_dot((x.sum(), [1]))


def test_rankdir_and_auto_mode():
    o, _, _ = neuron()
    assert "rankdir=LR" in viz.make_dot(o).source            # small scalar graph: value view
    assert "rankdir=TB" in viz.make_dot(o, rankdir="TB").source
    loss, params = mlp_graph()
    src = viz.make_dot(loss, params=params).source          # tensors of 12 elements: backward
    assert "MmBackward0" in src and "rankdir=TB" in src


# -- trouble ------------------------------------------------------------------------------


def test_nan_and_exploding_gradients_are_highlighted():
    a = ag.tensor([1.0, float("nan")], requires_grad=True)
    w = ag.tensor([1e4, 1e4], requires_grad=True)
    s = (a * 1.0).sum() + (w * 1e3).sum()
    s.backward()
    dot = viz.make_dot(s, params=dict(a=a, w=w), mode="backward", grad_threshold=100.0)
    assert "fillcolor=red" in label_of(dot, r"^a\n")[2]          # a NaN value
    assert "fillcolor=orange" in label_of(dot, r"^w\n")[2]       # |grad| = 1414 > 100
    calm = viz.make_dot(s, params=dict(a=a, w=w), mode="backward", grad_threshold=None)
    assert "fillcolor=lightblue" in label_of(calm, r"^w\n")[2]
    assert "fillcolor=red" in label_of(calm, r"^a\n")[2]


# -- rendering ----------------------------------------------------------------------------


def test_svg_rendering_with_dot(tmp_path):
    o, _, _ = neuron()
    dot = viz.make_dot(o)
    path = viz.render(dot, str(tmp_path / "neuron"), "svg")
    assert path.endswith("neuron.svg")
    svg = open(path).read()
    assert "<svg" in svg and "0.7071" in svg and "tanh" in svg
    assert dot._repr_mimebundle_()["image/svg+xml"].lstrip().startswith("<?xml")
    png = viz.render(dot, str(tmp_path / "neuron.png"), "png")
    assert open(png, "rb").read(4) == b"\x89PNG"


def test_missing_dot_binary_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))          # no `dot` anywhere on PATH
    o, _, _ = neuron()
    dot = viz.make_dot(o)
    assert dot.source.startswith("digraph")             # building still works
    for call in (lambda: viz.render(dot, str(tmp_path / "g"), "svg"),
                 lambda: dot.render(str(tmp_path / "g"), format="png"),
                 lambda: dot.pipe(format="svg")):
        with pytest.raises(graphviz.ExecutableNotFound, match="apt-get install graphviz") as e:
            call()
        assert "brew install graphviz" in str(e.value)
        assert isinstance(e.value, viz.GraphvizNotInstalled)
    bundle = dot._repr_mimebundle_()
    assert "apt-get install graphviz" in bundle["text/plain"] and "digraph" in bundle["text/plain"]


# -- determinism and size -----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["value", "backward"])
def test_same_graph_gives_same_dot_text(mode):
    srcs = []
    for _ in range(2):
        loss, params = mlp_graph()
        srcs.append(viz.make_dot(loss, params=params, mode=mode, show_attrs=True,
                                 show_saved=True).source)
    assert srcs[0] == srcs[1]
    assert "0x" not in srcs[0]           # no id()-based names or reprs


def test_100k_node_chain_is_summarised():
    y = ag.tensor(1.0, requires_grad=True)
    z = y
    for _ in range(100_000):
        z = z * 1.0
    with pytest.warns(UserWarning, match="the graph has 100001 nodes; drew the 50 nearest"):
        dot = viz.make_dot(z, max_nodes=50)
    ns = nodes(dot)
    assert sum(lab == "MulBackward0" for lab, _ in ns.values()) == 50
    assert "note" in ns and "MulBackward0 x100000" in ns["note"][0]
    assert ("note", "n49") in edges(dot)            # the cut is marked
    with pytest.warns(UserWarning, match="100001 nodes"):
        big = viz.make_dot(z)                        # default max_nodes=2000
    assert big.source.count("MulBackward0") == 2000 + 1   # + the note's type count
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small = viz.make_dot(y * 2)
    assert "note" not in nodes(small)


# -- module grouping ----------------------------------------------------------------------


class _Handle:
    def __init__(self, hooks, fn):
        self.hooks, self.fn = hooks, fn
        hooks.append(fn)

    def remove(self):
        self.hooks.remove(self.fn)


class FakeModule:
    """Just the part of nn.Module's API that viz uses: named_modules and forward hooks."""

    def __init__(self, **children):
        self.children = children
        self.hooks: list = []

    def named_modules(self, prefix=""):
        yield prefix, self
        for k, m in self.children.items():
            yield from m.named_modules(f"{prefix}.{k}" if prefix else k)

    def register_forward_hook(self, fn):
        return _Handle(self.hooks, fn)

    def named_parameters(self, prefix=""):
        for k, v in vars(self).items():
            if isinstance(v, ag.Tensor):
                yield (f"{prefix}.{k}" if prefix else k), v
        for k, m in self.children.items():
            yield from m.named_parameters(f"{prefix}.{k}" if prefix else k)

    def __call__(self, x):
        out = self.forward(x)
        for h in list(self.hooks):
            h(self, (x,), out)
        return out


class Linear(FakeModule):
    def __init__(self, i, o):
        super().__init__()
        self.weight = ag.randn(o, i, requires_grad=True)
        self.bias = ag.zeros(o, requires_grad=True)

    def forward(self, x):
        return x @ self.weight.T + self.bias


class ReLU(FakeModule):
    def forward(self, x):
        return x.relu()


class Seq(FakeModule):
    def forward(self, x):
        for m in self.children.values():
            x = m(x)
        return x * 2.0      # an op of the container itself


def test_ops_grouped_by_module():
    ag.manual_seed(0)
    model = Seq(**{"0": Linear(3, 4), "1": ReLU(), "2": Linear(4, 2)})
    x = ag.randn(5, 3)
    with viz.record_modules(model) as rec:
        loss = model(x).sum()
    assert all(not m.hooks for _, m in model.named_modules())      # hooks removed
    dot = viz.make_dot(loss, trace=rec, mode="backward")
    src = dot.source
    assert src.count("subgraph cluster_") == 4
    clusters = re.findall(r"label=\"?([^\"\]]+)\"? ", src)
    for want in ("Seq", "0: Linear", "1: ReLU", "2: Linear"):
        assert want in clusters

    def cluster_body(label):
        start = src.index(f"label=\"{label}\"" if " " in label else f"label={label}")
        return src[start:src.index("}", start)]

    lin0, relu, lin2 = (cluster_body(lab) for lab in ("0: Linear", "1: ReLU", "2: Linear"))
    assert "ReluBackward0" in relu and "Mm" not in relu
    assert "0.weight" in lin0 and "0.bias" in lin0 and "AddBackward0" in lin0
    assert "2.weight" in lin2 and "MmBackward0" in lin2 and "Relu" not in lin2
    outer = src[src.index("label=Seq"):]
    assert "MulBackward0" in outer.split("subgraph")[0]            # the container's own op
    sum_line = next(line for line in src.splitlines() if "SumBackward0" in line)
    assert src.index(sum_line) < src.index("subgraph")              # outside every module
    # the value view groups the same way; a trace with model= does both at once
    with viz.trace(model=model) as tr:
        loss2 = model(x).sum()
    vsrc = viz.make_dot(loss2, trace=tr, mode="value").source
    assert vsrc.count("subgraph cluster_") == 4 and "0.weight" in vsrc


# -- step-through backprop ----------------------------------------------------------------


def test_backprop_frames_one_per_node_executed():
    o, tr, leaves = neuron()
    frames = viz.backprop_frames(o)
    assert len(frames) == 10               # tanh, 2 adds, 2 muls, 5 AccumulateGrad
    assert [n.name() for n, _ in frames.steps][0] == "TanhBackward0"
    assert sorted(n.name() for n, _ in frames.steps) == sorted(
        ["TanhBackward0"] + ["AddBackward0"] * 2 + ["MulBackward0"] * 2 + ["AccumulateGrad"] * 5)
    assert leaves["x1"].grad.item() == pytest.approx(-1.5, abs=1e-5)   # backward really ran
    first, last = frames[0], frames[-1]
    assert "step 1/10: TanhBackward0" in first.source
    assert "step 10/10: gradient accumulated into leaf x1" in last.source
    assert first.source.count("grad None") == 9        # only o's gradient is known
    assert last.source.count("grad None") == 0
    assert "fillcolor=gold" in first.source and "fillcolor=gold" in frames[5].source
    assert len(list(frames)) == 10 and len(frames[2:4]) == 2
    html = frames.to_html()
    assert html.count('class="frame"') == 10 and 'type="range"' in html


def test_backprop_frames_export(tmp_path):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    frames = viz.backprop_frames((x * x).sum(), mode="backward")
    assert len(frames) == 3
    page = frames.save_html(str(tmp_path / "bp.html"))
    assert open(page).read().count("<svg") == 3
    pngs = frames.save_pngs(str(tmp_path / "frames"))
    assert [p.rsplit("/", 1)[1] for p in pngs] == ["frame_000.png", "frame_001.png",
                                                   "frame_002.png"]
    assert all(open(p, "rb").read(4) == b"\x89PNG" for p in pngs)
    with pytest.raises(RuntimeError, match="requires grad"):
        viz.backprop_frames(ag.tensor(1.0))


def test_real_nn_sequential_grouped_and_named():
    import nn
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    x, y = ag.randn(4, 2), ag.randn(4, 1)
    with viz.trace(model=model):
        loss = nn.functional.mse_loss(model(x), y)
    src = viz.make_dot(loss).source          # finds the trace; names from the model
    assert src.count("subgraph cluster_") == 4 and "label=Sequential" in src
    for name, p in model.named_parameters():
        assert f'"{name}\n({", ".join(map(str, p.shape))})"' in src
    head = src[:src.index("subgraph")]
    assert "MseLossBackward0" in head and "loss\n()" in head
