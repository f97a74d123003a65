"""``nn.LSTM``/``nn.GRU`` under CPU autocast, computed in the dtypes PyTorch 2.13 computes them in.

PyTorch's CPU LSTM over a padded batch is one oneDNN op (``mkldnn_rnn_layer``), which is on
autocast's lower-precision list: input, states and weights are cast, and the results come out in the
autocast dtype (bfloat16 by default). A packed LSTM and GRU run PyTorch's float32 kernels, whose
inner products are not cast. tensorgraft's layers are made of fused cell/layer ops and a linear per
layer; autocast would cast that linear alone and leave the fused op mixed dtypes (an error). So these
two modules make the whole decision here and run with autocast off inside. (The plain ``nn.RNN``
needs nothing: its linear's bfloat16 output carries the recurrence, as PyTorch's does.)
"""
from __future__ import annotations

from tensorgraft.amp import autocast, get_autocast_dtype, is_autocast_enabled


def cpu_autocast_on() -> bool:
    return is_autocast_enabled("cpu")


def autocast_rnn_forward(module, input, hx):
    """``RNNBase.forward`` of an LSTM or GRU while CPU autocast is on (see the module docstring)."""
    import tensorgraft as tg
    from ..utils.rnn import PackedSequence
    from ..utils.stateless import _reparametrize_module
    from .rnn import RNNBase
    with autocast("cpu", enabled=False):
        if (module.mode == "LSTM" and not isinstance(input, PackedSequence) and input.device.type == "cpu"
                and input.dtype is tg.float32):
            low = get_autocast_dtype("cpu")
            weights = {n: p.to(low) for n, p in module.named_parameters() if p.dtype is tg.float32}
            if hx is not None:
                hx = tuple(h.to(low) if h.dtype is tg.float32 else h for h in hx)
            with _reparametrize_module(module, weights):
                return RNNBase.forward(module, input.to(low), hx)
        return RNNBase.forward(module, input, hx)
