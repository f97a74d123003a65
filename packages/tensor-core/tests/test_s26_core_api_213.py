"""PyTorch 2.13 API found missing by running its docstring examples under tensorgraft:
``compiler.set_default_backend`` and the rest of ``torch.compiler.__all__``, and ``asarray``'s
``requires_grad``/``copy``/``dtype`` combinations. Expected values were computed with PyTorch 2.13
(CPU build); no PyTorch is imported here."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg

# torch.compiler.__all__ of PyTorch 2.13, less ``config`` and ``load_compiled_function`` (nothing
# to configure or load without a compiler; see compiler.py)
_COMPILER_NAMES = {
    "allow_in_graph", "assume_constant_result", "compile", "cudagraph_mark_step_begin", "disable",
    "get_default_backend", "is_compiling", "is_dynamo_compiling", "is_exporting", "keep_portable_guards_unsafe",
    "keep_tensor_guards_unsafe", "list_backends", "load_cache_artifacts", "nested_compile_region", "reset",
    "save_cache_artifacts", "set_default_backend", "set_enable_guard_collectives", "set_stance",
    "skip_all_guards_unsafe", "skip_guard_on_all_nn_modules_unsafe", "skip_guard_on_globals_unsafe",
    "skip_guard_on_inbuilt_nn_modules_unsafe", "substitute_in_graph", "wrap_numpy"}


def test_compiler_names():
    assert set(tg.compiler.__all__) == _COMPILER_NAMES
    assert all(hasattr(tg.compiler, name) for name in _COMPILER_NAMES)


def test_default_backend():
    c = tg.compiler
    try:
        assert c.get_default_backend() == "inductor"
        c.set_default_backend("eager")  # the docstring's example
        assert c.get_default_backend() == "eager"
        with pytest.raises(TypeError, match="^backend must be a string or callable, got <class 'int'>$"):
            c.set_default_backend(1)
        assert c.get_default_backend() == "eager"

        def backend(gm, inputs):
            return gm
        c.set_default_backend(backend)
        assert c.get_default_backend() is backend
        c.set_default_backend("foo")  # compile() without a backend uses (and checks) the default
        with pytest.raises(RuntimeError, match="^Invalid backend: 'foo'"):
            tg.compile(lambda x: x)
        assert tg.compile(lambda x: x + 1, backend="eager")(1) == 2
    finally:
        c.set_default_backend(None)
    assert c.get_default_backend() == "inductor"


def test_set_stance_and_small_helpers():
    c = tg.compiler
    with pytest.raises(RuntimeError, match="^non-default stance cannot have force_backend set$"):
        c.set_stance("force_eager", force_backend="eager")
    with c.set_stance("force_eager"):
        assert c.set_stance._current[0] == "force_eager"
    assert c.set_stance._current[0] == "default"

    @c.set_stance("fail_on_recompile")
    def f(x):
        return c.set_stance._current[0], x
    assert f(1) == ("fail_on_recompile", 1) and c.set_stance._current[0] == "default"
    assert c.cudagraph_mark_step_begin() is None
    assert c.nested_compile_region()(lambda x: x)(3) == 3
    assert c.save_cache_artifacts() is None and c.load_cache_artifacts(b"") is None
    assert c.set_enable_guard_collectives(True) is False and c.set_enable_guard_collectives(False) is True
    with pytest.raises(TypeError, match="^Signature mismatch between <built-in function len> and"):
        c.substitute_in_graph(len)(lambda x: 0)
    g = c.substitute_in_graph(lambda x: x)(lambda x: 0)
    assert g(5) == 0


def test_wrap_numpy():
    # PyTorch 2.13: np.sin(ones) + y as a tensor: [1.8415, 1.8415]
    f = tg.compiler.wrap_numpy(lambda x, y: np.sin(x) + y)
    out = f(tg.ones(2), tg.ones(2))
    assert isinstance(out, tg.Tensor) and out.dtype == tg.float32
    assert np.allclose(out.numpy(), [1.841471, 1.841471])
    assert isinstance(f(tg.ones(2), 1), tg.Tensor)


class _Entry:
    def __init__(self, guard_type, is_global=False, value=None):
        self.guard_type, self.is_global, self.value = guard_type, is_global, value


def test_guard_filters():
    c = tg.compiler
    entries = [_Entry("TENSOR_MATCH"), _Entry("GLOBAL_STATE", True), _Entry("TENSOR_MATCH", True), _Entry("ID_MATCH")]
    assert c.skip_all_guards_unsafe(entries) == [False] * 4
    assert c.skip_guard_on_globals_unsafe(entries) == [True, False, False, True]
    assert c.keep_tensor_guards_unsafe(entries) == [True, False, True, False]
    assert c.keep_portable_guards_unsafe(entries) == [True, True, False, False]


def _state(r, src):
    return (r.dtype, r.requires_grad, r.is_leaf, type(r.grad_fn).__name__ if r.grad_fn is not None else None,
            r is src, r.data_ptr() == src.data_ptr())


def _fresh(kind):
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    return a if kind == "leaf" else a + 2


F32, F64 = tg.float32, tg.float64

# PyTorch 2.13 for asarray(src, copy=, requires_grad=, dtype=) of a leaf requiring grad and a
# non-leaf: (dtype, requires_grad, is_leaf, grad_fn, result is src, shares src's memory)
_ASARRAY_CASES = [
    ("leaf", None, None, F64, (F64, True, False, "ToCopyBackward0", False, False)),
    ("leaf", None, False, None, (F32, False, True, None, True, True)),  # src itself stops requiring grad
    ("leaf", None, False, F64, (F64, False, True, None, False, False)),
    ("leaf", True, None, None, (F32, True, False, "CloneBackward0", False, False)),
    ("leaf", True, False, None, (F32, False, True, None, False, False)),
    ("leaf", False, True, None, (F32, True, True, None, True, True)),
    ("nonleaf", None, None, None, (F32, True, False, "AddBackward0", True, True)),
    ("nonleaf", None, False, None, (F32, False, True, None, False, True)),  # "Shares memory ..., with no grad"
    ("nonleaf", None, False, F64, (F64, False, True, None, False, False)),
    ("nonleaf", True, None, None, (F32, True, False, "CloneBackward0", False, False)),
    ("nonleaf", True, True, F64, (F64, True, False, "ToCopyBackward0", False, False)),
    ("nonleaf", True, False, None, (F32, False, True, None, False, False)),
    ("nonleaf", False, False, F32, (F32, False, True, None, False, True)),
]


@pytest.mark.parametrize("kind,copy,requires_grad,dtype,expected", _ASARRAY_CASES)
def test_asarray_grad_and_copy(kind, copy, requires_grad, dtype, expected):
    pytest.importorskip("tensorgraft.autograd")
    src = _fresh(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = tg.asarray(src, copy=copy, requires_grad=requires_grad, dtype=dtype)
    assert _state(r, src) == expected
    if expected[1:3] == (False, True) and expected[4] and kind == "leaf":
        assert not src.requires_grad


def test_asarray_no_grad_and_errors():
    pytest.importorskip("tensorgraft.autograd")
    with tg.no_grad():  # PyTorch 2.13: the copy is made without history, then requires grad as its source
        leaf = _fresh("leaf")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = tg.asarray(leaf, copy=True)
    assert (r.requires_grad, r.is_leaf, r is leaf) == (True, True, False)
    for dtype_call in (lambda: tg.asarray(_fresh("nonleaf"), dtype=tg.int64),
                       lambda: tg.asarray(tg.tensor([1, 2]), requires_grad=True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype can require "
                                                   "gradients$"):
                dtype_call()
    r = tg.asarray(_fresh("nonleaf"), dtype=tg.int64, requires_grad=False)
    assert (r.dtype, r.requires_grad) == (tg.int64, False)
    with pytest.raises(ValueError, match="^can't alias tensor with dtype 'Float' into dtype 'Double'.$"):
        tg.asarray(_fresh("leaf"), copy=False, dtype=tg.float64)


def test_asarray_requires_grad_warning_is_once_per_process():
    pytest.importorskip("tensorgraft.autograd")
    src = _fresh("leaf")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        tg.asarray(src)
        tg.asarray(src)
    assert sum("unspecified requires_grad" in str(w.message) for w in seen) <= 1
    tg.set_warn_always(True)
    try:
        with pytest.warns(UserWarning, match="^torch.asarray: unspecified requires_grad now defaults to "
                                             "obj.requires_grad instead of False."):
            tg.asarray(src)
    finally:
        tg.set_warn_always(False)


def test_asarray_docstring_no_grad_alias():
    pytest.importorskip("tensorgraft.autograd")
    # PyTorch's docstring: "Shares memory with tensor 'b', with no grad"
    a = tg.tensor([1, 2, 3], dtype=tg.float32, requires_grad=True)
    b = a + 2
    c = tg.asarray(b, requires_grad=False)
    assert c.grad_fn is None and not c.requires_grad and c.data_ptr() == b.data_ptr()
    d = tg.asarray(b, requires_grad=True)  # "Shares memory with tensor 'b', with grad"
    assert d is b and type(d.grad_fn).__name__ == "AddBackward0"
