"""``__torch_function__`` with nn: subclass inputs through layers and losses, ``nn.functional``'s
Python-level dispatch (plain tensors listed among the types, PyTorch's "no implementation found"
error), ``nn.Parameter``/``nn.Buffer`` opting out, and plugin ops (``tensorgraft.ops.nn``)
dispatching."""
from __future__ import annotations

import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.overrides import TorchFunctionMode


class Tracked(tg.Tensor):
    seen: list = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.seen.append((func, types))
        return super().__torch_function__(func, types, args, kwargs)


def test_subclass_input_flows_through_a_model_and_trains_it():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = tg.randn(5, 3).as_subclass(Tracked)
    Tracked.seen.clear()
    out = model(x)
    assert type(out) is Tracked
    assert [f.__name__ for f, _ in Tracked.seen] == ["linear", "tanh", "linear"]
    loss = F.mse_loss(out, tg.zeros(5, 2))
    loss.backward()
    assert type(loss) is Tracked and model[0].weight.grad is not None
    assert type(model[0].weight.grad) is tg.Tensor


def test_functional_lists_plain_tensors_among_the_types():
    Tracked.seen.clear()
    F.linear(tg.ones(2, 3).as_subclass(Tracked), tg.ones(4, 3))
    func, types = Tracked.seen[0]
    assert func is F.linear and types == (Tracked, tg.Tensor)


def test_functional_refusal_uses_pytorchs_python_level_message():
    class Refusing(tg.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented

    with pytest.raises(TypeError, match=r"^no implementation found for 'torch.nn.functional.relu' on types that "
                                        r"implement __torch_function__: \[<class '.*Refusing'>\]$"):
        F.relu(tg.ones(2).as_subclass(Refusing))


def test_parameters_and_buffers_opt_out():
    p = nn.Parameter(tg.ones(2))
    assert type(p * 2) is tg.Tensor and type(p.detach()) is tg.Tensor

    class MyParam(nn.Parameter):
        pass

    mp = MyParam(tg.ones(2))
    assert type(mp) is MyParam and type(mp + 1) is tg.Tensor
    assert type(nn.Buffer(tg.zeros(2)) + 1) is tg.Tensor


def test_uninitialized_parameters_still_refuse_use():
    lazy = nn.LazyLinear(3)
    with pytest.raises(ValueError, match="uninitialized parameter"):
        lazy.weight.sum()
    lazy(tg.ones(2, 4))
    assert lazy.weight.shape == (3, 4)


def test_a_mode_sees_module_level_calls_once():
    names = []

    class Names(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            names.append(func.__name__)
            return func(*args, **(kwargs or {}))

    layer = nn.Linear(3, 2)
    x = tg.ones(4, 3)
    with Names():
        F.relu(layer(x))
    assert names.count("linear") == 1 and names.count("relu") == 1


def test_plugin_ops_dispatch_like_core_ones():
    from tensorgraft import overrides
    table = overrides.get_overridable_functions()
    assert tg.ops.nn.linear in table[tg.ops.nn]
    Tracked.seen.clear()
    out = tg.ops.nn.linear(tg.ones(2, 3).as_subclass(Tracked), tg.ones(4, 3), None)
    assert type(out) is Tracked and Tracked.seen[0][0] is tg.ops.nn.linear


def _init_calls(m):
    """What a mode and a subclass see of ``nn.init``: PyTorch's uniform_, normal_, constant_ and
    kaiming_uniform_ hand themselves over (every argument by keyword); the others do not."""
    seen = []

    class Log(m.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if (getattr(func, "__module__", None) or "").endswith("nn.init"):
                seen.append((func.__name__, len(args), sorted(kwargs or {})))
            return func(*args, **(kwargs or {}))

    class Tagged(m.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if (getattr(func, "__module__", None) or "").endswith("nn.init"):
                seen.append(("subclass", func.__name__))
            return super().__torch_function__(func, types, args, kwargs)

    w = m.empty(3, 4)
    with Log():
        m.nn.init.uniform_(w, -1, 1)
        m.nn.init.normal_(w)
        m.nn.init.constant_(w, 0.5)
        m.nn.init.kaiming_uniform_(w, a=1.0)
        m.nn.init.xavier_uniform_(w)
        m.nn.init.zeros_(w)
    t = m.nn.init.constant_(m.empty(2).as_subclass(Tagged), 2.0)
    return seen, type(t).__name__, t.tolist()


def test_nn_init_dispatches_as_pytorch():
    seen, kind, values = _init_calls(tg)
    assert [s[0] for s in seen] == ["uniform_", "normal_", "constant_", "kaiming_uniform_", "subclass"]
    assert seen[0] == ("uniform_", 0, ["a", "b", "generator", "tensor"])
    assert kind == "Tagged" and values == [2.0, 2.0]
    torch = pytest.importorskip("torch")
    assert _init_calls(torch) == (seen, kind, values)
