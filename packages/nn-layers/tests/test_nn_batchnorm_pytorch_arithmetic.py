"""float32 batch norm in PyTorch's CPU arithmetic (functional_ops/norm.py, _bn_float32_cpu): the
outputs and running statistics of inputs with spatial dims are PyTorch 2.13's to the bit (values
below are float.hex of PyTorch's)."""
import numpy as np

import tensorgraft as torch


def _x():
    return (np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5) * 0.37) % 1.7 - 0.6


def _hex(t):
    return [v.hex() for v in t.detach().reshape(-1).tolist()]


def test_batchnorm2d_training_outputs_and_running_statistics():
    x = _x()
    m = torch.nn.BatchNorm2d(3, momentum=0.1)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.9, -1.3, 1.7]))
        m.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    y = m(torch.from_numpy(x))
    assert _hex(y)[::7] == [
        '-0x1.5303180000000p+0', '0x1.056be80000000p-2', '-0x1.2eaa140000000p+0', '-0x1.fdc27c0000000p-3',
        '0x1.fd1c760000000p+0', '-0x1.e12eca0000000p-2', '-0x1.484e600000000p+1', '0x1.0075840000000p-1',
        '-0x1.25082c0000000p+1', '0x1.a57d9c0000000p-1', '-0x1.3a8c800000000p-1', '0x1.ee2fa20000000p-1',
        '0x1.1aceea0000000p+0', '-0x1.5a99c40000000p+0', '0x1.c476300000000p-1', '0x1.9a6b8a0000000p+0',
        '-0x1.2fdf8e0000000p+0', '0x1.e0f6e00000000p+0']
    assert _hex(m.running_mean) == ['0x1.4bc68c0000000p-6', '0x1.53f7ae0000000p-6', '0x1.e76c5e0000000p-6']
    assert _hex(m.running_var) == ['0x1.da4da60000000p-1', '0x1.d86dba0000000p-1', '0x1.d996d20000000p-1']
    m(torch.from_numpy(x * 1.5 + 0.2))
    assert _hex(m.running_mean) == ['0x1.18fc400000000p-4', '0x1.1de6880000000p-4', '0x1.765fbc0000000p-4']
    assert _hex(m.running_var) == ['0x1.c941680000000p-1', '0x1.c359a60000000p-1', '0x1.c701800000000p-1']
    m.eval()
    assert _hex(m(torch.from_numpy(x)))[::7] == [
        '-0x1.12cf8c0000000p-1', '0x1.3e4f720000000p-2', '-0x1.d79ae00000000p-2', '-0x1.b9a7900000000p-3',
        '0x1.cfcce00000000p-1', '-0x1.4e407c0000000p-2', '-0x1.1d30640000000p+0', '0x1.f6b85a0000000p-2',
        '-0x1.f083560000000p-1', '0x1.3b2fee0000000p-1', '-0x1.3f14ec0000000p-3', '0x1.62320a0000000p-1',
        '0x1.d9e6f60000000p-2', '-0x1.89fa280000000p-1', '0x1.6879640000000p-2', '0x1.11688a0000000p+0',
        '-0x1.921cdc0000000p-2', '0x1.3656b40000000p+0']


def test_cumulative_moving_average_running_statistics():
    x = _x()
    m = torch.nn.BatchNorm1d(3, momentum=None)
    for k in range(3):
        m(torch.from_numpy(x[:, :, :, 0] * (k + 1)))
    assert _hex(m.running_mean) == ['-0x1.4cccd80000000p-1', '0x1.1999840000000p-1', '0x1.5333240000000p+0']
    assert _hex(m.running_var) == ['0x1.4e81720000000p-3', '0x1.4e81b40000000p-3', '0x1.39d06a0000000p+0']
