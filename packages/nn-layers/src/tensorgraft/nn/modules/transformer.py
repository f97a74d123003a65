"""MultiheadAttention (PyTorch's packed in_proj layout), TransformerEncoderLayer, TransformerEncoder."""
from __future__ import annotations

import copy
import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft.ops.creation import empty

from .. import functional as F
from .. import init
from ..functional_ops import multi_head_attention as _mha
from ..parameter import Parameter
from .activation import GELU, ReLU
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm


class NonDynamicallyQuantizableLinear(Linear):
    pass


class MultiheadAttention(Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        fk = dict(device=device, dtype=dtype)
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **fk))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **fk))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **fk))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **fk))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **fk))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **fk)
        if add_bias_kv:  # a learned key and value appended to every sequence (after the projection)
            self.bias_k = Parameter(empty((1, 1, embed_dim), **fk))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **fk))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        _warn_if_mismatched(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask")
        # the math is F.multi_head_attention_forward's (one copy, in functional_ops/multi_head_attention.py)
        return _mha.module_forward(self, query, key, value, key_padding_mask, need_weights, attn_mask,
                                   average_attn_weights, is_causal)


def _warn_if_mismatched(padding_mask, padding_name, mask, mask_name):
    """PyTorch's deprecation warning for a bool mask given with a float one (or the other way round).
    Returns whether they were mismatched."""
    if padding_mask is None or mask is None or padding_mask.dtype == mask.dtype:
        return False
    warnings.warn(f"Support for mismatched {padding_name} and {mask_name} is deprecated. Use same type for both "
                  "instead.", stacklevel=4)
    return True


def _as_float_mask(mask, dtype):
    """An additive float mask (0 where attended, -inf where masked) for a bool one; float ones are kept."""
    if mask is None or mask.dtype != _tg.bool:
        return mask
    return _tg.zeros(tuple(mask.shape), dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))


_INT_C_NAMES = {_tg.int64: "int64_t", _tg.int32: "int", _tg.int16: "int16_t", _tg.int8: "int8_t",
                _tg.uint8: "uint8_t"}


def _check_mask_dtype(mask, name):
    """PyTorch's encoder and encoder layer take bool or float masks only, checked under their own names."""
    if mask is not None and mask.dtype != _tg.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")


def _as_bool_mask(mask):
    """A bool mask (True: masked) for a float one, as PyTorch's fused encoder layer reads it."""
    if mask is None or mask.dtype == _tg.bool:
        return mask
    return mask != 0


def _relu_or_gelu(activation):
    """1 for ReLU, 2 for GELU, 0 for anything else: PyTorch's ``activation_relu_or_gelu`` code, which
    decides whether TransformerEncoder may take its inference fast path."""
    # compared behind any __torch_function__ wrapper: the ``activation=F.relu`` default was taken when
    # this module loaded, perhaps before dispatch wrapped ``F.relu``
    def unwrapped(f):
        return getattr(f, "__torch_function_wrapped__", f)
    if activation == "relu" or unwrapped(activation) is unwrapped(F.relu) or isinstance(activation, ReLU):
        return 1
    if activation == "gelu" or unwrapped(activation) is unwrapped(F.gelu) or isinstance(activation, GELU):
        return 2
    return 0


def _activation(activation):
    """The layer's activation function: ``"relu"``/``"gelu"`` as ``F.relu``/``F.gelu``; and the
    ``activation=F.relu`` default, taken when this module loaded, as today's ``F.relu`` (once
    ``__torch_function__`` dispatch is on, ``F.relu`` is a wrapper around that function)."""
    if isinstance(activation, str):
        return _get_activation_fn(activation)
    for public in (F.relu, F.gelu):
        if activation is getattr(public, "__torch_function_wrapped__", None):
            return public
    return activation


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: how their parts are built and the self-attention
    sublayer."""

    def _add_parts(self, attentions, d_model, nhead, dim_feedforward, dropout, layer_norm_eps, batch_first,
                   norm_first, bias, fk):
        """The attention modules named in ``attentions``, the feed-forward block (``linear1``,
        ``dropout``, ``linear2``) and one ``norm<i>`` and one ``dropout<i>`` per sublayer (each
        attention, then the feed-forward block): PyTorch's names, in its order, which the state_dict,
        the repr and the order of the random initialisations follow."""
        for name in attentions:
            setattr(self, name, MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                   batch_first=batch_first, **fk))
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **fk)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **fk)
        self.norm_first = norm_first
        sublayers = range(1, len(attentions) + 2)
        for i in sublayers:
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk))
        for i in sublayers:
            setattr(self, f"dropout{i}", Dropout(dropout))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False, fused=False):
        if fused:
            # the fused encoder layer's attention (no hooks anywhere in the layer, so calling the
            # attention's math directly is not observable)
            x = _mha.module_forward(self.self_attn, x, x, x, key_padding_mask, False, attn_mask, True, False,
                                    native=True)[0]
        else:
            x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                               is_causal=is_causal)[0]
        return self.dropout1(x)


class TransformerEncoderLayer(_TransformerLayer):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self._add_parts(("self_attn",), d_model, nhead, dim_feedforward, dropout, layer_norm_eps, batch_first,
                        norm_first, bias, dict(device=device, dtype=dtype))
        self.activation_relu_or_gelu = _relu_or_gelu(activation)
        self.activation = _activation(activation)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        _check_mask_dtype(src_key_padding_mask, "src_key_padding_mask")
        _check_mask_dtype(src_mask, "src_mask")
        _warn_if_mismatched(src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask")
        fused = self._takes_fused_path(src)
        if fused:
            # PyTorch's fused layer kernel reads its masks as bool (any nonzero entry masks a key), takes
            # no causal hint, and leaves a query with every key masked as NaN
            src_key_padding_mask, src_mask = _as_bool_mask(src_key_padding_mask), _as_bool_mask(src_mask)
            is_causal = False
        else:
            # otherwise both masks become additive float masks before the attention, as in PyTorch, so
            # the attention never takes its own (bool-mask) inference path from here
            src_key_padding_mask = _as_float_mask(src_key_padding_mask, src.dtype)
            src_mask = _as_float_mask(src_mask, src.dtype)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal, fused)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal, fused))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _takes_fused_path(self, src):
        """Whether PyTorch runs this layer as one fused inference kernel (CPU, as observed from
        outside): ``torch.backends.mha`` allows it, batched batch-first input in eval mode with
        nothing to differentiate, the packed attention projection with biases, an even number of
        heads, ReLU or GELU, equal norm eps and no hooks on the layer or its parts."""
        attn = self.self_attn
        if not _tg.backends.mha.get_fastpath_enabled():
            return False
        if src.dim() != 3 or self.training or not attn.batch_first or not self.activation_relu_or_gelu:
            return False
        if attn.in_proj_bias is None or not attn._qkv_same_embed_dim or attn.num_heads % 2:
            return False
        if self.norm1.eps != self.norm2.eps:
            return False
        if any(m._forward_hooks or m._forward_pre_hooks for m in self.modules()):
            return False
        return not (_tg.is_grad_enabled() and (src.requires_grad or any(p.requires_grad for p in self.parameters())))

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


def _why_not_nested(layer):
    """Why PyTorch's TransformerEncoder would not convert padded input to a nested tensor for
    ``layer`` (its warning text, checked in its order), or "" when it would."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer was not TransformerEncoderLayer"
    if layer.norm_first:
        return "encoder_layer.norm_first was True"
    if not layer.self_attn.batch_first:
        return "encoder_layer.self_attn.batch_first was not True(use batch_first for better inference performance)"
    if layer.self_attn.in_proj_bias is None:
        return "encoder_layer.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return "encoder_layer.activation_relu_or_gelu was not True"
    if layer.self_attn.num_heads % 2 == 1:
        return "encoder_layer.self_attn.num_heads is odd"
    return ""


def _right_padded(padding):
    """Whether every row of the (N, S) bool ``padding`` is kept positions followed by padded ones."""
    p = np.asarray(padding.detach().cpu().numpy(), dtype=bool)
    return bool((np.diff(p.astype(np.int8), axis=-1) >= 0).all())


class TransformerEncoder(Module):
    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def _takes_nested_path(self, src, mask, padding):
        """PyTorch's inference fast path: with ``torch.backends.mha`` allowing it, in eval mode, with
        nothing to differentiate, a right-padded batch-first input given only a padding mask runs as
        a nested tensor, and its padded positions come back from the layers as zeros. tensorgraft
        computes the same values and zeroes those positions too, so that programs reading them (a
        mean over all positions) get PyTorch's numbers."""
        if not _tg.backends.mha.get_fastpath_enabled():
            return False
        # PyTorch asks the first layer, not the encoder, whether it is training or differentiable
        first = self.layers[0]
        if not self.use_nested_tensor or first.training or padding is None or mask is not None or src.dim() != 3:
            return False
        if _tg.is_grad_enabled() and (src.requires_grad or any(p.requires_grad for p in first.parameters())):
            return False
        return _right_padded(padding)

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        _check_mask_dtype(src_key_padding_mask, "src_key_padding_mask")
        _check_mask_dtype(mask, "mask")
        padding = src_key_padding_mask
        if padding is not None and padding.dtype != _tg.bool:
            padding = padding != 0
        zero_padded = self._takes_nested_path(src, mask, padding)
        if _warn_if_mismatched(src_key_padding_mask, "src_key_padding_mask", mask, "mask"):
            src_key_padding_mask = _as_float_mask(src_key_padding_mask, src.dtype)
            mask = _as_float_mask(mask, src.dtype)
        out = src
        for mod in self.layers:
            out = mod(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        if zero_padded:
            # before the final norm, as PyTorch pads its nested result back there: a padded position
            # comes out as the norm of zeros (its bias)
            out = out.masked_fill(padding.unsqueeze(-1), 0.0)
        if self.norm is not None:
            out = self.norm(out)
        return out


class TransformerDecoderLayer(_TransformerLayer):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self._add_parts(("self_attn", "multihead_attn"), d_model, nhead, dim_feedforward, dropout, layer_norm_eps,
                        batch_first, norm_first, bias, dict(device=device, dtype=dtype))
        self.activation = _activation(activation)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


class TransformerDecoder(Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        if tgt_is_causal is None and tgt_mask is not None and tgt_mask.dtype in _INT_C_NAMES:
            # PyTorch compares the mask with a -inf causal mask of its dtype to detect causality,
            # which an integer mask cannot hold
            raise RuntimeError(f"value cannot be converted to type {_INT_C_NAMES[tgt_mask.dtype]} without overflow")
        out = tgt
        for mod in self.layers:
            out = mod(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        if self.norm is not None:
            out = self.norm(out)
        return out


class Transformer(Module):
    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        fk = dict(device=device, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, **fk)
            self.encoder = TransformerEncoder(layer, num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, **fk)
            self.decoder = TransformerDecoder(layer, num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk))
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        # PyTorch's own checks, before anything runs (batch sizes only for batched input)
        batch_dim = 0 if self.batch_first else 1
        if src.dim() == 3 and src.size(batch_dim) != tgt.size(batch_dim):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        dt = dtype if dtype is not None else _tg.get_default_dtype()
        m = np.triu(np.full((sz, sz), -np.inf), 1).astype(dt.np)
        return _tg.tensor(m, device=device)
