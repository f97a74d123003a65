"""PyTorch as the oracle for custom ``autograd.Function`` edge cases: each program below runs once
with ``torch`` and once with ``tensorgraft`` as ``m``; what it returns (values, dtypes, flags,
node names and reprs) or the exception it raises (type and message) must be the same."""
import importlib
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

PROGRAMS = {}


def program(fn):
    PROGRAMS[fn.__name__] = fn
    return fn


def once_differentiable(m):
    return importlib.import_module(m.__name__ + ".autograd.function").once_differentiable


def data(seed, shape=(3,)):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def leaf(m, seed, shape=(3,)):
    return m.tensor(data(seed, shape), requires_grad=True)


def scale_fn(m):
    class Scale(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None
    return Scale


def saving_fn(m, read=True):
    class Keep(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            if read:
                _ = ctx.saved_tensors
            return g * 2
    return Keep


def returning(m, grad, nargs=1, out_dtype=None):
    """A Function of ``nargs`` tensors whose backward returns ``grad(m, g)``."""
    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            return args[0] * 2

        @staticmethod
        def backward(ctx, g):
            return grad(m, g)
    return G


# ------------------------------------------------------------------ release and saved tensors
@program
def backward_twice_nothing_saved(m):
    x = leaf(m, 1)
    y = scale_fn(m).apply(x, 3.0)
    y.sum().backward()
    y.sum().backward()
    return x.grad.tolist(), y.grad_fn.k


@program
def saved_tensors_after_release(m):
    y = scale_fn(m).apply(leaf(m, 2), 3.0)
    y.sum().backward()
    return y.grad_fn.saved_tensors


@program
def backward_twice_reading_saved(m):
    y = saving_fn(m).apply(leaf(m, 3))
    y.sum().backward()
    y.sum().backward()


@program
def backward_twice_saved_unread(m):
    x = leaf(m, 4)
    y = saving_fn(m, read=False).apply(x)
    y.sum().backward()
    y.sum().backward()
    return x.grad.tolist()


@program
def retain_graph_then_twice(m):
    x = leaf(m, 5)
    y = saving_fn(m).apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    return x.grad.tolist()


@program
def save_none(m):
    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(None, x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    x = leaf(m, 6)
    y = G.apply(x)
    saved = y.grad_fn.saved_tensors
    return saved[0], saved[1] is x


def _save_int(m):
    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    return G


@program
def save_int_recording(m):
    _save_int(m).apply(leaf(m, 7))


@program
def save_int_not_recording(m):
    return _save_int(m).apply(m.tensor(data(7))).tolist()


@program
def saved_input_modified(m):
    a = leaf(m, 8) * 1
    y = saving_fn(m).apply(a)
    a.add_(1)
    y.sum().backward()


@program
def saved_output_modified(m):
    class Exp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y
    y = Exp.apply(leaf(m, 9))
    y.mul_(2)
    y.sum().backward()


# ------------------------------------------------------------------ marks
def dirty_fn(m, returned=True, non_diff=False):
    class Double_(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            if non_diff:
                ctx.mark_non_differentiable(x)
            return x if returned else x * 1

        @staticmethod
        def backward(ctx, g):
            return g * 2
    return Double_


@program
def mark_dirty_version_and_grad(m):
    x = leaf(m, 10)
    a = x.clone()
    y = dirty_fn(m).apply(a)
    y.sum().backward()
    return y is a, a._version, type(a.grad_fn).__name__, x.grad.tolist()


@program
def mark_dirty_without_grad(m):
    a = m.tensor(data(11))
    dirty_fn(m).apply(a)
    return a._version


@program
def mark_dirty_leaf(m):
    dirty_fn(m).apply(leaf(m, 12))


@program
def mark_dirty_not_returned(m):
    dirty_fn(m, returned=False).apply(leaf(m, 13).clone())


@program
def mark_dirty_not_returned_no_grad(m):
    dirty_fn(m, returned=False).apply(m.tensor(data(13)))


@program
def dirty_and_non_differentiable(m):
    a = leaf(m, 14).clone()
    y = dirty_fn(m, non_diff=True).apply(a)
    return y is a, y.requires_grad, y.grad_fn


@program
def mark_non_differentiable_number(m):
    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable(3)
            return x * 2
    G.apply(m.tensor(data(15)))


@program
def mark_dirty_number(m):
    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x, 3)
            return x
    G.apply(leaf(m, 16))


@program
def non_differentiable_outputs(m):
    seen = []

    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            a, b = x * 2, x * 3
            ctx.mark_non_differentiable(b)
            return a, x.argmax(), b

        @staticmethod
        def backward(ctx, ga, gi, gb):
            seen.append((gi.tolist(), gb.tolist()))
            return ga * 2
    x = leaf(m, 17)
    a, i, b = G.apply(x)
    a.sum().backward()
    return [t.requires_grad for t in (a, i, b)], b.grad_fn, seen, x.grad.tolist()


@program
def non_differentiable_input_returned(m):
    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    x = leaf(m, 18)
    y = G.apply(x)
    return y is x, y.requires_grad, y.grad_fn, y._base is x


@program
def non_tensor_and_integer_outputs(m):
    seen = []

    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 5, "s", x > 0, x.long()

        @staticmethod
        def backward(ctx, g, g5, gs, gb, gl):
            seen.append((g5, gs, gb.dtype, gb.tolist(), gl.dtype, gl.tolist()))
            return g * 2
    x = leaf(m, 19)
    out = G.apply(x)
    out[0].sum().backward()
    return type(out).__name__, out[1:3], [t.requires_grad for t in out[3:]], seen


@program
def materialize_off(m):
    seen = []

    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3, x.long()

        @staticmethod
        def backward(ctx, ga, gb, gl):
            seen.append((ga is None, gb, gl))
            return ga * 2
    x = leaf(m, 20)
    G.apply(x)[0].sum().backward()
    return seen, x.grad.tolist()


# ------------------------------------------------------------------ what backward returns
@program
def too_many_gradients(m):
    returning(m, lambda m, g: (g, g)).apply(leaf(m, 21)).sum().backward()


@program
def extra_none_gradients(m):
    x = leaf(m, 22)
    returning(m, lambda m, g: (g, None, None)).apply(x).sum().backward()
    return x.grad.tolist()


@program
def too_few_gradients(m):
    x = leaf(m, 23)
    returning(m, lambda m, g: [g]).apply(x, x).sum().backward()


@program
def list_of_gradients(m):
    x = leaf(m, 24)
    returning(m, lambda m, g: [g, g]).apply(x, x).sum().backward()


@program
def gradient_shape_too_long(m):
    returning(m, lambda m, g: m.ones(4)).apply(leaf(m, 25)).sum().backward()


@program
def gradient_shape_needs_broadcast(m):
    returning(m, lambda m, g: m.ones(1)).apply(leaf(m, 26)).sum().backward()


@program
def gradient_shape_scalar(m):
    returning(m, lambda m, g: g.sum()).apply(leaf(m, 27)).sum().backward()


@program
def gradient_shape_2d(m):
    returning(m, lambda m, g: m.ones(2, 1)).apply(leaf(m, 28, (2, 3))).sum().backward()


@program
def gradient_summed_down(m):
    x = leaf(m, 29)
    returning(m, lambda m, g: m.ones(2, 3)).apply(x).sum().backward()
    return x.grad.tolist(), x.grad.dtype


@program
def gradient_index_counts_tensor_arguments(m):
    class K(m.autograd.Function):
        @staticmethod
        def forward(ctx, k, x):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return None, m.ones(4)
    K.apply(2.0, leaf(m, 30)).sum().backward()


@pytest.mark.parametrize("dtype", ["float64", "float16", "int64", "bool"])
def test_gradient_dtype_is_cast(dtype):
    got = []
    for m in (torch, tg):
        x = leaf(m, 31)
        returning(m, lambda m, g: m.ones(3, dtype=getattr(m, dtype))).apply(x).sum().backward()
        got.append((x.grad.tolist(), str(x.grad.dtype).split(".")[-1]))
    assert got[0] == got[1]


@program
def complex_gradient_for_real_input(m):
    returning(m, lambda m, g: m.ones(3, dtype=m.complex64)).apply(leaf(m, 32)).sum().backward()


@program
def real_gradient_for_complex_input(m):
    x = m.tensor(data(33).astype(np.complex64), requires_grad=True)
    returning(m, lambda m, g: m.ones(3)).apply(x).abs().sum().backward()
    return x.grad.tolist(), x.grad.dtype


@program
def number_as_gradient(m):
    returning(m, lambda m, g: 2.0).apply(leaf(m, 34)).sum().backward()


@program
def gradient_for_number_argument(m):
    returning(m, lambda m, g: (g, g)).apply(leaf(m, 35), 2.0).sum().backward()


@program
def gradient_for_argument_not_requiring_grad(m):
    x = leaf(m, 36)
    returning(m, lambda m, g: (g, g)).apply(x, m.ones(3)).sum().backward()
    return x.grad.tolist()


@program
def no_gradient_at_all(m):
    x = leaf(m, 37)
    returning(m, lambda m, g: None).apply(x).sum().backward()
    return x.grad


# ------------------------------------------------------------------ apply's arguments
def defaults_fn(m, setup):
    seen = []
    if setup:
        class D(m.autograd.Function):
            @staticmethod
            def forward(x, w=None, k=3.0):
                return x * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                seen.append((len(inputs), ctx.needs_input_grad, inputs[2]))

            @staticmethod
            def backward(ctx, g):
                return g, None, None
    else:
        class D(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, w=None, k=3.0):
                seen.append(ctx.needs_input_grad)
                return x * k

            @staticmethod
            def backward(ctx, g):
                return (g,) + (None,) * (len(ctx.needs_input_grad) - 1)
    return D, seen


KWARG_CALLS = {
    "none": ((), {}),
    "w": ((), {"w": "x"}),
    "k_gap": ((), {"k": 2.0}),
    "k": ((None,), {"k": 2.0}),
    "x_by_name": ((), {"x": "x", "w": "x"}),
    "x_twice": (("x",), {"x": "x"}),
    "bogus": ((), {"bogus": 1}),
    "too_many": (("x", "x", "x"), {}),
}


def _kwarg_program(setup, call):
    def run(m):
        D, seen = defaults_fn(m, setup)
        x = leaf(m, 38)
        extra, kwargs = KWARG_CALLS[call]
        args = [x if a == "x" else a for a in extra]
        if call not in ("x_by_name",):
            args.insert(0, x)
        kwargs = {k: x if v == "x" else v for k, v in kwargs.items()}
        y = D.apply(*args, **kwargs)
        y.sum().backward()
        return seen, len(y.grad_fn.next_functions), x.grad.tolist()
    return run


for _setup in (False, True):
    for _call in KWARG_CALLS:
        PROGRAMS[f"kwargs_{'setup' if _setup else 'ctx'}_{_call}"] = _kwarg_program(_setup, _call)


@program
def keyword_only_parameter(m):
    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, *, k=3):
            return x * k
    G.apply(leaf(m, 39), k=2)


# ------------------------------------------------------------------ the node
@program
def node_names_and_edges(m):
    x = leaf(m, 40)
    y = scale_fn(m).apply(x * 1, 2.0)
    n = y.grad_fn
    return (n.name(), type(n).__name__, repr(n), [(type(f).__name__, nr) for f, nr in n.next_functions],
            n.needs_input_grad, repr(y), n.metadata)


@program
def edges_skip_numbers(m):
    class G(m.autograd.Function):
        @staticmethod
        def forward(ctx, a, k, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, None, g
    y = G.apply(leaf(m, 41), 2, m.ones(3))
    return [(type(f).__name__, nr) for f, nr in y.grad_fn.next_functions]


@program
def hooks(m):
    x = leaf(m, 42)
    y = scale_fn(m).apply(x, 2.0)
    log = []
    y.grad_fn.register_prehook(lambda go: log.append(("pre", [g.tolist() for g in go])))

    def post(gi, go):
        log.append(("post", [g.tolist() for g in gi], [g.tolist() for g in go]))
        return (gi[0] * 10,)
    y.grad_fn.register_hook(post)
    y.sum().backward()
    return log, x.grad.tolist()


@program
def hook_returning_too_much(m):
    y = scale_fn(m).apply(leaf(m, 43), 2.0)

    def twice(gi, go):
        return (gi[0], gi[0])
    y.grad_fn.register_hook(twice)
    y.sum().backward()


@program
def class_defaults(m):
    F = scale_fn(m)
    return F.generate_vmap_rule


@program
def default_jvp(m):
    scale_fn(m).jvp(None, None)


@program
def default_vmap(m):
    scale_fn(m).vmap(None, None)


def square_once_differentiable_fn(m):
    od = once_differentiable(m)

    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @od
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g
    return Square


@program
def once_differentiable_error_node(m):
    Square = square_once_differentiable_fn(m)
    x = leaf(m, 44)
    v = leaf(m, 45)
    gx, = m.autograd.grad(Square.apply(x), x, grad_outputs=v, create_graph=True)
    node = gx.grad_fn
    info = (np.round(gx.tolist(), 5).tolist(), gx.requires_grad, type(node).__name__, node.name(),
            [(type(f).__name__, nr) for f, nr in node.next_functions])
    try:
        gx.sum().backward()
    except RuntimeError as e:
        return info, str(e)


@program
def once_differentiable_plain_grad(m):
    Square = square_once_differentiable_fn(m)
    x = leaf(m, 46)
    gx, = m.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    return gx.requires_grad, gx.grad_fn


# ------------------------------------------------------------------ the comparison
def outcome(fn, m):
    try:
        result = ("ok", fn(m))
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        result = ("raised", type(e).__name__, str(e))
    text = repr(result).replace("tensorgraft", "torch")
    return re.sub(r" at 0x[0-9a-f]+", "", text)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_as_torch(name):
    fn = PROGRAMS[name]
    assert outcome(fn, tg) == outcome(fn, torch)
