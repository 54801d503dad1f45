"""Tests for nn.fit / nn.evaluate / nn.predict / History / Module.summary."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd.data import DataLoader, TensorDataset, make_moons


def _moons(n=200, seed=0):
    return make_moons(n, noise=0.1, generator=ag.Generator().manual_seed(seed))


def _mlp(seed=0, hidden=16):
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2))


def _fit(model, data, **kw):
    kw.setdefault("verbose", 0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    return nn.fit(model, nn.CrossEntropyLoss(), opt, data, **kw)


def test_fit_learns_and_history_keys():
    X, y = _moons()
    model = _mlp()
    h = _fit(model, (X, y), epochs=8, validation_data=(X, y))
    assert isinstance(h, nn.History)
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 8 for v in h.history.values())
    assert all(isinstance(v, float) for vs in h.history.values() for v in vs)
    assert h.epoch == list(range(8)) and h.params["epochs"] == 8
    assert h.history["loss"][-1] < h.history["loss"][0] * 0.7
    assert h.history["val_accuracy"][-1] > 0.85
    assert model.history is h


def test_fit_metrics_are_sample_weighted_epoch_means():
    # with lr=0 nothing changes, so the epoch loss equals the loss on the whole data
    X, y = _moons(50)
    model = _mlp()
    loss_fn = nn.CrossEntropyLoss()
    h = nn.fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.0), (X, y), epochs=1,
               batch_size=16, verbose=0)  # batches of 16, 16, 16, 2
    with ag.no_grad():
        out = model(X)
        full = loss_fn(out, y).item()
        acc = (out.argmax(1) == y).float().mean().item()
    assert h.history["loss"][0] == pytest.approx(full, rel=1e-5)
    assert h.history["accuracy"][0] == pytest.approx(acc, abs=1e-6)


def test_fit_accepts_dataset_dataloader_and_numpy_pair():
    X, y = _moons(64)
    for data in (TensorDataset(X, y), DataLoader(TensorDataset(X, y), batch_size=16),
                 (X.numpy().astype(np.float64), y.numpy())):
        h = _fit(_mlp(), data, epochs=2)
        assert len(h.history["loss"]) == 2 and np.isfinite(h.history["loss"]).all()


def test_fit_is_reproducible_with_seeds():
    X, y = _moons(80)
    runs = [_fit(_mlp(seed=3), (X, y), epochs=3, generator=ag.Generator().manual_seed(5))
            .history["loss"] for _ in range(2)]
    assert runs[0] == runs[1]
    other = _fit(_mlp(seed=3), (X, y), epochs=3,
                 generator=ag.Generator().manual_seed(6)).history["loss"]
    assert other != runs[0]


def test_validation_split_takes_the_tail_before_shuffling():
    X, y = _moons(100)
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = _mlp()

        def forward(self, x):
            if not self.training:
                seen.append(x.numpy().copy())
            return self.inner(x)

    h = _fit(Spy(), (X, y), epochs=1, validation_split=0.2)
    assert "val_loss" in h.history
    np.testing.assert_array_equal(np.concatenate(seen), X.numpy()[80:])
    with pytest.raises(ValueError, match="not sufficient to split it into a validation"):
        _fit(_mlp(), (X[:1], y[:1]), validation_split=0.1)


def test_fit_sets_train_mode_and_evaluate_restores_mode():
    X, y = _moons(40)
    modes = []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = _mlp()

        def forward(self, x):
            modes.append(self.training)
            return self.inner(x)

    m = Spy()
    m.eval()
    _fit(m, (X, y), epochs=1, batch_size=40, validation_data=(X, y))
    assert modes == [True, False]
    modes.clear()
    m.train()
    nn.evaluate(m, (X, y), nn.CrossEntropyLoss(), batch_size=40)
    assert modes == [False] and m.training


def test_evaluate_returns_like_keras():
    X, y = _moons(60)
    model = _mlp()
    loss_fn = nn.CrossEntropyLoss()
    loss, acc = nn.evaluate(model, (X, y), loss_fn, batch_size=7)
    with ag.no_grad():
        out = model(X)
    assert loss == pytest.approx(loss_fn(out, y).item(), rel=1e-5)
    assert acc == pytest.approx((out.argmax(1) == y).float().mean().item())
    only_loss = nn.evaluate(model, (X, y), loss_fn, metrics=None)
    assert isinstance(only_loss, float) and only_loss == pytest.approx(loss, rel=1e-6)
    d = nn.evaluate(model, (X, y), loss_fn, return_dict=True)
    assert set(d) == {"loss", "accuracy"}


def test_predict_batches_no_grad_eval():
    X, _ = _moons(70)
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    out = nn.predict(model, X, batch_size=16)
    assert out.shape == (70, 3) and not out.requires_grad and out.grad_fn is None
    model.eval()
    with ag.no_grad():
        np.testing.assert_allclose(out.numpy(), model(X).numpy(), rtol=1e-5, atol=1e-6)
    model.train()
    nn.predict(model, X)
    assert model.training  # restored
    out2 = nn.predict(model, TensorDataset(X, ag.zeros(70)), batch_size=32)
    np.testing.assert_allclose(out2.numpy(), out.numpy(), rtol=1e-5, atol=1e-6)


def test_binary_accuracy_with_logits_and_callable_metric():
    X, y = _moons(64)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0))

    def mean_logit(out, target):
        return out.mean()

    h = nn.fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.05),
               (X, y.float()), epochs=5, metrics=["accuracy", mean_logit], verbose=0)
    assert "mean_logit" in h.history
    with ag.no_grad():
        logits = model(X)
    acc = ((logits > 0).long() == y).float().mean().item()
    (_, got_acc, _) = nn.evaluate(model, (X, y.float()), nn.BCEWithLogitsLoss(),
                                  metrics=["accuracy", mean_logit])
    assert got_acc == pytest.approx(acc)


def test_fit_errors():
    X, y = _moons(20)
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="train_data must be a Dataset, a DataLoader or an"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, X, verbose=0)
    with pytest.raises(ValueError, match=r"same number of samples.*\(20, 2\).*\(19,\)"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, (X, y[:19]), verbose=0)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, (X, y), metrics=["f1"], verbose=0)
    with pytest.raises(ValueError, match="scalar tensor"):
        nn.fit(model, nn.CrossEntropyLoss(reduction="none"), opt, (X, y), verbose=0)
    with pytest.raises(TypeError, match="optimizer must have zero_grad"):
        nn.fit(model, nn.CrossEntropyLoss(), object(), (X, y), verbose=0)


def test_verbose_0_is_silent_and_1_shows_keras_progress(capsys):
    X, y = _moons(64)
    _fit(_mlp(), (X, y), epochs=2, validation_data=(X, y), verbose=0)
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == ""
    _fit(_mlp(), (X, y), epochs=2, batch_size=16, validation_data=(X, y), verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4" in out and "/step" in out
    for key in ("loss:", "accuracy:", "val_loss:", "val_accuracy:"):
        assert key in out
    _fit(_mlp(), (X, y), epochs=1, verbose=2)
    line = capsys.readouterr().out.strip()
    assert line.startswith("2/2 - ") and "loss: " in line and "Epoch" not in line


def test_summary_table(capsys):
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    model[2].bias.requires_grad_(False)
    model.summary((64,))
    out = capsys.readouterr().out
    assert 'Model: "Sequential"' in out
    assert "Layer (type)" in out and "Output Shape" in out and "Param #" in out
    lines = out.splitlines()
    row0 = next(ln for ln in lines if "0 (Linear)" in ln)
    assert "(None, 32)" in row0 and "2,080" in row0
    row2 = next(ln for ln in lines if "2 (Linear)" in ln)
    assert "(None, 10)" in row2 and "330" in row2
    assert "(None, 32)" in next(ln for ln in lines if "1 (ReLU)" in ln)
    assert " Total params: 2,410 (9.41 KB)" in lines
    assert " Trainable params: 2,400 (9.38 KB)" in lines
    assert " Non-trainable params: 10 (40.00 B)" in lines
    # without input_size: shapes unknown, counts still there
    model.summary()
    assert "?" in capsys.readouterr().out
    with pytest.raises(ValueError, match="input_size"):
        model.summary("64")
    assert model.training  # summary leaves the mode as it was


def test_metrics_follow_the_loss():
    X, y = _moons(64)
    reg = nn.Sequential(nn.Linear(2, 1))
    h = nn.fit(reg, nn.MSELoss(), optim.SGD(reg.parameters(), lr=0.1), (X, y.float()[:, None]),
               epochs=2, validation_data=(X, y.float()[:, None]), verbose=0)
    assert list(h.history) == ["loss", "val_loss"]          # no accuracy for a regression
    assert isinstance(nn.evaluate(reg, (X, y.float()[:, None]), nn.functional.l1_loss), float)
    h = nn.fit(reg, nn.MSELoss(), optim.SGD(reg.parameters(), lr=0.1), (X, y.float()[:, None]),
               metrics=["mae"], verbose=0)
    assert list(h.history) == ["loss", "mae"]
    for loss_fn in (nn.CrossEntropyLoss(), nn.functional.cross_entropy, nn.NLLLoss()):
        clf = _mlp()
        h = nn.fit(clf, loss_fn, optim.SGD(clf.parameters(), lr=0.1), (X, y), verbose=0)
        assert list(h.history) == ["accuracy", "loss"]
    binary = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    h = nn.fit(binary, nn.BCEWithLogitsLoss(), optim.SGD(binary.parameters(), lr=0.1),
               (X, y.float()), verbose=0)
    assert list(h.history) == ["accuracy", "loss"]
    assert nn.evaluate(_mlp(), (X, y)) == pytest.approx(
        (_mlp()(X).argmax(1) == y).float().mean().item())     # no loss: accuracy alone


class _Terminal:
    """A stand-in for a terminal's stdout."""

    def __init__(self):
        self.parts = []

    def write(self, s):
        self.parts.append(s)

    def flush(self):
        pass

    def isatty(self):
        return True


def test_progress_is_one_line_per_epoch_in_a_log_and_redrawn_in_a_terminal(capsys,
                                                                            monkeypatch):
    X, y = _moons(64)
    _fit(_mlp(), (X, y), epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out               # captured: not a terminal, as a log file
    assert "\r" not in out
    lines = out.splitlines()
    assert [ln.split(" ")[0] for ln in lines] == ["Epoch", "4/4", "Epoch", "4/4"]
    assert all("loss: " in ln and "accuracy: " in ln for ln in lines[1::2])
    term = _Terminal()
    monkeypatch.setattr("sys.stdout", term)
    _fit(_mlp(), (X, y), epochs=1, batch_size=16, verbose=1)
    monkeypatch.undo()
    drawn = "".join(term.parts)
    assert "\r" in drawn and "4/4" in drawn     # tqdm redraws the line in place
