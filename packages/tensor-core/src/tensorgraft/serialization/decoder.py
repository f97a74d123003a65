"""Loading, the structure: validating the JSON document of a checkpoint (its tensor table against
the safetensors header, then every node) and rebuilding the saved object from it.

Separate because it is the mirror of ``encoder``: every tag the encoder writes is checked and
built here, and nothing is built before the whole document has been checked.
"""
from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device_cls
from ..sparse.coo_data import SparseCOOData
from ..tensor import Size, Tensor, wrap
from .encoder import _contiguous
from .header import _COMPLEX_PARTS, _NP_TO_ST, CheckpointError, _prod
from .location_registry import has_packages
from .values import (
    _DEFAULTDICT_FACTORIES, _NP_ONLY_UINTS, _argparse_namespace, _path_classes, _raw_numpy_dtype, _time_classes,
)


class _Decoder:
    def __init__(self, header, records, name, version: int = 2):
        self.header = header
        self.records = records
        self.name = name
        self.version = version  # 1: a record is its entry's values; 2: a view (offset, strides) of its entry
        self.tensors = None
        # (module, qualified name) -> Tensor subclass, for "Tc" nodes: under weights_only, the
        # allow-listed classes (nothing is imported); otherwise filled by importing on first use
        self.classes = {}

    def err(self, what):
        return CheckpointError(f"checkpoint '{self.name}' is corrupt: {what}")

    def check_records(self):
        if not isinstance(self.records, list):
            raise self.err("tensor table is not a list")
        fields = 6 if self.version == 1 else 8
        for i, r in enumerate(self.records):
            if not (isinstance(r, list) and len(r) == fields and isinstance(r[0], str) and isinstance(r[1], str)
                    and isinstance(r[2], list) and all(type(s) is int for s in r[2]) and isinstance(r[3], str)
                    and isinstance(r[4], bool) and r[5] in ("t", "nd", "param", "ndb")):
                raise self.err(f"tensor record {i} is malformed")
            if self.version == 1:
                r.extend((0, None))  # (each version-1 record is its entry, whole)
            elif not (type(r[6]) is int and r[6] >= 0 and isinstance(r[7], list) and len(r[7]) == len(r[2])
                      and all(type(s) is int and s >= 0 for s in r[7]) and all(s >= 0 for s in r[2])):
                raise self.err(f"tensor record {i} has an invalid storage offset {r[6]!r} or strides {r[7]!r}")
            storage, dname, shape, dev, _, _, offset, stride = r
            entry = self.header.get(storage)
            if entry is None:
                raise self.err(f"tensor record {i} refers to a missing entry {storage!r}")
            if r[5] == "ndb":  # a NumPy array kept as its bytes
                dt = _raw_numpy_dtype(dname)
                if dt is None:
                    raise self.err(f"tensor record {i} has an unknown dtype {dname!r}")
                if entry["dtype"] != "U8" or entry["shape"] != [_prod(shape) * dt.itemsize] or \
                        any(s < 0 for s in shape):
                    raise self.err(f"tensor record {i} ({dname}{shape}) does not match entry {storage!r} "
                                   f"({entry['dtype']}{entry['shape']})")
                r[7] = None
                continue
            d = _dt._BY_NAME.get(dname)
            if d is None:
                raise self.err(f"tensor record {i} has an unknown dtype {dname!r}")
            if dname in _COMPLEX_PARTS:
                want_code, elements = _COMPLEX_PARTS[dname], entry["shape"][:-1]
                ok = entry["shape"][-1:] == [2]
            else:
                want_code, elements, ok = _NP_TO_ST[d.np], entry["shape"], True
            if stride is None or (offset == 0 and shape == elements and stride == _contiguous(shape)):
                ok = ok and shape == elements
                r[7] = None  # the entry itself, whole: no view to make when loading
            elif ok and _prod(shape):  # a view: every element it reaches lies inside the entry
                ok = offset + sum((n - 1) * s for n, s in zip(shape, stride)) < _prod(elements)
            else:
                ok = ok and offset <= _prod(elements)
            if entry["dtype"] != want_code or not ok:
                where = "" if r[7] is None else f" at offset {offset} with strides {stride}"
                raise self.err(f"tensor record {i} ({dname}{shape}{where}) does not match entry {storage!r} "
                               f"({entry['dtype']}{entry['shape']})")
            try:
                _device_cls(dev)
            except Exception:
                # (a package registered with register_package may tag tensors with its own words)
                if not (isinstance(dev, str) and has_packages()):
                    raise self.err(f"tensor record {i} has an invalid device {dev!r}") from None

    def check(self, node, depth=0):
        """Validate the whole structure before anything is built."""
        if depth > 500:
            raise self.err("structure is nested too deeply")
        if node is None or isinstance(node, (bool, int, float, str)):
            return
        if not isinstance(node, list) or not node or not isinstance(node[0], str):
            raise self.err(f"unexpected structure node {str(node)[:80]}")
        tag, args = node[0], node[1:]
        ok = True
        if tag == "T":
            ok = len(args) == 1 and type(args[0]) is int and 0 <= args[0] < len(self.records)
        elif tag == "Tc":  # a tensor of a Tensor subclass: [tensor node, module, qualified name]
            ok = (len(args) == 3 and isinstance(args[0], list) and args[0][:1] in (["T"], ["spcoo"])
                  and all(isinstance(a, str) and a for a in args[1:]))
            if ok:
                self.check(args[0], depth + 1)
        elif tag == "Ta":  # a tensor and the Python attributes set on it
            ok = (len(args) == 2 and isinstance(args[0], list) and args[0][:1] in (["T"], ["spcoo"], ["Tc"])
                  and isinstance(args[1], list)
                  and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and p[0].isidentifier()
                          for p in args[1]))
            if ok:
                self.check(args[0], depth + 1)
                for _, v in args[1]:
                    self.check(v, depth + 1)
        elif tag in ("l", "t", "s", "fs"):
            ok = len(args) == 1 and isinstance(args[0], list)
            if ok:
                for v in args[0]:
                    self.check(v, depth + 1)
        elif tag == "ns":
            ok = len(args) == 1 and isinstance(args[0], list) and all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in args[0])
            if ok:
                for _, v in args[0]:
                    self.check(v, depth + 1)
        elif tag == "time":
            ok = len(args) == 2 and args[0] in {c.__name__ for c in _time_classes()} and (
                isinstance(args[1], list) and len(args[1]) == 3 and all(type(v) is int for v in args[1])
                if args[0] == "timedelta" else isinstance(args[1], str))
        elif tag == "path":
            ok = len(args) == 2 and args[0] in {c.__name__ for c in _path_classes()} and isinstance(args[1], str)
        elif tag in ("d", "od", "ctr", "dd"):
            if tag == "dd":  # the default_factory's name comes first
                ok = len(args) == 2 and (args[0] is None or args[0] in _DEFAULTDICT_FACTORIES)
                args = args[1:]
            if tag == "od" and len(args) == 2:  # a state_dict's _metadata comes last
                self.check(args[1], depth + 1)
                args = args[:1]
            ok = ok and len(args) == 1 and isinstance(args[0], list) and all(
                isinstance(p, list) and len(p) == 2 for p in args[0])
            if ok:
                for k, v in args[0]:
                    self.check(k, depth + 1)
                    self.check(v, depth + 1)
        elif tag == "spcoo":
            ok = self.check_sparse_coo(args)
        elif tag == "spcmp":  # (the arrays' invariants are checked when the tensor is built)
            ok = (len(args) == 6 and args[0] in ("sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc")
                  and all(isinstance(a, list) and len(a) == 2 and a[0] == "T" and type(a[1]) is int
                          and 0 <= a[1] < len(self.records) for a in args[1:4])
                  and isinstance(args[4], list) and all(type(n) is int and n >= 0 for n in args[4])
                  and isinstance(args[5], bool))
        elif tag == "f":
            ok = len(args) == 1 and args[0] in ("nan", "inf", "-inf")
        elif tag == "c":
            ok = len(args) == 2
            if ok:
                self.check(args[0], depth + 1)
                self.check(args[1], depth + 1)
        elif tag == "dt":
            ok = len(args) == 1 and args[0] in _dt._BY_NAME
        elif tag == "dev":
            ok = len(args) == 1 and isinstance(args[0], str)
        elif tag == "sz":
            ok = len(args) == 1 and isinstance(args[0], list) and all(type(s) is int for s in args[0])
        elif tag in ("b", "ba"):
            ok = len(args) == 1 and isinstance(args[0], str)
        elif tag == "np":
            ok = len(args) == 2 and args[0] in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16",
                                                "float32", "float64", "complex64", "complex128") + _NP_ONLY_UINTS
            if ok:
                self.check(args[1], depth + 1)
        else:
            ok = False
        if not ok:
            raise self.err(f"unexpected structure node {str(node)[:80]}")

    def check_sparse_coo(self, args) -> bool:
        """``[indices, values, size, coalesced, requires_grad]``: two tensor references whose
        records fit together (int64 indices ``(sparse_dim, nnz)``, ``nnz`` values) and the size."""
        if not (len(args) == 5 and all(isinstance(a, list) and len(a) == 2 and a[0] == "T" and type(a[1]) is int
                                       and 0 <= a[1] < len(self.records) for a in args[:2])
                and isinstance(args[2], list) and all(type(s) is int and s >= 0 for s in args[2])
                and isinstance(args[3], bool) and isinstance(args[4], bool)):
            return False
        index_rec, value_rec = self.records[args[0][1]], self.records[args[1][1]]
        index_shape, value_shape, size = index_rec[2], value_rec[2], args[2]
        return (index_rec[1] == "int64" and len(index_shape) == 2 and len(value_shape) >= 1
                and value_shape[0] == index_shape[1] and len(size) == index_shape[0] + len(value_shape) - 1
                and size[index_shape[0]:] == value_shape[1:])

    def build_sparse_compressed(self, node):
        """A CSR/CSC/BSR/BSC tensor, through ``sparse_compressed_tensor`` (which checks that the
        arrays fit together and lie inside the size)."""
        from .. import memory_layout as _ml
        from ..ops.sparse_compressed import sparse_compressed_tensor
        comp, plain, values = (self.tensors[ref[1]] for ref in node[2:5])
        if values._device.type != "cpu":
            raise RuntimeError(f"checkpoint '{self.name}': a torch.{node[1]} tensor cannot be loaded onto "
                               f"{values.device}: compressed sparse tensors live on the CPU in tensorgraft (load it "
                               f"with map_location='cpu')")
        try:
            out = sparse_compressed_tensor(comp, plain, values, tuple(node[5]), layout=getattr(_ml, node[1]))
        except (RuntimeError, TypeError) as e:
            raise self.err(f"a torch.{node[1]} tensor's arrays do not fit together ({e})") from None
        return out.requires_grad_() if node[6] else out

    def build_sparse_coo(self, node):
        indices, values = self.tensors[node[1][1]], self.tensors[node[2][1]]
        if indices._device.type != "cpu" or values._device.type != "cpu":
            raise RuntimeError(f"checkpoint '{self.name}': a sparse COO tensor cannot be loaded onto "
                               f"{values.device}: sparse COO tensors live on the CPU in tensorgraft (load it with "
                               f"map_location='cpu')")
        ia = np.array(indices._data, dtype=np.int64)
        if ia.size and (ia.min() < 0 or (ia.max(axis=1) >= np.array(node[3][:ia.shape[0]])).any()):
            raise self.err("a sparse tensor's indices lie outside its size")
        out = wrap(SparseCOOData(ia, np.array(values._data), tuple(node[3]), node[4]))
        return out.requires_grad_() if node[5] else out

    def build_subclass(self, node):
        """The stored tensor as the saved Tensor subclass (``as_subclass``, as PyTorch's
        ``_rebuild_from_type_v2`` does: one that requires grad comes back as an alias, not a leaf); the
        class is an allow-listed one under ``weights_only`` (nothing is imported), else imported by
        name. Later references to the same tensor get the same object."""
        inner, module, qualname = node[1], node[2], node[3]
        t = self.build(inner)
        cls = self.classes.get((module, qualname))
        if cls is None:
            cls = self.classes[(module, qualname)] = _import_class(module, qualname)
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise self.err(f"{module}.{qualname} is not a Tensor subclass")
        sub = t.as_subclass(cls)
        if inner[0] == "T":
            self.tensors[inner[1]] = sub
        return sub

    def build(self, node):
        if not isinstance(node, list):
            return node
        tag = node[0]
        if tag == "T":
            return self.tensors[node[1]]
        if tag == "Tc":
            return self.build_subclass(node)
        if tag == "Ta":
            t = self.build(node[1])
            for name, value in node[2]:
                setattr(t, name, self.build(value))
            return t
        if tag == "l":
            return [self.build(v) for v in node[1]]
        if tag == "t":
            return tuple(self.build(v) for v in node[1])
        if tag == "d":
            return {self.build(k): self.build(v) for k, v in node[1]}
        if tag == "od":
            out = collections.OrderedDict((self.build(k), self.build(v)) for k, v in node[1])
            if len(node) == 3:
                out._metadata = self.build(node[2])
            return out
        if tag == "ctr":
            return collections.Counter({self.build(k): self.build(v) for k, v in node[1]})
        if tag == "ns":
            return _argparse_namespace()(**{k: self.build(v) for k, v in node[1]})
        if tag == "path":
            return {c.__name__: c for c in _path_classes()}[node[1]](node[2])
        if tag == "time":
            cls = {c.__name__: c for c in _time_classes()}[node[1]]
            if node[1] == "timedelta":
                return cls(days=node[2][0], seconds=node[2][1], microseconds=node[2][2])
            return cls.fromisoformat(node[2])
        if tag == "dd":
            factory = None if node[1] is None else _DEFAULTDICT_FACTORIES[node[1]]
            return collections.defaultdict(factory, {self.build(k): self.build(v) for k, v in node[2]})
        if tag == "s":
            return {self.build(v) for v in node[1]}
        if tag == "fs":
            return frozenset(self.build(v) for v in node[1])
        if tag == "f":
            return float(node[1])
        if tag == "c":
            return complex(self.build(node[1]), self.build(node[2]))
        if tag == "dt":
            return _dt._BY_NAME[node[1]]
        if tag == "dev":
            return _device_cls(node[1])
        if tag == "sz":
            return Size(node[1])
        if tag in ("b", "ba"):
            import base64
            raw = base64.b64decode(node[1])
            return raw if tag == "b" else bytearray(raw)
        if tag == "spcoo":
            return self.build_sparse_coo(node)
        if tag == "spcmp":
            return self.build_sparse_compressed(node)
        if tag == "np":
            dt = np.dtype(node[1])
            value = self.build(node[2])
            if dt.kind in "iu" and not (np.iinfo(dt).min <= value <= np.iinfo(dt).max):
                # NumPy 2 raises OverflowError here; NumPy 1.x would wrap silently
                raise OverflowError(f"Python integer {value} out of bounds for {dt}")
            return dt.type(value)
        raise self.err(f"unexpected structure node {tag!r}")


def _import_class(module: str, qualname: str):
    """The class ``module.qualname`` (only with ``weights_only=False``: importing runs the module's code)."""
    import importlib
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj
