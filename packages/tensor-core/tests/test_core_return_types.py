"""tensorgraft.return_types: the very classes the ops return, collected in one module."""
from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.ops._return_types import OUT_VARIANTS
from tensorgraft import return_types as rt


def _inputs():
    rng = np.random.default_rng(11)
    x = tg.tensor(rng.standard_normal((3, 3)))
    spd = x @ x.T + 3 * tg.eye(3, dtype=x.dtype)
    return x, spd


# name in tensorgraft.return_types -> a call that returns it
CALLS = {
    "max": lambda x, s: tg.max(x, 0), "min": lambda x, s: x.min(1), "sort": lambda x, s: tg.sort(x),
    "topk": lambda x, s: x.topk(2), "median": lambda x, s: tg.median(x, 0), "nanmedian": lambda x, s: x.nanmedian(0),
    "mode": lambda x, s: tg.mode(x, 0), "kthvalue": lambda x, s: tg.kthvalue(x, 1), "cummax": lambda x, s: x.cummax(0),
    "cummin": lambda x, s: tg.cummin(x, 0), "aminmax": lambda x, s: tg.aminmax(x), "frexp": lambda x, s: tg.frexp(x),
    "histogram": lambda x, s: tg.histogram(x.float()), "histogramdd": lambda x, s: tg.histogramdd(x.float(), bins=2),
    "geqrf": lambda x, s: tg.geqrf(x), "linalg_cholesky_ex": lambda x, s: tg.linalg.cholesky_ex(s),
    "linalg_eig": lambda x, s: tg.linalg.eig(x), "linalg_eigh": lambda x, s: tg.linalg.eigh(s),
    "linalg_inv_ex": lambda x, s: tg.linalg.inv_ex(x), "linalg_ldl_factor": lambda x, s: tg.linalg.ldl_factor(s),
    "linalg_ldl_factor_ex": lambda x, s: tg.linalg.ldl_factor_ex(s),
    "linalg_lstsq": lambda x, s: tg.linalg.lstsq(x, x), "linalg_lu": lambda x, s: tg.linalg.lu(x),
    "linalg_lu_factor": lambda x, s: tg.linalg.lu_factor(x),
    "linalg_lu_factor_ex": lambda x, s: tg.linalg.lu_factor_ex(x), "linalg_qr": lambda x, s: tg.linalg.qr(x),
    "linalg_slogdet": lambda x, s: tg.linalg.slogdet(x), "linalg_solve_ex": lambda x, s: tg.linalg.solve_ex(x, x),
    "linalg_svd": lambda x, s: tg.linalg.svd(x), "lu_unpack": lambda x, s: tg.lu_unpack(*tg.linalg.lu_factor(x)),
    "qr": lambda x, s: tg.qr(x), "slogdet": lambda x, s: tg.slogdet(x), "svd": lambda x, s: tg.svd(x),
    "triangular_solve": lambda x, s: tg.triangular_solve(x, s),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_op_returns_the_class_of_its_name(name):
    result = CALLS[name](*_inputs())
    assert type(result) is getattr(rt, name) and isinstance(result, rt.__dict__[name])
    assert isinstance(result, tuple) and len(result) == len(type(result)._fields)


def test_the_set_of_names_is_pinned():
    # a new result type next to an op shows up here (and in the oracle's comparison with PyTorch)
    out_classes = {f"{n}_out" for n in CALLS if n in OUT_VARIANTS}
    assert set(rt.__all__) == set(CALLS) | out_classes | {"all_return_types"}
    # torch.slogdet's class is its own, with linalg_slogdet's fields
    assert rt.slogdet is not rt.linalg_slogdet and rt.slogdet._fields == rt.linalg_slogdet._fields
    assert len(rt.all_return_types) == len(set(rt.all_return_types)) == len(CALLS) + len(out_classes)
    assert all(cls is getattr(rt, cls.__name__) for cls in rt.all_return_types)


def test_missing_names_say_why():
    with pytest.raises(AttributeError, match="^module 'tensorgraft.return_types' has no attribute 'nope'$"):
        rt.nope  # noqa: B018


def test_out_calls_return_pytorchs_out_class():
    x, _ = _inputs()
    values, indices = tg.empty(3, dtype=x.dtype), tg.empty(3, dtype=tg.int64)
    r = tg.max(x, 0, out=(values, indices))
    assert type(r) is rt.max_out and r._fields == rt.max._fields and r.values is values
    assert repr(r).startswith("torch.return_types.max_out(\nvalues=tensor(")
    m, e = tg.empty(0), tg.empty(0, dtype=tg.int32)
    assert type(tg.frexp(tg.tensor([3.0]), out=(m, e))) is rt.frexp_out  # (through write_outs)
    assert type(tg.sort(x, out=(tg.empty(0, dtype=x.dtype), tg.empty(0, dtype=tg.int64)))) is rt.sort_out  # (its own rules)


def test_structseq_results_pickle():
    x, _ = _inputs()
    back = pickle.loads(pickle.dumps(tg.sort(x)))
    assert type(back) is rt.sort and tg.equal(back.values, tg.sort(x).values)


def test_return_types_is_lazy_and_listed():
    code = ("import sys, tensorgraft as tg; a = 'tensorgraft.return_types' in sys.modules; "
            "print(a, 'return_types' in dir(tg), tg.return_types.max is type(tg.ones(2, 2).max(0)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["False", "True", "True"]
