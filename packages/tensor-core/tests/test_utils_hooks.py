"""tensorgraft.utils.hooks (torch.utils.hooks): the one RemovableHandle class, its removal, id
counter, context manager and pickling; warn_if_has_hooks and unserializable_hook."""
from __future__ import annotations

import pickle
import warnings
from collections import OrderedDict

import pytest

import tensorgraft
from tensorgraft.utils import hooks as H
from tensorgraft.utils.hooks import RemovableHandle


def test_reachable_from_tensorgraft_utils_without_an_import():
    assert tensorgraft.utils.hooks is H


def test_remove_pops_the_hook_and_the_extra_dicts():
    hooks, flags, more = OrderedDict(), OrderedDict(), OrderedDict()
    h = RemovableHandle(hooks, extra_dict=[flags, more])
    hooks[h.id] = "hook"
    flags[h.id] = True
    more[h.id] = True
    h.remove()
    h.remove()  # a second removal is a no-op
    assert not hooks and not flags and not more
    h2 = RemovableHandle(hooks, extra_dict=flags)
    assert len(h2.extra_dict_ref) == 1 and h2.id == h.id + 1


def test_context_manager_removes_on_exit():
    hooks = OrderedDict()
    with RemovableHandle(hooks) as h:
        hooks[h.id] = "hook"
        assert h.id in hooks
    assert not hooks


def test_holds_its_dicts_weakly_and_refuses_plain_dicts_and_lists():
    hooks = OrderedDict()
    h = RemovableHandle(hooks)
    del hooks
    h.remove()  # the dict is gone: nothing to do
    assert h.hooks_dict_ref() is None
    with pytest.raises(TypeError, match="cannot create weak reference to 'dict' object"):
        RemovableHandle({})
    with pytest.raises(TypeError, match="cannot create weak reference to 'list' object"):
        RemovableHandle([])


def test_only_the_engine_list_form_takes_a_second_argument():
    with pytest.raises(TypeError, match=r"takes 2 positional arguments but 3 were given"):
        RemovableHandle(OrderedDict(), OrderedDict())
    hooks = H.HookList()
    f = object()
    g = object()
    hooks += [f, g, f]
    h = RemovableHandle(hooks, f)
    h.remove()
    assert hooks == [g, f]  # one entry of f, by identity


def test_pickle_state_and_the_id_counter():
    hooks, extra = OrderedDict(), OrderedDict()
    h = RemovableHandle(hooks, extra_dict=extra)
    hooks[h.id] = 1
    assert h.__getstate__() == (hooks, h.id, (extra,))
    back = pickle.loads(pickle.dumps(h))
    assert back.id == h.id and back.hooks_dict_ref() is None  # its unpickled dict copy is gone
    restored = RemovableHandle.__new__(RemovableHandle)
    restored.__setstate__((None, RemovableHandle.next_id + 50))
    assert restored.extra_dict_ref == () and restored.hooks_dict_ref() is None
    # a later handle does not reuse the restored id
    assert RemovableHandle(hooks).id == restored.id + 1


def test_unserializable_hook_marks_the_function():
    @H.unserializable_hook
    def hook(grad):
        return grad
    assert hook.__torch_unserializable__ is True


def test_warn_if_has_hooks_on_a_plain_tensor_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        H.warn_if_has_hooks(tensorgraft.ones(2))


def test_tensor_and_node_hooks_use_the_one_class():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    from tensorgraft.autograd import hooks as autograd_hooks
    assert autograd_hooks.RemovableHandle is RemovableHandle
    x = tensorgraft.ones(2, requires_grad=True)
    calls = []
    h1 = x.register_hook(lambda g: calls.append("leaf"))
    y = x * 2
    h2 = y.register_hook(lambda g: calls.append("y"))
    h3 = y.grad_fn.register_hook(lambda gi, go: calls.append("node"))
    h4 = y.grad_fn.register_prehook(lambda go: calls.append("pre"))
    assert all(type(h) is RemovableHandle for h in (h1, h2, h3, h4))
    assert [h2.id, h3.id, h4.id] == [h1.id + 1, h1.id + 2, h1.id + 3]  # one counter
    y.sum().backward(retain_graph=True)
    assert sorted(calls) == ["leaf", "node", "pre", "y"]
    for h in (h1, h2, h3, h4):
        h.remove()
    calls.clear()
    y.sum().backward()
    assert calls == []


def test_warn_if_has_hooks_names_each_unmarked_hook():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tensorgraft.ones(2, requires_grad=True)

    def loud(g):
        return g

    x.register_hook(loud)
    x.register_hook(H.unserializable_hook(lambda g: g))
    with pytest.warns(UserWarning) as record:
        H.warn_if_has_hooks(x)
    assert len(record) == 1
    assert str(record[0].message) == (
        f"backward hook {loud!r} on tensor will not be serialized.  If this is expected, you can decorate the "
        "function with @torch.utils.hooks.unserializable_hook to suppress this warning")
    y = x * 2
    y.register_hook(loud)
    with pytest.warns(UserWarning, match="will not be serialized"):
        H.warn_if_has_hooks(y)


def test_backward_hook_is_nns():
    pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
    from tensorgraft.nn.modules._backward_hook import BackwardHook
    assert H.BackwardHook is BackwardHook
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        H.nothing  # noqa: B018


def test_repr_names_pytorchs_path():
    h = RemovableHandle(OrderedDict())
    assert repr(h) == f"<torch.utils.hooks.RemovableHandle object at 0x{id(h):x}>"
