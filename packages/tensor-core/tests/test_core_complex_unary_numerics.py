"""complex64/complex128 log2, log10, acos, rsqrt, reciprocal, sigmoid and sgn round as PyTorch's
CPU kernels (ops/elementwise/complex_unary.py): the expected parts below are PyTorch 2.13's
(AVX-512 CPU build), written with float.hex (NaN whatever its sign). The 21 inputs are 8 special
values then 13 random ones from a fixed seed; a dense tensor of 21 goes through PyTorch's
vectorised loop for its first 16 elements and its scalar loop for the last 5."""
import math

import numpy as np
import pytest

import tensorgraft as torch


def _inputs(dtype):
    special = [complex(0, 0), complex(-0.0, -0.0), complex(0.0, -0.0), complex(-0.0, 1), complex(math.inf, 0),
               complex(-math.inf, 1), complex(math.nan, 0), complex(1e30, -1e30)]
    rng = np.random.default_rng(1234)
    rand = (rng.standard_normal(13) + 1j * rng.standard_normal(13)) * 3
    return np.array(special + list(rand)).astype(dtype)


def _hex(v):
    v = float(v)
    return "nan" if math.isnan(v) else v.hex()


def _parts(t):
    return [(_hex(z.real), _hex(z.imag)) for z in t.numpy().reshape(-1)]


EXPECTED = {
    ('log2', 'complex64'): [
        ('-inf', '0x0.0p+0'), ('-inf', '-0x1.2212300000000p+2'), ('-inf', '-0x0.0p+0'),
        ('0x0.0p+0', '0x1.2212300000000p+1'), ('inf', '0x0.0p+0'), ('inf', '0x1.2212300000000p+2'),
        ('nan', 'nan'), ('0x1.90a1a20000000p+6', '-0x1.2212300000000p+0'), ('0x1.2b52960000000p+1', '0x1.05260a0000000p+2'),
        ('0x1.ed15c00000000p+0', '-0x1.18b90a0000000p+1'), ('0x1.634aa20000000p+1', '-0x1.ca0f2e0000000p+0'), ('0x1.de36420000000p-2', '0x1.c772c00000000p+0'),
        ('0x1.44ecba0000000p+1', '0x1.9965e00000000p+0'), ('0x1.9338480000000p+1', '0x1.0506620000000p-2'), ('0x1.3604e40000000p+1', '-0x1.d628760000000p+1'),
        ('0x1.8f59500000000p+0', '0x1.988d120000000p-2'), ('0x1.3ae6ee0000000p+1', '0x1.f475020000000p+1'), ('0x1.e529020000000p+0', '0x1.dc63a80000000p+0'),
        ('0x1.eccc120000000p+0', '-0x1.6f0a7e0000000p+1'), ('0x1.1538a60000000p+1', '0x1.65ac880000000p-1'), ('0x1.7aa8f20000000p+0', '0x1.fc88c40000000p+1'),
    ],
    ('log10', 'complex64'): [
        ('-inf', '0x0.0p+0'), ('-inf', '-0x1.5d47c60000000p+0'), ('-inf', '-0x0.0p+0'),
        ('0x0.0p+0', '0x1.5d47c60000000p-1'), ('inf', '0x0.0p+0'), ('inf', '0x1.5d47c60000000p+0'),
        ('nan', 'nan'), ('0x1.e268820000000p+4', '-0x1.5d47c60000000p-2'), ('0x1.686b9a0000000p-1', '0x1.3a74480000000p+0'),
        ('0x1.28dde20000000p-1', '-0x1.5206200000000p-1'), ('0x1.abd04a0000000p-1', '-0x1.13c7780000000p-1'), ('0x1.1fe98a0000000p-3', '0x1.1235080000000p-1'),
        ('0x1.873f920000000p-1', '0x1.ecf6da0000000p-2'), ('0x1.e5866a0000000p-1', '0x1.3a4e2a0000000p-4'), ('0x1.754cda0000000p-1', '-0x1.1b10380000000p+0'),
        ('0x1.e0dd2e0000000p-2', '0x1.ebf1c80000000p-4'), ('0x1.7b2e0c0000000p-1', '0x1.2d4e200000000p+0'), ('0x1.2418740000000p-1', '0x1.1ed09e0000000p-1'),
        ('0x1.28b1860000000p-1', '-0x1.b9f61c0000000p-1'), ('0x1.4dcec40000000p-1', '0x1.aeaeae0000000p-3'), ('0x1.c7f3b60000000p-2', '0x1.322b0a0000000p+0'),
    ],
    ('reciprocal', 'complex64'): [
        ('inf', 'nan'), ('inf', 'nan'), ('inf', 'nan'),
        ('0x0.0p+0', '-0x1.0000000000000p+0'), ('0x0.0p+0', '0x0.0p+0'), ('-0x0.0p+0', '-0x0.0p+0'),
        ('nan', 'nan'), ('0x1.4484c00000000p-101', '0x1.4484c00000000p-101'), ('-0x1.813abc0000000p-3', '-0x1.f31d000000000p-5'),
        ('0x1.b44ecc0000000p-7', '0x1.0d1b760000000p-2'), ('0x1.8441a40000000p-5', '0x1.1ade5e0000000p-3'), ('0x1.eaca560000000p-3', '-0x1.5d80ac0000000p-1'),
        ('0x1.3a735c0000000p-4', '-0x1.3b81b40000000p-3'), ('0x1.c635140000000p-4', '-0x1.4465220000000p-6'), ('-0x1.3c58cc0000000p-3', '0x1.acc3340000000p-4'),
        ('0x1.4e1ada0000000p-2', '-0x1.7b4dfa0000000p-4'), ('-0x1.520ea20000000p-3', '-0x1.3751620000000p-4'), ('0x1.314b600000000p-4', '-0x1.08814c0000000p-2'),
        ('-0x1.b4af700000000p-4', '0x1.ed26aa0000000p-3'), ('0x1.93f2540000000p-3', '-0x1.a8f0e20000000p-4'), ('-0x1.540a360000000p-2', '-0x1.15c7c60000000p-3'),
    ],
    ('rsqrt', 'complex64'): [
        ('inf', 'nan'), ('inf', 'nan'), ('inf', 'nan'),
        ('0x1.6a09e60000000p-1', '-0x1.6a09e60000000p-1'), ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '-0x0.0p+0'),
        ('nan', 'nan'), ('0x1.bfd8480000000p-51', '0x1.7301c00000000p-52'), ('0x1.1c17d40000000p-4', '-0x1.c1c1e80000000p-2'),
        ('0x1.7cb5ec0000000p-2', '0x1.69e8ea0000000p-2'), ('0x1.3e72020000000p-2', '0x1.c6cca40000000p-3'), ('0x1.634c4a0000000p-1', '-0x1.f7a60e0000000p-2'),
        ('0x1.693cd20000000p-2', '-0x1.bf2ee80000000p-3'), ('0x1.5656fe0000000p-2', '-0x1.e5297c0000000p-6'), ('0x1.03922e0000000p-3', '0x1.a6dd280000000p-2'),
        ('0x1.27548e0000000p-1', '-0x1.48ca880000000p-4'), ('0x1.75d0320000000p-4', '-0x1.aa66f40000000p-2'), ('0x1.a84c880000000p-2', '-0x1.3f2d660000000p-2'),
        ('0x1.1ea7dc0000000p-2', '0x1.b869860000000p-2'), ('0x1.d54fb20000000p-2', '-0x1.cf98020000000p-4'), ('0x1.d8a8fc0000000p-4', '-0x1.2ce6760000000p-1'),
    ],
    ('sigmoid', 'complex64'): [
        ('0x1.0000000000000p-1', '0x0.0p+0'), ('0x1.0000000000000p-1', '0x0.0p+0'), ('0x1.0000000000000p-1', '0x0.0p+0'),
        ('0x1.0000000000000p-1', '0x1.17b4f60000000p-2'), ('0x1.0000000000000p+0', '0x0.0p+0'), ('nan', 'nan'),
        ('nan', 'nan'), ('0x1.0000000000000p+0', '0x0.0p+0'), ('0x1.5cd9740000000p-13', '0x1.0a7eaa0000000p-7'),
        ('0x1.dc596e0000000p-1', '0x1.5a571e0000000p+0'), ('0x1.cea56a0000000p-1', '-0x1.17c8e00000000p-6'), ('0x1.5891d00000000p-1', '0x1.687de80000000p-2'),
        ('0x1.eca0040000000p-1', '-0x1.f8187a0000000p-5'), ('0x1.ffffc80000000p-1', '0x1.4fdfb60000000p-13'), ('-0x1.84d66a0000000p-7', '-0x1.abedb40000000p-10'),
        ('0x1.eb31ec0000000p-1', '0x1.3f36a60000000p-5'), ('-0x1.26d7a00000000p-8', '0x1.4c576a0000000p-8'), ('0x1.68f6620000000p+0', '-0x1.3ee9d80000000p-2'),
        ('-0x1.f710ea0000000p-3', '0x1.bee94a0000000p-4'), ('0x1.0257640000000p+0', '0x1.114fc60000000p-6'), ('0x1.46fdee0000000p-5', '0x1.f314240000000p-5'),
    ],
    ('sgn', 'complex64'): [
        ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '0x0.0p+0'),
        ('-0x0.0p+0', '0x1.0000000000000p+0'), ('nan', '0x0.0p+0'), ('nan', '0x0.0p+0'),
        ('nan', 'nan'), ('0x1.6a09e80000000p-1', '-0x1.6a09e80000000p-1'), ('-0x1.e715f60000000p-1', '0x1.3b8a5e0000000p-2'),
        ('0x1.9e866a0000000p-5', '-0x1.ff58160000000p-1'), ('0x1.4c5ae20000000p-2', '-0x1.e448300000000p-1'), ('0x1.5331ac0000000p-2', '0x1.e318560000000p-1'),
        ('0x1.c8b8200000000p-2', '0x1.ca40c80000000p-1'), ('0x1.f8075e0000000p-1', '0x1.67fa400000000p-3'), ('-0x1.a7d7f00000000p-1', '-0x1.1f3ab60000000p-1'),
        ('0x1.ec8bb60000000p-1', '0x1.1797120000000p-2'), ('-0x1.d1113c0000000p-1', '0x1.ac48300000000p-2'), ('0x1.1be52a0000000p-2', '0x1.ebee040000000p-1'),
        ('-0x1.9e8f800000000p-2', '-0x1.d42a5a0000000p-1'), ('0x1.c523bc0000000p-1', '0x1.dcb0ce0000000p-2'), ('-0x1.d9fc6c0000000p-1', '0x1.83339e0000000p-2'),
    ],
    ('log2', 'complex128'): [
        ('-inf', '0x0.0p+0'), ('-inf', '-0x1.22123045b5decp+2'), ('-inf', '-0x0.0p+0'),
        ('0x0.0p+0', '0x1.22123045b5decp+1'), ('inf', '0x0.0p+0'), ('inf', '0x1.22123045b5decp+2'),
        ('nan', 'nan'), ('0x1.90a1a18e2093ap+6', '-0x1.22123045b5decp+0'), ('0x1.2b52960ed94a8p+1', '0x1.052609aec1b23p+2'),
        ('0x1.ed15c052f2025p+0', '-0x1.18b9088f494a3p+1'), ('0x1.634aa1f0f9649p+1', '-0x1.ca0f2bf78fe80p+0'), ('0x1.de3640d65d6e3p-2', '0x1.c772bf3ee28b0p+0'),
        ('0x1.44ecb93fc3fd1p+1', '0x1.9965e130d5f1cp+0'), ('0x1.933847c8e6196p+1', '0x1.05066298a5554p-2'), ('0x1.3604e54b5d666p+1', '-0x1.d628756d165edp+1'),
        ('0x1.8f59516c1bf7ap+0', '0x1.988d116b48dc5p-2'), ('0x1.3ae6ed94de7efp+1', '0x1.f475020c9ee35p+1'), ('0x1.e529005e790cfp+0', '0x1.dc63a887a414ap+0'),
        ('0x1.eccc1222813a8p+0', '-0x1.6f0a7df7e5d1fp+1'), ('0x1.1538a519bbb2bp+1', '0x1.65ac8678f8bd4p-1'), ('0x1.7aa8f209e591dp+0', '0x1.fc88c36f0af41p+1'),
    ],
    ('log10', 'complex128'): [
        ('-inf', '0x0.0p+0'), ('-inf', '-0x1.5d47c4cb2fba0p+0'), ('-inf', '-0x0.0p+0'),
        ('0x0.0p+0', '0x1.5d47c4cb2fba0p-1'), ('inf', '0x0.0p+0'), ('inf', '0x1.5d47c4cb2fba0p+0'),
        ('nan', 'nan'), ('0x1.e268826a13ef3p+4', '-0x1.5d47c4cb2fba0p-2'), ('0x1.686b9a85b7b2dp-1', '0x1.3a744869c15bep+0'),
        ('0x1.28dde20929e19p-1', '-0x1.52061f70cd5fbp-1'), ('0x1.abd04a65530ddp-1', '-0x1.13c776d37e5a1p-1'), ('0x1.1fe98a6e1c5e0p-3', '0x1.1235084b5a59dp-1'),
        ('0x1.873f924d69f55p-1', '0x1.ecf6da9ef7024p-2'), ('0x1.e5866b3248b74p-1', '0x1.3a4e2b532bcbdp-4'), ('0x1.754cdb57fa06ep-1', '-0x1.1b10377adf0f9p+0'),
        ('0x1.e0dd2e60c860ep-2', '0x1.ebf1c96b9ca6bp-4'), ('0x1.7b2e0bb78064ep-1', '0x1.2d4e1fee34fe8p+0'), ('0x1.2418742f91374p-1', '0x1.1ed09f6215061p-1'),
        ('0x1.28b185ddc6ebdp-1', '-0x1.b9f61d43b2ed1p-1'), ('0x1.4dcec37466ae9p-1', '0x1.aeaeacb254db7p-3'), ('0x1.c7f3b68d1508cp-2', '0x1.322b099baac4fp+0'),
    ],
    ('acos', 'complex128'): [
        ('0x1.921fb54442d18p+0', '0x0.0p+0'), ('0x1.921fb54442d18p+0', '0x0.0p+0'), ('0x1.921fb54442d18p+0', '0x0.0p+0'),
        ('0x1.921fb54442d18p+0', '-0x1.c34366179d426p-1'), ('0x0.0p+0', '-inf'), ('0x1.921fb54442d18p+1', '-inf'),
        ('nan', 'nan'), ('0x1.921fb54442d18p-1', '0x1.1878168f6ee72p+6'), ('0x1.69470ce1b65c8p+1', '-0x1.272dad5eeaa5ap+1'),
        ('0x1.859725eb55f16p+0', '0x1.05c35ac078407p+1'), ('0x1.3e54765d6eb15p+0', '0x1.4f8785707ef62p+1'), ('0x1.4ba4d40a6e640p+0', '-0x1.1c978ba8d4b3ap+0'),
        ('0x1.1d444a9f54233p+0', '-0x1.3a845f898b93ep+1'), ('0x1.6c203da8ef2c8p-3', '-0x1.6fd4c3c9fcf8fp+1'), ('0x1.44d810460a52cp+1', '0x1.2f35abf420ba0p+1'),
        ('0x1.2be092f646580p-2', '-0x1.bfd97901b1cf7p+0'), ('0x1.5a130c401c07ep+1', '-0x1.324fbe6f68bf4p+1'), ('0x1.4c90634046b7dp+0', '-0x1.02cbea1c20cf7p+1'),
        ('0x1.f9a72d75345b8p+0', '0x1.050248ad5ca3cp+1'), ('0x1.fa8a6dcaf8cdcp-2', '-0x1.17fd28813ba6ep+1'), ('0x1.5d65c709753f4p+1', '-0x1.b20c0ab7287d2p+0'),
    ],
    ('rsqrt', 'complex128'): [
        ('inf', 'nan'), ('inf', 'nan'), ('inf', 'nan'),
        ('0x1.6a09e667f3bccp-1', '-0x1.6a09e667f3bccp-1'), ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '-0x0.0p+0'),
        ('nan', 'nan'), ('0x1.bfd8488c33588p-51', '0x1.7301bf6d8b905p-52'), ('0x1.1c17d7b71c1a4p-4', '-0x1.c1c1e9d8a69f4p-2'),
        ('0x1.7cb5eb18b43ffp-2', '0x1.69e8eaac53fbfp-2'), ('0x1.3e7202726293fp-2', '0x1.c6cca31a4cd6bp-3'), ('0x1.634c489a2ba4fp-1', '-0x1.f7a60d673a165p-2'),
        ('0x1.693cd098ade3ep-2', '-0x1.bf2eeb74aaf8fp-3'), ('0x1.5656fdb5af2d0p-2', '-0x1.e5297b0ebbf10p-6'), ('0x1.03922c93682d7p-3', '0x1.a6dd276de405ap-2'),
        ('0x1.27548d479364fp-1', '-0x1.48ca87889bb1bp-4'), ('0x1.75d0314fce4efp-4', '-0x1.aa66f38a07625p-2'), ('0x1.a84c85432b618p-2', '-0x1.3f2d66db12f5ap-2'),
        ('0x1.1ea7db121914bp-2', '0x1.b8698729ad13bp-2'), ('0x1.d54fb02c30f1ep-2', '-0x1.cf97fb1598e96p-4'), ('0x1.d8a8fdb8330f8p-4', '-0x1.2ce67675f7100p-1'),
    ],
    ('sigmoid', 'complex128'): [
        ('0x1.0000000000000p-1', '0x0.0p+0'), ('0x1.0000000000000p-1', '0x0.0p+0'), ('0x1.0000000000000p-1', '0x0.0p+0'),
        ('0x1.0000000000000p-1', '0x1.17b4f5bf3474ap-2'), ('0x1.0000000000000p+0', '0x0.0p+0'), ('nan', 'nan'),
        ('nan', 'nan'), ('0x1.0000000000000p+0', '0x0.0p+0'), ('0x1.5cd943ba1ce05p-13', '0x1.0a7eade880fe1p-7'),
        ('0x1.dc596d6276e80p-1', '0x1.5a571d40e8a30p+0'), ('0x1.cea5680fae04bp-1', '-0x1.17c8e2930e31ap-6'), ('0x1.5891cfb8d2657p-1', '0x1.687de8e99e12dp-2'),
        ('0x1.eca004cfd2187p-1', '-0x1.f81875c7947dep-5'), ('0x1.ffffc747e2b01p-1', '0x1.4fdfb7088015bp-13'), ('-0x1.84d6682905d57p-7', '-0x1.abedb2f36a889p-10'),
        ('0x1.eb31e82eb0642p-1', '0x1.3f36a24d4ae3cp-5'), ('-0x1.26d79cc09853dp-8', '0x1.4c5769c8438bfp-8'), ('0x1.68f661a09c29ap+0', '-0x1.3ee9dad1f8dd3p-2'),
        ('-0x1.f710e9b1ac9d9p-3', '0x1.bee953e9717d0p-4'), ('0x1.02576481c4eecp+0', '0x1.114fc382226a8p-6'), ('0x1.46fdee640f80fp-5', '0x1.f31422b3701c8p-5'),
    ],
    ('sgn', 'complex128'): [
        ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '0x0.0p+0'),
        ('-0x0.0p+0', '0x1.0000000000000p+0'), ('nan', '0x0.0p+0'), ('nan', '0x0.0p+0'),
        ('nan', 'nan'), ('0x1.6a09e667f3bcdp-1', '-0x1.6a09e667f3bcdp-1'), ('-0x1.e715f4f172b53p-1', '0x1.3b8a5f106d75ap-2'),
        ('0x1.9e866bb2332cdp-5', '-0x1.ff5816b4b8795p-1'), ('0x1.4c5ae053fe005p-2', '-0x1.e4483029ba687p-1'), ('0x1.5331ac22403f2p-2', '0x1.e31856df290eap-1'),
        ('0x1.c8b82085fc0b4p-2', '0x1.ca40c9a66fde8p-1'), ('0x1.f8075e0ea2deep-1', '0x1.67fa4105d89a0p-3'), ('-0x1.a7d7ef4a48941p-1', '-0x1.1f3ab5cb4c097p-1'),
        ('0x1.ec8bb7c18f76cp-1', '0x1.1797138895385p-2'), ('-0x1.d1113d826118ep-1', '0x1.ac4830350b4b5p-2'), ('0x1.1be529e191f07p-2', '0x1.ebee045f13425p-1'),
        ('-0x1.9e8f8109ac17ep-2', '-0x1.d42a5aada91a6p-1'), ('0x1.c523bd2c0f08cp-1', '0x1.dcb0cf95d0003p-2'), ('-0x1.d9fc6a3e73979p-1', '0x1.83339dfbc445ap-2'),
    ],
}
SGN_SCALAR = {
    'complex64': [
        ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '0x0.0p+0'),
        ('0x0.0p+0', '0x1.0000000000000p+0'), ('nan', 'nan'), ('nan', 'nan'),
        ('nan', 'nan'), ('0x1.6a09e80000000p-1', '-0x1.6a09e80000000p-1'), ('-0x1.e715f60000000p-1', '0x1.3b8a5e0000000p-2'),
        ('0x1.9e866a0000000p-5', '-0x1.ff58140000000p-1'), ('0x1.4c5ae20000000p-2', '-0x1.e448320000000p-1'), ('0x1.5331ac0000000p-2', '0x1.e318560000000p-1'),
        ('0x1.c8b8200000000p-2', '0x1.ca40c80000000p-1'), ('0x1.f8075e0000000p-1', '0x1.67fa400000000p-3'), ('-0x1.a7d7f00000000p-1', '-0x1.1f3ab60000000p-1'),
        ('0x1.ec8bb80000000p-1', '0x1.1797140000000p-2'), ('-0x1.d1113c0000000p-1', '0x1.ac48300000000p-2'), ('0x1.1be52a0000000p-2', '0x1.ebee040000000p-1'),
        ('-0x1.9e8f800000000p-2', '-0x1.d42a5a0000000p-1'), ('0x1.c523bc0000000p-1', '0x1.dcb0ce0000000p-2'), ('-0x1.d9fc6c0000000p-1', '0x1.83339e0000000p-2'),
    ],
    'complex128': [
        ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '0x0.0p+0'), ('0x0.0p+0', '0x0.0p+0'),
        ('0x0.0p+0', '0x1.0000000000000p+0'), ('nan', 'nan'), ('nan', 'nan'),
        ('nan', 'nan'), ('0x1.6a09e667f3bcdp-1', '-0x1.6a09e667f3bcdp-1'), ('-0x1.e715f4f172b53p-1', '0x1.3b8a5f106d75ap-2'),
        ('0x1.9e866bb2332cdp-5', '-0x1.ff5816b4b8795p-1'), ('0x1.4c5ae053fe005p-2', '-0x1.e4483029ba687p-1'), ('0x1.5331ac22403f1p-2', '0x1.e31856df290eap-1'),
        ('0x1.c8b82085fc0b3p-2', '0x1.ca40c9a66fde8p-1'), ('0x1.f8075e0ea2deep-1', '0x1.67fa4105d89a0p-3'), ('-0x1.a7d7ef4a48942p-1', '-0x1.1f3ab5cb4c097p-1'),
        ('0x1.ec8bb7c18f76dp-1', '0x1.1797138895385p-2'), ('-0x1.d1113d826118ep-1', '0x1.ac4830350b4b5p-2'), ('0x1.1be529e191f07p-2', '0x1.ebee045f13425p-1'),
        ('-0x1.9e8f8109ac17ep-2', '-0x1.d42a5aada91a6p-1'), ('0x1.c523bd2c0f08cp-1', '0x1.dcb0cf95d0003p-2'), ('-0x1.d9fc6a3e73979p-1', '0x1.83339dfbc445ap-2'),
    ],
}

# inputs where NumPy's unfused complex division rounds differently from PyTorch's fused one
FUSED_DIVISION = {
    ('rsqrt', 'complex64'): [
        (('0x1.f89a7a0000000p-1', '-0x1.af08a20000000p+1'), ('0x1.b57d180000000p-2', '0x1.47ccec0000000p-2')),
        (('-0x1.f39e9a0000000p-3', '0x1.16639c0000000p+2'), ('0x1.510ce60000000p-2', '-0x1.647bac0000000p-2')),
        (('0x1.093c960000000p+1', '-0x1.24d3320000000p+1'), ('0x1.0a67b20000000p-1', '0x1.d88db40000000p-3')),
        (('0x1.2718760000000p+1', '0x1.d787940000000p+1'), ('0x1.adb4320000000p-2', '-0x1.dbfdc20000000p-3')),
    ],
    ('sigmoid', 'complex64'): [
        (('-0x1.64ac600000000p+0', '0x1.2cb1620000000p+0'), ('0x1.014afa0000000p-3', '0x1.7645120000000p-3')),
        (('0x1.118a640000000p-1', '0x1.35905e0000000p+1'), ('0x1.34d6f40000000p+0', '0x1.ab5a1a0000000p-1')),
        (('-0x1.729b0c0000000p+1', '-0x1.fc9a2c0000000p+1'), ('-0x1.2d7cf60000000p-5', '0x1.687ac40000000p-5')),
        (('0x1.22a5a60000000p-1', '-0x1.37cde80000000p+0'), ('0x1.656c900000000p-1', '-0x1.3df8440000000p-2')),
    ],
    ('reciprocal', 'complex64'): [
        (('-0x1.514dc40000000p+2', '-0x1.9140260000000p+0'), ('-0x1.6503060000000p-3', '0x1.a8b1e60000000p-5')),
        (('0x1.43692e0000000p+2', '0x1.a4f3b40000000p+1'), ('0x1.1cb2d20000000p-3', '-0x1.72905e0000000p-4')),
        (('0x1.56f2100000000p+1', '0x1.d3b1a80000000p+1'), ('0x1.0b48f60000000p-3', '-0x1.6c82ee0000000p-3')),
        (('0x1.025aa40000000p+1', '0x1.8da6460000000p+0'), ('0x1.3ea04a0000000p-2', '-0x1.ea6b0c0000000p-3')),
    ],
    ('rsqrt', 'complex128'): [
        (('-0x1.ca0cf643062f7p+0', '0x1.38e18ea904867p+1'), ('0x1.0a2b92d8785fbp-2', '-0x1.0658959503781p-1')),
        (('-0x1.19fc4e1f0f5d2p-3', '0x1.31f3fc868346ap+0'), ('0x1.369d69e092b9ep-1', '-0x1.5c746a6a08eb3p-1')),
        (('0x1.affea89557558p-2', '0x1.9efbac0f30694p-1'), ('0x1.c9e771c6873c4p-1', '-0x1.15e15d2679259p-1')),
        (('-0x1.ede2d8fdfeaa0p+0', '0x1.68fd4bd9513bcp+1'), ('0x1.02779a639357cp-2', '-0x1.e9f79bf5045cbp-2')),
    ],
    ('sigmoid', 'complex128'): [
        (('-0x1.64ac602faa63ap+0', '0x1.2cb162827437ep+0'), ('0x1.014af9e4e2f84p-3', '0x1.7645146c56cfep-3')),
        (('-0x1.2dd5a72008ea8p+2', '0x1.4dbd06779e0d6p+1'), ('-0x1.fb4d4cb0d4609p-8', '0x1.2f4d56491588cp-8')),
        (('-0x1.3630f58ed3c74p+0', '-0x1.d6cfa0e1815d3p-1'), ('0x1.7c2c0b7c23a07p-3', '-0x1.4e84f86f5e864p-3')),
        (('0x1.c169adaec4f3dp-1', '0x1.3102cc32bb1e4p+2'), ('0x1.adf8d198d43b6p-1', '-0x1.5d3b03a6918b0p-2')),
    ],
}


def _libm_arcsin():
    """Whether NumPy's complex128 arcsin is the C library's (NumPy 2.3 and later), as PyTorch's is:
    one value on which NumPy's older algorithm rounds otherwise."""
    r = np.arcsin(np.complex128(complex(2.464854430503475, 6.0602201014513355)))
    return (r.real.hex(), r.imag.hex()) == ('0x1.8770ab4e32272p-2', '0x1.49add920ecdcap+1')


def _needs_numpy_2(name, dtype):
    # complex128 acos is pi/2 - asin(z) from NumPy's arcsin, which is the C library's (PyTorch's)
    # only from NumPy 2.3 on
    if name == "acos" and dtype == "complex128" and not _libm_arcsin():
        pytest.skip("this NumPy's complex128 arcsin is its own, not the C library's (NumPy < 2.3): PyTorch's "
                    "acos is matched with NumPy 2.3 and later")


@pytest.mark.parametrize("name,dtype", sorted(EXPECTED))
def test_matches_pytorch_bit_for_bit(name, dtype):
    _needs_numpy_2(name, dtype)
    x = torch.tensor(_inputs(dtype))
    out = getattr(torch, name)(x)
    assert out.dtype == getattr(torch, dtype)
    assert _parts(out) == EXPECTED[name, dtype]


@pytest.mark.parametrize("name,dtype", sorted(FUSED_DIVISION))
def test_fused_division(name, dtype):
    # random inputs on which the division without PyTorch's fused multiply-add is an ulp off
    cases = FUSED_DIVISION[name, dtype]
    x = torch.tensor(np.array([complex(float.fromhex(re), float.fromhex(im)) for (re, im), _ in cases]).astype(dtype))
    assert _parts(getattr(torch, name)(x)) == [expected for _, expected in cases]


@pytest.mark.parametrize("name,dtype", sorted(EXPECTED))
def test_in_place_and_method_forms(name, dtype):
    _needs_numpy_2(name, dtype)
    x = torch.tensor(_inputs(dtype))
    assert _parts(getattr(x, name)()) == EXPECTED[name, dtype]
    getattr(x, name + "_")()
    assert _parts(x) == EXPECTED[name, dtype]


@pytest.mark.parametrize("name,dtype", sorted(EXPECTED))
def test_each_element_alone(name, dtype):
    _needs_numpy_2(name, dtype)
    # a 0-d tensor and a tensor of three take PyTorch's scalar loop: the same values but for sgn,
    # whose scalar loop multiplies by 1 / |z| where the vectorised one divides by |z|
    values = _inputs(dtype)
    expected = SGN_SCALAR[dtype] if name == "sgn" else EXPECTED[name, dtype]
    for i in (0, 3, 4, 5, 9, 12, 20):
        assert _parts(getattr(torch, name)(torch.tensor(values[i]))) == [expected[i]]
    assert _parts(getattr(torch, name)(torch.tensor(values[9:12]))) == expected[9:12]


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_sgn_on_a_strided_tensor_rounds_as_the_scalar_loop(dtype):
    # every element of a tensor with gaps goes through the scalar loop
    x = torch.tensor(_inputs(dtype))[::2]
    assert _parts(torch.sgn(x)) == SGN_SCALAR[dtype][::2]


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_sgn_of_a_transposed_tensor(dtype):
    # a dense transpose is taken in memory order by PyTorch's loop: its 16 first elements there
    # go through the vectorised loop, its last 4 through the scalar one
    x = torch.tensor(_inputs(dtype)[:20].reshape(4, 5))
    assert _parts(torch.sgn(x.t()).t()) == EXPECTED["sgn", dtype][:16] + SGN_SCALAR[dtype][16:20]


@pytest.mark.parametrize("name", ["log2", "log10", "acos", "rsqrt", "reciprocal", "sigmoid", "sgn"])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_empty_and_shapes(name, dtype):
    f = getattr(torch, name)
    empty = f(torch.zeros((0, 3), dtype=getattr(torch, dtype)))
    assert empty.shape == (0, 3) and empty.dtype == getattr(torch, dtype)
    x = torch.tensor(_inputs(dtype)[:18].reshape(3, 2, 3))
    assert f(x).shape == (3, 2, 3)


def test_real_dtypes_keep_their_values():
    x = torch.tensor([0.5, 2.0, 10.0])
    assert torch.log2(x).tolist() == [-1.0, 1.0, float(np.log2(np.float32(10.0)))]
    assert torch.reciprocal(torch.tensor([4.0, -0.0])).tolist() == [0.25, -math.inf]
    assert torch.sgn(torch.tensor([-3.0, 0.0, 2.0])).tolist() == [-1.0, 0.0, 1.0]
    assert torch.log10(torch.tensor([100], dtype=torch.int64)).dtype == torch.float32
