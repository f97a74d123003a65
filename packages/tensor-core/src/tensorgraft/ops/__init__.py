"""Core ops, one module per family; each op's gradient lives in the autograd-engine under
``tensorgraft/autograd/formulas/<same module name>.py``.

Third-party ops appear here too, as ``tensorgraft.ops.<namespace>.<name>``.
"""
# (sampling right after creation, which it builds on: ops are registered in import order)
from . import (  # noqa: F401
    conversion, creation, sampling, distance, elementwise, indexing, linalg, reduction, scan, shape, statistics,
)
from . import combinatorics, histogram, sets, special_functions, special_math  # noqa: F401,E402
from . import complex, spectral  # noqa: F401,E402  (complex numbers; fft kernels and windows)
# factorisations (eig/lstsq/Householder; LDL; LU), PyTorch's older torch.* linalg spellings, low-rank methods
from . import decompositions, ldl, linalg_composite, lowrank, lu  # noqa: F401,E402
# in-place variants, aliases and scatter ops built on the families above (imported after them)
from . import aliases, inplace, scatter, utility, views  # noqa: F401,E402
from . import tensor_extras, stft  # noqa: F401,E402  (small tensor functions; short-time Fourier transform)
from . import sparse_coo  # noqa: F401,E402  (sparse COO tensors: construction, to/from dense, sparse.mm)
from . import sparse_row_products  # noqa: F401,E402  (hspmm, smm, sspaddmm: sparse results of sparse @ dense)
from . import sparse_compressed  # noqa: F401,E402  (CSR/CSC/BSR/BSC tensors; wraps COO's Tensor methods)
from . import tensor_method_gaps  # noqa: F401,E402  (Tensor methods for sparse/stream APIs, prelu, hardshrink)
from . import removed_functions  # noqa: F401,E402  (torch.solve, symeig, eig...: removed in 1.9, kept to say what replaces them)
