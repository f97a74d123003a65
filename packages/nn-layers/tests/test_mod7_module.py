"""nn.Module written across several files: names, pickling (old pickles too), the hook handles and
the extra state's place in a state_dict."""
from __future__ import annotations

import pathlib
import pickle
import sys
import types
from collections import OrderedDict

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.nn.modules import module as module_py
from tensorgraft.utils.hooks import RemovableHandle

MODULES_DIR = pathlib.Path(module_py.__file__).parent


def test_methods_read_as_defined_in_module_py():
    assert nn.Module.__module__ == "tensorgraft.nn.modules.module"
    assert nn.Module.__mro__ == (nn.Module, object)
    for name in ("register_buffer", "add_module", "get_submodule", "register_forward_hook", "register_full_backward_hook",
                 "state_dict", "load_state_dict", "_load_from_state_dict", "get_extra_state", "set_extra_state",
                 "register_load_state_dict_post_hook", "_apply", "to", "type", "float", "bfloat16", "__call__"):
        fn = getattr(nn.Module, name)
        assert fn.__module__ == "tensorgraft.nn.modules.module", name
        assert fn.__qualname__ in (f"Module.{name}", "Module._call_impl"), name
        assert fn.__name__ in (name, "_call_impl"), name
    assert nn.Module._add_hook.__qualname__ == "Module._add_hook"
    assert module_py._IncompatibleKeys.__module__ == "tensorgraft.nn.modules.module"
    assert module_py.typename(tg.ones(1)) == "torch.FloatTensor"
    # tensorgraft's classes are named as their torch counterparts in error messages
    assert module_py.typename(nn.ReLU()) == "torch.nn.modules.activation.ReLU"
    # a method is pickled by reference, through its qualified name
    assert pickle.loads(pickle.dumps(nn.Module.state_dict)) is nn.Module.state_dict
    assert module_py.RemovableHandle is RemovableHandle


def test_module_files_stay_small():
    for path in MODULES_DIR.glob("_module_*.py"):
        assert len(path.read_text().splitlines()) <= 600, path.name
    assert len((MODULES_DIR / "module.py").read_text().splitlines()) <= 600


def test_pickled_modules_keep_hooks_and_their_flags():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    net[0].register_forward_hook(_Recorder([]), with_kwargs=True, always_call=True)
    back = pickle.loads(pickle.dumps(net))
    back(tg.ones(1, 2))
    (hid,) = back[0]._forward_hooks
    assert back[0]._forward_hooks[hid].calls == ["hook"]
    assert isinstance(back[0]._forward_hooks_with_kwargs, OrderedDict) and hid in back[0]._forward_hooks_with_kwargs
    # new handles on the unpickled module hold its flag dicts weakly
    h = back[0].register_forward_pre_hook(lambda *a: None, with_kwargs=True)
    h.remove()
    assert not back[0]._forward_pre_hooks and not back[0]._forward_pre_hooks_with_kwargs


class _Recorder:
    def __init__(self, calls):
        self.calls = calls

    def __call__(self, module, args, kwargs, out):
        self.calls.append("hook")


def _old_style_pickle(lazy):
    """Bytes of ``lazy`` as an older tensorgraft pickled it: plain-dict flag stores, and handles of the
    handle class nn.Module had then (``tensorgraft.nn.modules.module.RemovableHandle``, whose state
    was its ``__dict__``: ``id`` and ``_dicts``, the hooks' dict then the flag dicts)."""
    fake = types.ModuleType("mod7_old_tensorgraft")

    class OldHandle:
        pass

    OldHandle.__module__, OldHandle.__qualname__, OldHandle.__name__ = fake.__name__, "Handle", "Handle"
    fake.Handle = OldHandle
    sys.modules[fake.__name__] = fake
    try:
        d = lazy.__dict__
        for name in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs"):
            d[name] = dict(d[name])
        for attr, hooks, flags in (("_load_hook", d["_load_state_dict_pre_hooks"], ()),
                                   ("_initialize_hook", d["_forward_pre_hooks"],
                                    (d["_forward_pre_hooks_with_kwargs"],))):
            old = OldHandle()
            old.__dict__.update(id=d[attr].id, _dicts=(hooks, *flags))
            d[attr] = old
        data = pickle.dumps(lazy, protocol=2)
    finally:
        del sys.modules[fake.__name__]
    old_ref = b"c" + fake.__name__.encode() + b"\nHandle\n"
    assert old_ref in data
    return data.replace(old_ref, b"ctensorgraft.nn.modules.module\nRemovableHandle\n")


def test_lazy_module_pickled_by_an_older_version_still_initializes():
    data = _old_style_pickle(nn.LazyLinear(3))
    lazy = pickle.loads(data)
    assert isinstance(lazy._initialize_hook, RemovableHandle)
    assert isinstance(lazy._forward_pre_hooks_with_kwargs, OrderedDict)
    out = lazy(tg.ones(2, 4))
    # the forward pre-hook removed itself and the load hook through the restored handles
    assert type(lazy) is nn.Linear and tuple(out.shape) == (2, 3)
    assert not lazy._forward_pre_hooks and not lazy._load_state_dict_pre_hooks
    h = lazy.register_forward_hook(lambda *a: None, with_kwargs=True)
    h.remove()
    assert not lazy._forward_hooks and not lazy._forward_hooks_with_kwargs


def test_old_handle_state_keeps_only_weakly_held_dicts():
    hooks, flags = OrderedDict(), OrderedDict()
    h = RemovableHandle.__new__(RemovableHandle)
    h.__setstate__({"id": 7, "_dicts": (hooks, {7: True}, flags)})
    hooks[7] = print
    flags[7] = True
    h.remove()
    assert h.id == 7 and not hooks and not flags and RemovableHandle.next_id > 7


def test_extra_state_entry_follows_the_modules_tensors_and_precedes_children():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(1, 1)
            self.scale = nn.Parameter(tg.ones(1))
            self.register_buffer("count", tg.zeros(1))
            self.register_buffer("scratch", tg.zeros(1), persistent=False)
            self.state = "a"

        def get_extra_state(self):
            return self.state

        def set_extra_state(self, state):
            self.state = state

    b = Block()
    assert list(b.state_dict()) == ["scale", "count", "_extra_state", "inner.weight", "inner.bias"]
    sd = b.state_dict()
    sd["_extra_state"] = "b"
    assert repr(b.load_state_dict(sd)) == "<All keys matched successfully>"
    assert b.state == "b"


def test_failed_load_does_not_call_set_extra_state():
    calls = []

    class E(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)

        def get_extra_state(self):
            return 1

        def set_extra_state(self, state):
            calls.append(state)

    e = E()
    sd = e.state_dict()
    sd["fc.weight"] = tg.ones(2, 2)
    try:
        e.load_state_dict(sd)
    except RuntimeError as exc:
        assert "size mismatch for fc.weight" in str(exc)
    else:
        raise AssertionError("no error")
    assert calls == []


def test_bfloat16_converts_floating_parameters_and_buffers_in_place():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight = net[0].weight
    assert net.bfloat16() is net
    assert net[0].weight is weight and weight.dtype == tg.bfloat16 and weight.requires_grad
    assert net[1].running_var.dtype == tg.bfloat16
    assert net[1].num_batches_tracked.dtype == tg.int64  # integer buffers keep their dtype
    assert str(nn.Module.T_destination) == "~T_destination"
