"""Loading, the bytes: reading a checkpoint's header and tensor data from a path or from a binary
stream (several checkpoints may follow each other in one stream), in bounded chunks.

Separate because paths and streams are read differently (a path through safetensors' own
reader, a stream by exactly the bytes its header claims) and both must fail cleanly on a
truncated or lying file.
"""
from __future__ import annotations

import io
import os

from .header import ST_NUMPY_READS, CheckpointError, _decode_header, _name_of, _parse_header

_READ_CHUNK = 64 * 1024 * 1024


def _read_exact(f, n: int, name: str, what: str) -> bytes:
    """Read ``n`` bytes in bounded chunks (a lying header cannot make us allocate ``n`` up front)."""
    parts, got = [], 0
    while got < n:
        chunk = f.read(min(_READ_CHUNK, n - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    if got < n:
        raise CheckpointError(f"checkpoint '{name}' is truncated: header says {n} bytes of {what}, file has {got}")
    return b"".join(parts)


def _read_safetensors_file(path: str):
    """All tensors of a (validated) safetensors file as NumPy arrays. Newer safetensors can read
    with pread(2) instead of mmap, which avoids page-faulting a fresh mapping (about 2x faster)."""
    from safetensors import safe_open
    try:
        f = safe_open(path, framework="np", backend="pread")
    except TypeError:  # safetensors < 0.8 has no backend argument
        from safetensors.numpy import load_file
        return load_file(path)
    with f:
        return f.get_tensors()


def _load_from_path(path: str):
    name = path
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'") from None
    with fh:
        total = os.fstat(fh.fileno()).st_size
        prefix = fh.read(8)
        n = _parse_header(prefix, total, name)
        raw = _read_exact(fh, n, name, "JSON header")
    header, meta, _ = _decode_header(raw, name, total - 8 - n, prefix)
    if not header:
        return header, meta, {}
    try:
        if any(info.get("dtype") not in ST_NUMPY_READS and info.get("dtype") != "BF16" for info in header.values()):
            # the 8-bit floats: safetensors' NumPy reader looks their types up in NumPy, which has none
            with open(path, "rb") as fh:
                fh.seek(8 + n)
                arrays = _arrays_from_bytes(header, fh.read())
        else:
            arrays = _read_safetensors_file(path)
    except Exception as exc:  # the file changed under us, or safetensors disagrees
        raise CheckpointError(f"checkpoint '{name}' could not be read: {exc}") from None
    return header, meta, arrays


def _load_from_stream(f):
    name = _name_of(f)
    remaining = None
    try:
        if f.seekable():
            pos = f.tell()
            remaining = f.seek(0, io.SEEK_END) - pos
            f.seek(pos)
    except (AttributeError, OSError, ValueError):
        remaining = None
    prefix = f.read(8)
    if not isinstance(prefix, (bytes, bytearray, memoryview)):
        raise TypeError("tensorgraft.load: the file object must be opened in binary mode")
    prefix = bytes(prefix)
    if remaining is None and len(prefix) < 8:
        remaining = len(prefix)
    n = _parse_header(prefix, remaining if remaining is not None else (1 << 62), name)
    raw = _read_exact(f, n, name, "JSON header")
    # Read exactly what the header claims (a stream may hold several checkpoints back to back);
    # the claim is checked against the bytes left when the stream can tell, else read in chunks.
    header, meta, end = _decode_header(raw, name, None, prefix)
    if remaining is not None and end > remaining - 8 - n:
        raise CheckpointError(f"checkpoint '{name}' is truncated: header says {end} bytes of tensor data, file has "
                              f"{remaining - 8 - n}")
    data = _read_exact(f, end, name, "tensor data")
    if not header:
        return header, meta, {}
    from safetensors.numpy import load as _load_bytes
    try:
        if any(info.get("dtype") not in ST_NUMPY_READS for info in header.values()):
            arrays = _arrays_from_bytes(header, data)  # safetensors' byte loader has no bfloat16, no 8-bit floats
        else:
            arrays = _load_bytes(prefix + raw + data)
    except Exception as exc:
        raise CheckpointError(f"checkpoint '{name}' could not be read: {exc}") from None
    return header, meta, arrays


def _arrays_from_bytes(header, data) -> dict:
    """The arrays of a checkpoint whose header ``_decode_header`` has validated: each entry is
    its shape's elements, little-endian and C-ordered, at its data offsets (the safetensors format)."""
    import numpy as np

    from .header import _ST_TO_NP
    arrays = {}
    for key, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _ST_TO_NP[info["dtype"]]  # native order: the little-endian machines NumPy wheels target
        flat = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=begin)
        arrays[key] = flat.reshape(info["shape"]).copy()
    return arrays
