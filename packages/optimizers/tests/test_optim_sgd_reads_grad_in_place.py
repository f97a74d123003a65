"""SGD hands its kernel the gradient's own memory when the update only reads it: the gradients must
come out of step() unchanged in every configuration, and the parameters must move as PyTorch's
update rule says (checked against a NumPy transcription)."""
import itertools

import numpy as np
import pytest

tg = pytest.importorskip("tensorgraft")
optim = pytest.importorskip("tensorgraft.optim", reason="needs tensorgraft-optim")


@pytest.mark.parametrize("momentum,nesterov,wd,maximize",
                         [c for c in itertools.product([0.0, 0.9], [False, True], [0.0, 0.1], [False, True])
                          if not (c[1] and c[0] == 0)])
def test_sgd_leaves_gradients_untouched_and_updates_as_the_rule(momentum, nesterov, wd, maximize):
    rng = np.random.default_rng(0)
    p0, g0 = rng.standard_normal(40), rng.standard_normal(40)
    p = tg.tensor(p0.copy())  # no requires_grad: the optim-only environment has no autograd engine
    opt = optim.SGD([p], lr=0.1, momentum=momentum, nesterov=nesterov, weight_decay=wd, maximize=maximize)
    want, buf = p0.copy(), None
    for _ in range(3):
        p.grad = tg.tensor(g0.copy())
        opt.step()
        np.testing.assert_array_equal(p.grad.numpy(), g0)  # step() never writes into .grad
        d = -g0 if maximize else g0.copy()
        d = d + wd * want
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + d
            d = d + momentum * buf if nesterov else buf
        want = want - 0.1 * d
        np.testing.assert_allclose(p.numpy(), want, rtol=1e-12, atol=1e-12)
