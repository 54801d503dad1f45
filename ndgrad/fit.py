"""Keras-style training on top of nn and optim: ``fit``, ``evaluate``, ``predict``, ``History``.

    history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
                     (X, y), epochs=5, validation_split=0.2)
    history.history["val_accuracy"]

Beyond PyTorch (which leaves the loop to the user): the loop is the one every PyTorch
tutorial writes (``zero_grad``, forward, loss, ``backward``, ``step``), and the bookkeeping,
progress bar and ``History`` follow Keras.
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

import autograd
import nn.functional as F
from autograd import Tensor
from autograd.data import DataLoader, Dataset, Subset, TensorDataset
from nn import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    Module,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)

__all__ = ["History", "fit", "evaluate", "predict"]

Data = Dataset | DataLoader | tuple | list
Metric = str | Callable[[Tensor, Tensor], Any]


class History:
    """What ``fit`` returns: ``history`` maps ``loss``, each metric and ``val_*`` to
    per-epoch lists of floats (keys sorted, as Keras); ``epoch`` lists the epoch indices;
    ``params`` holds ``epochs``, ``steps`` and ``verbose``."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict[str, Any] = {}

    def _append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))
        self.history = dict(sorted(self.history.items()))

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self.epoch)}{', ' + last if last else ''})"


# ---------------------------------------------------------------- losses and metrics

_LOSS_KINDS: dict[str, tuple] = {
    # class scores (N, C) against class indices (N,) or probabilities (N, C)
    "classes": (CrossEntropyLoss, NLLLoss, F.cross_entropy, F.nll_loss),
    # one probability or logit per output against a float target of the same shape
    "binary": (BCELoss, BCEWithLogitsLoss, F.binary_cross_entropy,
               F.binary_cross_entropy_with_logits),
    # element by element against a target of the same shape
    "regression": (MSELoss, L1Loss, HuberLoss, SmoothL1Loss, F.mse_loss, F.l1_loss,
                   F.huber_loss, F.smooth_l1_loss),
}


def _loss_kind(loss_fn: Any) -> str | None:
    """'classes', 'binary' or 'regression' for the losses above (modules or functions)."""
    for kind, known in _LOSS_KINDS.items():
        for k in known:
            if loss_fn is k or (isinstance(k, type) and isinstance(loss_fn, k)):
                return kind
    return None


def _loss_name(loss_fn: Any) -> str:
    return getattr(loss_fn, "__name__", None) or type(loss_fn).__name__


def _check_target(kind: str | None, loss_fn: Any, out: Any, target: Any, fn: str) -> None:
    """Refuse outputs and targets that the loss would take without an error but with a
    meaningless result: a cross-entropy over one class (always 0), or a regression loss
    whose output and target broadcast against each other instead of pairing up."""
    if kind is None or not isinstance(out, Tensor) or not isinstance(target, Tensor):
        return
    shape, tshape = tuple(out.shape), tuple(target.shape)
    if kind == "classes" and out.ndim >= 1 and out.shape[1 if out.ndim >= 2 else 0] < 2:
        raise ValueError(
            f"{fn}: {_loss_name(loss_fn)} needs scores for at least 2 classes, but the model "
            f"outputs shape {shape}: over one class the loss is always 0. For two classes give "
            "the model 2 outputs (targets: class indices), or keep 1 output and use "
            "BCEWithLogitsLoss with float targets of the same shape")
    if kind == "regression" and shape != tshape:
        hint = (": y.unsqueeze(1) or y.reshape(-1, 1)" if shape[1:] == (1,) and tshape ==
                shape[:1] else "")
        raise ValueError(
            f"{fn}: {_loss_name(loss_fn)} pairs outputs and targets element by element, but "
            f"the model outputs shape {shape} and the targets have shape {tshape} (they would "
            f"broadcast, comparing every output with every target). Give the targets the "
            f"output's shape{hint}")


def _default_metrics(loss_fn: Any) -> tuple[str, ...]:
    """``metrics="auto"``: accuracy for classification losses (and without a loss),
    nothing otherwise."""
    classify = loss_fn is None or _loss_kind(loss_fn) in ("classes", "binary")
    return ("accuracy",) if classify else ()


def _accuracy(out: np.ndarray, target: np.ndarray, threshold: float) -> np.ndarray:
    """Per-sample correctness: argmax for class scores, a threshold for one output."""
    if out.ndim >= 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
        if target.shape == out.shape:  # one-hot / probability targets
            target = target.argmax(axis=1)
        elif target.shape != pred.shape:
            raise ValueError(f"accuracy: output of shape {out.shape} (class scores) needs "
                             f"targets of shape {pred.shape} or {out.shape}, got "
                             f"{target.shape}")
        return pred == target
    pred = out.reshape(out.shape[0], -1) > threshold
    tgt = target.reshape(target.shape[0], -1) > 0.5
    if pred.shape != tgt.shape:
        raise ValueError(f"accuracy: output of shape {out.shape} and targets of shape "
                         f"{target.shape} do not match")
    return (pred == tgt).mean(axis=1)


def _resolve_metrics(metrics: Metric | Sequence[Metric] | None,
                     loss_fn: Any) -> list[tuple[str, Callable[[Tensor, Tensor], float]]]:
    """``[(name, fn(output, target) -> batch mean)]`` for strings and callables;
    ``"auto"`` follows the loss (accuracy for classification losses only)."""
    if isinstance(metrics, str) and metrics == "auto":
        metrics = _default_metrics(loss_fn)
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    # one output unit: logits if the loss works on logits, else probabilities
    logits = type(loss_fn).__name__ in ("BCEWithLogitsLoss", "SoftMarginLoss")
    threshold = 0.0 if logits else 0.5
    out = []
    for m in metrics:
        if m in ("accuracy", "acc"):
            out.append((m, lambda o, t: float(_accuracy(o._data, t._data, threshold).mean())))
        elif m in ("mse", "mean_squared_error"):
            out.append((m, lambda o, t: float(np.mean((o._data - t._data.reshape(o.shape)) ** 2))))
        elif m in ("mae", "mean_absolute_error"):
            out.append((m, lambda o, t: float(np.mean(np.abs(o._data - t._data.reshape(o.shape))))))
        elif callable(m):
            name = getattr(m, "__name__", None) or type(m).__name__.lower()

            def fn(o: Tensor, t: Tensor, m: Callable = m) -> float:
                v = m(o, t)
                return float(v.item() if isinstance(v, Tensor) else v)

            out.append((name, fn))
        else:
            raise ValueError(f"unknown metric {m!r}: use 'accuracy' ('acc'), 'mse', 'mae', or a "
                             "callable metric(output, target) -> number")
    return out


# ---------------------------------------------------------------- data


def _to_tensor(a: Any, what: str) -> Tensor:
    if isinstance(a, Tensor):
        return a
    arr = np.asarray(a)
    if arr.dtype.kind == "f":
        arr = arr.astype(autograd.dtypes.to_np(autograd.get_default_dtype()))
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind != "b":
        raise TypeError(f"{what}: cannot make a tensor from an array of dtype {arr.dtype}")
    return autograd.from_numpy(np.ascontiguousarray(arr))


def _as_dataset(data: Any, fn: str, what: str) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = _to_tensor(data[0], fn), _to_tensor(data[1], fn)
        if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
            raise ValueError(f"{fn}: {what} X and y must have the same number of samples, got "
                             f"X of shape {tuple(X.shape)} and y of shape {tuple(y.shape)}")
        return TensorDataset(X, y)
    raise TypeError(f"{fn}: {what} must be a Dataset, a DataLoader or an (X, y) pair, got "
                    f"{type(data).__name__}")


def _as_loader(data: Any, fn: str, what: str, batch_size: int, shuffle: bool,
               generator: autograd.Generator | None = None) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    return DataLoader(_as_dataset(data, fn, what), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


def _split_batch(batch: Any, fn: str) -> tuple[Any, Tensor]:
    if isinstance(batch, (list, tuple)) and len(batch) == 2:
        return batch[0], batch[1]
    n = len(batch) if isinstance(batch, (list, tuple)) else None
    raise ValueError(f"{fn}: each batch must be an (inputs, targets) pair, got "
                     f"{type(batch).__name__}{'' if n is None else f' of length {n}'}")


def _batch_len(x: Any) -> int:
    if isinstance(x, Tensor):
        return x.shape[0] if x.ndim else 1
    if isinstance(x, (list, tuple)) and x:
        return _batch_len(x[0])
    return 1


def _check_positive_int(v: Any, name: str, fn: str) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v <= 0:
        raise ValueError(f"{fn}: {name} must be a positive int, got {v!r}")
    return int(v)


# ---------------------------------------------------------------- progress


def _fmt_value(v: float) -> str:
    return f"{v:.4f}" if abs(v) > 1e-3 or v == 0 else f"{v:.4e}"


def _fmt_logs(logs: dict[str, float]) -> str:
    return "".join(f" - {k}: {_fmt_value(v)}" for k, v in sorted(logs.items()))


def _fmt_eta(s: float) -> str:
    s = int(round(s))
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    if s >= 60:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s}s"


def _fmt_per_step(t: float) -> str:
    if t >= 1:
        return f"{t:.0f}s/step"
    if t >= 1e-3:
        return f"{t * 1e3:.0f}ms/step"
    return f"{t * 1e6:.0f}us/step"


def _redraws(file: Any) -> bool:
    """Whether a line redrawn in place shows as one line: a terminal or a Jupyter output
    (a log file or a pipe would keep every redraw)."""
    if type(file).__module__.startswith("ipykernel."):
        return True
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class _Progbar:
    """Keras's per-epoch line, ``12/57 ━━━━━━━━━━━━━━━━━━━━ 1s 5ms/step - loss: 0.4795``,
    drawn with tqdm (redrawn in place) in a terminal, else (a log, a pipe, no tqdm) printed
    once at the end of the epoch."""

    def __init__(self, total: int | None, verbose: int, file: Any = None) -> None:
        self.total, self.verbose = total, verbose
        self.file = file if file is not None else sys.stdout
        self.logs: dict[str, float] = {}
        self.start = time.perf_counter()
        self.first_step_end: float | None = None
        self.n = 0
        self.bar = None
        if verbose == 1 and _redraws(self.file):
            try:
                from tqdm import tqdm
            except ImportError:  # pragma: no cover - tqdm is a declared dependency
                tqdm = None
            if tqdm is not None:
                prog = self

                class _Bar(tqdm):
                    @property
                    def format_dict(self) -> dict:
                        d = super().format_dict
                        d["keras"] = prog._right(done=False)
                        return d

                width = len(str(total)) if total else 1
                fmt = (f"{{n:>{width}}}/{{total_fmt}} {{bar:20}} {{keras}}" if total
                       else "{n} {keras}")
                ascii_ok = (getattr(self.file, "encoding", None) or "").lower().startswith("utf")
                self.bar = _Bar(total=total, file=self.file, bar_format=fmt,
                                ascii=" ━" if ascii_ok else " =", mininterval=0.1,
                                dynamic_ncols=False, leave=True)

    def _right(self, done: bool) -> str:
        now = time.perf_counter()
        elapsed = now - self.start
        per_step = None
        if self.first_step_end is not None and self.n > 1:
            per_step = (now - self.first_step_end) / (self.n - 1)
        elif self.n:
            per_step = elapsed / self.n
        if done:
            timing = f"{_fmt_eta(elapsed)}"
        elif per_step is not None and self.total:
            timing = _fmt_eta(per_step * (self.total - self.n))
        else:
            timing = ""
        step = f" {_fmt_per_step(per_step)}" if per_step is not None else ""
        return f"{timing}{step}{_fmt_logs(self.logs)}"

    def update(self, logs: dict[str, float]) -> None:
        self.n += 1
        if self.n == 1:
            self.first_step_end = time.perf_counter()
        self.logs = logs
        if self.bar is not None:
            self.bar.update(1)

    def close(self, logs: dict[str, float]) -> None:
        self.logs = logs
        if self.bar is not None:
            self.bar.bar_format = self.bar.bar_format.replace("{keras}", self._right(done=True)
                                                              .replace("{", "{{")
                                                              .replace("}", "}}"))
            self.bar.close()
        elif self.verbose == 1:
            total = self.total if self.total is not None else self.n
            bar = "━" * 20
            print(f"{self.n}/{total} {bar} {self._right(done=True)}", file=self.file)
        elif self.verbose == 2:
            per = (time.perf_counter() - self.start) / max(self.n, 1)
            print(f"{self.n}/{self.total if self.total is not None else self.n} - "
                  f"{time.perf_counter() - self.start:.0f}s - {_fmt_per_step(per)}"
                  f"{_fmt_logs(logs)}", file=self.file)


# ---------------------------------------------------------------- loops


def _run_eval(model: Module, loader: DataLoader, loss_fn: Any,
              metrics: list[tuple[str, Callable]], fn: str,
              progbar: _Progbar | None = None) -> dict[str, float]:
    sums: dict[str, float] = {}
    count = 0
    kind = _loss_kind(loss_fn)
    with autograd.no_grad():
        for batch in loader:
            xb, yb = _split_batch(batch, fn)
            out = model(xb)
            _check_target(kind, loss_fn, out, yb, fn)
            n = _batch_len(yb)
            if loss_fn is not None:
                sums["loss"] = sums.get("loss", 0.0) + float(loss_fn(out, yb).item()) * n
            for name, m in metrics:
                sums[name] = sums.get(name, 0.0) + m(out, yb) * n
            count += n
            if progbar is not None:
                progbar.update({k: v / count for k, v in sums.items()})
    if count == 0:
        raise ValueError(f"{fn}: the data is empty (no batches)")
    return {k: v / count for k, v in sums.items()}


def fit(model: Module, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Any,
        train_data: Data, epochs: int = 1, batch_size: int = 32,
        validation_data: Data | None = None,
        metrics: Metric | Sequence[Metric] | None = "auto", shuffle: bool = True,
        verbose: int | str = 1, validation_split: float = 0.0,
        generator: autograd.Generator | None = None,
        callbacks: Iterable[Callable[[int, dict[str, float]], Any]] | None = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; returns a ``History``.

    Each step: ``optimizer.zero_grad()``, ``loss_fn(model(xb), yb).backward()``,
    ``optimizer.step()``. ``train_data`` and ``validation_data`` are a ``Dataset``, a
    ``DataLoader`` (used as is: ``batch_size``/``shuffle`` then do not apply) or an
    ``(X, y)`` pair (tensors or numpy arrays). ``validation_split`` holds out the *last*
    fraction of ``train_data`` before shuffling, as Keras (ignored when
    ``validation_data`` is given). Logged values are means over the epoch's samples.
    ``metrics="auto"`` follows the loss: accuracy for cross-entropy, NLL and BCE losses,
    none for regression losses (MSE, L1, Huber) and unknown ones. Targets that do not fit
    the loss raise (one class for a cross-entropy, a regression target of another shape).
    ``verbose``: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
    ``callbacks`` are called as ``cb(epoch, logs)`` after each epoch.
    """
    fn = "fit"
    if not isinstance(model, Module) and not callable(model):
        raise TypeError(f"fit: model must be an nn.Module, got {type(model).__name__}")
    for name in ("zero_grad", "step"):
        if not callable(getattr(optimizer, name, None)):
            raise TypeError(f"fit: optimizer must have zero_grad() and step() (an optim "
                            f"optimizer), got {type(optimizer).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    batch_size = _check_positive_int(batch_size, "batch_size", fn)
    verbose = 1 if verbose == "auto" else verbose
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
    metric_fns = _resolve_metrics(metrics, loss_fn)
    kind = _loss_kind(loss_fn)

    if validation_split and validation_data is None:
        if isinstance(train_data, DataLoader):
            raise ValueError("fit: validation_split needs train_data as a Dataset or an (X, y) "
                             "pair, not a DataLoader; pass validation_data instead")
        full = _as_dataset(train_data, fn, "train_data")
        n = len(full)
        n_train = int(math.floor(n * (1.0 - validation_split)))
        if n_train == 0 or n_train == n:
            raise ValueError(f"Training data contains {n} samples, which is not sufficient to "
                             "split it into a validation and training set as specified by "
                             f"`validation_split={validation_split}`. Either provide more "
                             "data, or a different value for the `validation_split` argument.")
        train_data = Subset(full, range(n_train))
        validation_data = Subset(full, range(n_train, n))

    train_loader = _as_loader(train_data, fn, "train_data", batch_size, shuffle, generator)
    val_loader = (None if validation_data is None else
                  _as_loader(validation_data, fn, "validation_data", batch_size, False))
    try:
        steps = len(train_loader)
    except TypeError:
        steps = None

    history = History()
    history.params = {"verbose": verbose, "epochs": epochs, "steps": steps}
    for epoch in range(epochs):
        if verbose and epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}", file=sys.stdout)
        model.train()
        bar = _Progbar(steps, verbose) if verbose else None
        sums: dict[str, float] = {}
        count = 0
        for batch in train_loader:
            xb, yb = _split_batch(batch, fn)
            optimizer.zero_grad()
            out = model(xb)
            _check_target(kind, loss_fn, out, yb, fn)
            loss = loss_fn(out, yb)
            if not isinstance(loss, Tensor) or loss.numel() != 1:
                shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
                raise ValueError(f"fit: loss_fn must return a scalar tensor (reduction 'mean' "
                                 f"or 'sum'), got {shape}")
            loss.backward()
            optimizer.step()
            n = _batch_len(yb)
            count += n
            sums["loss"] = sums.get("loss", 0.0) + float(loss.item()) * n
            with autograd.no_grad():
                det = out.detach()
                for name, m in metric_fns:
                    sums[name] = sums.get(name, 0.0) + m(det, yb) * n
            if bar is not None:
                bar.update({k: v / count for k, v in sums.items()})
        if count == 0:
            raise ValueError("fit: train_data is empty (no batches)")
        logs = {k: v / count for k, v in sums.items()}
        if val_loader is not None:
            was_training = model.training
            model.eval()
            val = _run_eval(model, val_loader, loss_fn, metric_fns, fn)
            model.train(was_training)
            logs.update({f"val_{k}": v for k, v in val.items()})
        if bar is not None:
            bar.close(logs)
        history._append(epoch, logs)
        for cb in callbacks or ():
            cb(epoch, logs)
    model.history = history
    return history


def evaluate(model: Module, data: Data, loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
             metrics: Metric | Sequence[Metric] | None = "auto", batch_size: int = 32,
             verbose: int = 0, return_dict: bool = False) -> float | list[float] | dict:
    """Loss and metrics of ``model`` on ``data`` (eval mode, no_grad), as Keras: the loss
    alone if there are no metrics, else ``[loss, metric1, ...]``; a dict with
    ``return_dict=True``. Without ``loss_fn`` only the metrics are reported (``"auto"``:
    as in ``fit``; accuracy when there is no loss)."""
    batch_size = _check_positive_int(batch_size, "batch_size", "evaluate")
    metric_fns = _resolve_metrics(metrics, loss_fn)
    if loss_fn is None and not metric_fns:
        raise ValueError("evaluate: nothing to compute; give a loss_fn or metrics")
    loader = _as_loader(data, "evaluate", "data", batch_size, False)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        bar = _Progbar(len(loader), verbose) if verbose else None
        logs = _run_eval(model, loader, loss_fn, metric_fns, "evaluate", bar)
        if bar is not None:
            bar.close(logs)
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model: Module, x: Tensor | np.ndarray | Dataset | DataLoader,
            batch_size: int = 32) -> Tensor:
    """``model``'s outputs for ``x`` (a tensor/array of inputs, a Dataset or a DataLoader of
    ``(x, y)`` pairs or of inputs), batched, in eval mode under no_grad; concatenated into
    one Tensor (Keras returns a numpy array: call ``.numpy()``)."""
    batch_size = _check_positive_int(batch_size, "batch_size", "predict")
    if isinstance(x, DataLoader):
        loader = x
    elif isinstance(x, Dataset):
        loader = DataLoader(x, batch_size=batch_size)
    else:
        X = _to_tensor(x, "predict")
        if X.ndim == 0:
            raise ValueError("predict: x must have a batch dimension, got a 0-d tensor")
        loader = DataLoader(TensorDataset(X), batch_size=batch_size)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    outs: list[Tensor] = []
    try:
        with autograd.no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                outs.append(model(batch))
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    if not outs:
        raise ValueError("predict: x is empty")
    return autograd.cat(outs) if len(outs) > 1 else outs[0]
