"""float16/bfloat16 results of nn functions rounded as PyTorch's CPU kernels round them.

PyTorch's half-precision CPU kernels do not all compute in float32 and round once: composites round
after each ATen op (soft_margin_loss overflows float16 to inf, hinge_embedding_loss rounds its margin
to the input's dtype, binary_cross_entropy_with_logits rounds log_sigmoid and each product), some
native kernels accumulate in the half type (adaptive_avg_pool3d and 3-D area interpolation) or
store their weights in it (interpolate's linear/trilinear/bicubic), batch norm saves its mean and
invstd in it, and transposed convolutions depend on the kernel ATen picks (oneDNN in float32
with the bias first, or the native kernel with half columns for a big output padding). Each case
below is compared bit for bit with PyTorch 2.13's CPU result (x86, oneDNN with half support),
hard-coded: computed with torch by running each case's source below with ``torch`` for ``tg`` on the
same inputs, which are built from integer arithmetic (no random generator).

grid_sample is here in nearest mode only: its half types compute in float32 and round once, where
ATen's scalar kernel rounds every op, coordinates included (test_nn_half_precision_fixes.py).
"""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F


def _vals(shape, scale, seed):
    n = int(np.prod(shape))
    a = ((np.arange(n) * 7919 + seed * 104729) % 1000) / 1000.0 - 0.5
    return (a * 2 * scale).reshape(shape)


def T(shape, dt, scale=4.0, seed=0, shift=0.0):
    """Deterministic test values, rounded to float32 and then to ``dt`` (as the generator did)."""
    return tg.tensor(_vals(shape, scale, seed) + shift, dtype=tg.float32).to(dt)


CASES = {
    'soft_margin_loss_overflows_to_inf': lambda dt: F.soft_margin_loss(tg.tensor([-8.4766, -1.7656, -4.3242, -2.4004, -7.9492], dtype=dt), tg.tensor([3.6113, -8.0703, -0.5737, 3.1289, -3.0332], dtype=dt)),
    'soft_margin_loss_none': lambda dt: F.soft_margin_loss(T((40,), dt, 3, 1), T((40,), dt, 1, 2), reduction='none'),
    'soft_margin_loss_sum': lambda dt: F.soft_margin_loss(T((200,), dt, 3, 1), T((200,), dt, 1, 2), reduction='sum'),
    'hinge_embedding_loss_margin_rounded': lambda dt: F.hinge_embedding_loss(T((6, 7), dt, 8, 3), T((6, 7), dt, 1, 4).sign(), margin=8.396163642458497, reduction='none'),
    'hinge_embedding_loss_mean': lambda dt: F.hinge_embedding_loss(T((300,), dt, 4, 3), T((300,), dt, 1, 4).sign(), margin=1.3),
    'bce_with_logits_pos_weight': lambda dt: F.binary_cross_entropy_with_logits(T((6, 8), dt, 6, 5), T((6, 8), dt, 0.5, 6, 0.5), weight=T((8,), dt, 0.5, 7, 0.5), pos_weight=T((8,), dt, 1.5, 8, 1.5), reduction='none'),
    'bce_with_logits_plain': lambda dt: F.binary_cross_entropy_with_logits(T((6, 8), dt, 6, 5), T((6, 8), dt, 0.5, 6, 0.5), reduction='none'),
    'bce_with_logits_mean': lambda dt: F.binary_cross_entropy_with_logits(T((400,), dt, 6, 5), T((400,), dt, 0.5, 6, 0.5), pos_weight=T((400,), dt, 1, 9, 1)),
    'adaptive_avg_pool3d': lambda dt: F.adaptive_avg_pool3d(T((1, 2, 9, 10, 11), dt, 6, 10), (4, 3, 5)),
    'instance_norm': lambda dt: F.instance_norm(T((2, 3, 4, 7), dt, 5, 11, 2), weight=T((3,), dt, 1, 12, 1), bias=T((3,), dt, 1, 13)),
    'batch_norm_eval': lambda dt: F.batch_norm(T((2, 4, 3, 6), dt, 5, 14, 1), T((4,), dt, 1, 15), T((4,), dt, 0.4, 16, 1), T((4,), dt, 1, 17, 1), T((4,), dt, 1, 18), training=False),
    'batch_norm_train': lambda dt: F.batch_norm(T((2, 4, 3, 6), dt, 5, 14, 1), None, None, T((4,), dt, 1, 17, 1), T((4,), dt, 1, 18), training=True),
    'embedding_max_norm': lambda dt: (lambda w: (F.embedding(tg.arange(12), w, max_norm=1.0), w)[1])(T((12, 6), dt, 2, 19)),
    'interpolate_linear': lambda dt: F.interpolate(T((2, 3, 9), dt, 4, 20), size=17, mode='linear', align_corners=False),
    'interpolate_trilinear': lambda dt: F.interpolate(T((1, 2, 3, 4, 5), dt, 4, 21), size=(5, 7, 8), mode='trilinear', align_corners=False),
    'interpolate_area_3d': lambda dt: F.interpolate(T((1, 2, 4, 5, 6), dt, 5, 38), size=(3, 3, 5), mode='area'),
    'interpolate_bicubic': lambda dt: F.interpolate(T((1, 2, 5, 6), dt, 4, 22), size=(9, 7), mode='bicubic', align_corners=False),
    'grid_sample_nearest_reflection': lambda dt: F.grid_sample(T((1, 2, 5, 6), dt, 4, 23), T((1, 3, 4, 2), dt, 1.3, 27), mode='nearest', padding_mode='reflection', align_corners=True),
    'conv_transpose2d_small_output_padding': lambda dt: F.conv_transpose2d(T((1, 4, 4, 5), dt, 3, 29), T((4, 2, 3, 2), dt, 3, 30), T((2,), dt, 2, 31), stride=(2, 3), padding=(1, 0), output_padding=(1, 0), dilation=(1, 2)),
    'conv_transpose2d_big_output_padding': lambda dt: F.conv_transpose2d(T((1, 2, 4, 4), dt, 4, 32), T((2, 1, 4, 5), dt, 4, 33), T((2,), dt, 4, 34), stride=(3, 2), padding=(1, 2), output_padding=(2, 3), groups=2, dilation=(4, 4)),
    'conv_transpose3d': lambda dt: F.conv_transpose3d(T((1, 4, 3, 3, 3), dt, 3, 35), T((4, 1, 3, 2, 3), dt, 3, 36), T((1,), dt, 2, 37), stride=2, padding=1, output_padding=1),
}

# (case, dtype): (shape, PyTorch 2.13's result as the hex of its 16-bit values)
EXPECTED = {
    ('soft_margin_loss_overflows_to_inf', 'float16'): ((),
        "7c00"),
    ('soft_margin_loss_none', 'float16'): ((40,),
        "3a053a773a3b395b380d35423ea93f173f003e663639388839b83a633a6339b83888363833393f003f163eaa3542380d"
        "395b3a3b3a773a0538fc373634723ed93f1d3edd345b371b38f039fd3a773a3f"),
    ('soft_margin_loss_none', 'bfloat16'): ((40,),
        "3f413f4f3f473f2b3f023ea83fd53fe33fe13fcd3ec73f113f373f4d3f4c3f373f113ec73e663fe13fe33fd63ea83f01"
        "3f2b3f473f4f3f413f1f3ee73e8e3fdc3fe33fdc3e8b3ee33f1e3f403f4f3f48"),
    ('soft_margin_loss_sum', 'float16'): ((),
        "598d"),
    ('soft_margin_loss_sum', 'bfloat16'): ((),
        "4332"),
    ('hinge_embedding_loss_margin_rounded', 'float16'): ((6, 7),
        "c502c64ec79a471b45cf4483452e467a47c64889492f49d5c48fc5dbc727478d464244f644bc46084754485048f6499c"
        "c41dc568c6b4c80046b445684449459546e1481648bc49624a08c4f6c642c78d472745db"),
    ('hinge_embedding_loss_margin_rounded', 'bfloat16'): ((6, 7),
        "c0a0c0cac0f340e340ba409040a540ce40f841114126413ac092c0bbc0e540f240c8409f409740c040ea410a411e4133"
        "c084c0adc0d7c10040d740ad408840b240db41024117412c4140c09fc0c8c0f240e540bb"),
    ('hinge_embedding_loss_mean', 'float16'): ((),
        "37f6"),
    ('hinge_embedding_loss_mean', 'bfloat16'): ((),
        "3efe"),
    ('bce_with_logits_pos_weight', 'float16'): ((6, 8),
        "306c25ff3a1b37d232dd417c40af3efa316729073eb43da43c5039ed374233ca2ae73080468c4601451b3ce33c6c3b3a"
        "310027013b3a38de35af2f28402e3e7c3c5228c93ec33e043ce13b2538a535462cb3203c45c1458344d843d53c633b99"),
    ('bce_with_logits_pos_weight', 'bfloat16'): ((6, 8),
        "3e0d3cbf3f453efb3e53403040153fdf3e2d3d223fd93fb43f8a3f3e3ee83e763d5a3e1040d240c040a23f9d3f8d3f67"
        "3e203ce03f693f1c3eb43de040073fd03f8a3d1a3fd83fc03f9c3f653f143ea83d973c0440b840b2409a407a3f8c3f73"),
    ('bce_with_logits_plain', 'float16'): ((6, 8),
        "3d003b64391e36c432f04222434e44183e8c3f1e3f153e7d3d703c2439d637e434b041ac42ee43e8444d3efe3f2a3ec0"
        "3dd93c9a3aa2388935cc30904285439a44333ec93f2a3ef43e353d0d3b7e393136e0334842164342441444613f1b3f18"),
    ('bce_with_logits_plain', 'bfloat16'): ((6, 8),
        "3fa03f6c3f243ed83e604045406a40833fd13fe53fe43fcf3fae3f853f3b3efa3e944035405c407c40893fe03fe43fd8"
        "3fbb3f933f543f113eb83e104051407440863fda3fe43fde3fc73fa23f703f263eda3e684043406a4082408c3fe33fe3"),
    ('bce_with_logits_mean', 'float16'): ((),
        "3e56"),
    ('bce_with_logits_mean', 'bfloat16'): ((),
        "3fcb"),
    ('adaptive_avg_pool3d', 'float16'): ((1, 2, 4, 3, 5),
        "b734c020beaf2a9c40e340483e1cb6a0c00dbe89be69374040583e45b60c3ed5b374bf67c03fac3334cb40b53efbb257"
        "bf3fc037bd8c355f40c73f2141133fb1a47dbfdcc125bf7f31e441263fd52480b482bf8cbf5c32f9408b27a7402e3f3b"
        "3259bf01bedcc0a72c3e403e3f603f85ac3bbeb5c095b374c0c9bd5c39b940353df93cc7b9ffc0b8bd383a043c784058"
        "3cedb9b1c0a5b890c05dbdd4343e40a540093da4b847c048bdafbd8f3bff401b3dcbb7f93e59b5abbfdcbfa130be381d"
        "40763e81b517bfb5c076be073865408b3ea840d53f39b067bf03c0b8bea42c0d40e63f5fae8bb669c005be812e5040f8"),
    ('adaptive_avg_pool3d', 'bfloat16'): ((1, 2, 4, 3, 5),
        "bee7c003bfd73d2f401d40083fc3bed1c002bfd1bfcd3ee7400b3fc7bec13fdcbe6bbfe9c008bd973e9340173fe0be4b"
        "bfe7c006bfb13ea740193fe440233ff7bcb5bffbc025bfef3e3740253ffb3c9dbe91bff1bfeb3e5740113d2740053fe7"
        "3e4bbfdfbfdbc0133d7440073feb3ff0bd85bfd7c012be70c01abfad3f3140063fbf3f99bf3cc016bfa73f403f8e4009"
        "3f9dbf34c013bf13c00bbfbc3e85401540033fb5bf09c009bfb8bfb33f8040033fb9bf003fc9beb7bffcbff03e123f05"
        "400f3fd0bea3bff9c00fbfc13f1040123fd4401b3fe7be0bbfe1c018bfd43d6b401d3febbdc5becfc002bfd03dd04020"),
    ('instance_norm', 'float16'): ((2, 3, 4, 7),
        "c1213fc33e2d3c9739ff35a7a9a4b710bab5bcf1be88c00fc0da40283eba3d233b1937d82df1b4ddb99bbc64bdfbbf92"
        "c094406f3f463db03b75385330d2b3aeb90cbc15bda5bf35c062c12a3f633dd43c4339683491aebfb7eebb16bd1bbeab"
        "c01dc0e53fee3e5d3cce3a7e36b827b9b6daba30bc79bddabf3bc04e3f0a3da93c4939cd36172890b4f3b93cbbfebd60"
        "bec1c011c0c23e243cc13ac2380130f2b212b847bb09bce6bcc8be6ac006413d406d3f383d953be738a2317ab399b92a"
        "bc37bdd9bf7bc08f40b53fc73e263c8439c234ffae28b809bb4dbd49beebc0473ea03d2c3b703884326fb139b837bb22"
        "bd05be7abfefc0b23f223dae3c383987353aa8d4b66dba20bc85bdf9bf6ec072c12c3e2d3cb93a8a3568a0d7b5b8b9a4"
        "bc37bd9bbeffc032c0e43e023c9e3a7237562f12b39ab8afbb77bd20be84bfe8c0a63e7e3d183b6a38a33360af7ab770"),
    ('batch_norm_eval', 'float16'): ((2, 4, 3, 6),
        "c1abc2ddc408418640543e443bba35e4b365baa4bdb7c00ec141c273c3a641f140bf3f163a0f3448b318b9b1bccebec3"
        "c05cc156c251c34c3f9e3daa3b6936fbaab1b856bc20be163124b2d5b8b3bbaf428f41d0411040513f243da53c26394f"
        "34a3ad62b753baa742d242123fe93ee83de73ce63bca39c8378b330ea7e3b483b84340a240213f413e403d3f3c3e3a79"
        "be5dc061c194c2c6c3f9419e406a3e713c0b3695b1fcba49bd8abfefc12ac25dc38f42073f173d233a5834deb1f1b966"
        "bca8be9ec04ac144c23ec3393fc53dce3bb43791a451b80c3b7c387f3205b1f0b87abb78429d41de411f405f3f403dc1"
        "3c4239873514ab40b6e4ba6eb8cf407f3ffc3efb3dfa3cf93bf039ee37d733a5a22ab436b81e40ab402b3f543e533d52"),
    ('batch_norm_eval', 'bfloat16'): ((2, 4, 3, 6),
        "c035c05bc0814030400a3fc63f763ebabe72bf55bfb7c002c028c04ec075403d40173fe13f443e8cbe61bf36bf9abfd9"
        "c00cc02bc04bc06a3ff53fb63f703ee3bd48bf0bbf84bfc33e23be5bbf17bf774052403a4022400b3fe53fb53f853f2a"
        "3e94bdb2beebbf56405b40433ffd3fdd3fbd3f9d3f793f393ef13e60bd01be91bf09401440043fe93fc83fa83f883f4f"
        "bfccc00cc033c059c07f4033400d3fcc3f813ed2be43bf4abfb1bffec025c04bc07240403fe43fa53f4e3e9fbe3abf2d"
        "bf95bfd4c009c029c048c0683ffa3fbb3f773ef7bc31bf013f703f103e40be41bf10bf704054403c4024400c3fe93fb9"
        "3f893f313ea2bd6ebedcbf4fbf1b401040003fdf3fc03f9f3f7e3f3e3efa3e74bc47be87bf04401640053feb3fcb3fab"),
    ('batch_norm_train', 'float16'): ((2, 4, 3, 6),
        "bddebeadbf7c36cc33212551b1d5b626b8b2ba50bbefbcc7bd96be65bf3437ec34b12dc4b68db8ceba55bbddbcb2bd75"
        "be39befdbfc0c04228e6b0e1b57fb847b9cebb55bc6ebd3239373836366934683ecb3e4b3dca3d4a3cc93c493b913a90"
        "398f388e371c35193ef83e773c4d3bea3b3a3a8a39da392938793791363034d032df3cc43c6c3c143b773ac73a173966"
        "bc30bcffbdcebe9dbf6d370c33992888b159b5eab893ba32bbd0bcb7bd87be56bf253814a2d1b287b654b8b1ba38bbbf"
        "bca3bd67be2bbeeebfb2c03b2ac9b06fb545b82ab9b1bb383b4b3a4a394a38493690348e3ed43e543dd43d533cd33c52"
        "3ba43aa339a238a137413540321f3cac3c543bf83b473a9739e73936388637ab364b34ea33123cca3c723c1a3b843ad4"),
    ('embedding_max_norm', 'float16'): ((12, 6),
        "39a63858361532f32af3aef3b119b413b59cb722b855385739853857365233ec2e68aa0fb032b35fb547b6ddb83a38c9"
        "39633850367c345730651ac7ae94b2abb505b6b5b833b90a39403846369734a3315c29cbac9db1f8b4d1b6a5b83db928"
        "3920383b36aa34df32282d23a88bb123b492b692b848b9483903383036b9351132d22f062055b01eb440b672b852b96a"),
    ('embedding_max_norm', 'bfloat16'): ((12, 6),
        "3f353f0b3ec43e5f3d5fbddfbe23be82beb3bee5bf0b3f0b3f303f0b3ec93e7c3dccbd41be06be6dbea9bedcbf083f19"
        "3f2b3f0a3ecf3e8a3e0c3b58bdd2be55bea0bed6bf06bf213f283f083ed33e953e2b3d39bd94be3fbe9abed6bf08bf25"
        "3f243f083ed53e9c3e443da5bd11be24be91bed1bf09bf293f213f073ed73ea33e5b3de23c0bbe04be88becfbf0abf2e"),
    ('interpolate_linear', 'float16'): ((2, 3, 17),
        "391f37322ecdb393b8a3bb61bd10be70bfcfc097c147c1f6c2a6c356c1323d2d42e9419e413d408d3fba3e5a3cfa3b37"
        "387832e9b010b786ba82bca0bdffbf5ec05fc0c1c20cc26ec31dbc4e41a142d34223417440c540153ecb3d6b3c0c3959"
        "3535a47eb2a8bad9bc30bd8fbeeec027c0d6c187c236c2e5371a43bc430c425c41ac40fc404d3fd73d3f3c7c3a3a36f7"
        "2de8b403b8c0bb7fbd1fbe7ebfdec09ec14ec1fec2adc35dc3be42f6429541e5413540853faa3e4c3ced3b1b385c3276"
        "b085b7bfba9ebcaebe0ebed1"),
    ('interpolate_linear', 'bfloat16'): ((2, 3, 17),
        "3f243ee53dd9be73bf15bf6cbfa2bfcebffac013c029c03fc055c06bc0263fa7405d4034402740113ff83fcc3f9f3f67"
        "3f0f3e5dbe03bef1bf50bf94bfc0bfecc00cc018c042c04ec064bf8a4035405a4044402f401940033fd93fad3f813f2b"
        "3ea7bc96be55bf5bbf86bfb2bfdfc005c01bc031c047c05d3eea40784061404b40354020400a3ffb3fa83f8f3f473edf"
        "3dbcbe81bf18bf70bfa4bfd0bffcc014c02ac040c056c06cc078405f4052403c402740113ff53fca3f9e3f633f0b3e4f"
        "be12bef8bf54bf96bfc2bfda"),
    ('interpolate_trilinear', 'float16'): ((1, 2, 5, 7, 8),
        "be1dbf3fc06fc13ec20ec2dd394f43c33185af18b820bb5ebd4ebeec3a0d417241c9413840693f323d933bea3b3e3af8"
        "3e733d513b6438262f42b4aab992bbd6b3a9b82fbb23bb85bcabbe4abfe8c085c02fc0c0c0eb359f3e383c9939f53761"
        "c27fc310c2e03ca1428141b340e34052b500b8c5bc01bda0bf3ec06f2d1b3f9633d9a8e5b717bac9bd03bea2350c3f87"
        "3c8d3ad5372d2994b5c8ba21398a3f6f3cea3b8f3851304fb453b967b1c7338c3bcf398b34f52f9bb1bcb8adbbeabd17"
        "bb02bca3bd7c30e539b434edae37b617c010c0a2c0d731943d143aec375c31a43e0c3cea3a9636b222e9b643ba5fbc52"
        "35ab2c87b55ab9e9bc93be32b58a38f6bdfdbf1fc05fc12ec1fec2cd35fa42ae393735e5a8aeb70fbac5bd0238bf401f"
        "419a4109403a3ed53d363b2d37e032ad3b963952342ab0a2b866bba4bd71be94b2a8b7ddbb2cbd34bed3c039c109c19a"
        "bddb35a4414c407c3f5a3dbb3c1c39f4bb40311c3df63c5739713467381a39d6a3b3b0c4b5c9ba21bcafbe4eb4f639a6"
        "2cdab2a5b8e7bc12bdb1bf4f247d3df03157af76b82cbb6abd54bef235dd40113c3d3a3535eea865b707bac1b49131c8"
        "3e773d553b6b382f2f8bb498b98abbcfc2e5b36443ba42ea421b414b407c3fd7befc33004169409a3f943df63c573a6a"
        "3bc73b823ad6373129b2b5c4ba20bc32b4eeb8bbbbf8bd9bbf39c06cb5dc3c66be5abf7cc08ec15dc22cc2fb3486427f"
        "3c883acb371b2908b5d9ba2936e53d9641a9411840493ef43d553b6d383033adb687b988bc62be02bfa0c09fc16fc200"
        "be43b8ca38d5325fb295b8e2bc10bd32c2d6b73642a641d7410740383ed13dafbd12325840163e8e3cef3aa136c63078"
        "3b0c38c83227b2cfb708b7cdbadbbc90bbc7bd05bea3c021bae63fcb3f753e52c042c0d3c1a2c271bc8142f04320428f"
        "3a7738322fa6b492b987bc62be01bf23b5982f7f396a3459b042b84ebb8bbce8c067b8473e463ca83a1235a8aa8fb55b"
        "be9cb1ef3ea33d053acc371c290bb3cfbaff308b3da23c0339a3381c302bb0e8bb2fb974b71bbacbb4a33cf03c1739ea"
        "bb4dbcc8be67c003bb493ebd3e513d2f414440b33fc63e283c8939d4352d291f3de63cc43a4a3618a633b6debaacbc78"
        "b608b948bc43bde2bf81c090c15fc1f0c075ba173c56396d345eb03cb84bba8fc304b855427741a740d840083e723d50"
        "ba4b31b93d853bcc388f3144b3b0b8303b4c39073326b1cfb8b1bbefbd96beb8b582b906bc22bdc0b57a4082404c3f75"
        "32d2ac80b79bbb0ab5223ccf3bec39a73c6b3a9236ab21dab496b7a5bae4bc94b6762276380f2e8db4d8b9aabc73bd96"
        "bebcb95738ca3231b2c6b8efbc17bd393c263d033df73c5839723468b024b69b417940e840193e923cf33aa936d830a1"
        "c0a8c139c208c2d7bd4d428942ba4229b905bb49bd43bee1b826409440693fb0402f3f3c3d9e3bfe3a2d39ca35ac2c8a"
        "3a7e383a2fe8b480b97dbc5dbdfcbf1eb77eba03bca0be3fbfddc0bec18ec21f40813fe03e423ca33a093597ab1ab56c"
        "43e64355428741b740e840183e923d70"),
    ('interpolate_trilinear', 'bfloat16'): ((1, 2, 5, 7, 8),
        "bfc4bfe8c00ec028c042c05b3f2a40783e33bddbbf03bf6bbfa9bfdc3f41402e403a4027400d3fe73fb33f7f3f683f5e"
        "3fce3faa3f6c3f053de9be95bf32bf7abe75bf06bf64bf71bf96bfcabffdc010c006c018c01d3eb63fc83f943f413ef0"
        "c050c062c05b3f9440504036401c400abea1bf19bf80bfb5bfe8c00e3da43ff33e7dbd16bee2bf59bfa0bfd43ea23ff1"
        "3f923f5c3ee63d36beb8bf443f323fef3f9e3f723f0a3e09be8bbf2dbe383e743f7b3f323ea03df2be3bbf17bf7ebfa3"
        "bf62bf95bfb03e1d3f373e9fbdc1bec1c002c014c01b3e333fa33f5e3eec3e353fc23f9d3f533ed63c5dbec8bf4cbf8a"
        "3eb53d8fbeacbf3ebf93bfc6beaf3f21bfc0bfe4c00cc026c040c05a3ec240573f273ebebd08bee3bf5abfa03f184004"
        "4033402140083fdb3fa73f653efc3e563f723f293e84be1bbf0fbf77bfafbfd3be55befbbf65bfa7bfdbc007c021c033"
        "bfbd3eb3402a40103fec3fb83f843f40bf683e233fbf3f8b3f2e3e8e3f043f3bbc15be14beb8bf44bf96bfcabea03f34"
        "3d98be56bf1dbf82bfb6bfea3c883fbe3e23bdfdbf07bf6fbfabbfe03ebc40033f883f473ec0bcf9bee0bf58be923e3b"
        "3fcf3fab3f6f3f073df9be92bf30bf78c05dbe6f4078405d4043402a40103ffbbfdf3e60402d40133ff23fbe3f8b3f4d"
        "3f7a3f713f5a3ee53d27bebbbf45bf87be9ebf18bf80bfb3bfe7c00ebebc3f8dbfccbff0c012c02cc046c0603e914051"
        "3f923f5b3ee83d4bbeb7bf443edd3fb34035402340093fdf3fab3f6d3f063e76bed1bf31bf8cbfc0bff4c014c02ec040"
        "bfc8bf183f1c3e52be4ebf1cbf82bfa6c05abee44055403b402140073fda3fb6bfa23e4d40033fd23f9e3f543ed93e10"
        "3f613f193e46be59bee1befabf5bbf92bf7abfa1bfd5c004bf5d3ffa3fef3fccc008c01ac034c04ebf90405d40644052"
        "3f4e3f063df5be93bf32bf8dbfc1bfe5beb53dec3f2e3e8cbe07bf0abf72bf9dc00dbf093fc93f963f443eb7bd4bbeac"
        "bfd4be3d3fd53fa13f5a3ee43d23be7abf603e123fb53f813f353f033e06be1bbf66bf30bee8bf5bbe963f9e3f843f3f"
        "bf6abf99bfcec001bf693fd83fca3fa6402840163ff93fc53f913f3a3ea63d243fbb3f973f483ec1bcdcbedcbf56bf8f"
        "bec4bf2abf89bfbdbff0c012c02cc03ec00ebf433f8a3f2e3e8cbe06bf09bf52c061bf0b404f4035401b40013fcf3fab"
        "bf483e383fb03f783f113e23be7bbf073f693f203e64be3abf16bf7dbfb3bfd7beb6bf23bf85bfb9beb14011400a3fef"
        "3e57bd93bef3bf61bea43f9a3f7e3f353f8e3f543ed73c6abe91bef3bf5cbf93becb3c793f013dcbbe9cbf35bf8fbfb3"
        "bfd7bf2b3f183e3ebe61bf20bf84bfa83f863fa13fbf3f8b3f2f3e90be01bed3402f401d40033fd23f9f3f573ede3e18"
        "c015c027c041c05bbfaa405240584045bf1fbf67bfa7bfdcbf044012400d3ff540073fe93fb43f803f463f393eb43d8a"
        "3f513f083dfdbe92bf31bf8cbfc0bfe4bef1bf41bf94bfc9bffdc018c032c04540113ffd3fc93f953f433eb9bd43beac"
        "407d406b40504037401d40043fd33fae"),
    ('interpolate_area_3d', 'float16'): ((1, 2, 3, 3, 5),
        "b76ebd19baae3ad83d2eb415bc43bc2a392f3e07a9b8bad6bea9bce637703384b89abd8abb8f39f6371fb5d7bcb3bc9b"
        "384f393eb0f2bbb7bf1bad6b3b7b3000b97cbdfcbc393c94355bb79bbd24b6d93d6c385cb43cbc4cb9153c583e1a39b8"
        "ae14bb3eba4f3b353b672f5db98dbbf739903c8a3532b7c4b9b73bcd3da938d6b28dbb603a273e803a841d2bbe2ebc6c"
        "38ae3c1a32e0bd0fba993aec3d3837ebbc38bc2139443e1039a4bac4be9f287f3ee63b54"),
    ('interpolate_area_3d', 'bfloat16'): ((1, 2, 3, 3, 5),
        "beedbfa3bf563f5a3fa6be82bf89bf863f253fc0bd40bf5bbfd6bf9e3eec3e70bf13bfb1bf733f3e3ee3bebcbf97bf93"
        "3f093f28be20bf76bfe3bdb53f703e00bf32bfc0bf883f933eacbef5bfa5bedb3fae3f0cbe87bf8abf243f8a3fc23f38"
        "bdc0bf66bf4b3f653f6d3df0bf31bf813f323f913ea8bef9bf383f7a3fb63f1cbe51bf6d3f443fd03f503c00bfc6bf8e"
        "3f163f843e60bfa1bf543f5e3fa73effbf88bf843f293fc13f35bf56bfd33d023fdd3f6c"),
    ('interpolate_bicubic', 'float16'): ((1, 2, 9, 7),
        "c47d41204432422741003fab3db5c0c73dbc403d3ced393d2ca2b6b0350818f3b839bc79bec8c08ec189bd4d3c2a3d31"
        "3820abe9b929bc8ac3a0411843f541d140aa3efe3d08bcf83fa53f01387b2ba5b830bc0d38ddb682b884ba50bdbec009"
        "c104befbc25334d740463c2f3766a73fc338c4fa3c7c445f41f140c73f963d243b01b51abcfcbefec0a9c1a5b877bd5f"
        "35253c2131afb67abb2bc1d0c42c3c9f43ee415140273e56bd19c07539d1405b3ca738a62dbd3c78390529b9b842bc6f"
        "bec4c05dbc9ec0373aca40993d23399c32bec14cc3d33daa443a41d640ab3f60b168bb9f39b23db0388aa403b80b3f06"
        "3d6330dbba34bd1cbf71c0b3"),
    ('interpolate_bicubic', 'bfloat16'): ((1, 2, 9, 7),
        "c09040244086404540203ff53fb6c0193fb840083f9e3f273d92bed83ea03ae5bf07bf8fbfd9c012c031bfa93f853fa6"
        "3f03bd80bf24bf91c0744023407e403a40153fe03fa1bf9e3ff43fe03f0f3d6cbf05bf813f1bbed0bf10bf4abfb7c001"
        "c020bfdfc04a3e9a40093f863eebbccbc067c09f3f8f408c403e40193ff33fa43f60bea3bf9fbfdfc015c034bf10bfad"
        "3ea63f853e39becdbf65c03ac0863f94407e402a40053fcabfa3c00e3f3a400b3f943f143dac3f8f3f213d37bf08bf8e"
        "bfd9c00cbf93c0073f5840133fa33f333e55c029c07b3fb54087403a40163fecbe2cbf753f363fb63f11bc5fbf013fe1"
        "3fac3e1cbf46bfa3bfeec016"),
    ('grid_sample_nearest_reflection', 'float16'): ((1, 2, 3, 4),
        "43c336a8c2193df43fbeb93f43c336a8c2193df4be1db93f370ac20c3e0cbfcfbe0443cf370ac20c3e0cbfcf421043cf"),
    ('grid_sample_nearest_reflection', 'bfloat16'): ((1, 2, 3, 4),
        "40783ed5c0433fbe3ff8bf2840783ed5c0433fbe4025bf283ee1c0423fc2bffabfc1407a3ee1c0423fc2bffabf5b407a"),
    ('conv_transpose2d_small_output_padding', 'float16'): ((1, 2, 8, 15),
        "b8d83656b0d7c30b3656c03f3c34365637afbf733656bdf545bb365644224407365643a9bf333656aef6482d3656461a"
        "410a365640503d773656a56041a136564052ae633656321a457b3656439a412036563f50b5a33656b089c4773656c3ed"
        "c9263656c7e83f7a36563516c3ee3656c340c8e53656c791c2893656c039c62f3656c416366f3656383dc1073656bdc3"
        "c56d3656c2d2c09a3656bc68481b36564831460c3656453232f436563d05485c3656485dbad63656ba7746bd365644d0"
        "43a5365641af3b4536563afb467d3656447bba1a3656b9bc41c736563bb93f7336563b123ab236563a6b40f33656377f"
        "3f342c9c4083448e2c9c45f5c1672c9cc28b2a432c9c36bfc42e2c9cc5c8410a2c9cc94d48032c9cc621c57b2c9c48c1"
        "25e22c9c4afec74a2c9c417bbdb52c9cc0293d4b2c9c3e75c4ec2c9cc69bc0572c9cc1cf38a92c9c3a57bf1e2c9c4738"
        "43722c9c49d9c7c42c9cc6a6c0832c9cc056427f2c9c409e42ab2c9c447d46172c9c48183acd2c9c3bd443352c9c44ad"
        "465a2c9c483044942c9cb4e048782c9c2eba38ed2c9cca13461f2c9cc7ad483b2c9cc8a3bb382c9cbadac5222c9cc70f"
        "c0c22c9cc2b735f32c9c3562c5e02c9cc7e2ba7c2c9c4b49c87e2c9c3e10c4572c9c443034d12c9c46d9c8f22c9cc81c"),
    ('conv_transpose2d_small_output_padding', 'bfloat16'): ((1, 2, 8, 15),
        "bf1a3ecbbe0fc0613ecbc0073f8a3ecb3efdbfea3ecbbfbc40b73ecb408440803ecb4075bfea3ecbbde541053ecb40c2"
        "40203ecb40093fad3ecbbc7f40343ecb400abdd63ecb3e3e40af3ecb407240233ecb3fe8beba3ecbbe1bc08f3ecbc07d"
        "c1253ecbc0fc3ff33ecb3e9fc07b3ecbc068c11d3ecbc0f3c0523ecbc008c0c63ecbc0833ed33ecb3f0cc0203ecbbfb6"
        "c0ae3ecbc05ac0133ecbbf8c41033ecb410640c13ecb40a63e4d3ecb3fa1410b3ecb410bbf573ecbbf4e40d73ecb409a"
        "40743ecb40363f693ecb3f5f40cf3ecb408fbf443ecbbf3940393ecb3f783fef3ecb3f633f573ecb3f4e401e3ecb3ef1"
        "3fe93d93401040923d9340bec02e3d93c0533cd43d933ec4c0853d93c0b840233d93c12a41013d93c0c5c0af3d934118"
        "3c113d93415fc0e93d93402fbfb83d93c0053faa3d933fd0c09d3d93c0d2c00b3d93c0393f143d933f4ebfe63d9340e6"
        "406e3d93413bc0f83d93c0d4c0103d93c009404f3d93401540553d93409040c23d9341033f5c3d933f7740673d934095"
        "40cc3d93410640923d93be91410f3d933e093f213d93c14340c43d93c0f641083d93c114bf6a3d93bf60c0a43d93c0e1"
        "c0183d93c0573ebb3d933eabc0bc3d93c0fcbf4d3d93416ac1103d933fbec08b3d9340863e903d9340dcc11e3d93c103"),
    ('conv_transpose2d_big_output_padding', 'float16'): ((1, 2, 22, 22),
        "409340934093409340934093409340934093409340934093409340934093409340934093409340934093409340934093"
        "40934093409340934093409340934093409340934093409340934093409340934093409340934093c8db4093cda24093"
        "47c64093317040934d3c40933bbc40934c5840933f0a40934aec409347644093462e4093b1904093befa4093c1cb4093"
        "3b0a409338824093430240934406409346204093477e409345f6409346dc409340934093409340934093409340934093"
        "40934093409340934093409340934093409340934093409340934093b828409347424093471640934764409341be4093"
        "465c4093415e40934556409340ff4093411c40933d6440934668409342b8409346c04093442840934268409344f54093"
        "b588409345c24093c3c74093bdea4093b8b040934662409349af40934b3540934b0040934c7840934c2840934d564093"
        "481e4093484f4093c6c24093c87a4093485540934692409346684093c9564093cb974093c82b4093ca014093c6024093"
        "c86c4093c08d4093c2f74093428040934290409340404093408240933fc040933ce840933f014093326040933e424093"
        "402e409341f64093c4904093475a4093c97e409348144093cb434093487a4093cc854093cd8040934574409349c74093"
        "48ad4093c27f4093c7e64093c9834093c5464093c78e4093c14d4093c4184093a6804093b91040933f9c40933f3c4093"
        "2e604093bd5e4093c0ff40933bea40933964409342a5409343b1409345a840934704409345a84093468c4093397a4093"
        "bf6a40933cc44093c1c140933c054093c3cf40933a8a40934698409346f84093418d409338a6409349c740933df24093"
        "4b8940934093409349c34093422c409347fa409343c44093446e4093415d4093412d4093409340934093409340934093"
        "409340934093409340934093409340934093409340934093409340934093409345ee4093492940934aaf40934a544093"
        "4c2240934b7f40934ced4093480d4093483e4093c5fe4093c81840934474409345b040934120409344aa409340c04093"
        "43454093406040934138409340014093409e4093406e4093409340934093409340934093409340934093409340934093"
        "409340934093409340934093409340934093409340934093409340934093409340934093409340934093409340934093"
        "40934093409340934093409340934093c1474093c6d04093c8f84093c47c4093c6c44093c04d4093c333409331d04093"
        "b6c840933fbd40933f5e4093409340934093409340934093409340934093409340934093409340934093409340934093"
        "40934093409340933e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f"
        "3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f"
        "3c833e8fb76c3e8f38e23e8fbf1d3e8f30483e8fc2303e8fb57c3e8fc46a3e8fba8e3e8f38023e8f41033e8fc9ef3e8f"
        "cdbd3e8f46003e8f3cef3e8f4d2b3e8f3eff3e8f4c353e8f40843e8f4a7f3e8f46913e8f457d3e8f3e8f3e8f3e8f3e8f"
        "3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f40de3e8f43aa3e8f44e73e8f"
        "45e03e8f47c93e8f47ea3e8f49553e8f48fb3e8f4ac63e8f48433e8f49443e8fc0543e8f46443e8f465a3e8f47e53e8f"
        "43463e8f46943e8f42513e8f45433e8f415e3e8f40813e8f3cb23e8f454e3e8f428a3e8f45513e8f438e3e8f3dec3e8f"
        "44493e8fc0b63e8f44cb3e8fc6323e8fc20e3e8fc0023e8fb4a83e8f44173e8fc40d3e8f444f3e8fc8173e8f44853e8f"
        "ca263e8f44bf3e8fcc1b3e8fc81b3e8fc6353e8f478b3e8f469f3e8f46b43e8fc8913e8fcab23e8fc7183e8fc9403e8f"
        "c50c3e8fc7a03e8fc0203e8fc2463e8f41583e8f41403e8f3eea3e8f3d3c3e8f3d023e8fa0803e8f3a343e8fbd4d3e8f"
        "34c83e8f3c3d3e8f402a3e8fc6623e8f45ce3e8fcaee3e8f46523e8fcc6d3e8fcdc93e8f47523e8f3c3f3e8f4d7f3e8f"
        "49893e8f48803e8fca5b3e8fcdbf3e8f45f83e8f41683e8f4d893e8f41dc3e8f4c813e8f424c3e8f4af03e8f46f03e8f"
        "45dc3e8f29003e8fbbb23e8fbf6d3e8f3c533e8f3c193e8f42403e8f43d03e8f452b3e8f46ca3e8f45253e8f462a3e8f"
        "b8f63e8fc3e83e8fb93a3e8fc5463e8fbc853e8f46b83e8f46853e8f482c3e8f439a3e8f419f3e8f39fc3e8f3e8f3e8f"
        "3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f45883e8f43283e8f"
        "45a03e8f43983e8f3dff3e8f44043e8fc1403e8f443b3e8fc6c03e8fc2c23e8fc0b63e8f45253e8f48a03e8f4a463e8f"
        "49a63e8f4bb73e8f45ea3e8f45b43e8fc8eb3e8fcb303e8fc5713e8fc7803e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f"
        "3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f"
        "3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8fc6e23e8f44a93e8fcb803e8f44e43e8fccc83e8fcdc33e8f"
        "47683e8f41483e8f4de33e8f49e33e8f48db3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f"
        "3e8f3e8f3e8f3e8f3e8f3e8f3e8f3e8f"),
    ('conv_transpose2d_big_output_padding', 'bfloat16'): ((1, 2, 22, 22),
        "401240124012401240124012401240124012401240124012401240124012401240124012401240124012401240124012"
        "40124012401240124012401240124012401240124012401240124012401240124012401240124012c11c4012c1b44012"
        "40f940123e60401241a740123f684012418b40123fe04012415e401240ec401240c64012be404012bfe04012c03a4012"
        "3f6040123f124012406040124081401240c4401240ef401240be401240db401240124012401240124012401240124012"
        "40124012401240124012401240124012401240124012401240124012bf08401240e8401240e3401240eb401240374012"
        "40cb4012402c401240aa401240204012402340123fac401240cd40124057401240d8401240854012404c4012409e4012"
        "beb8401240b84012c07a4012bfbe4012bf18401240cd4012413640124166401241604012418f40124185401241aa4012"
        "4104401241084012c0d94012c1104012410a401240d3401240ce4012c12c4012c1744012c1064012c1404012c0c14012"
        "c10e4012c0144012c0604012405040124051401240084012401040123ff840123f9d40123fe040123e5040123fc74012"
        "40054012403e4012c093401240eb4012c130401241024012c16a401241104012c1914012c1b0401240af401241384012"
        "41164012c0524012c0fd4012c1304012c0a94012c0f34012c02a4012c0834012bd404012bf2440123ff340123fe74012"
        "3dc04012bfae4012c02040123f7c40123f2c4012405440124076401240b4401240e0401240b5401240d140123f2c4012"
        "bfec40123f974012c03640123f804012c07a40123f50401240d3401240df4012403140123f124012413840123fb84012"
        "4172401240124012413840124045401240ff401240784012408e4012402b401240254012401240124012401240124012"
        "401240124012401240124012401240124012401240124012401240124012401240be40124124401241564012414a4012"
        "4184401241704012419d40124102401241074012c0c14012c1044012408e401240b64012402440124094401240184012"
        "40684012400c4012402640123fff401240134012400d4012401240124012401240124012401240124012401240124012"
        "401240124012401240124012401240124012401240124012401240124012401240124012401240124012401240124012"
        "40124012401240124012401240124012c0284012c0db4012c11e4012c0904012c0d94012c00a4012c06640123e304012"
        "bee040123ff740123feb4012401240124012401240124012401240124012401240124012401240124012401240124012"
        "40124012401240123fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd2"
        "3fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd2"
        "3f903fd2bee83fd23f1e3fd2bfe23fd23e083fd2c0473fd2beb03fd2c08e3fd2bf503fd23f023fd240203fd2c13f3fd2"
        "c1b83fd240be3fd23fa23fd241a53fd23fda3fd241873fd2400f3fd241503fd240d23fd240b03fd23fd23fd23fd23fd2"
        "3fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd2401c3fd240753fd2409c3fd2"
        "40bc3fd240f83fd240fc3fd2412a3fd2411f3fd241593fd241083fd241283fd2c00b3fd240c83fd240cc3fd240fc3fd2"
        "40683fd240d23fd2404a3fd240a83fd2402c3fd240103fd23f963fd240aa3fd240513fd240aa3fd240713fd23fbe3fd2"
        "408a3fd2c0173fd2409a3fd2c0c63fd2c0413fd2c0013fd2be943fd240823fd2c0823fd2408a3fd2c1023fd240923fd2"
        "c1453fd240963fd2c1833fd2c1043fd2c0c63fd240f23fd240d23fd240d63fd2c1123fd2c1563fd2c0e43fd2c1283fd2"
        "c0a23fd2c0f43fd2c0033fd2c0493fd2402b3fd240283fd23fde3fd23fa83fd23fa03fd2bc003fd23f463fd2bfaa3fd2"
        "3e983fd23f883fd240053fd2c0cc3fd240ba3fd2c15e3fd240ca3fd2c18e3fd2c1b93fd240ea3fd23f823fd241b03fd2"
        "41313fd241103fd2c14c3fd2c1b83fd240be3fd240313fd241b13fd2403d3fd241903fd2404b3fd2415e3fd240de3fd2"
        "40bc3fd23d203fd2bf743fd2bfee3fd23f8b3fd23f843fd240483fd2407b3fd240a63fd240da3fd240a43fd240c63fd2"
        "bf1c3fd2c07d3fd2bf283fd2c0a83fd2bf923fd240d83fd240d03fd241063fd240733fd240343fd23f403fd23fd23fd2"
        "3fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd240b13fd240663fd2"
        "40b43fd240733fd23fc03fd240803fd2c0293fd240883fd2c0d83fd2c0593fd2c0173fd240a43fd241143fd241483fd2"
        "41343fd241773fd240bc3fd240b83fd2c11e3fd2c1663fd2c0ae3fd2c0f23fd23fd23fd23fd23fd23fd23fd23fd23fd2"
        "3fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd2"
        "3fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd2c0dc3fd240963fd2c1703fd2409a3fd2c1993fd2c1b83fd2"
        "40ec3fd240293fd241bc3fd2413d3fd2411b3fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd23fd2"
        "3fd23fd23fd23fd23fd23fd23fd23fd2"),
    ('conv_transpose3d', 'float16'): ((1, 1, 6, 5, 6),
        "c842459ec83e48a1c7cc3f7a46e2498647004414c1ffc3dbc7c34721c7bac86048b84923c1c53a594334447c436f416c"
        "48bd462647243b69472cba8e4b6144b64b6bc88abfc94745469348ce46cf4d584bb74c10b3344960b0d24ab8b71ac870"
        "468e3d6ac456bfb342903c11cc8fc639c0124857c2aa435147363c46473f3c894747c6a0c1d1c845c196c826c158bb6e"
        "c8444598c83f45aac83b44ce46d8497c46f543fec213c44bc7c6471ac7bec86348b74979c286caa649f7bb944a00443e"
        "42fd42e1437343cf43e947334b5e44a94b6844cd4b70c79ec3d23fd646ba4d4e4bac4bc1bf9f49fbb1984ab2b77fc789"
        "48bc461f47203b3a4729b0cf439744df43d2451a4407458747333c2b473b3c724744c5f444243d90c1aac831c16dbd2e"
        "474dc9d6c84145a4c83c4579c83dc9b747843e18476346cfc1bdc850c1d5c85bc1ecbdd947433c0a47233a0f4702381c"
        "c205456f482e4aea482748dd46e145d448b5455048a4c608"),
    ('conv_transpose3d', 'bfloat16'): ((1, 1, 6, 5, 6),
        "c10840b3c1084114c0f93fee40dc413040df4081c041c07bc0f840e3c0f7c10c41174125c0393f4d40674090406e402e"
        "411840c540e43f6d40e5bf53416c4097416dc112bfff40e940d2411a40da41ab41774182be88412cbe314157befbc10e"
        "40d13fb0c08abff240513f82c192c0c6bfff410bc054406a40e63f8a40e83f9240e9c0d5c039c108c031c104c02abf6e"
        "c10840b3c10840b5c108409a40db412f40de407fc043c089c0fa40e3c0f9c10d4117412fc04fc155413fbf7a41404088"
        "405f405a406e4078407d40e6416c4095416d409a416dc0f3c07b3ffa40d741aa41764178bff9413fbe564156bef5c0f1"
        "411840c440e43f6640e5be184073409c407a40a4408140b140e63f8540e73f8e40e8c0bf40843fb7c034c106c02dbfa7"
        "40e9c13bc10840b5c10840afc108c13740f13fc240ed40dac037c10ac03ac10cc03dbfbb40e83f8240e53f4340e03f06"
        "c03f40af4106415d4105411c40dd40ba411640ac4115c0c2"),
}


def _bits(t):
    return t.contiguous().view(tg.int16).numpy().view(np.uint16).reshape(-1)


@pytest.mark.parametrize("case,dtype", sorted(EXPECTED), ids=lambda v: str(v))
def test_half_results_match_pytorch_bit_for_bit(case, dtype):
    shape, hexbits = EXPECTED[(case, dtype)]
    result = CASES[case](getattr(tg, dtype))
    assert result.dtype == getattr(tg, dtype)
    assert tuple(result.shape) == shape
    expected = np.array([int(hexbits[i:i + 4], 16) for i in range(0, len(hexbits), 4)], dtype=np.uint16)
    got = _bits(result)
    wrong = np.flatnonzero(got != expected)
    assert wrong.size == 0, f"{wrong.size} of {expected.size} values differ from PyTorch's, first at {wrong[0]}"


def test_float32_results_keep_their_dtype():
    # the half paths leave float32 alone: same dtypes, finite where float16 overflows
    x = tg.tensor([-8.4766, -1.7656, -4.3242, -2.4004, -7.9492])
    y = tg.tensor([3.6113, -8.0703, -0.5737, 3.1289, -3.0332])
    out = F.soft_margin_loss(x, y)
    assert out.dtype == tg.float32 and np.isfinite(out.item())
    # PyTorch 2.13: tensor(7.6406) (float32)
    assert abs(out.item() - 7.6406) < 1e-3
