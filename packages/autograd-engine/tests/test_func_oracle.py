"""``tensorgraft.func`` against ``torch.func``: values, result structure (tuples, dicts, aux),
whether results carry history, and argument errors (type and text). Each case is written once
against a module ``m`` and run with both libraries."""
from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error, assert_same_result, run_in_both  # noqa: E402

RNG = np.random.default_rng(1)
A = RNG.standard_normal(3)
B = RNG.standard_normal((2, 3))
C = RNG.standard_normal(2)
X = RNG.standard_normal((4, 3))


def _t(m, a, **kw):
    return m.tensor(a, dtype=m.float64, **kw)


def assert_same(ours, theirs):  # this file's tolerance: float64 values agree to rounding
    assert_same_result(ours, theirs, rtol=1e-10, atol=1e-12, check_dtype=False)


def cube_sum(x):
    return (x ** 3).sum()


def f2(x, y):
    return (x.sin() * y).sum()


def vec2(x, y):
    return x.exp() * y.sum(), (x * y).sum()


def _under_no_grad(m, fn):
    with m.no_grad():
        return fn()


def _vjp_apply(m, f, primals, cot):
    out, fn = m.func.vjp(f, *primals)
    return out, fn(cot)


CASES = {
    "grad": lambda m: m.func.grad(cube_sum)(_t(m, A)),
    "grad_argnums_tuple": lambda m: m.func.grad(f2, argnums=(0, 1))(_t(m, C), _t(m, C + 1)),
    "grad_argnums_1": lambda m: m.func.grad(f2, argnums=1)(_t(m, C), _t(m, C + 1)),
    "grad_argnums_neg": lambda m: m.func.grad(f2, argnums=-1)(_t(m, C), _t(m, C + 1)),
    "grad_dict_arg": lambda m: m.func.grad(lambda d: (d["a"] * d["b"]).sum())({"a": _t(m, C), "b": _t(m, C * 2)}),
    "grad_kwargs": lambda m: m.func.grad(lambda x, *, s: (x * s).sum())(_t(m, A), s=_t(m, A)),
    "grad_has_aux": lambda m: m.func.grad(lambda x: ((x ** 2).sum(), (x.cos(), {"k": x * 2})), has_aux=True)(_t(m, A)),
    "grad_and_value": lambda m: m.func.grad_and_value(cube_sum)(_t(m, A)),
    "grad_and_value_aux": lambda m: m.func.grad_and_value(lambda x: ((x ** 2).sum(), x), has_aux=True)(_t(m, A)),
    "grad_unused": lambda m: m.func.grad(lambda x, y: (y ** 2).sum())(_t(m, A), _t(m, C)),
    "grad_of_grad": lambda m: m.func.grad(lambda x: m.func.grad(cube_sum)(x).sum())(_t(m, A)),
    "grad_input_requires_grad": lambda m: m.func.grad(cube_sum)(_t(m, A, requires_grad=True)),
    "grad_closure_requires_grad": lambda m: (lambda w: m.func.grad(lambda x: (x * w).sum())(_t(m, A)))(
        _t(m, A, requires_grad=True)),
    "grad_closure_unrelated": lambda m: (lambda w: m.func.grad(lambda x: (x * x).sum() + w.sum())(_t(m, A)))(
        _t(m, A, requires_grad=True)),
    "grad_under_no_grad": lambda m: _under_no_grad(m, lambda: m.func.grad(cube_sum)(_t(m, A))),
    "vjp": lambda m: _vjp_apply(m, lambda x: x.sin(), (_t(m, A),), _t(m, A)),
    "vjp_two_primals_tuple_out": lambda m: _vjp_apply(m, vec2, (_t(m, C), _t(m, C + 1)),
                                                      (_t(m, C), _t(m, np.array(2.0)))),
    "vjp_dict_out": lambda m: _vjp_apply(m, lambda x: {"a": x * 2, "b": x.sum()}, (_t(m, A),),
                                         {"a": _t(m, A), "b": _t(m, np.array(1.0))}),
    "vjp_has_aux": lambda m: (lambda r: (r[0], r[1](_t(m, A)), r[2]))(m.func.vjp(lambda x: (x * 3, x.exp()), _t(m, A),
                                                                                   has_aux=True)),
    "jvp": lambda m: m.func.jvp(lambda x: x.sin() * x, (_t(m, A),), (_t(m, A[::-1].copy()),)),
    "jvp_two": lambda m: m.func.jvp(vec2, (_t(m, C), _t(m, C + 1)), (_t(m, C), _t(m, np.ones(2)))),
    "jvp_has_aux": lambda m: m.func.jvp(lambda x: (x ** 2, x.sum()), (_t(m, A),), (_t(m, A),), has_aux=True),
    "jvp_constant_output": lambda m: m.func.jvp(lambda x: (x * 2, _t(m, C)), (_t(m, A),), (_t(m, A),)),
    "jvp_linear": lambda m: m.func.jvp(lambda x: x * 3 + 1, (_t(m, A),), (_t(m, A),)),
    "jacrev": lambda m: m.func.jacrev(lambda x: x.sin() * x.sum())(_t(m, A)),
    "jacrev_matrix": lambda m: m.func.jacrev(lambda x: x.exp().sum(dim=1))(_t(m, B)),
    "jacrev_argnums": lambda m: m.func.jacrev(vec2, argnums=(0, 1))(_t(m, C), _t(m, C + 1)),
    "jacrev_argnums_1": lambda m: m.func.jacrev(vec2, argnums=1)(_t(m, C), _t(m, C + 1)),
    "jacrev_has_aux": lambda m: m.func.jacrev(lambda x: (x ** 2, x.sum()), has_aux=True)(_t(m, A)),
    "jacrev_dict_out": lambda m: m.func.jacrev(lambda x: {"p": x * 2, "q": x.sum()})(_t(m, A)),
    "jacfwd": lambda m: m.func.jacfwd(lambda x: x.sin() * x.sum())(_t(m, A)),
    "jacfwd_argnums": lambda m: m.func.jacfwd(vec2, argnums=(0, 1))(_t(m, C), _t(m, C + 1)),
    "jacfwd_has_aux": lambda m: m.func.jacfwd(lambda x: (x ** 2, x.sum()), has_aux=True)(_t(m, A)),
    "hessian": lambda m: m.func.hessian(cube_sum)(_t(m, A)),
    "hessian_argnums": lambda m: m.func.hessian(f2, argnums=(0, 1))(_t(m, C), _t(m, C + 1)),
    "hessian_matrix_input": lambda m: m.func.hessian(lambda x: (x.sin() ** 2).sum())(_t(m, B)),
    "jacrev_of_jacrev": lambda m: m.func.jacrev(m.func.jacrev(lambda x: x ** 3))(_t(m, C)),
    "vmap": lambda m: m.func.vmap(lambda x: x.sum() * x)(_t(m, X)),
    "vmap_in_dims": lambda m: m.func.vmap(lambda x, y: x * y, in_dims=(1, None))(_t(m, X), _t(m, X[:, 0].copy())),
    "vmap_out_dims": lambda m: m.func.vmap(lambda x: (x * 2, x.sum()), out_dims=(1, 0))(_t(m, X)),
    "vmap_out_dims_none": lambda m: m.func.vmap(lambda x, y: (x * 2, y), in_dims=(0, None), out_dims=(0, None))(
        _t(m, X), _t(m, C)),
    "vmap_neg_in_dim": lambda m: m.func.vmap(lambda x: x.sum(), in_dims=-1)(_t(m, X)),
    "vmap_dict_in": lambda m: m.func.vmap(lambda d: d["a"] + d["b"], in_dims=({"a": 0, "b": None},))(
        {"a": _t(m, X), "b": _t(m, A)}),
    "vmap_kwargs_not_mapped": lambda m: m.func.vmap(lambda x, *, s: x * s)(_t(m, X), s=_t(m, A)),
    "vmap_nested": lambda m: m.func.vmap(m.func.vmap(lambda a: a ** 2 + 1))(_t(m, X)),
    "vmap_of_grad": lambda m: m.func.vmap(m.func.grad(cube_sum))(_t(m, X)),
    "vmap_of_jacrev": lambda m: m.func.vmap(m.func.jacrev(lambda x: x.sin()))(_t(m, X)),
    "grad_of_vmap": lambda m: m.func.grad(lambda x: m.func.vmap(lambda r: (r ** 2).sum())(x).sum())(_t(m, X)),
    "vmap_same_randomness_no_rng": lambda m: m.func.vmap(lambda x: x * 2, randomness="same")(_t(m, X)),
    "vmap_partial": lambda m: m.func.vmap(functools.partial(lambda x, y: x + y, y=_t(m, A)))(_t(m, X)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    ours, ref = run_in_both(CASES[name])
    assert_same(ours, ref)


def test_nested_grad_under_outer_autograd():
    def case(m):
        x = _t(m, A, requires_grad=True)
        g = m.func.grad(cube_sum)(x)
        return m.autograd.grad(g.sum(), x)
    assert_same(*run_in_both(case))


def test_vjp_fn_create_graph_false():
    def case(m):
        x = _t(m, A, requires_grad=True)
        _, fn = m.func.vjp(lambda x: x ** 2, x)
        return fn(_t(m, A), create_graph=False)
    assert_same(*run_in_both(case))


ERRORS = {
    "grad_nonscalar": lambda m: m.func.grad(lambda x: x * 2)(_t(m, A)),
    "grad_not_tensor": lambda m: m.func.grad(lambda x: 3.0)(_t(m, A)),
    "grad_aux_not_pair": lambda m: m.func.grad(lambda x: x.sum(), has_aux=True)(_t(m, A)),
    "grad_aux_non_tensor": lambda m: m.func.grad(lambda x: (x.sum(), 3), has_aux=True)(_t(m, A)),
    "grad_argnum_range": lambda m: m.func.grad(f2, argnums=2)(_t(m, C), _t(m, C)),
    "grad_argnum_type": lambda m: m.func.grad(f2, argnums=[0])(_t(m, C), _t(m, C)),
    "grad_argnum_elem_type": lambda m: m.func.grad(f2, argnums=(0, "a"))(_t(m, C), _t(m, C)),
    "grad_argnums_empty": lambda m: m.func.grad(f2, argnums=())(_t(m, C), _t(m, C)),
    "grad_argnums_dup": lambda m: m.func.grad(f2, argnums=(0, 0))(_t(m, C), _t(m, C)),
    "grad_non_tensor_arg": lambda m: m.func.grad(lambda x: x)(3.0),
    "vjp_int_output": lambda m: m.func.vjp(lambda x: (x > 0).long(), _t(m, A)),
    "vjp_non_tensor_output": lambda m: m.func.vjp(lambda x: (x, 3), _t(m, A)),
    "vjp_empty_output": lambda m: m.func.vjp(lambda x: (), _t(m, A)),
    "vjp_cotangent_structure": lambda m: m.func.vjp(lambda x: (x, x), _t(m, A))[1](_t(m, A)),
    "vjp_aux_not_pair": lambda m: m.func.vjp(lambda x: x, _t(m, A), has_aux=True),
    "jvp_primals_not_tuple": lambda m: m.func.jvp(lambda x: x, _t(m, A), (_t(m, A),)),
    "jvp_structure": lambda m: m.func.jvp(lambda x, y: x, (_t(m, A), _t(m, A)), (_t(m, A),)),
    "jvp_empty": lambda m: m.func.jvp(lambda: 1, (), ()),
    "jvp_non_tensor_primal": lambda m: m.func.jvp(lambda x: x, (3.0,), (3.0,)),
    "jvp_strict": lambda m: m.func.jvp(lambda x: _t(m, A), (_t(m, A),), (_t(m, A),), strict=True),
    "jvp_tangent_size": lambda m: m.func.jvp(lambda x: x, (_t(m, A),), (_t(m, C),)),
    "jacrev_complex_input": lambda m: m.func.jacrev(lambda x: x)(m.ones(2, dtype=m.complex128)),
    "jacrev_chunk_size": lambda m: m.func.jacrev(lambda x: x, chunk_size=0),
    "vmap_randomness_arg": lambda m: m.func.vmap(lambda x: x, randomness="sometimes")(_t(m, X)),
    "vmap_random_op": lambda m: m.func.vmap(lambda x: x + m.rand(3))(_t(m, X)),
    "vmap_batch_sizes": lambda m: m.func.vmap(lambda x, y: x + y)(_t(m, X), _t(m, B)),
    "vmap_no_inputs": lambda m: m.func.vmap(lambda: 1)(),
    "vmap_in_dims_type": lambda m: m.func.vmap(cube_sum, in_dims=[0])(_t(m, X)),
    "vmap_in_dims_structure": lambda m: m.func.vmap(f2, in_dims=(0, 0, 0))(_t(m, X), _t(m, X)),
    "vmap_in_dim_non_int": lambda m: m.func.vmap(cube_sum, in_dims=("a",))(_t(m, X)),
    "vmap_in_dim_non_tensor": lambda m: m.func.vmap(lambda x, s: x * s, in_dims=(0, 0))(_t(m, X), 2.0),
    "vmap_in_dim_range": lambda m: m.func.vmap(cube_sum, in_dims=2)(_t(m, X)),
    "vmap_all_none": lambda m: m.func.vmap(cube_sum, in_dims=None)(_t(m, X)),
    "vmap_non_tensor_output": lambda m: m.func.vmap(lambda x: 3.0)(_t(m, X)),
    "vmap_out_dims_type": lambda m: m.func.vmap(lambda x: x, out_dims="a")(_t(m, X)),
    "vmap_out_dims_structure": lambda m: m.func.vmap(lambda x: (x, x), out_dims=(0, 0, 0))(_t(m, X)),
    "vmap_chunk_size": lambda m: m.func.vmap(lambda x: x, chunk_size=0)(_t(m, X)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_pytorch(name):
    assert_same_error(ERRORS[name])


def test_functional_call_matches_pytorch():
    def case(m):
        m.manual_seed(0)
        lin = m.nn.Linear(3, 2).double()
        params = {"weight": _t(m, np.arange(6.0).reshape(2, 3)), "bias": _t(m, C)}
        out = m.func.functional_call(lin, params, (_t(m, X),))
        g = m.func.grad(lambda p, x: m.func.functional_call(lin, p, (x,)).pow(2).sum())(params, _t(m, X))
        return out, g
    assert_same(*run_in_both(case))


def test_stack_module_state_matches_pytorch():
    def case(m):
        models = [m.nn.Linear(3, 2).double() for _ in range(3)]
        for k, mod in enumerate(models):
            with m.no_grad():
                mod.weight.copy_(_t(m, np.full((2, 3), float(k))))
                mod.bias.copy_(_t(m, np.full(2, -float(k))))
        params, buffers = m.func.stack_module_state(models)
        base = models[0]
        out = m.func.vmap(lambda p, b, x: m.func.functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))(
            params, buffers, _t(m, X))
        return params, buffers, out
    assert_same(*run_in_both(case))
