"""``grad_fn._saved_<name>`` of nn's nodes under PyTorch's names and with its values:
EmbeddingBackward0 shows the indices (not the weight), NativeLayerNormBackward0 its input, weight,
bias, normalized_shape and the mean / inverse std (``result1``/``result2``), ConvolutionBackward0
its settings as the conv's own ints (a 1-D conv's too) with ``transposed``/``output_padding``,
NllLossBackward0 the target, weight, total weight and ATen's reduction enum, activations their
scalar arguments; a -1 PyTorch keeps (padding_idx None, ignore_index -100) reads back unsigned.

Expected values measured with PyTorch 2.13 (CPU) on the same inputs; no torch import here."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as T
import tensorgraft.nn.functional as F
from tensorgraft.testing.graphs import check_saved_attributes


def x(*shape):
    # deterministic inputs (the same arrays the expected values were measured on)
    return T.tensor(np.round(np.random.RandomState(sum(shape)).randn(*shape), 2), dtype=T.float64).requires_grad_()


def _check(case, make, expected, not_shown_yet=frozenset()):
    node_name, names = expected[case]
    check_saved_attributes(make().grad_fn, node_name, names, not_shown_yet)


CASES = {
    "embedding": lambda: F.embedding(T.tensor([[0, 2], [1, 3]]), x(5, 3)),
    "embedding_pad": lambda: F.embedding(T.tensor([[0, 2], [1, 3]]), x(5, 3), padding_idx=-1, scale_grad_by_freq=True),
    "layer_norm": lambda: F.layer_norm(x(2, 3), (3,), x(3), x(3)),
    "layer_norm_nw": lambda: F.layer_norm(x(2, 2, 2), (2, 2)),
    "conv2d": lambda: F.conv2d(x(1, 2, 5, 5), x(3, 2, 3, 3), x(3), stride=2, padding=1),
    "conv1d_groups": lambda: F.conv1d(x(1, 2, 5), x(4, 1, 3), groups=2, dilation=2),
    "conv_t2d": lambda: F.conv_transpose2d(x(1, 2, 4, 4), x(2, 3, 3, 3), stride=2, output_padding=1),
    "conv_t1d": lambda: F.conv_transpose1d(x(1, 2, 5), x(2, 3, 3), stride=3, output_padding=2, padding=1),
    "conv3d": lambda: F.conv3d(x(1, 2, 4, 4, 4), x(3, 2, 2, 2, 2), x(3), padding=(1, 0, 1), stride=(1, 2, 1)),
    "conv_t3d": lambda: F.conv_transpose3d(x(1, 2, 3, 3, 3), x(2, 3, 2, 2, 2), stride=2, output_padding=(1, 0, 1)),
    "nll_mean": lambda: F.nll_loss(x(3, 4), T.tensor([0, 1, 3])),
    "nll_sum_w": lambda: F.nll_loss(x(3, 4), T.tensor([0, 1, 3]), weight=T.tensor([1., 2, 3, 4], dtype=T.float64), reduction="sum", ignore_index=1),
    "nll_none": lambda: F.nll_loss(x(3, 4), T.tensor([0, 1, 3]), reduction="none"),
    "nll2d": lambda: F.nll_loss(x(2, 3, 2, 2), T.tensor([[[0, 1], [2, 0]], [[1, 1], [0, 2]]])),
    "cross_entropy": lambda: F.cross_entropy(x(3, 4), T.tensor([0, 1, 3])),
    "leaky_relu": lambda: F.leaky_relu(x(3), 0.2),
    "elu": lambda: F.elu(x(3), 0.5),
    "selu": lambda: F.selu(x(3)),
    "celu": lambda: F.celu(x(3), 0.5),
    "gelu_tanh": lambda: F.gelu(x(3), approximate="tanh"),
    "gelu": lambda: F.gelu(x(3)),
    "softplus": lambda: F.softplus(x(3), beta=2.5, threshold=15.0),
    "hardtanh": lambda: F.hardtanh(x(3), -0.5, 0.5),
    "hardshrink": lambda: F.hardshrink(x(3), 0.3),
    "softshrink": lambda: F.softshrink(x(3), 0.3),
}

# measured with torch 2.13: {case: (node name, {saved name: value, or ("T", shape, dtype, values)})}
EXPECTED = {'embedding': ('EmbeddingBackward0',
               {'indices': ('T', (2, 2), 'int64', [[0, 2], [1, 3]]),
                'padding_idx': 18446744073709551615,
                'scale_grad_by_freq': False,
                'sparse': False,
                'weight_sym_argsize_0': 5}),
 'embedding_pad': ('EmbeddingBackward0',
                   {'indices': ('T', (2, 2), 'int64', [[0, 2], [1, 3]]),
                    'padding_idx': 4,
                    'scale_grad_by_freq': True,
                    'sparse': False,
                    'weight_sym_argsize_0': 5}),
 'layer_norm': ('NativeLayerNormBackward0',
                {'bias': ('T', (3,), 'float64', [1.79, 0.44, 0.1]),
                 'input': ('T', (2, 3), 'float64', [[0.44, -0.33, 2.43], [-0.25, 0.11, 1.58]]),
                 'normalized_shape': (3,),
                 'result1': ('T', (2, 1), 'float64', [[0.846667], [0.48]]),
                 'result2': ('T', (2, 1), 'float64', [[0.859931], [1.263285]]),
                 'weight': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'layer_norm_nw': ('NativeLayerNormBackward0',
                   {'bias': None,
                    'input': ('T', (2, 2, 2), 'float64', None),
                    'normalized_shape': (2, 2),
                    'result1': ('T', (2, 1, 1), 'float64', [[[-0.065]], [[-0.49]]]),
                    'result2': ('T', (2, 1, 1), 'float64', [[[1.649269]], [[0.644664]]]),
                    'weight': None}),
 'conv2d': ('ConvolutionBackward0',
            {'bias_sym_sizes_opt': (3,),
             'dilation': (1, 1),
             'groups': 1,
             'input': ('T', (1, 2, 5, 5), 'float64', None),
             'output_padding': (0, 0),
             'padding': (1, 1),
             'stride': (2, 2),
             'transposed': False,
             'weight': ('T', (3, 2, 3, 3), 'float64', None)}),
 'conv1d_groups': ('ConvolutionBackward0',
                   {'bias_sym_sizes_opt': (0,),
                    'dilation': (2,),
                    'groups': 2,
                    'input': ('T', (1, 2, 5), 'float64', None),
                    'output_padding': (0,),
                    'padding': (0,),
                    'stride': (1,),
                    'transposed': False,
                    'weight': ('T', (4, 1, 3), 'float64', None)}),
 'conv_t2d': ('ConvolutionBackward0',
              {'bias_sym_sizes_opt': (0,),
               'dilation': (1, 1),
               'groups': 1,
               'input': ('T', (1, 2, 4, 4), 'float64', None),
               'output_padding': (1, 1),
               'padding': (0, 0),
               'stride': (2, 2),
               'transposed': True,
               'weight': ('T', (2, 3, 3, 3), 'float64', None)}),
 'conv_t1d': ('ConvolutionBackward0',
              {'bias_sym_sizes_opt': (0,),
               'dilation': (1,),
               'groups': 1,
               'input': ('T', (1, 2, 5), 'float64', None),
               'output_padding': (2,),
               'padding': (1,),
               'stride': (3,),
               'transposed': True,
               'weight': ('T', (2, 3, 3), 'float64', None)}),
 'conv3d': ('ConvolutionBackward0',
            {'bias_sym_sizes_opt': (3,),
             'dilation': (1, 1, 1),
             'groups': 1,
             'input': ('T', (1, 2, 4, 4, 4), 'float64', None),
             'output_padding': (0, 0, 0),
             'padding': (1, 0, 1),
             'stride': (1, 2, 1),
             'transposed': False,
             'weight': ('T', (3, 2, 2, 2, 2), 'float64', None)}),
 'conv_t3d': ('ConvolutionBackward0',
              {'bias_sym_sizes_opt': (0,),
               'dilation': (1, 1, 1),
               'groups': 1,
               'input': ('T', (1, 2, 3, 3, 3), 'float64', None),
               'output_padding': (1, 0, 1),
               'padding': (0, 0, 0),
               'stride': (2, 2, 2),
               'transposed': True,
               'weight': ('T', (2, 3, 2, 2, 2), 'float64', None)}),
 'nll_mean': ('NllLossBackward0',
              {'ignore_index': 18446744073709551516,
               'reduction': 1,
               'self': ('T', (3, 4), 'float64', None),
               'target': ('T', (3,), 'int64', [0, 1, 3]),
               'total_weight': ('T', (), 'float64', 3.0),
               'weight': None}),
 'nll_sum_w': ('NllLossBackward0',
               {'ignore_index': 1,
                'reduction': 2,
                'self': ('T', (3, 4), 'float64', None),
                'target': ('T', (3,), 'int64', [0, 1, 3]),
                'total_weight': ('T', (), 'float64', 5.0),
                'weight': ('T', (4,), 'float64', [1.0, 2.0, 3.0, 4.0])}),
 'nll_none': ('NllLossBackward0',
              {'ignore_index': 18446744073709551516,
               'reduction': 0,
               'self': ('T', (3, 4), 'float64', None),
               'target': ('T', (3,), 'int64', [0, 1, 3]),
               'total_weight': ('T', (), 'float64', 0.0),
               'weight': None}),
 'nll2d': ('NllLoss2DBackward0',
           {'ignore_index': 18446744073709551516,
            'reduction': 1,
            'self': ('T', (2, 3, 2, 2), 'float64', None),
            'target': ('T', (2, 2, 2), 'int64', None),
            'total_weight': ('T', (), 'float64', 8.0),
            'weight': None}),
 'cross_entropy': ('NllLossBackward0',
                   {'ignore_index': 18446744073709551516,
                    'reduction': 1,
                    'self': ('T', (3, 4), 'float64', None),
                    'target': ('T', (3,), 'int64', [0, 1, 3]),
                    'total_weight': ('T', (), 'float64', 3.0),
                    'weight': None}),
 'leaky_relu': ('LeakyReluBackward0', {'negative_slope': 0.2, 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'elu': ('EluBackward0',
         {'alpha': 0.5, 'input_scale': 1, 'scale': 1, 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'selu': ('EluBackward0',
          {'alpha': 1.6732632423543772,
           'input_scale': 1,
           'scale': 1.0507009873554805,
           'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'celu': ('CeluBackward0', {'alpha': 0.5, 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'gelu_tanh': ('GeluBackward0', {'approximate': 'tanh', 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'gelu': ('GeluBackward0', {'approximate': 'none', 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'softplus': ('SoftplusBackward0',
              {'beta': 2.5, 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1]), 'threshold': 15.0}),
 'hardtanh': ('HardtanhBackward0',
              {'max_val': 0.5, 'min_val': -0.5, 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'hardshrink': ('HardshrinkBackward0', {'lambd': 0.3, 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])}),
 'softshrink': ('SoftshrinkBackward0', {'lambd': 0.3, 'self': ('T', (3,), 'float64', [1.79, 0.44, 0.1])})}


@pytest.mark.parametrize("case", sorted(CASES))
def test_nn_saved_attributes_match_pytorch(case):
    _check(case, CASES[case], EXPECTED)


def test_saved_tensors_are_the_arguments():
    idx, w = T.tensor([1, 3]), x(5, 3)
    fn = F.embedding(idx, w).grad_fn
    assert fn._saved_indices is idx and fn._raw_saved_indices is not None
    t, wt = T.tensor([0, 1, 3]), T.tensor([1.0, 2, 3, 4], dtype=T.float64)
    fn = F.nll_loss(x(3, 4), t, weight=wt).grad_fn
    assert fn._saved_target is t and fn._saved_weight is wt  # (as PyTorch's: the same objects)


def test_layer_norm_keeps_its_bias():
    # PyTorch 2.13 saves the bias: changing it in place before backward raises
    b = x(3) * 1
    y = F.layer_norm(x(2, 3), (3,), x(3), b)
    with T.no_grad():
        b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_layer_norm_moments_freed_after_backward():
    y = F.layer_norm(x(2, 3), (3,))
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        _ = y.grad_fn._saved_result1


def test_celu_shows_only_alpha():
    fn = F.celu(x(3), 0.5).grad_fn
    assert fn._saved_alpha == 0.5
    with pytest.raises(AttributeError):
        _ = fn._saved_scale


def test_layer_norm_packs_bias_input_weight_in_pytorchs_order():
    # PyTorch 2.13 packs bias, input, weight (then mean and rstd, which tensorgraft keeps as attrs)
    x = T.randn(2, 3, requires_grad=True)
    w, b = T.randn(3, requires_grad=True), T.randn(3) * 2
    seen = []
    with T.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t) or t, lambda t: t):
        T.nn.functional.layer_norm(x, (3,), w, b)
    assert len(seen) == 3 and seen[0] is b and seen[2] is w and seen[1].shape == (2, 3)
