"""Tests for the main job, nn.train: a tiny run in-process, outputs, and bad arguments."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import autograd as ag
import nn
from ndgrad import train


def test_tiny_moons_run_writes_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    rc = train.main(["--dataset", "moons", "--epochs", "2", "--hidden", "8",
                     "--out", str(out), "--seed", "1"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "test accuracy:" in printed and "Epoch 2/2" in printed
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == "moons" and metrics["epochs"] == 2
    assert len(metrics["history"]["loss"]) == 2 and len(metrics["history"]["val_accuracy"]) == 2
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    acc_line = next(ln for ln in printed.splitlines() if ln.startswith("test accuracy:"))
    assert f"{100 * metrics['test_accuracy']:.2f}%" in acc_line
    if shutil.which("dot"):
        assert (out / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    if _has_serialization():  # autograd.save may land after this job
        ckpt = ag.load(str(out / "checkpoint.npz"))
        assert set(ckpt) >= {"model", "optimizer", "epoch"} and ckpt["epoch"] == 2
        # the checkpoint restores the trained model: same test accuracy
        args = train._parse(["--dataset", "moons", "--hidden", "8", "--seed", "1"])
        _, test, n_classes = train.load_data(args)
        fresh = train.build_model(2, [8], n_classes)
        fresh.load_state_dict(ckpt["model"])
        acc = nn.evaluate(fresh, test, metrics="accuracy")
        assert acc == pytest.approx(metrics["test_accuracy"])


def _has_serialization() -> bool:
    try:
        ag.save  # noqa: B018
        return True
    except (AttributeError, ImportError):
        return False


def test_same_seed_same_result(tmp_path, capsys):
    a = train.run(train._parse(["--dataset", "circles", "--epochs", "2", "--quiet",
                                "--out", str(tmp_path / "a")]))
    b = train.run(train._parse(["--dataset", "circles", "--epochs", "2", "--quiet",
                                "--out", str(tmp_path / "b")]))
    assert a["history"] == b["history"] and a["test_accuracy"] == b["test_accuracy"]
    capsys.readouterr()


def test_quiet_prints_only_the_summary_lines(tmp_path, capsys):
    assert train.main(["--dataset", "spirals", "--epochs", "1", "--quiet",
                       "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("test accuracy:")


@pytest.mark.parametrize("args, text", [
    (["--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'"),
    (["--hidden", "64,x"], "--hidden"),
    (["--hidden", "0"], "--hidden"),
    (["--epochs", "0"], "--epochs"),
    (["--epochs", "two"], "--epochs"),
    (["--lr", "-1"], "--lr"),
    (["--batch-size", "0"], "--batch-size"),
    (["--no-such-flag"], "unrecognized arguments"),
])
def test_bad_arguments_one_line_nonzero(args, text, tmp_path, capsys):
    rc = train.main(args + ["--out", str(tmp_path)])
    cap = capsys.readouterr()
    assert rc != 0
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ndgrad-train: error:") and text in err[0]
    assert "Traceback" not in cap.err


def test_missing_mnist_files(tmp_path, capsys):
    rc = train.main(["--dataset", "mnist", "--data-dir", str(tmp_path / "nothing"),
                     "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1
    assert "MNIST training files not found" in err[0] and "--download" in err[0]


def test_unwritable_out_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    rc = train.main(["--dataset", "moons", "--epochs", "1", "--out", str(f / "sub")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1 and "cannot write to --out" in err[0]


def test_module_entry_point_exit_code(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ndgrad.train", "--dataset", "nope"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("ndgrad-train: error: unknown dataset 'nope'; choose one of "
                                   "digits, moons, circles, spirals, mnist")
    assert proc.stdout == ""


def test_without_the_train_extra_it_trains_and_skips_the_pictures(tmp_path, capsys,
                                                                  monkeypatch):
    # `pip install .` without [train]: neither matplotlib nor tqdm can be imported
    for name in ("matplotlib", "matplotlib.pyplot", "tqdm"):
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "run"
    rc = train.main(["--dataset", "moons", "--epochs", "1", "--hidden", "8", "--out", str(out)])
    printed = capsys.readouterr().out
    assert rc == 0
    notes = [ln for ln in printed.splitlines() if "matplotlib" in ln]
    assert notes == ['skipped the pictures: matplotlib is not installed '
                     '(pip install "ndgrad[train]" to get them)']
    assert (out / "metrics.json").exists() and not (out / "curves.png").exists()
    assert not (out / "decision_boundary.png").exists()
    assert "wrote " in printed and "curves.png" not in printed.splitlines()[-1]
    if _has_serialization():
        assert (out / "checkpoint.npz").exists()
