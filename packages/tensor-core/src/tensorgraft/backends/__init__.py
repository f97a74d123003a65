"""``torch.backends``: the switches PyTorch programs set for the libraries under PyTorch.

tensorgraft has none of those libraries (no cuDNN, MKL-DNN or MPS; its CUDA backend is CuPy with
cuBLAS), so what these modules report is what PyTorch reports on a build without them: the
``is_available()`` answers are False, and the flags (``cudnn.benchmark = True``,
``cuda.matmul.allow_tf32 = False`` ...) are accepted and remembered, so programs that set them run
unchanged. Where a flag would change tensorgraft's results it says so in its module."""
from . import cpu, cuda, cudnn, mha, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mha", "mkldnn", "mps", "openmp"]
