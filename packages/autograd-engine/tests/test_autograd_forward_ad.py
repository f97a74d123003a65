"""``autograd.forward_ad`` on its own (no PyTorch needed): tangents against central finite
differences, what the level does to modes and random numbers, custom Functions, gradcheck of a
custom ``jvp``, and the API's lifecycle. PyTorch comparisons: test_autograd_forward_ad_oracle.py."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.autograd.forward_ad as fwAD
from tensorgraft.overrides import TorchFunctionMode, _get_current_function_mode_stack

RNG = np.random.default_rng(3)


def _t(a):
    return tg.tensor(a, dtype=tg.float64)


def finite_difference(fn, x, t, eps=1e-6):
    with tg.no_grad():
        return (fn(x + eps * t) - fn(x - eps * t)) / (2 * eps)


FUNCTIONS = {
    "polynomial": lambda x: x ** 3 - 2 * x,
    "exp_sin": lambda x: x.exp().sin() * x.cos(),
    "softmax_matmul": lambda x: tg.softmax(x @ x.T, dim=1),
    "reductions": lambda x: x.logsumexp(dim=1) + x.norm(dim=1) * x.mean(dim=1),
    "indexing": lambda x: x[tg.tensor([1, 0, 2])][:, 1:].flip(0) * x[0, 0],
    "inverse": lambda x: tg.linalg.inv(x[:, :3] + 3 * tg.eye(3, dtype=tg.float64)),
    "cat_where": lambda x: tg.cat([tg.where(x > 0, x, x ** 2), x.tanh()]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_tangent_is_the_directional_derivative(name):
    fn = FUNCTIONS[name]
    x, t = _t(RNG.standard_normal((3, 4))), _t(RNG.standard_normal((3, 4)))
    with fwAD.dual_level():
        jvp = fwAD.unpack_dual(fn(fwAD.make_dual(x, t))).tangent
    np.testing.assert_allclose(jvp.numpy(), finite_difference(fn, x, t).numpy(), rtol=1e-6, atol=1e-8)


def test_agrees_with_func_jvp_for_a_network():
    nn = pytest.importorskip("tensorgraft.nn")
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    x, t = _t(RNG.standard_normal((5, 4))), _t(RNG.standard_normal((5, 4)))
    _, expected = tg.func.jvp(net, (x,), (t,))
    with fwAD.dual_level():
        got = fwAD.unpack_dual(net(fwAD.make_dual(x, t))).tangent
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    # through the parameters, with functional_call
    params = dict(net.named_parameters())
    tangents = {k: tg.ones_like(p) for k, p in params.items()}
    with fwAD.dual_level():
        duals = {k: fwAD.make_dual(p, tangents[k]) for k, p in params.items()}
        got = fwAD.unpack_dual(tg.func.functional_call(net, duals, (x,))).tangent
    _, expected = tg.func.jvp(lambda *ps: tg.func.functional_call(net, dict(zip(params, ps)), (x,)),
                              tuple(p.detach() for p in params.values()), tuple(tangents.values()))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_dropout_tangent_uses_the_same_mask_and_random_numbers_stay_in_step():
    nn = pytest.importorskip("tensorgraft.nn")
    x = tg.ones(1000, dtype=tg.float64)
    tg.manual_seed(5)
    with fwAD.dual_level():
        y = nn.functional.dropout(fwAD.make_dual(x, tg.full((1000,), 3.0, dtype=tg.float64)), 0.5)
        primal, tangent = fwAD.unpack_dual(y)
    after = tg.rand(3)
    tg.manual_seed(5)
    plain = nn.functional.dropout(x, 0.5)
    assert tg.equal(primal, plain)                 # the program's own draws are unchanged
    assert tg.equal(tangent, plain * 3)            # the tangent went through the same mask
    assert tg.equal(tg.rand(3), after)             # and the generator is where it would be


def test_no_grad_and_tangent_dtype():
    with fwAD.dual_level():
        d = fwAD.make_dual(tg.ones(3), tg.ones(3, dtype=tg.float64) * 2)  # tangent kept in float64
        assert fwAD.unpack_dual(d).tangent.dtype == tg.float64
        with tg.no_grad():
            y = d.exp()
        np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.numpy(), 2 * np.e * np.ones(3), rtol=1e-6)
        assert not fwAD.unpack_dual(y).tangent.requires_grad


def test_level_lifecycle_and_decorator():
    p = tg.ones(2)
    assert fwAD.unpack_dual(p).primal is p and fwAD.unpack_dual(p).tangent is None
    level = fwAD.enter_dual_level()
    assert level == 0
    d = fwAD.make_dual(p, tg.ones(2))
    fwAD.exit_dual_level(level=0)
    assert fwAD.unpack_dual(d).tangent is None  # dropped with the level

    @fwAD.dual_level()
    def jvp_of_square(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t) ** 2).tangent
    assert jvp_of_square(_t([3.0]), _t([1.0])).item() == 6.0
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(p, p)


def test_modes_see_calls_and_the_internal_mode_stays_hidden():
    seen = []

    class Log(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(func.__name__)
            return func(*args, **(kwargs or {}))

    with fwAD.dual_level():
        assert _get_current_function_mode_stack() == []
        assert not tg._C._is_torch_function_mode_enabled()
        d = fwAD.make_dual(_t([1.0, 2.0]), _t([1.0, 1.0]))
        with Log():
            y = d.sin() * 2
        assert fwAD.unpack_dual(y).tangent is not None
        np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.numpy(), 2 * np.cos([1.0, 2.0]))
    assert "sin" in seen and "mul" in seen
    assert len(seen) == 2  # the tangent computation is not shown to the program's mode


def test_tensor_subclass_keeps_its_type_and_gets_a_tangent():
    class Tagged(tg.Tensor):
        pass

    with fwAD.dual_level():
        d = fwAD.make_dual(_t([1.0, 2.0]).as_subclass(Tagged), _t([1.0, 0.5]))
        y = d * d
        assert type(y) is Tagged
        np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.numpy(), [2.0, 2.0])


class _Cube(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        return g * 3 * ctx.x ** 2

    @staticmethod
    def jvp(ctx, t):
        return t * 3 * ctx.x ** 2


class _WrongJvp(_Cube):
    @staticmethod
    def jvp(ctx, t):
        return t * 2 * ctx.x ** 2


def test_custom_function_jvp_is_used_and_gradcheck_checks_it():
    x = _t([1.0, 2.0]).requires_grad_()
    with fwAD.dual_level():
        assert fwAD.unpack_dual(_Cube.apply(fwAD.make_dual(x, _t([1.0, 1.0])))).tangent.tolist() == [3.0, 12.0]
        assert fwAD.unpack_dual(_WrongJvp.apply(fwAD.make_dual(x, _t([1.0, 1.0])))).tangent.tolist() == [2.0, 8.0]
    kw = dict(check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False, check_batched_grad=False)
    assert tg.autograd.gradcheck(_Cube.apply, (x,), **kw)
    assert not tg.autograd.gradcheck(_WrongJvp.apply, (x,), raise_exception=False, **kw)
    assert tg.autograd.gradcheck(_WrongJvp.apply, (x,))  # its backward is right


def test_out_argument_is_refused_as_in_pytorch():
    with fwAD.dual_level():
        d = fwAD.make_dual(tg.ones(2), tg.ones(2))
        with pytest.raises(NotImplementedError, match="add_out that does not support it"):
            tg.add(d, 1, out=tg.empty(2))


def test_ops_outside_a_level_are_untouched_afterwards():
    with fwAD.dual_level():
        fwAD.make_dual(tg.ones(2), tg.ones(2))
    y = tg.ones(2) * 3
    assert repr(y) == "tensor([3., 3.])"
    assert tg.autograd.function._forward_ad_hook is None


def test_on_every_device_tangents_agree_with_the_cpu(tg_device):
    nn = pytest.importorskip("tensorgraft.nn")
    x, t = RNG.standard_normal((4, 6)).astype(np.float32), RNG.standard_normal((4, 6)).astype(np.float32)

    def run(device):
        tg.manual_seed(0)
        with fwAD.dual_level():
            d = fwAD.make_dual(tg.tensor(x, device=device), tg.tensor(t, device=device))
            y = nn.functional.layer_norm(tg.softmax(d, dim=1) * d.sin(), (6,))
            tangent = fwAD.unpack_dual(y).tangent
        assert tangent.device.type == tg.device(device).type
        return tangent.cpu().numpy()
    np.testing.assert_allclose(run(tg_device), run("cpu"), rtol=1e-4, atol=1e-5)
