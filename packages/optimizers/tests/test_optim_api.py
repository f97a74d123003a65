"""Optimizer base behaviour (errors, hooks, zero_grad, state_dict round trip, flat buffers) and the
plugin path (in-process load_plugin, and a throwaway distribution installed with pip)."""
import os
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.optim as optim
from tensorgraft.plugins import hookimpl, load_plugin
from tensorgraft.registry import registry


def params():
    return [tg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)), tg.tensor(np.ones(4, dtype=np.float32))]


def set_grads(ps, value=1.0):
    for p in ps:
        p.grad = tg.full(tuple(p.shape), value)


# ---------------------------------------------------------------------------------- errors
def test_error_messages_match_torch():
    a, b = params()
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is int"):
        optim.Adam([a, 3])
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])


def test_non_leaf_tensor_is_rejected():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([y], lr=0.1)


def test_default_hyperparameters_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta", "LBFGS"):
        t = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)])
        g = getattr(optim, name)([tg.zeros(1)])
        assert g.defaults == t.defaults, name
        assert list(g.defaults) == list(t.defaults), name


# ---------------------------------------------------------------------------------- behaviour
def test_zero_grad_and_skipping_params_without_grad():
    a, b = params()
    opt = optim.SGD([a, b], lr=0.5)
    a.grad = tg.ones(2, 3)
    before = b.numpy().copy()
    opt.step()
    np.testing.assert_allclose(a.numpy(), np.arange(6).reshape(2, 3) - 0.5)
    np.testing.assert_array_equal(b.numpy(), before)
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and float(a.grad.sum()) == 0.0
    opt.zero_grad()
    assert a.grad is None


def test_step_bumps_version_counter_and_keeps_aliases_in_sync():
    a, b = params()
    alias = a.data              # shares a's memory: the optimizer must keep updating it in place
    opt = optim.Adam([a, b], lr=0.1)
    v0 = a._version
    for _ in range(3):
        set_grads([a, b])
        opt.step()
    assert a._version == v0 + 3
    np.testing.assert_array_equal(alias.numpy(), a.numpy())
    # the user rebinding .data between steps is honoured
    b.data = tg.zeros(4)
    set_grads([a, b])
    opt.step()
    np.testing.assert_allclose(b.numpy(), -0.1 * np.ones(4), rtol=1e-5)
    # ... even with another dtype (the flat buffers are rebuilt, the state is kept and cast)
    b.data = tg.zeros(4, dtype=tg.float64)
    b.grad = tg.ones(4, dtype=tg.float64)
    a.grad = None
    opt.step()
    assert b.dtype is tg.float64 and opt.state[b]["exp_avg"].dtype is tg.float64
    assert float(opt.state[b]["step"]) == 5
    # another shape no longer fits the state: torch's error, never a silent reset of the state
    b.data = tg.zeros(2, 2)
    b.grad = tg.ones(2, 2)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(4\) must match the size of tensor b \(2\) "
                                           r"at non-singleton dimension 1"):
        opt.step()


def test_parameters_move_into_the_flat_buffer_unless_aliased():
    a, b = params()
    keep = b.data                      # b's memory is visible elsewhere: it must stay where it is
    b_array = b._data
    opt = optim.Adam([a, b], lr=0.1)
    set_grads([a, b])
    opt.step()
    bucket = next(iter(opt._buckets.values()))
    assert a._data.base is bucket.params      # relocated: updated in place in the flat buffer
    assert b._data is b_array and bucket.copy_mode == [1]
    np.testing.assert_array_equal(keep.numpy(), b.numpy())
    del keep, b_array
    set_grads([a, b])
    opt.step()
    assert b._data.base is bucket.params and bucket.copy_mode == []


def test_state_tensors_are_live_views():
    a, b = params()
    opt = optim.Adam([a, b], lr=0.1)
    set_grads([a, b])
    opt.step()
    st = opt.state[a]
    assert st["step"].shape == () and st["step"].dtype is tg.float32 and float(st["step"]) == 1.0
    set_grads([a, b], 2.0)
    opt.step()
    assert float(opt.state_dict()["state"][0]["step"]) == 2.0
    np.testing.assert_allclose(st["exp_avg"].numpy(), 0.1 * 0.9 + 0.2, rtol=1e-6)


def test_state_dict_roundtrip_continues_identically():
    a1, b1 = params()
    a2, b2 = params()
    o1 = optim.RMSprop([a1, b1], lr=0.01, momentum=0.9, centered=True)
    for i in range(5):
        set_grads([a1, b1], 1.0 + i)
        o1.step()
    a2._data[...] = a1.numpy()
    b2._data[...] = b1.numpy()
    o2 = optim.RMSprop([a2, b2], lr=0.5)
    sd = o1.state_dict()   # like a checkpoint: copies of the state tensors
    sd = {"state": {i: {k: tg.tensor(v.numpy().copy()) for k, v in st.items()} for i, st in sd["state"].items()},
          "param_groups": sd["param_groups"]}
    o2.load_state_dict(sd)
    assert o2.param_groups[0]["lr"] == 0.01 and o2.param_groups[0]["centered"] is True
    for i in range(5):
        set_grads([a1, b1], 0.5 - i)
        set_grads([a2, b2], 0.5 - i)
        o1.step()
        o2.step()
    np.testing.assert_array_equal(a1.numpy(), a2.numpy())
    np.testing.assert_array_equal(b1.numpy(), b2.numpy())
    with pytest.raises(ValueError, match="different number of parameter groups"):
        o2.load_state_dict({"state": {}, "param_groups": []})


def test_step_hooks_and_closure():
    a, b = params()
    opt = optim.SGD([a, b], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))

    def closure():
        calls.append("closure")
        set_grads([a, b])
        return 7.0

    assert opt.step(closure) == 7.0
    assert calls == ["pre", "closure", "post"]
    h1.remove()
    opt.step()
    assert calls[-1] == "post" and calls.count("pre") == 1


def test_add_param_group_and_repr():
    a, b = params()
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["lr"] == 0.5
    set_grads([a, b])
    opt.step()
    assert "Parameter Group 1" in repr(opt) and "lr: 0.5" in repr(opt)


def test_with_autograd_if_installed():
    pytest.importorskip("tensorgraft.autograd")
    w = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5)
    for _ in range(50):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert float((w * w).sum()) < 1e-3


def test_fused_extension_is_used():
    calls = []

    def fused(opt, group, bucket):
        calls.append((bucket.consts["step_size"], bucket.N))
        bucket.params -= 1.0
        return True

    registry.extensions.setdefault("fused_optimizer_step", {})[("Adam", "cpu")] = fused
    try:
        a, b = params()
        opt = optim.Adam([a, b], lr=0.1)
        set_grads([a, b])
        opt.step()
    finally:
        del registry.extensions["fused_optimizer_step"][("Adam", "cpu")]
    assert calls == [(pytest.approx(1.0), 10)]
    np.testing.assert_array_equal(b.numpy(), np.zeros(4))


# ---------------------------------------------------------------------------------- plugins
def test_third_party_optimizer_through_load_plugin():
    class SignSGDInProcess(optim.Optimizer):
        def __init__(self, params, lr=0.01):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p._data -= group["lr"] * np.sign(p.grad._data)
                        p._vc[0] += 1

    mod = types.ModuleType("tg_test_signsgd_plugin")

    @hookimpl
    def tensorgraft_register_optimizers(registrar):
        registrar.register_optimizer(SignSGDInProcess)

    mod.tensorgraft_register_optimizers = tensorgraft_register_optimizers
    load_plugin(mod, distribution="tg-test-signsgd")
    assert optim.SignSGDInProcess is SignSGDInProcess
    assert registry.optimizer_owner["SignSGDInProcess"] == "tg-test-signsgd"
    a, _ = params()
    a.grad = tg.tensor(np.array([[1, -1, 0], [2, -2, 3]], dtype=np.float32))
    opt = optim.SignSGDInProcess([a], lr=0.5)
    opt.step()
    np.testing.assert_array_equal(a.numpy(), np.array([[-0.5, 1.5, 2], [2.5, 4.5, 4.5]], dtype=np.float32))
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchOptimizer'"):
        _ = optim.NoSuchOptimizer


def test_third_party_distribution_installed_with_pip(tmp_path):
    pytest.importorskip("hatchling")
    src = tmp_path / "src"
    pkg = src / "tg_lion_test"
    pkg.mkdir(parents=True)
    (src / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        [project]
        name = "tg-lion-test"
        version = "0.3.0"
        [project.entry-points.tensorgraft]
        lion = "tg_lion_test.plugin"
        [tool.hatch.build.targets.wheel]
        packages = ["tg_lion_test"]
        """))
    (pkg / "__init__.py").write_text("")
    (pkg / "plugin.py").write_text(textwrap.dedent("""\
        from tensorgraft.plugins import hookimpl

        @hookimpl
        def tensorgraft_register_optimizers(registrar):
            from tensorgraft.optim import SGD

            class LionTest(SGD):
                pass

            registrar.register_optimizer(LionTest)
        """))
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--no-index", "--target", str(target), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target)] + sys.path))
    code = ("import tensorgraft.optim as o; print(o.LionTest.__name__, o.LionTest.__mro__[1].__name__); "
            "from tensorgraft.cli import main; main(['plugins'])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("LionTest SGD")
    assert "tg-lion-test 0.3.0" in r.stdout
    assert "optimizers: 1 (LionTest)" in r.stdout
    assert "optimizers: 15 (ASGD, Adadelta, Adafactor, Adagrad, Adam, AdamW, Adamax, LBFGS, Muon, NAdam, RAdam, RMSprop, ...)" in r.stdout


# ---------------------------------------------------------------------------------- audit regressions
def test_step_hooks_get_args_with_the_optimizer_first_like_torch():
    """torch passes ``args`` including the optimizer to step hooks, and a pre-hook's ``new_args`` must
    include it too (a torch-written hook returning ``((opt,), {...})`` used to break the call)."""
    a, b = params()
    opt = optim.SGD([a, b], lr=0.1)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", args, dict(kwargs))))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", args, dict(kwargs))))
    set_grads([a, b])
    opt.step()
    assert seen == [("pre", (opt,), {}), ("post", (opt,), {})]

    def replace_closure(o, args, kwargs):
        return (o,), {"closure": lambda: 5.0}

    opt.register_step_pre_hook(replace_closure)
    assert opt.step() == 5.0
    opt.register_step_pre_hook(lambda o, args, kwargs: 3)
    with pytest.raises(RuntimeError, match=r"<function SGD.step at 0x[0-9a-f]+> must return None or a tuple of "
                                           r"\(new_args, new_kwargs\), but got 3."):
        opt.step()


def test_load_state_dict_fills_missing_group_keys_and_float_steps_like_torch():
    """Older/hand-written state_dicts lack some group keys and keep ``step`` as a number: torch's
    ``__setstate__`` fills the keys (in its order) and makes ``step`` a 0-d float32 tensor."""
    a, b = params()
    opt = optim.Adam([a, b], lr=0.1)
    set_grads([a, b])
    opt.step()
    sd = opt.state_dict()
    for g in sd["param_groups"]:
        del g["foreach"], g["amsgrad"], g["fused"]
    for st in sd["state"].values():
        st["step"] = 1.0
    opt2 = optim.Adam(params(), lr=0.1)
    opt2.load_state_dict(sd)
    g = opt2.param_groups[0]
    assert {"foreach", "amsgrad", "fused"} <= set(g) and g["foreach"] is None and g["amsgrad"] is False
    assert list(g)[-3:] == ["amsgrad", "foreach", "fused"]
    step = opt2.state_dict()["state"][0]["step"]
    assert isinstance(step, tg.Tensor) and step.dtype is tg.float32 and step.shape == () and float(step) == 1.0
    for name, keys in [("SGD", ["nesterov", "maximize", "foreach", "differentiable", "fused"]),
                       ("RMSprop", ["momentum", "centered", "foreach", "maximize", "differentiable", "capturable"])]:
        o = getattr(optim, name)(params(), lr=0.1)
        sd = o.state_dict()
        for k in keys:
            del sd["param_groups"][0][k]
        o.load_state_dict(sd)
        assert set(keys) <= set(o.param_groups[0])


def test_state_of_another_shape_is_an_error_not_a_silent_reset():
    a = tg.zeros(2)
    opt = optim.Adam([a], lr=0.1)
    a.grad = tg.ones(2)
    opt.step()
    b = tg.zeros(3)
    opt2 = optim.Adam([b], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    b.grad = tg.ones(3)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\) at "
                                           r"non-singleton dimension 0"):
        opt2.step()


def test_state_dict_with_foreign_arrays_loads_as_tensors():
    """A state_dict whose state holds other libraries' arrays (numpy here; torch tensors in the oracle
    test) is converted on load instead of being silently dropped at the next step."""
    a = tg.zeros(3)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    sd["state"] = {0: {"momentum_buffer": np.full(3, 2.0, dtype=np.float64)}}
    opt.load_state_dict(sd)
    buf = opt.state[a]["momentum_buffer"]
    assert isinstance(buf, tg.Tensor) and buf.dtype is tg.float32
    a.grad = tg.ones(3)
    opt.step()
    np.testing.assert_allclose(a.numpy(), -0.1 * (0.9 * 2.0 + 1.0) * np.ones(3), rtol=1e-6)
