"""The node of a convolution's gradient taken with create_graph=True, with PyTorch's edges.

PyTorch computes a conv's gradients with one op, ``convolution_backward(grad_output, input,
weight)``, whose node (``ConvolutionBackwardBackward0``) has those three edges in that order for
each of the input, weight and bias gradients. Here each gradient is one of the conv trio's ops
(``conv3d.py``): the input's a transposed conv of (grad_output, weight), the weight's the weight op
of (input, grad_output). ``as_convolution_backward`` runs such an op unrecorded and records its
result on a node over (grad_output, input, weight) instead; that node's formula hands the op's own
formula a stand-in node with the op's inputs, so the gradients (and every higher order) are the
op's, only the edges are PyTorch's."""
from __future__ import annotations

from ._common import formula, needs, nnop, record

BB = "ConvolutionBackwardBackward0"


class _OpInputs:
    """What the conv trio's formulas read of a node: its inputs, attrs and needs_input_grad."""

    __slots__ = ("inputs", "attrs", "needs_input_grad")

    def __init__(self, inputs, attrs, needs_input_grad):
        self.inputs, self.attrs, self.needs_input_grad = inputs, attrs, needs_input_grad


def as_convolution_backward(run, grads, attrs, pos, grad_output, input, weight):
    """``run()``'s result (an op of the conv trio over some of ``grad_output``, ``input``,
    ``weight``) recorded on one node over those three. ``grads(node, g)`` is that op's formula;
    ``attrs`` the op's attrs; ``pos[i]`` where the op's i-th input is among the three (None: not
    one of them, a bias left out)."""
    import tensorgraft as tg
    with tg.no_grad():
        res = run()
    if needs(grad_output, input, weight):
        record(_CONV_BACKWARD, res, (grad_output, input, weight), {"grads": grads, "op_attrs": attrs, "pos": pos})
    return res


def _unused_kernel(xp, *args):  # as_convolution_backward runs the trio's op itself
    raise RuntimeError("nn.convolution_backward_edges has no kernel of its own: call as_convolution_backward")


# (an op only for its node class and formula: no frontend of its own, as nll_loss_backward's)
_CONV_BACKWARD = nnop("convolution_backward_edges", _unused_kernel, None, node=BB)


@formula("convolution_backward_edges")
def _convolution_backward_grad(node, gg):
    a = node.attrs
    pos = a["pos"]
    ins, need = node.inputs, node.needs_input_grad
    inner = _OpInputs(tuple(None if p is None else ins[p] for p in pos), a["op_attrs"],
                      tuple(False if p is None else need[p] for p in pos))
    out = [None, None, None]
    for p, d in zip(pos, a["grads"](inner, gg)):
        if p is not None and d is not None:
            out[p] = d
    return tuple(out)
