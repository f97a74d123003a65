"""Regressions from differential fuzzing of the Tensor object's own attributes and small methods
against PyTorch 2.13 (the expected values and messages are PyTorch's)."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import tensorgraft as tg

_TO_TAIL = (", but expected one of:\n"
            " * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, "
            "*, torch.memory_format memory_format = None)\n"
            " * (torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format "
            "memory_format = None)\n"
            " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format "
            "= None)\n")


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert str(info.value) == message


# ------------------------------------------------------------------ .data / .grad / requires_grad
def test_data_setter_checks():
    t = tg.tensor([1., 2.])
    for value, name in (([1, 2], "list"), (None, "NoneType"), (3.0, "float")):
        _raises(TypeError, f"Variable data has to be a tensor, but got {name}", setattr, t, "data", value)
    _raises(RuntimeError, "Attempted to call `variable.set_data(tensor)`, but `variable` and `tensor` have "
            "incompatible tensor type.", setattr, t, "data", tg.zeros(2, device="meta"))
    t.data = tg.tensor([1, 2, 3])  # any shape and dtype otherwise
    assert t.dtype is tg.int64 and t.tolist() == [1, 2, 3]


def test_data_setter_keeps_a_grad_dtype_when_requiring_grad():
    pytest.importorskip("tensorgraft.autograd")
    t = tg.tensor([1., 2.], requires_grad=True)
    _raises(RuntimeError, "data set to a tensor that requires gradients must be floating point or complex dtype",
            setattr, t, "data", tg.tensor([1, 2]))
    t.data = tg.zeros(2, dtype=tg.complex64)
    assert t.dtype is tg.complex64 and t.requires_grad


def test_grad_setter_device_type_message():
    t = tg.tensor([1., 2.])
    _raises(RuntimeError, "attempting to assign a gradient with device type 'meta' to a tensor with device type "
            "'cpu'. Please ensure that the gradient and the tensor are on the same device",
            setattr, t, "grad", tg.zeros(2, device="meta"))


def test_non_leaf_grad_warning_text():
    pytest.importorskip("tensorgraft.autograd")
    y = tg.tensor([1., 2.], requires_grad=True) * 2
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert y.grad is None
    assert [str(x.message) for x in w] == [
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
        "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
        "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
        "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information."]


def test_requires_grad_takes_only_a_bool():
    t = tg.tensor([1.])
    for value in ("yes", None, 1, np.bool_(True)):
        _raises(RuntimeError, "requires_grad must be a bool", setattr, t, "requires_grad", value)
    for value, name in (("yes", "str"), (None, "NoneType"), (1, "int"), (np.bool_(True), f"numpy.{type(np.bool_(True)).__name__}"),  # (NumPy 1: bool_)
                        (tg.tensor(True), "Tensor")):
        _raises(TypeError, f"requires_grad_(): argument 'requires_grad' (position 1) must be bool, not {name}",
                t.requires_grad_, value)
    assert t.requires_grad is False
    assert t.requires_grad_(False) is t


def test_requires_grad_attribute_refused_on_non_leaf():
    pytest.importorskip("tensorgraft.autograd")
    y = tg.tensor([1.], requires_grad=True) * 2
    _raises(RuntimeError, "you can only change requires_grad flags of leaf variables.", setattr, y, "requires_grad",
            True)
    _raises(RuntimeError, "you can only change requires_grad flags of leaf variables. If you want to use a computed "
            "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
            setattr, y, "requires_grad", False)
    assert y.requires_grad_(True) is y  # the method lets True through, as PyTorch's


# ------------------------------------------------------------------ real / imag, size / stride
def test_real_imag_assignment_refuses_non_numbers():
    _raises(TypeError, "can't assign a str to a torch.DoubleTensor", setattr,
            tg.tensor([1., 2.], dtype=tg.float64), "real", "a")
    _raises(TypeError, "can't assign a str to a torch.LongTensor", setattr, tg.tensor([1, 2]), "real", "a")
    _raises(TypeError, "can't assign a list to a torch.FloatTensor", setattr, tg.tensor([1 + 1j, 2.]), "real", [1, 2])
    _raises(TypeError, "can't assign a NoneType to a torch.FloatTensor", setattr, tg.tensor([1j]), "imag", None)
    _raises(TypeError, "can't assign a numpy.ndarray to a torch.DoubleTensor", setattr,
            tg.tensor([1j, 2], dtype=tg.complex128), "imag", np.array([1., 2.]))
    _raises(TypeError, "can't assign a numpy.float32 to a torch.FloatTensor", setattr, tg.tensor([1.]), "real",
            np.float32(2))
    t = tg.tensor([1., 2.])
    t.real = np.int64(3)
    assert t.tolist() == [3.0, 3.0]
    t.real = True
    assert t.tolist() == [1.0, 1.0]


def test_size_and_stride_refuse_bool_dims():
    t = tg.zeros(2, 3)
    _raises(TypeError, "size(): argument 'dim' (position 1) must be int, not bool", t.size, True)
    _raises(TypeError, "stride(): argument 'dim' (position 1) must be int, not bool", t.stride, True)
    assert t.size(np.int64(1)) == 3 and t.stride(tg.tensor(0)) == 3


# ------------------------------------------------------------------ host, memory
def test_numpy_views_of_meta_tensors_refused():
    _raises(TypeError, "can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
            "memory first.", np.asarray, tg.tensor([1., 2.], device="meta"))
    _raises(BufferError, "Cannot pack tensors on meta", np.from_dlpack, tg.zeros(3, device="meta"))


def test_data_ptr_of_empty_and_meta_tensors_is_null():
    assert tg.zeros(0).data_ptr() == 0
    assert tg.zeros(2, 0, 3).data_ptr() == 0
    assert tg.zeros(4, device="meta").data_ptr() == 0
    assert tg.zeros(4).data_ptr() != 0


def test_is_contiguous_memory_format_type():
    _raises(TypeError, "is_contiguous(): argument 'memory_format' must be torch.memory_format, not int",
            tg.zeros(2, 3).is_contiguous, memory_format=3)
    with pytest.raises(TypeError):
        tg.zeros(2, 3).is_contiguous(tg.contiguous_format)  # keyword-only
    assert tg.zeros(2, 3, 4, 5).is_contiguous(memory_format=tg.contiguous_format) is True


def test_map_operand_checks():
    t = tg.tensor([1., 2.])
    _raises(TypeError, "map_(): argument 'other' (position 1) must be Tensor, not list", t.map_, [3., 4.],
            lambda a, b: a + b)
    _raises(TypeError, "map_: expected torch.FloatTensor for 'other' (got torch.LongTensor)", t.map_,
            tg.tensor([3, 4]), lambda a, b: a + b)
    i = tg.tensor([1, 2])
    _raises(TypeError, "map2_: expected torch.LongTensor for argument 'y' (got torch.FloatTensor)", i.map2_,
            tg.tensor([3, 4]), tg.tensor([3., 4.]), lambda a, b, c: a)
    _raises(TypeError, "map2_: expected torch.LongTensor for argument 'x' (got torch.FloatTensor)", i.map2_,
            tg.tensor([3., 4]), tg.tensor([3, 4]), lambda a, b, c: a)
    _raises(TypeError, "map2_(): argument 'y' (position 2) must be Tensor, not list", t.map2_, t, [1],
            lambda a, b, c: a)
    t.map_(tg.tensor([3.]), lambda a, b: a + b)
    assert t.tolist() == [4.0, 5.0]


# ------------------------------------------------------------------ to / type / cpu / type_as
def test_to_keyword_checks():
    t = tg.tensor([1., 2.])
    for kwargs, got in ((dict(copy=3), "torch.dtype, copy=int"), (dict(non_blocking="a"), "torch.dtype, non_blocking=str"),
                        (dict(memory_format=3), "torch.dtype, memory_format=int"), (dict(foo=3), "torch.dtype, foo=int"),
                        (dict(copy=None), "torch.dtype, copy=NoneType"), (dict(dtype=tg.float64), "torch.dtype, dtype=torch.dtype"),
                        (dict(device="cpu"), "torch.dtype, device=str")):
        _raises(TypeError, f"to() received an invalid combination of arguments - got ({got}){_TO_TAIL}",
                t.to, tg.float64, **kwargs)
    # with no positional argument each keyword is followed by ", ", the last given first
    _raises(TypeError, f"to() received an invalid combination of arguments - got (foo=int, non_blocking=int, "
            f"copy=int, ){_TO_TAIL}", t.to, copy=1, non_blocking=2, foo=3)
    _raises(TypeError, f"to() received an invalid combination of arguments - got (dtype=str, ){_TO_TAIL}", t.to,
            dtype="float64")
    _raises(TypeError, f"to() received an invalid combination of arguments - got (tensor=Tensor, "
            f"dtype=torch.dtype, ){_TO_TAIL}", t.to, dtype=tg.float64, tensor=t)
    _raises(TypeError, f"to() received an invalid combination of arguments - got (type){_TO_TAIL}", t.to, np.float64)
    _raises(TypeError, f"to() received an invalid combination of arguments - got (torch.dtype, bool, bool, "
            f"non_blocking=bool){_TO_TAIL}", t.to, tg.float64, False, False, non_blocking=True)


def test_to_accepted_forms():
    t = tg.tensor([1., 2.])
    assert t.to(tensor=tg.zeros(1, dtype=tg.int8)).dtype is tg.int8
    assert t.to(None, None) is t
    assert t.to(memory_format=None) is t
    assert t.to("cpu", dtype=tg.float64).dtype is tg.float64
    assert t.to(tg.float64, False, copy=True).dtype is tg.float64
    assert t.to(dtype=float).dtype is tg.float64


def test_type_refuses_other_classes():
    t = tg.tensor([1., 2.])
    _raises(ValueError, "invalid type: 'int'", t.type, int)
    _raises(ValueError, "invalid type: 'float'", t.type, float)
    _raises(ValueError, "invalid type: 'numpy.float64'", t.type, np.float64)
    _raises(TypeError, "dtype must be a type, str, or dtype object", t.type, 3)
    assert t.type(tg.int32).dtype is tg.int32 and t.type(tg.IntTensor).dtype is tg.int32


def test_type_as_and_cpu_arguments():
    t = tg.tensor([1.5, -2.])
    _raises(TypeError, "type_as(): argument 'other' (position 1) must be Tensor, not list", t.type_as, [1])
    _raises(TypeError, "cpu(): argument 'memory_format' must be torch.memory_format, not int", t.cpu,
            memory_format=3)
    with pytest.raises(TypeError):
        t.cpu(tg.float64)  # keyword-only
    assert t.cpu() is t


# ------------------------------------------------------------------ new_*
def test_new_factories_take_size_keyword():
    t = tg.tensor([1., 2.])
    assert t.new_zeros(size=(2,)).tolist() == [0.0, 0.0]
    assert t.new_ones(size=[2]).tolist() == [1.0, 1.0]
    assert t.new_empty(size=(2, 3)).shape == (2, 3)
    _raises(TypeError, "new_zeros() got multiple values for argument 'size'", t.new_zeros, 2, size=(3,))
    _raises(TypeError, "new_zeros(): argument 'size' must be tuple of ints, not int", t.new_zeros, size=3)
    _raises(TypeError, "new_zeros() got an unexpected keyword argument 'foo'", t.new_zeros, 2, foo=1)


def test_new_full_argument_messages():
    t = tg.tensor([1., 2.])
    _raises(TypeError, "new_full(): argument 'size' (position 1) must be tuple of ints, not int", t.new_full, 2, 3)
    _raises(TypeError, "new_full(): argument 'fill_value' (position 2) must be Number, not NoneType", t.new_full,
            (2,), None)
    _raises(TypeError, "new_full(): argument 'fill_value' (position 2) must be Number, not Tensor", t.new_full,
            (2,), tg.tensor([5.]))
    assert t.new_full((2,), tg.tensor(5.)).tolist() == [5.0, 5.0]  # a 0-d tensor is a number


# ------------------------------------------------------------------ copy / deepcopy / pickle
def test_copy_and_pickle_make_new_leaves():
    pytest.importorskip("tensorgraft.autograd")
    t = tg.tensor([1., 2.], requires_grad=True)
    t.grad = tg.ones(2)
    t.note = [1]
    c = copy.copy(t)
    assert c is not t and c.grad is None and c.is_leaf and c.requires_grad
    assert c.data_ptr() == t.data_ptr() and c.note is t.note  # shallow: the same memory and attributes
    y = t * 2
    c = copy.copy(y)
    assert c.grad_fn is None and c.requires_grad and c.data_ptr() == y.data_ptr()
    p = pickle.loads(pickle.dumps(y))
    assert p.tolist() == [2.0, 4.0] and p.requires_grad and p.is_leaf
    p = pickle.loads(pickle.dumps(t))
    assert p.grad is None and p.note == [1] and p.requires_grad


def test_pickle_protocol_0_and_subclass_slots():
    c = pickle.loads(pickle.dumps(tg.tensor(3.), protocol=0))
    assert c.item() == 3.0 and type(c) is tg.Tensor

    s = tg.zeros(2).as_subclass(_Slotted)
    s.a = 5
    for c in (copy.copy(s), pickle.loads(pickle.dumps(s))):
        assert type(c) is _Slotted and c.a == 5


class _Slotted(tg.Tensor):
    __slots__ = ("a",)


def test_deepcopy_keeps_views_of_one_memory_together():
    t = tg.zeros(4)
    v = t[1:3]
    ct, cv = copy.deepcopy([t, v])
    cv[0] = 7
    assert ct.tolist() == [0.0, 7.0, 0.0, 0.0] and t.tolist() == [0.0] * 4
    assert cv._base is None and cv.storage_offset() == 1
    c = copy.deepcopy(v)
    assert c.shape == (2,) and c.storage_offset() == 1 and c.is_contiguous()
    m = tg.arange(12.).reshape(3, 4)
    w = m.t()[1:]
    cm, cw = copy.deepcopy([m, w])
    assert cw.tolist() == w.tolist() and cw.stride() == (1, 4) and cw.storage_offset() == 1
