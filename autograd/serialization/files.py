"""The file side of saving and loading: atomic writes and careful opens.

Saving writes a temporary file next to the target, flushes and syncs it, and renames it over
the target, so a save that dies half way leaves the previous file intact. The temporary file
is locked while it is written; a save that was killed leaves an unlocked one behind, and the
next save of the same target removes it. Symlinks are written through (the link stays, its
target changes, as with `open()`); a read-only target raises PermissionError; the file keeps
its mode (a new one gets the umask's); anything but a regular file is refused.

Loading opens only regular files (a FIFO or a device would block or never end), without
following the path twice, and names the path the user gave in every error.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from collections.abc import Callable
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # not on Windows: there an open file cannot be removed anyway
    fcntl = None

_KINDS = ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO (named pipe)"),
          (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
          (stat.S_ISSOCK, "socket"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "special file")


def _os_error(cls: type[OSError], code: int, path: str) -> OSError:
    """The error `open()` raises, e.g. `PermissionError: [Errno 13] Permission denied: 'p'`."""
    return cls(code, os.strerror(code), path)


def _refuse_special(mode: int, path: str, who: str) -> None:
    if stat.S_ISDIR(mode):
        raise _os_error(IsADirectoryError, errno.EISDIR, path)
    if not stat.S_ISREG(mode):
        raise OSError(f"{who}: {path!r} is a {_kind(mode)}, not a regular file; checkpoints "
                      "are read from and written to regular files only")


# ---- reading ----------------------------------------------------------------------------

def open_regular(path: str, who: str = "autograd.load") -> BinaryIO:
    """Open `path` for reading if it is a regular file (a FIFO or device is refused without
    blocking); FileNotFoundError/PermissionError name `path` as given."""
    _refuse_special(os.stat(path).st_mode, path, who)  # devices are never even opened
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_BINARY", 0))
    try:
        _refuse_special(os.fstat(fd).st_mode, path, who)  # the file may have been swapped
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# ---- writing ----------------------------------------------------------------------------

def write_atomic(path, write: Callable[[BinaryIO], None], who: str = "autograd.save") -> None:
    """Call `write(fileobj)` on a temporary file and rename it over `path` once complete."""
    user_path = os.fsdecode(path)
    parent = os.path.dirname(user_path)
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")  # PyTorch's words
    target = os.path.realpath(user_path)  # through symlinks, as open() goes
    folder, base = os.path.split(target)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        mode = None  # a new file: the umask decides, as for open()
        if not os.path.isdir(folder):  # a dangling symlink into a missing folder
            raise _os_error(FileNotFoundError, errno.ENOENT, user_path) from None
    else:
        _refuse_special(st.st_mode, user_path, who)
        if not os.access(target, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
            raise _os_error(PermissionError, errno.EACCES, user_path)
        mode = stat.S_IMODE(st.st_mode)
    _remove_stale_temps(folder, base)
    try:
        fd, tmp = _locked_temp(folder, base)
    except OSError as e:  # name the user's path, not the temporary one
        raise _os_error(type(e), e.errno or errno.EIO, user_path) from None
    try:
        with os.fdopen(fd, "wb") as fh:  # the lock lasts until the rename is done
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(folder)


def _temp_pattern(base: str) -> re.Pattern:
    # mkstemp's alphabet too, so that temp files of earlier versions are cleaned up as well
    return re.compile(r"\." + re.escape(base[:_BASE_MAX]) + r"\.[a-z0-9_]{8}\.tmp")


_BASE_MAX = 200  # of the target's name in a temporary file's (names end at 255 bytes)


def _locked_temp(folder: str, base: str) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | \
        getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".{base[:_BASE_MAX]}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: unlocked, so never seen as stale
            return fd, tmp
        if os.fstat(fd).st_nlink:  # not removed by another save before we locked it
            return fd, tmp
        os.close(fd)


def _remove_stale_temps(folder: str, base: str) -> None:
    """Remove temporary files of `base` that no live save holds locked (a killed save's)."""
    if fcntl is None:
        return
    pattern = _temp_pattern(base)
    try:
        names = [n for n in os.listdir(folder) if pattern.fullmatch(n)]
    except OSError:
        return
    for name in names:
        p = os.path.join(folder, name)
        try:
            fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: a save is running
                if os.stat(p, follow_symlinks=False).st_ino == st.st_ino:
                    os.unlink(p)
        except OSError:
            pass
        finally:
            os.close(fd)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (where folders can be opened and synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Budget:
    """The bytes a load may still produce (`max_bytes`), checked before each read."""

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit, self.left = name, limit, limit

    def take(self, nbytes: int, what: str) -> None:
        if nbytes > self.left:
            raise bad_file(self.name, f"{what} needs {nbytes:,} bytes, more than max_bytes="
                                      f"{self.limit:,} allows; pass a larger max_bytes= to "
                                      "autograd.load if you trust this file")
        self.left -= nbytes


def bad_file(name: str, what: str) -> ValueError:
    """The error for a file that cannot be loaded: it names the file and what is wrong."""
    return ValueError(f"autograd.load: cannot load {name!r}: {what}")
