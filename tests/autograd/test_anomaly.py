"""detect_anomaly / set_detect_anomaly: the first backward rule that returns NaN names its
node, the forward op and the user's line that created it."""

import contextlib
import inspect
import threading
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import anomaly

THIS_FILE = __file__


def lineno_of(fn, text: str) -> int:
    """Line number (in this file) of the first line of `fn` that contains `text`."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


@pytest.fixture(autouse=True)
def _anomaly_off():
    yield
    anomaly._enabled[0] = False
    anomaly._check_nan_flag[0] = True


@contextlib.contextmanager
def quiet():
    """Silence numpy's divide warnings and anomaly's own UserWarnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# -- switching it on and off ------------------------------------------------------------

def test_detect_anomaly_warns_on_entry_and_restores():
    assert not ag.is_anomaly_enabled()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled. This mode will "
                                         "increase the runtime and should only be enabled for "
                                         "debugging."):
        cm = ag.detect_anomaly()
    with cm:
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()


def test_set_detect_anomaly_call_and_context_manager():
    ag.set_detect_anomaly(True)
    assert ag.is_anomaly_enabled()
    with ag.set_detect_anomaly(False):
        assert not ag.is_anomaly_enabled()
    assert ag.is_anomaly_enabled()
    ag.set_detect_anomaly(False)
    assert not ag.is_anomaly_enabled()
    with ag.set_detect_anomaly(True, check_nan=False):
        assert ag.is_anomaly_enabled() and not anomaly.is_anomaly_check_nan_enabled()
    assert anomaly.is_anomaly_check_nan_enabled()


def test_anomaly_mode_is_global_across_threads():
    seen = []
    with ag.set_detect_anomaly(True):
        t = threading.Thread(target=lambda: seen.append(ag.is_anomaly_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_off_by_default_costs_no_stack_capture(monkeypatch):
    def boom():
        raise AssertionError("stack captured while anomaly mode is off")
    monkeypatch.setattr(anomaly, "_capture", boom)
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    y = (x.sqrt() * 0).sum()
    assert y.grad_fn._trace is None
    with quiet():
        y.backward()  # NaN gradient, silently, as in PyTorch without anomaly mode
    assert np.isnan(x.grad.numpy()[0])


# -- NaN detection ------------------------------------------------------------------------

def sqrt_times_zero(x):
    return (x.sqrt() * 0).sum()  # sqrt'(0) = g / (2 * 0) = 0 / 0


def test_sqrt_at_zero_names_node_forward_op_and_line():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    ag.set_detect_anomaly(True)
    y = sqrt_times_zero(x)
    line = lineno_of(sqrt_times_zero, "x.sqrt()")
    with pytest.warns(UserWarning, match="Error detected in SqrtBackward0. Traceback of forward "
                                         "call that caused the error:") as rec, \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        with pytest.raises(RuntimeError) as err:
            y.backward()
    msg = str(err.value)
    assert msg.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert "forward op was Sqrt" in msg
    assert f"{THIS_FILE}:{line}" in msg and "x.sqrt()" in msg
    tb = str(rec[0].message)
    assert f'File "{THIS_FILE}", line {line}, in sqrt_times_zero' in tb
    assert "test_sqrt_at_zero_names_node_forward_op_and_line" in tb  # the caller too
    assert "/autograd/ops/" not in tb  # the package's own frames are left out
    assert rec[0].filename == THIS_FILE  # the warning points at the backward() call


def test_log_zero_times_zero():
    with quiet():
        with ag.detect_anomaly():
            x = ag.tensor([0.0, 2.0], requires_grad=True)
            y = x.log() * 0
            with pytest.raises(RuntimeError, match="Function 'LogBackward0' returned nan values "
                                                   "in its 0th output. The forward op was Log"):
                y.sum().backward()


def test_div_reports_the_input_slot():
    with quiet(), ag.detect_anomaly():
        a = ag.tensor(0.0, requires_grad=True)
        b = ag.tensor(0.0, requires_grad=True)
        with pytest.raises(RuntimeError, match="Function 'DivBackward0' returned nan values in "
                                               "its 1th output."):
            (a / b).backward()  # d/da = 1/0 = inf (not checked), d/db = -0/0 = nan


def test_inf_is_not_an_anomaly():
    with quiet(), ag.detect_anomaly():
        x = ag.tensor([0.0, 1.0], requires_grad=True)
        x.sqrt().sum().backward()
    assert np.isinf(x.grad.numpy()[0])


def test_check_nan_false_only_records():
    with quiet(), ag.detect_anomaly(check_nan=False):
        x = ag.tensor([0.0, 1.0], requires_grad=True)
        y = sqrt_times_zero(x)
        assert y.grad_fn._trace  # traces still recorded
        y.backward()
    assert np.isnan(x.grad.numpy()[0])


def test_create_graph_path_is_checked_too():
    with quiet(), ag.detect_anomaly():
        x = ag.tensor([0.0, 1.0], dtype=ag.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            ag.grad(sqrt_times_zero(x), x, create_graph=True)


def test_op_created_before_enabling_says_so():
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    y = sqrt_times_zero(x)
    with quiet(), ag.detect_anomaly():
        with pytest.raises(RuntimeError, match="created before anomaly mode was enabled"):
            y.backward()


def mlp_forward(x, params):
    (W1, b1), (W2, b2), (W3, b3) = params
    h = (x @ W1 + b1).relu()
    norm = (h * h).sum(1, keepdim=True).sqrt()  # 0 for a sample whose units are all off
    h = h / (norm + 1.0)
    h = (h @ W2 + b2).tanh()
    return (h @ W3 + b3).sum()


def test_nan_deep_inside_an_mlp():
    rng = np.random.default_rng(0)
    params = [(ag.tensor(np.abs(rng.standard_normal((4, 5))), requires_grad=True),
               ag.zeros(5, requires_grad=True)),
              (ag.tensor(rng.standard_normal((5, 3)), requires_grad=True),
               ag.zeros(3, requires_grad=True)),
              (ag.tensor(rng.standard_normal((3, 1)), requires_grad=True),
               ag.zeros(1, requires_grad=True))]
    x = ag.tensor(np.concatenate([np.abs(rng.standard_normal((2, 4))),
                                  -np.ones((1, 4))]))  # the last sample switches every unit off
    line = lineno_of(mlp_forward, "norm = ")
    with quiet():
        loss = mlp_forward(x, params)
        loss.backward()  # anomaly mode off: the NaN silently reaches the weights
    assert np.isfinite(loss.item()) and np.isnan(params[0][0].grad.numpy()).any()
    with quiet(), ag.detect_anomaly():
        loss = mlp_forward(x, params)
        with pytest.raises(RuntimeError) as err:
            loss.backward()
    msg = str(err.value)
    assert "returned nan values in its 0th output" in msg
    assert msg.split("'")[1] in ("SqrtBackward0", "MulBackward0")
    assert f"{THIS_FILE}:{line}" in msg


# -- errors inside backward and custom Functions ------------------------------------------

class NanBackward(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * float("nan")


class Broken(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        raise ValueError("broken backward")


def test_custom_function_nan_and_error():
    with quiet(), ag.detect_anomaly():
        x = ag.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="Function 'NanBackwardBackward' returned nan"):
            NanBackward.apply(x).sum().backward()
    x = ag.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with ag.detect_anomaly():
            y = Broken.apply(x).sum()
    with pytest.warns(UserWarning, match="Error detected in BrokenBackward"):
        with pytest.raises(ValueError, match="broken backward"):
            with ag.set_detect_anomaly(True):
                y.backward()


def test_inplace_error_hint_under_anomaly():
    with quiet(), ag.detect_anomaly():
        x = ag.tensor([1.0, 2.0], requires_grad=True)
        y = x.sigmoid()
        y.add_(1)
        with pytest.raises(RuntimeError, match="Good luck!"):
            y.sum().backward()
