"""`autograd.save` / `autograd.load`: checkpoints and weights in files that never run code.

The suffix of the path chooses the format:

- `.npz` (also PyTorch's customary `.pt`, `.pth`, `.tar`, `.ckpt`, `.bin`, or no suffix):
  any checkpoint (state dicts, optimizer states, epochs, nested dicts/lists/tuples) as a
  numpy archive with no pickle (`npz.py`).
- `.safetensors`: a state dict in the weight format PyTorch and Hugging Face share, through
  the `safetensors` package (`safetensors.py`).

Any other suffix is an error. Loading goes by the file's content and refuses what it
cannot read safely: pickles (PyTorch's own checkpoints) are named as such and never
unpickled, every size is checked against `max_bytes` before it is read. Saves are atomic
(`files.py`): a save that dies half way leaves the previous file intact.
"""

from __future__ import annotations

import io
import os
from typing import Any

from .files import Budget, bad_file, open_regular, write_atomic
from .tensor_classes import register_tensor_class

__all__ = ["save", "load", "register_tensor_class"]

_NPZ_SUFFIXES = ("", ".npz", ".pt", ".pth", ".tar", ".ckpt", ".bin")
_MIN_LIMIT = 1 << 30  # the default max_bytes: the file's own size, and at least 1 GiB


def _format(path: str):
    """The format module for `path`'s suffix."""
    from . import npz, safetensors
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".safetensors":
        return safetensors
    if suffix in _NPZ_SUFFIXES:
        return npz
    hint = "; ONNX files are written by autograd.onnx.export" if suffix == ".onnx" else ""
    raise ValueError(f"autograd.save: unknown file suffix {suffix!r} in {path!r}: the suffix "
                     "chooses the format, .safetensors (a state_dict, shared with PyTorch) or "
                     ".npz (any checkpoint; PyTorch's .pt, .pth, .tar, .ckpt and .bin names "
                     f"give .npz too){hint}")


def save(obj: Any, f, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save `obj` to the file at exactly the path `f` (or to a writable binary file object,
    as `.npz`), in the format its suffix names. Everything is checked before anything is
    written, and the previous file stays intact until the new one is complete."""
    if hasattr(f, "write"):
        from . import npz
        npz.write(f, npz.encode(obj))
        return
    fmt = _format(os.fsdecode(f))
    arrays = fmt.encode(obj)
    write_atomic(f, lambda fh: fmt.write(fh, arrays))


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap=None, max_bytes: int | None = None, **pickle_load_args) -> Any:
    """Load what `save` wrote (or a `.safetensors` file PyTorch wrote, or a plain `.npz` or
    `.npy` of arrays) from a path or a readable binary file object. Never unpickles.

    `max_bytes` bounds the bytes of array data the file may expand to, checked before any
    of it is read; the default is the file's own size or 1 GiB, whichever is larger (so
    only a compressed archive that inflates past 1 GiB needs it raised).

    `weights_only` changes nothing: what `save` writes is only tensors, arrays and plain
    data, and a pickle is refused either way (`weights_only=False` does not unpickle)."""
    if hasattr(f, "read"):
        name = str(getattr(f, "name", "<file object>"))
        fh = io.BytesIO(f.read())
        path = name
    else:
        path = name = os.fsdecode(f)
        fh = open_regular(path)
    with fh:
        size = fh.seek(0, io.SEEK_END)
        fh.seek(0)
        return _read(fh, size, path, name, max_bytes)


def _read(fh, size: int, path: str, name: str, max_bytes: int | None) -> Any:
    from ..tensor import _make
    from . import npz, safetensors
    limit = max(size, _MIN_LIMIT) if max_bytes is None else max_bytes
    budget = Budget(name, limit)
    head = fh.read(64)
    fh.seek(0)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return npz.read_archive(fh, name, budget)
    if head.startswith(b"\x93NUMPY"):
        return _make(npz.read_array(fh, size, "its array", name, budget, tensor=True))
    if path.lower().endswith(".safetensors") or safetensors.looks_like(head, size):
        return safetensors.read(fh, size, name, budget)
    raise bad_file(name, _not_a_checkpoint(head, size))


def _not_a_checkpoint(head: bytes, size: int) -> str:
    """What a file that is neither an archive, an array nor safetensors seems to be."""
    if size == 0:
        return "it is empty (0 bytes), not a checkpoint"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        from .npz import pytorch_checkpoint
        return pytorch_checkpoint("a pickle (a legacy PyTorch checkpoint, or pickle.dump)")
    text = not any(b < 32 and b not in b"\t\n\r\f" or b == 127 for b in head)
    what = "a text file" if text else f"a file of unknown content (it starts with {head[:8]!r})"
    return (f"it is {what}, not a checkpoint: autograd.load reads .npz checkpoints, "
            ".safetensors files and .npy arrays")
