"""``Module.summary(input_size)``: Keras's table of layers, output shapes and parameter counts.

    >>> nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)).summary((64,))
    Model: "Sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                ┃ Output Shape           ┃       Param # ┃
    ...
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import autograd
from autograd import Tensor

from .module import Module

__all__ = ["summary"]


def _readable_size(n_bytes: float) -> str:
    """Keras's ``readable_memory_size``: 1024-based units with two decimals."""
    units = ["B", "KB", "MB", "GB", "TB"]
    i = 0
    while n_bytes >= 1024 and i < len(units) - 1:
        n_bytes /= 1024
        i += 1
    return f"{n_bytes:.2f} {units[i]}"


def _shape_str(out: Any) -> str:
    if isinstance(out, Tensor):
        return "(" + ", ".join(["None"] + [str(d) for d in out.shape[1:]]) + ")"
    if isinstance(out, (list, tuple)):
        return "[" + ", ".join(_shape_str(o) for o in out) + "]"
    return type(out).__name__


def _count(params: Sequence[Tensor]) -> tuple[int, int, int, int]:
    """(trainable count, trainable bytes, frozen count, frozen bytes)."""
    tc = tb = fc = fb = 0
    for p in params:
        n, b = p.numel(), p.numel() * p._data.itemsize
        if p.requires_grad:
            tc, tb = tc + n, tb + b
        else:
            fc, fb = fc + n, fb + b
    return tc, tb, fc, fb


def _normalise_sizes(input_size: Any) -> list[tuple[int, ...]]:
    def is_shape(s: Any) -> bool:
        return isinstance(s, (tuple, list, autograd.Size)) and all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in s)

    if isinstance(input_size, int) and not isinstance(input_size, bool):
        input_size = (input_size,)
    if is_shape(input_size):
        return [tuple(input_size)]
    if isinstance(input_size, (list, tuple)) and input_size and all(map(is_shape, input_size)):
        return [tuple(s) for s in input_size]
    raise ValueError("summary: input_size must be the shape of one sample without the batch "
                     "dimension, e.g. (64,) or (1, 28, 28), or a list of such shapes for several "
                     f"inputs; got {input_size!r}")


def summary(self: Module, input_size: Any = None, *, dtypes: Sequence[Any] | None = None,
            print_fn: Callable[[str], Any] | None = None) -> None:
    """Print Keras's summary table of this module.

    Runs one forward pass (eval mode, no_grad, batch of 2 zeros) on inputs of shape
    ``(batch, *input_size)`` and lists every leaf module that ran, with its name and type,
    its output shape (batch shown as ``None``) and the number of parameters it owns; then
    totals of trainable and non-trainable (``requires_grad=False``) parameters with their
    size. Without ``input_size`` the output shapes show ``?``. ``input_size`` may be a list
    of shapes for a model taking several inputs (``dtypes`` gives their dtypes).
    """
    print_fn = print_fn or (lambda s: print(s, file=sys.stdout))
    rows: list[tuple[str, str, int]] = []
    leaves = [(name, m) for name, m in self.named_modules()
              if not any(True for _ in m.children()) and m is not self] or [("", self)]
    if input_size is not None:
        sizes = _normalise_sizes(input_size)
        dtypes = list(dtypes) if dtypes is not None else [autograd.float32] * len(sizes)
        if len(dtypes) != len(sizes):
            raise ValueError(f"summary: got {len(sizes)} input sizes but {len(dtypes)} dtypes")
        calls: list[tuple[str, Module, Any]] = []
        handles = []
        for name, m in leaves:
            def hook(mod: Module, inp: Any, out: Any, name: str = name) -> None:
                calls.append((name, mod, out))
            handles.append(m.register_forward_hook(hook))
        was_training = self.training
        self.eval()
        try:
            with autograd.no_grad():
                inputs = [autograd.zeros((2, *s), dtype=dt) for s, dt in zip(sizes, dtypes)]
                try:
                    self(*inputs)
                except Exception as e:
                    if hasattr(e, "add_note"):  # Python >= 3.11
                        shapes = ", ".join(str((2, *s)) for s in sizes)
                        e.add_note(f"(in summary: forward pass of {type(self).__name__} on "
                                   f"input of shape {shapes})")
                    raise
        finally:
            for h in handles:
                h.remove()
            self.train(was_training)
        seen: set[int] = set()
        for name, mod, out in calls:
            n = 0 if id(mod) in seen else sum(p.numel() for p in mod.parameters(recurse=False))
            seen.add(id(mod))
            rows.append((f"{name or type(mod).__name__.lower()} ({type(mod).__name__})",
                         _shape_str(out), n))
    else:
        for name, mod in leaves:
            rows.append((f"{name or type(mod).__name__.lower()} ({type(mod).__name__})", "?",
                         sum(p.numel() for p in mod.parameters(recurse=False))))

    headers = ("Layer (type)", "Output Shape", "Param #")
    cells = [(a, b, f"{c:,}") for a, b, c in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) + 2 for i, h in enumerate(headers)]
    widths = [max(widths[0], 31), max(widths[1], 22), max(widths[2], 13)]

    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(vals: Sequence[str], bar: str) -> str:
        a, b, c = vals
        return (f"{bar} {a:<{widths[0]}} {bar} {b:<{widths[1]}} {bar} {c:>{widths[2]}} {bar}")

    out = [f'Model: "{type(self).__name__}"', line("┏", "━", "┳", "┓"), row(headers, "┃"),
           line("┡", "━", "╇", "┩")]
    for i, r in enumerate(cells):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out.append(row(r, "│"))
    out.append(line("└", "─", "┴", "┘"))
    params = list(self.parameters())
    tc, tb, fc, fb = _count(params)
    out.append(f" Total params: {tc + fc:,} ({_readable_size(tb + fb)})")
    out.append(f" Trainable params: {tc:,} ({_readable_size(tb)})")
    out.append(f" Non-trainable params: {fc:,} ({_readable_size(fb)})")
    print_fn("\n".join(out))


Module.summary = summary
