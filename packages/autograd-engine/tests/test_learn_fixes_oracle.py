"""The fixes of test_learn_fixes.py against PyTorch itself."""
import numpy as np
import pytest

from tensorgraft.testing.oracle import assert_values_close, run_in_both

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.nn")


def test_func_public_names_include_pytorchs_batch_norm_patching():
    import tensorgraft.func
    # (isidentifier: pytest's assertion rewriting of an installed plugin's distribution adds
    # '@py_builtins'-style names to its modules)
    ours = {n for n in dir(tensorgraft.func) if n.isidentifier() and not n.startswith("_")}
    theirs = {n for n in dir(torch.func) if n.isidentifier() and not n.startswith("_")}
    assert "replace_all_batch_norm_modules_" in ours
    assert ours <= theirs


def test_replace_all_batch_norm_modules_matches():
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)

    def call(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.BatchNorm1d(4),
                              lib.nn.Sequential(lib.nn.BatchNorm2d(2), lib.nn.InstanceNorm1d(2, track_running_stats=True)))
        lib.func.replace_all_batch_norm_modules_(m)
        m.eval()
        return list(m.state_dict()), [n for n, _ in m.named_buffers()], repr(m), m[1](m[0](lib.tensor(x)))

    ours, theirs = run_in_both(call)
    assert ours[:3] == theirs[:3]
    assert_values_close(ours[3].detach(), theirs[3].detach())


@pytest.mark.parametrize("remove", ["mutations", "mutations_and_views", "bad"])
def test_functionalize_matches(remove):
    def call(lib):
        def f(x):
            y = x.clone()
            y.add_(1)
            x.mul_(2)
            return y.view(-1), x.t()
        x = lib.ones(2, 2)
        out = lib.func.functionalize(f, remove=remove)(x)
        return out[0], out[1], x, [o._base is None for o in out]

    if remove == "bad":
        from tensorgraft.testing.oracle import assert_same_error
        assert_same_error(call)
        return
    ours, theirs = run_in_both(call)
    for o, t in zip(ours[:3], theirs[:3]):
        assert_values_close(o, t)
    assert ours[3] == theirs[3]
