"""tensorgraft-optim registers its optimizers and schedulers as ``"module:Class"`` references, so
``import tensorgraft`` imports none of their modules; names, owners and duplicates work as before."""
from __future__ import annotations

import subprocess
import sys

import pytest

import tensorgraft as tg
from tensorgraft.optim import _plugin, lr_scheduler
from tensorgraft.registry import DuplicateRegistrationError, Registrar, registry


def test_plugin_lists_every_builtin_scheduler():
    assert sorted(_plugin.BUILTIN_SCHEDULERS) == sorted(lr_scheduler.BUILTIN_SCHEDULERS)


def test_builtins_resolve_to_their_classes():
    from tensorgraft.optim.adam import Adam
    assert tg.optim.Adam is Adam and registry.optimizers["Adam"] is Adam
    assert registry.optimizer_owner["Adam"] == "tensorgraft-optim"
    assert registry.schedulers["StepLR"] is lr_scheduler.StepLR
    assert set(_plugin.BUILTIN_OPTIMIZERS) <= set(registry.optimizers)  # other tests may add their own


def test_import_tensorgraft_loads_no_optimizer_module():
    code = ("import sys, tensorgraft as tg; "
            "print(sorted(m for m in sys.modules if m.startswith('tensorgraft.optim.') and m not in "
            "('tensorgraft.optim._plugin', 'tensorgraft.optim.hookspecs'))); "
            "print(tg.optim.SGD.__module__, 'SGD' in dir(tg.optim))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "tensorgraft.optim.sgd True"]


def test_duplicate_reference_names_both_distributions():
    with pytest.raises(DuplicateRegistrationError, match="'SGD' is registered by both tensorgraft-optim and tg-other"):
        Registrar(registry, "tg-other").register_optimizer("tg_other.opt:SGD")
    assert registry.optimizers["SGD"].__module__ == "tensorgraft.optim.sgd"


def test_bad_reference_is_refused():
    with pytest.raises(ValueError, match="package.module:Class"):
        Registrar(registry, "tg-other").register_optimizer("tg_other.opt.Lion")
    assert "Lion" not in registry.optimizers
