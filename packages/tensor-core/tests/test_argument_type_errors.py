"""Wrong argument types and common call mistakes get PyTorch's exception and words (its argument
parser's): a float where an int is expected is refused, never truncated."""
import pickle

import pytest

import tensorgraft as tg

x = tg.ones(3, 4)


def _first_line(call):
    with pytest.raises(Exception) as info:
        call()
    return type(info.value).__name__, str(info.value).split("\n")[0]


@pytest.mark.parametrize("call, expected", [
    (lambda: tg.randint(0.5, 3, (2,)),
     "randint() received an invalid combination of arguments - got (float, int, tuple), but expected one of:"),
    (lambda: tg.randint(0, 3.5, size=(2,)),
     "randint() received an invalid combination of arguments - got (int, float, size=tuple), but expected one of:"),
    (lambda: tg.randint(low=0.5, high=3, size=(2,)),
     "randint() received an invalid combination of arguments - got (size=tuple, high=int, low=float, ), but "
     "expected one of:"),
    (lambda: tg.randint(3.5, (2,)), "randint(): argument 'high' (position 1) must be int, not float"),
    (lambda: tg.linspace(0, 1, 2.5),
     "linspace() received an invalid combination of arguments - got (int, int, float), but expected one of:"),
    (lambda: x.sum(dim=1.5), "sum() received an invalid combination of arguments - got (dim=float, ), but expected "
                             "one of:"),
    (lambda: x.sum(dim=(0, 1.5)),
     "sum(): argument 'dim' failed to unpack the object at pos 2 with error \"type must be tuple of ints,but got "
     "float\""),
    (lambda: x.mean(dim="a"), "mean() received an invalid combination of arguments - got (dim=str, ), but expected "
                              "one of:"),
    (lambda: tg.ones(2, dtype=tg.int64).mean(dim=1.5),
     "mean() received an invalid combination of arguments - got (dim=float, ), but expected one of:"),
    (lambda: x.max(dim=1.5), "max() received an invalid combination of arguments - got (dim=float, ), but expected "
                             "one of:"),
    (lambda: tg.max(x, x, 1),
     "max() received an invalid combination of arguments - got (Tensor, Tensor, int), but expected one of:"),
    (lambda: x.all(dim=1.5), "all() received an invalid combination of arguments - got (dim=float, ), but expected "
                             "one of:"),
    (lambda: x.prod(dim=(0, 1)),
     "prod() received an invalid combination of arguments - got (dim=tuple, ), but expected one of:"),
    (lambda: x.var(dim=1.5), "var() received an invalid combination of arguments - got (dim=float, ), but expected "
                             "one of:"),
    (lambda: x.sort(dim=1.5), "sort() received an invalid combination of arguments - got (dim=float, ), but "
                              "expected one of:"),
    (lambda: x.squeeze(dim=1.5),
     "squeeze() received an invalid combination of arguments - got (dim=float, ), but expected one of:"),
    (lambda: x.amax(dim=1.5), "amax(): argument 'dim' must be tuple of ints, not float"),
    (lambda: x.nansum(dim=1.5), "nansum(): argument 'dim' must be tuple of ints, not float"),
    (lambda: x.argmax(dim=1.5), "argmax(): argument 'dim' must be int, not float"),
    (lambda: x.cumsum(dim=1.5), "cumsum(): argument 'dim' must be int, not float"),
    (lambda: x.softmax(dim=1.5), "softmax(): argument 'dim' must be int, not float"),
    (lambda: x.median(dim=1.5), "median(): argument 'dim' must be int, not float"),
    (lambda: x.unsqueeze(dim=1.5), "unsqueeze(): argument 'dim' must be int, not float"),
    (lambda: x.transpose(0, dim1=1.5), "transpose(): argument 'dim1' must be int, not float"),
    (lambda: x.flatten(start_dim=1.5), "flatten(): argument 'start_dim' must be int, not float"),
    (lambda: tg.cat([x, x], dim=1.5), "cat(): argument 'dim' must be int, not float"),
    (lambda: tg.stack([x, x], dim=1.5), "stack(): argument 'dim' must be int, not float"),
    (lambda: x.topk(2.0), "topk(): argument 'k' must be int, not float"),
    (lambda: x.topk(k=None), "topk(): argument 'k' must be int, not NoneType"),
    (lambda: x.kthvalue(k=1.5), "kthvalue(): argument 'k' must be int, not float"),
    (lambda: tg.multinomial(x, 1.5), "multinomial(): argument 'num_samples' (position 2) must be int, not float"),
    (lambda: x.flip(), 'flip() missing 1 required positional arguments: "dims"'),
    (lambda: tg.tensor([1, 2]).repeat_interleave(1.5),
     "repeat_interleave() received an invalid combination of arguments - got (float), but expected one of:"),
])
def test_type_errors(call, expected):
    assert _first_line(call) == ("TypeError", expected)


def test_invalid_combination_lists_the_signatures():
    with pytest.raises(TypeError) as info:
        x.sum(dim=1.5)
    assert str(info.value) == ("sum() received an invalid combination of arguments - got (dim=float, ), but expected "
                               "one of:\n * (*, torch.dtype dtype = None)\n"
                               " * (tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None)\n")


def test_int_like_arguments_still_work():
    import numpy as np
    assert x.sum(dim=np.int64(1)).shape == (3,)
    assert x.sum(dim=(0, np.int64(1))).shape == ()
    assert x.topk(np.int64(2)).values.shape == (3, 2)
    assert x.softmax(tg.tensor(1)).shape == (3, 4)
    assert x.max(x).shape == (3, 4)
    assert tg.randint(0, 3, (2,)).shape == (2,)
    assert tg.linspace(0, 1, tg.tensor(3)).shape == (3,)


def test_repeat_interleave_size_mismatch():
    with pytest.raises(RuntimeError) as info:
        tg.tensor([1, 2]).repeat_interleave(tg.tensor([1, 2, 3]))
    assert str(info.value) == ("repeats must have the same size as input along dim, but got repeats.size(0) = 3 and "
                               "input.size(0) = 2")
    with pytest.raises(RuntimeError, match=r"^repeats must be 0-dim or 1-dim tensor$"):
        tg.tensor([1, 2]).repeat_interleave(tg.tensor([[1, 2]]))
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) = 3$"):
        tg.ones(2, 3).repeat_interleave(tg.tensor([1, 2]), dim=-1)


def test_classes_print_under_the_package_name():
    assert repr(tg.Tensor) == "<class 'tensorgraft.Tensor'>"
    assert repr(tg.Size) == "<class 'tensorgraft.Size'>"
    t = tg.arange(6.0).reshape(2, 3)
    back = pickle.loads(pickle.dumps(t))
    assert type(back) is tg.Tensor and back.tolist() == t.tolist()
    assert pickle.loads(pickle.dumps(t.shape)) == (2, 3)
