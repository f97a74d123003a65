"""``__torch_function__``: Tensor subclasses keep their type through ops, override what ops do,
tensor-like objects take over the functions they are passed to, and ``TorchFunctionMode`` sees
every call (``tensorgraft/overrides/``). The oracle twin of this file compares with PyTorch."""
from __future__ import annotations

import builtins
import copy
import threading

import pytest

import tensorgraft as tg
from tensorgraft import overrides
from tensorgraft.overrides import TorchFunctionMode, _binding


class Plain(tg.Tensor):
    """A subclass that adds nothing: ops return it (the inherited ``__torch_function__``)."""


class Logged(tg.Tensor):
    calls: list = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls.append((func, types))
        return super().__torch_function__(func, types, args, kwargs)


class Refusing(tg.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return NotImplemented


def plain(values=(1.0, -2.0, 3.0)):
    return tg.tensor(list(values)).as_subclass(Plain)


def test_defining_a_subclass_turned_dispatch_on():
    assert _binding.active
    assert hasattr(tg.add, "__torch_function_wrapped__")
    assert hasattr(tg.Tensor.add, "__torch_function_wrapped__")


@pytest.mark.parametrize("op", [
    lambda x: x + 1, lambda x: 1 + x, lambda x: x * x, lambda x: -x, lambda x: abs(x), lambda x: x ** 2,
    lambda x: x @ x, lambda x: x > 0, lambda x: x[0], lambda x: x[1:], lambda x: x.relu(), lambda x: tg.relu(x),
    lambda x: tg.add(x, tg.ones(3)), lambda x: x.sum(), lambda x: x.view(3, 1), lambda x: x.clone(),
    lambda x: x.detach(), lambda x: tg.cat([x, tg.ones(3)]), lambda x: tg.linalg.norm(x), lambda x: tg.fft.fft(x),
    lambda x: tg.special.expit(x), lambda x: x.to(tg.float64),
])
def test_ops_return_the_subclass(op):
    out = op(plain())
    assert type(out) is Plain


def test_values_and_gradients_are_those_of_plain_tensors():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    base = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x = base.as_subclass(Plain)
    y = (x * x).sum()
    assert type(y) is Plain and y.item() == 14.0
    assert y.grad_fn.name() == "AliasBackward0"  # the conversion aliases, as PyTorch's _convert does
    y.backward()
    assert base.grad.tolist() == [2.0, -4.0, 6.0]


def test_tuples_lists_and_named_tuples_of_results_are_converted():
    x = plain()
    m = x.max(0)
    assert type(m).__name__ == "max" and type(m.values) is Plain and type(m.indices) is Plain
    assert all(type(p) is Plain for p in x.split(1))
    assert all(type(p) is Plain for p in x.unbind())
    assert type(x.tolist()) is list and x.tolist() == [1.0, -2.0, 3.0]
    assert type(x.size()) is tg.Size and x.shape == (3,)


def test_the_handler_receives_the_public_function_and_the_overriding_types():
    Logged.calls.clear()
    x = tg.ones(2).as_subclass(Logged)
    x + 1
    tg.add(x, 1)
    x.exp()
    _ = x.shape
    funcs = [f for f, _ in Logged.calls]
    assert funcs[0] is tg.Tensor.add  # ``x + 1`` arrives as Tensor.add, as in PyTorch
    assert funcs[1] is tg.add
    assert funcs[2] is tg.Tensor.exp
    assert funcs[3] == tg.Tensor.shape.__get__
    assert all(types == (Logged,) for _, types in Logged.calls)


def test_all_handlers_refusing_raise_pytorchs_error():
    x = tg.ones(2).as_subclass(Refusing)
    with pytest.raises(TypeError, match=r"^Multiple dispatch failed for 'torch.add'; all __torch_function__ handlers "
                                        r"returned NotImplemented:\n\n  - tensor subclass <class '.*Refusing'>"):
        tg.add(x, 1)
    with pytest.raises(TypeError, match=r"Multiple dispatch failed for 'torch.Tensor.shape.__get__'"):
        _ = x.shape
    with pytest.raises(TypeError, match=r"Multiple dispatch failed for 'torch.linalg.linalg_norm'"):
        tg.linalg.norm(x)
    # an operator returns NotImplemented, so Python words the error
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+: 'Refusing' and 'int'"):
        x + 1


def test_a_subclass_goes_before_its_base_and_unrelated_subclasses_refuse_each_other():
    class Base(tg.Tensor):
        pass

    class Derived(Base):
        seen = []

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            cls.seen.append(types)
            return super().__torch_function__(func, types, args, kwargs)

    b, d = tg.ones(1).as_subclass(Base), tg.ones(1).as_subclass(Derived)
    assert type(tg.add(b, d)) is Derived
    assert Derived.seen[-1] == (Derived, Base)
    with pytest.raises(TypeError, match="Multiple dispatch failed for 'torch.add'"):
        tg.add(plain(), tg.ones(3).as_subclass(Refusing))


def test_disable_torch_function_subclass_runs_ops_as_on_plain_tensors():
    x = plain()
    with tg._C.DisableTorchFunctionSubclass():
        assert type(x + 1) is tg.Tensor
        assert not tg._C._is_torch_function_enabled()
    assert tg._C._is_torch_function_enabled()
    assert tg.DisableTorchFunctionSubclass is tg._C.DisableTorchFunctionSubclass


def test_disabled_impl_opts_a_subclass_out():
    class OptedOut(tg.Tensor):
        __torch_function__ = tg._C._disabled_torch_function_impl

    x = tg.ones(2).as_subclass(OptedOut)
    assert type(x + 1) is tg.Tensor
    assert not overrides.has_torch_function((x,))
    assert repr(tg._C._disabled_torch_function_impl) == "<built-in function _disabled_torch_function_impl>"


def test_a_subclass_can_change_what_an_op_does():
    class Clipped(tg.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            out = super().__torch_function__(func, types, args, kwargs)
            if func is tg.Tensor.add and isinstance(out, tg.Tensor):
                with tg._C.DisableTorchFunctionSubclass():
                    return out.clamp(max=1.0).as_subclass(cls)
            return out

    x = tg.tensor([0.5, 2.0]).as_subclass(Clipped)
    assert (x + 1).tolist() == [1.0, 1.0]
    assert (x * 2).tolist() == [1.0, 4.0]


def test_repr_names_the_subclass_and_str_dispatches_as_repr():
    Logged.calls.clear()
    x = tg.tensor([1.0, 2.0]).as_subclass(Logged)
    assert str(x) == repr(x) == "Logged([1., 2.])"
    assert Logged.calls[0][0] is tg.Tensor.__repr__


def test_tensor_like_objects_take_over_functions():
    handled = {}

    class ScalarTensor:
        def __init__(self, n, value):
            self.n, self.value = n, value

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if func not in handled:
                return NotImplemented
            return handled[func](*args, **(kwargs or {}))

    handled[tg.mean] = lambda s: float(s.value) / s.n
    assert tg.mean(ScalarTensor(5, 2)) == 0.4
    assert overrides.is_tensor_like(ScalarTensor(1, 1)) and not overrides.is_tensor_like(1.0)
    with pytest.raises(TypeError, match=r"Multiple dispatch failed for 'torch.mul'.*\n\n  - tensor subclass "
                                        r"<class '.*ScalarTensor'>"):
        tg.mul(ScalarTensor(2, 2), 3)


def test_class_statements_are_watched_only_until_dispatch_is_on():
    assert builtins.__build_class__ is tg._C._original_build_class or tg._C._original_build_class is None


def test_mode_sees_functions_methods_factories_and_properties():
    seen = []

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(func)
            return func(*args, **(kwargs or {}))

    with Recorder() as mode:
        assert overrides._get_current_function_mode() is mode
        a = tg.zeros(2)
        b = a + 1
        b.exp()
        _ = a.shape
        tg.manual_seed(0)  # process state: not seen
        tg.is_tensor(a)
    assert overrides._get_current_function_mode() is None
    assert seen[0] is tg.zeros and seen[1] is tg.Tensor.add and seen[2] is tg.Tensor.exp
    assert seen[3] == tg.Tensor.shape.__get__
    assert len(seen) == 4
    assert type(b) is tg.Tensor


def test_modes_nest_and_each_is_off_while_its_handler_runs():
    order = []

    class Named(TorchFunctionMode):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def __torch_function__(self, func, types, args=(), kwargs=None):
            order.append(self.name)
            return func(*args, **(kwargs or {}))

    with Named("outer"), Named("inner"):
        tg.ones(1)
    assert order == ["inner", "outer"]


def test_a_mode_can_replace_results_and_disable_torch_function_turns_it_off():
    class Doubling(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            return out * 2 if func is tg.add else out

    with Doubling():
        assert tg.add(tg.ones(1), 1).item() == 4.0
        with tg._C.DisableTorchFunction():
            assert tg.add(tg.ones(1), 1).item() == 2.0
            assert not tg._C._is_torch_function_mode_enabled()
        # subclasses disabled: the mode still runs
        with tg._C.DisableTorchFunctionSubclass():
            assert tg.add(tg.ones(1), 1).item() == 4.0


def test_a_mode_refusing_raises_and_the_stack_survives_errors():
    class Refuse(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return NotImplemented

    with pytest.raises(TypeError, match=r"^Multiple dispatch failed for 'torch.ones'; .*\n\n  - mode object <"):
        with Refuse():
            tg.ones(1)
    assert overrides._get_current_function_mode() is None


def test_modes_are_per_thread():
    seen = []

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(threading.current_thread().name)
            return func(*args, **(kwargs or {}))

    with Recorder():
        t = threading.Thread(target=lambda: tg.ones(1), name="other")
        t.start()
        t.join()
        tg.ones(1)
    assert seen == [threading.current_thread().name]


def test_has_and_handle_torch_function():
    x, p = plain(), tg.ones(1)
    assert overrides.has_torch_function((x, 1)) and overrides.has_torch_function_unary(x)
    assert overrides.has_torch_function_variadic(p, x) and not overrides.has_torch_function((p, 1.0))

    @overrides.wrap_torch_function(lambda a, b=None: (a,))
    def twice(a, b=None):
        return a * 2

    Logged.calls.clear()
    out = twice(tg.ones(1).as_subclass(Logged))
    assert type(out) is Logged and Logged.calls[0][0] is twice
    assert twice(tg.ones(1)).tolist() == [2.0]

    def shout(t):
        if overrides.has_torch_function_unary(t):
            return overrides.handle_torch_function(shout, (t,), t)
        return "plain"

    class Loud:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return "loud" if func is shout else NotImplemented

    assert shout(Loud()) == "loud" and shout(tg.ones(1)) == "plain"
    with pytest.raises(TypeError, match=r"^no implementation found for '.*shout' on types that implement "
                                        r"__torch_function__: \[<class '.*Refusing'>\]$"):
        shout(tg.ones(1).as_subclass(Refusing))


def test_overridable_and_ignored_functions():
    table = overrides.get_overridable_functions()
    assert tg.add in table[tg] and tg.Tensor.add in table[tg.Tensor] and tg.linalg.norm in table[tg.linalg]
    assert tg.manual_seed not in table[tg]
    ignored = overrides.get_ignored_functions()
    assert tg.manual_seed in ignored and tg.is_tensor in ignored
    assert overrides.is_tensor_method_or_property(tg.Tensor.add)
    assert overrides.is_tensor_method_or_property(tg.Tensor.shape.__get__)
    assert not overrides.is_tensor_method_or_property(tg.add)


def test_copy_and_deepcopy_keep_the_subclass():
    x = plain()
    assert type(copy.deepcopy(x)) is Plain and copy.deepcopy(x).tolist() == x.tolist()


def test_plain_tensors_are_unaffected():
    a = tg.tensor([1.0, 2.0])
    assert type(a + 1) is tg.Tensor and (a + 1).tolist() == [2.0, 3.0]
    assert tg.add.__name__ == "add" and tg.Tensor.__getitem__.__name__ == "__getitem__"


def test_make_subclass_makes_a_leaf_sharing_memory():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    base = tg.tensor([1.0, 2.0], requires_grad=True)
    sub = tg.Tensor._make_subclass(Plain, base, True)
    assert type(sub) is Plain and sub.is_leaf and sub.requires_grad and sub.grad_fn is None
    with tg.no_grad():
        base.mul_(2)
    assert sub.tolist() == [2.0, 4.0] and sub._version == base._version
    assert not tg.Tensor._make_subclass(Plain, base).requires_grad
    with pytest.raises(TypeError, match="does not inherit from Tensor"):
        tg.Tensor._make_subclass(int, base)


def test_wrappers_keep_names_signatures_and_pickle_by_reference():
    import inspect
    import pickle
    assert tg.Tensor.item.__code__.co_name == "item" and tg.Tensor.item.__qualname__ == "Tensor.item"
    assert "dim" in inspect.signature(tg.Tensor.sum).parameters or \
        "dim" in inspect.signature(overrides._binding.unwrapped(tg.Tensor.sum)).parameters
    assert pickle.loads(pickle.dumps(tg.Tensor.to)) is tg.Tensor.to
    assert overrides._binding.unwrapped(tg.add) is tg.add.__torch_function_wrapped__


def test_warnings_still_name_the_callers_line():
    import warnings
    x = tg.tensor([1.0, 2.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.tensor(x)  # PyTorch's "To copy construct from a tensor ..." UserWarning
    assert caught and caught[0].filename == __file__


def test_pytorch_tensors_are_data_not_dispatchers():
    torch = pytest.importorskip("torch")
    t = tg.tensor(torch.tensor([1.0, 2.0]))
    assert type(t) is tg.Tensor and t.tolist() == [1.0, 2.0]


def test_a_plain_method_handler_works_with_pytorchs_deprecation_warning():
    class OldStyle:
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return "old"

    with pytest.warns(UserWarning, match="^Defining your `__torch_function__` as a plain method is deprecated"):
        assert tg.add(OldStyle(), 1) == "old"
    with pytest.warns(DeprecationWarning, match="^Defining your `__torch_function__ as a plain method is deprecated"):
        assert overrides.handle_torch_function(tg.add, (OldStyle(),), OldStyle(), 1) == "old"


def test_resolve_name_spells_functions_as_pytorch():
    assert overrides.resolve_name(tg.add) == "torch.add"
    assert overrides.resolve_name(tg.Tensor.add) == "torch.Tensor.add"
    assert overrides.resolve_name(tg.Tensor.__add__) == "torch.Tensor.__add__"
    assert overrides.resolve_name(tg.Tensor.shape.__get__) == "torch.Tensor.shape.__get__"
    assert overrides.resolve_name(tg.linalg.norm) == "torch.linalg.norm"
    assert overrides.resolve_name(tg.fft.fft) == "torch.fft.fft"
    assert overrides.resolve_name(print) is None
