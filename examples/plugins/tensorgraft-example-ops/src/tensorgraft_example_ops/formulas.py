"""Backward formulas, written with tensorgraft ops so they can be differentiated again
(``create_graph=True``, ``gradgradcheck``)."""
from __future__ import annotations

import tensorgraft as tg
from tensorgraft.plugins.api import formula


@formula(saves=(0,))
def swish_backward(node, grad):
    x = node.inputs[0]
    beta = node.attrs["beta"]
    s = tg.sigmoid(x * beta)
    return (grad * (s + beta * x * s * (1 - s)),)


@formula(saves=(1,))
def segment_sum_backward(node, grad):
    # d out[s] / d data[i] = 1 where segment_ids[i] == s: the gradient is a gather
    segment_ids = node.inputs[1]
    return (grad[segment_ids], None, None)


FORMULAS = {"example.swish": swish_backward, "example.segment_sum": segment_sum_backward}
