"""How PyTorch's Python-level ``nn.functional`` functions hand their arguments to
``__torch_function__``, so that a traced ``F.relu(x)`` records ``relu(x, inplace = False)`` as
PyTorch's does: which parameters go positionally, which by keyword (defaults filled in).

tensorgraft's functional wrappers pass the arguments as the caller wrote them; PyTorch's functions
call ``handle_torch_function(relu, (input,), input, inplace=inplace)`` with their own spelling, and
that spelling is what the graph (and its printed code) shows. Generated from PyTorch 2.13's
``torch/nn/functional.py`` (each ``handle_torch_function`` call's arguments, and the defaults of the
function making it); the functions PyTorch implements in C++ (``linear``, ``conv2d``, ``gelu`` ...)
pass arguments as written and are not listed.
"""
from __future__ import annotations

import inspect

# name -> (positional parameters, keyword parameters, PyTorch's defaults of the keyword ones)
FORMS = {
    'adaptive_avg_pool2d': (('input', 'output_size'), (), {}),
    'adaptive_avg_pool3d': (('input', 'output_size'), (), {}),
    'adaptive_max_pool1d': (('input', 'output_size'), ('return_indices',), {'return_indices': False}),
    'adaptive_max_pool1d_with_indices': (('input', 'output_size'), ('return_indices',), {'return_indices': False}),
    'adaptive_max_pool2d': (('input', 'output_size'), ('return_indices',), {'return_indices': False}),
    'adaptive_max_pool2d_with_indices': (('input', 'output_size'), ('return_indices',), {'return_indices': False}),
    'adaptive_max_pool3d': (('input', 'output_size'), ('return_indices',), {'return_indices': False}),
    'adaptive_max_pool3d_with_indices': (('input', 'output_size'), ('return_indices',), {'return_indices': False}),
    'affine_grid': (('theta', 'size'), ('align_corners',), {'align_corners': None}),
    'alpha_dropout': (('input',), ('p', 'training', 'inplace'), {'p': 0.5, 'training': False, 'inplace': False}),
    'batch_norm': (('input', 'running_mean', 'running_var'), ('weight', 'bias', 'training', 'momentum', 'eps'), {'weight': None, 'bias': None, 'training': False, 'momentum': 0.1, 'eps': 1e-05}),
    'binary_cross_entropy': (('input', 'target'), ('weight', 'size_average', 'reduce', 'reduction'), {'weight': None, 'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'binary_cross_entropy_with_logits': (('input', 'target'), ('weight', 'size_average', 'reduce', 'reduction', 'pos_weight'), {'weight': None, 'size_average': None, 'reduce': None, 'reduction': 'mean', 'pos_weight': None}),
    'celu': (('input',), ('alpha', 'inplace'), {'alpha': 1.0, 'inplace': False}),
    'cosine_embedding_loss': (('input1', 'input2', 'target'), ('margin', 'size_average', 'reduce', 'reduction'), {'margin': 0, 'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'cross_entropy': (('input', 'target'), ('weight', 'size_average', 'ignore_index', 'reduce', 'reduction', 'label_smoothing'), {'weight': None, 'size_average': None, 'ignore_index': -100, 'reduce': None, 'reduction': 'mean', 'label_smoothing': 0.0}),
    'ctc_loss': (('log_probs', 'targets', 'input_lengths', 'target_lengths'), ('blank', 'reduction', 'zero_infinity'), {'blank': 0, 'reduction': 'mean', 'zero_infinity': False}),
    'dropout': (('input',), ('p', 'training', 'inplace'), {'p': 0.5, 'training': True, 'inplace': False}),
    'dropout1d': (('input',), ('p', 'training', 'inplace'), {'p': 0.5, 'training': True, 'inplace': False}),
    'dropout2d': (('input',), ('p', 'training', 'inplace'), {'p': 0.5, 'training': True, 'inplace': False}),
    'dropout3d': (('input',), ('p', 'training', 'inplace'), {'p': 0.5, 'training': True, 'inplace': False}),
    'elu': (('input',), ('alpha', 'inplace'), {'alpha': 1.0, 'inplace': False}),
    'embedding': (('input', 'weight'), ('padding_idx', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'sparse'), {'padding_idx': None, 'max_norm': None, 'norm_type': 2.0, 'scale_grad_by_freq': False, 'sparse': False}),
    'embedding_bag': (('input', 'weight'), ('offsets', 'max_norm', 'norm_type', 'scale_grad_by_freq', 'mode', 'sparse', 'per_sample_weights', 'include_last_offset', 'padding_idx'), {'offsets': None, 'max_norm': None, 'norm_type': 2, 'scale_grad_by_freq': False, 'mode': 'mean', 'sparse': False, 'per_sample_weights': None, 'include_last_offset': False, 'padding_idx': None}),
    'feature_alpha_dropout': (('input',), ('p', 'training', 'inplace'), {'p': 0.5, 'training': False, 'inplace': False}),
    'fold': (('input', 'output_size', 'kernel_size'), ('dilation', 'padding', 'stride'), {'dilation': 1, 'padding': 0, 'stride': 1}),
    'fractional_max_pool2d': (('input', 'kernel_size'), ('output_size', 'output_ratio', 'return_indices', '_random_samples'), {'output_size': None, 'output_ratio': None, 'return_indices': False, '_random_samples': None}),
    'fractional_max_pool2d_with_indices': (('input', 'kernel_size'), ('output_size', 'output_ratio', 'return_indices', '_random_samples'), {'output_size': None, 'output_ratio': None, 'return_indices': False, '_random_samples': None}),
    'fractional_max_pool3d': (('input', 'kernel_size'), ('output_size', 'output_ratio', 'return_indices', '_random_samples'), {'output_size': None, 'output_ratio': None, 'return_indices': False, '_random_samples': None}),
    'fractional_max_pool3d_with_indices': (('input', 'kernel_size'), ('output_size', 'output_ratio', 'return_indices', '_random_samples'), {'output_size': None, 'output_ratio': None, 'return_indices': False, '_random_samples': None}),
    'gaussian_nll_loss': (('input', 'target', 'var'), ('full', 'eps', 'reduction'), {'full': False, 'eps': 1e-06, 'reduction': 'mean'}),
    'glu': (('input',), ('dim',), {'dim': -1}),
    'grid_sample': (('input', 'grid'), ('mode', 'padding_mode', 'align_corners'), {'mode': 'bilinear', 'padding_mode': 'zeros', 'align_corners': None}),
    'group_norm': (('input', 'num_groups'), ('weight', 'bias', 'eps'), {'weight': None, 'bias': None, 'eps': 1e-05}),
    'gumbel_softmax': (('logits',), ('tau', 'hard', 'eps', 'dim'), {'tau': 1, 'hard': False, 'eps': 1e-10, 'dim': -1}),
    'hardsigmoid': (('input',), ('inplace',), {'inplace': False}),
    'hardswish': (('input',), ('inplace',), {'inplace': False}),
    'hardtanh': (('input',), ('min_val', 'max_val', 'inplace'), {'min_val': -1.0, 'max_val': 1.0, 'inplace': False}),
    'hinge_embedding_loss': (('input', 'target'), ('margin', 'size_average', 'reduce', 'reduction'), {'margin': 1.0, 'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'huber_loss': (('input', 'target'), ('reduction', 'delta', 'weight'), {'reduction': 'mean', 'delta': 1.0, 'weight': None}),
    'instance_norm': (('input',), ('running_mean', 'running_var', 'weight', 'bias', 'use_input_stats', 'momentum', 'eps'), {'running_mean': None, 'running_var': None, 'weight': None, 'bias': None, 'use_input_stats': True, 'momentum': 0.1, 'eps': 1e-05}),
    'interpolate': (('input',), ('size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor', 'antialias'), {'size': None, 'scale_factor': None, 'mode': 'nearest', 'align_corners': None, 'recompute_scale_factor': None, 'antialias': False}),
    'kl_div': (('input', 'target'), ('size_average', 'reduce', 'reduction', 'log_target'), {'size_average': None, 'reduce': None, 'reduction': 'mean', 'log_target': False}),
    'l1_loss': (('input', 'target'), ('size_average', 'reduce', 'reduction'), {'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'layer_norm': (('input', 'normalized_shape'), ('weight', 'bias', 'eps'), {'weight': None, 'bias': None, 'eps': 1e-05}),
    'leaky_relu': (('input',), ('negative_slope', 'inplace'), {'negative_slope': 0.01, 'inplace': False}),
    'linear_cross_entropy': (('input', 'linear_weight', 'target'), ('linear_bias', 'weight', 'reduction', 'ignore_index', 'label_smoothing', 'options'), {'linear_bias': None, 'weight': None, 'reduction': 'mean', 'ignore_index': None, 'label_smoothing': 0.0, 'options': None}),
    'local_response_norm': (('input', 'size'), ('alpha', 'beta', 'k'), {'alpha': 0.0001, 'beta': 0.75, 'k': 1.0}),
    'log_softmax': (('input',), ('dim', '_stacklevel', 'dtype'), {'dim': None, '_stacklevel': 3, 'dtype': None}),
    'lp_pool1d': (('input', 'norm_type', 'kernel_size'), ('stride', 'ceil_mode'), {'stride': None, 'ceil_mode': False}),
    'lp_pool2d': (('input', 'norm_type', 'kernel_size'), ('stride', 'ceil_mode'), {'stride': None, 'ceil_mode': False}),
    'lp_pool3d': (('input', 'norm_type', 'kernel_size'), ('stride', 'ceil_mode'), {'stride': None, 'ceil_mode': False}),
    'margin_ranking_loss': (('input1', 'input2', 'target'), ('margin', 'size_average', 'reduce', 'reduction'), {'margin': 0, 'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'max_pool1d': (('input', 'kernel_size'), ('stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'), {'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': False}),
    'max_pool1d_with_indices': (('input', 'kernel_size'), ('stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'), {'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': False}),
    'max_pool2d': (('input', 'kernel_size'), ('stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'), {'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': False}),
    'max_pool2d_with_indices': (('input', 'kernel_size'), ('stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'), {'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': False}),
    'max_pool3d': (('input', 'kernel_size'), ('stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'), {'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': False}),
    'max_pool3d_with_indices': (('input', 'kernel_size'), ('stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'), {'stride': None, 'padding': 0, 'dilation': 1, 'ceil_mode': False, 'return_indices': False}),
    'max_unpool1d': (('input', 'indices', 'kernel_size'), ('stride', 'padding', 'output_size'), {'stride': None, 'padding': 0, 'output_size': None}),
    'max_unpool2d': (('input', 'indices', 'kernel_size'), ('stride', 'padding', 'output_size'), {'stride': None, 'padding': 0, 'output_size': None}),
    'max_unpool3d': (('input', 'indices', 'kernel_size'), ('stride', 'padding', 'output_size'), {'stride': None, 'padding': 0, 'output_size': None}),
    'mish': (('input',), ('inplace',), {'inplace': False}),
    'mse_loss': (('input', 'target'), ('size_average', 'reduce', 'reduction', 'weight'), {'size_average': None, 'reduce': None, 'reduction': 'mean', 'weight': None}),
    'multi_head_attention_forward': (('query', 'key', 'value', 'embed_dim_to_check', 'num_heads', 'in_proj_weight', 'in_proj_bias', 'bias_k', 'bias_v', 'add_zero_attn', 'dropout_p', 'out_proj_weight', 'out_proj_bias'), ('training', 'key_padding_mask', 'need_weights', 'attn_mask', 'is_causal', 'use_separate_proj_weight', 'q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'static_k', 'static_v', 'average_attn_weights'), {'training': True, 'key_padding_mask': None, 'need_weights': True, 'attn_mask': None, 'is_causal': False, 'use_separate_proj_weight': False, 'q_proj_weight': None, 'k_proj_weight': None, 'v_proj_weight': None, 'static_k': None, 'static_v': None, 'average_attn_weights': True}),
    'multi_margin_loss': (('input', 'target'), ('p', 'margin', 'weight', 'size_average', 'reduce', 'reduction'), {'p': 1, 'margin': 1.0, 'weight': None, 'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'multilabel_margin_loss': (('input', 'target'), ('size_average', 'reduce', 'reduction'), {'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'multilabel_soft_margin_loss': (('input', 'target'), ('weight', 'size_average', 'reduce', 'reduction'), {'weight': None, 'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'nll_loss': (('input', 'target'), ('weight', 'size_average', 'ignore_index', 'reduce', 'reduction'), {'weight': None, 'size_average': None, 'ignore_index': -100, 'reduce': None, 'reduction': 'mean'}),
    'normalize': (('input',), ('p', 'dim', 'eps', 'out'), {'p': 2.0, 'dim': 1, 'eps': 1e-12, 'out': None}),
    # (PyTorch's ``pad`` passes ``mode``/``value`` on to ``torch._C._nn.pad``, whose parser records them)
    'pad': (('input', 'pad'), ('mode', 'value'), {'mode': 'constant', 'value': None}),
    'poisson_nll_loss': (('input', 'target'), ('log_input', 'full', 'size_average', 'eps', 'reduce', 'reduction'), {'log_input': True, 'full': False, 'size_average': None, 'eps': 1e-08, 'reduce': None, 'reduction': 'mean'}),
    'relu': (('input',), ('inplace',), {'inplace': False}),
    'relu6': (('input',), ('inplace',), {'inplace': False}),
    'rms_norm': (('input', 'normalized_shape'), ('weight', 'eps'), {'weight': None, 'eps': None}),
    'rrelu': (('input',), ('lower', 'upper', 'training', 'inplace'), {'lower': 0.125, 'upper': 0.3333333333333333, 'training': False, 'inplace': False}),
    'selu': (('input',), ('inplace',), {'inplace': False}),
    'silu': (('input',), ('inplace',), {'inplace': False}),
    'smooth_l1_loss': (('input', 'target'), ('size_average', 'reduce', 'reduction', 'beta'), {'size_average': None, 'reduce': None, 'reduction': 'mean', 'beta': 1.0}),
    'soft_margin_loss': (('input', 'target'), ('size_average', 'reduce', 'reduction'), {'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'softmax': (('input',), ('dim', '_stacklevel', 'dtype'), {'dim': None, '_stacklevel': 3, 'dtype': None}),
    'softmin': (('input',), ('dim', '_stacklevel', 'dtype'), {'dim': None, '_stacklevel': 3, 'dtype': None}),
    'softsign': (('input',), (), {}),
    'tanhshrink': (('input',), (), {}),
    'triplet_margin_loss': (('anchor', 'positive', 'negative'), ('margin', 'p', 'eps', 'swap', 'size_average', 'reduce', 'reduction'), {'margin': 1.0, 'p': 2, 'eps': 1e-06, 'swap': False, 'size_average': None, 'reduce': None, 'reduction': 'mean'}),
    'triplet_margin_with_distance_loss': (('anchor', 'positive', 'negative'), ('distance_function', 'margin', 'swap', 'reduction'), {'distance_function': None, 'margin': 1.0, 'swap': False, 'reduction': 'mean'}),
    'unfold': (('input', 'kernel_size'), ('dilation', 'padding', 'stride'), {'dilation': 1, 'padding': 0, 'stride': 1}),
    # F.threshold is PyTorch's ``_threshold`` (see ``name_pytorch_aliases``)
    '_threshold': (('input', 'threshold', 'value'), ('inplace',), {'inplace': False}),
}


def _threshold(input, threshold, value, inplace=False):
    import tensorgraft.nn.functional as F
    return F.threshold(input, threshold, value, inplace)  # (looked up per call: the dispatching one)


# PyTorch's F.threshold is the function ``F._threshold`` (its ``__name__``): a traced call is a
# ``_threshold`` node printed ``torch.nn.functional._threshold``, and generated code calls that. Here
# it is this function, which calls F.threshold, so running or tracing such code again works.
ALIASES = {"threshold": _threshold}


def name_pytorch_aliases():
    """``tensorgraft.nn.functional`` answers to the names in ``ALIASES`` (generated code calls them)."""
    import tensorgraft.nn.functional as F
    for fn in ALIASES.values():
        fn.__module__ = F.__name__
        if getattr(F, fn.__name__, None) is not fn:
            setattr(F, fn.__name__, fn)

_signatures: dict = {}

# PyTorch's ``boolean_dispatch`` functions: with ``return_indices=True`` the call PyTorch records is
# the ``<name>_with_indices`` function's (so a traced ``F.max_pool2d(x, 2, return_indices=True)``
# is a ``max_pool2d_with_indices`` node)
WITH_INDICES = {f"{kind}{n}d" for kind in ("max_pool", "adaptive_max_pool") for n in (1, 2, 3)} | {
    "fractional_max_pool2d", "fractional_max_pool3d"}


def functional_of(func):
    """The name under which ``func`` is ``tensorgraft.nn.functional``'s (the functions live in several
    modules), or None for any other callable."""
    name = getattr(func, "__name__", None)
    if name is None:
        return None
    import tensorgraft.nn.functional as F
    return name if getattr(F, name, None) is func else None


def resolve(func, args: tuple, kwargs: dict):
    """``(func, args, kwargs)`` of a traced ``nn.functional`` call as PyTorch records it: the function
    PyTorch's dispatch lands on (``*_with_indices``), and its spelling of the arguments."""
    name = functional_of(func)
    if name is None:
        return func, args, kwargs
    func = ALIASES.get(name, func)
    if name in WITH_INDICES:
        sig = _signature(func)
        try:
            bound = sig.bind(*args, **kwargs).arguments if sig is not None else {}
        except TypeError:
            bound = {}
        if bound.get("return_indices") is True:
            import tensorgraft.nn.functional as F
            func = getattr(F, f"{name}_with_indices", func)
    return (func,) + normalize(func, args, kwargs)


def _signature(func):
    sig = _signatures.get(func)
    if sig is None:
        try:
            sig = _signatures[func] = inspect.signature(func)
        except (TypeError, ValueError):
            return None
    return sig


def normalize(func, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """``args``/``kwargs`` of a call of ``nn.functional.<name>`` as PyTorch records them (unchanged
    for functions not in ``FORMS`` or calls that do not bind)."""
    form = FORMS.get(getattr(func, "__name__", None))
    if form is None:
        return args, kwargs
    positional, keywords, defaults = form
    sig = _signature(func)
    if sig is None:
        return args, kwargs
    try:
        values = sig.bind(*args, **kwargs).arguments
    except TypeError:
        return args, kwargs

    def value_of(name: str):
        if name in values:
            return values[name]
        if name in defaults:
            return defaults[name]
        param = sig.parameters.get(name)
        if param is None or param.default is inspect.Parameter.empty:
            raise LookupError(name)
        return param.default
    try:
        return tuple(value_of(n) for n in positional), {k: value_of(k) for k in keywords}
    except LookupError:
        return args, kwargs
