"""ctc_loss (nn.functional): the connectionist temporal classification loss
(CtcLossBackward0), by the forward-backward algorithm in log space, vectorised over the
batch and the states of the blank-extended targets, one step per time frame.

The gradient follows PyTorch's convention for log-probabilities: d loss / d log_probs is
exp(log_probs) - (the posterior probability of each label at each frame), which is the
gradient with respect to the logits when log_probs = log_softmax(logits). It is
therefore right for log_softmax outputs (and through them), not for arbitrary inputs. As
in PyTorch, it cannot be differentiated a second time.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd.function import Function, Node
from autograd.grad_mode import is_grad_enabled
from autograd.ops.base import needs_graph
from autograd.tensor import Tensor, _make

from ._checks import require_tensor
from .loss import _reduction

__all__ = ["ctc_loss"]

_NEG_INF = -np.inf
_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(values, name: str, n: int, position: int) -> np.ndarray:
    """Lengths given as an integer Tensor or as ints (a list or tuple), as PyTorch takes."""
    if isinstance(values, Tensor):
        if values._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        arr = values._data.reshape(-1)
    elif isinstance(values, (list, tuple)) and all(isinstance(v, (int, np.integer))
                                                   for v in values):
        arr = np.asarray(values, dtype=np.int64).reshape(-1)
    else:
        require_tensor(values, "ctc_loss", name, position)
    if arr.size != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr.astype(np.int64)


def _targets(targets: Tensor, lengths: np.ndarray, n: int, num_classes: int) -> list:
    """Each sample's label sequence, from padded (N, S) or concatenated 1-D targets."""
    t = targets._data
    if t.dtype.kind == "f":
        t = t.astype(np.int64)
    if t.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {t.ndim}-dimensional tensor "
                           f"for argument #2 'targets'{_WHERE}")
    if t.ndim == 2:
        if t.shape[0] != n:
            raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size "
                               f"{t.shape[0]} for argument #2 'targets'{_WHERE}")
        longest = int(lengths.max()) if n else 0
        if t.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension "
                               f"1, but got size {t.shape[1]} for argument #2 'targets'{_WHERE}")
        seqs = [t[i, :lengths[i]] for i in range(n)]
    else:
        total = int(lengths.sum())
        if t.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {t.shape[0]} for argument #2 'targets'{_WHERE}")
        seqs = np.split(t, np.cumsum(lengths)[:-1])
    for s in seqs:
        if s.size and (s.min() < 0 or s.max() >= num_classes):
            bad = s[(s < 0) | (s >= num_classes)][0]
            raise RuntimeError(f"ctc_loss: target value {bad} is out of range for "
                               f"{num_classes} classes")
    return seqs


class _Problem:
    """The blank-extended targets of a batch and what the recursions need about them."""

    def __init__(self, seqs: list, blank: int, in_len: np.ndarray) -> None:
        n = len(seqs)
        lmax = max((len(s) for s in seqs), default=0)
        self.states = 2 * lmax + 1
        ext = np.full((n, self.states), blank, np.int64)
        for i, s in enumerate(seqs):
            ext[i, 1:2 * len(s):2] = s
        self.ext, self.in_len = ext, in_len
        self.n_states = 2 * np.array([len(s) for s in seqs], np.int64) + 1   # per sample
        # state s may be entered from s - 2 (skipping a blank) unless it carries the same
        # label as s - 2 (so never a blank state; PyTorch's rule, also for targets that
        # contain the blank label)
        skip = np.zeros_like(ext, bool)
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
        self.skip = skip
        self.valid = np.arange(self.states)[None, :] < self.n_states[:, None]

    def emissions(self, lp: np.ndarray) -> np.ndarray:
        """log p(extended label s at frame t): (T, N, S')."""
        idx = np.broadcast_to(self.ext[None], (lp.shape[0],) + self.ext.shape)
        return np.take_along_axis(lp, idx, axis=2)

    def alpha(self, em: np.ndarray) -> np.ndarray:
        """Forward variables log alpha (T, N, S')."""
        t_max, n, s = em.shape
        out = np.full((t_max, n, s), _NEG_INF)
        if t_max == 0:
            return out
        out[0, :, 0] = em[0, :, 0]
        if s > 1:
            out[0, :, 1] = np.where(self.n_states > 1, em[0, :, 1], _NEG_INF)
        for t in range(1, t_max):
            prev = out[t - 1]
            acc = prev.copy()
            acc[:, 1:] = np.logaddexp(acc[:, 1:], prev[:, :-1])
            acc[:, 2:] = np.where(self.skip[:, 2:], np.logaddexp(acc[:, 2:], prev[:, :-2]),
                                  acc[:, 2:])
            out[t] = np.where(self.valid, acc + em[t], _NEG_INF)
        return out

    def beta(self, em: np.ndarray) -> np.ndarray:
        """Backward variables log beta (T, N, S'), each sample from its own last frame."""
        t_max, n, s = em.shape
        out = np.full((t_max, n, s), _NEG_INF)
        rows = np.arange(n)
        last, before = self.n_states - 1, np.maximum(self.n_states - 2, 0)
        for t in range(t_max - 1, -1, -1):
            acc = np.full((n, s), _NEG_INF)
            if t + 1 < t_max:
                nxt = out[t + 1]
                acc = nxt.copy()
                acc[:, :-1] = np.logaddexp(acc[:, :-1], nxt[:, 1:])
                acc[:, :-2] = np.where(self.skip[:, 2:], np.logaddexp(acc[:, :-2], nxt[:, 2:]),
                                       acc[:, :-2])
                acc = np.where(self.valid, acc + em[t], _NEG_INF)
            ends = self.in_len - 1 == t   # samples whose last frame this is
            if ends.any():
                acc[ends] = _NEG_INF
                r = rows[ends]
                acc[r, last[ends]] = em[t, r, last[ends]]
                two = ends & (self.n_states > 1)
                acc[rows[two], before[two]] = em[t, rows[two], before[two]]
            out[t] = np.where((t < self.in_len)[:, None], acc, _NEG_INF)
        return out

    def nll(self, alpha: np.ndarray) -> np.ndarray:
        """-log p(target | input) per sample (inf where no alignment exists)."""
        n = alpha.shape[1]
        out = np.empty(n)
        for i in range(n):
            t, k = self.in_len[i], self.n_states[i]
            if t == 0:
                out[i] = 0.0 if k == 1 else np.inf
                continue
            tail = alpha[t - 1, i, max(k - 2, 0):k]
            out[i] = -np.logaddexp.reduce(tail)
        return out


class CtcLossBackward0(Node):
    """(exp(log_probs) - posterior) * g per sample; zero past each sample's length."""

    def _grad(self, g: np.ndarray) -> np.ndarray:
        lp = self.saved_data()[0].astype(np.float64).reshape(self.shape3)
        prob = self.problem
        em = prob.emissions(lp)
        beta = prob.beta(em)
        t_max, n, s = em.shape
        ab = self.alpha + beta
        lcab = np.full(lp.shape, _NEG_INF)
        t_idx, n_idx, s_idx = np.indices((t_max, n, s))
        np.logaddexp.at(lcab, (t_idx, n_idx, prob.ext[None].repeat(t_max, 0)), ab)
        # PyTorch's kernel sets (not log-adds) the last frame's two entries, the last label's
        # after the blank's: where the last label is the blank itself, only its state counts
        last = prob.n_states - 2
        quirk = np.flatnonzero((last > 0) & (prob.in_len > 0) &
                               (prob.ext[np.arange(n), np.maximum(last, 0)] == self.blank))
        t_end = prob.in_len[quirk] - 1
        lcab[t_end, quirk, self.blank] = ab[t_end, quirk, last[quirk]]
        with np.errstate(invalid="ignore", over="ignore"):
            grad = np.exp(lp) - np.exp(lcab + self.nll[None, :, None] - lp)
        grad *= np.asarray(g, np.float64).reshape(1, -1, 1)
        grad[np.arange(t_max)[:, None] >= prob.in_len[None, :]] = 0
        if self.zero_infinity:
            grad[:, np.isinf(self.nll)] = 0
        return grad.reshape(self.in_shape).astype(self.in_dtype, copy=False)

    def backward_fast(self, g):
        return (self._grad(g),)

    def backward(self, g):
        (lp,) = self.saved()
        if is_grad_enabled():   # create_graph: a result that refuses a second derivative
            return (_CtcLossGrad.apply(g, lp, self),)
        return (_make(self._grad(g._data)),)


class _CtcLossGrad(Function):
    """CTC's gradient as a graph node (under create_graph), not differentiable again."""

    @staticmethod
    def forward(ctx, g, lp, node):
        return _make(node._grad(g._data))

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The negative log-likelihood of the target sequences under all alignments of
    log_probs (T, N, C) (or (T, C) for one sample), with `blank` as the blank label.

    targets: (N, S) padded, or the target sequences concatenated in 1-D. 'mean' divides
    each loss by its target length, then averages over the batch; zero_infinity sets
    impossible alignments' losses (and gradients) to 0."""
    reduction = _reduction(reduction)
    require_tensor(log_probs, "ctc_loss", "log_probs", 1)
    require_tensor(targets, "ctc_loss", "targets", 2)
    lp, tg = log_probs, targets
    if lp._data.dtype.kind != "f":
        raise NotImplementedError(f'"ctc_loss_cpu" not implemented for \'{lp.dtype._legacy}\'')
    unbatched = lp.ndim != 3
    data = lp._data
    if unbatched:
        if lp.ndim != 2:
            raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim + 1}-"
                               f"dimensional tensor for argument #1 'log_probs'{_WHERE}")
        data = data[:, None, :]
        tg = tg.reshape(1, -1)
    t_max, n, c = data.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    in_len = _lengths(input_lengths, "input_lengths", n, 3)
    tgt_len = _lengths(target_lengths, "target_lengths", n, 4)
    for name, arr in (("input_lengths", in_len), ("target_lengths", tgt_len)):
        if arr.size and arr.min() < 0:
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                               f"{int(arr.min())}{_WHERE}")
    if in_len.size and in_len.max() > t_max:
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                           f"value {int(in_len.max())}{_WHERE}")
    problem = _Problem(_targets(tg, tgt_len, n, c), blank, in_len)
    alpha = problem.alpha(problem.emissions(data.astype(np.float64)))
    nll = problem.nll(alpha)
    out = _make(nll.astype(data.dtype).reshape(() if unbatched else (n,)))
    if needs_graph(lp):
        node = CtcLossBackward0((lp,))
        node.problem, node.alpha, node.nll, node.zero_infinity = problem, alpha, nll, \
            zero_infinity
        node.blank = blank
        node.shape3, node.in_shape, node.in_dtype = data.shape, lp.shape, data.dtype
        node.save(lp)
        out = _make(out._data, node)
    if zero_infinity:
        out = autograd.where(out == np.inf, 0.0, out)
    if reduction == "none":
        return out
    if reduction == "sum":
        return out.sum()
    lengths = autograd.tensor(np.maximum(tgt_len, 1).reshape(out.shape))
    return (out / lengths).mean()
