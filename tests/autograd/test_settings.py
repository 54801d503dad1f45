"""Global switches (autograd/settings.py): deterministic algorithms, float32 matmul
precision, threads and print options, compared with PyTorch when it is installed."""

from __future__ import annotations

import pytest

import autograd as ag

from . import torch_oracle

STEPS = [   # (statements, expression), run in order in one namespace
    ("", "torch.get_float32_matmul_precision()"),
    ("", "torch.are_deterministic_algorithms_enabled()"),
    ("torch.use_deterministic_algorithms(True)", "torch.are_deterministic_algorithms_enabled()"),
    ("", "torch.is_deterministic_algorithms_warn_only_enabled()"),
    ("torch.use_deterministic_algorithms(False)", "torch.use_deterministic_algorithms('x')"),
    ("", "torch.set_float32_matmul_precision('bad')"),
    ("torch.set_float32_matmul_precision('high')", "torch.get_float32_matmul_precision()"),
    ("torch.set_float32_matmul_precision('highest')", "torch.set_num_threads(0)"),
    ("x = torch.tensor([1.123456789, 2e-5, 300.5]); torch.set_printoptions(precision=2)",
     "str(x)"),
    ("", "str(torch.tensor(3.14159))"),
    ("torch.set_printoptions(precision=6)", "str(x)"),
    ("torch.set_printoptions(sci_mode=False)", "str(x)"),
    ("torch.set_printoptions(profile='default')", "str(x)"),
    ("torch.set_printoptions(threshold=5)", "str(torch.arange(10.))"),
    ("torch.set_printoptions(edgeitems=1)", "str(torch.arange(10.))"),
    ("torch.set_printoptions(profile='full')", "str(torch.arange(10.))"),
    ("torch.set_printoptions(profile='short')", "str(torch.arange(10.) / 3)"),
    ("torch.set_printoptions(profile='default', linewidth=30)", "str(torch.arange(20.) / 3)"),
    ("torch.set_printoptions(profile='default')", "str(torch.arange(20.) / 3)"),
]


@pytest.fixture
def restore_settings():
    yield
    ag.set_printoptions(profile="default")
    ag.use_deterministic_algorithms(False)
    ag.set_float32_matmul_precision("highest")


def test_settings_match_pytorch(restore_settings):
    torch = pytest.importorskip("torch")
    ns = torch_oracle.namespaces()
    try:
        for stmts, expr in STEPS:
            for n in ns:
                exec(stmts, n)   # noqa: S102 - test code
            torch_oracle.check(expr, ns=ns)
    finally:
        torch.set_printoptions(profile="default")
        torch.use_deterministic_algorithms(False)
        torch.set_float32_matmul_precision("highest")


def test_printoptions(restore_settings):
    x = ag.tensor([1.0 / 3, 2.0])
    ag.set_printoptions(precision=2)
    assert str(x) == "tensor([0.33, 2.00])"
    ag.set_printoptions(profile="default")
    assert str(x) == "tensor([0.3333, 2.0000])"
    ag.set_printoptions(threshold=4, edgeitems=1)
    assert str(ag.arange(10)) == "tensor([0,  ..., 9])"   # (PyTorch's spacing)


def test_switches_are_kept(restore_settings):
    ag.use_deterministic_algorithms(True, warn_only=True)
    assert ag.are_deterministic_algorithms_enabled()
    assert ag.is_deterministic_algorithms_warn_only_enabled()
    ag.set_float32_matmul_precision("medium")
    assert ag.get_float32_matmul_precision() == "medium"
    with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
        ag.set_float32_matmul_precision("low")
    assert ag.get_float32_matmul_precision() == "medium" and ag.get_num_threads() >= 1
