"""torch.compile's argument checks and torch.compiler's answers, against PyTorch."""
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402


def _f(x):
    return x + 1


_TORCH_COMPILE_ERRORS = """
import torch
def f(x):
    return x + 1
for model, kwargs in ((3, {}), (f, {"mode": "bad"})):
    try:
        torch.compile(model, **kwargs)
    except Exception as e:
        print(type(e).__name__ + "|" + str(e))
"""


def test_compile_errors_match():
    # torch.compile imports torch._dynamo, which changes process-wide state other oracle tests
    # rely on: ask it in a child process
    import subprocess
    import sys
    lines = subprocess.run([sys.executable, "-c", _TORCH_COMPILE_ERRORS], capture_output=True, text=True,
                           check=True).stdout.strip().splitlines()
    for line, (model, kwargs) in zip(lines, ((3, {}), (_f, {"mode": "bad"}))):
        name, message = line.split("|", 1)
        with pytest.raises(Exception) as ours:
            tg.compile(model, **kwargs)
        assert (type(ours.value).__name__, str(ours.value)) == (name, message)
    assert len(lines) == 2


def test_compiler_answers_match():
    for name in ("is_compiling", "is_dynamo_compiling", "is_exporting"):
        assert getattr(tg.compiler, name)() == getattr(torch.compiler, name)()
    assert tg.compiler.list_backends() == torch.compiler.list_backends()
