"""nn.Module against PyTorch: extra state in state_dict (get_extra_state/set_extra_state),
load_state_dict(assign=True) and requires_grad, and the handles module hooks return."""
from __future__ import annotations

import io
import pickle

import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error, run_in_both  # noqa: E402


def _extra_state_net(L):
    """A net whose inner block keeps a config dict as extra state (and logs what it is given)."""
    nn = L.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("steps", L.zeros(1))
            self.cfg = {"act": "relu", "k": 3}
            self.log = []

        def get_extra_state(self):
            return self.cfg

        def set_extra_state(self, state):
            self.log.append(("set", state, L.is_grad_enabled()))
            self.cfg = state

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = nn.Linear(2, 1)

    return Net()


def test_extra_state_saved_after_own_tensors_and_loaded_by_set_extra_state():
    def case(L):
        net = _extra_state_net(L)
        sd = net.state_dict()
        keys = list(sd)
        meta = dict(sd._metadata)
        sd["block._extra_state"] = {"act": "gelu", "k": 5}
        res = repr(net.load_state_dict(sd))
        return keys, meta, res, net.block.cfg, net.block.log

    ours, theirs = run_in_both(case)
    assert ours == theirs
    assert ours[0][:3] == ["block.steps", "block._extra_state", "block.fc.weight"]


def test_extra_state_missing_and_unexpected_keys():
    def case(L):
        out = []
        net = _extra_state_net(L)
        sd = net.state_dict()
        del sd["block._extra_state"]
        try:
            net.load_state_dict(sd)
        except RuntimeError as e:
            out.append(str(e))
        out.append(repr(net.load_state_dict(sd, strict=False)))
        plain = L.nn.Linear(2, 2)
        sd = plain.state_dict()
        sd["_extra_state"] = 5
        try:
            plain.load_state_dict(sd)
        except RuntimeError as e:
            out.append(str(e))
        out.append(repr(plain.load_state_dict(sd, strict=False)))
        return out

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_extra_state_needs_both_overrides_in_the_class():
    def case(L):
        nn = L.nn
        out = []

        class GetOnly(nn.Module):
            def get_extra_state(self):
                return 3

        class SetOnly(nn.Module):
            def set_extra_state(self, state):
                out.append(("SetOnly", state))

        g = GetOnly()
        out.append(dict(g.state_dict()))
        try:  # saved, but not loadable: set_extra_state is the default
            g.load_state_dict(g.state_dict())
        except RuntimeError as e:
            out.append(str(e))
        s = SetOnly()
        out.append(dict(s.state_dict()))
        out.append(repr(s.load_state_dict({"_extra_state": 2})))
        try:
            s.load_state_dict({})
        except RuntimeError as e:
            out.append(str(e))
        # overriding on an instance does not count
        lin = nn.Linear(1, 1)
        lin.get_extra_state = lambda: 5
        out.append(list(lin.state_dict()))

        class Sub(GetOnly):
            def set_extra_state(self, state):
                out.append(("Sub", state))

        out.append(repr(Sub().load_state_dict({"_extra_state": None})))
        return out

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_default_extra_state_methods_raise():
    assert_same_error(lambda L: L.nn.Module().get_extra_state())
    assert_same_error(lambda L: L.nn.Module().set_extra_state(1))


def test_set_extra_state_errors_propagate_and_tensor_extra_state():
    def make(L):
        class E(L.nn.Module):
            def get_extra_state(self):
                return 1

            def set_extra_state(self, state):
                raise ValueError("bad extra state")
        return E()

    assert_same_error(lambda L: make(L).load_state_dict({"_extra_state": 1}))

    def case(L):
        class T(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.t = L.ones(2)

            def get_extra_state(self):
                return self.t

            def set_extra_state(self, state):
                self.t = state

        t = T()
        sd = t.state_dict(keep_vars=True)
        same = sd["_extra_state"] is t.t
        t.load_state_dict({"_extra_state": L.zeros(3)})
        return same, t.t.tolist()

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_direct_load_from_state_dict_and_save_to_state_dict_handle_extra_state():
    def case(L):
        net = _extra_state_net(L)
        dest = {}
        net.block._save_to_state_dict(dest, "p.", False)
        missing, unexpected, errors = [], [], []
        net.block._load_from_state_dict({"_extra_state": 9, "foo": 1}, "", {}, True, missing, unexpected, errors)
        first = (missing[:], unexpected[:], errors[:], net.block.cfg)
        missing, unexpected, errors = [], [], []
        net.block._load_from_state_dict({}, "", {}, True, missing, unexpected, errors)
        return list(dest), first, (missing, unexpected, errors)

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_extra_state_survives_save_and_load():
    def case(L):
        net = _extra_state_net(L)
        buf = io.BytesIO()
        L.save(net.state_dict(), buf)
        buf.seek(0)
        sd = L.load(buf)
        other = _extra_state_net(L)
        other.block.cfg = None
        res = repr(other.load_state_dict(sd))
        return sd["block._extra_state"], type(sd).__name__, res, other.block.cfg

    ours, theirs = run_in_both(case)
    assert ours == theirs


def _params(m):
    return [(n, type(p).__name__, p.requires_grad, str(p.dtype).split(".")[-1], p.grad_fn is None)
            for n, p in list(m.named_parameters()) + list(m.named_buffers())]


def test_assign_takes_the_modules_requires_grad():
    def case(L):
        nn = L.nn
        out = []
        m = nn.Linear(2, 2)
        ckpt_w = nn.Parameter(L.ones(2, 2), requires_grad=False)
        sd = {"weight": ckpt_w, "bias": L.zeros(2)}
        out.append(repr(m.load_state_dict(sd, assign=True)))
        out.append((_params(m), m.weight is ckpt_w, m.bias is sd["bias"], ckpt_w.requires_grad))
        m = nn.Linear(2, 2)
        m.weight.requires_grad_(False)
        ckpt_w = nn.Parameter(L.ones(2, 2))
        m.load_state_dict({"weight": ckpt_w, "bias": L.zeros(2, requires_grad=True)}, assign=True)
        out.append((_params(m), m.weight is ckpt_w, ckpt_w.requires_grad))
        # a non-leaf tensor becomes a leaf Parameter; other dtypes are kept
        x = L.ones(2, requires_grad=True)
        m = nn.Linear(2, 2)
        m.load_state_dict({"weight": L.ones(2, 2, dtype=L.float64), "bias": x * 2}, assign=True)
        out.append(_params(m))
        # buffers are taken as they are, requires_grad and all
        bn = nn.BatchNorm1d(2)
        sd = bn.state_dict()
        sd["running_mean"] = L.ones(2, requires_grad=True)
        bn.load_state_dict(sd, assign=True)
        out.append((_params(bn), bn.running_mean is sd["running_mean"]))
        # a frozen module may take integer tensors
        m = nn.Linear(2, 2).requires_grad_(False)
        m.load_state_dict({"weight": L.ones(2, 2, dtype=L.int64), "bias": L.ones(2)}, assign=True)
        out.append(_params(m))
        return out

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_assign_sets_the_flag_in_local_metadata():
    def case(L):
        seen = []

        class Spy(L.nn.Linear):
            def _load_from_state_dict(self, sd, prefix, meta, *rest):
                seen.append(dict(meta))
                super()._load_from_state_dict(sd, prefix, meta, *rest)

        m = Spy(1, 1)
        sd = m.state_dict()
        m.load_state_dict(sd, assign=True)
        m.load_state_dict(m.state_dict())
        m.load_state_dict(dict(m.state_dict()), assign=True)
        # a direct call with the flag assigns too
        lin = L.nn.Linear(1, 1)
        old, t = lin.weight, L.ones(1, 1)
        lin._load_from_state_dict({"weight": t, "bias": L.ones(1)}, "", {"assign_to_params_buffers": True},
                                  True, [], [], [])
        # the flag stays in the checkpoint's metadata: a later plain load of it assigns as well
        other = L.nn.Linear(1, 1)
        before = other.weight
        other.load_state_dict(sd)
        return (seen, dict(sd._metadata), lin.weight is old, lin.weight.data_ptr() == t.data_ptr(),
                other.weight is before)

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_assign_errors_for_integer_tensors_of_trainable_parameters():
    assert_same_error(lambda L: L.nn.Linear(2, 2).load_state_dict(
        {"weight": L.ones(2, 2, dtype=L.int64), "bias": L.ones(3), "x": L.ones(1)}, assign=True))
    assert_same_error(lambda L: L.nn.Linear(2, 2).load_state_dict(
        {"weight": L.nn.Parameter(L.ones(2, 2, dtype=L.int64), requires_grad=False), "bias": L.ones(2)},
        assign=True))


def test_assign_failure_changes_nothing():
    # PyTorch assigns the entries it reached before raising; tensorgraft checks everything first
    m = tg.nn.Linear(2, 2)
    w, b = m.weight, m.bias
    ckpt = tg.nn.Parameter(tg.ones(2, 2), requires_grad=False)
    with pytest.raises(RuntimeError, match="Missing key"):
        m.load_state_dict({"weight": ckpt}, assign=True)
    assert m.weight is w and m.bias is b and not ckpt.requires_grad
    with pytest.raises(RuntimeError, match="an exception occurred"):
        m.load_state_dict({"weight": tg.ones(2, 2), "bias": tg.ones(2, dtype=tg.int64)}, assign=True)
    assert m.weight is w and m.bias is b


def test_module_hooks_return_the_shared_handle_class():
    def case(L):
        nn = L.nn
        mm = nn.modules.module
        m = nn.Linear(2, 2)
        noop = lambda *a: None  # noqa: E731
        handles = [
            m.register_forward_hook(noop, with_kwargs=True, always_call=True),
            m.register_forward_pre_hook(noop, with_kwargs=True),
            m.register_forward_pre_hook(noop, prepend=True),
            m.register_full_backward_hook(noop),
            m.register_full_backward_pre_hook(noop),
            m.register_state_dict_pre_hook(noop),
            m.register_state_dict_post_hook(lambda *a: None),
            m._register_state_dict_hook(noop),
            m.register_load_state_dict_pre_hook(noop),
            m._register_load_state_dict_pre_hook(noop),
            m.register_load_state_dict_post_hook(noop),
            mm.register_module_forward_hook(noop, with_kwargs=True, always_call=True),
            mm.register_module_forward_pre_hook(noop),
            mm.register_module_full_backward_hook(noop),
            mm.register_module_full_backward_pre_hook(noop),
            mm.register_module_buffer_registration_hook(noop),
            mm.register_module_module_registration_hook(noop),
            mm.register_module_parameter_registration_hook(noop),
        ]
        base = handles[0].id
        out = [(isinstance(h, L.utils.hooks.RemovableHandle), h.id - base, len(h.extra_dict_ref)) for h in handles]
        out.append(mm.RemovableHandle is L.utils.hooks.RemovableHandle)
        out.append([k - base for k in m._forward_pre_hooks])
        out.append([type(d).__name__ for d in (m._forward_hooks_with_kwargs, m._forward_hooks_always_called,
                                               m._forward_pre_hooks_with_kwargs)])
        handles[0].remove()
        handles[1].remove()
        out.append((len(m._forward_hooks), len(m._forward_hooks_with_kwargs), len(m._forward_hooks_always_called),
                    len(m._forward_pre_hooks_with_kwargs)))
        n_kw, n_always = len(mm._global_forward_hooks_with_kwargs), len(mm._global_forward_hooks_always_called)
        handles[11].remove()
        # PyTorch's handle of a global forward hook forgets its always_call flag, not its with_kwargs one
        out.append((len(mm._global_forward_hooks_with_kwargs) - n_kw,
                    len(mm._global_forward_hooks_always_called) - n_always))
        for h in handles:
            h.remove()
        out.append([len(d) for d in (m._forward_pre_hooks, m._backward_hooks, m._backward_pre_hooks,
                                     m._state_dict_hooks, m._state_dict_pre_hooks, m._load_state_dict_pre_hooks,
                                     m._load_state_dict_post_hooks)])
        with m.register_forward_hook(lambda mod, i, o: o * 0) as h:
            out.append((m(L.ones(2)).tolist(), repr(h).startswith("<torch.utils.hooks.RemovableHandle object at 0x")))
        out.append(len(m._forward_hooks))
        return out

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_state_dict_post_hook_is_marked_on_the_hook_itself():
    def case(L):
        out = []
        m = L.nn.Linear(1, 1)

        def hook(mod, sd, prefix, meta):
            return {}

        m.register_state_dict_post_hook(hook)
        out.append((list(m._state_dict_hooks.values())[0] is hook, hook._from_public_api))
        try:
            m.state_dict()
        except RuntimeError as e:
            out.append(str(e))
        try:
            L.nn.Linear(1, 1)._register_state_dict_hook(hook)
        except RuntimeError as e:
            out.append(str(e))

        class C:
            def method(self, *a):
                return None

        m2 = L.nn.Linear(1, 1)
        try:
            m2.register_state_dict_post_hook(C().method)
        except AttributeError as e:
            out.append(str(e))
        out.append(len(m2._state_dict_hooks))
        return out

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_pickled_module_keeps_hooks_and_handles():
    def case(L):
        m = L.nn.Linear(2, 2)
        h = m.register_forward_pre_hook(_PickleableHook(), with_kwargs=True)
        m.handle = h
        m2 = pickle.loads(pickle.dumps(m))
        out = [len(m2._forward_pre_hooks), m2.handle.id == h.id, m2.handle.hooks_dict_ref() is m2._forward_pre_hooks,
               m2.handle.extra_dict_ref[0]() is m2._forward_pre_hooks_with_kwargs]
        m2.handle.remove()
        out += [len(m2._forward_pre_hooks), len(m2._forward_pre_hooks_with_kwargs), len(m._forward_pre_hooks)]
        lazy = pickle.loads(pickle.dumps(L.nn.LazyLinear(3)))
        lazy(L.ones(2, 4))
        out += [type(lazy).__name__, len(lazy._forward_pre_hooks), len(lazy._load_state_dict_pre_hooks)]
        return out

    ours, theirs = run_in_both(case)
    assert ours == theirs


class _PickleableHook:
    def __call__(self, *args):
        return None


def test_bfloat16_module_forward():
    def case(L):
        L.manual_seed(0)
        net = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.BatchNorm1d(3)).bfloat16()
        out = net(L.arange(8, dtype=L.float32).reshape(4, 2).bfloat16())
        dtypes = [str(t.dtype) for t in list(net.parameters()) + list(net.buffers())]
        return dtypes, str(out.dtype), [v for row in out.float().tolist() for v in row]

    ours, theirs = run_in_both(case)
    assert ours[:2] == theirs[:2]
    assert ours[2] == pytest.approx(theirs[2], abs=0.05)


def test_state_dict_positional_arguments_warn():
    import warnings

    def case(L):
        m = L.nn.Linear(1, 1)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            d = {}
            out = m.state_dict(d, "x.")
            m.state_dict(prefix="y.")
        return out is d, list(d), [(x.category.__name__, str(x.message), x.filename == __file__) for x in w]

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_load_from_state_dict_is_always_told_strict():
    def case(L):
        seen = []
        inner = L.nn.Linear(1, 1)
        inner.register_load_state_dict_pre_hook(lambda mod, sd, prefix, md, strict, *rest: seen.append(strict))
        net = L.nn.Sequential(inner)
        net.load_state_dict(net.state_dict(), strict=False)
        net.load_state_dict(net.state_dict())
        return seen

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_always_call_hook_failures_are_named_global_or_module():
    import warnings

    def case(L):
        class Boom(L.nn.Module):
            def forward(self, x):
                raise ZeroDivisionError("forward failed")

        def local_hook(mod, args, out):
            raise ValueError("local hook failed")

        def global_hook(mod, args, out):
            raise KeyError("global hook failed")

        m = Boom()
        m.register_forward_hook(local_hook, always_call=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with L.nn.modules.module.register_module_forward_hook(global_hook, always_call=True):
                try:
                    m(L.ones(1))
                except ZeroDivisionError as e:
                    raised = str(e)
        return raised, [str(x.message) for x in w]

    ours, theirs = run_in_both(case)
    assert ours == theirs


TO_CALLS = [
    lambda L, m: m.to("cpu", "float"),
    lambda L, m: m.to(L.float64, L.float32),
    lambda L, m: m.to(L.float32, "cpu"),
    lambda L, m: m.to(L.float32, 1),
    lambda L, m: m.to(L.float32, device="cpu"),
    lambda L, m: m.to(L.ones(1), dtype=L.float64),
    lambda L, m: m.to(dtype=L.float32, device="cpu", foo=3),
    lambda L, m: m.to(L.float32, dtype=L.float64),
    lambda L, m: m.to([1]),
    lambda L, m: m.to("cpu", non_blocking=1),
    lambda L, m: m.to(memory_format=3),
    lambda L, m: m.to("cpu", L.float64, False, False, False),
    lambda L, m: m.to("cpu", L.float64, False, False),
    lambda L, m: m.to("cpu", copy=False),
    lambda L, m: m.to(L.ones(1), False, False),
    lambda L, m: m.to("cuda:x"),
    lambda L, m: m.to(int),
    lambda L, m: m.to(L.int32),
    lambda L, m: m.to(L.ones(1, dtype=L.int64)),
]


@pytest.mark.parametrize("call", TO_CALLS)
def test_module_to_refuses_what_pytorch_refuses(call):
    def attempt(L):
        m = L.nn.Linear(1, 1)
        try:
            call(L, m)
        finally:
            # nothing moved or changed dtype before the error
            assert m.weight.dtype == L.float32 and m.weight.device.type == "cpu"
    assert_same_error(attempt)


TO_OK_CALLS = [
    lambda L, m: m.to(None),
    lambda L, m: m.to("cpu", None),
    lambda L, m: m.to(L.float64, False),
    lambda L, m: m.to(float),
    lambda L, m: m.to(dtype=float),
    lambda L, m: m.to(tensor=L.ones(1, dtype=L.float16)),
    lambda L, m: m.to(L.ones(1, dtype=L.float64), True),
    lambda L, m: m.to(L.device("cpu"), non_blocking=True),
    lambda L, m: m.to("cpu", L.float64, True),
    lambda L, m: m.to(b"cpu"),
    lambda L, m: m.to(device="cpu", dtype=L.float64, non_blocking=False, memory_format=L.preserve_format),
]


@pytest.mark.parametrize("call", TO_OK_CALLS)
def test_module_to_takes_what_pytorch_takes(call):
    def case(L):
        m = L.nn.Linear(1, 1)
        out = call(L, m)
        return out is m, str(m.weight.dtype), m.weight.device.type
    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_module_to_complex_warns_and_memory_format_reaches_4d_tensors():
    import warnings

    def case(L):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = L.nn.Linear(2, 2).to(L.complex64)
            L.nn.Linear(2, 2).to(L.ones(1, dtype=L.complex128))
        msgs = [(x.category.__name__, str(x.message), x.filename == __file__) for x in w]
        conv = L.nn.Sequential(L.nn.Conv2d(2, 3, 3), L.nn.Linear(3, 3)).to(memory_format=L.channels_last)
        return (msgs, str(m.weight.dtype), conv[0].weight.is_contiguous(memory_format=L.channels_last),
                conv[0].weight.stride(), conv[1].weight.stride(), conv[0].bias.stride())

    ours, theirs = run_in_both(case)
    assert ours == theirs


def test_assigning_a_non_tensor_to_a_buffer():
    def make(L):
        m = L.nn.BatchNorm1d(2)
        m.running_mean = 3
    assert_same_error(make)


def test_load_state_dict_takes_any_mapping():
    import types
    from collections.abc import Mapping

    class ReadOnly(Mapping):
        def __init__(self, d):
            self.d = d

        def __getitem__(self, k):
            return self.d[k]

        def __iter__(self):
            return iter(self.d)

        def __len__(self):
            return len(self.d)

    def case(L):
        m = L.nn.Linear(1, 1)
        sd = {k: v + 1 for k, v in m.state_dict().items()}
        out = [repr(m.load_state_dict(types.MappingProxyType(sd))), repr(m.load_state_dict(ReadOnly(sd)))]
        return out, m.weight.tolist() == sd["weight"].tolist()

    ours, theirs = run_in_both(case)
    assert ours == theirs
    assert_same_error(lambda L: L.nn.Linear(1, 1).load_state_dict([("weight", L.ones(1, 1))]))


def test_assignment_errors_name_classes_as_torch_does():
    def assign_module_to_parameter(L):
        m = L.nn.Linear(1, 1)
        m.weight = L.nn.ReLU()
    assert_same_error(assign_module_to_parameter)
    assert_same_error(lambda L: L.nn.Linear(1, 1).add_module("act", L.optim.SGD))
