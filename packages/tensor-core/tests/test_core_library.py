"""tensorgraft.library: custom ops (calling, tensorgraft.ops.<ns>, kernels per device, fake
implementations on meta, mutation, aliasing), their gradients, infer_schema and opcheck."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import Tensor, library

needs_autograd = pytest.mark.skipif(tg.Tensor._autograd is None, reason="the autograd engine is not installed")
_counter = iter(range(10 ** 6))


def _ns():
    """A fresh namespace per test, so ops defined by one test never meet another's."""
    return f"tglibtest{next(_counter)}"


def _numpy_sin(ns):
    @library.custom_op(f"{ns}::numpy_sin", mutates_args=())
    def numpy_sin(x: Tensor) -> Tensor:
        return tg.from_numpy(np.sin(x.numpy(force=True))).to(x.device)
    return numpy_sin


def test_a_custom_op_is_called_and_exported():
    ns = _ns()
    op = _numpy_sin(ns)
    x = tg.tensor([0.0, 1.0, 2.0])
    np.testing.assert_allclose(op(x).numpy(), np.sin([0.0, 1.0, 2.0]), rtol=1e-6)
    packet = getattr(tg.ops, ns).numpy_sin
    assert repr(op) == f"<CustomOpDef({ns}::numpy_sin)>"
    assert str(packet) == f"{ns}.numpy_sin" and str(packet.default) == f"{ns}.numpy_sin.default"
    assert repr(packet) == f"<OpOverloadPacket(op='{ns}.numpy_sin')>"
    assert repr(packet.default) == f"<OpOverload(op='{ns}.numpy_sin', overload='default')>"
    assert packet.__name__ == "numpy_sin" and packet.default.name() == f"{ns}::numpy_sin"
    assert packet.default._schema == f"{ns}::numpy_sin(Tensor x) -> Tensor"
    assert packet.overloads() == ["default"]
    np.testing.assert_array_equal(packet(x).numpy(), op(x).numpy())
    np.testing.assert_array_equal(packet.default(x).numpy(), op(x).numpy())
    assert op._schema == "(Tensor x) -> Tensor" and op.__name__ == "numpy_sin"
    from importlib import import_module
    assert import_module(f"tensorgraft.ops.{ns}").numpy_sin is packet


def test_function_form_kernels_per_device_and_switching_them_off():
    ns = _ns()
    calls = []

    def impl(x: Tensor) -> Tensor:
        calls.append("generic")
        return x * 2

    op = library.custom_op(f"{ns}::double", impl, mutates_args=())

    @op.register_kernel("cpu")
    def _(x):
        calls.append("cpu")
        return x + x
    assert op(tg.ones(2)).tolist() == [2.0, 2.0] and calls == ["cpu"]
    with op.set_kernel_enabled("cpu", False):
        op(tg.ones(2))
    assert calls == ["cpu", "generic"]
    op(tg.ones(2))
    assert calls[-1] == "cpu"
    library.register_kernel(f"{ns}::double", ("cpu",), lambda x: x * 3)
    assert op(tg.ones(1)).tolist() == [3.0]


def test_meta_uses_the_fake_implementation():
    ns = _ns()
    op = _numpy_sin(ns)
    meta = tg.empty(2, 3, device="meta")
    with pytest.raises(RuntimeError, match=rf"^There was no fake impl registered for <CustomOpDef\({ns}::numpy_sin\)>\. "
                                           r"This is necessary for torch.compile/export/fx tracing to work. Please use "
                                           r"`numpy_sin.register_fake` to add an fake impl.$"):
        op(meta)
    library.register_fake(op, lambda x: tg.empty_like(x))
    out = op(meta)
    assert out.device.type == "meta" and tuple(out.shape) == (2, 3)


def test_mutated_arguments_bump_their_version():
    ns = _ns()

    @library.custom_op(f"{ns}::add_", mutates_args={"x"})
    def add_(x: Tensor, y: Tensor) -> None:
        x_np = x.numpy()
        x_np += y.numpy()
    a, b = tg.ones(2), tg.ones(2)
    va, vb = a._version, b._version
    assert add_(a, b) is None
    assert a.tolist() == [2.0, 2.0] and a._version == va + 1 and b._version == vb
    assert add_._schema == "(Tensor(a0!) x, Tensor y) -> ()"
    assert add_(tg.empty(2, device="meta"), tg.empty(2, device="meta")) is None  # nothing to fake


def test_outputs_may_not_alias_inputs():
    ns = _ns()

    @library.custom_op(f"{ns}::view", mutates_args=())
    def view(x: Tensor) -> Tensor:
        return x[1:]
    with pytest.raises(RuntimeError, match=r"^view \(with implementation in <module 'tensorgraft.library.custom_ops'.*"
                                           r"must not also be an input .* return x.clone\(\)"):
        view(tg.ones(3))


@needs_autograd
def test_gradients_through_register_autograd():
    ns = _ns()
    op = _numpy_sin(ns)
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    y = op(x)
    assert y.grad_fn.name() == f"GeneratedBackwardFor_{ns}_numpy_sin_defaultBackward"
    with pytest.raises(RuntimeError, match=rf"^Trying to backward through {ns}.numpy_sin.default but no autograd "
                                           "formula was registered. Please use register_autograd to add one.$"):
        y.sum().backward()

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()
    library.register_autograd(f"{ns}::numpy_sin", backward, setup_context=setup_context)
    op(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos([0.5, 1.0]), rtol=1e-6)
    with tg.no_grad():
        assert op(x).grad_fn is None


@needs_autograd
def test_gradients_of_lists_tuples_and_keyword_only_arguments():
    ns = _ns()

    @library.custom_op(f"{ns}::weighted", mutates_args=())
    def weighted(xs: Sequence[Tensor], w: Tensor, *, scale: float = 2.0) -> tuple[Tensor, Tensor]:
        total = xs[0] * w
        for x in xs[1:]:
            total = total + x * w
        return total * scale, w * 1.0

    def setup_context(ctx, inputs, keyword_only_inputs, output):
        xs, w = inputs
        ctx.save_for_backward(w, *xs)
        ctx.scale = keyword_only_inputs["scale"]

    def backward(ctx, g_total, g_w):
        w, *xs = ctx.saved_tensors
        return [g_total * w * ctx.scale for _ in xs], sum(g_total * x * ctx.scale for x in xs) + g_w
    weighted.register_autograd(backward, setup_context=setup_context)
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    total, w_copy = weighted([a, b], w, scale=3.0)
    (total.sum() + w_copy.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.5, -3.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.5, -3.0])
    np.testing.assert_allclose(w.grad.numpy(), [(1 + 3) * 3 + 1, (2 + 4) * 3 + 1])

    @library.custom_op(f"{ns}::bad", mutates_args=())
    def bad(x: Tensor, y: Tensor) -> Tensor:
        return x + y
    bad.register_autograd(lambda ctx, g: g)
    with pytest.raises(RuntimeError, match=f"function GeneratedBackwardFor_{ns}_bad_defaultBackward returned an "
                                           r"incorrect number of gradients \(expected 2, got 1\)"):
        bad(tg.ones(1, requires_grad=True), tg.ones(1)).sum().backward()


def test_list_return_stays_a_list():
    ns = _ns()

    @library.custom_op(f"{ns}::split2", mutates_args=())
    def split2(x: Tensor) -> list[Tensor]:
        return [x[:1].clone(), x[1:].clone()]
    out = split2(tg.arange(3.0))
    assert isinstance(out, list) and [t.tolist() for t in out] == [[0.0], [1.0, 2.0]]
    if tg.Tensor._autograd is not None:
        split2.register_autograd(lambda ctx, grads: tg.cat(grads))  # (a list output's gradients: one list)
        x = tg.arange(3.0, requires_grad=True)
        out = split2(x)
        assert isinstance(out, list)
        (out[0].sum() * 2 + out[1].sum()).backward()
        assert x.grad.tolist() == [2.0, 1.0, 1.0]


@pytest.mark.parametrize("fn,mutates,schema", [
    (lambda x: None, (), None),
])
def test_infer_schema_needs_annotations(fn, mutates, schema):
    with pytest.raises(ValueError, match=r"^infer_schema\(func\): Parameter x must have a type annotation. Got func "
                                         r"with signature \(x\)\)$"):
        library.infer_schema(fn, mutates_args=mutates)


def _s(x: Tensor, y: Optional[Tensor], z: Sequence[Tensor], n: int, m: Optional[int], s: Sequence[int], f: float,
       b: bool, st: str, d: tg.dtype, dev: tg.device, o: Sequence[Optional[Tensor]], k: int = 3, name: str = "hi",
       *, flag: bool = False) -> tuple[Tensor, int]:
    pass


def test_infer_schema_types_defaults_and_mutation():
    assert library.infer_schema(_s, mutates_args=("x", "z")) == (
        "(Tensor(a0!) x, Tensor? y, Tensor(a2!)[] z, SymInt n, SymInt? m, SymInt[] s, float f, bool b, str st, "
        "ScalarType d, Device dev, Tensor?[] o, SymInt k=3, str name=\"hi\", *, bool flag=False) -> (Tensor, SymInt)")

    def g(x: Tensor, out: Tensor) -> None:
        pass
    assert library.infer_schema(g, mutates_args="unknown") == "(Tensor(a0!) x, Tensor(a1!) out) -> ()"
    assert library.infer_schema(g, mutates_args=(), op_name="myop") == "myop(Tensor x, Tensor out) -> ()"
    with pytest.raises(ValueError, match=r"\{'q'\} in mutates_args were not found in the custom op's signature"):
        library.infer_schema(g, mutates_args=("q",))

    def h(x: Tensor, *rest: Tensor) -> Tensor:
        pass
    with pytest.raises(ValueError, match="We do not support positional-only args, varargs, or varkwargs"):
        library.infer_schema(h, mutates_args=())

    def no_return(x: Tensor):
        pass
    with pytest.raises(ValueError, match="No return type annotation was provided. Please add one."):
        library.infer_schema(no_return, mutates_args=())

    def bad_type(x: Tensor, y: dict) -> Tensor:
        pass
    with pytest.raises(ValueError, match="Parameter y has unsupported type <class 'dict'>"):
        library.infer_schema(bad_type, mutates_args=())

    def bad_return(x: Tensor) -> dict:
        pass
    with pytest.raises(ValueError, match="Return has unsupported type <class 'dict'>"):
        library.infer_schema(bad_return, mutates_args=())


def test_custom_op_refusals():
    def f(x: Tensor) -> Tensor:
        return x.clone()
    for bad in ("noseparator", "a::b::c", "my lib::f"):
        with pytest.raises(ValueError, match="must be"):
            library.custom_op(bad, f, mutates_args=())
    with pytest.raises(ValueError, match="one of tensorgraft's own op modules"):
        library.custom_op("linalg::f", f, mutates_args=())
    with pytest.raises(TypeError):
        library.custom_op(f"{_ns()}::f", f)  # mutates_args is required, as in PyTorch
    with pytest.raises(ValueError, match="is not a custom op"):
        library.register_fake("nobody::nothing", lambda x: x)
    op = library.custom_op(f"{_ns()}::f", f, mutates_args=())
    with pytest.raises(TypeError, match="backward must be callable"):
        op.register_autograd(3)


def test_opcheck_passes_a_good_op_and_reports_each_failure():
    ns = _ns()
    op = _numpy_sin(ns)
    op.register_fake(lambda x: tg.empty_like(x))
    ok = library.opcheck(op, (tg.randn(3),))
    assert ok == {"test_schema": "SUCCESS", "test_autograd_registration": "SUCCESS", "test_faketensor": "SUCCESS",
                  "test_aot_dispatch_dynamic": "SUCCESS"}

    @library.custom_op(f"{ns}::sneaky", mutates_args=())
    def sneaky(x: Tensor) -> Tensor:
        x.numpy()[0] = 100.0  # mutates without saying so
        return x.clone()
    sneaky.register_fake(lambda x: tg.empty_like(x))
    with pytest.raises(library.OpCheckError, match=r"^opcheck\(op, \.\.\.\): test_schema failed with .*'x' was mutated, "
                                                   r"but it is not in the op's mutates_args"):
        library.opcheck(sneaky, (tg.ones(2),))

    @library.custom_op(f"{ns}::wrong_fake", mutates_args=())
    def wrong_fake(x: Tensor) -> Tensor:
        return x.sum(0, keepdim=True)
    wrong_fake.register_fake(lambda x: tg.empty_like(x))
    results = library.opcheck(wrong_fake, (tg.ones(3),), raise_exception=False)
    assert results["test_schema"] == "SUCCESS" and isinstance(results["test_faketensor"], RuntimeError)
    assert "output 0 of the fake implementation has shape [3]" in str(results["test_faketensor"])

    @library.custom_op(f"{ns}::nofake", mutates_args=())
    def nofake(x: Tensor) -> Tensor:
        return x * 2
    results = library.opcheck(nofake, (tg.ones(2),), raise_exception=False)
    assert "There was no fake impl registered" in str(results["test_faketensor"])
    assert "There was no fake impl registered" in str(results["test_aot_dispatch_dynamic"])
    assert library.opcheck(nofake, (tg.ones(2),), test_utils="test_schema") == {"test_schema": "SUCCESS"}
    with pytest.raises(ValueError, match="unknown test_utils"):
        library.opcheck(nofake, (tg.ones(2),), test_utils=("test_everything",))


@needs_autograd
def test_opcheck_autograd_checks():
    ns = _ns()
    op = _numpy_sin(ns)
    op.register_fake(lambda x: tg.empty_like(x))
    x = tg.randn(3, requires_grad=True)
    results = library.opcheck(op, (x,), raise_exception=False)
    assert "no autograd formula" in str(results["test_autograd_registration"])
    op.register_autograd(lambda ctx, g: g * ctx.saved_tensors[0].cos(),
                         setup_context=lambda ctx, inputs, output: ctx.save_for_backward(inputs[0]))
    assert set(library.opcheck(op, (x,)).values()) == {"SUCCESS"}

    calls = iter(range(100))

    @library.custom_op(f"{ns}::noisy", mutates_args=())
    def noisy(x: Tensor) -> Tensor:
        return x + next(calls)
    noisy.register_fake(lambda x: tg.empty_like(x))
    with pytest.raises(library.OpCheckError, match="test_aot_dispatch_dynamic failed with .*differs between two calls"):
        library.opcheck(noisy, (tg.ones(2),))


@needs_autograd
def test_the_implementation_runs_below_autograd():
    ns = _ns()
    seen = []

    @library.custom_op(f"{ns}::peek", mutates_args=())
    def peek(x: Tensor, xs: list[Tensor]) -> Tensor:
        seen.append((x.requires_grad, [t.requires_grad for t in xs], tg.is_grad_enabled()))
        return tg.from_numpy(x.numpy() * 2)  # numpy() of a tensor that requires grad would raise
    x = tg.ones(2, requires_grad=True)
    out = peek(x, [tg.ones(1, requires_grad=True)])
    assert seen == [(False, [False], False)] and out.tolist() == [2.0, 2.0] and out.requires_grad


# --------------------------------------------------------------------------- Library / define / impl
def test_define_and_impl_per_device():
    ns = _ns()
    lib = library.Library(ns, "DEF")
    assert lib.define("scaled(Tensor x, *, float scale=1.0) -> Tensor") == "scaled"
    lib.impl("scaled", lambda x, *, scale=1.0: x * scale, "CPU")
    op = getattr(tg.ops, ns).scaled
    assert op(tg.ones(2), scale=3.0).tolist() == [3.0, 3.0]
    assert op.default._schema == f"{ns}::scaled(Tensor x, *, float scale=1.0) -> Tensor"
    with pytest.raises(NotImplementedError, match=rf"^{ns}::scaled: attempted to run this operator with Meta tensors, "
                                                  "but there was no fake impl or Meta kernel registered"):
        op(tg.empty(2, device="meta"))
    lib.impl("scaled", lambda x, *, scale=1.0: tg.empty_like(x), "Meta")
    assert op(tg.empty(2, device="meta")).device.type == "meta"
    library.define(f"{ns}::nokernel", "(Tensor x) -> Tensor", lib=lib)
    with pytest.raises(NotImplementedError, match=rf"^Could not run '{ns}::nokernel' with arguments from the 'CPU' "
                                                  "backend"):
        getattr(tg.ops, ns).nokernel(tg.ones(1))
    library.impl(f"{ns}::nokernel", ("cpu", "cuda"), lambda x: x + 1)
    assert getattr(tg.ops, ns).nokernel(tg.ones(1)).tolist() == [2.0]
    library.impl(f"{ns}::nokernel", "default", lambda x: x + 5)  # CompositeExplicitAutograd: any device
    assert getattr(tg.ops, ns).nokernel(tg.ones(1)).tolist() == [2.0]  # the device's own kernel first


def test_library_kinds_and_definition_errors():
    ns = _ns()
    lib = library.Library(ns, "DEF")
    with pytest.raises(RuntimeError, match=f"^Only a single TORCH_LIBRARY can be used to register the namespace {ns}"):
        library.Library(ns, "DEF")
    with pytest.raises(ValueError, match="^Unsupported kind: WRONG$"):
        library.Library(ns, "WRONG")
    lib.define("f(Tensor x) -> Tensor")
    with pytest.raises(RuntimeError, match=rf"^Tried to register an operator \({ns}::f\(Tensor x\) -> Tensor\) with the "
                                           "same name and overload name multiple times"):
        lib.define("f(Tensor x) -> Tensor")
    fragment = library.Library(ns, "FRAGMENT")
    assert fragment.define("g(Tensor x, int[] dims, str? mode=None, Scalar alpha=1) -> Tensor") == "g"
    with pytest.raises(RuntimeError, match="expected \\) but found the end"):
        fragment.define("bad(Tensor x -> Tensor")
    with pytest.raises(RuntimeError, match="IMPL library"):
        library.Library(ns, "IMPL", "CPU").define("h(Tensor x) -> Tensor")
    impl_lib = library.Library(ns, "IMPL", "CPU")
    impl_lib.impl("f", lambda x: x - 1)  # the library's dispatch key
    assert getattr(tg.ops, ns).f(tg.ones(1)).tolist() == [0.0]
    with pytest.raises(RuntimeError, match="has not been defined"):
        impl_lib.impl("undefined", lambda x: x)
    with pytest.raises(ValueError, match="unknown dispatch key 'XLA'"):
        lib.impl("f", lambda x: x, "XLA")
    lib._destroy()
    assert not hasattr(getattr(tg.ops, ns), "f")
    library.Library(ns, "DEF")  # the namespace is free again


def test_schema_parsing():
    from tensorgraft.library.schema import parse_schema
    name, args, returns = parse_schema('f(Tensor(a!) x, int[2] k=[1, 2], *, str? mode="sum", float eps=1e-05) '
                                       "-> (Tensor, Tensor[])")
    assert name == "f" and returns == "(Tensor, Tensor[])"
    assert [(a.type, a.name, a.default, a.keyword_only) for a in args] == [
        ("Tensor(a!)", "x", args[0].default, False), ("int[2]", "k", [1, 2], False), ("str?", "mode", "sum", True),
        ("float", "eps", 1e-05, True)]
    assert args[0].mutated and args[0].is_tensor and not args[1].is_tensor
    for bad in ("f Tensor x -> Tensor", "f(Tensor x)", "f(Tensor) -> Tensor", "(Tensor x) -> "):
        with pytest.raises(RuntimeError, match="in the operator schema"):
            parse_schema(bad)


@needs_autograd
def test_defined_ops_gradients():
    ns = _ns()
    lib = library.Library(ns, "DEF")
    lib.define("sin2(Tensor x) -> Tensor")
    lib.impl("sin2", lambda x: tg.sin(x) * 2, "CPU")
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    y = getattr(tg.ops, ns).sin2(x)
    assert y.grad_fn.name() == "MulBackward0"  # the kernel's own ops, as PyTorch's autograd fallback
    with pytest.warns(UserWarning, match=f"{ns}::sin2: an autograd kernel was not registered to the Autograd key"):
        y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos([0.5, 1.0]), rtol=1e-6)
    lib.define("comp(Tensor x) -> Tensor")
    library.impl(f"{ns}::comp", "CompositeImplicitAutograd", lambda x: x.exp())
    assert getattr(tg.ops, ns).comp(x).grad_fn.name() == "ExpBackward0"
    lib.define("custom(Tensor x) -> Tensor")
    lib.impl("custom", lambda x: x * 3, "CPU")
    library.register_autograd(f"{ns}::custom", lambda ctx, g: g * 3)
    z = tg.ones(1, requires_grad=True)
    out = getattr(tg.ops, ns).custom(z)
    assert out.grad_fn.name() == f"GeneratedBackwardFor_{ns}_custom_defaultBackward"
    out.sum().backward()
    assert z.grad.tolist() == [3.0]
    with pytest.warns(DeprecationWarning, match="impl_abstract was renamed to torch.library.register_fake"):
        library.impl_abstract(f"{ns}::custom", lambda x: tg.empty_like(x))
    assert getattr(tg.ops, ns).custom(tg.empty(3, device="meta")).shape == (3,)


def _cuda_available():
    try:
        return tg.cuda.is_available()
    except ImportError:  # tensorgraft-cuda is not installed
        return False


@pytest.mark.skipif(not _cuda_available(), reason="needs a CUDA device (a GPU, or the cuda-fake tox environment's "
                                                   "stand-in CuPy)")
def test_kernels_are_chosen_by_the_tensors_device():
    ns = _ns()
    seen = []

    @library.custom_op(f"{ns}::where_am_i", mutates_args=())
    def where_am_i(x: Tensor) -> Tensor:
        seen.append("generic")
        return x + 1

    @where_am_i.register_kernel("cuda")
    def _(x):
        seen.append(x.device.type)
        return x + 2
    assert where_am_i(tg.zeros(1)).tolist() == [1.0]
    out = where_am_i(tg.zeros(1, device="cuda"))
    assert out.device.type == "cuda" and out.cpu().tolist() == [2.0] and seen == ["generic", "cuda"]
