"""``ShapeProp`` (PyTorch's ``torch.fx.passes.shape_prop``): run a GraphModule on sample inputs and
record each node's result shape, dtype, strides ... as ``node.meta['tensor_meta']``."""
from __future__ import annotations

import traceback
from typing import Any, NamedTuple

import tensorgraft

from ..interpreter import Interpreter
from ..node import Node, map_aggregate

__all__ = ["TensorMetadata", "ShapeProp"]


class TensorMetadata(NamedTuple):
    """What ShapeProp records about a tensor result."""

    shape: Any
    dtype: Any
    requires_grad: bool
    stride: tuple[int, ...]
    memory_format: Any
    is_quantized: bool
    qparams: dict[str, Any]


def _extract_tensor_metadata(result, include_contiguity: bool = True) -> TensorMetadata:
    memory_format = None
    if include_contiguity:
        for query_format in (tensorgraft.contiguous_format, tensorgraft.channels_last, tensorgraft.channels_last_3d):
            try:
                if result.is_contiguous(memory_format=query_format):
                    memory_format = query_format
                    break
            except RuntimeError:  # channels_last asked of a tensor that is not 4-d
                continue
    # (tensorgraft has no quantized tensors: is_quantized is always False, qparams empty)
    return TensorMetadata(result.shape, result.dtype, result.requires_grad, result.stride(), memory_format, False, {})


class ShapeProp(Interpreter):
    """Interpreter that stores ``TensorMetadata`` of every tensor result in ``node.meta['tensor_meta']``
    (a structure of them for nodes returning tuples/lists)."""

    def __init__(self, gm, fake_mode: Any = None) -> None:
        super().__init__(gm)
        if fake_mode is not None:
            raise ValueError("tensorgraft.fx ShapeProp runs on real sample inputs: fake tensor modes do not exist "
                             "in tensorgraft; pass fake_mode=None")
        self.fake_module = None
        self.fake_mode = None
        self.real_module = self.module

    def run_node(self, n: Node) -> Any:
        try:
            result = super().run_node(n)
        except Exception as e:
            traceback.print_exc()
            raise RuntimeError(f"ShapeProp error for: node={n.format_node()} with meta={n.meta}") from e
        found_tensor = False

        def extract_tensor_meta(obj: Any) -> Any:
            nonlocal found_tensor
            if isinstance(obj, tensorgraft.Tensor):
                found_tensor = True
                return _extract_tensor_metadata(obj)
            return obj
        meta = map_aggregate(result, extract_tensor_meta)
        if found_tensor:
            n.meta["tensor_meta"] = meta
        n.meta["type"] = type(result)
        return result

    def propagate(self, *args: Any) -> Any:
        """Run the module on ``args``, recording metadata; returns its result."""
        return super().run(*args)
