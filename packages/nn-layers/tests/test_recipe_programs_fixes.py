"""Gaps found by the ``recipe_*`` programs (tests/programs: PyTorch's nn/module recipes and
tutorials), with PyTorch's behaviour written out (no torch import here)."""
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.utils.prune as prune


def test_structured_pruning_rejects_a_too_large_dim_before_touching_the_module():
    layer = nn.Linear(4, 3)
    with pytest.raises(IndexError, match=r"^Invalid index 2 for tensor of size torch.Size\(\[3, 4\]\)$"):
        prune.ln_structured(layer, "weight", amount=0.5, n=2, dim=2)
    assert [n for n, _ in layer.named_buffers()] == [] and len(layer._forward_pre_hooks) == 0
    assert isinstance(layer.weight, nn.Parameter)
    # a negative dim in range still works
    prune.ln_structured(layer, "weight", amount=1, n=2, dim=-2)
    assert int((layer.weight_mask.sum(dim=1) == 0).sum()) == 1
    assert tg.is_tensor(layer.weight)


def test_pruning_methods_print_with_pytorchs_module_path():
    method = prune.L1Unstructured(amount=0.5)
    assert repr(method) == f"<torch.nn.utils.prune.L1Unstructured object at {hex(id(method))}>"
    assert str(prune.PruningContainer()).startswith("<torch.nn.utils.prune.PruningContainer object at 0x")

    class EveryOther(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            return default_mask

    # a user's subclass keeps its own module, as Python's default repr (and PyTorch) prints it
    mine = EveryOther()
    assert repr(mine) == f"<{__name__}.{EveryOther.__qualname__} object at {hex(id(mine))}>"


def test_set_submodule_replaces_a_nested_layer_and_checks_before_assigning():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 3)))
    tanh = nn.Tanh()
    assert net.set_submodule("1.0", tanh) is None
    assert net[1][0] is tanh and net.get_submodule("1.0") is tanh
    net.set_submodule("1.extra", nn.ReLU())          # a new name is fine unless strict
    assert list(net[1]._modules) == ["0", "1", "extra"]
    with pytest.raises(AttributeError, match="^Sequential has no attribute `other`$"):
        net.set_submodule("1.other", nn.ReLU(), strict=True)
    with pytest.raises(AttributeError, match="^`weight` is not an nn.Module$"):
        net.set_submodule("0.weight", nn.ReLU())     # a parameter is never replaced by a module
    assert isinstance(net[0].weight, nn.Parameter)
    with pytest.raises(ValueError, match="^`module` is not an nn.Module, found <class 'NoneType'>$"):
        net.set_submodule("1.0", None)
    with pytest.raises(ValueError, match="^Cannot set the submodule without a target name!$"):
        net.set_submodule("", nn.ReLU())
    assert net[1][0] is tanh


# ---- tensor-core's device.py (tested here: the tests of this round's fixes live in this file)
@pytest.mark.parametrize("call", [
    lambda: tg.device(0),
    lambda: tg.device(3),
    lambda: tg.zeros(2, device=0),
    lambda: tg.ones(2).to(1),
])
def test_a_bare_device_ordinal_needs_an_accelerator(call):
    if tg.accelerator.is_available():
        pytest.skip("an accelerator is present: the ordinal names one of its devices")
    # PyTorch's CPU build: an int device means "the accelerator", and there is none
    with pytest.raises(RuntimeError, match=r"^Cannot access accelerator device when none is available\.$"):
        call()


def test_a_bare_ordinal_is_checked_before_availability():
    with pytest.raises(RuntimeError, match="^Device index must not be negative$"):
        tg.device(-1)
    with pytest.raises(TypeError, match=r"^device\(\) received an invalid combination of arguments - got \(bool\)"):
        tg.device(True)


def test_named_devices_do_not_need_an_accelerator():
    assert str(tg.device("cuda", 0)) == "cuda:0" and str(tg.device("cuda:1")) == "cuda:1"
    assert tg.device("cpu", 0).index == 0


# ---- tensor-core's jit (scripting runs eagerly; what is printed is PyTorch's)
def _quiet(fn, *args):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn(*args)


def test_a_scripted_module_list_prints_every_child_under_its_original_name():
    scripted = _quiet(tg.jit.script, nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)]))
    assert repr(scripted) == ("RecursiveScriptModule(\n  original_name=ModuleList\n"
                              "  (0): RecursiveScriptModule(original_name=Linear)\n"
                              "  (1): RecursiveScriptModule(original_name=Linear)\n)")


def test_a_frozen_module_prints_without_its_inlined_submodules_and_still_runs():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU()).eval()
    frozen = _quiet(tg.jit.freeze, _quiet(tg.jit.script, model))
    assert repr(frozen) == "RecursiveScriptModule(original_name=Sequential)"
    x = tg.ones(1, 3)
    assert tg.equal(frozen(x), model(x).detach())


def test_a_script_function_prints_as_pytorchs():
    def double(x):
        return x * 2
    fn = _quiet(tg.jit.script, double)
    assert repr(fn) == f"<torch.jit.torch.jit.ScriptFunction object at {hex(id(fn))}>"
    assert fn.name == "double" and fn(tg.ones(1)).tolist() == [2.0]


def test_skip_init_draws_nothing_from_the_random_generator():
    tg.manual_seed(0)
    expected = tg.randn(3)
    tg.manual_seed(0)
    layer = nn.utils.skip_init(nn.Linear, 50, 40)
    # PyTorch builds the module on the meta device: the random numbers that follow are unchanged
    assert tg.equal(tg.randn(3), expected)
    assert layer.weight.device.type == "cpu" and layer.weight.shape == (40, 50)
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
    on_meta = nn.utils.skip_init(nn.Linear, 3, 2, device="meta", dtype=tg.float64)
    assert on_meta.weight.is_meta and on_meta.weight.dtype == tg.float64


def test_custom_from_mask_checks_the_shape_before_touching_the_module():
    layer = nn.Linear(4, 3)
    with pytest.raises(AssertionError, match=r"^default_mask shape torch.Size\(\[3, 4\]\) must match self.mask "
                                             r"shape torch.Size\(\[2, 2\]\)$"):
        prune.custom_from_mask(layer, "weight", mask=tg.ones(2, 2))
    assert not prune.is_pruned(layer) and [n for n, _ in layer.named_buffers()] == []


def test_parameters_to_vector_flattens_views_only():
    layer = nn.Linear(3, 2)
    assert nn.utils.parameters_to_vector(layer.parameters()).shape == (8,)
    with pytest.raises(RuntimeError, match="^view size is not compatible with input tensor's size and stride"):
        nn.utils.parameters_to_vector([tg.ones(3, 2).T])


def test_a_square_orthogonal_weight_without_trivialization_comes_straight_from_matrix_exp():
    from tensorgraft.nn.utils import parametrizations
    tg.manual_seed(0)
    layer = parametrizations.orthogonal(nn.Linear(3, 3), use_trivialization=False)
    # PyTorch keeps every column of a square matrix without slicing: no AliasBackward0 on top
    assert layer.weight.grad_fn.name() == "LinalgMatrixExpBackward0"
    assert tg.allclose(layer.weight @ layer.weight.T, tg.eye(3), atol=1e-5)


def test_tracing_a_module_needs_example_inputs_or_a_dict_of_keyword_inputs():
    with pytest.raises(RuntimeError, match="^example_kwarg_inputs should be a dict$"):
        _quiet(tg.jit.trace, nn.Linear(1, 1))
    with pytest.raises(RuntimeError, match="^example_kwarg_inputs should be a dict$"):
        _quiet(lambda: tg.jit.trace(nn.Linear(1, 1), example_kwarg_inputs=[tg.ones(1)]))
    traced = _quiet(lambda: tg.jit.trace(nn.Linear(1, 1), example_kwarg_inputs={"input": tg.ones(1)}))
    assert type(traced).__name__ == "TopLevelTracedModule"


def test_legacy_norm_hooks_and_hook_handles_print_with_pytorchs_paths():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        normed = nn.utils.weight_norm(nn.Linear(3, 2))
        spectral = nn.utils.spectral_norm(nn.Linear(3, 2))
    (hook,) = normed._forward_pre_hooks.values()
    assert repr(hook) == f"<torch.nn.utils.weight_norm.WeightNorm object at {hex(id(hook))}>"
    (hook,) = spectral._forward_pre_hooks.values()
    assert repr(hook) == f"<torch.nn.utils.spectral_norm.SpectralNorm object at {hex(id(hook))}>"
    (hook,) = spectral._state_dict_hooks.values()
    assert repr(hook).startswith("<torch.nn.utils.spectral_norm.SpectralNormStateDictHook object at 0x")
    handle = nn.Linear(1, 1).register_forward_pre_hook(lambda *args: None)
    assert repr(handle) == f"<torch.utils.hooks.RemovableHandle object at {hex(id(handle))}>"


def test_to_empty_from_meta_gives_new_parameters_and_unties_weights():
    with tg.device("meta"):
        net = nn.Sequential(nn.Embedding(5, 3), nn.Linear(3, 5, bias=False))
    net[1].weight = net[0].weight
    net[0].weight.requires_grad_(False)
    old = net[0].weight
    net.to_empty(device="cpu")
    # as in PyTorch: a new Parameter per registration (keeping requires_grad), so ties must be redone
    assert net[0].weight is not old and net[0].weight is not net[1].weight
    assert isinstance(net[0].weight, nn.Parameter) and not net[0].weight.requires_grad
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "1.weight"]
    assert net[0].weight.device.type == "cpu"


def test_moving_to_meta_moves_the_gradient_with_the_new_parameter():
    layer = nn.Linear(2, 2)
    layer(tg.ones(1, 2)).sum().backward()
    layer.to("meta")
    assert layer.weight.is_meta and layer.weight.grad.is_meta and layer.weight.requires_grad
    # a move that stays off the meta device keeps the Parameter objects (and an optimizer's references)
    cpu_layer = nn.Linear(2, 2)
    weight = cpu_layer.weight
    cpu_layer.double()
    assert cpu_layer.weight is weight and weight.dtype == tg.float64


def test_module_hook_ids_follow_tensor_hook_ids():
    t = tg.ones(2, requires_grad=True)
    layer = nn.Linear(1, 1)
    first = t.register_hook(lambda g: g).id
    module_handle = layer.register_forward_pre_hook(lambda *args: None)
    second = t.register_hook(lambda g: g).id
    # one counter for every hook, as PyTorch's RemovableHandle.next_id
    assert (module_handle.id, second) == (first + 1, first + 2)
    assert list(layer._forward_pre_hooks) == [module_handle.id]
    module_handle.remove()
    assert len(layer._forward_pre_hooks) == 0


def test_device_checks_each_argument_of_the_two_argument_form():
    with pytest.raises(TypeError, match=r"^device\(\): argument 'index' \(position 2\) must be int, not str$"):
        tg.device("cuda", "0")
    with pytest.raises(TypeError, match=r"^device\(\): argument 'type' \(position 1\) must be str, not torch.device$"):
        tg.device(tg.device("cpu"), 0)
    with pytest.raises(TypeError, match=r"got \(\), but expected one of"):
        tg.device()
    assert tg.device("cpu", None) is tg.device("cpu")     # an explicit None index is the index-less device
    with pytest.raises(TypeError, match="^comparison not implemented$"):
        tg.device("cpu") <= tg.device("cpu")  # noqa: B015 - the comparison itself is what raises
    assert tg.device("cuda", 1) == tg.device("cuda:1") and tg.device("cpu") != "cpu"
