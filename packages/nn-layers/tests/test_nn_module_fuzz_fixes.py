"""nn.Module and container behaviours found different from PyTorch 2.13 by differential fuzzing
(expected values are PyTorch's, hard-coded)."""
import warnings

import pytest

import tensorgraft as torch
from tensorgraft import nn
from tensorgraft.nn.modules import module as module_mod


def test_buffer_assigned_to_plain_attribute_name_is_refused():
    m = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.training = nn.Buffer(torch.ones(1))
    assert m.training is True
    assert list(m._buffers) == []


def test_type_to_integer_refuses_parameters_that_require_grad():
    m = nn.Linear(1, 1)
    with pytest.raises(RuntimeError, match="^data set to a tensor that requires gradients must be floating point "
                                           "or complex dtype$"):
        m.type(torch.int64)
    frozen = nn.Linear(1, 1).requires_grad_(False).type(torch.int64)
    assert frozen.weight.dtype == torch.int64


def test_load_state_dict_assign_goes_through_setattr_registration_hooks():
    m = nn.BatchNorm1d(2)
    sd = m.state_dict()
    seen = []
    handles = [module_mod.register_module_buffer_registration_hook(lambda mod, n, b: seen.append(("buf", n))),
               module_mod.register_module_parameter_registration_hook(lambda mod, n, p: seen.append(("par", n)))]
    try:
        m.load_state_dict(sd, assign=True)
    finally:
        for h in handles:
            h.remove()
    assert seen == [("par", "weight"), ("par", "bias"), ("buf", "running_mean"), ("buf", "running_var"),
                    ("buf", "num_batches_tracked")]


def test_module_registration_hook_sees_none_assigned_to_a_child():
    m = nn.Sequential(nn.ReLU())
    seen = []
    h = module_mod.register_module_module_registration_hook(lambda mod, n, sub: seen.append((n, sub)))
    try:
        m[0] = None
    finally:
        h.remove()
    assert seen == [("0", None)]


def test_get_buffer_names_missing_attribute():
    m = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(AttributeError, match="^Sequential has no attribute `nb`$"):
        m.get_buffer("nb")
    with pytest.raises(AttributeError, match="^Linear has no attribute `running_mean`$"):
        m.get_buffer("0.running_mean")
    with pytest.raises(AttributeError, match="^`weight` is not a buffer$"):
        m.get_buffer("0.weight")


def test_xpu_ipu_mtia_methods():
    assert isinstance(nn.Module().xpu(), nn.Module)
    with pytest.raises(AssertionError, match="^Torch not compiled with XPU enabled$"):
        nn.Linear(1, 1).xpu()
    with pytest.raises(RuntimeError, match="^PyTorch is not linked with support for ipu devices$"):
        nn.Linear(1, 1).ipu()
    with pytest.raises(AssertionError, match="^Torch not compiled with MTIA enabled"):
        nn.Linear(1, 1).mtia()


def test_modulelist_insert_follows_pytorch_loop():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.ReLU(), nn.Tanh()])
    with pytest.raises(KeyError, match="'-1'"):
        ml.insert(-20, nn.ELU())
    # PyTorch shifted every entry up before failing
    assert list(ml._modules) == ["0", "1", "2", "3"]
    assert [type(c).__name__ for c in ml] == ["Linear", "Linear", "ReLU", "Tanh"]
    ml2 = nn.ModuleList([nn.ReLU()])
    ml2.insert(0, 3)  # not checked
    assert list(ml2._modules.values())[0] == 3
    ml3 = nn.ModuleList([nn.ReLU()])
    ml3.insert(5, nn.Tanh())
    assert list(ml3._modules) == ["0", "5"]


def test_parameterdict_non_string_key_stays_recorded():
    pd = nn.ParameterDict({"a": torch.ones(1)})
    msg = "Index given to ParameterDict cannot be used as a key as it is not a string (type is 'int')"
    with pytest.raises(TypeError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        pd[1] = torch.ones(1)
    assert list(pd.keys()) == ["a", 1]
    assert len(pd) == 2
    with pytest.raises(TypeError, match="Index given to ParameterDict"):
        repr(pd)


def test_parameterdict_popitem_empty_and_private_names():
    pd = nn.ParameterDict()
    with pytest.raises(KeyError, match="popitem\\(\\): dictionary is empty"):
        pd.popitem()
    pd = nn.ParameterDict({"z": torch.ones(1), "a": torch.ones(2)})
    assert list(pd._keys) == ["a", "z"]
    assert pd.popitem()[0] == "z"
    assert nn.ParameterList([torch.ones(1)])._size == 1


def test_parameter_containers_repr_plain_tensor_entry():
    pl = nn.ParameterList([torch.ones(2)])
    pl._parameters.pop("0")
    object.__setattr__(pl, "0", torch.ones(2, 3))  # a plain tensor entry
    assert pl.extra_repr() == "  (0): Tensor containing: [torch.float32 of size 2x3]"


def test_sequential_imul_and_extend_follow_pytorch():
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    s *= 3
    assert [type(c).__name__ for c in s] == ["ReLU", "Tanh"] * 3
    named = nn.Sequential(torch.nn.modules.container.OrderedDict([("first", nn.ReLU())]))
    with pytest.raises(KeyError, match="'0'"):
        named *= 2
    s = nn.Sequential(nn.ReLU())
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        s.extend(s)


def test_old_style_backward_hook_does_not_warn_about_full_hooks():
    m = nn.Linear(2, 2)
    calls = []
    m.register_backward_hook(lambda mod, gi, go: calls.append(1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m(torch.randn(3, 2)).sum().backward()
    assert calls == [1]
    assert not [w for w in caught if "Full backward hook is firing" in str(w.message)]
    full = nn.Linear(2, 2)
    full.register_full_backward_hook(lambda mod, gi, go: None)
    with pytest.warns(UserWarning, match="Full backward hook is firing"):
        full(torch.randn(3, 2)).sum().backward()
