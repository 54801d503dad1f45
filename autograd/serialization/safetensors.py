"""`.safetensors` files: state dicts in the weight format PyTorch and Hugging Face share.

Written and read with the `safetensors` package's numpy API. A file holds a flat
`{name: tensor}` dict (a `state_dict()`), so a model's weights move to and from PyTorch
with the same keys: `safetensors.torch.load_file` reads what `autograd.save` wrote, and
`autograd.load` reads what `safetensors.torch.save_file` wrote. The header is checked here
first (its size, its JSON, each tensor's dtype), so a broken or unsupported file gets an
error that names the file and the tensor at fault.
"""

from __future__ import annotations

import io
import json
import os
import struct
from typing import Any, BinaryIO

import numpy as np

from ..tensor import Tensor, _make
from .files import Budget, bad_file

METADATA = {"format": "pt"}  # what PyTorch-side writers (transformers) put in the header
_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8,
           "I16": np.int16, "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_}
_MAX_HEADER = 100 * 1024 * 1024  # the safetensors package's own limit


def encode(obj: Any) -> dict[str, np.ndarray]:
    """The arrays of a flat dict of tensors; anything else raises, naming the key."""
    if not isinstance(obj, dict):
        raise TypeError(f"autograd.save: a .safetensors file holds a dict of tensors (a "
                        f"state_dict), not a {type(obj).__name__}; save other objects as .npz")
    arrays = {}
    for k, v in obj.items():
        if not isinstance(k, str) or k == "__metadata__":
            raise TypeError(f"autograd.save: cannot store the key {k!r} in a .safetensors file: "
                            "tensor names are strings other than '__metadata__'; use .npz")
        if not isinstance(v, Tensor):
            raise TypeError(f"autograd.save: cannot store {k!r} in a .safetensors file: it is "
                            f"of type {type(v).__name__}, and a .safetensors file holds only "
                            "tensors (a state_dict); save nested dicts, optimizer states and "
                            "other values as .npz")
        arrays[k] = np.asarray(v._data, order="C")  # (ascontiguousarray makes 0-d 1-d)
    return arrays


def write(fileobj: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    import safetensors.numpy
    fileobj.write(safetensors.numpy.save(arrays, metadata=METADATA))


def looks_like(head: bytes, size: int) -> bool:
    """Whether a file starting with `head` (its first 9+ bytes) is laid out as safetensors:
    an 8-byte header length that fits the file, then a JSON object."""
    return len(head) >= 9 and 2 <= struct.unpack("<Q", head[:8])[0] <= size - 8 and \
        head[8:9] == b"{"


def read(fh: BinaryIO, size: int, name: str, budget: Budget) -> dict[str, Tensor]:
    """Load a safetensors file (an open file or a BytesIO) as a dict of tensors, in the
    file's order."""
    if size < 8:
        raise bad_file(name, f"it is too short ({size} bytes) to be a safetensors file")
    (n,) = struct.unpack("<Q", fh.read(8))
    if n > min(size - 8, _MAX_HEADER):
        raise bad_file(name, f"it is not a valid safetensors file: its header length {n:,} "
                             f"does not fit in the file ({size:,} bytes)")
    try:
        header = json.loads(fh.read(n))
    except (ValueError, RecursionError) as e:
        raise bad_file(name, f"it is not a valid safetensors file: its header is not valid "
                             f"JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad_file(name, "it is not a valid safetensors file: its header is not a JSON "
                             "object")
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(entry, dict):
            raise bad_file(name, f"it is not a valid safetensors file: its header entry for "
                                 f"{key!r} is not a JSON object")
        dtype = entry.get("dtype")
        if dtype == "BF16":
            raise bad_file(name, f"tensor {key!r} is bfloat16, which numpy (and so this engine) "
                                 "cannot hold; convert it in PyTorch first (.float() or "
                                 ".half()) and save again")
        if dtype not in _DTYPES:
            raise bad_file(name, f"tensor {key!r} has dtype {dtype!r}, which this engine does "
                                 f"not load (supported: {' '.join(_DTYPES)})")
    budget.take(size - 8 - n, "its tensor data")
    import safetensors
    import safetensors.numpy
    try:
        if isinstance(fh, io.BytesIO):
            arrays = safetensors.numpy.load(fh.getvalue())
        else:  # the file we checked, by its descriptor where the system names one (Linux)
            fd_path = f"/proc/self/fd/{fh.fileno()}"
            with safetensors.safe_open(fd_path if os.path.exists(fd_path) else fh.name,
                                       framework="np") as f:
                arrays = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (no __iter__)
    except safetensors.SafetensorError as e:
        raise bad_file(name, f"it is not a valid safetensors file ({e})") from None
    return {k: _make(_writable(arrays[k])) for k in header if k != "__metadata__"}


def _writable(arr: np.ndarray) -> np.ndarray:
    return arr if arr.flags.writeable else arr.copy()
