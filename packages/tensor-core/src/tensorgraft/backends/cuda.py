"""``torch.backends.cuda``: ``is_built()`` answers whether tensorgraft's CUDA backend
(tensorgraft-cuda) is installed; a GPU need not be present (``tensorgraft.cuda.is_available()``
says that). The matmul precision switches are kept for programs that set them: tensorgraft's
CUDA matrix products always compute in full float32 through CuPy, PyTorch's default
(``allow_tf32 = False``); ``allow_tf32`` is ``torch.get_float32_matmul_precision() != "highest"``
and setting it sets that precision, as in PyTorch. Scaled-dot-product attention always takes the math path; the
``enable_*_sdp`` switches are remembered and reported back."""
from __future__ import annotations


def is_built() -> bool:
    from tensorgraft.device import backends
    return "cuda" in backends()


class _Matmul:
    """``torch.backends.cuda.matmul``: an unknown name is PyTorch's ``AttributeError: Unknown attribute``."""

    _NAMES = ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        object.__setattr__(self, "_values", {"allow_fp16_reduced_precision_reduction": True,
                                            "allow_bf16_reduced_precision_reduction": True})

    def __getattr__(self, name):
        if name == "allow_tf32":  # one switch with torch.set_float32_matmul_precision, as in PyTorch
            from tensorgraft.global_switches import get_float32_matmul_precision
            return get_float32_matmul_precision() != "highest"
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name not in self._NAMES:
            raise AttributeError(f"Unknown attribute {name}")
        if name == "allow_tf32":
            from tensorgraft.global_switches import set_float32_matmul_precision
            set_float32_matmul_precision("high" if value else "highest")
            return
        self._values[name] = bool(value)


matmul = _Matmul()

_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    _sdp["flash"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp["mem_efficient"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_math_sdp(enabled: bool) -> None:
    _sdp["math"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _sdp["cudnn"] = bool(enabled)
