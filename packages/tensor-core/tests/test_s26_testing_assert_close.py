"""``tensorgraft.testing.assert_close`` against PyTorch 2.13's ``torch.testing.assert_close``: every
keyword (check_stride, check_layout, allow_subclasses, msg as str or callable) and the full failure
messages for Python scalars, NumPy numbers, tensors (shape, dtype, device, stride, layout and value
mismatches), sparse tensors, float8, and nested sequences and mappings.

The expected (exception type, message) pairs were produced by running each case with
``import torch`` (PyTorch 2.13, CPU) and are hard-coded here (no torch at test time)."""
import functools
import inspect

import numpy as np
import pytest

import tensorgraft as torch
from tensorgraft.testing import assert_close as T

ae = functools.partial(T, rtol=0, atol=0)  # the docstring's assert_equal

CASES = [
    (lambda: ae(1e-9, 1e-10),
     (AssertionError, 'Scalars are not equal!\n\nExpected 1e-10 but got 1e-09.\nAbsolute difference: 9.000000000000001e-10\nRelative difference: 9.0')),
    (lambda: T(1e-9, 1e-10),
     None),
    (lambda: T(1, 1.0),
     (AssertionError, "The (d)types do not match: <class 'int'> != <class 'float'>.")),
    (lambda: T(1, 2),
     (AssertionError, 'Scalars are not equal!\n\nExpected 2 but got 1.\nAbsolute difference: 1\nRelative difference: 0.5')),
    (lambda: T(True, False),
     (AssertionError, 'Booleans mismatch: True is not False')),
    (lambda: T(None, 1),
     (AssertionError, 'None mismatch: None is not 1')),
    (lambda: T(1+2j, 1+3j),
     (AssertionError, 'Scalars are not close!\n\nExpected (1+3j) but got (1+2j).\nAbsolute difference: 1.0 (up to 1e-07 allowed)\nRelative difference: 0.31622776601683794 (up to 1e-07 allowed)')),
    (lambda: T(np.float32(1.5), np.float32(2.5)),
     (AssertionError, 'Scalars are not close!\n\nExpected 2.5 but got 1.5.\nAbsolute difference: 1.0 (up to 1e-07 allowed)\nRelative difference: 0.4 (up to 1e-07 allowed)')),
    (lambda: T(torch.tensor([1.,2.,3.]), torch.tensor([1.,4.,3.])),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\nGreatest absolute difference: 2.0 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: 0.5 at index (1,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([1.,2.,3.]), torch.tensor([1.,4.,3.]), msg="custom"),
     (AssertionError, 'custom')),
    (lambda: T(torch.tensor([1.,2.,3.]), torch.tensor([1.,4.,3.]), msg=lambda m: "pre\n"+m+"\nfoot"),
     (AssertionError, 'pre\nTensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\nGreatest absolute difference: 2.0 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: 0.5 at index (1,) (up to 1.3e-06 allowed)\nfoot')),
    (lambda: T(torch.tensor([1.,2.]), torch.tensor([1.,4.,3.])),
     (AssertionError, "The values for attribute 'shape' do not match: torch.Size([2]) != torch.Size([3]).")),
    (lambda: T(torch.tensor([1.,2.]), torch.tensor([1.,4.,3.]), msg="custom shape"),
     (AssertionError, 'custom shape')),
    (lambda: T(torch.tensor([1.,2.]), torch.tensor([1.,4.], dtype=torch.float64)),
     (AssertionError, "The values for attribute 'dtype' do not match: torch.float32 != torch.float64.")),
    (lambda: T(torch.tensor([1.,2.]), torch.tensor([1.,4.], dtype=torch.float64), check_dtype=False),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 2.0 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: 0.5 at index (1,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([1.,2.]), torch.tensor([1.,2.], device="meta")),
     (AssertionError, "The values for attribute 'device' do not match: cpu != meta.")),
    (lambda: T(torch.tensor([1.,2.]), torch.tensor([1.,2.], device="meta"), check_device=False),
     None),
    (lambda: T(torch.tensor(1.), torch.tensor(1.1)),
     (AssertionError, 'Scalars are not close!\n\nExpected 1.100000023841858 but got 1.0.\nAbsolute difference: 0.10000002384185791 (up to 1e-05 allowed)\nRelative difference: 0.09090911061310529 (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([1,2]), torch.tensor([1,5])),
     (AssertionError, 'Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 3 at index (1,)\nGreatest relative difference: 0.6000000238418579 at index (1,)')),
    (lambda: T(torch.tensor([[1,2],[3,4]]), torch.tensor([[1,5],[3,0]])),
     (AssertionError, 'Tensor-likes are not equal!\n\nMismatched elements: 2 / 4 (50.0%)\nGreatest absolute difference: 4 at index (1, 1)\nGreatest relative difference: inf at index (1, 1)')),
    (lambda: T(torch.tensor([True,False]), torch.tensor([True,True])),
     (AssertionError, 'Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 1 at index (1,)\nGreatest relative difference: 1.0 at index (1,)')),
    (lambda: T(torch.ones(2,3), torch.ones(3,2).t()),
     None),
    (lambda: T(torch.ones(2,3), torch.ones(3,2).t(), check_stride=True),
     (AssertionError, "The values for attribute 'stride()' do not match: (3, 1) != (1, 2).")),
    (lambda: T([torch.ones(2), torch.ones(2)], [torch.ones(2), torch.zeros(2)]),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 2 / 2 (100.0%)\nGreatest absolute difference: 1.0 at index (0,) (up to 1e-05 allowed)\nGreatest relative difference: inf at index (0,) (up to 1.3e-06 allowed)\n\nThe failure occurred for item [1]')),
    (lambda: T({"a": torch.ones(2)}, {"a": torch.zeros(2)}),
     (AssertionError, "Tensor-likes are not close!\n\nMismatched elements: 2 / 2 (100.0%)\nGreatest absolute difference: 1.0 at index (0,) (up to 1e-05 allowed)\nGreatest relative difference: inf at index (0,) (up to 1.3e-06 allowed)\n\nThe failure occurred for item ['a']")),
    (lambda: T({"a": [1, {"b": 2.0}]}, {"a": [1, {"b": 3.0}]}),
     (AssertionError, "Scalars are not close!\n\nExpected 3.0 but got 2.0.\nAbsolute difference: 1.0 (up to 1e-07 allowed)\nRelative difference: 0.3333333333333333 (up to 1e-07 allowed)\n\nThe failure occurred for item ['a'][1]['b']")),
    (lambda: T({"a": 1}, {"b": 1}),
     (AssertionError, "The keys of the mappings do not match:\nMissing keys in the actual mapping: ['b']\nAdditional keys in the actual mapping: ['a']")),
    (lambda: T([1,2],[1]),
     (AssertionError, 'The length of the sequences mismatch: 2 != 1')),
    (lambda: T([1,2],[1], msg="ignored"),
     (AssertionError, 'The length of the sequences mismatch: 2 != 1')),
    (lambda: T(torch.ones(2), [1.,1.]),
     (TypeError, "No comparison pair was able to handle inputs of type <class 'torch.Tensor'> and <class 'list'>.")),
    (lambda: T(torch.ones(2), 1.0 ),
     (TypeError, "No comparison pair was able to handle inputs of type <class 'torch.Tensor'> and <class 'float'>.")),
    (lambda: T(torch.ones(2).numpy(), torch.ones(2).numpy()*2),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 2 / 2 (100.0%)\nGreatest absolute difference: 1.0 at index (0,) (up to 1e-05 allowed)\nGreatest relative difference: 0.5 at index (0,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.ones(2), torch.ones(2), rtol=1e-3),
     (ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, but got no atol.")),
    (lambda: T(torch.ones(2), torch.ones(2), atol=1e-3),
     (ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, but got no rtol.")),
    (lambda: T(float('nan'), float('nan')),
     (AssertionError, 'Scalars are not close!\n\nExpected nan but got nan.\nAbsolute difference: nan (up to 1e-07 allowed)\nRelative difference: nan (up to 1e-07 allowed)')),
    (lambda: T(float('nan'), float('nan'), equal_nan=True),
     None),
    (lambda: T(torch.tensor([float('nan'), 1.]), torch.tensor([float('nan'), 1.])),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: nan at index (0,) (up to 1e-05 allowed)\nGreatest relative difference: nan at index (0,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([float('nan'), 1.]), torch.tensor([float('nan'), 1.]), equal_nan=True),
     None),
    (lambda: T(torch.tensor([float('inf'), 1.]), torch.tensor([1., 1.])),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: inf at index (0,) (up to 1e-05 allowed)\nGreatest relative difference: inf at index (0,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([float('inf'), 1.]), torch.tensor([float('inf'), 1.])),
     None),
    (lambda: T(torch.tensor([1+1j, 2]), torch.tensor([1+2j, 2])),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 1.0 at index (0,) (up to 1e-05 allowed)\nGreatest relative difference: 0.4472135901451111 at index (0,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([1.,2.], dtype=torch.float16), torch.tensor([1.,2.1], dtype=torch.float16)),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 0.099609375 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: 0.047454833984375 at index (1,) (up to 0.001 allowed)')),
    (lambda: T(torch.tensor([1.,2.], dtype=torch.bfloat16), torch.tensor([1.,2.1], dtype=torch.bfloat16)),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 0.09375 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: 0.044677734375 at index (1,) (up to 0.016 allowed)')),
    (lambda: T(torch.tensor([1,2], dtype=torch.uint8), torch.tensor([3,2], dtype=torch.uint8)),
     (AssertionError, 'Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 2 at index (0,)\nGreatest relative difference: 0.6666666865348816 at index (0,)')),
    (lambda: T(torch.tensor([1.,1.]), torch.tensor([1.,0.])),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 1.0 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: inf at index (1,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([1,2]), torch.tensor([1.,2.]), check_dtype=False),
     None),
    (lambda: T(torch.tensor([1,2]), torch.tensor([1.,2.5]), check_dtype=False),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)')),
    (lambda: T((1, 2.0), (1, 2.5)),
     (AssertionError, 'Scalars are not close!\n\nExpected 2.5 but got 2.0.\nAbsolute difference: 0.5 (up to 1e-07 allowed)\nRelative difference: 0.2 (up to 1e-07 allowed)\n\nThe failure occurred for item [1]')),
    (lambda: T(torch.tensor([1.]), torch.tensor([2.]), rtol=0.1, atol=0.1, msg=lambda m: m.upper()),
     (AssertionError, 'TENSOR-LIKES ARE NOT CLOSE!\n\nMISMATCHED ELEMENTS: 1 / 1 (100.0%)\nGREATEST ABSOLUTE DIFFERENCE: 1.0 AT INDEX (0,) (UP TO 0.1 ALLOWED)\nGREATEST RELATIVE DIFFERENCE: 0.5 AT INDEX (0,) (UP TO 0.1 ALLOWED)')),
    (lambda: T(torch.tensor(3), torch.tensor(4)),
     (AssertionError, 'Scalars are not equal!\n\nExpected 4 but got 3.\nAbsolute difference: 1\nRelative difference: 0.25')),
    (lambda: T("a", "b"),
     (TypeError, "No comparison pair was able to handle inputs of type <class 'str'> and <class 'str'>.")),
    (lambda: T(torch.tensor([2.]), torch.tensor([0.])),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 1 (100.0%)\nGreatest absolute difference: 2.0 at index (0,) (up to 1e-05 allowed)\nGreatest relative difference: inf at index (0,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([1.,2.,3.,4.]), torch.tensor([1.1,2.,3.,4.4]), rtol=0.05, atol=0.0),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 2 / 4 (50.0%)\nGreatest absolute difference: 0.40000009536743164 at index (3,) (up to 0.0 allowed)\nGreatest relative difference: 0.09090910851955414 at index (0,) (up to 0.05 allowed)')),
    (lambda: T(torch.tensor([[1.,2.],[3.,4.]]).to_sparse(), torch.tensor([[1.,2.],[3.,5.]]).to_sparse()),
     (AssertionError, 'Sparse COO values are not close!\n\nMismatched elements: 1 / 4 (25.0%)\nGreatest absolute difference: 1.0 at index (3,) (up to 1e-05 allowed)\nGreatest relative difference: 0.20000000298023224 at index (3,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([[1.,2.],[3.,4.]]).to_sparse(), torch.tensor([[1.,2.],[3.,4.]])),
     (AssertionError, "The values for attribute 'layout' do not match: torch.sparse_coo != torch.strided.")),
    (lambda: T(torch.tensor([[1.,2.],[3.,4.]]).to_sparse(), torch.tensor([[1.,2.],[3.,5.]]), check_layout=False),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 4 (25.0%)\nGreatest absolute difference: 1.0 at index (1, 1) (up to 1e-05 allowed)\nGreatest relative difference: 0.20000000298023224 at index (1, 1) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([[1.,0.],[3.,4.]]).to_sparse_csr(), torch.tensor([[1.,2.],[3.,4.]]).to_sparse_csr()),
     (AssertionError, 'The number of specified values in sparse CSR tensors does not match: 3 != 4')),
    (lambda: T(torch.tensor([[1.,2.],[3.,4.]]).to_sparse_csr(), torch.tensor([[1.,2.],[3.,5.]]).to_sparse_csr()),
     (AssertionError, 'Sparse CSR values are not close!\n\nMismatched elements: 1 / 4 (25.0%)\nGreatest absolute difference: 1.0 at index (3,) (up to 1e-05 allowed)\nGreatest relative difference: 0.20000000298023224 at index (3,) (up to 1.3e-06 allowed)')),
    (lambda: T(torch.tensor([1.,2.]).to(torch.float8_e4m3fn), torch.tensor([1.,3.]).to(torch.float8_e4m3fn)),
     (AssertionError, "Tensor-likes are not 'equal'!\n\nMismatched elements: 1 / 2 (50.0%)\nThe first mismatched element is at index (1,).")),
    (lambda: T(torch.tensor([1.,2.]).to(torch.float8_e4m3fn), torch.tensor([1.,3.]).to(torch.float8_e4m3fn), rtol=0.1, atol=0.1),
     (AssertionError, 'Rtol=0.1 and atol=0.1 are not supported for bitwise comparison of low dimensional floats. Please use rtol=0.0 and atol=0.0.')),
    (lambda: T(torch.tensor([1,2], dtype=torch.uint16), torch.tensor([1,3], dtype=torch.int8), check_dtype=False),
     (AssertionError, 'Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 1 at index (1,)\nGreatest relative difference: 0.3333333432674408 at index (1,)')),
    (lambda: T(_requiring_grad(torch.tensor([1.,2.])), torch.tensor([1.,3.])),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 1.0 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: 0.3333333432674408 at index (1,) (up to 1.3e-06 allowed)')),
    (lambda: T(np.array([1.,2.]), np.array([1.,3.])),
     (AssertionError, 'Tensor-likes are not close!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 1.0 at index (1,) (up to 1e-07 allowed)\nGreatest relative difference: 0.3333333333333333 at index (1,) (up to 1e-07 allowed)')),
    (lambda: T(torch.tensor(True), torch.tensor(False)),
     (AssertionError, 'Scalars are not equal!\n\nExpected False but got True.\nAbsolute difference: 1\nRelative difference: inf')),
    (lambda: T(torch.zeros(0), torch.zeros(0)),
     None),
    (lambda: T(torch.tensor([1e-9]), torch.tensor([1e-10]), rtol=0, atol=0),
     (AssertionError, 'Tensor-likes are not equal!\n\nMismatched elements: 1 / 1 (100.0%)\nGreatest absolute difference: 8.999999634440314e-10 at index (0,)\nGreatest relative difference: 8.999999046325684 at index (0,)')),
]


def _requiring_grad(t):
    pytest.importorskip("tensorgraft.autograd")  # (the tensor-core-only environment lacks it: skipped there)
    return t.requires_grad_(True)


@pytest.mark.parametrize("i", range(len(CASES)))
def test_matches_pytorch(i):
    case, expected = CASES[i]
    if expected is None:
        case()
        return
    exc_type, message = expected
    with pytest.raises(exc_type) as info:
        case()
    assert type(info.value) is exc_type
    assert str(info.value) == message.replace("torch.Tensor", "tensorgraft.Tensor")


def test_signature_is_pytorchs():
    # inspect.signature(torch.testing.assert_close) in PyTorch 2.13 (annotations left out)
    params = inspect.signature(T).parameters
    assert list(params) == ["actual", "expected", "allow_subclasses", "rtol", "atol", "equal_nan", "check_device",
                            "check_dtype", "check_layout", "check_stride", "msg"]
    assert {n: p.default for n, p in params.items() if p.default is not inspect.Parameter.empty} == {
        "allow_subclasses": True, "rtol": None, "atol": None, "equal_nan": False, "check_device": True,
        "check_dtype": True, "check_layout": True, "check_stride": False, "msg": None}
    assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in list(params)[2:])


def test_docstring_example_assert_equal():
    with pytest.raises(AssertionError, match="^Scalars are not equal!"):
        ae(1e-9, 1e-10)


def test_tensor_against_numpy_array_is_compared():
    # tensorgraft's one leniency (PyTorch raises TypeError): the conformance kit compares to NumPy
    T(torch.tensor([1.0, 2.0], dtype=torch.float64), np.array([1.0, 2.0]))
    with pytest.raises(AssertionError, match="Tensor-likes are not close!"):
        T(np.array([1.0, 2.0]), torch.tensor([1.0, 3.0], dtype=torch.float64))


def test_subclass_handling():
    nn = pytest.importorskip("tensorgraft.nn")
    p = nn.Parameter(torch.ones(2))
    T(p, torch.ones(2))
    with pytest.raises(TypeError, match="^No comparison pair was able to handle inputs of type "):
        T(p, torch.ones(2), allow_subclasses=False)


def test_assert_allclose_still_works():
    with pytest.warns(FutureWarning):
        torch.testing.assert_allclose(torch.tensor([1.0, 2.0]), [1.0, 2.00001])
