"""``set_num_threads``/``get_num_threads`` reach NumPy's BLAS thread pool."""
import pytest

import tensorgraft as tg


def test_set_and_get_num_threads_round_trip():
    pytest.importorskip("threadpoolctl")
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert tg.get_num_threads() == 1
        x = tg.ones(64, 64)
        assert (x @ x)[0, 0].item() == 64.0  # BLAS still works with one thread
    finally:
        tg.set_num_threads(max(before, 1))
    assert tg.get_num_threads() == max(before, 1)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(RuntimeError, match="positive integer"):
        tg.set_num_threads(bad)
