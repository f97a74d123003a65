"""tensorgraft.quasirandom.SobolEngine: the expected values are PyTorch 2.13's, written out."""
import pytest

import tensorgraft as tg
from tensorgraft.quasirandom import SobolEngine

# The first eight unscrambled points in five dimensions (Joe-Kuo direction numbers).
FIRST_EIGHT = [[0.0, 0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5, 0.5], [0.75, 0.25, 0.25, 0.25, 0.75],
               [0.25, 0.75, 0.75, 0.75, 0.25], [0.375, 0.375, 0.625, 0.875, 0.375],
               [0.875, 0.875, 0.125, 0.375, 0.875], [0.625, 0.125, 0.875, 0.625, 0.625],
               [0.125, 0.625, 0.375, 0.125, 0.125]]


def test_unscrambled_points_and_state():
    engine = SobolEngine(5)
    assert repr(engine) == "SobolEngine(dimension=5)"
    points = engine.draw(8)
    assert points.dtype is tg.float32 and points.tolist() == FIRST_EIGHT
    assert engine.num_generated == 8
    assert engine.quasi.tolist() == [134217728, 671088640, 402653184, 134217728, 134217728]
    assert engine.sobolstate[1, :3].tolist() == [536870912, 805306368, 671088640]


def test_draws_in_pieces_continue_the_sequence():
    whole = SobolEngine(5).draw(8, dtype=tg.float64).tolist()
    engine = SobolEngine(5)
    pieces = engine.draw(1).tolist() + engine.draw(0).tolist() + engine.draw(3).tolist() + engine.draw(4).tolist()
    assert pieces == whole
    engine.reset()
    assert engine.num_generated == 0 and engine.draw(2).tolist() == whole[:2]


def test_fast_forward_and_base2():
    engine = SobolEngine(5).fast_forward(5)
    assert engine.num_generated == 5 and engine.draw(1).tolist() == [FIRST_EIGHT[5]]
    assert SobolEngine(5).fast_forward(1).draw(1).tolist() == [FIRST_EIGHT[1]]
    engine = SobolEngine(5)
    assert engine.draw_base2(2).tolist() == FIRST_EIGHT[:4]
    assert engine.draw_base2(2).tolist() == FIRST_EIGHT[4:]
    with pytest.raises(ValueError, match=r"n=8\+2\*\*1=10\. If you still want to do this, please use "
                                         r"'SobolEngine.draw\(\)' instead\."):
        engine.draw_base2(1)


def test_far_point_in_the_last_dimension():
    engine = SobolEngine(21201).fast_forward(12345)
    row = engine.draw(1, dtype=tg.float64)[0]
    assert [row[i].item() for i in (0, 1, 999, 21200)] == [0.64093017578125, 0.81341552734375,
                                                           0.13104248046875, 0.04901123046875]


def test_scrambled_with_a_seed_draws_pytorchs_bits():
    engine = SobolEngine(3, scramble=True, seed=0)
    assert repr(engine) == "SobolEngine(dimension=3, scramble=True, seed=0)"
    assert engine.shift.tolist() == [510142454, 636217781, 530942997]
    assert engine.sobolstate[:, :4].tolist() == [[918856996, 331048501, 216562334, 87793114],
                                                 [790084098, 983638853, 633663655, 917358947],
                                                 [689960504, 837095404, 337710697, 776546570]]
    assert engine.draw(3, dtype=tg.float64).tolist() == [
        [0.47510719299316406, 0.592523992061615, 0.4944792091846466],
        [0.6355292368680239, 0.17165081854909658, 0.8551316680386662],
        [0.9233333831652999, 0.7557031977921724, 0.11520141456276178]]


def test_scrambled_without_a_seed_draws_from_the_global_generator():
    tg.manual_seed(3)
    first = SobolEngine(3, scramble=True).draw(4)
    after = tg.rand(2)
    tg.manual_seed(3)
    assert tg.equal(SobolEngine(3, scramble=True).draw(4), first)
    tg.manual_seed(3)
    assert not tg.equal(tg.rand(2), after)  # the engine took draws from the global generator


def test_out_and_default_dtype():
    engine = SobolEngine(2)
    out = tg.empty(5, 2, dtype=tg.float64)
    assert engine.draw(2, out=out) is out and out.shape == (2, 2) and out.tolist() == [[0.0, 0.0], [0.5, 0.5]]
    tg.set_default_dtype(tg.float64)
    try:
        assert SobolEngine(2).draw(2).dtype is tg.float64
    finally:
        tg.set_default_dtype(tg.float32)


@pytest.mark.parametrize("call, error, message", [
    (lambda: SobolEngine(0), ValueError, r"Supported range of dimensionality for SobolEngine is \[1, 21201\]"),
    (lambda: SobolEngine(21202), ValueError, r"Supported range of dimensionality for SobolEngine is \[1, 21201\]"),
    (lambda: SobolEngine(2.0), TypeError, "dimension must be an int, not float"),
    (lambda: SobolEngine(2).draw(0), RuntimeError, r"Trying to create tensor with negative dimension -1: \[-1, 2\]"),
    (lambda: SobolEngine(2).draw(2.0), TypeError,
     r"_sobol_engine_draw\(\): argument 'n' \(position 2\) must be int, not float"),
    (lambda: SobolEngine(2).fast_forward(1.5), TypeError,
     r"_sobol_engine_ff_\(\): argument 'n' \(position 2\) must be int, not float"),
    (lambda: SobolEngine(2).draw(2, dtype=tg.int64), NotImplementedError,
     "\"_sobol_engine_draw\" not implemented for 'Long'"),
    (lambda: SobolEngine(2).draw(2, dtype=tg.float16), NotImplementedError,
     "\"_sobol_engine_draw\" not implemented for 'Half'"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_reachable_as_an_attribute():
    assert tg.quasirandom.SobolEngine is SobolEngine
    assert SobolEngine.MAXDIM == 21201 and SobolEngine.MAXBIT == 30
