"""FLOPs of the recurrent modules, which tensorgraft runs as fused kernels a mode does not see.

PyTorch's CPU ``GRU``/``RNN`` run, per layer and direction, one ``linear`` of the whole input by
``weight_ih`` (``aten.addmm`` with a bias and a contiguous input, ``aten.mm`` otherwise, as
``at::linear``) and, per time step, one ``linear`` of the hidden state by ``weight_hh``; the cells
(``GRUCell``, ``RNNCell``, ``LSTMCell``) one of each. ``LSTM`` runs a kernel of its own, not in the
FLOP table: 0, as in PyTorch. Backward: an ``aten.mm`` of the same size per needed gradient."""
from __future__ import annotations

from .decompositions import _contiguous, _mm, _tok
from .formulas import aten

_GATES = {"GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1, "GRUCell": 3, "RNNCell": 1, "LSTMCell": 4}


def _linear(rows, n_in, n_out, bias, contiguous_or_matrix, input_needs, weight_needs, forward, backward):
    f, b = _mm(rows, n_in, n_out, (input_needs, weight_needs), aten.addmm if bias and contiguous_or_matrix else None)
    forward.extend(f)
    backward.extend(b)


def module_plan(module, args, kwargs):
    """(forward, backward) for a call of a recurrent module, or None for a module not counted so."""
    kind = type(module).__name__
    mode = getattr(module, "mode", None)
    key = mode if kind not in _GATES and mode in ("GRU", "RNN_TANH", "RNN_RELU") else kind
    if key not in _GATES:
        return None
    from tensorgraft.nn.utils.rnn import PackedSequence
    x = args[0] if args else kwargs.get("input")
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    gates = _GATES[key]
    if kind.endswith("Cell"):
        return _cell_plan(module, x, hx, gates)
    if not hasattr(x, "shape") and not isinstance(x, PackedSequence):
        return None
    return _layers_plan(module, x, hx, gates, PackedSequence)


def _cell_plan(module, x, hx, gates):
    if isinstance(hx, tuple):  # LSTMCell: (h, c)
        hx = hx[0]
    rows = 1 if x.dim() == 1 else x.shape[0]
    forward, backward = [], []
    bias = module.bias
    _linear(rows, module.input_size, gates * module.hidden_size, bias, True, _tok(x), _tok(module.weight_ih),
            forward, backward)
    _linear(rows, module.hidden_size, gates * module.hidden_size, bias, True, _tok(hx), _tok(module.weight_hh),
            forward, backward)
    return forward, backward


def _layers_plan(module, x, hx, gates, PackedSequence):
    bias = module.bias
    hidden = module.hidden_size
    directions = 2 if module.bidirectional else 1
    if isinstance(x, PackedSequence):
        steps = [int(b) for b in x.batch_sizes.tolist()]
        data = x.data
        rows, first_contiguous = data.shape[0], True  # the packed data is a matrix
        x_needs = _tok(data)
    else:
        batched = x.dim() == 3
        shape, strides = list(x.shape), list(x.stride())
        if not batched:  # (seq, feature) runs as (seq, 1, feature)
            shape, strides = [shape[0], 1, shape[1]], [strides[0], 0, strides[1]]
        elif module.batch_first:
            shape, strides = [shape[1], shape[0], shape[2]], [strides[1], strides[0], strides[2]]
        steps = [shape[1]] * shape[0]
        rows, first_contiguous = shape[0] * shape[1], _contiguous(shape, strides)
        x_needs = _tok(x)
    hx_needs = _tok(hx)
    forward, backward = [], []
    params = dict(module.named_parameters())
    # the states after the first step and the outputs of the lower layers: needed with anything
    any_needs = True if (x_needs is not None or hx_needs is not None
                         or any(p.requires_grad for p in params.values())) else None
    for layer in range(module.num_layers):
        n_in = module.input_size if layer == 0 else hidden * directions
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            w_ih, w_hh = params[f"weight_ih{suffix}"], params[f"weight_hh{suffix}"]
            _linear(rows, n_in, gates * hidden, bias, first_contiguous if layer == 0 else True,
                    x_needs if layer == 0 else any_needs, _tok(w_ih), forward, backward)
            for t, batch in enumerate(steps):
                _linear(batch, hidden, gates * hidden, bias, True, hx_needs if t == 0 else any_needs,
                        _tok(w_hh), forward, backward)
    return forward, backward
