"""The character-level job (python -m ndgrad.train --task chars): tiny runs in-process for
each model, its outputs, the checkpoint, sampling, and bad arguments; the text corpora."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

import autograd as ag
from autograd.data import load_text
from ndgrad import chars, train
from ndgrad.models import GPT, Bigram, CharLSTM, GPTConfig, generate

TINY = ["--iters", "6", "--eval-interval", "3", "--eval-iters", "2", "--batch-size", "4",
        "--samples", "3", "--quiet"]


@pytest.mark.parametrize("model,extra", [
    ("gpt", ["--n-layer", "1", "--n-head", "2", "--n-embd", "8", "--block-size", "8"]),
    ("lstm", ["--n-embd", "8", "--hidden", "8", "--block-size", "8"]),
    ("bigram", ["--block-size", "8"]),
])
def test_tiny_names_run_writes_outputs(tmp_path, capsys, model, extra):
    out = tmp_path / model
    rc = train.main(["--task", "chars", "--dataset", "names", "--model", model,
                     "--out", str(out), *TINY, *extra])
    assert rc == 0
    printed = capsys.readouterr().out
    assert f"{model} on names: train loss" in printed and "--- generated names ---" in printed
    names = (out / "samples.txt").read_text().split()
    assert len(names) == 3 and all(n.isalpha() and n.islower() for n in names)
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == model and metrics["history"]["iter"] == [0, 3, 6]
    assert 1.0 < metrics["val_loss"] < 4.0
    ckpt = ag.load(str(out / "checkpoint.npz"))
    assert ckpt["vocab"] == "\nabcdefghijklmnopqrstuvwxyz" and ckpt["iter"] == 6
    # the checkpoint restores the model: same loss on the same batch
    args = chars.resolve(chars.build_parser().parse_args(["--dataset", "names", "--model",
                                                            model, *extra]))
    data = chars.CharData(load_text("names"), shuffle_lines=True)
    fresh = chars.build_model(args, data.vocab_size)
    fresh.load_state_dict(ckpt["model"])
    x, y = data.batch("val", 4, 8, np.random.default_rng(0))
    assert fresh(x, y)[1].item() < 4.0


def test_shakespeare_gpt_tiny_run_and_same_seed_same_result(tmp_path, capsys):
    argv = ["--task", "chars", "--n-layer", "1", "--n-embd", "16", "--block-size", "16",
            *TINY]
    a = train.main([*argv, "--out", str(tmp_path / "a")])
    b = train.main([*argv, "--out", str(tmp_path / "b")])
    assert a == b == 0
    ma = json.loads((tmp_path / "a" / "metrics.json").read_text())
    mb = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert ma["history"] == mb["history"]
    assert (tmp_path / "a" / "samples.txt").read_text() == \
        (tmp_path / "b" / "samples.txt").read_text()
    assert len((tmp_path / "a" / "samples.txt").read_text()) == 4   # 3 characters + newline
    capsys.readouterr()


@pytest.mark.parametrize("argv,msg", [
    (["--dataset", "poems"], "unknown dataset 'poems' for --task chars"),
    (["--model", "rnn"], "unknown model 'rnn'"),
    (["--n-embd", "10", "--n-head", "4"], "--n-embd (10) must be divisible by --n-head (4)"),
    (["--lr", "0"], "--lr must be > 0"),
    (["--temperature", "-1"], "--temperature must be > 0"),
    (["--iters", "0"], "--iters must be >= 1"),
])
def test_bad_arguments(argv, msg, capsys):
    assert train.main(["--task", "chars", *argv]) == 2
    assert msg in capsys.readouterr().err


def test_unknown_task(capsys):
    assert train.main(["--task", "poetry"]) == 2
    assert "unknown task 'poetry'" in capsys.readouterr().err


def test_lr_schedule_warms_up_then_decays():
    args = chars.resolve(chars.build_parser().parse_args(["--lr", "1e-3", "--iters", "1000",
                                                          "--warmup", "100"]))
    lrs = [chars.lr_at(i, args) for i in range(1000)]
    assert lrs[0] < lrs[50] < lrs[99] <= 1e-3
    assert max(lrs) == pytest.approx(1e-3, rel=1e-2)
    assert lrs[-1] == pytest.approx(1e-4, rel=1e-2) and all(a >= b for a, b in
                                                             zip(lrs[100:], lrs[101:]))


def test_generate_is_seeded_and_respects_top_k():
    ag.manual_seed(0)
    m = GPT(GPTConfig(block_size=4, vocab_size=10, n_layer=1, n_head=1, n_embd=8))
    start = ag.zeros(2, 1, dtype=ag.int64)
    a = generate(m, start, 9, generator=ag.Generator().manual_seed(3))
    b = generate(m, start, 9, generator=ag.Generator().manual_seed(3))
    assert a.shape == (2, 10) and a.tolist() == b.tolist()   # longer than the block size
    assert m.training
    # top_k=1 is greedy: the argmax of the logits at every step
    g = generate(m, start[:1], 5, top_k=1, generator=ag.Generator().manual_seed(4))
    with ag.no_grad():
        m.eval()
        for t in range(1, 6):
            ctx = g[:, max(0, t - 4):t]
            assert g[0, t].item() == m(ctx)[0][0, -1].argmax().item()
    with pytest.raises(ValueError, match="temperature must be > 0"):
        generate(m, start, 1, temperature=0.0)
    for model in (CharLSTM(10, 4, 6), Bigram(10)):
        assert generate(model, start, 3).shape == (2, 4)


def test_gpt_matches_nanogpt_layout():
    m = GPT(GPTConfig(block_size=8, vocab_size=12, n_layer=2, n_head=2, n_embd=8))
    keys = list(m.state_dict())
    assert keys[:3] == ["transformer.wte.weight", "transformer.wpe.weight",
                        "transformer.h.0.ln_1.weight"]
    assert "lm_head.weight" in keys and "transformer.h.1.attn.c_attn.weight" in keys
    assert m.transformer.wte.weight is m.lm_head.weight     # tied
    with pytest.raises(ValueError, match="block size is only 8"):
        m(ag.zeros(1, 9, dtype=ag.int64))


def test_text_corpora():
    s = load_text("shakespeare")
    assert len(s) == 1115394 and len(set(s)) == 65
    assert hashlib.md5(s.encode()).hexdigest() == "6fb458f1232090904fb40fe944165e91"
    names = load_text("names")
    assert hashlib.md5(names.encode()).hexdigest() == "401b3c4cac9e28a586ed15e81256680d"
    assert len(names.split()) == 32033
    with pytest.raises(ValueError, match="unknown corpus 'poems'"):
        load_text("poems")
