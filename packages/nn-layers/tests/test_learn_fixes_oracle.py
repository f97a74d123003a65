"""The fixes of test_learn_fixes.py against PyTorch itself."""
import numpy as np
import pytest

from tensorgraft.testing.oracle import as_both, assert_same_error, assert_values_close, grad_fn_name, run_in_both

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")


def sims(seed=0, n=4):
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((2 * n, 2 * n)).astype(np.float32)
    np.fill_diagonal(s, -np.inf)
    return s


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_nt_xent_masked_diagonal(reduction, smoothing):
    ours, theirs = as_both(sims(), requires_grad=True)
    results = []
    for lib, x in ((__import__("tensorgraft"), ours), (torch, theirs)):
        n = x.shape[0] // 2
        t = lib.cat([lib.arange(n, 2 * n), lib.arange(0, n)])
        loss = lib.nn.functional.cross_entropy(x / 0.5, t, reduction=reduction, label_smoothing=smoothing)
        results.append(loss)
        (loss.sum() if reduction == "none" else loss).backward()
    assert_values_close(results[0], results[1], equal_nan=False)
    assert grad_fn_name(results[0]) == grad_fn_name(results[1])
    assert_values_close(ours.grad, theirs.grad, equal_nan=False)


@pytest.mark.parametrize("case", ["rank_neg", "rank_anchor", "margin0", "margin_neg_bad_rank", "bad_reduction_first",
                                  "type_anchor", "type_negative", "module_margin"])
def test_triplet_margin_loss_argument_checks(case):
    def call(lib):
        F = lib.nn.functional
        a = lib.zeros(4, 3)
        return {"rank_neg": lambda: F.triplet_margin_loss(a, a, a.unsqueeze(0)),
                "rank_anchor": lambda: F.triplet_margin_loss(a[0], a, a),
                "margin0": lambda: F.triplet_margin_loss(a, a, a, margin=0),
                "margin_neg_bad_rank": lambda: F.triplet_margin_loss(a, a, a[None], margin=-1.5),
                "bad_reduction_first": lambda: F.triplet_margin_loss(a, a, a, margin=-1.0, reduction="bad"),
                "type_anchor": lambda: F.triplet_margin_loss(1.0, a, a),
                "type_negative": lambda: F.triplet_margin_loss(a, a, [1.0]),
                "module_margin": lambda: lib.nn.TripletMarginLoss(margin=-1.0)}[case]()
    assert_same_error(call)


@pytest.mark.parametrize("case", ["t1_in1", "t0_in2", "t2", "mixed_rank", "type_target", "bad_reduction"])
def test_cosine_embedding_loss_checks(case):
    def call(lib):
        F = lib.nn.functional
        a = lib.ones(4, 3)
        return {"t1_in1": lambda: F.cosine_embedding_loss(a[0], a[0], lib.tensor([1])),
                "t0_in2": lambda: F.cosine_embedding_loss(a, a, lib.tensor(1)),
                "t2": lambda: F.cosine_embedding_loss(a[None], a[None], lib.ones(1, 4, 2)),
                "mixed_rank": lambda: F.cosine_embedding_loss(a[None], a, lib.ones(4)),
                "type_target": lambda: F.cosine_embedding_loss(a, a, [1, 1, 1, 1]),
                "bad_reduction": lambda: F.cosine_embedding_loss(a[0], a[0], lib.ones(1, 1), reduction="bad")}[case]()
    assert_same_error(call)


@pytest.mark.parametrize("case", ["int", "long_int_shapes", "bool", "complex"])
def test_cosine_similarity_dtype_errors(case):
    def call(lib):
        a = lib.ones(4, 3)
        x1, x2 = {"int": (a.int(), a.int()), "long_int_shapes": (a.long(), a[:3].int()), "bool": (a.bool(), a.bool()),
                  "complex": (a.to(lib.complex64), a)}[case]
        return lib.nn.functional.cosine_similarity(x1, x2)
    assert_same_error(call)


def test_cosine_similarity_int_beside_float():
    data = np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32)
    ours, theirs = as_both(data, requires_grad=True)
    ints = [[1, 2, 3], [0, 1, 0], [2, 2, 2], [1, 0, 0]]
    o = __import__("tensorgraft").nn.functional.cosine_similarity(__import__("tensorgraft").tensor(ints), ours)
    t = torch.nn.functional.cosine_similarity(torch.tensor(ints), theirs)
    assert_values_close(o, t)
    o.sum().backward()
    t.sum().backward()
    assert_values_close(ours.grad, theirs.grad)


@pytest.mark.parametrize("eps", [-0.1, float("nan")])
@pytest.mark.parametrize("probs", [False, True])
def test_label_smoothing_negative_or_nan(eps, probs):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    p = rng.dirichlet(np.ones(5), 4).astype(np.float32)
    (xo, xt) = as_both(x, requires_grad=True)
    (to, tt) = as_both(p) if probs else as_both([0, 2, 4, 1])
    o = __import__("tensorgraft").nn.functional.cross_entropy(xo, to, label_smoothing=eps)
    t = torch.nn.functional.cross_entropy(xt, tt, label_smoothing=eps)
    assert_values_close(o, t)
    assert grad_fn_name(o) == grad_fn_name(t)


@pytest.mark.parametrize("case", ["int", "none", "float_elem", "bool_elem", "empty", "weight_shape", "bias_shape",
                                  "rms_int", "rms_float_elem", "rms_empty"])
def test_layer_norm_argument_errors(case):
    def call(lib):
        F = lib.nn.functional
        x = lib.ones(2, 4)
        return {"int": lambda: F.layer_norm(x, 4), "none": lambda: F.layer_norm(x, None),
                "float_elem": lambda: F.layer_norm(x, (4.0,)), "bool_elem": lambda: F.layer_norm(x, (True,)),
                "empty": lambda: F.layer_norm(x, ()), "weight_shape": lambda: F.layer_norm(x, (3,), lib.ones(2)),
                "bias_shape": lambda: F.layer_norm(x, (4,), lib.ones(4), lib.ones(3)),
                "rms_int": lambda: F.rms_norm(x, 4), "rms_float_elem": lambda: F.rms_norm(x, (4.0,)),
                "rms_empty": lambda: F.rms_norm(x, ())}[case]()
    assert_same_error(call)


DTYPES = ["float32", "float64", "float16", None]


@pytest.mark.parametrize("xd", DTYPES[:3])
@pytest.mark.parametrize("wd", DTYPES)
@pytest.mark.parametrize("bd", DTYPES)
def test_layer_norm_dtype_table(xd, wd, bd):
    def call(lib):
        x = lib.linspace(-1, 1, 8).view(2, 4).to(getattr(lib, xd))
        w = None if wd is None else lib.linspace(0.5, 2, 4).to(getattr(lib, wd))
        b = None if bd is None else lib.linspace(-1, 1, 4).to(getattr(lib, bd))
        return lib.nn.functional.layer_norm(x, (4,), w, b)
    import tensorgraft
    try:
        theirs = call(torch)
    except RuntimeError:
        assert_same_error(call)
        return
    ours = call(tensorgraft)
    assert_values_close(ours, theirs, atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_second_order(reduction, log_target):
    rng = np.random.default_rng(7)
    ao, at = as_both(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    bo, bt = as_both(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    res = []
    for lib, a, b in ((__import__("tensorgraft"), ao, bo), (torch, at, bt)):
        t = b.log_softmax(1) if log_target else b.softmax(1)
        out = lib.nn.functional.kl_div(a.log_softmax(1), t, reduction=reduction, log_target=log_target).sum()
        ga, gb = lib.autograd.grad(out, (a, b), create_graph=True)
        res.append(lib.autograd.grad(gb.pow(2).sum() + ga.pow(3).sum(), (a, b)))
    for o, t in zip(*res):
        assert_values_close(o, t, atol=1e-5, rtol=1e-4)


def test_kl_div_zero_target_gradient_and_warnings():
    import warnings
    xo, xt = as_both([[-1.0, -2.0, -0.5], [-0.3, -1.0, -2.0]])
    to, tt = as_both([0.0, 0.5, 0.5], requires_grad=True)
    grads = []
    for lib, x, t in ((__import__("tensorgraft"), xo, to), (torch, xt, tt)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = lib.nn.functional.kl_div(x, t, reduction="batchmean")
        grads.append((lib.autograd.grad(out, t)[0], [str(w.message) for w in caught]))
    assert_values_close(grads[0][0], grads[1][0])
    assert grads[0][1] == grads[1][1]


def _chain(t, depth=4):
    # the node names level by level; edges to nothing (None) are left out: tensorgraft's nll_loss
    # node still lists its target and weight as empty edges, where PyTorch's lists the input only
    out, level = [], [t.grad_fn]
    for _ in range(depth):
        out.append([type(f).__name__ for f in level if f is not None])
        level = [n for f in level if f is not None for n, _ in f.next_functions]
        if not level:
            break
    return out


@pytest.mark.parametrize("case", ["ce2d", "ce1d", "ce4d", "ce_weight_ignore", "nll", "nll_none", "ce_none"])
def test_cross_entropy_and_nll_graph_chain(case):
    rng = np.random.default_rng(9)
    shapes = {"ce2d": (4, 3), "ce1d": (3,), "ce4d": (2, 3, 2, 2), "ce_weight_ignore": (4, 3), "nll": (4, 3),
              "nll_none": (4, 3), "ce_none": (4, 3)}
    data = rng.standard_normal(shapes[case]).astype(np.float32)
    targets = {"ce1d": 1, "ce4d": [[[0, 1], [2, 0]]] * 2}.get(case, [0, 2, 1, 0])

    def call(lib):
        F = lib.nn.functional
        x = lib.tensor(data, requires_grad=True)
        t = lib.tensor(targets)
        if case == "ce_weight_ignore":
            return F.cross_entropy(x * 2, t, weight=lib.tensor([1.0, 2.0, 0.5]), ignore_index=1)
        if case.startswith("nll"):
            return F.nll_loss(F.log_softmax(x, 1), t, reduction="none" if case == "nll_none" else "mean")
        return F.cross_entropy(x, t, reduction="none" if case == "ce_none" else "mean")

    ours, theirs = run_in_both(call)
    assert _chain(ours) == _chain(theirs)
    assert_values_close(ours, theirs)
