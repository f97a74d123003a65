"""In-place ops on views record on the base (CopySlices), as PyTorch: also when only the other
operand requires grad (the base then starts to), and for the hand-written fill_/zero_/copy_."""
import pytest

import tensorgraft as tg

WEIGHTS = [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]

CASES = [("copy_", lambda o, s: o[0:2, 1].copy_(s * 3)),
         ("copy_ broadcast", lambda o, s: o[:, 1].copy_(s[0])),
         ("fill_ tensor", lambda o, s: o[1].fill_(s[1] * 2)),
         ("add_", lambda o, s: o[0:2, 1].add_(s)),
         ("mul_ after add_", lambda o, s: o[:2, 1].add_(1).mul_(s)),
         ("narrow/select add_", lambda o, s: o.narrow(0, 0, 2).select(1, 1).add_(s)),
         ("view add_", lambda o, s: o.view(-1)[0:2].add_(s)),
         ("zero_", lambda o, s: o[1].zero_()),
         ("fill_ number", lambda o, s: o[:, 0].fill_(5))]


def run(lib, base_requires_grad, write):
    s = lib.ones(2, requires_grad=True)
    x = lib.ones(3, 2, requires_grad=True)
    o = x * 2 if base_requires_grad else lib.zeros(3, 2)
    write(o, s)
    if not o.requires_grad:
        return None
    (o * lib.tensor(WEIGHTS)).sum().backward()
    name = o.grad_fn.name().split("::")[-1]
    grad = (lambda t: None if t is None else t.tolist())
    return name, o.detach().tolist(), grad(s.grad), grad(x.grad)


def test_write_into_a_view_of_a_plain_tensor_records_on_the_base():
    name, values, s_grad, x_grad = run(tg, False, CASES[0][1])
    assert name == "CopySlices" and values == [[0.0, 3.0], [0.0, 3.0], [0.0, 0.0]]
    assert s_grad == [3.0, 9.0] and x_grad is None  # d/ds of sum(w * o) through o[0:2,1] = 3s
    name, values, s_grad, _ = run(tg, False, CASES[2][1])
    assert name == "CopySlices" and values[1] == [2.0, 2.0] and s_grad == [0.0, 10.0]


def test_write_into_a_view_of_a_tensor_with_history():
    name, values, s_grad, x_grad = run(tg, True, CASES[7][1])   # zero_ on row 1 of x * 2
    assert name == "CopySlices" and values == [[2.0, 2.0], [0.0, 0.0], [2.0, 2.0]]
    assert s_grad is None and x_grad == [[0.0, 2.0], [0.0, 0.0], [8.0, 10.0]]


@pytest.mark.parametrize("base_requires_grad", [False, True])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(case, base_requires_grad):
    torch = pytest.importorskip("torch")
    assert run(tg, base_requires_grad, case[1]) == run(torch, base_requires_grad, case[1])
