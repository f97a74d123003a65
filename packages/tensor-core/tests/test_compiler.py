"""torch.compile / torch.compiler: accepted, validated as in PyTorch, and the model comes back as is."""
import pytest

import tensorgraft as tg


def _double(x):
    return x * 2


def test_compile_returns_the_callable_itself():
    assert tg.compile(_double) is _double
    assert tg.compile(_double, mode="reduce-overhead", fullgraph=True, dynamic=True) is _double
    decorator = tg.compile(mode="max-autotune")
    assert decorator(_double) is _double
    assert tg.compile(_double)(tg.tensor([1.0, 2.0])).tolist() == [2.0, 4.0]


def test_compile_keeps_a_module_and_its_state_dict_keys():
    nn = pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
    m = nn.Linear(2, 3)
    compiled = tg.compile(m)
    assert compiled is m and list(compiled.state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"model": 3}, AssertionError, "A callable function is expected, but <class 'int'> is provided."),
    ({"model": _double, "mode": "fast"}, RuntimeError, "Unrecognized mode=fast, should be one of: default, "),
    ({"model": _double, "backend": "nope"}, RuntimeError, "Invalid backend: 'nope'"),
])
def test_compile_rejects_what_pytorch_rejects(kwargs, exc, message):
    model = kwargs.pop("model")
    with pytest.raises(exc) as info:
        tg.compile(model, **kwargs)
    assert str(info.value).startswith(message)


def test_compiler_namespace():
    c = tg.compiler
    assert c.is_compiling() is False and c.is_dynamo_compiling() is False and c.is_exporting() is False
    assert c.disable(_double) is _double and c.disable()(_double) is _double
    assert c.allow_in_graph(_double) is _double and c.assume_constant_result(_double) is _double
    assert c.reset() is None
    assert "inductor" in c.list_backends()
