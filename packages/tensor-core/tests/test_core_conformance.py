"""The conformance kit run over core's own ops, and over deliberately broken plugin ops."""
import types

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.plugins import api, hookimpl, load_plugin
from tensorgraft.registry import registry
from tensorgraft.testing import conformance as C


def _internal(name):
    """Helper ops only ever called by other ops' frontends/formulas (``_index_backward``...)."""
    return name.startswith("_")


def _core_ops():
    return sorted(n for n, op in registry.ops.items() if op.distribution == "tensorgraft-core")


def test_every_core_op_has_samples():
    missing = [n for n in _core_ops() if n not in C.core_sample_names() and not _internal(n)]
    assert not missing, ("core ops without conformance samples (declare OpDef.extra['samples'] with the op, or "
                         f"add them to tensorgraft/testing/_core_samples.py): {missing}")


def test_core_ops_conform():
    names = [n for n in _core_ops() if n in C.core_sample_names()]
    assert len(names) > 80
    assert C.run_conformance(names=names) == len(names)


_LOADED = []


def _plugin(dist, **hooks):
    mod = types.ModuleType(dist.replace("-", "_"))
    for name, fn in hooks.items():
        setattr(mod, name, hookimpl(optionalhook=True)(fn) if name.endswith("formulas") else hookimpl(fn))
    _LOADED.append((dist, mod))
    load_plugin(mod, distribution=dist)
    return mod


@pytest.fixture(autouse=True)
def _unload_test_plugins():
    """The throw-away plugins registered here must not leak into other tests of the session."""
    yield
    import sys
    from tensorgraft.plugins import manager
    while _LOADED:
        dist, mod = _LOADED.pop()
        namespaces = {n.split(".")[0] for n in registry.provided_by.get(dist, {}).get("ops", [])}
        registry.forget(dist)
        manager.plugins.pop(dist, None)
        pm = manager.get_plugin_manager()
        if pm.is_registered(mod):
            pm.unregister(mod)
        for ns in namespaces:
            sys.modules.pop(f"tensorgraft.ops.{ns}", None)
            if hasattr(tg.ops, ns):
                delattr(tg.ops, ns)


def _samples(dtype, device):
    x = tg.testing.make_tensor((2, 3), dtype=dtype, device=device, low=-1, high=1, seed=3)
    return [((x,), {})]


def test_wrong_backward_is_reported():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    def ops(registrar):
        registrar.register_op(api.elementwise_op("badgrad.triple", lambda xp, a: a * 3, samples=_samples,
                                                 reference=lambda a: a * 3))

    def formulas(registrar):
        registrar.register_formula("badgrad.triple", api.formula(saves=())(lambda node, grad: (grad * 2,)))

    _plugin("tg-test-badgrad", tensorgraft_register_ops=ops, tensorgraft_register_formulas=formulas)
    from tensorgraft.ops import badgrad
    assert badgrad.triple(tg.ones(2)).tolist() == [3.0, 3.0]
    with pytest.raises(C.ConformanceError) as ei:
        C.run_conformance(namespace="badgrad")
    checks = {f.check for f in ei.value.failures}
    assert "gradcheck" in checks
    assert "[badgrad.triple] gradcheck" in str(ei.value)
    assert "Jacobian mismatch" in str(ei.value)
    # the forward alone is fine
    assert C.check_op("badgrad.triple", checks=("dtype", "reference", "repr", "no_grad")) == []


def test_missing_samples_and_formula_are_reported():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    def ops(registrar):
        registrar.register_op(api.elementwise_op("nosamples.double", lambda xp, a: a * 2))
        registrar.register_op(api.elementwise_op("nosamples.noformula", lambda xp, a: a * 2, samples=_samples))
        registrar.register_op(api.elementwise_op("nosamples.ok", lambda xp, a: a * 2, samples=_samples,
                                                 differentiable=False))

    _plugin("tg-test-nosamples", tensorgraft_register_ops=ops)
    fails = C.check_op("nosamples.double")
    assert [f.check for f in fails] == ["declared", "declared"]
    assert "declares no sample inputs" in fails[0].message
    fails = C.check_op("nosamples.noformula")
    assert len(fails) == 1 and "no gradient formula is registered" in fails[0].message
    assert C.check_op("nosamples.ok") == []
    with pytest.raises(C.ConformanceError, match="2 op"):
        C.run_conformance(namespace="nosamples")


def test_wrong_dtype_and_reference_are_reported():
    def ops(registrar):
        registrar.register_op(api.elementwise_op(
            "baddtype.up", lambda xp, a: a.astype(np.float64) + 1, samples=_samples, differentiable=False,
            reference=lambda a: a + 1))
        registrar.register_op(api.elementwise_op(
            "baddtype.wrongref", lambda xp, a: a + 1, samples=_samples, differentiable=False,
            reference=lambda a: a + 2))

    _plugin("tg-test-baddtype", tensorgraft_register_ops=ops)
    fails = C.check_op("baddtype.up")
    assert [f.check for f in fails] == ["dtype"]  # the float32 sample; float64 stays float64
    assert "expected torch.float32" in fails[0].message
    fails = C.check_op("baddtype.wrongref")
    assert [f.check for f in fails] == ["reference"]


def test_inplace_variant_is_checked():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    def ops(registrar):
        registrar.register_op(api.elementwise_op("inpl.neg", lambda xp, a: -a, samples=_samples, inplace=True))

    def formulas(registrar):
        registrar.register_formula("inpl.neg", api.formula(saves=())(lambda node, grad: (-grad,)))

    _plugin("tg-test-inplace", tensorgraft_register_ops=ops, tensorgraft_register_formulas=formulas)
    from tensorgraft.ops import inpl
    x = tg.ones(3)
    assert inpl.neg_(x) is x and x.tolist() == [-1.0, -1.0, -1.0] and x._version == 1
    assert C.check_op("inpl.neg") == []

    # an in-place variant that forgets to bump the version counter is caught
    op = registry.ops["inpl.neg"]
    good = op.inplace_frontend

    def sneaky(t, *args):
        t._data[...] = -t._data
        return t
    op.inplace_frontend = sneaky
    try:
        fails = C.check_op("inpl.neg", checks=("inplace",))
    finally:
        op.inplace_frontend = good
    msgs = " | ".join(f.message for f in fails)
    assert "did not bump the version counter" in msgs
    assert "backward() did not report it" in msgs


def test_test_plugins_do_not_leak():
    assert not any(n.startswith(("badgrad.", "nosamples.", "baddtype.", "inpl.", "regsamp."))
                   for n in registry.ops)
    assert not hasattr(tg.ops, "badgrad")


def test_unknown_namespace_and_names():
    with pytest.raises(C.ConformanceError, match="no op is registered"):
        C.run_conformance(namespace="does-not-exist")
    with pytest.raises(KeyError):
        C.conformance_cases(names=["no.such.op"])
    with pytest.raises(ValueError, match="unknown conformance checks"):
        C.check_op("add", checks=("gradchek",))


def test_register_samples_for_an_op_without_extra():
    def ops(registrar):
        registrar.register_op(api.op("regsamp.first_row", lambda xp, a: a[0], differentiable=False))

    _plugin("tg-test-regsamp", tensorgraft_register_ops=ops)
    assert C.check_op("regsamp.first_row")[0].check == "declared"
    C.register_samples("regsamp.first_row", _samples, reference=lambda a: a[0])
    try:
        assert C.check_op("regsamp.first_row") == []
    finally:
        C._REGISTERED.pop("regsamp.first_row")


def test_pytest_plugin_is_lazy():
    """The pytest11 plugin is loaded into every pytest run: it must not pull in the kit."""
    import subprocess
    import sys
    code = ("import sys, tensorgraft.testing.pytest_plugin as p; "
            "print('tensorgraft.testing.conformance' in sys.modules, 'tensorgraft.testing._core_samples' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


pytest_plugins = ["pytester"]


def test_pytest_plugin_parametrizes_over_ops(pytester):
    pytester.makepyfile(test_x="""
        import pytest

        @pytest.mark.tg_conformance(names=["sin", "mul"])
        def test_op(tg_op, tg_conformance):
            tg_conformance.check_op(tg_op, raise_=True)

        @pytest.mark.tg_conformance(namespace="nothing-here")
        def test_none(tg_op):
            pass

        def test_dev(tg_device):
            assert tg_device == "cpu" or tg_device
    """)
    from tensorgraft.device import backends
    computing = [b for b in backends().values() if getattr(b, "holds_values", True)]  # tg_device leaves out meta
    n_avail = sum(1 for b in computing if b.is_available())
    res = pytester.runpytest("-q")  # the plugin is loaded through its pytest11 entry point
    res.assert_outcomes(passed=2 + n_avail, errors=1, skipped=len(computing) - n_avail)
    res.stdout.fnmatch_lines(["*no op under namespace 'nothing-here'*"])


def test_binary_elementwise_plugin_op_conforms():
    """plugins.api.elementwise_op with two tensor inputs: promotion, broadcasting, scalars."""
    def samples(dtype, device):
        x = tg.testing.make_tensor((2, 3), dtype=dtype, device=device, seed=1)
        return [((x, tg.testing.make_tensor((3,), dtype=dtype, device=device, seed=2)), {}), ((x, 0.5), {}),
                ((x, tg.testing.make_tensor((2, 3), dtype=dtype, device=device, seed=3)), {"scale": 2.0})]

    def ops(registrar):
        registrar.register_op(api.elementwise_op(
            "bin.scaled_diff", lambda xp, a, b, scale: (a - b) * a.dtype.type(scale), n_inputs=2,
            params={"scale": 1.0}, samples=samples, reference=lambda a, b, scale=1.0: (a - b) * scale))

    def formulas(registrar):
        @api.formula(saves=())
        def back(node, grad):
            s = node.attrs["scale"]
            return grad * s, grad * -s
        registrar.register_formula("bin.scaled_diff", back)

    _plugin("tg-test-binary", tensorgraft_register_ops=ops, tensorgraft_register_formulas=formulas)
    from tensorgraft.ops import bin as binops
    a = tg.tensor([1.0, 2.0], dtype=tg.float64)
    assert binops.scaled_diff(a, tg.tensor([0.5, 0.5]), scale=2).tolist() == [1.0, 3.0]
    assert binops.scaled_diff(a, tg.tensor([1.0, 1.0])).dtype is tg.float64
    assert binops.scaled_diff(tg.tensor([1, 2]), 1).dtype is tg.float32  # to_float: integers compute in float
    with pytest.raises(TypeError, match="multiple values for argument 'scale'"):
        binops.scaled_diff(a, a, 1.0, scale=2.0)
    assert C.run_conformance(namespace="bin") == 1


def test_generic_frontend_device_mismatch_and_errors():
    from tensorgraft.device import CPUBackend

    class Other(CPUBackend):
        type = "tgtestdev"

        def from_host(self, array, index):
            return array.copy()

        def current_index(self):
            return 0

    def devices(registrar):
        registrar.register_device(Other())

    def ops(registrar):
        registrar.register_op(api.op("gen.addmul", lambda xp, a, b, k=1: a + b * k, differentiable=False,
                                     samples=lambda dtype, device: [((tg.ones(2, dtype=dtype), tg.ones(2, dtype=dtype)),
                                                                     {"k": 3})]))

    _plugin("tg-test-generic", tensorgraft_register_devices=devices, tensorgraft_register_ops=ops)
    try:
        from tensorgraft.ops import gen
        assert gen.addmul(tg.ones(2), tg.ones(2), k=2).tolist() == [3.0, 3.0]
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            gen.addmul(tg.ones(2), tg.ones(2).to("tgtestdev"))
        assert gen.addmul(tg.ones(2).to("tgtestdev"), tg.ones(2).to("tgtestdev")).device.type == "tgtestdev"
        with pytest.raises(TypeError, match="expected at least one Tensor"):
            gen.addmul(1, 2)
        assert C.check_op("gen.addmul") == []  # including the device check against 'tgtestdev'
        with pytest.raises(ValueError, match="needs a kernel"):
            api.op("gen.nothing")
        with pytest.raises(ValueError, match="Python identifier"):
            api.elementwise_op("gen.bad-name", lambda xp, a: a)
    finally:
        from tensorgraft.device import backends
        registry.device_owner.pop("tgtestdev", None)
        backends().pop("tgtestdev", None)
        for op in registry.ops.values():
            op.table.pop("tgtestdev", None)
