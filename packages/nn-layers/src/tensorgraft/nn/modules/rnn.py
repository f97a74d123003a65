"""RNN, LSTM (with or without projections), GRU (multi-layer, bidirectional, batch_first, padded or
packed input) and their cells, with PyTorch's parameter names and layout. The input projection of a
whole sequence is one fused linear per layer and direction; only the recurrent part loops over time
steps, on the rows of the sequences still running. For LSTM and GRU on a padded batch (LSTM without
projections) that loop runs inside one op per layer and direction (one graph node, not a few per
step); packed input, projections and the plain RNN loop here, one fused cell per step."""
from __future__ import annotations

import math
import warnings
from tensorgraft.argument_errors import c_type_name

import tensorgraft as _tg
from tensorgraft.ops.creation import empty, zeros

from .. import functional as F, init
from ..functional_ops.linear import linear_one_node
from ..functional_ops.rnn_cell import fused_gru_cell, fused_gru_layer, fused_lstm_cell, fused_lstm_layer
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ._rnn_autocast import autocast_rnn_forward, cpu_autocast_on
from .module import Module

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_PUBLIC = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def _cell(mode, xg, h, c, w_hh, b_hh, linear=F.linear):
    """One step of ``mode`` given the precomputed input projection ``xg`` (N, gates): the recurrent
    linear and, for LSTM and GRU, one fused node for everything after it. The layers pass
    ``linear_one_node``: PyTorch's RNN layers are one node, so the steps' linears are nobody's to
    walk, and the smaller graph is faster to run back."""
    hg = linear(h, w_hh, b_hh)
    if mode == "LSTM":
        return fused_lstm_cell(xg, hg, c)
    if mode == "GRU":
        return fused_gru_cell(xg, hg, h), None
    pre = xg + hg
    return (pre.tanh() if mode == "RNN_TANH" else pre.relu()), None


def _composed_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM or GRU cell step of ordinary ops, as PyTorch's CPU LSTMCell/GRUCell compute it."""
    if mode == "LSTM":
        gates = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
        i, f, g, o = gates.unsafe_chunk(4, 1)
        i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
        cy = (f * c) + (i * g)
        return o * cy.tanh(), cy
    i_r, i_z, i_n = F.linear(x, w_ih, b_ih).unsafe_chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).unsafe_chunk(3, 1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + h_n * r).tanh()
    return (h - n) * z + n, None


def _no_proj_size(kwargs):
    """RNN and GRU refuse LSTM's projections before passing their arguments on to ``RNNBase.__init__``."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
            if not isinstance(value, kind):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        fk = dict(device=device, dtype=dtype)
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                params = [Parameter(empty((gate_size, layer_input_size), **fk)),
                          Parameter(empty((gate_size, real_hidden_size), **fk))]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    params += [Parameter(empty(gate_size, **fk)), Parameter(empty(gate_size, **fk))]
                if proj_size > 0:
                    names.append(f"weight_hr_l{layer}{suffix}")
                    params.append(Parameter(empty((proj_size, hidden_size), **fk)))
                for n, p in zip(names, params):
                    setattr(self, n, p)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self):
        pass

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -------------------------------------------------------------- argument checks (PyTorch's messages)
    def check_input(self, input, batch_sizes):
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        expected_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")

    def get_expected_hidden_size(self, input, batch_sizes):
        mini_batch = int(batch_sizes[0]) if batch_sizes is not None else input.shape[0 if self.batch_first else 1]
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.proj_size if self.proj_size > 0
                else self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # -------------------------------------------------------------- the recurrence
    def _direction(self, xs, sizes, h0, c0, names, reverse):
        """One layer, one direction over the steps ``xs`` (input projections; step ``t`` has
        ``sizes[t]`` rows, the sequences still running, so a padded batch has them all equal).
        Each sequence's final state is taken at its own last step; the reverse direction starts each
        sequence at its last real element from its initial state."""
        mode = self.mode
        w_hh = getattr(self, names[1])
        b_hh = getattr(self, names[3]) if self.bias else None
        w_hr = getattr(self, names[-1]) if self.proj_size > 0 else None
        T = len(xs)
        outs = [None] * T
        h, c = h0, c0
        if not reverse:
            ended_h, ended_c = [], []  # states of sequences that have ended, shortest (last rows) first
            for t in range(T):
                n = sizes[t]
                if n < h.shape[0]:
                    ended_h.append(h[n:])
                    h = h[:n]
                    if c is not None:
                        ended_c.append(c[n:])
                        c = c[:n]
                h, c = _cell(mode, xs[t], h, c, w_hh, b_hh, linear_one_node)
                if w_hr is not None:
                    h = linear_one_node(h, w_hr)
                outs[t] = h
            if ended_h:
                h = _tg.cat([h] + ended_h[::-1], 0)
                c = _tg.cat([c] + ended_c[::-1], 0) if c is not None else None
        else:
            n = sizes[-1]
            if n < h0.shape[0]:
                h = h0[:n]
                c = c0[:n] if c0 is not None else None
            for t in range(T - 1, -1, -1):
                n, m = sizes[t], h.shape[0]
                if n > m:  # sequences whose last element is step t join with their initial state
                    h = _tg.cat([h, h0[m:n]], 0)
                    c = _tg.cat([c, c0[m:n]], 0) if c is not None else None
                h, c = _cell(mode, xs[t], h, c, w_hh, b_hh, linear_one_node)
                if w_hr is not None:
                    h = linear_one_node(h, w_hr)
                outs[t] = h
        return outs, h, c

    def _whole_layer(self, x, h0, c0, names, reverse):
        """The common LSTM and GRU case (padded batch, no projection): the whole time loop of one
        layer and direction is one op. LSTM adds both biases to the same pre-activations, so they
        are folded into the input projection; GRU scales the hidden part of its n gate, so its hidden
        bias stays with the op. -> (output, h_n, c_n or None)."""
        w_ih, w_hh = getattr(self, names[0]), getattr(self, names[1])
        b_ih, b_hh = (getattr(self, names[2]), getattr(self, names[3])) if self.bias else (None, None)
        if self.mode == "LSTM":
            bias = b_ih + b_hh if self.bias else None
            out, c = fused_lstm_layer(linear_one_node(x, w_ih, bias), w_hh, h0, c0, reverse)
        else:
            out, c = fused_gru_layer(linear_one_node(x, w_ih, b_ih), w_hh, b_hh, h0, reverse), None
        return out, out[0 if reverse else -1], c

    def _recurrence(self, x, sizes, h0, c0, packed):
        """All layers and directions. ``x`` is packed data (sum(sizes), I) or a padded (T, N, I)."""
        D = 2 if self.bidirectional else 1
        hn, cn = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                names = self._all_weights[k]
                if self.mode in ("LSTM", "GRU") and not packed and not self.proj_size:
                    o, h, c = self._whole_layer(x, h0[k], c0[k] if c0 is not None else None, names, d == 1)
                    outs.append(o)
                    hn.append(h)
                    cn.append(c)
                    continue
                b_ih = getattr(self, names[2]) if self.bias else None
                xg = linear_one_node(x, getattr(self, names[0]), b_ih)  # one matmul for the whole sequence
                xs = xg.split(sizes, 0) if packed else xg.unbind(0)
                o, h, c = self._direction(xs, sizes, h0[k], c0[k] if c0 is not None else None, names, d == 1)
                outs.append(_tg.cat(o, 0) if packed else _tg.stack(o, 0))
                hn.append(h)
                cn.append(c)
            x = outs[0] if D == 1 else _tg.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, _tg.stack(hn, 0), (_tg.stack(cn, 0) if c0 is not None else None)

    def _check_state_dtypes(self, h0, c0, ragged):
        """A state of another dtype than the weights fails where PyTorch's CPU kernels fail: a float32
        LSTM without projections on a padded batch (or packed sequences of one length) in oneDNN,
        otherwise the first recurrent linear (hidden @ w_hh), with F.linear's own message."""
        w = self._flat_weights[0]
        if h0.dtype == w.dtype and (c0 is None or c0.dtype == w.dtype):
            return
        if self.mode == "LSTM" and self.proj_size == 0 and w.dtype == _tg.float32 and not ragged:
            if _tg.float16 in (h0.dtype, c0.dtype):
                raise RuntimeError("could not create a primitive descriptor for the LSTM forward propagation "
                                   "primitive. Run workload with environment variable ONEDNN_VERBOSE=all to get "
                                   "additional diagnostic information.")
            raise RuntimeError("get_mkldnn_dtype: unsupported data type")
        if h0.dtype != w.dtype:
            F.linear(h0[0], self.weight_hh_l0, self.bias_hh_l0 if self.bias else None)   # raises

    def _check_packed_lstm(self, x, h0, c0, N):
        """PyTorch's packed LSTM runs no ``check_forward_args``: its kernel's errors, in its order."""
        per_layer = (4 if self.bias else 2) + (h0.shape[-1] != c0.shape[-1])   # (h wider than c: projections)
        if len(self._flat_weights) % per_layer:
            raise RuntimeError("got an incorrect number of RNN parameters")
        layers = h0.shape[0]
        if self.bidirectional and layers % 2:
            raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
        if layers // (2 if self.bidirectional else 1) != self.num_layers:
            raise RuntimeError("Expected more hidden states in stacked_rnn")
        if x.dtype != self.weight_ih_l0.dtype or x.shape[-1] != self.input_size:
            F.linear(x, self.weight_ih_l0, self.bias_ih_l0 if self.bias else None)   # raises (all steps at once)
        for a, b in ((h0.shape[1], N), (N, c0.shape[1])):   # (h @ w_hh + x @ w_ih, then forget gate * c)
            if a != b and 1 not in (a, b):
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                   "non-singleton dimension 0")

    def _check_lstm_state(self, hx, packed):
        if isinstance(hx, (tuple, list)):
            if len(hx) != 2:
                raise RuntimeError("lstm expects two hidden states")
            return
        p = "!list of [%s]!" % ", ".join(type(w).__name__ for w in self._flat_weights)
        given, first, second = (
            ("(Tensor, Tensor, Tensor, list, bool, int, float, bool, bool)",
             f"(Tensor, Tensor, !Tensor!, {p}, bool, int, float, bool, bool)",
             f"(Tensor, !Tensor!, !Tensor!, {p}, !bool!, int, !float!, bool, bool)") if packed else
            ("(Tensor, Tensor, list, bool, int, float, bool, bool, bool)",
             f"(Tensor, Tensor, {p}, !bool!, !int!, !float!, !bool!, bool, bool)",
             f"(Tensor, !Tensor!, {p}, bool, int, float, bool, bool, bool)"))
        raise TypeError(
            f"lstm() received an invalid combination of arguments - got {given}, but expected one of:\n"
            " * (Tensor data, Tensor batch_sizes, tuple of Tensors hx, tuple of Tensors params, bool has_biases, "
            "int num_layers, float dropout, bool train, bool bidirectional)\n"
            f"      didn't match because some of the arguments have invalid types: {first}\n"
            " * (Tensor input, tuple of Tensors hx, tuple of Tensors params, bool has_biases, int num_layers, "
            "float dropout, bool train, bool bidirectional, bool batch_first)\n"
            f"      didn't match because some of the arguments have invalid types: {second}\n")

    def forward(self, input, hx=None):
        is_lstm = self.mode == "LSTM"
        D = 2 if self.bidirectional else 1
        packed = isinstance(input, PackedSequence)
        batched = True
        if packed:
            input, batch_sizes, sorted_indices, unsorted_indices = input
            sizes = [int(b) for b in batch_sizes.tolist()]
            N = sizes[0]
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                tail = " tensor" if _PUBLIC[self.mode] == "RNN" else ""
                raise ValueError(f"{_PUBLIC[self.mode]}: Expected input to be 2D or 3D, got {input.dim()}D{tail} "
                                 "instead")
            batched = input.dim() == 3
            if hx is not None:
                # LSTM's state is read as hx[0] and hx[1] (indexing, as PyTorch does): a one-element
                # list or a lone (1, N, H) tensor fails with the container's own IndexError, and a
                # tensor stacking (h, c) on its first dimension is taken apart
                dims = (hx[0].dim(), hx[1].dim()) if is_lstm else (hx.dim(),)
                want = 3 if batched else 2
                if any(d != want for d in dims):
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    if is_lstm:
                        raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                           f"({dims[0]}-D, {dims[1]}-D) tensors")
                    raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {dims[0]}-D tensor")
            if not batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
                if hx is not None:
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if is_lstm else hx.unsqueeze(1)
            N = input.shape[0] if self.batch_first else input.shape[1]
        if hx is None:
            fk = dict(dtype=input.dtype, device=input.device)
            h0 = zeros((self.num_layers * D, N, self.proj_size or self.hidden_size), **fk)
            c0 = zeros((self.num_layers * D, N, self.hidden_size), **fk) if is_lstm else None
        elif is_lstm:
            if packed and sorted_indices is None:   # the kernel, which takes only a pair, reads it first
                self._check_lstm_state(hx, packed)
            h0, c0 = hx[0], hx[1]
        else:
            h0, c0 = hx, None
        if packed and hx is not None:  # in the caller's batch order, made the packed one before any check
            h0, c0 = self.permute_hidden((h0, c0), sorted_indices) if is_lstm else \
                (self.permute_hidden(h0, sorted_indices), None)
        if packed and is_lstm:
            self._check_packed_lstm(input, h0, c0, N)
        else:
            self.check_forward_args(input, (h0, c0) if is_lstm else h0, batch_sizes)
        # a packed batch of equal lengths runs as a padded one in PyTorch's CPU LSTM
        self._check_state_dtypes(h0, c0, packed and len(set(sizes)) > 1)
        if is_lstm and hx is not None and not packed:
            self._check_lstm_state(hx, packed)   # the state reaches the LSTM kernel as given
        if packed:
            output, h_n, c_n = self._recurrence(input, sizes, h0, c0, True)
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
            hidden = self.permute_hidden((h_n, c_n) if is_lstm else h_n, unsorted_indices)
            return output, hidden
        x = input.transpose(0, 1) if self.batch_first else input
        if x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        output, h_n, c_n = self._recurrence(x, [N] * x.shape[0], h0, c0, False)
        if self.batch_first:
            # PyTorch turns RNN and GRU outputs back in place (grad_fn TransposeBackward1) and LSTM's
            # out of place (TransposeBackward0); both are free views, so follow it for the node names
            output = output.transpose(0, 1) if is_lstm else output.transpose_(0, 1)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        return (output, (h_n, c_n)) if is_lstm else (output, h_n)


class RNN(RNNBase):
    # RNN, LSTM and GRU take ``*args, **kwargs`` and pass them on to ``RNNBase.__init__``, as PyTorch's
    # do: a wrong call (a missing, surplus or unknown argument) is a TypeError naming RNNBase.__init__()
    def __init__(self, *args, **kwargs):
        _no_proj_size(kwargs)
        if len(args) > 3:   # the fourth positional argument is RNN's nonlinearity, which RNNBase lacks
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        self.nonlinearity = nonlinearity
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        # each class has its own forward, as in PyTorch, so a call's errors name RNN.forward()
        return RNNBase.forward(self, input, hx)


class LSTM(RNNBase):
    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        # (its own forward, as PyTorch's, so errors name LSTM.forward(); CPU autocast: _rnn_autocast.py)
        return autocast_rnn_forward(self, input, hx) if cpu_autocast_on() else RNNBase.forward(self, input, hx)

    def get_expected_cell_size(self, input, batch_sizes):
        return RNNBase.get_expected_hidden_size(self, input, batch_sizes)[:2] + (self.hidden_size,)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        return hx if permutation is None else (hx[0].index_select(1, permutation), hx[1].index_select(1, permutation))


class GRU(RNNBase):
    def __init__(self, *args, **kwargs):
        _no_proj_size(kwargs)
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        # (its own forward, as PyTorch's, so errors name GRU.forward(); CPU autocast: _rnn_autocast.py)
        return autocast_rnn_forward(self, input, hx) if cpu_autocast_on() else RNNBase.forward(self, input, hx)


class RNNCellBase(Module):
    """Base of RNNCell/LSTMCell/GRUCell (PyTorch's class hierarchy): the two weight matrices of
    ``num_chunks`` gates and their biases."""
    __constants__ = ["input_size", "hidden_size", "bias"]
    _mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _step(self, input, h, c):
        if self.mode in ("LSTM", "GRU") and input.device.type == "cpu":
            # PyTorch's CPU cells are composed of ordinary ops (only its CUDA build has the fused cell
            # kernels): the same ops in the same order here, so the grad_fn users print (an LSTMCell's
            # h is MulBackward0, its c AddBackward0, a GRUCell's AddBackward0) and the graph under it match
            return _composed_cell(self.mode, input, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        xg = F.linear(input, self.weight_ih, self.bias_ih)
        return _cell(self.mode, xg, h, c, self.weight_hh, self.bias_hh)

    # -------------------------------------------------------------- argument checks (PyTorch's messages)
    # Without them a wrong hidden state can broadcast through the gate arithmetic and give a result of
    # the right shape from the wrong numbers (an LSTMCell given one (N, H) tensor as ``hx`` would read
    # its rows as h and c), so they run before anything is computed.
    def _check_input_dim(self, input):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.dim()}D instead")

    def _check_hidden_dim(self, hidden, label="hidden"):
        if hidden.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected {label} to be 1D or 2D, got {hidden.dim()}D instead")

    def _check_sizes(self, x, hiddens):
        """``x`` is (N, input_size); each of ``hiddens`` must be (N, hidden_size)."""
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}")
        for i, h in enumerate(hiddens):
            if h.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} batch size {h.shape[0]}")
            if h.dim() < 2:  # PyTorch reads size(1) here
                raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                                   f"{self.hidden_size}")

    def _forward_one_state(self, input, hx):
        """``forward`` of the cells whose state is one tensor (RNNCell, GRUCell): a zero state when
        ``hx`` is None, and a batch of one added to unbatched input and removed from the result."""
        self._check_input_dim(input)
        if hx is not None:
            self._check_hidden_dim(hx)
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            h = zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
        else:
            h = hx if batched else hx.unsqueeze(0)
        self._check_sizes(x, (h,))
        out, _ = self._step(x, h, None)
        return out if batched else out.squeeze(0)

    @property
    def mode(self):
        return self._mode


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._forward_one_state(input, hx)


class LSTMCell(RNNCellBase):
    _mode = "LSTM"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        self._check_input_dim(input)
        if hx is not None:
            # iterating (not indexing) as PyTorch does: a tensor given as ``hx`` is checked row by row
            for i, part in enumerate(hx):
                self._check_hidden_dim(part, f"hx[{i}]")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            z = zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
            hx = (z, z)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        if not isinstance(hx, (tuple, list)):
            raise TypeError(f"lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not "
                            f"{c_type_name(hx)}")
        if len(hx) != 2:
            raise RuntimeError("lstm_cell expects two hidden states")
        self._check_sizes(x, hx)
        h, c = self._step(x, hx[0], hx[1])
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    _mode = "GRU"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._forward_one_state(input, hx)


_CellBase = RNNCellBase  # (the name this class had before it was public)
