"""``torch.backends.cpu``."""
from __future__ import annotations


def get_cpu_capability() -> str:
    """The widest SIMD level NumPy's kernels dispatch to on this CPU, in PyTorch's words
    ("AVX512", "AVX2", "DEFAULT"; Arm: "SVE256"/"DEFAULT")."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_features__ as features
    if features.get("AVX512F") and features.get("AVX512BW"):
        return "AVX512"
    if features.get("AVX2"):
        return "AVX2"
    if features.get("SVE"):
        return "SVE256"
    return "DEFAULT"
