"""``grad_fn._saved_<name>`` names what PyTorch's node calls the value, not the position the op's
signature gives it: GatherBackward0's ``_saved_index`` is the index and ``_saved_dim`` the int
(``gather(input, dim, index)`` records ``(input, index)``), AddmmBackward0 shows ``_saved_mat1``/
``_saved_mat2`` and no ``_saved_self``. ComplexBackward0 keeps ``real``/``imag`` (each only when it
needs a gradient), packs ``imag`` first, and an in-place change to a kept part raises at backward.

Expected values measured with PyTorch 2.13 (CPU); no torch import here."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg

X3 = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.0], [2.0, 2.5, -0.5]]
GI = [[0, 1], [2, 0]]


def _saved(fn):
    return sorted(n for n in dir(fn) if n.startswith(("_saved_", "_raw_saved_")))


def _x(data=X3):
    return tg.tensor(data, dtype=tg.float64, requires_grad=True)


def _src(shape):
    return tg.arange(float(np.prod(shape)), dtype=tg.float64).reshape(shape).requires_grad_()


# values PyTorch's nodes show that ours do not yet (strides and ranks of saved inputs)
NOT_SHOWN_YET = {"_saved_mat1_sym_strides", "_saved_mat2_sym_strides", "_saved_source_dim"}

# (the names torch 2.13's ``dir(y.grad_fn)`` lists, ``_saved_*``/``_raw_saved_*`` only)
CASES = {
    "gather": (lambda: _x().gather(1, tg.tensor(GI)),
               ["_raw_saved_index", "_raw_saved_self", "_saved_dim", "_saved_index", "_saved_self",
                "_saved_sparse_grad"]),
    "scatter": (lambda: _x().scatter(1, tg.tensor(GI), _src((2, 2))),
                ["_raw_saved_index", "_saved_dim", "_saved_index"]),
    "scatter_add": (lambda: _x().scatter_add(1, tg.tensor(GI), _src((2, 2))),
                    ["_raw_saved_index", "_saved_dim", "_saved_index"]),
    "index_select": (lambda: _x().index_select(0, tg.tensor([0, 2])),
                     ["_raw_saved_index", "_saved_dim", "_saved_index", "_saved_self_sym_sizes"]),
    "index_add": (lambda: _x().index_add(0, tg.tensor([0, 2]), _src((2, 3)), alpha=2),
                  ["_raw_saved_index", "_raw_saved_source", "_saved_alpha", "_saved_dim", "_saved_index",
                   "_saved_source", "_saved_source_dim"]),
    "index_fill": (lambda: _x().index_fill(0, tg.tensor([0, 2]), 1.5),
                   ["_raw_saved_index", "_saved_dim", "_saved_index"]),
    "where": (lambda: tg.where(_x().detach() > 0, _x(), _src((3, 3))),
              ["_raw_saved_condition", "_saved_condition"]),
    "addmm": (lambda: tg.addmm(_src((3, 3)), _x(), _x(), beta=2, alpha=3),
              ["_raw_saved_mat1", "_raw_saved_mat2", "_saved_alpha", "_saved_beta", "_saved_mat1",
               "_saved_mat1_sym_sizes", "_saved_mat1_sym_strides", "_saved_mat2", "_saved_mat2_sym_sizes",
               "_saved_mat2_sym_strides"]),
    "addmv": (lambda: tg.addmv(_src((3,)), _x(), _src((3,))),
              ["_raw_saved_mat", "_raw_saved_vec", "_saved_alpha", "_saved_beta", "_saved_mat", "_saved_vec"]),
    "baddbmm": (lambda: tg.baddbmm(_src((2, 2, 2)), _src((2, 2, 3)), _src((2, 3, 2))),
                ["_raw_saved_batch1", "_raw_saved_batch2", "_saved_alpha", "_saved_batch1", "_saved_batch2",
                 "_saved_beta"]),
    "complex": (lambda: tg.complex(_src((3,)), _src((3,)) * 2),
                ["_raw_saved_imag", "_raw_saved_real", "_saved_imag", "_saved_real"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_saved_names_match_pytorch(name):
    make, expected = CASES[name]
    fn = make().grad_fn
    assert _saved(fn) == [n for n in expected if n not in NOT_SHOWN_YET]


def test_gather_saved_values():
    idx = tg.tensor(GI)
    fn = _x().gather(1, idx).grad_fn
    assert fn._saved_dim == 1  # torch 2.13: an int, not the index tensor
    assert fn._saved_index.tolist() == GI
    assert fn._saved_self.tolist() == X3
    assert fn._saved_sparse_grad is False
    assert not hasattr(fn, "_raw_saved_dim")


def test_index_add_saved_values():
    src = _src((2, 3))
    fn = _x().index_add(0, tg.tensor([0, 2]), src, alpha=2).grad_fn
    assert fn._saved_dim == 0
    assert fn._saved_index.tolist() == [0, 2]
    assert fn._saved_source.tolist() == src.tolist()
    assert fn._saved_alpha == 2
    assert not hasattr(fn, "_saved_self")


def test_index_select_and_scatter_saved_values():
    fn = _x().index_select(0, tg.tensor([0, 2])).grad_fn
    assert (fn._saved_dim, fn._saved_index.tolist(), fn._saved_self_sym_sizes) == (0, [0, 2], (3, 3))
    fn = _x().scatter_add(1, tg.tensor(GI), _src((2, 2))).grad_fn
    assert (fn._saved_dim, fn._saved_index.tolist()) == (1, GI)


def test_addmm_saved_values():
    a, b = _x(), _x([[0.0, 1.0], [1.0, 0.0], [2.0, -1.0]])
    fn = tg.addmm(_src((3, 2)), a, b, beta=2, alpha=3).grad_fn
    assert fn._saved_mat1.tolist() == a.tolist() and fn._saved_mat2.tolist() == b.tolist()
    assert (fn._saved_mat1_sym_sizes, fn._saved_mat2_sym_sizes) == ((3, 3), (3, 2))
    assert (fn._saved_alpha, fn._saved_beta) == (3, 2)
    assert not hasattr(fn, "_saved_self") and not hasattr(fn, "_saved_m1")


def test_where_saved_condition():
    cond = tg.tensor([True, False, True])
    fn = tg.where(cond, _src((3,)), _src((3,))).grad_fn
    assert fn._saved_condition.tolist() == [True, False, True]
    assert not hasattr(fn, "_saved_self")


def test_complex_saves_each_part_needing_grad():
    r, i = _src((3,)), _src((3,)) * 2
    fn = tg.complex(r, i).grad_fn
    assert fn._saved_real.tolist() == r.tolist() and fn._saved_imag.tolist() == i.tolist()
    assert type(fn._saved_imag.grad_fn).__name__ == "MulBackward0"
    # torch 2.13: only the real part requires grad -> _saved_imag is None (still listed by dir)
    fn = tg.complex(_src((3,)), tg.ones(3, dtype=tg.float64)).grad_fn
    assert fn._saved_imag is None and fn._saved_real is not None
    assert "_saved_imag" in dir(fn)


@pytest.mark.parametrize("need_real, need_imag, packed", [
    (True, True, ["imag", "real"]),  # torch 2.13 packs the imaginary part first
    (True, False, ["real"]),
    (False, True, ["imag"]),
])
def test_complex_pack_order(need_real, need_imag, packed):
    r = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=need_real)
    i = tg.tensor([3.0, -1.0], dtype=tg.float64, requires_grad=need_imag)
    seen = []

    def pack(t):
        seen.append("real" if t is r else "imag" if t is i else "?")
        return t
    with tg.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        tg.complex(r, i)
    assert seen == packed


_MODIFIED = ("one of the variables needed for gradient computation has been modified by an inplace operation: "
             "[torch.DoubleTensor [2]], which is output 0 of Mul, is at version 1; expected version 0 "
             "instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
             "with torch.autograd.set_detect_anomaly(True, check_nan=False).")


@pytest.mark.parametrize("need_real, need_imag, modify, raises", [
    (True, True, "real", True), (True, True, "imag", True),
    (True, False, "real", True), (True, False, "imag", False),  # (torch 2.13: the part not kept is free)
    (False, True, "real", False), (False, True, "imag", True),
])
def test_complex_inplace_change_before_backward(need_real, need_imag, modify, raises):
    r = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=need_real)
    i = tg.tensor([3.0, -1.0], dtype=tg.float64, requires_grad=need_imag)
    a = r * 1 if need_real else r.clone()
    b = i * 1 if need_imag else i.clone()
    y = tg.complex(a, b)
    (a if modify == "real" else b).mul_(2)
    if raises:
        with pytest.raises(RuntimeError) as err:
            y.abs().sum().backward()
        assert str(err.value) == _MODIFIED
    else:
        y.abs().sum().backward()


def test_complex_gradients_unchanged():
    r = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    i = tg.tensor([3.0, -1.0], dtype=tg.float64, requires_grad=True)
    (tg.complex(r, i) * tg.tensor([1 + 2j, 3 - 1j])).real.sum().backward()
    assert r.grad.tolist() == [1.0, 3.0] and i.grad.tolist() == [-2.0, 1.0]  # torch 2.13


@pytest.mark.parametrize("make, node, expected", [
    # torch 2.13: the Scalar overloads keep the number, the Tensor ones the tensor; the names are min/max
    (lambda x: x.clamp(-0.5, 0.5), "ClampBackward1", {"_saved_min": -0.5, "_saved_max": 0.5}),
    (lambda x: x.clamp(min=-0.5), "ClampBackward1", {"_saved_min": -0.5, "_saved_max": None}),
    (lambda x: x.clamp_min(0.1), "ClampMinBackward0", {"_saved_min": 0.1}),
    (lambda x: x.clamp_max(0.1), "ClampMaxBackward0", {"_saved_max": 0.1}),
    (lambda x: x.clamp_min(tg.tensor(0.25)), "ClampMinBackward1", {"_saved_min": ("tensor", 0.25)}),
    (lambda x: x.clamp(max=tg.tensor(0.5)), "ClampBackward0", {"_saved_min": None, "_saved_max": ("tensor", 0.5)}),
])
def test_clamp_saved_bounds(make, node, expected):
    x = tg.tensor([-1.0, 0.2, 2.0], requires_grad=True)
    fn = make(x).grad_fn
    assert type(fn).__name__ == node
    assert [n for n in _saved(fn) if n.startswith("_saved_") and n != "_saved_self"] == sorted(expected)
    for name, want in expected.items():  # (a number kept has no ``_raw_saved_*`` handle)
        if want is not None and not isinstance(want, tuple):
            assert "_raw" + name not in dir(fn)
    for name, want in expected.items():
        got = getattr(fn, name)
        if isinstance(want, tuple):
            assert isinstance(got, tg.Tensor) and got.item() == want[1]
        else:
            assert not isinstance(got, tg.Tensor) and got == want
    assert fn._saved_self.tolist() == x.tolist()
