"""torch.compile's argument checks and torch.compiler's answers, against PyTorch."""
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402


def _f(x):
    return x + 1


@pytest.mark.parametrize("model, kwargs", [(3, {}), (_f, {"mode": "bad"})])
def test_compile_errors_match(model, kwargs):
    with pytest.raises(Exception) as theirs:
        torch.compile(model, **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        tg.compile(model, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_compiler_answers_match():
    for name in ("is_compiling", "is_dynamo_compiling", "is_exporting"):
        assert getattr(tg.compiler, name)() == getattr(torch.compiler, name)()
    assert tg.compiler.list_backends() == torch.compiler.list_backends()
