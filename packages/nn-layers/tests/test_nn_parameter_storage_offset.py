"""nn.Parameter over a view: the same memory, so the same storage_offset() (PyTorch 2.13: 3)."""
import tensorgraft as torch


def test_parameter_of_a_view_keeps_the_storage_offset():
    base = torch.arange(6.)
    p = torch.nn.Parameter(base[3:])
    assert p.storage_offset() == 3 and p.tolist() == [3.0, 4.0, 5.0]
    with torch.no_grad():
        p[0] = 9.0
    assert base[3].item() == 9.0
