"""Fixes found by the representation/meta-learning programs (tests/programs/learn_*.py):
``tensorgraft.func.replace_all_batch_norm_modules_`` and what ``dir(tensorgraft.func)`` lists."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.func as tfunc

nn = pytest.importorskip("tensorgraft.nn")


def test_func_dir_lists_the_public_names_only():
    names = [n for n in dir(tfunc) if not n.startswith("_")]
    assert "annotations" not in names
    assert "replace_all_batch_norm_modules_" in names and "replace_all_batch_norm_modules_" in tfunc.__all__


def test_replace_all_batch_norm_modules_drops_running_stats():
    tg.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4),
                      nn.Sequential(nn.BatchNorm2d(2), nn.InstanceNorm1d(2, track_running_stats=True)))
    assert tfunc.replace_all_batch_norm_modules_(m) is m
    bn = m[1]
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
    assert bn.track_running_stats is False and bn.weight is not None
    assert list(m.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "2.0.weight", "2.0.bias",
                                    "2.1.running_mean", "2.1.running_var", "2.1.num_batches_tracked"]
    assert m[2][1].track_running_stats is True  # instance norms are not batch norms
    # eval mode now normalizes with the batch's statistics too
    x = tg.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    bn.eval()
    out = bn(x).detach().numpy()
    assert np.allclose(out.mean(0), 0, atol=1e-5)


def test_replace_all_batch_norm_modules_lets_vmap_grad_run():
    tg.manual_seed(0)
    net = tfunc.replace_all_batch_norm_modules_(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)))
    params = {k: v.detach() for k, v in net.named_parameters()}

    def loss(p, xb, yb):
        return nn.functional.cross_entropy(tfunc.functional_call(net, p, (xb,)), yb)

    rng = np.random.default_rng(1)
    xs = tg.tensor(rng.standard_normal((4, 2, 3)).astype(np.float32))
    ys = tg.tensor(rng.integers(0, 2, (4, 2)))
    grads = tfunc.vmap(tfunc.grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    assert grads["1.weight"].shape == (4, 4)
    one = tfunc.grad(loss)(params, xs[2], ys[2])
    assert np.allclose(grads["1.weight"][2].numpy(), one["1.weight"].numpy(), atol=1e-6)


def test_functionalize_runs_the_function_and_keeps_input_mutations():
    def f(x):
        y = x.clone()
        y.add_(1)
        x.mul_(2)
        return y.view(-1)

    x = tg.ones(2, 2)
    out = tfunc.functionalize(f)(x)
    assert out.tolist() == [2.0, 2.0, 2.0, 2.0] and x.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert out._base is not None  # views stay views unless asked otherwise
    out = tfunc.functionalize(f, remove="mutations_and_views")(x)
    assert out.tolist() == [3.0] * 4 and out._base is None
    assert tfunc.functionalize(f).__name__ == "f"
    g = tfunc.grad(lambda t: tfunc.functionalize(lambda u: u.sin().sum())(t))(tg.tensor([0.0]))
    assert g.tolist() == [1.0]


def test_functionalize_refuses_an_unknown_remove():
    with pytest.raises(RuntimeError, match=r"^functionalize\(f, remove='mutations'\): received invalid argument for "
                                           r"remove=bad\. Valid options are:\n     remove='mutations': "):
        tfunc.functionalize(lambda x: x, remove="bad")
