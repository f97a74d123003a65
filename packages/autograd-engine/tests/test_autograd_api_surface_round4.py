"""autograd's small API gaps (session 23): the ``autograd.anomaly_mode`` module and
``func.debug_unwrap``. Expected behaviour is PyTorch 2.13's."""
import importlib
import warnings

import pytest

import tensorgraft as torch
import tensorgraft.autograd as autograd
import tensorgraft.func as func


def test_anomaly_mode_module_names_the_switches():
    am = importlib.import_module("tensorgraft.autograd.anomaly_mode")
    assert am.__all__ == ["detect_anomaly", "set_detect_anomaly"]
    assert am.detect_anomaly is autograd.detect_anomaly
    assert am.set_detect_anomaly is autograd.set_detect_anomaly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with am.detect_anomaly():
            assert torch.is_anomaly_enabled()
    assert not torch.is_anomaly_enabled()
    with am.set_detect_anomaly(True):
        assert torch.is_anomaly_enabled()
    assert not torch.is_anomaly_enabled()


def test_debug_unwrap_returns_plain_tensors_as_they_are():
    x = torch.ones(2, requires_grad=True)
    assert func.debug_unwrap(x) is x
    assert func.debug_unwrap(x, recurse=False) is x
    assert "debug_unwrap" in func.__all__
    with pytest.raises(TypeError, match=r"^is_functorch_wrapped_tensor\(\): incompatible function arguments"):
        func.debug_unwrap(3)
    with pytest.raises(TypeError):
        func.debug_unwrap(x, False)  # recurse is keyword-only


def test_debug_unwrap_inside_transforms():
    seen = []

    def f(x):
        seen.append(func.debug_unwrap(x).shape)
        return x.sin().sum()
    func.grad(f)(torch.ones(3))
    assert seen == [torch.Size([3])]


def test_debug_unwrap_inside_vmap_shows_the_whole_batch():
    # PyTorch 2.13: the unwrapped BatchedTensor holds the batch in front; recurse=False peels one level
    def shape_of(**kw):
        return lambda x: torch.tensor(func.debug_unwrap(x, **kw).shape)
    assert func.vmap(shape_of())(torch.ones(3, 2)).tolist() == [[3, 2]] * 3
    assert func.vmap(func.vmap(shape_of()))(torch.ones(4, 3, 2))[0, 0].tolist() == [4, 3, 2]
    assert func.vmap(func.vmap(shape_of(recurse=False)))(torch.ones(4, 3, 2))[0, 0].tolist() == [3, 2]
