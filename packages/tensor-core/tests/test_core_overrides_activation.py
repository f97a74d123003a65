"""When ``__torch_function__`` dispatch turns on (``overrides/_binding.py``): not at import, not for
``import torch`` next to tensorgraft, not for opted-out subclasses; on the first Tensor subclass, the
first tensor-like class in a module that uses tensorgraft, or the first mode. Each case runs in a
fresh interpreter, since turning on is for the whole process."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

REPORT = """
import builtins, sys
binding = sys.modules.get("tensorgraft.overrides._binding")
print("active", bool(binding and binding.active), "watching", builtins.__build_class__.__module__ == "tensorgraft._C",
      "wrapped", hasattr(tg.add, "__torch_function_wrapped__"))
"""


def _run(code: str, **env) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code) + REPORT], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_import_leaves_ops_unwrapped_and_watches_class_statements():
    assert _run("import tensorgraft as tg\nx = tg.ones(2) + 1\nclass Plain: pass\n") == \
        "active False watching True wrapped False"


def test_a_tensor_subclass_turns_dispatch_on_and_ends_the_watch():
    assert _run("import tensorgraft as tg\nclass Sub(tg.Tensor): pass\n") == "active True watching False wrapped True"


def test_an_opted_out_subclass_does_not():
    assert _run("import tensorgraft as tg\nclass Quiet(tg.Tensor):\n"
                "    __torch_function__ = tg._C._disabled_torch_function_impl\n") == \
        "active False watching True wrapped False"


def test_a_tensor_like_class_in_a_module_using_tensorgraft_does():
    code = """
    import tensorgraft as tg
    class Duck:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return "duck"
    assert tg.mean(Duck()) == "duck"
    """
    assert _run(code) == "active True watching False wrapped True"


def test_a_tensor_like_class_in_a_module_without_tensorgraft_does_not():
    code = """
    import types
    other = types.ModuleType("other")
    exec("class Duck:\\n    def __torch_function__(self, *a): return 1\\n", other.__dict__)
    import tensorgraft as tg
    exec("class Duck2:\\n    def __torch_function__(self, *a): return 1\\n", {"__name__": "elsewhere"})
    """
    assert _run(code) == "active False watching True wrapped False"


def test_importing_pytorch_next_to_tensorgraft_does_not():
    pytest.importorskip("torch")
    assert _run("import tensorgraft as tg\nimport torch\nx = torch.ones(1)\n") == \
        "active False watching True wrapped False"


def test_the_watch_can_be_turned_off():
    code = """
    import tensorgraft as tg
    class Duck:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return "duck"
    """
    assert _run(code, TENSORGRAFT_WATCH_CLASSES="0") == "active False watching False wrapped False"


def test_entering_a_mode_does():
    # a mode class written where the watch is off (or before it was installed) turns dispatch on when entered
    code = """
    import tensorgraft as tg
    from tensorgraft.overrides import TorchFunctionMode
    seen = []
    class Seen(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(func.__name__)
            return func(*args, **(kwargs or {}))
    with Seen():
        tg.ones(1)
    assert seen == ["ones"], seen
    """
    assert _run(code, TENSORGRAFT_WATCH_CLASSES="0") == "active True watching False wrapped True"


def test_names_imported_before_activation_are_rebound_to_the_wrappers():
    code = """
    import tensorgraft as tg
    from tensorgraft import sin, add
    from tensorgraft import linalg
    norm = linalg.norm
    def held(f=sin):                              # held other than as a module global: stays unwrapped
        return f
    class Sub(tg.Tensor): pass
    s = tg.ones(2).as_subclass(Sub)
    print(type(sin(s)).__name__, type(add(s, 1)).__name__, type(norm(s)).__name__, sin is tg.sin,
          hasattr(held(), "__torch_function_wrapped__"))
    """
    proc = subprocess.run([sys.executable, "-c", "import sys\n" + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["Sub", "Sub", "Sub", "True", "False"]
