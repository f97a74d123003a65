"""``tensorgraft.utils.flop_counter``: FLOPs counted as PyTorch counts them.

Every expected number, op name and table below is what PyTorch 2.13 (CPU) printed for the same
program with ``torch.utils.flop_counter.FlopCounterMode`` (computed with torch, hard-coded here)."""
import warnings

import pytest

import tensorgraft as torch
from tensorgraft.utils.flop_counter import FlopCounterMode, register_flop_formula
from tensorgraft.utils import flop_counter


def R(*shape, g=False, dt=None):
    t = torch.randn(*shape, dtype=dt)
    return t.requires_grad_() if g else t


def counted(fn):
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops(), {str(k): v for k, v in counter.get_flop_counts().get("Global", {}).items()}


# ops of tensorgraft-core alone (no gradients): the ATen op PyTorch runs for each and its FLOPs
CORE_CASES = [
    ('matmul4d', lambda: R(2, 3, 4, 5) @ R(2, 3, 5, 6), 1440, {'aten.bmm': 1440}),
    ('matmul-bcast', lambda: R(2, 3, 4, 5) @ R(5, 6), 1440, {'aten.mm': 1440}),
    ('matmul1d', lambda: R(5) @ R(5, 6), 60, {'aten.mm': 60}),
    ('mv', lambda: R(4, 5) @ R(5), 0, {}),
    ('dot', lambda: R(5) @ R(5), 0, {}),
    ('einsum', lambda: torch.einsum("bij,bjk->bik", R(2, 3, 4), R(2, 4, 5)), 240, {'aten.bmm': 240}),
    ('baddbmm', lambda: torch.baddbmm(R(2, 3, 5), R(2, 3, 4), R(2, 4, 5)), 240, {'aten.baddbmm': 240}),
    ('addmm', lambda: torch.addmm(R(3, 5), R(3, 4), R(4, 5)), 120, {'aten.addmm': 120}),
    ('1d@3d', lambda: R(4) @ R(2, 4, 5), 80, {'aten.bmm': 80}),
    ('2d@3d', lambda: R(3, 4) @ R(2, 4, 5), 240, {'aten.bmm': 240}),
    ('3d@1d', lambda: R(2, 3, 4) @ R(4), 0, {}),
    ('3d@2d-t1nc', lambda: R(3, 2, 4).transpose(0, 1) @ R(4, 5), 240, {'aten.bmm': 240}),
    ('4d@3d-bcast', lambda: R(2, 1, 3, 4) @ R(3, 4, 5), 720, {'aten.bmm': 720}),
    ('addbmm', lambda: torch.addbmm(R(3, 5), R(2, 3, 4), R(2, 4, 5)), 0, {}),
    ('addmv', lambda: torch.addmv(R(3), R(3, 4), R(4)), 0, {}),
    ('chain', lambda: torch.linalg.multi_dot([R(3, 4), R(4, 5), R(5, 6)]), 300, {'aten.mm': 300}),
    ('tensordot', lambda: torch.tensordot(R(2, 3, 4), R(3, 4, 5), dims=2), 240, {'aten.mm': 240}),
    ('inner', lambda: torch.inner(R(3, 4), R(5, 4)), 120, {'aten.mm': 120}),
    ('outer', lambda: torch.outer(R(3), R(4)), 0, {}),
    ('einsum-2d', lambda: torch.einsum("ij,jk->ik", R(3, 4), R(4, 5)), 120, {'aten.bmm': 120}),
    ('einsum-4d', lambda: torch.einsum("bhqd,bhkd->bhqk", R(2, 3, 4, 5), R(2, 3, 6, 5)), 1440, {'aten.bmm': 1440}),
    ('einsum-sum', lambda: torch.einsum("ij->i", R(3, 4)), 0, {}),
    ('einsum-elem', lambda: torch.einsum("ij,ij->ij", R(3, 4), R(3, 4)), 0, {}),
    ('mm-method', lambda: R(3, 4).mm(R(4, 5)), 120, {'aten.mm': 120}),
    ('matmul-fn', lambda: torch.matmul(R(3, 4), R(4, 5)), 120, {'aten.mm': 120}),
    ('einsum-ell', lambda: torch.einsum("...ij,...jk->...ik", R(2, 3, 4, 5), R(2, 3, 5, 6)), 1440, {'aten.bmm': 1440}),
    ('einsum-3op', lambda: torch.einsum("ij,jk,kl->il", R(3, 4), R(4, 5), R(5, 6)), 300, {'aten.bmm': 300}),
    ('einsum-implicit', lambda: torch.einsum("ij,jk", R(3, 4), R(4, 5)), 120, {'aten.bmm': 120}),
    ('einsum-outer-batch', lambda: torch.einsum("bi,bj->bij", R(3, 4), R(3, 5)), 0, {}),
    ('einsum-trace-sum', lambda: torch.einsum("ij,ij->", R(3, 4), R(3, 4)), 24, {'aten.bmm': 24}),
    ('einsum-bilin', lambda: torch.einsum("bn,anm,bm->ba", R(3, 4), R(2, 4, 5), R(3, 5)), 300, {'aten.bmm': 300}),
    ('multidot4', lambda: torch.linalg.multi_dot([R(3, 10), R(10, 2), R(2, 7), R(7, 4)]), 280, {'aten.mm': 280}),
    ('multidot-vec', lambda: torch.linalg.multi_dot([R(10), R(10, 2), R(2, 7), R(7)]), 72, {'aten.mm': 72}),
    ('chain', lambda: torch.chain_matmul(R(3, 4), R(4, 5), R(5, 6)), 300, {'aten.mm': 300}),
    ('2d@4d', lambda: R(3, 4) @ R(2, 2, 4, 5), 480, {'aten.bmm': 480}),
    ('tensordot-list', lambda: torch.tensordot(R(2, 3, 4), R(4, 3, 5), dims=([1, 2], [1, 0])), 240, {'aten.mm': 240}),
    ('inner1d', lambda: torch.inner(R(4), R(4)), 0, {}),
]


@pytest.mark.parametrize("label,fn,total,counts", CORE_CASES, ids=[c[0] for c in CORE_CASES])
def test_core_ops_count_as_pytorch(label, fn, total, counts):
    warnings.simplefilter("ignore")  # (chain_matmul's deprecation)
    assert counted(fn) == (total, counts)


def test_formulas_and_number_formatting():
    assert flop_counter.mm_flop((2, 3), (3, 4)) == 48
    assert flop_counter.addmm_flop((2, 4), (2, 3), (3, 4)) == 48
    assert flop_counter.bmm_flop((5, 2, 3), (5, 3, 4)) == 240
    assert flop_counter.baddbmm_flop((5, 2, 4), (5, 2, 3), (5, 3, 4)) == 240
    assert flop_counter.conv_flop_count([1, 2, 5, 5], [3, 2, 3, 3], [1, 3, 3, 3]) == 972
    assert flop_counter.conv_flop_count([1, 2, 5, 5], [3, 2, 3, 3], [1, 3, 7, 7], transposed=True) == 2700
    assert flop_counter.sdpa_flop_count((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 6)) == 600
    assert flop_counter.sdpa_backward_flop_count((1, 2, 3, 6), (1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 6)) == 1440
    assert flop_counter.get_suffix_str(96768) == "K"
    assert flop_counter.get_suffix_str(1010000000) == "M"
    assert flop_counter.convert_num_with_suffix(96768, "K") == "96.768K"
    assert flop_counter.convert_to_percent_str(1, 3) == "33.33%"
    assert flop_counter.convert_to_percent_str(1, 0) == "0%"
    assert str(flop_counter.aten.mm) == "aten.mm"
    assert repr(flop_counter.aten.addmm) == "<OpOverloadPacket(op='aten.addmm')>"
    assert flop_counter.__all__ == ["FlopCounterMode", "register_flop_formula"]


def test_register_flop_formula_refusals():
    with pytest.raises(RuntimeError, match="duplicate registrations for aten.mm"):
        register_flop_formula(flop_counter.aten.mm)(lambda *a, **k: 1)
    with pytest.raises(ValueError, match="expected each target to be OpOverloadPacket .* got x which is of type "
                                         "<class 'str'>"):
        register_flop_formula("x")(lambda *a, **k: 1)


def test_register_flop_formula_new_op_and_custom_mapping():
    key = flop_counter.aten._flop_counter_test_op
    try:
        register_flop_formula(key)(lambda a, out_shape=None: a[0])
        assert flop_counter.flop_registry[key](torch.zeros(7, 2)) == 7  # receives shapes
    finally:
        flop_counter.flop_registry.pop(key, None)

    def my_mm(a, b, *args, out_shape=None, **kwargs):
        return 7
    with FlopCounterMode(display=False, custom_mapping={flop_counter.aten.mm: my_mm}) as counter:
        R(2, 3) @ R(3, 4)
        torch.addmm(R(2, 4), R(2, 3), R(3, 4))
    assert {str(k): v for k, v in counter.get_flop_counts()["Global"].items()} == {"aten.mm": 7, "aten.addmm": 48}


def test_table_numbers_and_empty(capsys):
    with FlopCounterMode() as counter:
        pass
    assert capsys.readouterr().out == "Module      FLOP    % Total\n--------  ------  ---------\nGlobal         0         0%\n"
    with FlopCounterMode(display=False) as counter:
        R(20, 30) @ R(30, 10000)
    assert counter.get_table() == ("Module        FLOP    % Total\n---------  -------  ---------\n"
                                   "Global     12.000M    100.00%\n- aten.mm  12.000M    100.00%")


def test_inactive_counter_leaves_no_mode():
    from tensorgraft.overrides import _C
    before = list(_C.state.modes)
    with FlopCounterMode(display=False):
        assert torch.overrides._get_current_function_mode_stack() == []  # (PyTorch's counter is no function mode)
    assert list(_C.state.modes) == before


# ---- with autograd and nn: modules, backward passes, attribution -----------------------------------

def _nn():
    pytest.importorskip("tensorgraft.autograd")
    return pytest.importorskip("tensorgraft.nn")


def X3():
    return R(2, 5, 8, g=True)


def frozen_conv():
    cv = nn.Conv2d(3, 4, 3)
    cv.weight.requires_grad_(False)
    return cv


try:
    import tensorgraft.nn as nn
    import tensorgraft.nn.functional as F
except ImportError:  # core alone: the tests below skip
    nn = F = None

FULL_CASES = [
    ('nograd-linear', lambda: torch.no_grad()(lambda: nn.Linear(8, 4)(X3()))(), 640, {'aten.addmm': 640}),
    ('linear2d', lambda: nn.Linear(8, 4)(X3()[0]), 320, {'aten.addmm': 320}),
    ('linear3d', lambda: nn.Linear(8, 4)(X3()), 640, {'aten.addmm': 640}),
    ('linear3d-nobias', lambda: nn.Linear(8, 4, bias=False)(X3()), 640, {'aten.mm': 640}),
    ('linear3d-fb', lambda: nn.Linear(8, 4)(X3()).sum().backward(), 1920, {'aten.addmm': 640, 'aten.mm': 1280}),
    ('linear-noncontig', lambda: nn.Linear(8, 4)(X3().transpose(0, 1)), 640, {'aten.mm': 640}),
    ('matmul3d2d', lambda: X3() @ R(8, 3), 480, {'aten.mm': 480}),
    ('matmul3d3d', lambda: X3() @ R(2, 8, 3), 480, {'aten.bmm': 480}),
    ('conv1d', lambda: nn.Conv1d(3, 4, 3)(R(2, 3, 10)), 1152, {'aten.convolution': 1152}),
    ('conv2d', lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1, groups=1)(R(2, 3, 10, 10)), 10800, {'aten.convolution': 10800}),
    ('conv2d-g', lambda: nn.Conv2d(4, 8, 3, groups=2)(R(2, 4, 10, 10)), 36864, {'aten.convolution': 36864}),
    ('convT2d', lambda: nn.ConvTranspose2d(4, 3, 3, stride=2)(R(2, 4, 5, 5)), 10800, {'aten.convolution': 10800}),
    ('conv2d-fb', lambda: nn.Conv2d(3, 4, 3)(R(2, 3, 10, 10, g=True)).sum().backward(), 82944, {'aten.convolution': 27648, 'aten.convolution_backward': 55296}),
    ('conv2d-fb-noinput', lambda: nn.Conv2d(3, 4, 3)(R(2, 3, 10, 10)).sum().backward(), 55296, {'aten.convolution': 27648, 'aten.convolution_backward': 27648}),
    ('sdpa', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8), R(2, 4, 6, 8), R(2, 4, 6, 8)), 0, {}),
    ('mha', lambda: nn.MultiheadAttention(8, 2, batch_first=True)(*[X3()] * 3), 6720, {'aten.mm': 3840, 'aten.bmm': 1600, 'aten.addmm': 1280}),
    ('lstm', lambda: nn.LSTM(8, 6, batch_first=True)(X3()), 0, {}),
    ('gru', lambda: nn.GRU(8, 6)(X3()), 5040, {'aten.addmm': 5040}),
    ('bilinear', lambda: nn.Bilinear(8, 8, 3)(X3()[0], X3()[0]), 0, {}),
    ('mm-fb', lambda: (R(4, 5, g=True) @ R(5, 6, g=True)).sum().backward(), 720, {'aten.mm': 720}),
    ('mm-fb-onlya', lambda: (R(4, 5, g=True) @ R(5, 6)).sum().backward(), 480, {'aten.mm': 480}),
    ('matmul4d-fb', lambda: (R(2, 3, 4, 5, g=True) @ R(2, 3, 5, 6, g=True)).sum().backward(), 4320, {'aten.bmm': 4320}),
    ('linear3d-fb-full', lambda: nn.Linear(8, 4)(X3()).sum().backward(), 1920, {'aten.addmm': 640, 'aten.mm': 1280}),
    ('1d@3d-g', lambda: R(4, g=True) @ R(2, 4, 5), 0, {}),
    ('2d@3d-g', lambda: R(3, 4, g=True) @ R(2, 4, 5), 240, {'aten.mm': 240}),
    ('2d@3d-g-fb', lambda: (R(3, 4, g=True) @ R(2, 4, 5)).sum().backward(), 480, {'aten.mm': 480}),
    ('3d@2d-t1nc-g2', lambda: R(3, 2, 4).transpose(0, 1) @ R(4, 5, g=True), 240, {'aten.mm': 240}),
    ('linear1d', lambda: F.linear(R(8), R(4, 8), R(4)), 64, {'aten.addmm': 64}),
    ('linear4d-bias', lambda: F.linear(R(2, 3, 5, 8), R(4, 8), R(4)), 1920, {'aten.addmm': 1920}),
    ('linear4d-bias-fb', lambda: F.linear(R(2, 3, 5, 8, g=True), R(4, 8, g=True), R(4, g=True)).sum().backward(), 5760, {'aten.addmm': 1920, 'aten.mm': 3840}),
    ('linear3d-nc-fb', lambda: F.linear(R(5, 2, 8, g=True).transpose(0, 1), R(4, 8, g=True), R(4, g=True)).sum().backward(), 1920, {'aten.mm': 1920}),
    ('linear-nobias-fb', lambda: F.linear(R(2, 5, 8, g=True), R(4, 8, g=True)).sum().backward(), 1920, {'aten.mm': 1920}),
    ('linear2d-nobias-fb-w', lambda: F.linear(R(5, 8), R(4, 8, g=True)).sum().backward(), 640, {'aten.mm': 640}),
    ('addmm-fb', lambda: torch.addmm(R(3, 5, g=True), R(3, 4, g=True), R(4, 5, g=True)).sum().backward(), 360, {'aten.addmm': 120, 'aten.mm': 240}),
    ('baddbmm-fb', lambda: torch.baddbmm(R(2, 3, 5), R(2, 3, 4, g=True), R(2, 4, 5, g=True)).sum().backward(), 720, {'aten.baddbmm': 240, 'aten.bmm': 480}),
    ('bmm-fb', lambda: torch.bmm(R(2, 3, 4, g=True), R(2, 4, 5)).sum().backward(), 480, {'aten.bmm': 480}),
    ('einsum-fb', lambda: torch.einsum("bij,bjk->bik", R(2, 3, 4, g=True), R(2, 4, 5, g=True)).sum().backward(), 720, {'aten.bmm': 720}),
    ('conv1d-fb', lambda: nn.Conv1d(3, 4, 3)(R(2, 3, 10, g=True)).sum().backward(), 3456, {'aten.convolution': 1152, 'aten.convolution_backward': 2304}),
    ('conv3d', lambda: nn.Conv3d(2, 3, 2)(R(1, 2, 4, 4, 4)), 2592, {'aten.convolution': 2592}),
    ('convT2d-fb', lambda: nn.ConvTranspose2d(4, 3, 3, stride=2)(R(2, 4, 5, 5, g=True)).sum().backward(), 32400, {'aten.convolution': 10800, 'aten.convolution_backward': 21600}),
    ('convT1d', lambda: nn.ConvTranspose1d(4, 3, 3)(R(2, 4, 5)), 720, {'aten.convolution': 720}),
    ('conv2d-g-fb', lambda: nn.Conv2d(4, 8, 3, groups=2)(R(2, 4, 10, 10, g=True)).sum().backward(), 147456, {'aten.convolution': 36864, 'aten.convolution_backward': 110592}),
    ('conv2d-frozen-fb', lambda: frozen_conv()(R(2, 3, 6, 6, g=True)).sum().backward(), 13824, {'aten.convolution': 6912, 'aten.convolution_backward': 6912}),
    ('conv2d-nobatch', lambda: F.conv2d(R(3, 6, 6), R(4, 3, 3, 3)), 3456, {'aten.convolution': 3456}),
    ('gru-fb', lambda: nn.GRU(8, 6)(X3())[0].sum().backward(), 14040, {'aten.addmm': 5040, 'aten.mm': 9000}),
    ('gru-2l-bi', lambda: nn.GRU(8, 6, num_layers=2, bidirectional=True)(X3()), 23040, {'aten.addmm': 23040}),
    ('rnn', lambda: nn.RNN(8, 6)(X3()), 1680, {'aten.addmm': 1680}),
    ('rnn-fb', lambda: nn.RNN(8, 6)(X3())[0].sum().backward(), 4680, {'aten.addmm': 1680, 'aten.mm': 3000}),
    ('rnn-relu', lambda: nn.RNN(8, 6, nonlinearity="relu")(X3()), 1680, {'aten.addmm': 1680}),
    ('grucell', lambda: nn.GRUCell(8, 6)(X3()[0]), 2520, {'aten.addmm': 2520}),
    ('rnncell', lambda: nn.RNNCell(8, 6)(X3()[0]), 840, {'aten.addmm': 840}),
    ('lstmcell', lambda: nn.LSTMCell(8, 6)(X3()[0]), 3360, {'aten.addmm': 3360}),
    ('lstmcell-fb', lambda: nn.LSTMCell(8, 6)(X3()[0])[0].sum().backward(), 8640, {'aten.addmm': 3360, 'aten.mm': 5280}),
    ('lstm-fb', lambda: nn.LSTM(8, 6)(X3())[0].sum().backward(), 0, {}),
    ('gru-nobias', lambda: nn.GRU(8, 6, bias=False)(X3()), 5040, {'aten.mm': 5040}),
    ('gru-batchfirst', lambda: nn.GRU(8, 6, batch_first=True)(X3()), 5040, {'aten.mm': 2880, 'aten.addmm': 2160}),
    ('gru-unbatched', lambda: nn.GRU(8, 6)(X3()[0]), 2520, {'aten.addmm': 2520}),
    ('bilinear-fb', lambda: nn.Bilinear(8, 8, 3)(X3()[0], X3()[0]).sum().backward(), 0, {}),
    ('sdpa-fb', lambda: F.scaled_dot_product_attention(*[R(2, 4, 6, 8, g=True)] * 3,).sum().backward(), 0, {}),
    ('mha-fb', lambda: nn.MultiheadAttention(8, 2, batch_first=True)(*[X3()] * 3)[0].sum().backward(), 20160, {'aten.mm': 14080, 'aten.bmm': 4800, 'aten.addmm': 1280}),
    ('mha-noweights', lambda: nn.MultiheadAttention(8, 2, batch_first=True)(*[X3()] * 3, need_weights=False), 5120, {'aten.mm': 3840, 'aten.addmm': 1280}),
    ('mha-kv', lambda: nn.MultiheadAttention(8, 2)(X3(), R(3, 5, 8), R(3, 5, 8)), 7360, {'aten.addmm': 6400, 'aten.bmm': 960}),
    ('tel-fb', lambda: nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)(X3()).sum().backward(), 35520, {'aten.mm': 24320, 'aten.bmm': 4800, 'aten.addmm': 6400}),
    ('embedding', lambda: nn.Embedding(10, 4)(torch.tensor([1, 2])), 0, {}),
    ('sdpa-drop', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8), R(2, 4, 6, 8), R(2, 4, 6, 8), dropout_p=0.1), 9216, {'aten.bmm': 9216}),
    ('sdpa-drop-fb', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8, g=True), R(2, 4, 6, 8), R(2, 4, 6, 8, g=True), dropout_p=0.1).sum().backward(), 23040, {'aten.bmm': 23040}),
    ('sdpa-mask', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8), R(2, 4, 6, 8), R(2, 4, 6, 8), attn_mask=R(6, 6)), 0, {}),
    ('sdpa-boolmask', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8), R(2, 4, 6, 8), R(2, 4, 6, 8), attn_mask=torch.ones(6, 6, dtype=torch.bool)), 0, {}),
    ('sdpa-causal', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8), R(2, 4, 6, 8), R(2, 4, 6, 8), is_causal=True), 0, {}),
    ('sdpa-f64', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8, dt=torch.float64), R(2, 4, 6, 8, dt=torch.float64), R(2, 4, 6, 8, dt=torch.float64)), 0, {}),
    ('sdpa-3d', lambda: F.scaled_dot_product_attention(R(4, 6, 8), R(4, 6, 8), R(4, 6, 8)), 4608, {'aten.bmm': 4608}),
    ('sdpa-dv', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8), R(2, 4, 7, 8), R(2, 4, 7, 3)), 7392, {'aten.bmm': 7392}),
    ('sdpa-gqa', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8), R(2, 2, 6, 8), R(2, 2, 6, 8), enable_gqa=True), 0, {}),
    ('sdpa-5d', lambda: F.scaled_dot_product_attention(R(2, 3, 4, 6, 8), R(2, 3, 4, 6, 8), R(2, 3, 4, 6, 8)), 27648, {'aten.bmm': 27648}),
    ('sdpa-drop-3d', lambda: F.scaled_dot_product_attention(R(4, 6, 8), R(4, 6, 8), R(4, 6, 8), dropout_p=0.5), 4608, {'aten.bmm': 4608}),
    ('sdpa-drop-mask', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8), R(2, 4, 6, 8), R(2, 4, 6, 8), attn_mask=R(6, 6), dropout_p=0.5), 9216, {'aten.bmm': 9216}),
    ('sdpa-f16', lambda: F.scaled_dot_product_attention(R(2, 4, 6, 8, dt=torch.float16), R(2, 4, 6, 8, dt=torch.float16), R(2, 4, 6, 8, dt=torch.float16)), 0, {}),
    ('gru-bf-fb', lambda: nn.GRU(8, 6, batch_first=True)(X3())[0].sum().backward(), 14688, {'aten.mm': 12528, 'aten.addmm': 2160}),
    ('gru-bi-fb', lambda: nn.GRU(8, 6, num_layers=2, bidirectional=True)(X3())[1].sum().backward(), 64800, {'aten.addmm': 23040, 'aten.mm': 41760}),
    ('rnn-hx-fb', lambda: nn.RNN(8, 6)(X3(), R(1, 5, 6, g=True))[0].sum().backward(), 5040, {'aten.addmm': 1680, 'aten.mm': 3360}),
    ('gru-packed', lambda: nn.GRU(8, 6)(nn.utils.rnn.pack_padded_sequence(R(4, 3, 8), [4, 2, 1])), 3528, {'aten.addmm': 3528}),
    ('grucell-h-fb', lambda: nn.GRUCell(8, 6)(R(5, 8), R(5, 6, g=True)).sum().backward(), 6120, {'aten.addmm': 2520, 'aten.mm': 3600}),
    ('grucell-1d', lambda: nn.GRUCell(8, 6)(R(8)), 504, {'aten.addmm': 504}),
]


@pytest.mark.parametrize("label,fn,total,counts", FULL_CASES, ids=[c[0] for c in FULL_CASES])
def test_modules_and_backward_count_as_pytorch(label, fn, total, counts):
    _nn()
    assert counted(fn) == (total, counts)


def test_inference_fast_paths_count_zero():
    _nn()
    x = R(2, 5, 8)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True).eval()
    mha = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    with torch.no_grad():
        assert counted(lambda: layer(x)) == (0, {})
        assert counted(lambda: mha(x, x, x)) == (0, {})
    xg = X3()
    assert counted(lambda: mha(xg, xg, xg)) == (6720, {"aten.mm": 3840, "aten.bmm": 1600, "aten.addmm": 1280})
    drop = nn.MultiheadAttention(8, 2, batch_first=True, dropout=0.1)
    assert counted(lambda: drop(xg, xg, xg, need_weights=False)) == (
        6720, {"aten.mm": 3840, "aten.bmm": 1600, "aten.addmm": 1280})


def _model():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Sequential(nn.Linear(16, 4), nn.Linear(4, 4)))


def test_per_module_table_forward_and_backward(capsys):
    _nn()
    counter = FlopCounterMode(depth=2)
    with counter:
        _model()(R(3, 8)).sum().backward()
    assert capsys.readouterr().out == (
        "Module          FLOP    % Total\n------------  ------  ---------\n"
        "Sequential      2976    100.00%\n- aten.addmm    1248     41.94%\n- aten.mm       1728     58.06%\n"
        "Sequential.0    1536     51.61%\n- aten.addmm     768     25.81%\n- aten.mm        768     25.81%\n"
        "Sequential.2    1440     48.39%\n- aten.addmm     480     16.13%\n- aten.mm        960     32.26%\n")
    assert counter.get_table(1) == (
        "Module          FLOP    % Total\n------------  ------  ---------\n"
        "Sequential      2976    100.00%\n- aten.addmm    1248     41.94%\n- aten.mm       1728     58.06%")
    assert counter.get_table(3).splitlines()[-3:] == [
        "Sequential.2.1     288      9.68%", "- aten.addmm        96      3.23%", "- aten.mm          192      6.45%"]
    counts = {m: {str(k): v for k, v in c.items()} for m, c in counter.get_flop_counts().items()}
    assert counts["Sequential.2.0"] == {"aten.addmm": 384, "aten.mm": 768}
    assert counts["Global"] == {"aten.addmm": 1248, "aten.mm": 1728}


def test_global_row_when_flops_run_outside_modules(capsys):
    _nn()
    with FlopCounterMode():
        _model()(R(3, 8))
        R(2, 3) @ R(3, 4)
    assert capsys.readouterr().out == (
        "Module          FLOP    % Total\n------------  ------  ---------\n"
        "Global          1296    100.00%\n- aten.addmm    1248     96.30%\n- aten.mm         48      3.70%\n"
        "Sequential      1248     96.30%\n- aten.addmm    1248     96.30%\n"
        "Sequential.0     768     59.26%\n- aten.addmm     768     59.26%\n"
        "Sequential.2     480     37.04%\n- aten.addmm     480     37.04%\n")


def test_suffixes_in_table(capsys):
    _nn()
    with FlopCounterMode(depth=1):
        nn.Sequential(nn.Linear(100, 100), nn.Sequential(nn.Linear(100, 3)))(R(64, 100)).sum().backward()
    assert capsys.readouterr().out == (
        "Module             FLOP    % Total\n------------  ---------  ---------\n"
        "Sequential    2675.200K    100.00%\n- aten.addmm  1318.400K     49.28%\n- aten.mm     1356.800K     50.72%\n")


def test_backward_outside_the_counter_is_not_counted_and_nesting():
    _nn()
    lin = nn.Linear(8, 4)
    with FlopCounterMode(display=False) as counter:
        y = lin(X3()).sum()
    y.backward()
    counts = {m: {str(k): v for k, v in c.items()} for m, c in counter.get_flop_counts().items()}
    assert counts == {"Linear": {"aten.addmm": 640}, "Global": {"aten.addmm": 640}}
    with FlopCounterMode(display=False) as outer:
        with FlopCounterMode(display=False) as inner:
            lin(X3()).sum().backward()
        lin(X3())
    assert (outer.get_total_flops(), inner.get_total_flops()) == (2560, 1920)


def test_mods_argument_is_deprecated():
    _nn()
    with pytest.warns(UserWarning, match="^mods argument is not needed anymore, you can stop passing it$"):
        FlopCounterMode(nn.Linear(2, 2), display=False)


def _grad(fn, *xs):
    return lambda: torch.autograd.grad(fn(*xs).sum(), xs)


def test_autograd_grad_and_higher_order_count_as_pytorch():
    _nn()
    x, w, b = X3(), R(4, 8, g=True), R(4, g=True)
    assert counted(_grad(lambda x, w, b: F.linear(x, w, b), x, w, b)) == (1920, {"aten.addmm": 640, "aten.mm": 1280})
    assert counted(_grad(lambda x, y: x @ y, R(2, 3, 4, g=True), R(2, 4, 5, g=True))) == (720, {"aten.bmm": 720})
    assert counted(_grad(lambda x, y: torch.einsum("bij,bjk->bik", x, y), R(2, 3, 4, g=True),
                         R(2, 4, 5, g=True))) == (720, {"aten.bmm": 720})
    assert counted(_grad(lambda x, w: F.conv_transpose2d(x, w), R(2, 3, 6, 6, g=True), R(3, 4, 3, 3, g=True))) == (
        46656, {"aten.convolution": 15552, "aten.convolution_backward": 31104})
    assert counted(_grad(lambda q: F.scaled_dot_product_attention(q, q, q, dropout_p=0.2), R(2, 4, 6, 8, g=True))) == (
        27648, {"aten.bmm": 27648})
    assert counted(lambda: torch.autograd.backward([F.linear(x, w, b).sum()])) == (
        1920, {"aten.addmm": 640, "aten.mm": 1280})
    # only the gradients the pass computes are counted: x's here, not w's
    assert counted(lambda: torch.autograd.grad((x @ w.t()).sum(), x)) == (1280, {"aten.mm": 1280})
    assert counted(lambda: torch.autograd.grad(F.linear(x, R(4, 8, g=True), R(4, g=True)).sum(), x)) == (
        1280, {"aten.addmm": 640, "aten.mm": 640})
    conv_w = R(4, 3, 3, 3, g=True)
    assert counted(_grad(lambda w: F.conv2d(R(2, 3, 6, 6, g=True), w), conv_w)) == (
        13824, {"aten.convolution": 6912, "aten.convolution_backward": 6912})
    assert counted(lambda: [y.backward(retain_graph=True) for y in [F.linear(x, w, b).sum()] for _ in range(2)]) == (
        3200, {"aten.addmm": 640, "aten.mm": 2560})


def test_more_modules_count_as_pytorch():
    _nn()
    assert counted(lambda: nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")(R(1, 3, 5, 5, g=True)).sum()
                   .backward()) == (16200, {"aten.convolution": 5400, "aten.convolution_backward": 10800})
    assert counted(lambda: nn.Conv1d(3, 4, 3)(R(3, 10, g=True)).sum().backward()) == (
        1728, {"aten.convolution": 576, "aten.convolution_backward": 1152})
    assert counted(lambda: F.conv2d(R(1, 3, 5, 5), R(4, 3, 3, 3), R(4, g=True)).sum().backward()) == (
        1944, {"aten.convolution": 1944, "aten.convolution_backward": 0})
    assert counted(lambda: nn.TransformerDecoderLayer(8, 2, 16, batch_first=True, dropout=0.0)(
        R(2, 5, 8, g=True), R(2, 3, 8)).sum().backward()) == (41472, {"aten.mm": 33792, "aten.addmm": 7680})
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, dropout=0.0)
    assert counted(lambda: nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)(R(2, 5, 8, g=True)).sum()
                   .backward()) == (61440, {"aten.mm": 48640, "aten.addmm": 12800})


class Block(nn.Module if nn else object):
    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.c2 = nn.Conv2d(c, c, 3, padding=1, bias=False)

    def forward(self, x):
        return F.relu(x + self.c2(F.relu(self.bn(self.c1(x)))))


class Net(nn.Module if nn else object):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2)
        self.blocks = nn.Sequential(Block(8), Block(8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


class GPT(nn.Module if nn else object):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, dropout=0.0, norm_first=True)
        self.head = nn.Linear(16, 50, bias=False)

    def forward(self, idx):
        m = nn.Transformer.generate_square_subsequent_mask(idx.shape[1])
        return self.head(self.layer(self.emb(idx), src_mask=m, is_causal=True))


# what PyTorch 2.13 printed for the three runs of test_small_models_print_pytorchs_tables
_MODEL_TABLES = """Module                            FLOP    % Total
---------------------------  ---------  ---------
Net                          1440.384K    100.00%
- aten.convolution            493.920K     34.29%
- aten.addmm                    0.320K      0.02%
- aten.mm                       0.640K      0.04%
- aten.convolution_backward   945.504K     65.64%
Net.blocks                   1354.752K     94.05%
- aten.convolution            451.584K     31.35%
- aten.convolution_backward   903.168K     62.70%
Net.blocks.0                  677.376K     47.03%
- aten.convolution            225.792K     15.68%
- aten.convolution_backward   451.584K     31.35%
Net.blocks.1                  677.376K     47.03%
- aten.convolution            225.792K     15.68%
- aten.convolution_backward   451.584K     31.35%
Net.fc                          0.960K      0.07%
- aten.addmm                    0.320K      0.02%
- aten.mm                       0.640K      0.04%
Net.stem                       84.672K      5.88%
- aten.convolution             42.336K      2.94%
- aten.convolution_backward    42.336K      2.94%
Module            FLOP    % Total
------------  --------  ---------
GPT           239.232K    100.00%
- aten.mm     203.392K     85.02%
- aten.addmm   35.840K     14.98%
GPT.head       67.200K     28.09%
- aten.mm      67.200K     28.09%
GPT.layer     172.032K     71.91%
- aten.mm     136.192K     56.93%
- aten.addmm   35.840K     14.98%
Module           FLOP    % Total
------------  -------  ---------
GPT           79.744K    100.00%
- aten.mm     43.904K     55.06%
- aten.addmm  35.840K     44.94%
GPT.head      22.400K     28.09%
- aten.mm     22.400K     28.09%
GPT.layer     57.344K     71.91%
- aten.mm     21.504K     26.97%
- aten.addmm  35.840K     44.94%
"""


def test_small_models_print_pytorchs_tables(capsys):
    _nn()
    net = Net()
    with FlopCounterMode(depth=3):
        F.cross_entropy(net(R(2, 3, 16, 16)), torch.tensor([1, 2])).backward()
    gpt = GPT()
    with FlopCounterMode(depth=2):
        gpt(torch.randint(0, 50, (2, 7))).sum().backward()
    with FlopCounterMode(depth=2):
        gpt(torch.randint(0, 50, (2, 7)))
    assert capsys.readouterr().out == _MODEL_TABLES


def test_packed_and_bidirectional_recurrences():
    _nn()
    pack = nn.utils.rnn.pack_padded_sequence
    assert counted(lambda: nn.GRU(8, 6)(pack(R(4, 3, 8, g=True), [4, 2, 1]))[0].data.sum().backward()) == (
        9936, {"aten.addmm": 3528, "aten.mm": 6408})
    assert counted(lambda: nn.RNN(8, 6)(pack(R(4, 3, 8, g=True), [4, 2, 1]))[1].sum().backward()) == (
        3312, {"aten.addmm": 1176, "aten.mm": 2136})
    assert counted(lambda: nn.GRU(8, 6, batch_first=True, bidirectional=True)(R(3, 4, 8, g=True))[0].sum()
                   .backward()) == (34992, {"aten.mm": 29808, "aten.addmm": 5184})


def _per_module(fn):
    with FlopCounterMode(display=False) as counter:
        fn()
    return {m: {str(k): v for k, v in c.items()} for m, c in counter.get_flop_counts().items() if m != "Global"}


def test_backward_attributed_to_the_modules_open_when_it_runs():
    """A backward op counts for the modules the tracker has open when it runs, not for those of its
    forward call: a module whose inputs' gradients are done has left (PyTorch 2.13's numbers)."""
    _nn()

    class TwoIn(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)

        def forward(self, x, y):
            return self.a(x) * self.a(y)

    # y's gradient comes before a(x)'s weight gradient: TwoIn has left by then, TwoIn.a re-enters
    assert _per_module(lambda: TwoIn()(R(2, 4), R(2, 4, g=True)).sum().backward()) == {
        "TwoIn": {"aten.addmm": 128, "aten.mm": 128}, "TwoIn.a": {"aten.addmm": 128, "aten.mm": 192}}

    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 4)

        def forward(self, x):
            return self.a(x), self.b(x)

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.two, self.c = Two(), nn.Linear(4, 2)

        def forward(self, x):
            p, q = self.two(x)
            return self.c(p * q)

    assert _per_module(lambda: Wrap()(R(3, 4)).sum().backward()) == {
        "Wrap": {"aten.addmm": 240, "aten.mm": 288}, "Wrap.c": {"aten.addmm": 48, "aten.mm": 96},
        "Wrap.two": {"aten.addmm": 192, "aten.mm": 96}, "Wrap.two.a": {"aten.addmm": 96, "aten.mm": 96},
        "Wrap.two.b": {"aten.addmm": 96, "aten.mm": 192}}


def test_recurrent_backward_counts_after_the_next_module_has_left():
    """A GRU's backward runs after the tensor hooks on its output, which take the next module (the
    projection reading it) out of the tracker: the GRU's FLOPs are not the projection's."""
    _nn()

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8)
            self.rnn = nn.GRU(8, 8, batch_first=True)
            self.proj = nn.Linear(8, 8)

        def forward(self, ids):
            h, _ = self.rnn(self.emb(ids))
            return self.proj(h) @ self.emb.weight.t()

    ids = torch.tensor([[1, 5, 7, 2, 0, 3], [4, 4, 9, 11, 19, 8]])
    counts = _per_module(lambda: F.cross_entropy(LM()(ids).flatten(0, 1), ids.flatten()).backward())
    assert counts == {"LM": {"aten.addmm": 4608, "aten.mm": 38400}, "LM.proj": {"aten.mm": 4608},
                      "LM.rnn": {"aten.addmm": 4608, "aten.mm": 22272}}


def test_user_code_in_the_backward_pass_is_counted():
    """What a custom Function's backward and a checkpoint's recomputation run is counted as it runs,
    with ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad`` alike (PyTorch 2.13's numbers)."""
    _nn()
    from tensorgraft.utils.checkpoint import checkpoint

    class MatMul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, w):
            ctx.save_for_backward(a, w)
            return a @ w

        @staticmethod
        def backward(ctx, g):
            a, w = ctx.saved_tensors
            return g @ w.t(), a.t() @ g

    a, w = R(3, 4, g=True), R(4, 5, g=True)
    for run in (lambda: MatMul.apply(a, w).sum().backward(),
                lambda: torch.autograd.grad(MatMul.apply(a, w).sum(), [a]),
                lambda: torch.autograd.backward([MatMul.apply(a, w).sum()])):
        assert _per_module(run) == {}
        assert counted(run) == (360, {"aten.mm": 360})  # 120 forward, 240 in the backward

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.f = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8))

        def forward(self, x):
            return x + checkpoint(self.f, x, use_reentrant=False)

    block = Block()
    # the recomputed forward counts again (addmm 768 in the forward, 1536 in all), in its modules
    assert _per_module(lambda: block(R(3, 8)).sum().backward()) == {
        "Block": {"aten.addmm": 2304, "aten.mm": 2304}, "Block.f": {"aten.addmm": 2304, "aten.mm": 2304},
        "Block.f.0": {"aten.addmm": 1536, "aten.mm": 768}, "Block.f.2": {"aten.addmm": 1536, "aten.mm": 1536}}
    assert counted(lambda: block(R(3, 8, g=True)).sum().backward()) == (5376, {"aten.addmm": 2304, "aten.mm": 3072})


def test_custom_op_counts_its_backward_not_its_kernel():
    """A ``library.custom_op`` is one op to the counter (no formula: 0), its kernel unseen; the ops
    its registered backward runs are counted (PyTorch 2.13: 240, the two backward mm's)."""
    pytest.importorskip("tensorgraft.autograd")

    @torch.library.custom_op("flop_counter_test::mymm", mutates_args=())
    def mymm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a @ b

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g @ b.t(), a.t() @ g

    mymm.register_autograd(backward, setup_context=setup_context)
    a, b = R(3, 4, g=True), R(4, 5, g=True)
    assert counted(lambda: mymm(a, b).sum().backward()) == (240, {"aten.mm": 240})
    assert counted(lambda: mymm(a.detach(), b.detach())) == (0, {})
