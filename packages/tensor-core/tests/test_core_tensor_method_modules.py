"""Tensor's own methods are written in files by concern (tensor.py, _tensor_memory.py,
_tensor_host.py, _tensor_autograd.py, _tensor_conversions.py, _tensor_factories.py) and set on the
class itself: lookups, names, pickling and argument errors are as when they shared one class body.
The op frontends, tensor_extras and the conformance kit are split likewise; no file outgrows ~600
lines."""
import pathlib
import pickle

import pytest

import tensorgraft as tg
from tensorgraft.tensor import Tensor

SRC = pathlib.Path(tg.__file__).parent

# one method or property from each concern module, and dunders that set type slots
ADOPTED = ["stride", "is_contiguous", "data_ptr", "item", "numpy", "__bool__", "__float__", "__index__",
           "__array__", "grad", "requires_grad", "detach", "backward", "to", "type", "float", "int", "bool",
           "new_zeros", "new_full", "bernoulli"]


def test_tensor_keeps_its_methods_in_its_own_dict_and_a_plain_mro():
    assert Tensor.__mro__ == (Tensor, object)
    for name in ADOPTED:
        assert name in Tensor.__dict__, name


@pytest.mark.parametrize("name", ADOPTED)
def test_adopted_methods_are_named_as_tensors_own(name):
    attr = Tensor.__dict__[name]
    functions = [attr.fget, attr.fset] if isinstance(attr, property) else [attr]
    for f in filter(None, functions):
        assert f.__qualname__ == f"Tensor.{f.__name__}"
        assert f.__module__ == "tensorgraft.tensor"
        if hasattr(f.__code__, "co_qualname"):
            assert f.__code__.co_qualname == f"Tensor.{f.__name__}"


def test_adopted_methods_pickle_by_reference():
    for name in ("to", "new_zeros", "numpy", "stride", "detach"):
        f = getattr(Tensor, name)
        assert pickle.loads(pickle.dumps(f)) is f


def test_argument_errors_name_the_method_as_tensors():
    with pytest.raises(TypeError, match=r"^Tensor\.new_full\(\) missing 2 required positional arguments"):
        tg.ones(2).new_full()


def test_method_names_do_not_hide_the_builtins_they_share_a_name_with():
    # to() tells dtypes from Python types with isinstance(a, type) / bool: the methods named
    # type, float, int and bool must not stand in for the builtins there
    t = tg.ones(2)
    assert t.to(float).dtype == tg.float64 and t.to(int).dtype == tg.int64
    assert t.to("cpu", tg.float64, False).dtype == tg.float64
    with pytest.raises(TypeError, match="to\\(\\) received an invalid combination of arguments"):
        t.to(tg.float64, "cpu")
    assert t.float().dtype == tg.float32 and t.int().dtype == tg.int32 and t.bool().dtype == tg.bool
    assert t.type() == "torch.FloatTensor" and t.type(tg.int64).dtype == tg.int64


def test_dunders_set_after_the_class_fill_its_type_slots():
    assert bool(tg.ones(1)) is True and float(tg.tensor(2.5)) == 2.5 and int(tg.tensor(3)) == 3
    assert [0, 1, 2][tg.tensor(1)] == 1 and f"{tg.tensor(0.5):.2f}" == "0.50"


def test_names_imported_from_the_old_module_paths_still_import():
    from tensorgraft.ops._frontend import (  # noqa: F401
        _type_name, check_cast, numpy_spellings, store_into, with_axis_alias, with_out, write_out)
    from tensorgraft.ops.tensor_extras import _alias, clone_as, contiguous_as, to_memory_format  # noqa: F401
    from tensorgraft.tensor import _CPP_TYPE_NAMES, _LEGACY_TYPE_NAMES, _check_to_positionals  # noqa: F401
    from tensorgraft.testing.conformance import _REGISTERED, Failure, Sample, check_op  # noqa: F401


SPLIT = ["tensor.py", "_tensor_memory.py", "_tensor_host.py", "_tensor_autograd.py", "_tensor_conversions.py",
         "_tensor_factories.py", "ops/_frontend/__init__.py", "ops/_frontend/writes.py",
         "ops/_frontend/axis_aliases.py", "ops/tensor_extras/__init__.py", "ops/tensor_extras/view_copies.py",
         "ops/tensor_extras/random_counts.py", "ops/tensor_extras/numerical_gradient.py",
         "testing/conformance.py", "testing/_conformance_checks.py"]


@pytest.mark.parametrize("path", SPLIT)
def test_split_files_stay_small(path):
    assert len((SRC / path).read_text(encoding="utf-8").splitlines()) <= 600
