"""tensorgraft.library against torch.library (PyTorch 2.13): the same schemas, values, gradients,
graph node names, opcheck results and error messages for the same custom ops."""
# (no ``from __future__ import annotations``: the ops' annotations are the libraries' own classes)
import typing
from typing import Optional, Sequence

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402

_counter = iter(range(10 ** 6))
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _signatures(lib):
    T = lib.Tensor

    def a(x: T, y: Optional[T], z: Sequence[T], n: int, m: Optional[int], s: Sequence[int], f: float, b: bool,
          st: str, o: Sequence[Optional[T]], k: int = 3, name: str = "hi", *, flag: bool = False) -> T:
        pass

    def b(x: T, out: T) -> None:
        pass

    def c(x: T, fs: Sequence[float], bs: Sequence[bool], q: Optional[float] = None) -> typing.List[T]:
        pass

    def d(x: T, d: lib.dtype, dev: lib.device, od: Optional[lib.dtype] = None) -> tuple[T, int, float, bool]:
        pass

    def e(x: T, scale: typing.Union[int, float, bool] = 2) -> typing.Union[int, float, bool]:
        pass
    return [a, b, c, d, e]


@pytest.mark.parametrize("i", range(5))
@pytest.mark.parametrize("mutates", [(), "unknown", ("x",)])
def test_same_schemas(i, mutates):
    ours = tg.library.infer_schema(_signatures(tg)[i], mutates_args=mutates)
    theirs = torch.library.infer_schema(_signatures(torch)[i], mutates_args=mutates)
    assert ours == theirs


def _first_part(message):
    return message.replace("tensorgraft", "torch").split(" The valid types are")[0].split(". Got func")[0]


@pytest.mark.parametrize("case", ["no_annotation", "dict_param", "dict_return", "no_return", "varargs",
                                  "unknown_mutated"])
def test_same_schema_errors(case):
    def make(lib):
        T = lib.Tensor
        fns = {"no_annotation": lambda x: x}

        def dict_param(x: T, y: dict) -> T:
            pass

        def dict_return(x: T) -> dict:
            pass

        def no_return(x: T):
            pass

        def varargs(x: T, *rest: T) -> T:
            pass
        fns.update(dict_param=dict_param, dict_return=dict_return, no_return=no_return, varargs=varargs,
                   unknown_mutated=dict_param)
        mutates = ("q",) if case == "unknown_mutated" else ()
        return lib.library.infer_schema(fns[case], mutates_args=mutates)
    assert_same_error(make, normalize=_first_part)


def _tutorial(lib, ns):
    """PyTorch's 'Python custom operators' tutorial: numpy_sin with a fake impl and a gradient."""
    T = lib.Tensor

    @lib.library.custom_op(f"{ns}::numpy_sin", mutates_args=())
    def numpy_sin(x: T) -> T:
        return lib.from_numpy(np.sin(x.numpy(force=True))).to(x.device)

    @numpy_sin.register_fake
    def _(x):
        return lib.empty_like(x)

    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()
    numpy_sin.register_autograd(backward, setup_context=setup_context)
    x = lib.tensor([0.1, 0.7, -1.3], requires_grad=True)
    y = getattr(lib.ops, ns).numpy_sin(x)
    y.sum().backward()
    return numpy_sin, x, y


def test_the_tutorial_gives_pytorchs_values_and_graph():
    ns = f"tgliboracle{next(_counter)}"
    op_t, x_t, y_t = _tutorial(torch, ns)
    op_g, x_g, y_g = _tutorial(tg, ns)
    np.testing.assert_allclose(y_g.detach().numpy(), y_t.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x_g.grad.numpy(), x_t.grad.numpy(), rtol=1e-6)
    assert y_g.grad_fn.name() == y_t.grad_fn.name()
    assert repr(op_g) == repr(op_t) and repr(getattr(tg.ops, ns).numpy_sin) == repr(getattr(torch.ops, ns).numpy_sin)
    for attr in (lambda p: p, lambda p: p.default):
        ours_p, theirs_p = attr(getattr(tg.ops, ns).numpy_sin), attr(getattr(torch.ops, ns).numpy_sin)
        assert (repr(ours_p), str(ours_p), ours_p.__name__) == (repr(theirs_p), str(theirs_p), theirs_p.__name__)
    assert str(getattr(tg.ops, ns).numpy_sin.default._schema) == str(getattr(torch.ops, ns).numpy_sin.default._schema)
    assert tg.library.opcheck(op_g, (tg.randn(3),)) == torch.library.opcheck(op_t, (torch.randn(3),))
    assert tg.library.opcheck(op_g, (tg.randn(3, requires_grad=True),)) == \
        torch.library.opcheck(op_t, (torch.randn(3, requires_grad=True),))


def test_same_errors_and_opcheck_reports():
    ns = f"tgliboracle{next(_counter)}"

    def define(lib):
        T = lib.Tensor

        @lib.library.custom_op(f"{ns}::double", mutates_args=())
        def double(x: T) -> T:
            return x * 2

        @lib.library.custom_op(f"{ns}::add_", mutates_args={"x"})
        def add_(x: T, y: T) -> None:
            x.add_(y)

        @lib.library.custom_op(f"{ns}::alias", mutates_args=())
        def alias(x: T) -> T:
            return x
        return double, add_, alias
    ours, theirs = define(tg), define(torch)
    assert_same_error(lambda: ours[0](tg.empty(2, device="meta")), lambda: theirs[0](torch.empty(2, device="meta")))
    assert_same_error(lambda: ours[0](tg.ones(2, requires_grad=True)).sum().backward(),
                      lambda: theirs[0](torch.ones(2, requires_grad=True)).sum().backward())
    # the message names the module holding each library's wrapper: compare what follows it
    assert_same_error(lambda: ours[2](tg.ones(2)), lambda: theirs[2](torch.ones(2)),
                      normalize=lambda m: m.split("): ", 1)[1])
    for op_g, op_t, args in ((ours[0], theirs[0], lambda lib: (lib.ones(2),)),
                             (ours[1], theirs[1], lambda lib: (lib.ones(2), lib.ones(2)))):
        got = tg.library.opcheck(op_g, args(tg), raise_exception=False)
        want = torch.library.opcheck(op_t, args(torch), raise_exception=False)
        assert list(got) == list(want)
        for key in want:
            assert (got[key] == "SUCCESS") == (want[key] == "SUCCESS"), key
            if want[key] != "SUCCESS":
                assert str(got[key]) == str(want[key]), key
    a_g, a_t = tg.ones(2), torch.ones(2)
    ours[1](a_g, tg.ones(2))
    theirs[1](a_t, torch.ones(2))
    assert a_g.tolist() == a_t.tolist() and a_g._version == a_t._version


def _first_sentence(message):
    return message.split(". ")[0]


def test_the_older_define_impl_api_as_pytorch():
    ns = f"tgliboracle{next(_counter)}"

    def run(lib):
        L = lib.library
        library = L.Library(ns, "DEF")
        library.define("sin2(Tensor x, *, float scale=1.0) -> Tensor")
        library.impl("sin2", lambda x, *, scale=1.0: lib.sin(x) * scale, "CPU")
        L.define(f"{ns}::comp", "(Tensor x) -> Tensor", lib=library)
        L.impl(f"{ns}::comp", "CompositeImplicitAutograd", lambda x: x.sin() * 2, lib=library)
        L.define(f"{ns}::mul3", "(Tensor x) -> Tensor", lib=library)
        L.impl(f"{ns}::mul3", "cpu", lambda x: x * 3, lib=library)
        L.register_fake(f"{ns}::mul3", lambda x: lib.empty_like(x), lib=library)
        L.register_autograd(f"{ns}::mul3", lambda ctx, g: g * 3, lib=library)
        ops = getattr(lib.ops, ns)
        x = lib.tensor([0.3, -1.2], requires_grad=True)
        a = ops.sin2(x, scale=2.0)
        b = ops.comp(x)
        c = ops.mul3(x)
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (a.sum() + b.sum() + c.sum()).backward()
        fallback = [str(w.message) for w in caught if "autograd kernel was not registered" in str(w.message)]
        return (a.detach().numpy(), b.detach().numpy(), c.detach().numpy(), x.grad.numpy(),
                [t.grad_fn.name() for t in (a, b)], len(fallback) >= 1, str(ops.mul3.default._schema),
                tuple(ops.mul3(lib.empty(2, 3, device="meta")).shape), library)
    ours, theirs = run(tg), run(torch)
    for o, t in zip(ours[:4], theirs[:4]):
        np.testing.assert_allclose(o, t, rtol=1e-6)
    assert ours[4:8] == theirs[4:8]
    for result in (ours, theirs):
        result[-1]._destroy()


def test_the_older_api_errors_as_pytorch():
    ns = f"tgliboracle{next(_counter)}"
    libs = {}

    def setup(lib):
        library = lib.library.Library(ns, "DEF")
        library.define("f(Tensor x) -> Tensor")
        libs[lib.__name__] = library
        return library
    ours, theirs = setup(tg), setup(torch)
    assert_same_error(lambda lib: lib.library.Library(ns, "DEF"), normalize=_first_sentence)
    assert_same_error(lambda lib: lib.library.Library(ns, "WRONG"))
    assert_same_error(lambda lib: libs[lib.__name__].define("f(Tensor x) -> Tensor"),
                      normalize=lambda m: m.split(" Duplicate registration")[0])
    assert_same_error(lambda lib: getattr(lib.ops, ns).f(lib.ones(1)), normalize=_first_sentence)
    libs["tensorgraft"].impl("f", lambda x: x * 2, "CPU")
    libs["torch"].impl("f", lambda x: x * 2, "CPU")
    assert_same_error(lambda lib: getattr(lib.ops, ns).f(lib.ones(1, device="meta")), normalize=_first_sentence)
    ours._destroy()
    theirs._destroy()
