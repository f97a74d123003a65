"""``tensorgraft.testing.oracle`` with real PyTorch results: each helper passes where tensorgraft and
PyTorch agree and fails, with a message naming the difference, on each kind of disagreement."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import (  # noqa: E402
    as_both, assert_same_error, assert_same_refusal, assert_same_result, assert_values_close, error_of, grad_fn_name,
    run_in_both, to_numpy)


def test_as_both_makes_the_same_tensor_in_each_library():
    data = np.random.default_rng(0).standard_normal((2, 3))
    ours, theirs = as_both(data)
    assert isinstance(ours, tg.Tensor) and isinstance(theirs, torch.Tensor)
    assert str(ours.dtype) == str(theirs.dtype) == "torch.float64"
    assert not ours.requires_grad and not theirs.requires_grad
    np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
    ours, theirs = as_both([[1, 2]], dtype="float32", requires_grad=True)
    assert str(ours.dtype) == str(theirs.dtype) == "torch.float32"
    assert ours.requires_grad and theirs.requires_grad and tuple(ours.shape) == tuple(theirs.shape) == (1, 2)
    ours, theirs = as_both([1, 2])
    assert str(ours.dtype) == str(theirs.dtype) == "torch.int64"


def test_run_in_both_calls_with_each_library():
    ours, theirs = run_in_both(lambda lib: lib.arange(4).reshape(2, 2))
    assert isinstance(ours, tg.Tensor) and isinstance(theirs, torch.Tensor)
    np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))


def test_to_numpy_resolves_a_lazy_torch_conjugate():
    t = torch.tensor([1 + 2j]).conj()
    assert t.is_conj()
    np.testing.assert_array_equal(to_numpy(t), [1 - 2j])
    np.testing.assert_array_equal(to_numpy(-torch.tensor([1 + 2j]).conj().imag), [2.0])


def test_grad_fn_name_agrees_across_libraries():
    x, tx = as_both([0.5, 2.0], requires_grad=True)
    assert grad_fn_name(x) is None and grad_fn_name(tx) is None
    for make in (lambda t: t * 2, lambda t: t.exp().sum(), lambda t: t[0]):
        assert grad_fn_name(make(x)) == grad_fn_name(make(tx)) is not None
    assert grad_fn_name(x * 2) != grad_fn_name(tx.sum())


def test_error_of_compares_outcomes():
    assert error_of(lambda: tg.ones(2).view(3)) == error_of(lambda: torch.ones(2).view(3))
    assert error_of(lambda: tg.ones(2).view(2)) is None
    assert error_of(lambda: tg.ones(2).view(3)) != error_of(lambda: torch.ones(2).view(5))


class TestAssertValuesClose:
    def test_agreement(self):
        x, tx = as_both(np.random.default_rng(1).standard_normal((3, 4)))
        assert_values_close(x.exp(), tx.exp())
        assert_values_close(x.sum(0), tx.sum(0), rtol=0, atol=1e-12)

    def test_values_beyond_the_tolerance(self):
        with pytest.raises(AssertionError, match="Not equal to tolerance"):
            assert_values_close(tg.tensor([1.0, 2.0]), torch.tensor([1.0, 2.001]))
        assert_values_close(tg.tensor([1.0, 2.0]), torch.tensor([1.0, 2.001]), rtol=1e-3, atol=0)

    def test_default_tolerances_follow_pytorchs_for_the_dtype(self):
        # float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7 both; integers: exact
        assert_values_close(tg.tensor([100.0]), torch.tensor([100.0001]))
        with pytest.raises(AssertionError):
            assert_values_close(tg.tensor([100.0]), torch.tensor([100.001]))
        with pytest.raises(AssertionError):
            assert_values_close(tg.tensor([100.0], dtype=tg.float64), torch.tensor([100.0001], dtype=torch.float64))
        with pytest.raises(AssertionError):
            assert_values_close(tg.tensor([3]), torch.tensor([4]))

    def test_shape(self):
        with pytest.raises(AssertionError, match=r"shape \(2,\) where PyTorch gives \(1, 2\)"):
            assert_values_close(tg.ones(2), torch.ones(1, 2))
        with pytest.raises(AssertionError, match=r"shape \(\) where PyTorch gives \(1,\)"):
            assert_values_close(tg.tensor(1.0), torch.ones(1))

    def test_dtype(self):
        with pytest.raises(AssertionError, match="mine: dtype float32 where PyTorch gives float64"):
            assert_values_close(tg.ones(2), torch.ones(2, dtype=torch.float64), msg="mine")
        assert_values_close(tg.ones(2), torch.ones(2, dtype=torch.float64), check_dtype=False)

    def test_nan(self):
        assert_values_close(tg.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]))
        with pytest.raises(AssertionError):
            assert_values_close(tg.tensor([float("nan")]), torch.tensor([float("nan")]), equal_nan=False)
        with pytest.raises(AssertionError):
            assert_values_close(tg.tensor([1.0]), torch.tensor([float("nan")]))

    def test_complex(self):
        z = np.array([1 + 2j, -3j])
        assert_values_close(tg.tensor(z).conj(), torch.tensor(z).conj())
        with pytest.raises(AssertionError):
            assert_values_close(tg.tensor(z), torch.tensor(z).conj())


class TestAssertSameResult:
    def test_nested_agreement(self):
        def call(lib):
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            return (x * 2, [x.detach(), 3], {"a": x.sum(), "b": "text"})
        assert_same_result(*run_in_both(call))

    @pytest.mark.parametrize("ours,theirs,message", [
        (lambda: 1.0, lambda: torch.ones(()), r"result: float where PyTorch gives a Tensor"),
        (lambda: tg.ones(2, requires_grad=True), lambda: torch.ones(2),
         r"result: requires_grad=True where PyTorch gives False"),
        (lambda: tg.ones(2), lambda: torch.ones(3), r"result: shape \(2,\) where PyTorch gives \(3,\)"),
        (lambda: tg.ones(2), lambda: torch.zeros(2), r"Not equal to tolerance[^\n]*\nresult\n"),
        (lambda: (tg.ones(1),), lambda: [torch.ones(1)], r"result: tuple where PyTorch gives list"),
        (lambda: (tg.ones(1),), lambda: (torch.ones(1), 2), r"result: 1 items where PyTorch gives 2"),
        (lambda: {"b": 1, "a": 2}, lambda: {"a": 2, "b": 1}, r"keys \['a', 'b'\]"),
        (lambda: (1, {"k": 2}), lambda: (1, {"k": 3}), r"result\[1\]\['k'\]: 2 where PyTorch gives 3"),
        (lambda: (tg.ones(1, dtype=tg.float64),), lambda: (torch.ones(1),),
         r"result\[0\]: dtype float64 where PyTorch gives float32"),
    ], ids=["not_a_tensor", "requires_grad", "shape", "values", "container_type", "length", "dict_keys",
            "plain_value", "dtype"])
    def test_each_disagreement_fails(self, ours, theirs, message):
        with pytest.raises(AssertionError, match=message):
            assert_same_result(ours(), theirs())

    def test_switches(self):
        assert_same_result(tg.ones(1, dtype=tg.float64), torch.ones(1), check_dtype=False)
        assert_same_result(tg.ones(1, requires_grad=True), torch.ones(1), check_requires_grad=False)
        assert_same_result(tg.tensor([1.0]), torch.tensor([1.01]), rtol=0.1, atol=0)


class TestAssertSameError:
    def test_agreement_with_two_callables(self):
        err = assert_same_error(lambda: tg.ones(2).view(3), lambda: torch.ones(2).view(3))
        assert isinstance(err, RuntimeError) and "invalid for input of size 2" in str(err)

    def test_agreement_with_one_callable_of_the_library(self):
        assert_same_error(lambda lib: lib.zeros(2, 3).sum(dim=5))

    def test_pytorch_must_raise(self):
        with pytest.raises(AssertionError, match="PyTorch raised no error"):
            assert_same_error(lambda lib: lib.ones(2).view(2))

    def test_tensorgraft_must_raise(self):
        with pytest.raises(AssertionError, match="tensorgraft raised nothing where PyTorch raises RuntimeError"):
            assert_same_error(lambda: tg.ones(3).view(3), lambda: torch.ones(2).view(3))

    def test_the_class_must_match(self):
        with pytest.raises(AssertionError, match="tensorgraft raises IndexError .* where PyTorch raises RuntimeError"):
            assert_same_error(lambda: tg.zeros(2).sum(dim=5), lambda: torch.ones(2).view(3))

    def test_the_message_must_match(self):
        with pytest.raises(AssertionError, match="RuntimeError messages differ"):
            assert_same_error(lambda: tg.ones(2).view(5), lambda: torch.ones(2).view(3))

    def test_library_specific_classes_compare_by_name(self):
        singular = np.zeros((2, 2))
        err = assert_same_error(lambda lib: lib.linalg.inv(lib.tensor(singular)))
        # tensorgraft's LinAlgError is its own class (a RuntimeError, like PyTorch's), matched by name
        assert isinstance(err, tg.linalg.LinAlgError) and not isinstance(err, torch.linalg.LinAlgError)

    def test_normalize(self):
        ours = lambda: (_ for _ in ()).throw(ValueError("first line\nour details"))  # noqa: E731
        theirs = lambda: (_ for _ in ()).throw(ValueError("first line\ntheir details"))  # noqa: E731
        with pytest.raises(AssertionError, match="messages differ"):
            assert_same_error(ours, theirs)
        assert_same_error(ours, theirs, normalize=lambda m: m.split("\n")[0])


class TestAssertSameRefusal:
    """Both raise NotImplementedError; ours starts with PyTorch's dispatcher sentence."""

    pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

    def test_a_matching_refusal_passes(self):
        assert_same_refusal(lambda lib: lib.softmax(lib.ones(2).to_sparse(), 0))

    def test_another_kernel_name_fails(self):
        # tensorgraft names its own kernel ('exp'), PyTorch 'aten::exp': not the same sentence
        with pytest.raises(AssertionError, match="does not start with PyTorch's"):
            assert_same_refusal(lambda lib: lib.ones(2).to_sparse().exp())

    def test_both_must_refuse(self):
        with pytest.raises(AssertionError, match="raised None, not NotImplementedError"):
            assert_same_refusal(lambda lib: lib.ones(2).sum())
