"""`check_grad`: gradcheck that reports instead of failing, and finds kinks.

`gradcheck` compares the analytical Jacobian with central differences. At a point where
the function is not differentiable (relu or abs at 0, max with ties, clamp at a bound)
central differences return the average of the two one-sided slopes, while the analytical
rule returns a subgradient: the check fails although nothing is wrong. `check_grad`
measures, for each input element, the one-sided slopes at steps h and 2h (Chainer's idea of
looking at one-sided differences). At a kink the gap between left and right slopes is the
jump in the derivative, whatever the step; for a smooth function it shrinks in proportion
to the step. Entries at a kink are listed as kinks, not mismatches, when the analytical
value lies between the one-sided slopes (a valid subgradient).

    report = check_grad(lambda x: x.relu(), (tensor([0., 1.], dtype=float64,
                                                      requires_grad=True),))
    report.ok        # True: no mismatches
    report.kinks     # [Kink(output=0, input=0, out_index=(0,), in_index=(0,), left=0.0,
                     #       right=1.0, analytical=0.0)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import grad_mode
from ..gradcheck import _analytical_jacobians, _as_tuple, _diff_inputs, _outputs, _perturbed_outputs
from ..tensor import Tensor

__all__ = ["check_grad", "GradReport", "Kink", "Mismatch"]


@dataclass(frozen=True)
class Kink:
    """A point where d out[out_index] / d in[in_index] jumps from `left` to `right`."""
    output: int
    input: int
    out_index: tuple
    in_index: tuple
    left: float
    right: float
    analytical: float

    @property
    def subgradient_ok(self) -> bool:
        """The analytical value lies between the one-sided slopes."""
        lo, hi = min(self.left, self.right), max(self.left, self.right)
        return lo - 1e-6 * (1 + abs(lo)) <= self.analytical <= hi + 1e-6 * (1 + abs(hi))


@dataclass(frozen=True)
class Mismatch:
    """An entry where analytical and numerical derivatives disagree beyond tolerance."""
    output: int
    input: int
    out_index: tuple
    in_index: tuple
    numerical: float
    analytical: float


@dataclass
class GradReport:
    """Result of `check_grad`: `ok` is True when there are no mismatches (kinks alone
    do not fail)."""
    kinks: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"check_grad: {self.checked} Jacobian entries, {len(self.mismatches)} "
                 f"mismatches, {len(self.kinks)} nondifferentiable points"]
        for m in self.mismatches:
            lines.append(f"  mismatch d(output {m.output}){list(m.out_index)} / d(input "
                         f"{m.input}){list(m.in_index)}: numerical {m.numerical:.6g}, "
                         f"analytical {m.analytical:.6g}")
        for k in self.kinks:
            verdict = "a valid subgradient" if k.subgradient_ok else "NOT a subgradient"
            lines.append(f"  kink d(output {k.output}){list(k.out_index)} / d(input "
                         f"{k.input}){list(k.in_index)}: left slope {k.left:.6g}, right slope "
                         f"{k.right:.6g}; analytical {k.analytical:.6g} is {verdict}")
        return "\n".join(lines)

    __repr__ = __str__


def _slopes(fn, inputs: tuple, diff: list, h: float) -> tuple[list, list]:
    """One-sided slopes (f(x) - f(x-h)) / h and (f(x+h) - f(x)) / h, as [output][input]
    arrays of shape (input numel, output numel)."""
    with grad_mode.no_grad():
        base = [o._data.astype(np.float64) for o in _outputs(fn, inputs)
                if isinstance(o, Tensor)]
        left = [[np.zeros((inputs[k]._data.size, b.size)) for k in diff] for b in base]
        right = [[np.zeros_like(m) for m in row] for row in left]
        for kk, j, plus, minus in _perturbed_outputs(fn, inputs, diff, h, "check_grad"):
            for o, b in enumerate(base):
                right[o][kk][j] = ((plus[o] - b) / h).reshape(-1)
                left[o][kk][j] = ((b - minus[o]) / h).reshape(-1)
    return left, right


def check_grad(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5,
               rtol: float = 1e-3) -> GradReport:
    """Compare analytical and numerical Jacobians entry by entry and report mismatches and
    nondifferentiable points (kinks) instead of raising. Same tolerances as `gradcheck`."""
    inputs = _as_tuple(inputs)
    diff = _diff_inputs(inputs)
    left1, right1 = _slopes(func, inputs, diff, eps)
    left2, right2 = _slopes(func, inputs, diff, 2 * eps)
    analytical, _ = _analytical_jacobians(func, inputs, diff)
    out_shapes = [tuple(o._data.shape) for o in _outputs(func, inputs) if isinstance(o, Tensor)]
    report = GradReport()
    for o in range(len(analytical)):
        for kk, k in enumerate(diff):
            a = analytical[o][kk]
            report.checked += a.size
            lo, ro, l2, r2 = left1[o][kk], right1[o][kk], left2[o][kk], right2[o][kk]
            central = (lo + ro) / 2
            gap, gap2 = np.abs(ro - lo), np.abs(r2 - l2)
            tol = atol + rtol * np.maximum(np.abs(lo), np.abs(ro))
            # a kink: a real gap that does not shrink with the step (smooth: gap ~ step)
            kink = (gap > tol) & (gap > 0.75 * gap2)
            bad = ~(np.abs(a - central) <= atol + rtol * np.abs(central))
            in_shape = tuple(inputs[k]._data.shape)
            for i, j in zip(*np.nonzero(kink)):
                kk_ = Kink(o, k, _unravel(j, out_shapes[o]), _unravel(i, in_shape),
                           float(lo[i, j]), float(ro[i, j]), float(a[i, j]))
                report.kinks.append(kk_)
                if kk_.subgradient_ok:
                    bad[i, j] = False
            for i, j in zip(*np.nonzero(bad)):
                report.mismatches.append(Mismatch(o, k, _unravel(j, out_shapes[o]),
                                                  _unravel(i, in_shape), float(central[i, j]),
                                                  float(a[i, j])))
    return report


def _unravel(flat, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(int(flat), shape)) if shape else ()
