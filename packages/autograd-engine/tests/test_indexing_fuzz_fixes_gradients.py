"""Gradient regressions found by the differential indexing/views fuzzer. Expected gradients and
node names are PyTorch 2.13's, hard-coded (no torch import)."""
import tensorgraft as torch


def test_index_fill_value_gradient_counts_repeated_positions_once():
    v = torch.tensor(2., dtype=torch.float64, requires_grad=True)
    torch.zeros(3, dtype=torch.float64).index_fill(0, torch.tensor([1, 1, 1]), v).sum().backward()
    assert v.grad.item() == 1.0
    v = torch.tensor(2., dtype=torch.float64, requires_grad=True)
    torch.zeros(3, 2, dtype=torch.float64).index_fill(1, torch.tensor(1), v).sum().backward()
    assert v.grad.item() == 3.0
    v = torch.tensor(2., dtype=torch.float64, requires_grad=True)
    w = torch.tensor([1., 2., 3.], dtype=torch.float64)
    (torch.zeros(3, dtype=torch.float64).index_fill(0, torch.tensor([2, 0, 2]), v) * w).sum().backward()
    assert v.grad.item() == 4.0


def test_copy_into_view_as_real_region():
    b = torch.zeros(2, dtype=torch.complex128)
    o = torch.tensor([1.], dtype=torch.float64, requires_grad=True)
    torch.view_as_real(b)[0].copy_(o)
    (torch.view_as_real(b) * torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64)).sum().backward()
    assert o.grad.tolist() == [3.0]


def test_add_into_real_view_backward():
    o = torch.ones(2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(2, dtype=torch.complex128)
    b.real.add_(o)
    b.abs().sum().backward()
    assert o.grad.tolist() == [1.0, 1.0]


def test_write_into_imag_of_a_base_that_requires_grad():
    z = torch.tensor([1 + 2j, 3 + 4j], dtype=torch.complex128, requires_grad=True)
    b = z * 1
    o = torch.tensor([5., 6.], dtype=torch.float64, requires_grad=True)
    v = b.imag
    v.mul_(o)
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert b.grad_fn.name() == "torch::autograd::CopySlices"
    (torch.view_as_real(b) * torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64)).sum().backward()
    assert z.grad.tolist() == [1 + 10j, 3 + 24j]
    assert o.grad.tolist() == [4.0, 16.0]


def test_write_into_whole_view_as_real_keeps_its_node():
    z = torch.tensor([1 + 2j, 3 + 4j], dtype=torch.complex128, requires_grad=True)
    v = torch.view_as_real(z * 1)
    v.mul_(2)
    assert v.grad_fn.name() == "ViewAsRealBackward0"
    (v * torch.tensor([[1., 2.], [3., 4.]], dtype=torch.float64)).sum().backward()
    assert z.grad.tolist() == [2 + 4j, 6 + 8j]


def test_write_into_complex_view_of_a_real_base():
    x = torch.arange(4., dtype=torch.float64, requires_grad=True)
    r = x * 1
    c = torch.view_as_complex(r.view(2, 2))
    c[1:].mul_(torch.tensor([1j], dtype=torch.complex128))
    assert r.grad_fn.name() == "torch::autograd::CopySlices"
    (r * torch.tensor([1., 2., 3., 4.], dtype=torch.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 4.0, -3.0]


def test_backward_through_view_as_complex_with_an_empty_gradient_region():
    x = torch.zeros(3, 2, requires_grad=True)
    torch.view_as_complex(x)[3:].real.sum().backward()
    assert x.grad.tolist() == [[0., 0.]] * 3


def test_view_of_another_dtype_regenerated_after_its_base_changed():
    # PyTorch 2.13: ``.imag`` made before a write to its base is regenerated in its own (float)
    # units: z.grad [0, 2j], AsStridedBackward0; a whole view_as_real keeps ViewAsRealBackward0
    z = torch.tensor([1.0 + 1.0j, 2.0 + 2.0j], requires_grad=True)
    b = z * 1
    r = b.imag
    b[0] = torch.tensor(3.0 + 3.0j)
    (r * torch.tensor([1.0, 2.0])).sum().backward()
    assert z.grad.tolist() == [0j, 2j] and r.grad_fn.name() == "AsStridedBackward0"
    z = torch.tensor([1.0 + 1.0j, 2.0 + 2.0j], requires_grad=True)
    b = z * 1
    r = torch.view_as_real(b)
    b.mul_(2)
    (r * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert z.grad.tolist() == [2 + 4j, 6 + 8j] and r.grad_fn.name() == "ViewAsRealBackward0"
