"""``tensorgraft.overrides`` against PyTorch 2.13's ``torch.overrides``: ``get_testing_overrides``,
``redispatch_function`` (the docstring's two examples and the one-hop rule), ``enable_reentrant_dispatch``
and the whole of ``torch.overrides.__all__``.

The expected outputs were produced by running the same code with ``import torch`` (PyTorch 2.13,
CPU) and are hard-coded here (no torch at test time)."""
from __future__ import annotations

import inspect

import pytest

import tensorgraft as tg
from tensorgraft import overrides
from tensorgraft.overrides import TorchFunctionMode, handle_torch_function, has_torch_function, redispatch_function

# torch.overrides.__all__ in PyTorch 2.13
TORCH_ALL = ['get_ignored_functions', 'get_overridable_functions', 'get_testing_overrides', 'handle_torch_function',
             'has_torch_function', 'resolve_name', 'is_tensor_like', 'is_tensor_method_or_property',
             'wrap_torch_function', 'enable_reentrant_dispatch', 'redispatch_function']


def test_everything_in_torch_overrides_all_exists():
    for name in TORCH_ALL:
        assert name in overrides.__all__ and callable(getattr(overrides, name)), name


def test_get_testing_overrides_covers_the_overridable_functions():
    dummies = overrides.get_testing_overrides()
    overridable = {f for fs in overrides.get_overridable_functions().values() for f in fs}
    assert set(dummies) == overridable
    # PyTorch's has these keys too (checked with torch)
    for f in (tg.add, tg.Tensor.add, tg.Tensor.shape.__get__, tg.linalg.norm):
        assert f in dummies
    my_add = dummies[tg.add]
    assert my_add(1, 2) == -1 and my_add.__name__ == "<lambda>"
    assert inspect.signature(my_add) == inspect.signature(tg.add)
    with pytest.raises(TypeError):
        my_add(1, 2, 3, 4, 5)  # more than the signature takes, as a lambda would refuse
    assert all(d(*[None] * _required(d)) == -1 for d in list(dummies.values())[:50])


def _required(f):
    sig = inspect.signature(f)
    return sum(p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in sig.parameters.values())


def _scaled_mul(a, b):
    if has_torch_function((a, b)):
        return handle_torch_function(_scaled_mul, (a, b), a, b)
    return a * b + 1


def test_redispatch_docstring_example_subclass(capsys):
    class LoggingTensor(tg.Tensor):
        depth = 0

        @classmethod
        def __torch_function__(cls, func, types, args, kwargs=None):
            print(f"{'  ' * cls.depth}Calling {func.__name__}")
            cls.depth += 1
            r = redispatch_function(func, types, args, kwargs)
            cls.depth -= 1
            return r

    x = LoggingTensor(tg.tensor([3.0]))
    y = LoggingTensor(tg.tensor([4.0]))
    result = _scaled_mul(x, y)
    assert capsys.readouterr().out == "Calling scaled_mul\n  Calling mul\n".replace("scaled_mul", "_scaled_mul")
    assert type(result) is tg.Tensor and result.tolist() == [13.0]


def test_redispatch_docstring_example_mode(capsys):
    class LoggingMode(TorchFunctionMode):
        def __init__(self):
            self.depth = 0

        def __torch_function__(self, func, types, args, kwargs=None):
            print(f"{'  ' * self.depth}Calling {func.__name__}")
            self.depth += 1
            with self:
                r = redispatch_function(func, types, args, kwargs)
            self.depth -= 1
            return r

    a, b = tg.tensor([3.0]), tg.tensor([4.0])
    with LoggingMode():
        result = _scaled_mul(a, b)
    assert capsys.readouterr().out == "Calling _scaled_mul\n  Calling mul\n  Calling add\n"
    assert result.tolist() == [13.0]


class Echo(tg.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args, kwargs=None):
        print("Calling", func.__name__)
        return redispatch_function(func, types, args, kwargs)


def test_redispatch_skips_exactly_the_first_check(capsys):
    # PyTorch 2.13: the skip is used up by the first check made, whatever it is
    x = Echo(tg.tensor([3.0]))

    def twice(a):
        if has_torch_function((a,)):
            return handle_torch_function(twice, (a,), a)
        print("second check:", has_torch_function((a,)))
        return a
    assert type(twice(x)) is Echo
    r = redispatch_function(tg.add, (Echo,), (x, x), None)
    assert type(r) is tg.Tensor and r.tolist() == [6.0]
    assert redispatch_function(tg.Tensor.shape.__get__, (Echo,), (x,), {}) == (1,)

    def first_op_plain(a):
        tg.ones(1) + 1  # uses the skip up
        return a + 1
    for fn in (first_op_plain, lambda a: (has_torch_function((tg.ones(1),)), a + 1)[1],
               lambda a: (a.shape, a + 1)[1]):
        assert type(redispatch_function(fn, (Echo,), (x,), {})) is tg.Tensor
    assert has_torch_function((x,))  # nothing left pending afterwards
    assert capsys.readouterr().out == ("Calling twice\nsecond check: True\n" + "Calling add\n" * 3)


def test_redispatch_of_a_function_that_checks_nothing_leaves_no_skip():
    x = Echo(tg.tensor([3.0]))
    assert redispatch_function(lambda a: 5, (Echo,), (x,), {}) == 5
    assert has_torch_function((x,))


def test_enable_reentrant_dispatch_outside_torch_dispatch_raises_pytorchs_error():
    cm = overrides.enable_reentrant_dispatch()  # (making it is fine; entering it is not)
    with pytest.raises(RuntimeError, match=r"^Accessing torch dispatch state outside of '__torch_dispatch__' "
                                           r"is not allowed\.$"):
        with cm:
            pass
