"""F.linear_cross_entropy, nn.LinearCrossEntropyLoss and nn.LinearCrossEntropyOptions against PyTorch:
values, gradients, grad_fn names and edges, the fallback warning, errors, repr, state_dict and init."""
import dataclasses
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_same_error, assert_values_close, grad_fn_name, seeded_normal

torch = pytest.importorskip("torch")

N, D, C = 7, 4, 9
TARGET = np.array([3, 0, 8, 5, -100, 2, 8])


def close(ours, theirs, dtype):
    tol = 1e-10 if dtype == "float64" else 2e-5
    assert_values_close(ours, theirs, rtol=tol, atol=tol)


def edges(t):
    return [None if n is None else type(n).__name__ for n, _ in t.grad_fn.next_functions]


def make(lib, *, dtype="float64", bias=False, weight=False, target=TARGET, unbatched=False, out_features=(),
         probs=False):
    """Leaf tensors of one case, the same numbers in either library."""
    dt = getattr(lib, dtype)
    shape_w = (C, *out_features, D)
    x = lib.tensor(seeded_normal(N, D, seed=1), dtype=dt, requires_grad=True)
    W = lib.tensor(seeded_normal(*shape_w, seed=2), dtype=dt, requires_grad=True)
    b = lib.tensor(seeded_normal(*shape_w[:-1], seed=3), dtype=dt, requires_grad=True) if bias else None
    w = lib.tensor(np.linspace(0.5, 2.0, C), dtype=dt) if weight else None
    if probs:
        p = np.abs(seeded_normal(N, C, *out_features, seed=4)) + 0.1
        t = lib.tensor(p / p.sum(1, keepdims=True), dtype=dt)
    elif out_features:
        t = lib.tensor(np.random.default_rng(5).integers(0, C, (N, *out_features)))
    else:
        t = lib.tensor(target)
    if unbatched:
        x = lib.tensor(seeded_normal(D, seed=1), dtype=dt, requires_grad=True)
        t = lib.tensor(int(target[0]))
    return x, W, b, w, t


def run(lib, options=None, *, kwargs=None, **case):
    x, W, b, w, t = make(lib, **case)
    opts = None if options is None else lib.nn.LinearCrossEntropyOptions(**options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = lib.nn.functional.linear_cross_entropy(x, W, t, linear_bias=b, weight=w, options=opts,
                                                      **(kwargs or {}))
    g = seeded_normal(*loss.shape, seed=6)
    leaves = [x, W] + ([b] if b is not None else [])
    grads = lib.autograd.grad(loss, leaves, lib.tensor(g, dtype=loss.dtype))
    return loss, grads


CASES = [
    dict(),
    dict(bias=True),
    dict(weight=True),
    dict(bias=True, weight=True, target=np.array([3, 0, 8, 5, 8, 2, 1]), kwargs=dict(ignore_index=8)),
    dict(target=np.array([3, 3, 1, 5, 7, 2, 3]), kwargs=dict(ignore_index=3)),
    dict(unbatched=True, bias=True),
    dict(target=np.full(N, -100)),  # every row ignored: the mean is 0/0
]
OPTIONS = [None, {}, dict(batch_chunk_size=3), dict(batch_chunk_size=1, chunking_method=None),
           dict(chunking_method="aspect_ratio"), dict(batch_chunk_size=2, allow_retain_graph=True)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_values_gradients_and_nodes_match(case, reduction, options, dtype):
    spec = dict(CASES[case])
    spec["kwargs"] = dict(spec.get("kwargs", {}), reduction=reduction)
    loss, grads = run(tg, options, dtype=dtype, **spec)
    tloss, tgrads = run(torch, options, dtype=dtype, **spec)
    close(loss, tloss, dtype)
    assert grad_fn_name(loss) == grad_fn_name(tloss)
    assert edges(loss) == edges(tloss)
    for a, b in zip(grads, tgrads):
        close(a, b, dtype)


@pytest.mark.parametrize("options", [None, {}])
@pytest.mark.parametrize("spec", [
    dict(out_features=(2, 3), bias=True),
    dict(out_features=(2,), weight=True, kwargs=dict(reduction="none")),
    dict(probs=True, bias=True),
    dict(probs=True, out_features=(2,), weight=True),
    dict(kwargs=dict(label_smoothing=0.2)),
    dict(weight=True, target=np.array([3, 0, 8, 5, 0, 2, 8]),
         kwargs=dict(label_smoothing=0.3, reduction="sum", ignore_index=0)),
], ids=["kdim", "kdim-none", "probs", "probs-kdim", "smoothing", "smoothing-weighted"])
def test_reference_only_configurations_match(spec, options):
    loss, grads = run(tg, options, **spec)
    tloss, tgrads = run(torch, options, **spec)
    close(loss, tloss, "float64")
    assert grad_fn_name(loss) == grad_fn_name(tloss)
    for a, b in zip(grads, tgrads):
        close(a, b, "float64")


def test_reference_graph_is_cross_entropy_of_linear():
    x, W, b, w, t = make(tg, bias=True)
    tx, tW, tb, tw, tt = make(torch, bias=True)
    chain = []
    for lib, args in ((tg, (x, W, t, b)), (torch, (tx, tW, tt, tb))):
        node, names = lib.nn.functional.linear_cross_entropy(*args[:3], linear_bias=args[3]).grad_fn, []
        while node is not None:
            names.append(type(node).__name__)
            node = node.next_functions[0][0] if node.next_functions else None
        chain.append(names)
    assert chain[0] == chain[1]


def _warning_of(lib, **spec):
    kwargs = spec.pop("kwargs", {})
    x, W, b, w, t = make(lib, **spec)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            lib.nn.functional.linear_cross_entropy(x, W, t, linear_bias=b, weight=w,
                                                   options=lib.nn.LinearCrossEntropyOptions(), **kwargs)
        except Exception:  # noqa: BLE001 - the reference path's error comes after the warning
            pass
    return [(w.category.__name__, str(w.message)) for w in rec]


@pytest.mark.parametrize("spec", [
    dict(kwargs=dict(label_smoothing=0.1)),
    dict(out_features=(2, 3), bias=True),
    dict(probs=True),
    dict(target=TARGET.astype(np.int32)),
    dict(kwargs=dict(reduction="batchmean")),
], ids=["smoothing", "kdim", "probs", "int32", "bad-reduction"])
def test_unsupported_options_warn_and_fall_back(spec):
    ours = _warning_of(tg, **dict(spec))
    assert ours == _warning_of(torch, **dict(spec))
    assert len(ours) == 1


def test_no_warning_on_the_chunked_path():
    assert _warning_of(tg) == []


ERRORS = [
    ("input-3d", lambda lib, x, W, t: (x.reshape(1, N, D), W, t), {}),
    ("weight-1d", lambda lib, x, W, t: (x, W[0], t), {}),
    ("in-features", lambda lib, x, W, t: (x, W[:, :3], t), {}),
    ("bias-shape", lambda lib, x, W, t: (x, W, t), dict(linear_bias=lambda lib: lib.zeros(C + 1, dtype=lib.float64))),
    ("kdim-unbatched", lambda lib, x, W, t: (x[0], W.reshape(3, 3, D), t[0]), {}),
    ("probs-ignore", lambda lib, x, W, t: (x, W, lib.full((N, C), 1.0 / C, dtype=lib.float64)),
     dict(ignore_index=-100)),
    ("batch-size", lambda lib, x, W, t: (x, W, t[:5]), {}),
    ("target-range", lambda lib, x, W, t: (x, W, lib.full((N,), C + 3)), {}),
    ("target-negative", lambda lib, x, W, t: (x, W, lib.full((N,), -5)), {}),
    ("target-2d", lambda lib, x, W, t: (x, W, t.reshape(N, 1)), {}),
    ("dtype-mismatch", lambda lib, x, W, t: (x.float(), W, t), {}),
    ("class-weight", lambda lib, x, W, t: (x, W, lib.full((N,), 4)), dict(weight=lambda lib: lib.ones(3))),
    ("bad-reduction", lambda lib, x, W, t: (x, W, t), dict(reduction="bad")),
    ("smoothing-range", lambda lib, x, W, t: (x, W, t), dict(label_smoothing=1.5)),
]


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("name, args, kwargs", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match(name, args, kwargs, chunked):
    def call(lib):
        x, W, b, w, t = make(lib)
        kw = {k: (v(lib) if callable(v) else v) for k, v in kwargs.items()}
        if chunked:
            kw["options"] = lib.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lib.nn.functional.linear_cross_entropy(*args(lib, x, W, t), **kw)
    assert_same_error(call)


def test_options_that_are_not_options_fail_as_in_pytorch():
    assert_same_error(lambda lib: lib.nn.functional.linear_cross_entropy(*make(lib)[:2], make(lib)[4], options=3))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_second_backward_needs_allow_retain_graph(reduction):
    def twice(lib, allow):
        x, W, b, w, t = make(lib)
        opts = lib.nn.LinearCrossEntropyOptions(allow_retain_graph=allow)
        loss = lib.nn.functional.linear_cross_entropy(x, W, t, reduction=reduction, options=opts)
        loss.backward(retain_graph=True)
        loss.backward()
        return x.grad, W.grad
    assert_same_error(lambda lib: twice(lib, False))
    for a, b in zip(twice(tg, True), twice(torch, True)):
        close(a, b, "float64")


def test_per_row_backward_recomputes_and_may_run_twice():
    def twice(lib):
        x, W, b, w, t = make(lib, bias=True)
        loss = lib.nn.functional.linear_cross_entropy(x, W, t, linear_bias=b, reduction="none",
                                                      options=lib.nn.LinearCrossEntropyOptions(batch_chunk_size=3))
        loss.sum().backward(retain_graph=True)
        (loss * 2).sum().backward()
        return x.grad, W.grad, b.grad
    for a, b in zip(twice(tg), twice(torch)):
        close(a, b, "float64")


def test_no_grad_and_detached_inputs_give_plain_results():
    for lib_result in (tg, torch):
        x, W, b, w, t = make(lib_result)
        with lib_result.no_grad():
            out = lib_result.nn.functional.linear_cross_entropy(x, W, t, options=lib_result.nn.LinearCrossEntropyOptions())
        assert out.grad_fn is None and not out.requires_grad


def test_float16_chunked_matches():
    def call(lib):
        x, W, b, w, t = make(lib, dtype="float16")
        return lib.nn.functional.linear_cross_entropy(x, W, t, options=lib.nn.LinearCrossEntropyOptions())
    ours, theirs = call(tg), call(torch)
    assert_values_close(ours, theirs, rtol=2e-3, atol=2e-3)


# ------------------------------------------------------------------ options
def test_options_repr_equality_and_frozen():
    for kw in ({}, dict(batch_chunk_size=4, allow_retain_graph=True), dict(chunking_method="aspect_ratio:3"),
               dict(acc_policy="compact", acc_dtype="float32")):
        ours = tg.nn.LinearCrossEntropyOptions(**{k: getattr(tg, v) if k == "acc_dtype" else v for k, v in kw.items()})
        theirs = torch.nn.LinearCrossEntropyOptions(
            **{k: getattr(torch, v) if k == "acc_dtype" else v for k, v in kw.items()})
        assert repr(ours) == repr(theirs)
        assert ours == tg.nn.LinearCrossEntropyOptions(**{k: getattr(tg, v) if k == "acc_dtype" else v
                                                          for k, v in kw.items()})
    assert [f.name for f in dataclasses.fields(tg.nn.LinearCrossEntropyOptions)] == \
        [f.name for f in dataclasses.fields(torch.nn.LinearCrossEntropyOptions)]
    assert_same_error(lambda lib: setattr(lib.nn.LinearCrossEntropyOptions(), "batch_chunk_size", 3))
    assert tg.nn.LinearCrossEntropyOptions.__module__ == "tensorgraft.nn.modules.linear_cross_entropy_options"


@pytest.mark.parametrize("kw", [dict(acc_policy="x"), dict(chunking_method="x"),
                                dict(chunking_method="aspect_ratio:0"), dict(chunking_method="aspect:2"),
                                dict(batch_chunk_size=0), dict(batch_chunk_size=2.0), dict(acc_dtype="int32")])
def test_options_errors_match(kw):
    def make_options(lib):
        return lib.nn.LinearCrossEntropyOptions(**{k: getattr(lib, v) if k == "acc_dtype" else v
                                                   for k, v in kw.items()})
    assert_same_error(make_options)


@pytest.mark.parametrize("sizes", [(4096, 64, 32000), (7, 4, 9), (1, 3, 2), (0, 4, 9), (100, 16, 16), (33, 8, 1000)])
@pytest.mark.parametrize("kw", [{}, dict(chunking_method="aspect_ratio"), dict(chunking_method="aspect_ratio:4"),
                                dict(chunking_method=None), dict(batch_chunk_size=5), dict(acc_policy="balanced"),
                                dict(chunking_method=None, batch_chunk_size=10_000)])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_adjust_resolves_as_pytorch(sizes, kw, dtype):
    n, d, c = sizes
    ours = tg.nn.LinearCrossEntropyOptions(**kw)._adjust(n, d, c, getattr(tg, dtype), tg.device("cpu"))
    theirs = torch.nn.LinearCrossEntropyOptions(**kw)._adjust(n, d, c, getattr(torch, dtype), torch.device("cpu"))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dtype, acc_dtype", [("int64", None), ("float32", "float64"), ("float64", "float32")])
def test_unsupported_accumulation_dtypes_fail_as_in_pytorch(dtype, acc_dtype):
    def call(lib):
        x, W, b, w, t = make(lib)
        opts = lib.nn.LinearCrossEntropyOptions(acc_dtype=acc_dtype and getattr(lib, acc_dtype))
        return lib.nn.functional.linear_cross_entropy(x.to(getattr(lib, dtype)), W.to(getattr(lib, dtype)), t,
                                                      options=opts)
    assert_same_error(call)


def test_disagreeing_chunk_size_and_method_fail_as_in_pytorch():
    def call(lib):
        x, W, b, w, t = make(lib)
        opts = lib.nn.LinearCrossEntropyOptions(batch_chunk_size=3, chunking_method="aspect_ratio")
        return lib.nn.functional.linear_cross_entropy(x, W, t, options=opts)
    assert_same_error(call)


# ------------------------------------------------------------------ the module
def _module(lib, **kw):
    lib.manual_seed(11)
    return lib.nn.LinearCrossEntropyLoss(D, C, **kw)


@pytest.mark.parametrize("kw", [{}, dict(bias=True), dict(out_features=(2, 3), bias=True),
                                dict(reduction="sum", ignore_index=2, label_smoothing=0.1),
                                dict(options="chunked", bias=True)])
def test_module_repr_state_dict_init_and_forward(kw):
    def build(lib):
        args = dict(kw)
        if args.get("options") == "chunked":
            args["options"] = lib.nn.LinearCrossEntropyOptions(batch_chunk_size=4)
        return _module(lib, **args)
    m, tm = build(tg), build(torch)
    assert repr(m) == repr(tm)
    sd, tsd = m.state_dict(), tm.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:  # seeded programs draw the same parameters
        assert_values_close(sd[k], tsd[k], rtol=0, atol=0)
    x = seeded_normal(N, D, seed=1, dtype=np.float32)
    out_features = kw.get("out_features", ())
    t = np.random.default_rng(5).integers(0, C, (N, *out_features))
    results = []
    for lib, mod in ((tg, m), (torch, tm)):
        xi = lib.tensor(x, requires_grad=True)
        loss = mod(xi, lib.tensor(t))
        loss.backward()
        results.append((loss, xi.grad, mod.linear.weight.grad))
    for a, b in zip(*results):
        assert_values_close(a, b, rtol=2e-5, atol=2e-6)


def test_module_with_class_weight_has_weight_buffer():
    def build(lib):
        return _module(lib, weight=lib.linspace(0.5, 1.5, C), bias=True)
    m, tm = build(tg), build(torch)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight", "linear.weight", "linear.bias"]
    assert repr(m) == repr(tm)
    assert tg.nn.LinearCrossEntropyLoss.__constants__ == torch.nn.LinearCrossEntropyLoss.__constants__


@pytest.mark.parametrize("kw", [dict(weight="short"), dict(label_smoothing=2), dict(label_smoothing=-0.5)])
def test_module_constructor_errors_match(kw):
    def build(lib):
        args = {k: (lib.ones(3) if v == "short" else v) for k, v in kw.items()}
        return lib.nn.LinearCrossEntropyLoss(D, C, **args)
    assert_same_error(build)
