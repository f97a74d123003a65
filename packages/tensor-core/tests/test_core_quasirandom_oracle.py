"""SobolEngine against PyTorch's: direction numbers, scrambling and every draw path, bit for bit."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.quasirandom import SobolEngine  # noqa: E402


def test_direction_numbers_of_all_dimensions():
    ours = SobolEngine(21201).sobolstate.numpy()
    assert np.array_equal(ours, torch.quasirandom.SobolEngine(21201).sobolstate.numpy())


@pytest.mark.parametrize("dimension, seed", [(1, 0), (3, 5), (40, 123), (257, 2**40)])
def test_scrambled_sequences(dimension, seed):
    ours, theirs = SobolEngine(dimension, scramble=True, seed=seed), torch.quasirandom.SobolEngine(
        dimension, scramble=True, seed=seed)
    assert np.array_equal(ours.sobolstate.numpy(), theirs.sobolstate.numpy())
    assert np.array_equal(ours.shift.numpy(), theirs.shift.numpy())
    for n in (1, 5, 100, 0, 37):
        assert np.array_equal(ours.draw(n, dtype=tg.float64).numpy(), theirs.draw(n, dtype=torch.float64).numpy())
    ours.fast_forward(1000)
    theirs.fast_forward(1000)
    assert np.array_equal(ours.draw(64).numpy(), theirs.draw(64).numpy())
    assert np.array_equal(ours.quasi.numpy(), theirs.quasi.numpy())
    assert ours.num_generated == theirs.num_generated
    ours.reset()
    theirs.reset()
    assert np.array_equal(ours.draw_base2(4).numpy(), theirs.draw_base2(4).numpy())


def test_fast_forward_from_the_start_and_float32_rounding():
    for skip in (0, 1, 2, 7, 1 << 12):
        ours, theirs = SobolEngine(6, scramble=True, seed=skip), torch.quasirandom.SobolEngine(6, scramble=True,
                                                                                            seed=skip)
        assert np.array_equal(ours.fast_forward(skip).draw(9).numpy(), theirs.fast_forward(skip).draw(9).numpy())


def test_global_generator_stream_matches():
    tg.manual_seed(11)
    torch.manual_seed(11)
    assert np.array_equal(SobolEngine(5, scramble=True).draw(8).numpy(),
                          torch.quasirandom.SobolEngine(5, scramble=True).draw(8).numpy())
    assert np.array_equal(tg.rand(3).numpy(), torch.rand(3).numpy())
