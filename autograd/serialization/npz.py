"""The `.npz` checkpoint: any checkpoint as a numpy archive, with no pickle.

The object's structure (dicts, lists, tuples, numbers, strings, None, dtypes, and where
each tensor or array goes) is a JSON string stored as the archive's `__autograd_structure__`
entry; each tensor or array is one plain `.npy` entry. A plain `.npz` of arrays (from
`np.savez`) loads as a dict of tensors.

Reading trusts nothing in the file: each entry's `.npy` header is parsed here, only known
dtypes are accepted, its declared size must match the bytes the archive holds, the total
must fit in the caller's byte budget before anything is inflated, and only the entries
the structure refers to are read.
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np
import numpy.lib.format as npy

from .. import dtypes
from ..tensor import Tensor, _make
from .files import Budget, bad_file
from .tensor_classes import CLASS_BY_NAME, NAME_BY_CLASS

STRUCT = "__autograd_structure__"
_FORMAT = 1
MAX_DEPTH = 100        # containers nested deeper than this are refused on save and on load
_ARRAY_KINDS = "biufcSU"  # numpy arrays in a checkpoint: numbers, bools, strings
_CHUNK = 1 << 16

# ---- saving ------------------------------------------------------------------------------

class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.memo: dict[int, str] = {}
        self.path: set[int] = set()   # containers being encoded: a cycle is an error

    def _store(self, obj, arr: np.ndarray, where: str) -> str:
        key = self.memo.get(id(obj))
        if key is None:
            if arr.dtype.kind not in _ARRAY_KINDS or arr.dtype.names is not None:
                raise TypeError(f"autograd.save: cannot store {where}, an array of dtype "
                                f"{arr.dtype} (numbers, bools and strings are stored, never "
                                "Python objects)")
            key = f"a{len(self.arrays)}"
            self.arrays[key] = arr
            self.memo[id(obj)] = key
        return key

    def encode(self, obj: Any, where: str = "obj", depth: int = 0) -> Any:
        if obj is None or isinstance(obj, (bool, int, str)):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"__type__": "float", "v": repr(obj)}
        if isinstance(obj, Tensor):
            node = {"__type__": "tensor", "requires_grad": bool(obj._rg),
                    "ref": self._store(obj, np.asarray(obj._data, order="C"), where)}
            if type(obj) in NAME_BY_CLASS:
                node["class"] = NAME_BY_CLASS[type(obj)]
            return node
        if isinstance(obj, np.ndarray):
            return {"__type__": "ndarray", "ref": self._store(obj, obj, where)}
        if isinstance(obj, np.generic):
            return {"__type__": "npscalar", "ref": self._store(obj, np.asarray(obj), where)}
        if isinstance(obj, dtypes.dtype):
            return {"__type__": "dtype", "name": obj.name}
        if not isinstance(obj, (tuple, list, dict)):
            raise TypeError(f"autograd.save: cannot store {where} of type "
                            f"{type(obj).__name__}; checkpoints hold tensors, numpy arrays, "
                            "numbers, strings, bools, None and dicts/lists/tuples of them "
                            "(save a module's state_dict(), not the module)")
        if id(obj) in self.path or depth >= MAX_DEPTH:
            raise ValueError(f"autograd.save: cannot store {where}: it contains itself or is "
                             f"nested more than {MAX_DEPTH} levels deep")
        self.path.add(id(obj))
        try:
            return self._container(obj, where, depth + 1)
        finally:
            self.path.discard(id(obj))

    def _container(self, obj, where: str, depth: int) -> Any:
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]", depth) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"__type__": "tuple",
                    "items": [self.encode(v, f"{where}[{i}]", depth) for i, v in enumerate(obj)]}
        keys = list(obj.keys())
        for k in keys:
            if not (k is None or isinstance(k, (bool, int, float, str, tuple))):
                raise TypeError(f"autograd.save: cannot store dict key {k!r} of type "
                                f"{type(k).__name__} in {where}")
        return {"__type__": "odict" if isinstance(obj, OrderedDict) else "dict",
                "keys": [self.encode(k, where, depth) for k in keys],
                "values": [self.encode(obj[k], f"{where}[{k!r}]", depth) for k in keys]}


def encode(obj: Any) -> dict[str, np.ndarray]:
    """The archive's entries for `obj` (raises TypeError/ValueError for what cannot be
    stored, before anything is written)."""
    enc = _Encoder()
    structure = enc.encode(obj)
    arrays = dict(enc.arrays)
    arrays[STRUCT] = np.array(json.dumps({"format": _FORMAT, "obj": structure}))
    return arrays


def write(fileobj: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    np.savez(fileobj, **arrays)


# ---- reading -----------------------------------------------------------------------------

def _tensor_dtype(dt: np.dtype) -> bool:
    return dt.newbyteorder("=") in dtypes._FROM_NP


def read_array(fh: BinaryIO, size: int, what: str, name: str, budget: Budget,
               tensor: bool) -> np.ndarray:
    """The array in the `.npy` stream `fh` of `size` bytes: header checked, dtype known
    (a tensor dtype when `tensor`), size declared == size held, budget taken, then read."""
    try:
        version = npy.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dt = npy.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dt = npy.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except (ValueError, TypeError, SyntaxError, RecursionError) as e:
        raise bad_file(name, f"{what} is not a valid .npy array ({e})") from None
    if dt.hasobject:
        raise bad_file(name, f"{what} holds Python objects (dtype {dt}); unpickling can run "
                             "arbitrary code, and this engine never does it")
    if dt.names is not None or dt.subdtype is not None or dt.kind not in _ARRAY_KINDS or \
            (tensor and not _tensor_dtype(dt)):
        allowed = ", ".join(d.name for d in dtypes._ALL) if tensor else \
            "numbers, bools and strings"
        raise bad_file(name, f"{what} has dtype {dt}, which this engine does not load "
                             f"(supported: {allowed})")
    if not all(isinstance(s, int) and s >= 0 for s in shape):
        raise bad_file(name, f"{what} declares an invalid shape {shape}")
    nbytes = math.prod(shape) * dt.itemsize
    held = size - fh.tell()
    if held != nbytes:
        state = "is truncated" if held < nbytes else "has a lying header"
        raise bad_file(name, f"{what} {state}: its header declares shape {tuple(shape)} of "
                             f"{dt} ({nbytes:,} bytes) but it holds {held:,} bytes")
    budget.take(nbytes, what)
    buf = np.empty(nbytes, np.uint8)
    view, got = memoryview(buf), 0
    while got < nbytes:  # in small chunks, which stay in the CPU's cache on their way
        n = fh.readinto(view[got:got + _CHUNK])
        if not n:
            raise bad_file(name, f"{what} is truncated: {got:,} of {nbytes:,} bytes read")
        got += n
    arr = buf.view(dt) if nbytes else np.empty(0, dt)
    arr = arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)
    if fortran or not dt.isnative:
        arr = arr.astype(dt.newbyteorder("="), order="C")
    return arr


def is_pytorch_zip(names: list[str]) -> bool:
    return any(n == "data.pkl" or n.endswith("/data.pkl") or n.endswith("constants.pkl")
               for n in names)


class _Archive:
    """The `.npy` entries of an open zip archive, read on demand under one budget."""

    def __init__(self, zf: zipfile.ZipFile, name: str, budget: Budget) -> None:
        self.zf, self.name, self.budget = zf, name, budget
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            key = info.filename[:-4] if info.filename.endswith(".npy") else None
            if key is None or key in self.infos:
                what = "holds a non-array entry" if key is None else "holds twice the entry"
                raise bad_file(name, f"it is a zip archive but not an .npz of arrays ({what} "
                                     f"{info.filename!r})")
            self.infos[key] = info
        self.cache: dict[str, np.ndarray] = {}

    def array(self, key: str, tensor: bool) -> np.ndarray:
        arr = self.cache.get(key)
        what = f"entry {key!r}"
        if arr is None:
            info = self.infos.get(key)
            if info is None:
                raise bad_file(self.name, f"the checkpoint refers to a missing entry {key!r}")
            try:
                with self.zf.open(info) as fh:
                    arr = read_array(fh, info.file_size, what, self.name, self.budget, tensor)
            except (zipfile.BadZipFile, EOFError, zlib.error, OSError, RuntimeError,
                    NotImplementedError) as e:
                raise bad_file(self.name, f"{what} is damaged ({e})") from None
            self.cache[key] = arr
        elif tensor and not _tensor_dtype(arr.dtype):
            raise bad_file(self.name, f"{what} has dtype {arr.dtype}, which is not a tensor "
                                      "dtype")
        return arr


def read_archive(fh: BinaryIO, name: str, budget: Budget) -> Any:
    """Load an `.npz` file: a checkpoint with its structure, or a plain dict of arrays."""
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise bad_file(name, f"it is a damaged or truncated zip archive ({e})") from None
    with zf:
        names = zf.namelist()
        if is_pytorch_zip(names):
            raise bad_file(name, pytorch_checkpoint(
                "a PyTorch checkpoint (torch.save's zip of pickles)"))
        archive = _Archive(zf, name, budget)
        if STRUCT not in archive.infos:
            return {k: _make(archive.array(k, tensor=True)) for k in archive.infos}
        text = archive.array(STRUCT, tensor=False)
        if text.dtype.kind != "U" or text.shape != ():
            raise bad_file(name, f"its {STRUCT} entry is not a string")
        try:
            meta = json.loads(str(text[()]))
        except (ValueError, RecursionError) as e:
            raise bad_file(name, f"its structure is not valid JSON or is nested too deeply "
                                 f"({type(e).__name__}: {e})") from None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT or "obj" not in meta:
            raise bad_file(name, "it has an unknown checkpoint format")
        return _Decoder(archive).decode(meta["obj"], 0)


def pytorch_checkpoint(what: str) -> str:
    return (f"it is {what}: pickle checkpoints are not loaded, since unpickling can run "
            "arbitrary code. Save the weights from PyTorch with safetensors instead "
            "(safetensors.torch.save_file(model.state_dict(), 'model.safetensors')) and load "
            "that file here")


class _Decoder:
    def __init__(self, archive: _Archive) -> None:
        self.archive, self.name = archive, archive.name
        self.tensors: dict[tuple, Tensor] = {}

    def _malformed(self, what: str) -> ValueError:
        return bad_file(self.name, f"its structure is malformed ({what})")

    def _field(self, node: dict, key: str, types):
        value = node.get(key)
        if not isinstance(value, types):
            raise self._malformed(f"a {node['__type__']!r} entry has no valid {key!r}")
        return value

    def decode(self, node: Any, depth: int) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if depth >= MAX_DEPTH:
            raise self._malformed(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, list):
            return [self.decode(v, depth + 1) for v in node]
        if not isinstance(node, dict) or not isinstance(node.get("__type__"), str):
            raise self._malformed(f"unexpected {type(node).__name__} entry")
        kind = node["__type__"]
        if kind in ("dict", "odict"):
            keys, values = self._field(node, "keys", list), self._field(node, "values", list)
            if len(keys) != len(values):
                raise self._malformed(f"a dict with {len(keys)} keys and {len(values)} values")
            try:
                items = [(_key(self.decode(k, depth + 1)), self.decode(v, depth + 1))
                         for k, v in zip(keys, values)]
                return OrderedDict(items) if kind == "odict" else dict(items)
            except TypeError as e:
                raise self._malformed(f"unusable dict key ({e})") from None
        if kind == "tuple":
            return tuple(self.decode(v, depth + 1) for v in self._field(node, "items", list))
        if kind == "float":
            try:
                return float(self._field(node, "v", str))
            except ValueError:
                raise self._malformed(f"a float entry holds {node['v']!r}") from None
        if kind == "dtype":
            d = dtypes._BY_NAME.get(self._field(node, "name", str))
            if d is None:
                raise self._malformed(f"unknown dtype {node['name']!r}")
            return d
        if kind == "ndarray":
            return self.archive.array(self._field(node, "ref", str), tensor=False)
        if kind == "npscalar":
            return self.archive.array(self._field(node, "ref", str), tensor=False)[()]
        if kind == "tensor":
            return self._tensor(node)
        raise self._malformed(f"unknown entry type {kind!r}")

    def _tensor(self, node: dict) -> Tensor:
        ref = self._field(node, "ref", str)
        rg = self._field(node, "requires_grad", bool) if "requires_grad" in node else False
        cls_name = "Parameter" if node.get("parameter") is True else node.get("class")
        memo_key = (ref, rg, cls_name)
        t = self.tensors.get(memo_key)
        if t is None:
            t = _make(self.archive.array(ref, tensor=True))
            cls = CLASS_BY_NAME.get(cls_name) if isinstance(cls_name, str) else None
            try:
                t = cls(t, requires_grad=rg) if cls is not None else t.requires_grad_(rg)
            except RuntimeError as e:
                raise self._malformed(f"entry {ref!r}: {e}") from None
            self.tensors[memo_key] = t
        return t


def _key(k):
    return tuple(k) if isinstance(k, list) else k
