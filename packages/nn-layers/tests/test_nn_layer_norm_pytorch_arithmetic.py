"""float32 layer norm and group norm give PyTorch's CPU outputs bit for bit: ATen's RowwiseMoments
(Welford over 8-lane vectors in chunks of 16, a pairwise cascade, the lanes merged one by one, with the
compiler's fused multiply-adds) and the kernels' fused output multiply-adds. Expected values are
PyTorch 2.13's (float.hex), for inputs built from integers so that they are the same everywhere."""
import numpy as np
import pytest

pytest.importorskip("tensorgraft.nn")

import tensorgraft as tg  # noqa: E402
from tensorgraft.nn.functional_ops.rowwise_moments import rowwise_moments  # noqa: E402

F32 = np.float32


def data(rows, n, scale, offset, salt=0):
    k = np.arange(rows * n, dtype=np.int64) + salt
    return (((k * 7919 + 13) % 1009).astype(np.float64) / 97.0 * scale + offset).astype(F32).reshape(rows, n)


def hexes(values):
    return np.array([float.fromhex(h) for h in values], dtype=F32)


def assert_bits(actual, expected):
    actual = np.asarray(actual, dtype=F32).ravel()
    assert [float(v).hex() for v in actual] == [float(v).hex() for v in expected]


# (N, scale, offset) -> (mean, rstd) of 3 rows, as torch.native_layer_norm(x, [N], None, None, 1e-5)
# returns them: N = 5 (scalar tail only), 16 (one chunk of 2 vectors), 33 (vectors and a tail),
# 300 (3 chunks: the cascade), 2100 (17 chunks, a 5-level cascade, tail of 4)
MOMENTS = {
    (5, 1.0, -5.0): (['0x1.344178p-2', '0x1.78dfccp-1', '-0x1.d18cfp-1'],
                     ['0x1.524b42p-2', '0x1.31385cp-2', '0x1.524b42p-2']),
    (16, 3.0, 1000.0): (['0x1.fbcfacp+9', '0x1.fbfcf4p+9', '0x1.fb3094p+9'],
                        ['0x1.ad7cd8p-4', '0x1.ec6d46p-4', '0x1.a86c76p-4']),
    (33, 1.0, 0.25): (['0x1.5a13aep+2', '0x1.57700cp+2', '0x1.54cc6cp+2'],
                      ['0x1.5521d8p-2', '0x1.5521d8p-2', '0x1.5521d8p-2']),
    (300, 2.0, -7.0): (['0x1.b3aa9p+1', '0x1.a93b92p+1', '0x1.b96daep+1'],
                       ['0x1.54132cp-3', '0x1.560448p-3', '0x1.53e56ap-3']),
    (2100, 1.0, 100.0): (['0x1.a4c622p+6', '0x1.a4c82cp+6', '0x1.a4ca3ap+6'],
                         ['0x1.54db7p-2', '0x1.5532c8p-2', '0x1.54c9eap-2']),
}


@pytest.mark.parametrize("key", list(MOMENTS))
def test_rowwise_moments_match_pytorch(key):
    n, scale, offset = key
    mean, var = rowwise_moments(data(3, n, scale, offset))
    expected_mean, expected_rstd = MOMENTS[key]
    assert_bits(mean, hexes(expected_mean))
    assert_bits(F32(1) / np.sqrt(var + F32(1e-5)), hexes(expected_rstd))


def test_rowwise_moments_row_blocks_and_noncontiguous_input():
    # many rows are done a block at a time; a transposed input is read in its logical order
    x = np.repeat(data(3, 2100, 1.0, 100.0), 200, axis=0)
    mean, _ = rowwise_moments(np.asfortranarray(x))
    assert_bits(mean[::200], hexes(MOMENTS[(2100, 1.0, 100.0)][0]))


LAYER_NORM = {  # x = data(2, 10, 1.5, 3.0), weight data(1, 10, 0.5, -1.0, 5), bias data(1, 10, 2.0, -4.0, 9)
    "both": ['0x1.1e0886p+3', '0x1.75383p+2', '0x1.5e3594p+2', '0x1.35a12cp-2', '-0x1.05c962p+2',
         '0x1.a320fcp+3', '0x1.48474ep+3', '0x1.06d2ccp+3', '0x1.17710ep+2', '0x1.a44a2p+1', '0x1.32d7a6p+3',
         '0x1.9d223ep+2', '-0x1.cebda2p-3', '-0x1.24733p+2', '0x1.43e95ep+0', '0x1.0840e8p+4',
         '0x1.7ca322p+3', '0x1.069c84p+3', '0x1.5cdbecp+2', '-0x1.0c9b0ep+1'],
    "weight": ['-0x1.178ccep-1', '-0x1.fe4d7ep-2', '0x1.25fc52p+1', '0x1.208424p-2', '-0x1.e9acbap-1',
         '-0x1.6aed92p+0', '-0x1.1a2496p+0', '0x1.cdd7p-8', '-0x1.5edbdap-1', '0x1.62f88cp+0',
         '0x1.ab2a3p-4', '0x1.00a6c2p-3', '-0x1.b35ab2p+1', '-0x1.25c5p+2', '0x1.198e22p+2', '0x1.000c84p+1',
         '0x1.11741ap-1', '0x1.b8bc0ap-12', '0x1.98f61cp-2', '-0x1.ff68e8p+1'],
    "bias": ['0x1.f367dep+2', '0x1.d9dccep+2', '0x1.e0e38cp+1', '0x1.c1b012p-4', '-0x1.c4c88cp+1',
         '0x1.b3d3bcp+3', '0x1.3f1e38p+3', '0x1.3258bp+3', '0x1.7b465ap+2', '0x1.23b6a6p+1', '0x1.39c81cp+3',
         '0x1.83d338p+2', '0x1.282c6ep+1', '-0x1.6e9b28p+0', '-0x1.47567ep+0', '0x1.f8f21p+3',
         '0x1.81139p+3', '0x1.09350ep+3', '0x1.22ad1ep+2', '0x1.9780ep-1'],
    "none": ['-0x1.ae6b16p+0', '0x1.12ff18p+0', '0x1.29d2d4p-1', '0x1.6d3bf2p-4', '-0x1.9d07acp-2',
         '-0x1.caaf2cp-1', '-0x1.636d42p+0', '0x1.5dfceep+0', '0x1.bfce8p-1', '0x1.874654p-2',
         '0x1.48d95ep-2', '-0x1.149cfap-2', '-0x1.b909aap-1', '-0x1.73e26ap+0', '0x1.daf8aep+0',
         '0x1.439b14p+0', '0x1.587afcp-1', '0x1.4dfe8p-4', '-0x1.04fb6p-1', '-0x1.19db46p+0'],
}
GROUP_NORM = {  # x = data(2, 12, 2.0, 50.0) as (2, 4, 3), 2 groups, weight data(1, 4, 1.0, -2.0, 3), bias data(1, 4, 1.0, 0.5, 7)
    "both": ['0x1.1164acp+2', '0x1.f6c302p+3', '0x1.b554f6p+3', '0x1.312c78p+3', '0x1.0adf94p+3',
         '0x1.c92556p+2', '0x1.8c93aap+2', '0x1.04c98ep+3', '0x1.f33b96p+2', '0x1.576f2cp+2',
         '0x1.7759eep+2', '0x1.9744acp+2', '0x1.ac2c44p+2', '0x1.2f16p+2', '0x1.f57598p+3', '0x1.5866cp+3',
         '0x1.33ca6p+3', '0x1.0f2e06p+3', '0x1.a700aep+2', '0x1.91a576p+2', '0x1.0490a4p+3', '0x1.36be98p+2',
         '0x1.5540e8p+2', '0x1.73c336p+2'],
    "none": ['-0x1.9c318ep+0', '0x1.65a26cp+0', '0x1.b812c8p-1', '0x1.49c16ap-2', '-0x1.b9452p-3',
         '-0x1.81835ap-1', '-0x1.9c318ep+0', '0x1.65a26cp+0', '0x1.b812c8p-1', '0x1.49c16ap-2',
         '-0x1.b94576p-3', '-0x1.81835ap-1', '-0x1.f2e36ep-1', '-0x1.7cf8d2p+0', '0x1.62e544p+0',
         '0x1.bebc54p-1', '0x1.6f5c3ep-2', '-0x1.3d8008p-3', '-0x1.f2e358p-1', '-0x1.7cf8c8p+0',
         '0x1.62e55p+0', '0x1.bebc6ap-1', '0x1.6f5c68p-2', '-0x1.3d8008p-3'],
    "bias": ['0x1.192d44p+3', '0x1.7967c4p+3', '0x1.6834a2p+3', '0x1.24881cp+3', '0x1.1354fcp+3',
         '0x1.0221dap+3', '0x1.6874eep+2', '0x1.1474f6p+3', '0x1.0341d6p+3', '0x1.7f2a9cp+2',
         '0x1.5cc458p+2', '0x1.3a5e1ap+2', '0x1.2d854p+3', '0x1.1d145cp+3', '0x1.79101ep+3', '0x1.3625d6p+3',
         '0x1.25b4f2p+3', '0x1.15441p+3', '0x1.9124e6p+2', '0x1.70432p+2', '0x1.141d52p+3', '0x1.a2661p+2',
         '0x1.81844ap+2', '0x1.60a284p+2'],
}


@pytest.mark.parametrize("affine", list(LAYER_NORM))
def test_layer_norm_outputs_match_pytorch(affine):
    # without a weight PyTorch's scalar loop fuses (x - mean) * rstd + bias; with one,
    # (x - mean) * rstd * weight + bias fuses the last multiply-add
    x = tg.from_numpy(data(2, 10, 1.5, 3.0))
    w = tg.from_numpy(data(1, 10, 0.5, -1.0, 5)[0]) if affine in ("both", "weight") else None
    b = tg.from_numpy(data(1, 10, 2.0, -4.0, 9)[0]) if affine in ("both", "bias") else None
    y = tg.nn.functional.layer_norm(x, [10], w, b)
    assert y.dtype == tg.float32 and tuple(y.shape) == (2, 10)
    assert_bits(y.numpy(), hexes(LAYER_NORM[affine]))


def test_layer_norm_over_two_dims_and_transposed_input():
    x = data(2, 10, 1.5, 3.0)
    y = tg.nn.functional.layer_norm(tg.from_numpy(x.reshape(2, 2, 5)), [2, 5])
    assert_bits(y.numpy(), hexes(LAYER_NORM["none"]))
    y = tg.nn.functional.layer_norm(tg.from_numpy(np.ascontiguousarray(x.T)).t(), [10])
    assert_bits(y.numpy(), hexes(LAYER_NORM["none"]))


@pytest.mark.parametrize("affine", list(GROUP_NORM))
def test_group_norm_outputs_match_pytorch(affine):
    # rstd = 1 / sqrt(var + eps) in double precision; with an affine part scale = rstd * weight,
    # shift = -scale * mean + bias and scale * x + shift, both fused
    x = tg.from_numpy(data(2, 12, 2.0, 50.0).reshape(2, 4, 3))
    w = tg.from_numpy(data(1, 4, 1.0, -2.0, 3)[0]) if affine == "both" else None
    b = tg.from_numpy(data(1, 4, 1.0, 0.5, 7)[0]) if affine in ("both", "bias") else None
    y = tg.nn.functional.group_norm(x, 2, w, b)
    assert tuple(y.shape) == (2, 4, 3)
    assert_bits(y.numpy(), hexes(GROUP_NORM[affine]))
