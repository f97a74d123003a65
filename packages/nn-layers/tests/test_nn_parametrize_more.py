"""More of ``nn.utils.parametrize`` and the hook-based ``weight_norm``/``spectral_norm``, PyTorch as
the oracle: lazy modules, right inverses that are not implemented or split a tensor, buffers,
transfers to modules lacking the tensor, and version-0 spectral-norm checkpoints."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.nn.utils import parametrize
from tensorgraft.testing.oracle import assert_same_error

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("fn", ["weight_norm", "spectral_norm"])
def test_lazy_module_is_refused(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert_same_error(lambda: getattr(nn.utils, fn)(nn.LazyLinear(3)),
                          lambda: getattr(torch.nn.utils, fn)(torch.nn.LazyLinear(3)))


def _modules(lib):
    class Ident(lib.nn.Module):
        def forward(self, x):
            return x

    class NoInverse(lib.nn.Module):
        def forward(self, x):
            return x * 2

        def right_inverse(self, y):
            raise NotImplementedError("no inverse")

    class Split(lib.nn.Module):
        def forward(self, a, b):
            return a + b

        def right_inverse(self, x):
            return x * 0.25, x * 0.75

    return Ident, NoInverse, Split


def test_not_implemented_right_inverse_is_skipped_at_registration_only():
    for lib, P in ((tg, parametrize), (torch, torch.nn.utils.parametrize)):
        _, NoInverse, _ = _modules(lib)
        m = lib.nn.Linear(2, 2)
        w0 = m.weight.detach().clone()
        P.register_parametrization(m, "weight", NoInverse())
        P.register_parametrization(m, "weight", NoInverse())
        np.testing.assert_allclose(m.weight.detach().numpy(), 4 * w0.numpy(), rtol=1e-6)
        with pytest.raises(NotImplementedError, match="no inverse"):
            m.weight = lib.ones(2, 2)


def test_sequence_right_inverse_on_a_buffer_and_transfers():
    state = {}
    for lib, P in ((tg, parametrize), (torch, torch.nn.utils.parametrize)):
        Ident, _, Split = _modules(lib)
        m = lib.nn.BatchNorm1d(2)
        P.register_parametrization(m, "running_var", Split())
        pl = m.parametrizations.running_var
        assert (pl.is_tensor, pl.ntensors, pl.unsafe) == (False, 2, False)
        assert not isinstance(pl.original0, lib.nn.Parameter) and not pl.original0.requires_grad
        np.testing.assert_allclose(pl.original1.numpy(), 0.75 * np.ones(2))
        m.running_var = lib.full((2,), 4.0)
        np.testing.assert_allclose(pl.original0.numpy(), np.ones(2))
        # a module without the tensor gets a parameter, then the parametrization and shared originals
        lin = P.register_parametrization(lib.nn.Linear(2, 2), "weight", Split())
        target = P.transfer_parametrizations_and_params(lin, lib.nn.Module())
        assert target.parametrizations.weight.original0 is lin.parametrizations.weight.original0
        P.register_parametrization(m, "running_var", Ident(), unsafe=True)
        assert pl.unsafe
        P.remove_parametrizations(m, "running_var")
        state[lib.__name__] = (list(m.state_dict()), type(target).__name__, list(target.state_dict()),
                               m.running_var.numpy().copy())
    ours, theirs = state["tensorgraft"], state["torch"]
    assert ours[:3] == theirs[:3]
    np.testing.assert_allclose(ours[3], theirs[3])

    def buffer_into_parameter(lib, P):
        m = P.register_parametrization(lib.nn.BatchNorm1d(2), "running_var", _modules(lib)[2]())
        P.transfer_parametrizations_and_params(m, lib.nn.Module(), "running_var")
    # the created tensor is a parameter, a buffer original cannot be put in its place: both refuse
    assert_same_error(lambda: buffer_into_parameter(tg, parametrize),
                      lambda: buffer_into_parameter(torch, torch.nn.utils.parametrize))


def test_registration_details_match():
    for lib, P in ((tg, parametrize), (torch, torch.nn.utils.parametrize)):
        Ident, _, _ = _modules(lib)
        m = lib.nn.Module()
        m.register_buffer("b", lib.ones(2), persistent=False)
        m.eval()
        step = Ident()
        P.register_parametrization(m, "b", step)
        assert not step.training, "the parametrization takes the module's mode"
        assert list(m.state_dict()) == ["parametrizations.b.original"]
        P.remove_parametrizations(m, "b")
        assert list(m.state_dict()) == ["b"], "it comes back as a persistent buffer"
    assert_same_error(lambda: parametrize.ParametrizationList([], tg.ones(2)),
                      lambda: torch.nn.utils.parametrize.ParametrizationList([], torch.ones(2)))


def test_spectral_norm_version_0_checkpoint_is_upgraded():
    tm = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4).double())
    tm(torch.randn(2, 3, dtype=torch.float64))
    sd = {k: v.detach().clone() for k, v in tm.state_dict().items() if k != "weight_v"}
    sd["weight"] = tm.weight.detach().clone()        # a version-0 checkpoint stored the normalised weight
    fresh_t = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4).double())
    fresh_t.load_state_dict(dict(sd))
    m = nn.utils.spectral_norm(nn.Linear(3, 4, dtype=tg.float64))
    m.load_state_dict({k: tg.tensor(v.numpy()) for k, v in sd.items()})
    np.testing.assert_allclose(m.weight_v.numpy(), fresh_t.weight_v.numpy(), rtol=1e-8, atol=1e-10)
    m.eval()
    m(tg.ones(1, 3, dtype=tg.float64))
    np.testing.assert_allclose(m.weight.detach().numpy(), sd["weight"].numpy(), rtol=1e-8)
