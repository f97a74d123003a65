"""Optimizers keep parameters that live in shared memory where they are (Hogwild training): the flat
update machinery may move a parameter's memory into its own buffer, but not shared memory, which
other processes read and write."""
import multiprocessing as std_mp

import pytest

import tensorgraft as tg
import tensorgraft.optim as optim

pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.1)])
def test_step_updates_shared_parameters_in_place(make):
    w = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        w.share_memory_()
    pointer = w.data_ptr()  # (holding w._data itself would keep any optimizer from moving it)
    opt = make([w])
    for _ in range(2):
        opt.zero_grad()
        (w * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
        opt.step()
    assert w.data_ptr() == pointer and w.is_shared()
    assert all(v < 1.0 for v in w.tolist())


def test_unshared_parameters_may_move_into_the_flat_buffer():
    # the contrast that makes the test above meaningful: a private parameter is relocated
    w = tg.ones(3, requires_grad=True)
    pointer = w.data_ptr()
    opt = optim.SGD([w], lr=0.1)
    w.sum().backward()
    opt.step()
    assert w.data_ptr() != pointer


@pytest.mark.skipif("fork" not in std_mp.get_all_start_methods(), reason="needs the fork start method")
def test_hogwild_child_training_reaches_the_parent():
    w = tg.zeros(2, requires_grad=True)
    with tg.no_grad():
        w.share_memory_()

    def train():
        opt = optim.SGD([w], lr=0.5)
        for _ in range(3):
            opt.zero_grad()
            ((w - tg.tensor([1.0, -1.0])) ** 2).sum().backward()
            opt.step()
    p = std_mp.get_context("fork").Process(target=train)
    p.start()
    p.join(60)
    assert p.exitcode == 0
    assert w.tolist() == [1.0, -1.0]  # lr 0.5 on (w - t)^2 lands on t in one step and stays
