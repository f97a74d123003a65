"""Wrong argument types against PyTorch: the exception type and the first line of its message
(the overload list after an "invalid combination" line is PyTorch's own, partly hidden ones)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import error_of  # noqa: E402


def _first_line(lib, call):
    err = error_of(lambda: call(lib, lib.ones(3, 4)))
    assert err is not None, "no error raised"
    return err[0], err[1].split("\n")[0]


CALLS = {
    "randint_low_float": lambda L, x: L.randint(0.5, 3, (2,)),
    "randint_high_float": lambda L, x: L.randint(0, 3.5, (2,)),
    "randint_keywords": lambda L, x: L.randint(low=0.5, high=3, size=(2,)),
    "randint_high_only": lambda L, x: L.randint(3.5, (2,)),
    "linspace_steps": lambda L, x: L.linspace(0, 1, 2.5),
    "sum_dim": lambda L, x: x.sum(dim=1.5),
    "sum_dim_tuple_item": lambda L, x: x.sum(dim=(0, 1.5)),
    "sum_dim_tuple_first": lambda L, x: x.sum(dim=(1.5, 0)),
    "sum_dim_numpy_float": lambda L, x: x.sum(dim=np.float64(1.5)),
    "mean_dim": lambda L, x: x.mean(dim=[0.5]),
    "mean_int_dim": lambda L, x: L.ones(2, dtype=L.int64).mean(dim=1.5),
    "std_dim": lambda L, x: x.std(dim=1.5),
    "all_dim": lambda L, x: x.all(dim=1.5),
    "any_dim": lambda L, x: x.any(dim=1.5),
    "prod_tuple": lambda L, x: x.prod(dim=(0, 1)),
    "count_nonzero_dim": lambda L, x: x.count_nonzero(dim=1.5),
    "amax_dim": lambda L, x: x.amax(dim=1.5),
    "nansum_dim": lambda L, x: x.nansum(dim=1.5),
    "max_dim": lambda L, x: x.max(dim=1.5),
    "max_two_tensors_and_dim": lambda L, x: L.max(x, x, 1),
    "argmax_dim": lambda L, x: x.argmax(dim=1.5),
    "argmax_tuple": lambda L, x: L.argmax(x, dim=(0, 1)),
    "cumsum_dim": lambda L, x: x.cumsum(dim=1.5),
    "softmax_dim": lambda L, x: x.softmax(dim=1.5),
    "log_softmax_bool": lambda L, x: x.log_softmax(dim=True),
    "median_dim": lambda L, x: x.median(dim=1.5),
    "mode_dim": lambda L, x: x.mode(dim=1.5),
    "sort_dim": lambda L, x: x.sort(dim=1.5),
    "argsort_dim": lambda L, x: x.argsort(dim=1.5),
    "topk_float": lambda L, x: x.topk(k=2.0),
    "topk_str": lambda L, x: x.topk(k="a"),
    "kthvalue_float": lambda L, x: x.kthvalue(k=1.5),
    "unsqueeze_dim": lambda L, x: x.unsqueeze(dim=1.5),
    "squeeze_dim": lambda L, x: x.squeeze(dim=1.5),
    "transpose_dim1": lambda L, x: x.transpose(0, dim1=1.5),
    "flatten_start": lambda L, x: L.flatten(x, start_dim="a"),
    "cat_dim": lambda L, x: L.cat([x, x], dim=1.5),
    "stack_dim": lambda L, x: L.stack([x, x], dim=1.5),
    "multinomial_float": lambda L, x: L.multinomial(x, 1.5),
    "flip_no_dims": lambda L, x: x.flip(),
    "repeat_interleave_float": lambda L, x: L.tensor([1, 2]).repeat_interleave(1.5),
    "repeat_interleave_dim": lambda L, x: x.repeat_interleave(2, dim=1.5),
    "repeat_interleave_sizes": lambda L, x: L.tensor([1, 2]).repeat_interleave(L.tensor([1, 2, 3])),
    "repeat_interleave_sizes_dim": lambda L, x: x.repeat_interleave(L.tensor([1, 2]), dim=-1),
    "repeat_interleave_2d": lambda L, x: L.tensor([1, 2]).repeat_interleave(L.tensor([[1, 2]])),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_error_first_line(name):
    assert _first_line(tg, CALLS[name]) == _first_line(torch, CALLS[name])


def test_class_reprs():
    assert repr(tg.Tensor).replace("tensorgraft", "torch") == repr(torch.Tensor)
    assert repr(tg.Size).replace("tensorgraft", "torch") == repr(torch.Size)
