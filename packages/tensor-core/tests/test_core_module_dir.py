"""dir(tensorgraft) lists the lazily resolved names of the installed parts, and only those."""
import importlib.util

import tensorgraft as tg


def _installed(part):
    try:  # a missing part's finder raises the error that names its distribution
        return importlib.util.find_spec(f"tensorgraft.{part}") is not None
    except ModuleNotFoundError:
        return False


def test_dir_lists_lazy_names_and_every_listed_name_resolves():
    names = dir(tg)
    assert names == sorted(set(names))
    for name in ("tensor", "float32", "compile", "compiler", "use_deterministic_algorithms", "autocast", "fft",
                 "distributions", "accelerator"):
        assert name in names
    for name in names:   # nothing listed raises: hasattr agrees with dir
        getattr(tg, name)


def test_dir_follows_the_installed_parts():
    names = set(dir(tg))
    assert ("nn" in names) == _installed("nn")
    assert ("dropout" in names) == _installed("nn")          # top-level spellings of nn.functional
    assert ("optim" in names) == _installed("optim")
    assert ("vmap" in names) == ("set_anomaly_enabled" in names) == _installed("autograd")
