"""``tensorgraft.nn.functional``: PyTorch's ``torch.nn.functional`` names and signatures.

This module is the index of that namespace. The functions live by family under ``functional_ops/``,
each ``<family>_api.py`` beside the ``<family>.py`` whose kernels and gradient formulas it calls
(those register when ``import tensorgraft`` loads the plugin; these load with this module, on
first use):

    linear, bilinear                                 functional_ops/linear_api.py
    activations, softmax family, gumbel_softmax      functional_ops/activation_api.py
    dropout, alpha and feature dropout               functional_ops/dropout.py
    losses                                           functional_ops/loss_api.py
    linear_cross_entropy (chunked or reference)      functional_ops/linear_cross_entropy.py
    pairwise_distance, cosine_similarity, pixel_(un)shuffle   functional_ops/shuffle_distance_api.py
    one_hot, embedding, embedding_bag                functional_ops/embedding_api.py
    normalize and the norms                          functional_ops/norm_api.py
    conv1d/2d, their transposes, unfold, fold        functional_ops/conv_api.py
    1-D/2-D and adaptive pools, *_with_indices       functional_ops/pooling_api.py
    pad                                              functional_ops/padding_api.py
    interpolate, upsample*                           functional_ops/resample_api.py
    scaled_dot_product_attention                     functional_ops/attention_api.py
    3-D conv and pools, LP/fractional/unpool pools, grid_sample, pdist, channel_shuffle,
    multi_head_attention_forward: the ``functional_ops`` module of that name.

Every name here is the function object itself (no call layer on the op's path). The families'
private helpers are imported here too, so that code reading them from this module keeps working
(``nn``'s loss modules read ``F._reduction``, the top-level spellings ``F._dropout_mask`` and
``F._rrelu``, lp_pool ``F._pair``, multi_head_attention ``F._safe_softmax``). A function finds the
functions it calls in its own module: patching a name here changes what callers of ``F`` get, not
what another frontend calls.
"""
from __future__ import annotations

# (math, warnings, np, Tensor and wrap stay in the namespace, as before the split)
import math  # noqa: F401
import warnings  # noqa: F401

import numpy as np  # noqa: F401

import tensorgraft as _tg  # noqa: F401
from tensorgraft.grad_mode import state as _gs  # noqa: F401
from tensorgraft.amp._state import state as _autocast  # noqa: F401
from tensorgraft.ops._args import wrap_dim as _wrap_dim  # noqa: F401
from tensorgraft.ops._frontend import _type_name  # noqa: F401
from tensorgraft.tensor import Tensor, wrap  # noqa: F401

from .functional_ops import _common as _ops_common  # noqa: F401
from .functional_ops import activation as _act  # noqa: F401
from .functional_ops import attention as _attention  # noqa: F401
from .functional_ops import linear as _lin  # noqa: F401
from .functional_ops import loss as _loss  # noqa: F401
from .functional_ops import ctc_loss as _ctc  # noqa: F401
from .functional_ops import margin_loss as _margin  # noqa: F401
from .functional_ops import nn_aten_nodes as _aten  # noqa: F401
from .functional_ops import shuffle_distance as _distance  # noqa: F401
from .functional_ops import conv as _conv  # noqa: F401
from .functional_ops import embedding as _emb  # noqa: F401
from .functional_ops import norm as _norm  # noqa: F401
from .functional_ops import pooling as _pool  # noqa: F401
from .functional_ops import padding as _padding  # noqa: F401
from .functional_ops import resample as _rs  # noqa: F401
from .functional_ops._common import check_tensor as _check_tensor, same_device as _same_device  # noqa: F401
from .functional_ops.conv3d import _check_bias_type as _conv3d_bias_type, mkldnn_wording as _mkldnn_wording  # noqa: F401,E501
from .functional_ops.conv3d import _legacy_name as _conv3d_legacy_name  # noqa: F401
from .attention import _DEFAULT_ORDER as _SDPA_ALL_ENABLED  # noqa: F401
from .attention import check_backend_available as _sdpa_check_backend  # noqa: F401
from .attention import state as _sdpa_choice  # noqa: F401

# ---------------------------------------------------------------------- linear
from .functional_ops.linear_api import bilinear, linear  # noqa: F401

# ---------------------------------------------------------------------- activations
from .functional_ops.activation_api import (  # noqa: F401
    _SELU_ALPHA, _SELU_SCALE, _activation_frontend, _check, _hardtanh, _inplace, _named, _number, _rrelu,
    _softmax_dim, _softmax_frontend,
    celu, celu_, elu, elu_, gelu, glu, gumbel_softmax, hardshrink, hardsigmoid, hardswish, hardtanh, hardtanh_,
    leaky_relu, leaky_relu_, log_softmax, logsigmoid, mish, prelu, relu, relu6, relu_, rrelu, rrelu_, selu, selu_,
    sigmoid, silu, softmax, softmin, softplus, softshrink, softsign, tanh, tanhshrink, threshold, threshold_,
)

# ---------------------------------------------------------------------- dropout
from .functional_ops.dropout import (  # noqa: F401
    _FEATURE_DROPOUT_DEPRECATED, _alpha_dropout, _check_p, _dropout_mask, _feature_dropout,
    alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout,
)

# ---------------------------------------------------------------------- losses
from .functional_ops.loss_api import (  # noqa: F401
    _broadcast_check, _check_bce_logits_dtypes, _expandable_to, _pointwise_loss, _reduce_loss, _reduction,
    _weighted_loss,
    binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss, cross_entropy, ctc_loss,
    gaussian_nll_loss, hinge_embedding_loss, huber_loss, kl_div, l1_loss, margin_ranking_loss, mse_loss,
    multi_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss, nll_loss, poisson_nll_loss,
    smooth_l1_loss, soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss,
)
from .functional_ops.linear_cross_entropy import linear_cross_entropy  # noqa: F401

# ---------------------------------------------------------------------- distances, pixel shuffle
from .functional_ops.shuffle_distance_api import (  # noqa: F401
    cosine_similarity, pairwise_distance, pixel_shuffle, pixel_unshuffle,
)

# ---------------------------------------------------------------------- one-hot and embeddings
from .functional_ops.embedding_api import (  # noqa: F401
    _embedding_bag_error, _embedding_renorm_, _index_type_error,
    embedding, embedding_bag, one_hot,
)

# ---------------------------------------------------------------------- normalization
from .functional_ops.norm_api import (  # noqa: F401
    batch_norm, group_norm, instance_norm, layer_norm, local_response_norm, normalize, rms_norm,
)

# ---------------------------------------------------------------------- convolution
from .functional_ops.conv_api import (  # noqa: F401
    _conv_arg, _conv_checks, _conv_late_checks, _conv_operands, _conv_pads, _conv_transpose, _pad_uneven, _pair,
    conv1d, conv2d, conv_transpose1d, conv_transpose2d, fold, unfold,
)

# ---------------------------------------------------------------------- pooling
from .functional_ops.pooling_api import (  # noqa: F401
    _adaptive_1d_input, _adaptive_input_check, _avg_args, _avg_pool2d_checks, _is_int_size, _max_pool1d_checks,
    _not_floating, _one_output_size, _out_hw, _pool_args,
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d, adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d, adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices, avg_pool1d, avg_pool2d,
    max_pool1d, max_pool1d_with_indices, max_pool2d, max_pool2d_with_indices, max_pool3d_with_indices,
)
# LP, max-unpool and fractional max pools: composed from the pools above, each in its own file
from .functional_ops.fractional_max_pool import (  # noqa: F401
    fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d, fractional_max_pool3d_with_indices,
)
from .functional_ops.lp_pool import lp_pool1d, lp_pool2d, lp_pool3d  # noqa: F401
from .functional_ops.max_unpool import max_unpool1d, max_unpool2d, max_unpool3d  # noqa: F401

# ---------------------------------------------------------------------- padding and resampling
from .functional_ops.padding_api import pad  # noqa: F401
from .functional_ops.resample_api import (  # noqa: F401
    _MODE_DIMS, _UPSAMPLE_NAMES, _interp_input_error, _interp_kernel,
    interpolate, upsample, upsample_bilinear, upsample_nearest,
)

# ---------------------------------------------------------------------- attention
from .functional_ops.attention_api import _safe_softmax, scaled_dot_product_attention  # noqa: F401


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "math", "warnings", "np", "Tensor",
                                                                    "wrap")]


# ===== 3-D convolution and pooling
from .functional_ops.conv3d import conv3d, conv_transpose3d  # noqa: E402
from .functional_ops.pooling3d import (  # noqa: E402
    adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, max_pool3d,
)

from .functional_ops.grid_sample import affine_grid, grid_sample  # noqa: E402
from .functional_ops.shuffle_distance import channel_shuffle, pdist  # noqa: E402

__all__ += ["affine_grid", "grid_sample", "channel_shuffle", "pdist", "max_pool1d_with_indices",
            "max_pool2d_with_indices", "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
            "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices"]
__all__ += ["adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "conv3d", "conv_transpose3d", "max_pool3d"]

from .functional_ops.multi_head_attention import multi_head_attention_forward  # noqa: E402,F401

__all__ += ["multi_head_attention_forward"]

# PyTorch's F also names these kernels (not in its __all__): the same objects as the top-level
# ``tensorgraft.native_channel_shuffle``/``conv_tbc``, and ``F.grad`` is the ``nn.grad`` module
# (torch/nn/functional.py imports it). Last, since nn.grad reads this module's conv functions.
from tensorgraft.nn_function_aliases import native_channel_shuffle  # noqa: E402,F401
from tensorgraft.nn_kernel_aliases import conv_tbc  # noqa: E402,F401
from . import grad  # noqa: E402,F401

# The frontends moved out of this file keep saying they are this module's (``F.relu.__module__``, as
# PyTorch's do): that is the name pickle and a saved script (``tensorgraft.jit``) store for them, so
# where their code lives stays free to change.
for _name in __all__:
    _fn = globals()[_name]
    if getattr(_fn, "__module__", "").startswith("tensorgraft.nn.functional_ops.") and (
            _fn.__module__.endswith("_api") or _fn.__module__.endswith(".dropout")):
        _fn.__module__ = __name__
del _name, _fn
