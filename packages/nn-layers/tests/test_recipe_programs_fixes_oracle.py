"""Gaps found by the ``recipe_*`` programs (tests/programs: PyTorch's nn/module recipes and
tutorials), checked against PyTorch."""
import pytest

from tensorgraft.testing.oracle import assert_same_error, assert_values_close, grad_fn_name, run_in_both

torch = pytest.importorskip("torch")


def _prune(lib):
    return __import__(f"{lib.__name__}.nn.utils.prune", fromlist=["prune"])


@pytest.mark.parametrize("dim", [2, 3, 5])
@pytest.mark.parametrize("which", ["ln", "random"])
def test_structured_pruning_names_a_too_large_dim(which, dim):
    def call(lib):
        prune = _prune(lib)
        layer = lib.nn.Linear(4, 3)
        if which == "ln":
            prune.ln_structured(layer, "weight", amount=0.5, n=2, dim=dim)
        else:
            prune.random_structured(layer, "weight", amount=0.5, dim=dim)
    assert_same_error(call)


def test_structured_pruning_checks_dim_even_when_nothing_is_pruned():
    assert_same_error(lambda lib: _prune(lib).ln_structured(lib.nn.Linear(4, 3), "weight", amount=0, n=2, dim=4))


def _hooks_repr(lib):
    import re
    prune = _prune(lib)
    lib.manual_seed(0)
    conv = lib.nn.Conv2d(1, 2, 3)
    prune.random_unstructured(conv, name="weight", amount=0.3)
    prune.l1_unstructured(conv, name="weight", amount=0.2)
    prune.l1_unstructured(conv, name="bias", amount=1)
    # hook ids come from a process-wide counter, addresses differ: both are masked
    return re.sub(r"\(\d+, ", "(ID, ", re.sub(r"0x[0-9a-f]+", "ADDR", repr(conv._forward_pre_hooks)))


def test_forward_pre_hooks_of_a_pruned_module_print_as_pytorchs():
    ours, theirs = run_in_both(_hooks_repr)
    assert ours == theirs


def _nested(lib):
    net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Linear(2, 3)))
    net.note = 3
    net.register_buffer("buf", lib.ones(1))
    return net


@pytest.mark.parametrize("target, strict", [
    ("1.1", False), ("1.1", True), ("1.7", False), ("new", False), ("0.new", False), ("1.", False),
])
def test_set_submodule_places_the_module_as_pytorch(target, strict):
    def call(lib):
        net = _nested(lib)
        assert net.set_submodule(target, lib.nn.Tanh(), strict=strict) is None
        return repr(net)
    ours, theirs = run_in_both(call)
    assert ours == theirs


@pytest.mark.parametrize("target, module, strict", [
    ("", "tanh", False), ("", 3, False), ("1.0", None, False), ("1.0", "x", False),
    ("1.7", "tanh", True), ("zz.a", "tanh", False), ("0.weight", "tanh", False), ("0.weight.x", "tanh", False),
    ("note", "tanh", False), ("buf", "tanh", True), ("training", "tanh", False), ("1..0", "tanh", False),
    ("1.0.x.y", "tanh", False),
])
def test_set_submodule_errors_match_pytorch(target, module, strict):
    def call(lib):
        net = _nested(lib)
        net.set_submodule(target, lib.nn.Tanh() if module == "tanh" else module, strict=strict)
    assert_same_error(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.device(0), lambda lib: lib.device(-1), lambda lib: lib.zeros(2, device=0),
    lambda lib: lib.ones(2).to(0),
])
def test_bare_device_ordinals_match_pytorch_without_an_accelerator(call):
    import tensorgraft
    if torch.accelerator.is_available() or tensorgraft.accelerator.is_available():
        pytest.skip("an accelerator is present")
    assert_same_error(call)


def _jit_reprs(lib):
    import re
    import warnings
    nn = lib.nn

    class Cell(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 4)
            self.seq = nn.Sequential(nn.ReLU())

        def forward(self, x):
            return self.seq(self.linear(x))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2)])
        out = [repr(lib.jit.script(layers)), repr(lib.jit.script(nn.ModuleDict({"a": nn.Linear(1, 1)}))),
               repr(lib.jit.freeze(lib.jit.script(Cell()).eval())),
               repr(lib.jit.optimize_for_inference(lib.jit.script(Cell()))),
               repr(lib.jit.trace(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), lib.ones(1, 2))),
               re.sub("0x[0-9a-f]+", "ADDR", repr(lib.jit.trace(lambda a: a * 2, lib.ones(2))))]
    return out


def test_scripted_frozen_and_traced_modules_print_as_pytorchs():
    ours, theirs = run_in_both(_jit_reprs)
    assert ours == theirs


def test_skip_init_leaves_the_random_stream_as_pytorch_does():
    def call(lib):
        lib.manual_seed(0)
        layer = lib.nn.utils.skip_init(lib.nn.Linear, 20, 10)
        return lib.randn(4), tuple(layer.weight.shape), str(layer.weight.device), layer.weight.requires_grad
    ours, theirs = run_in_both(call)
    assert_values_close(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


@pytest.mark.parametrize("mask_shape", [(2, 2), (12,)])
def test_custom_from_mask_of_the_wrong_shape_names_both_shapes(mask_shape):
    def call(lib):
        layer = lib.nn.Linear(4, 3)
        _prune(lib).custom_from_mask(layer, "weight", mask=lib.ones(*mask_shape))
    assert_same_error(call)


def test_parameters_to_vector_refuses_a_non_contiguous_tensor_as_pytorch():
    assert_same_error(lambda lib: lib.nn.utils.parameters_to_vector([lib.ones(2), lib.ones(3, 2).T]))


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 5)])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_weight_history_ends_in_pytorchs_node(orthogonal_map, shape, use_trivialization):
    def call(lib):
        from importlib import import_module
        parametrizations = import_module(f"{lib.__name__}.nn.utils.parametrizations")
        lib.manual_seed(0)
        layer = parametrizations.orthogonal(lib.nn.Linear(shape[1], shape[0]), orthogonal_map=orthogonal_map,
                                            use_trivialization=use_trivialization)
        return grad_fn_name(layer.weight)
    ours, theirs = run_in_both(call)
    assert ours == theirs


@pytest.mark.parametrize("kwargs", [{}, {"example_kwarg_inputs": [1]}, {"example_kwarg_inputs": (1,)}])
def test_tracing_a_module_without_usable_examples_fails_as_pytorch(kwargs):
    import warnings

    def call(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.jit.trace(lib.nn.Linear(1, 1), **kwargs)
    assert_same_error(call)


def _legacy_hook_reprs(lib):
    import re
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        normed = lib.nn.utils.weight_norm(lib.nn.Linear(3, 2))
        spectral = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 2))
    handle = lib.nn.Linear(1, 1).register_forward_hook(lambda *args: None)

    def clean(obj):  # addresses and process-wide hook ids differ from run to run
        return re.sub(r"\(\d+, ", "(ID, ", re.sub("0x[0-9a-f]+", "ADDR", repr(obj)))
    return [clean(normed._forward_pre_hooks), clean(spectral._forward_pre_hooks),
            clean(spectral._state_dict_hooks), clean(handle)]


def test_legacy_norm_hooks_and_module_hook_handles_print_as_pytorchs():
    ours, theirs = run_in_both(_legacy_hook_reprs)
    assert ours == theirs


def _tied(lib, device):
    with lib.device(device):
        net = lib.nn.Sequential(lib.nn.Linear(3, 3, bias=False), lib.nn.Linear(3, 3, bias=False))
    net[1].weight = net[0].weight
    return net


@pytest.mark.parametrize("device, move", [
    ("meta", lambda m: m.to_empty(device="cpu")), ("cpu", lambda m: m.to("meta")),
    ("cpu", lambda m: m.to_empty(device="meta")), ("meta", lambda m: m.to_empty(device="meta")),
    ("cpu", lambda m: m.to_empty(device="cpu")), ("meta", lambda m: m.double()),
])
def test_moving_parameters_to_or_from_meta_registers_new_ones_as_pytorch(device, move):
    def call(lib):
        net = _tied(lib, device)
        old = net[0].weight
        move(net)
        return (net[0].weight is old, net[0].weight is net[1].weight, type(net[0].weight).__name__,
                net[0].weight.requires_grad, str(net[0].weight.device), [n for n, _ in net.named_parameters()])
    ours, theirs = run_in_both(call)
    assert ours == theirs


def _hook_ids(lib):
    t = lib.ones(2, requires_grad=True)
    param = lib.nn.Parameter(lib.ones(2))
    layer = lib.nn.Linear(1, 1)
    handles = [t.register_hook(lambda g: g), param.register_post_accumulate_grad_hook(lambda p: None),
               layer.register_forward_hook(lambda *a: None), t.register_hook(lambda g: g),
               layer.register_forward_pre_hook(lambda *a: None), (t * 2).grad_fn.register_hook(lambda *a: None),
               layer.register_state_dict_pre_hook(lambda *a: None), layer._register_state_dict_hook(lambda *a: None)]
    first = handles[0].id
    return [h.id - first for h in handles], list(layer._forward_hooks.keys())[0] - first


def test_module_and_tensor_hooks_share_one_id_sequence_as_pytorch():
    ours, theirs = run_in_both(_hook_ids)
    assert ours == theirs


@pytest.mark.parametrize("args", [
    (), (None,), (1.5,), (True,), ("cpu", "0"), ("cpu", 1.0), ("cpu", True), (3, 1), (None, 1), ("device", 0),
])
def test_device_argument_errors_match_pytorch(args):
    def call(lib):
        real = [lib.device("cpu") if a == "device" else a for a in args]
        lib.device(*real)
    assert_same_error(call)


def test_device_keyword_index_alone_and_explicit_none_index_match_pytorch():
    assert_same_error(lambda lib: lib.device(index=1))
    ours, theirs = run_in_both(lambda lib: repr(lib.device("cpu", None)))
    assert ours == theirs


def test_devices_have_no_order_as_in_pytorch():
    assert_same_error(lambda lib: lib.device("cpu") < lib.device("cpu"))
    assert_same_error(lambda lib: lib.device("cpu") >= lib.device("meta"))
