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


def _spatial(node):
    return len(node.in_meta[0][0]) - 2  # (a 1-D conv runs as a 2-D one: its settings have a leading 1)


def _output_padding(node):
    """A transposed conv's output_padding, from the output sizes its node keeps (``out_sp``)."""
    n = _spatial(node)
    a, ins, ks = node.attrs, node.in_meta[0][0][2:], node.in_meta[1][0][2:]
    if not node.attrs.get("transposed_out"):
        return (0,) * n
    s, d, p = a["stride"][-n:], a["dil"][-n:], a["pads"][0::2][-n:]
    return tuple(o - ((i - 1) * s_ - 2 * p_ + d_ * (k - 1) + 1)
                 for o, i, k, s_, d_, p_ in zip(a["transposed_out"][-n:], ins, ks, s, d, p))


def declare_conv_saved(formula, transposed):
    """What PyTorch's ConvolutionBackward0 shows (``_saved_input``/``_saved_weight``, the settings as
    the conv's ``nd`` ints, ``_saved_bias_sym_sizes_opt``), computed from the node's attrs when read."""
    formula.input_names = ("input", "weight", None)
    formula.saved_hidden = ("pads", "dil", "cols", "out_hw", "out_sp", "node_name", "also", "transposed_out")
    from tensorgraft.autograd.saved_properties import FromNode
    formula.saved_defaults = {
        "stride": FromNode(lambda node: tuple(node.attrs["stride"][-_spatial(node):])),
        "dilation": FromNode(lambda node: tuple(node.attrs["dil"][-_spatial(node):])),
        "padding": FromNode(lambda node: tuple(node.attrs["pads"][0::2][-_spatial(node):])),
        "transposed": transposed,
        "output_padding": FromNode(_output_padding),
        "bias_sym_sizes_opt": FromNode(lambda node: (0,) if node.in_meta[2] is None else tuple(node.in_meta[2][0])),
    }
