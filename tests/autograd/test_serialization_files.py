"""Saving when the file system fights back: kill -9 mid-save, read-only targets, symlinks,
FIFOs and devices, missing folders, file modes, stale temporary files (issue 17)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import autograd.serialization.npz as npz

ROOT = str(Path(__file__).resolve().parents[2])
fcntl = pytest.importorskip("fcntl")  # POSIX: the temp-file locks and the FIFOs


def names(folder) -> list[str]:
    return sorted(os.listdir(folder))


def _child(code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env,
                            stdout=subprocess.PIPE, text=True)


STALL_AT_FSYNC = """
import os, sys, time
import autograd as ag
def stall(fd):  # the data is written; the rename has not happened: kill -9 lands here
    print("writing", flush=True)
    time.sleep(60)
os.fsync = stall
ag.save({"w": ag.zeros(1000)}, sys.argv[1])
"""


def test_kill_9_mid_save_keeps_the_previous_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "ckpt.npz"
    ag.save({"w": ag.ones(1000)}, path)
    before = path.read_bytes()
    proc = _child(STALL_AT_FSYNC, str(path))
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert path.read_bytes() == before                 # the previous file is intact
    stranded = [n for n in names(tmp_path) if n != "ckpt.npz"]
    assert len(stranded) == 1 and stranded[0].startswith(".ckpt.npz.")
    ag.save({"w": ag.full((1000,), 2.0)}, path)
    assert names(tmp_path) == ["ckpt.npz"]             # the killed save's temp file is gone
    assert ag.load(path)["w"].tolist() == [2.0] * 1000


SAVE_FOREVER = """
import sys
import numpy as np
import autograd as ag
w = ag.from_numpy(np.full(1 << 20, float(sys.argv[2]), np.float32))
print("started", flush=True)
while True:
    ag.save({"w": w}, sys.argv[1])
"""


def test_kill_9_at_random_moments_never_breaks_the_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    ag.save({"w": ag.zeros(1 << 20)}, path)
    rng = np.random.default_rng(0)
    for round_ in range(3):
        proc = _child(SAVE_FOREVER, str(path), str(round_ + 1))
        try:
            assert proc.stdout.readline().strip() == "started"
            threading.Event().wait(float(rng.uniform(0.05, 0.3)))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        w = ag.load(path)["w"]                         # always a complete file
        assert w.shape == (1 << 20,) and float(w[0]) in (0.0, 1.0, 2.0, 3.0)
    ag.save({"w": ag.ones(3)}, path)
    assert names(tmp_path) == ["ckpt.npz"]


def test_a_running_save_keeps_its_temp_file_and_look_alikes_stay(tmp_path):
    path = tmp_path / "m.npz"
    live = tmp_path / ".m.npz.abcd1234.tmp"            # another process's save, still writing
    fd = os.open(live, os.O_WRONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    look_alikes = [".m.npz.backup.tmp", ".m.npz2.abcd1234.tmp", "m.npz.abcd1234.tmp",
                   ".m.npz.abcd1234.tmp.keep"]
    for n in look_alikes:
        (tmp_path / n).write_bytes(b"mine")
    try:
        ag.save({"w": ag.ones(2)}, path)
        assert live.exists()
    finally:
        os.close(fd)
    ag.save({"w": ag.ones(2)}, path)                   # the owner died: now it is stale
    assert names(tmp_path) == sorted(look_alikes + ["m.npz"])
    # the temp files that earlier versions made with mkstemp go too
    old = tmp_path / ".m.npz.k3_x9q2z.tmp"
    old.write_bytes(b"PK")
    ag.save({"w": ag.ones(2)}, path)
    assert not old.exists()


def _unprivileged(fn):
    """Run fn() as an ordinary user (forked and setuid to nobody when the tests run as
    root, whom file permissions do not stop); returns (exception type name, message)."""
    if os.geteuid() != 0:
        try:
            fn()
            return None, ""
        except Exception as e:  # noqa: BLE001 - reported to the test
            return type(e).__name__, str(e)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(r)
            os.setgid(65534)
            os.setuid(65534)
            try:
                fn()
                out = "None\n"
            except Exception as e:  # noqa: BLE001
                out = f"{type(e).__name__}\n{e}"
            os.write(w, out.encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    os.waitpid(pid, 0)
    kind, _, msg = out.partition("\n")
    return (None if kind == "None" else kind), msg


@pytest.fixture
def shared_dir():
    """A folder an unprivileged child can enter (tmp_path's parents are root's only)."""
    d = tempfile.mkdtemp(prefix="ndgrad-perm-")
    os.chmod(d, 0o777)
    yield Path(d)
    import shutil
    shutil.rmtree(d, ignore_errors=True)


def test_read_only_target_raises_permission_error(shared_dir):
    path = shared_dir / "ro.npz"
    ag.save({"w": ag.ones(2)}, path)
    os.chmod(path, 0o444)
    before = path.read_bytes()
    kind, msg = _unprivileged(lambda: ag.save({"w": ag.zeros(2)}, str(path)))
    assert kind == "PermissionError" and msg == f"[Errno 13] Permission denied: '{path}'"
    assert path.read_bytes() == before and names(shared_dir) == ["ro.npz"]
    # a new file in a folder the user cannot write: the error names the user's path
    os.chmod(shared_dir, 0o755)
    kind, msg = _unprivileged(lambda: ag.save({"w": ag.zeros(2)}, str(shared_dir / "new.npz")))
    assert kind == "PermissionError" and msg.endswith(f"'{shared_dir / 'new.npz'}'")
    assert ".tmp" not in msg and names(shared_dir) == ["ro.npz"]
    # reading is allowed: the file is readable
    kind, _ = _unprivileged(lambda: ag.load(str(path)))
    assert kind is None


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="root only")
def test_root_overwrites_a_read_only_file_as_open_does_and_its_mode_stays(tmp_path):
    path = tmp_path / "ro.npz"
    ag.save({"w": ag.ones(2)}, path)
    os.chmod(path, 0o444)
    ag.save({"w": ag.zeros(2)}, path)  # PyTorch (open(..., "wb")) succeeds for root too
    assert ag.load(path)["w"].tolist() == [0.0, 0.0]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444


def test_symlinks_are_written_through(tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "real.npz"
    ag.save({"w": ag.ones(2)}, real)
    link = tmp_path / "latest.npz"
    link.symlink_to(os.path.join("runs", "real.npz"))     # relative, into another folder
    chain = tmp_path / "chain.npz"
    chain.symlink_to("latest.npz")
    ag.save({"w": ag.full((2,), 3.0)}, chain)
    assert link.is_symlink() and chain.is_symlink()
    assert ag.load(real)["w"].tolist() == [3.0, 3.0] == ag.load(link)["w"].tolist()
    assert names(tmp_path / "runs") == ["real.npz"] and "latest.npz" in names(tmp_path)
    dangling = tmp_path / "new.safetensors"
    dangling.symlink_to("target.safetensors")
    ag.save({"w": ag.ones(1)}, dangling)                  # creates the target, as open() does
    assert dangling.is_symlink() and (tmp_path / "target.safetensors").is_file()


def _in_thread(fn) -> BaseException | None:
    out: list = []

    def run():
        try:
            fn()
            out.append(None)
        except BaseException as e:  # noqa: BLE001
            out.append(e)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(20)
    assert out, "blocked"
    return out[0]


def test_fifos_devices_and_folders_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    for target, kind in ((str(fifo), "FIFO"), ("/dev/null", "character device")):
        err = _in_thread(lambda t=target: ag.save({"w": ag.ones(2)}, t))
        assert type(err) is OSError and kind in str(err) and repr(target) in str(err)
        err = _in_thread(lambda t=target: ag.load(t))
        assert type(err) is OSError and kind in str(err)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert names(tmp_path) == ["pipe.npz"]
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(IsADirectoryError, match=r"\[Errno 21\] Is a directory: '.*d.npz'"):
        ag.save({}, tmp_path / "d.npz")


def test_missing_folder_names_the_users_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match=r"^Parent directory nodir does not exist\.$"):
        ag.save({"w": ag.ones(2)}, "nodir/model.npz")
    (tmp_path / "to_nowhere.npz").symlink_to("gone/model.npz")
    with pytest.raises(FileNotFoundError, match=r"No such file or directory: 'to_nowhere.npz'"):
        ag.save({"w": ag.ones(2)}, "to_nowhere.npz")
    assert names(tmp_path) == ["to_nowhere.npz"]
    with pytest.raises(FileNotFoundError, match=r"^\[Errno 2\] No such file or directory: "
                                                r"'missing.pt'$"):
        ag.load("missing.pt")


def test_errors_match_pytorch(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    for call in (lambda m: m.save(m.ones(2), "nodir/x.pt"), lambda m: m.load("missing.pt"),
                 lambda m: m.load(".")):
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(Exception) as ours:
            call(ag)
        assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_new_files_follow_the_umask(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        ag.save({"w": ag.ones(2)}, tmp_path / "new.npz")
        ag.save({"w": ag.ones(2)}, tmp_path / "new.safetensors")
    finally:
        os.umask(old)
    for n in ("new.npz", "new.safetensors"):
        assert stat.S_IMODE(os.stat(tmp_path / n).st_mode) == expected


def test_an_existing_files_mode_is_kept(tmp_path):
    path = tmp_path / "m.npz"
    for mode in (0o600, 0o640, 0o755):
        ag.save({"w": ag.ones(2)}, path)
        os.chmod(path, mode)
        ag.save({"w": ag.zeros(2)}, path)
        assert stat.S_IMODE(os.stat(path).st_mode) == mode


def test_a_failing_save_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    ag.save({"w": ag.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"cannot store obj\['m'\] of type Foo"):
        ag.save({"m": type("Foo", (), {})()}, path)     # refused before anything is written

    def broken(fileobj, arrays):
        fileobj.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")
    monkeypatch.setattr(npz, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        ag.save({"w": ag.zeros(3)}, path)
    assert path.read_bytes() == before and names(tmp_path) == ["model.npz"]
    with pytest.raises(TypeError, match="use .npz|as .npz"):
        ag.save({"model": {"w": ag.ones(1)}}, tmp_path / "model.safetensors")
    assert names(tmp_path) == ["model.npz"]


def test_the_suffix_chooses_the_format(tmp_path):
    sd = {"w": ag.ones(2)}
    for name in ("a.npz", "a.pt", "a.pth", "a.tar", "a.ckpt", "a.bin", "noext", "A.NPZ"):
        ag.save(sd, tmp_path / name)
        assert (tmp_path / name).read_bytes()[:2] == b"PK", name
        assert ag.load(tmp_path / name)["w"].tolist() == [1.0, 1.0]
    ag.save(sd, tmp_path / "a.safetensors")
    assert (tmp_path / "a.safetensors").read_bytes()[8:9] == b"{"
    for name, hint in (("a.onnx", "autograd.onnx.export"), ("a.npy", ".npz"),
                       ("a.safetensor", ".safetensors"), ("a.h5", "unknown file suffix '.h5'")):
        with pytest.raises(ValueError, match="unknown file suffix") as e:
            ag.save(sd, tmp_path / name)
        assert hint in str(e.value) and name in str(e.value)
        assert not (tmp_path / name).exists()
    # loading goes by the content: a safetensors file under another name loads too
    os.replace(tmp_path / "a.safetensors", tmp_path / "weights.bin")
    assert ag.load(tmp_path / "weights.bin")["w"].tolist() == [1.0, 1.0]
    os.replace(tmp_path / "a.npz", tmp_path / "renamed.safetensors")
    assert ag.load(tmp_path / "renamed.safetensors")["w"].tolist() == [1.0, 1.0]


def test_long_names_and_bytes_paths(tmp_path):
    long = tmp_path / ("m" * 250 + ".npz")              # 254 bytes: the longest names work
    ag.save({"w": ag.ones(2)}, long)
    ag.save({"w": ag.zeros(2)}, long)
    assert ag.load(long)["w"].tolist() == [0.0, 0.0] and names(tmp_path) == [long.name]
    raw = os.fsencode(tmp_path / "b.npz")
    ag.save({"w": ag.ones(2)}, raw)
    assert ag.load(raw)["w"].tolist() == [1.0, 1.0]
