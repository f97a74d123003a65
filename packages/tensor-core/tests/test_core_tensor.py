"""The Tensor object itself: properties, Python protocols, conversions (oracle: PyTorch)."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg


def _env(T):
    return {"T": T, "np": np, "x": T.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]), "i": T.tensor([1, 2, 3]),
            "s": T.tensor(2.5), "si": T.tensor(3)}


def _run(T, src):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(src, _env(T))
    except Exception as e:  # noqa: BLE001 - comparing error type and message with torch
        return ("E", type(e).__name__, str(e).split("\n")[0])
    if isinstance(r, np.ndarray):
        return ("N", str(r.dtype), r.tolist())
    if hasattr(r, "dtype") and hasattr(r, "shape"):
        return ("T", str(r.dtype), tuple(r.shape), r.tolist())
    return ("V", repr(r))


CASES = """
x.shape
x.size()
x.size(1)
x.size(-1)
x.size(2)
x.size(-3)
s.size(0)
s.size(-1)
x.dim()
x.ndim
x.numel()
s.numel()
x.nelement()
x.ndimension()
x.item()
s.item()
si.item()
T.tensor([1.5]).item()
T.tensor([True]).item()
x.tolist()
s.tolist()
len(x)
len(s)
list(i)
iter(s)
bool(s)
bool(x)
bool(T.tensor([]))
bool(T.tensor([0.]))
float(x)
float(si)
int(s)
int(x)
complex(s)
[10, 20, 30][si]
[10, 20, 30][T.tensor(1.)]
[10, 20, 30][T.tensor([1])]
f"{s:.2f}"
f"{si:5d}"
f"{x}"
x.stride()
x.stride(1)
x.stride(-1)
x.stride(3)
s.stride()
x.is_contiguous()
x.element_size()
i.element_size()
T.ones(2, dtype=T.float16).element_size()
x.storage_offset()
x.float()
x.double()
x.long()
x.int()
x.bool()
x.half()
x.short()
x.byte()
x.char()
x.cfloat()
x.type()
i.type()
T.tensor([1.], dtype=T.complex64).type()
T.tensor([True]).type()
x.type(T.int32)
x.type('torch.IntTensor')
x.type('torch.DoubleTensor')
x.type_as(i)
i.type_as(x)
x.to(T.int64)
x.to('cpu', T.float64)
x.to(i)
x.to(dtype=T.float16, copy=True)
x.to(T.float64, non_blocking=True)
x.to(float)
x.to(T.float32) is x
x.to(T.float32, copy=True) is x
x.to('cpu') is x
x.to(device='cpu', dtype=T.float32) is x
x.to(T.device('cpu')) is x
x.is_leaf
x.requires_grad
x.is_floating_point()
i.is_floating_point()
x.is_complex()
x.device
x.is_cuda
x.is_cpu
x.new_tensor([1, 2])
x.new_zeros(2)
x.new_zeros((2, 3))
i.new_ones(2, 2)
i.new_full((2,), 3.7)
x.new_zeros(2, dtype=T.int64)
x.new_tensor(i)
np.asarray(x)
np.asarray(x, dtype=np.float64)
np.array(i)
x.numpy()
T.tensor([1.], requires_grad=True).numpy()
T.tensor([1.], requires_grad=True).detach().numpy()
T.ones(2, 3).T.shape
T.Size([2, 3])
str(T.Size([2, 3]))
T.Size([2, 3]).numel()
T.Size([2, 3])[1:]
T.Size([2, 3]) + (4,)
T.Size([2, 3]) == (2, 3)
T.Size((2, 3)) + T.Size((1,))
(1,) + T.Size([2])
T.Size([2, 3]) * 2
x.shape[0]
x.shape[-1]
type(x.shape[0])
x.data_ptr() == x.data_ptr()
x.cpu() is x
T.is_tensor(x)
T.is_tensor(1)
T.numel(x)
T.is_floating_point(x)
T.is_complex(x)
""".strip().split("\n")


@pytest.mark.parametrize("src", CASES)
def test_tensor_protocols_oracle(src):
    torch = pytest.importorskip("torch")
    if src == "T.ones(2, 3).T.shape" and not hasattr(tg.Tensor, "T"):
        pytest.skip("Tensor.T comes from the shape ops")
    assert _run(tg, src) == _run(torch, src)


def test_shape_and_size_plain():
    x = tg.zeros(2, 3)
    assert isinstance(x.shape, tg.Size) and repr(x.shape) == "torch.Size([2, 3])"
    assert x.size(-1) == 3 and x.size() == (2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.size(2)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        tg.tensor(1.0).size(0)
    assert x.ndim == x.dim() == 2 and x.numel() == 6
    assert isinstance(x.shape[1:], tg.Size) and isinstance((1,) + x.shape, tg.Size)


def test_item_tolist_and_python_numbers():
    assert tg.tensor(2.5).item() == 2.5 and isinstance(tg.tensor(3).item(), int)
    assert tg.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert float(tg.tensor([1.5])) == 1.5 and int(tg.tensor(2.9)) == 2
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        tg.tensor([1, 2]).item()
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        float(tg.tensor([1.0, 2.0]))
    assert [10, 20, 30][tg.tensor(2)] == 30
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][tg.tensor(1.0)]
    assert f"{tg.tensor(2.5):.2f}" == "2.50"


def test_bool_len_iter():
    assert bool(tg.tensor([1.0])) and not bool(tg.tensor(0))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(tg.ones(2))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(tg.ones(0))
    assert len(tg.zeros(4, 2)) == 4
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tg.tensor(1.0))
    rows = list(tg.tensor([[1, 2], [3, 4]]))
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tg.tensor(1.0))


def test_numpy_shares_memory_and_requires_grad_error():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tg.zeros(3)
    a = x.numpy()
    a[0] = 7.0
    assert x[0].item() == 7.0
    y = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        y.numpy()
    assert y.detach().numpy().tolist() == [1.0, 1.0]
    assert y.numpy(force=True).tolist() == [1.0, 1.0]


def test_to_and_casts_plain():
    x = tg.tensor([1.7, -2.2])
    assert x.to(tg.int64).tolist() == [1, -2]
    assert x.to(tg.float32) is x and x.to("cpu") is x
    c = x.to(tg.float32, copy=True)
    assert c is not x and c.tolist() == x.tolist()
    assert x.to(tg.tensor([1], dtype=tg.int32)).dtype is tg.int32
    assert x.double().dtype is tg.float64 and x.half().dtype is tg.float16 and x.bool().dtype is tg.bool
    assert x.long().dtype is tg.int64 and x.int().dtype is tg.int32 and x.float().dtype is tg.float32
    assert x.type() == "torch.FloatTensor" and x.type(tg.float64).dtype is tg.float64
    assert x.type("torch.LongTensor").dtype is tg.int64
    assert x.type_as(tg.zeros(1, dtype=tg.int16)).dtype is tg.int16
    with pytest.raises(TypeError):
        x.to([1])


def test_strides_contiguity_sizes():
    x = tg.zeros(2, 3)
    assert x.stride() == (3, 1) and x.stride(0) == 3 and x.is_contiguous()
    assert x.element_size() == 4 and tg.zeros(1, dtype=tg.float64).element_size() == 8
    assert x.storage_offset() == 0
    assert isinstance(x.data_ptr(), int)


def test_is_leaf_and_data():
    x = tg.ones(2)
    assert x.is_leaf and not x.requires_grad
    d = x.data
    d[0] = 3.0
    assert x[0].item() == 3.0


def test_hot_path_wrap_is_cheap():
    from tensorgraft.tensor import wrap
    a = np.zeros(3, np.float32)
    t = wrap(a)
    assert t._data is a and t.device is tg.device("cpu") and t.grad_fn is None
    s = wrap(np.float32(1.5))  # NumPy scalars become 0-d arrays
    assert isinstance(s._data, np.ndarray) and s.ndim == 0


@pytest.mark.parametrize("shape, strides", [((0, 3, 4), (12, 4, 1)), ((0, 3), (3, 1)), ((2, 0, 3), (3, 3, 1)),
                                            ((0,), (1,)), ((3, 0), (1, 1))])
def test_empty_tensors_have_pytorchs_contiguous_strides(shape, strides):
    # (NumPy 2 gives empty arrays zero strides; PyTorch counts each size-0 dim as 1)
    t = tg.zeros(*shape)
    assert t.stride() == strides and t.stride(-1) == strides[-1] and t.is_contiguous()


def test_size_and_stride_take_an_int_dim_only():
    x = tg.zeros(2, 3)
    for method in ("size", "stride"):
        with pytest.raises(TypeError, match=rf"^{method}\(\): argument 'dim' \(position 1\) must be int, not float$"):
            getattr(x, method)(1.5)
        with pytest.raises(TypeError, match=rf"^{method}\(\): argument 'dim' \(position 1\) must be int, not str$"):
            getattr(x, method)("a")
    import numpy as np
    assert x.size(np.int64(1)) == 3 and x.stride(-1) == 1


@pytest.mark.parametrize("name", ["float", "double", "half", "long", "int", "short", "char", "byte", "bool"])
def test_dtype_shortcuts_take_memory_format_by_keyword_only(name):
    x = tg.zeros(2, 3)
    with pytest.raises(TypeError):
        getattr(x, name)(1)  # (it was taken as a memory format and ignored)
    assert getattr(x, name)(memory_format=tg.contiguous_format).shape == (2, 3)
