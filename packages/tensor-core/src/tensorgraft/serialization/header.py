"""The safetensors file format as tensorgraft reads and writes it: its constants (the header size
limit, the key and version of tensorgraft's metadata document), the safetensors dtype codes and
their NumPy dtypes, :class:`CheckpointError`, and the validation of a file's 8-byte length and
JSON header.

Separate because it is the one place that knows the on-disk layout: saving and loading both use
its tables, and a corrupt or foreign file is judged here from its header alone, before any tensor
memory is allocated.
"""
from __future__ import annotations

import os
import struct

import ml_dtypes
import numpy as np

MAX_HEADER_BYTES = 100 * 1024 * 1024
_META_KEY = "tensorgraft"
_FORMAT_VERSION = 2  # 2: every tensor record has its storage offset and strides (1: none, each its own values)
_READ_VERSIONS = (1, 2)
_MAX_NDIM = 64

# safetensors dtype codes <-> NumPy dtypes (only what tensorgraft can hold)
_ST_TO_NP = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8), "I16": np.dtype(np.int16),
    "I32": np.dtype(np.int32), "I64": np.dtype(np.int64), "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32), "F64": np.dtype(np.float64), "C64": np.dtype(np.complex64),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "U16": np.dtype(np.uint16), "U32": np.dtype(np.uint32), "U64": np.dtype(np.uint64),
    # (the safetensors library's names for ml_dtypes' 8-bit floats)
    "F8_E4M3": np.dtype(ml_dtypes.float8_e4m3fn), "F8_E5M2": np.dtype(ml_dtypes.float8_e5m2),
    "F8_E8M0": np.dtype(ml_dtypes.float8_e8m0fnu), "F8_E4M3FNUZ": np.dtype(ml_dtypes.float8_e4m3fnuz),
    "F8_E5M2FNUZ": np.dtype(ml_dtypes.float8_e5m2fnuz),
}
# (safetensors' 6-bit floats, one per byte, are known codes that no tensor dtype holds)
_ST_ITEMSIZE = {**{code: d.itemsize for code, d in _ST_TO_NP.items()}, "F6_E2M3": 1, "F6_E3M2": 1}
# codes safetensors.numpy's own loader reads (the others: ml_dtypes types it has no table entry for)
ST_NUMPY_READS = frozenset({"BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "F32", "F64", "C64", "U16", "U32", "U64"})
_NP_TO_ST = {v: k for k, v in _ST_TO_NP.items() if k != "C64"}
_COMPLEX_PARTS = {"complex64": "F32", "complex128": "F64"}


class CheckpointError(RuntimeError):
    """A checkpoint file that is truncated, corrupt or not a safetensors checkpoint."""


def _name_of(f) -> str:
    if isinstance(f, (str, bytes, os.PathLike)):
        return os.fsdecode(f)
    n = getattr(f, "name", None)
    return n if isinstance(n, str) else f"<{type(f).__name__}>"


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


# PyTorch's torch.save files: a zip archive (1.6+), or the legacy stream, which starts with a
# protocol-2 pickle of this magic number. Told apart here, from the first bytes, so that loading a
# tensorgraft checkpoint never imports the PyTorch reader (``pytorch_files``, zipfile and pickle).
_ZIP_MAGIC = b"PK\x03\x04"
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PREFIX = b"\x80\x02\x8a\x0a" + _LEGACY_MAGIC.to_bytes(10, "little")
# The legacy format's first pickle, the magic number, as each ``pickle_protocol`` torch.save accepts
# writes it: protocol 2 (the default) above, 3 the same with its own PROTO byte, 4 and 5 inside a
# FRAME of its 13 bytes, 0 and 1 as the text LONG opcode.
_LEGACY_PREFIXES = (
    _LEGACY_PREFIX,
    b"\x80\x03" + _LEGACY_PREFIX[2:],
    *(b"\x80" + bytes([proto]) + b"\x95" + (len(_LEGACY_PREFIX) - 1).to_bytes(8, "little") + _LEGACY_PREFIX[2:]
      for proto in (4, 5)),
    b"L%dL\n" % _LEGACY_MAGIC,
)
PREFIX_BYTES = max(map(len, _LEGACY_PREFIXES))  # how many first bytes ``is_pytorch_file`` needs


def is_pytorch_file(prefix: bytes) -> bool:
    """Whether a file starting with ``prefix`` (its first ``PREFIX_BYTES`` bytes) is a PyTorch
    ``torch.save`` file: a zip archive, or the legacy format's magic-number pickle."""
    return prefix.startswith(_ZIP_MAGIC) or prefix.startswith(_LEGACY_PREFIXES)


def _foreign_hint(prefix: bytes) -> str:
    """What a file that is not safetensors probably is (only used once its header failed to parse)."""
    if prefix[:4] == b"PK\x03\x04":
        return " (it is a zip archive)"
    if prefix[:1] == b"\x80" and prefix[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return (" (it looks like a pickle file, but not one written by torch.save; tensorgraft.load reads only "
                "tensorgraft/safetensors checkpoints and PyTorch's torch.save files)")
    return ""


def _parse_header(prefix: bytes, total: int, name: str):
    """Validate the 8-byte length and JSON header; ``total`` = bytes available (file size).
    Returns (header dict, header length, tensor-data length)."""
    if total == 0:
        raise CheckpointError(f"checkpoint '{name}' is empty (0 bytes)")
    if total < 8:
        raise CheckpointError(f"checkpoint '{name}' is truncated: a safetensors file starts with an 8-byte header "
                              f"length, file has {total} bytes")
    (n,) = struct.unpack("<Q", prefix[:8])
    if n > MAX_HEADER_BYTES:
        raise CheckpointError(f"checkpoint '{name}' is corrupt or not a safetensors file{_foreign_hint(prefix)}: "
                              f"header length {n} bytes exceeds the {MAX_HEADER_BYTES // (1024 * 1024)} MB limit")
    if n < 2:
        raise CheckpointError(f"checkpoint '{name}' is corrupt or not a safetensors file: header length {n} bytes")
    if 8 + n > total:
        raise CheckpointError(f"checkpoint '{name}' is truncated{_foreign_hint(prefix)}: header says {n} bytes of "
                              f"JSON header, file has {total - 8} bytes after the length field")
    return n


def _decode_header(raw: bytes, name: str, data_len, prefix: bytes = b""):
    import json
    if raw[:1] != b"{":
        raise CheckpointError(f"checkpoint '{name}' is corrupt or not a safetensors file{_foreign_hint(prefix)}: "
                              "header does not start with a JSON object")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"checkpoint '{name}' is corrupt: its header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in meta.items())):
        raise CheckpointError(f"checkpoint '{name}' is corrupt: __metadata__ must map strings to strings")
    spans = []
    for key, info in header.items():
        bad = f"checkpoint '{name}' is corrupt: entry {key!r} "
        if not isinstance(info, dict):
            raise CheckpointError(bad + "is not a JSON object")
        code, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if code not in _ST_ITEMSIZE:
            raise CheckpointError(bad + f"has an unknown dtype {code!r}")
        if code not in _ST_TO_NP:
            raise CheckpointError(f"checkpoint '{name}': entry {key!r} has dtype {code}, which tensorgraft does not "
                                  "support (supported: " + ", ".join(_ST_TO_NP) + ")")
        if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
                or not all(type(s) is int and s >= 0 for s in shape)):
            raise CheckpointError(bad + f"has an invalid shape {shape!r}")
        if (not isinstance(offs, list) or len(offs) != 2 or not all(type(o) is int for o in offs)
                or not 0 <= offs[0] <= offs[1]):
            raise CheckpointError(bad + f"has invalid data_offsets {offs!r}")
        nbytes = _prod(shape) * _ST_ITEMSIZE[code]
        if offs[1] - offs[0] != nbytes:
            raise CheckpointError(bad + f"has shape {shape} of {code} ({nbytes} bytes) but data_offsets "
                                  f"{offs} span {offs[1] - offs[0]} bytes")
        spans.append((offs[0], offs[1], key))
    spans.sort()
    end = 0
    for b, e, key in spans:
        if b != end:
            raise CheckpointError(f"checkpoint '{name}' is corrupt: entry {key!r} starts at byte {b} of the tensor "
                                  f"data, expected {end} (tensor data must be contiguous and non-overlapping)")
        end = e
    if data_len is None:
        return header, meta or {}, end
    if end > data_len:
        raise CheckpointError(f"checkpoint '{name}' is truncated: header says {end} bytes of tensor data, file has "
                              f"{data_len}")
    if end < data_len:
        raise CheckpointError(f"checkpoint '{name}' is corrupt: header says {end} bytes of tensor data, file has "
                              f"{data_len} (unexpected trailing bytes)")
    return header, meta or {}, end
