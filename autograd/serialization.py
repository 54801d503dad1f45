"""`autograd.save` / `autograd.load`: checkpoints as numpy `.npz` files, with no pickle.

The object's structure (dicts, lists, tuples, numbers, strings, None, and where each
tensor goes) is stored as a JSON string inside the archive; each tensor or array is one
plain numeric array. Loading never unpickles, so it never runs code from the file.
Saving is atomic: a temporary file in the target's folder is written, flushed, synced to
disk and then renamed over the target, so a save that dies half way leaves the previous
file intact.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from .tensor import Tensor, _make

__all__ = ["save", "load"]

_STRUCT = "__autograd_structure__"
_FORMAT = 1


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.memo: dict[int, str] = {}

    def _store(self, obj, arr: np.ndarray) -> str:
        key = self.memo.get(id(obj))
        if key is None:
            if arr.dtype.kind in "OV" or arr.dtype.hasobject:
                raise TypeError(f"autograd.save: cannot store an array of dtype {arr.dtype} "
                                "(only numeric, bool and string arrays are stored, never "
                                "Python objects)")
            key = f"a{len(self.arrays)}"
            self.arrays[key] = arr
            self.memo[id(obj)] = key
        return key

    def encode(self, obj: Any, where: str = "obj") -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return {"__type__": "float", "v": repr(obj)} if obj != obj or obj in (
                float("inf"), float("-inf")) else obj
        if isinstance(obj, Tensor):
            from_param = type(obj).__name__ == "Parameter"
            ref = self._store(obj, np.asarray(obj._data, order="C"))
            return {"__type__": "tensor", "ref": ref, "requires_grad": bool(obj._rg),
                    "parameter": from_param}
        if isinstance(obj, np.ndarray):
            return {"__type__": "ndarray", "ref": self._store(obj, obj)}
        if isinstance(obj, np.generic):
            return {"__type__": "npscalar", "ref": self._store(obj, np.asarray(obj))}
        if isinstance(obj, tuple):
            return {"__type__": "tuple",
                    "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, dict):
            keys = list(obj.keys())
            for k in keys:
                if not (k is None or isinstance(k, (bool, int, float, str, tuple))):
                    raise TypeError(f"autograd.save: cannot store dict key {k!r} of type "
                                    f"{type(k).__name__} in {where}")
            return {"__type__": "odict" if isinstance(obj, OrderedDict) else "dict",
                    "keys": [self.encode(k, where) for k in keys],
                    "values": [self.encode(obj[k], f"{where}[{k!r}]") for k in keys]}
        from .dtypes import dtype as _dtype
        if isinstance(obj, _dtype):
            return {"__type__": "dtype", "name": str(obj)}
        raise TypeError(f"autograd.save: cannot store {where} of type {type(obj).__name__}; "
                        "checkpoints hold tensors, numpy arrays, numbers, strings, bools, None "
                        "and dicts/lists/tuples of them (save a module's state_dict(), not the "
                        "module)")


def _decode(node: Any, arrays, memo: dict) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, memo) for v in node]
    if not isinstance(node, dict) or "__type__" not in node:
        raise ValueError("autograd.load: the checkpoint's structure is malformed")
    kind = node["__type__"]
    if kind in ("dict", "odict"):
        items = [(_key(_decode(k, arrays, memo)), _decode(v, arrays, memo))
                 for k, v in zip(node["keys"], node["values"])]
        return OrderedDict(items) if kind == "odict" else dict(items)
    if kind == "tuple":
        return tuple(_decode(v, arrays, memo) for v in node["items"])
    if kind == "float":
        return float(node["v"])
    if kind == "dtype":
        from . import dtypes
        return getattr(dtypes, node["name"].split(".")[-1])
    ref = node.get("ref")
    if ref not in arrays:
        raise ValueError(f"autograd.load: the checkpoint refers to a missing array {ref!r}")
    if kind == "ndarray":
        return arrays[ref]
    if kind == "npscalar":
        return arrays[ref][()]
    if kind == "tensor":
        key = (ref, node.get("parameter", False))
        if key in memo:
            return memo[key]
        t = _make(arrays[ref])
        if node.get("parameter"):
            from nn.parameter import Parameter
            t = Parameter(t, requires_grad=node.get("requires_grad", True))
        elif node.get("requires_grad"):
            t.requires_grad_(True)
        memo[key] = t
        return t
    raise ValueError(f"autograd.load: unknown entry type {kind!r} in the checkpoint")


def _key(k):
    return tuple(k) if isinstance(k, list) else k


def _write(fileobj, arrays: dict) -> None:
    np.savez(fileobj, **arrays)


def save(obj: Any, f, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save `obj` (tensors, arrays, numbers, strings, None, and dicts/lists/tuples of
    them: state dicts, optimizer states, whole checkpoints) to the `.npz` file at exactly
    the path `f` (or to a writable binary file object). Atomic for paths."""
    enc = _Encoder()
    structure = enc.encode(obj)
    arrays = dict(enc.arrays)
    arrays[_STRUCT] = np.array(json.dumps({"format": _FORMAT, "obj": structure}))
    if hasattr(f, "write"):
        _write(f, arrays)
        return
    path = os.fspath(f)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write(fh, arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap=None, **kwargs) -> Any:
    """Load what `save` wrote. Never unpickles: a file holding object arrays (pickled
    Python objects) is refused before anything in it is run. A plain `.npz` of arrays
    (from `np.savez`) loads as a dict of tensors."""
    if weights_only is False:
        raise ValueError("autograd.load never unpickles, so weights_only=False is not "
                         "supported: checkpoints hold only tensors, arrays and plain data")
    name = f if not hasattr(f, "read") else getattr(f, "name", "<file object>")
    if hasattr(f, "read"):
        f = io.BytesIO(f.read())
    try:
        data = np.load(f, allow_pickle=False)
    except ValueError as e:
        raise ValueError(f"autograd.load: {name} is not a checkpoint this engine can read "
                         f"safely ({e}); files holding pickled Python objects are refused, "
                         "since unpickling can run arbitrary code") from None
    except (OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"autograd.load: {name} is not an .npz checkpoint ({e})") from None
    if isinstance(data, np.ndarray):
        return _make(data)
    with data:
        arrays = {}
        for k in data.files:
            try:
                arrays[k] = data[k]
            except ValueError as e:
                raise ValueError(
                    f"autograd.load: refusing to load {name}: entry {k!r} holds Python objects "
                    f"({e}); unpickling can run arbitrary code, and this engine never does it"
                ) from None
    if _STRUCT not in arrays:
        return {k: _make(v) for k, v in arrays.items()}
    meta = json.loads(str(arrays.pop(_STRUCT)[()]))
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise ValueError(f"autograd.load: {name} has an unknown checkpoint format")
    return _decode(meta["obj"], arrays, {})
