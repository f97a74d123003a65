"""``F.linear`` with biases of other shapes than ``(out,)``, as PyTorch 2.13 takes them: a 2-D input
always goes through ``addmm`` (the bias expanded to ``(rows, out)``); another input folds into rows
for ``addmm`` only when it is contiguous and the bias is 1-D or has exactly one dimension that is not
1 (``(1, out)``, ``(rows, 1)``: ViewBackward0 on top; ``(1, 1, out)`` then fails addmm's expand);
otherwise ``matmul`` runs and the bias is added in place (``AddBackward0`` on top, its edges the
product's top node and the bias; a bias that would grow the output fails).

The expected values (shapes, top node and its edges, ``y``, ``b.grad`` after ``y.sum().backward()``,
or the error message) were measured with PyTorch 2.13 (CPU) on the inputs built below; no torch
import here."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402


def _input(xs, contig):
    n = int(np.prod(xs))
    if contig:
        return (tg.arange(n, dtype=tg.float64).reshape(xs) - 3).requires_grad_()
    swapped = xs[:-2] + (xs[-1], xs[-2])
    return (tg.arange(n, dtype=tg.float64).reshape(swapped) - 3).requires_grad_().transpose(-1, -2)


def _weight():
    return (tg.arange(30, dtype=tg.float64).reshape(6, 5) % 7 - 3).requires_grad_()


def _bias(bs):
    return (tg.arange(float(int(np.prod(bs))), dtype=tg.float64).reshape(bs) + 1).requires_grad_()


# (input shape, input contiguous, bias shape, torch 2.13's outcome)
CASES = [
    ((5,), True, (), ('ok', (6,), 'AddBackward0', ('SqueezeBackward4', 'AccumulateGrad'), [16.0, -9.0, -6.0, 11.0, 0.0, -11.0], 6.0)),
    ((5,), True, (1,), ('ok', (6,), 'ViewBackward0', ('AddmmBackward0',), [16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [6.0])),
    ((5,), True, (6,), ('ok', (6,), 'ViewBackward0', ('AddmmBackward0',), [16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])),
    ((5,), True, (1, 1), ('err', "output with shape [6] doesn't match the broadcast shape [1, 6]")),
    ((5,), True, (1, 6), ('ok', (6,), 'ViewBackward0', ('AddmmBackward0',), [16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])),
    ((5,), True, (3, 6), ('err', "output with shape [6] doesn't match the broadcast shape [3, 6]")),
    ((5,), True, (3, 1), ('err', 'The expanded size of the tensor (1) must match the existing size (3) at non-singleton dimension 0.  Target sizes: [1, 6].  Tensor sizes: [3, 1]')),
    ((5,), True, (6, 1), ('err', 'The expanded size of the tensor (1) must match the existing size (6) at non-singleton dimension 0.  Target sizes: [1, 6].  Tensor sizes: [6, 1]')),
    ((5,), True, (2, 1, 6), ('err', "output with shape [6] doesn't match the broadcast shape [2, 1, 6]")),
    ((5,), True, (1, 3, 6), ('err', "output with shape [6] doesn't match the broadcast shape [1, 3, 6]")),
    ((5,), True, (1, 1, 6), ('err', 'expand(torch.DoubleTensor{[1, 1, 6]}, size=[1, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)')),
    ((5,), True, (1, 1, 1), ('err', "output with shape [6] doesn't match the broadcast shape [1, 1, 6]")),
    ((5,), True, (2, 3, 1), ('err', "output with shape [6] doesn't match the broadcast shape [2, 3, 6]")),
    ((5,), True, (4, 1, 1, 6), ('err', "output with shape [6] doesn't match the broadcast shape [4, 1, 1, 6]")),
    ((5,), True, (5, 3, 6), ('err', "output with shape [6] doesn't match the broadcast shape [5, 3, 6]")),
    ((3, 5), True, (), ('ok', (3, 6), 'AddmmBackward0', ('AccumulateGrad', 'AccumulateGrad', 'TBackward0'), [[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-9.0, -14.0, 9.0, 11.0, -15.0, -6.0], [-34.0, -19.0, 24.0, 11.0, -30.0, -1.0]], 18.0)),
    ((3, 5), True, (1,), ('ok', (3, 6), 'AddmmBackward0', ('AccumulateGrad', 'AccumulateGrad', 'TBackward0'), [[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-9.0, -14.0, 9.0, 11.0, -15.0, -6.0], [-34.0, -19.0, 24.0, 11.0, -30.0, -1.0]], [18.0])),
    ((3, 5), True, (6,), ('ok', (3, 6), 'AddmmBackward0', ('AccumulateGrad', 'AccumulateGrad', 'TBackward0'), [[16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [-9.0, -13.0, 11.0, 14.0, -11.0, -1.0], [-34.0, -18.0, 26.0, 14.0, -26.0, 4.0]], [3.0, 3.0, 3.0, 3.0, 3.0, 3.0])),
    ((3, 5), True, (1, 1), ('ok', (3, 6), 'AddmmBackward0', ('AccumulateGrad', 'AccumulateGrad', 'TBackward0'), [[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-9.0, -14.0, 9.0, 11.0, -15.0, -6.0], [-34.0, -19.0, 24.0, 11.0, -30.0, -1.0]], [[18.0]])),
    ((3, 5), True, (1, 6), ('ok', (3, 6), 'AddmmBackward0', ('AccumulateGrad', 'AccumulateGrad', 'TBackward0'), [[16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [-9.0, -13.0, 11.0, 14.0, -11.0, -1.0], [-34.0, -18.0, 26.0, 14.0, -26.0, 4.0]], [[3.0, 3.0, 3.0, 3.0, 3.0, 3.0]])),
    ((3, 5), True, (3, 6), ('ok', (3, 6), 'AddmmBackward0', ('AccumulateGrad', 'AccumulateGrad', 'TBackward0'), [[16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [-3.0, -7.0, 17.0, 20.0, -5.0, 5.0], [-22.0, -6.0, 38.0, 26.0, -14.0, 16.0]], [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])),
    ((3, 5), True, (3, 1), ('ok', (3, 6), 'AddmmBackward0', ('AccumulateGrad', 'AccumulateGrad', 'TBackward0'), [[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-8.0, -13.0, 10.0, 12.0, -14.0, -5.0], [-32.0, -17.0, 26.0, 13.0, -28.0, 1.0]], [[6.0], [6.0], [6.0]])),
    ((3, 5), True, (6, 1), ('err', 'The expanded size of the tensor (3) must match the existing size (6) at non-singleton dimension 0.  Target sizes: [3, 6].  Tensor sizes: [6, 1]')),
    ((3, 5), True, (2, 1, 6), ('err', 'expand(torch.DoubleTensor{[2, 1, 6]}, size=[3, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)')),
    ((3, 5), True, (1, 3, 6), ('err', 'expand(torch.DoubleTensor{[1, 3, 6]}, size=[3, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)')),
    ((3, 5), True, (1, 1, 6), ('err', 'expand(torch.DoubleTensor{[1, 1, 6]}, size=[3, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)')),
    ((3, 5), True, (1, 1, 1), ('err', 'expand(torch.DoubleTensor{[1, 1, 1]}, size=[3, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)')),
    ((3, 5), True, (2, 3, 1), ('err', 'expand(torch.DoubleTensor{[2, 3, 1]}, size=[3, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)')),
    ((3, 5), True, (4, 1, 1, 6), ('err', 'expand(torch.DoubleTensor{[4, 1, 1, 6]}, size=[3, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (4)')),
    ((3, 5), True, (5, 3, 6), ('err', 'expand(torch.DoubleTensor{[5, 3, 6]}, size=[3, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)')),
    ((2, 3, 5), True, (), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-9.0, -14.0, 9.0, 11.0, -15.0, -6.0], [-34.0, -19.0, 24.0, 11.0, -30.0, -1.0]], [[-59.0, -24.0, 39.0, 11.0, -45.0, 4.0], [-84.0, -29.0, 54.0, 11.0, -60.0, 9.0], [-109.0, -34.0, 69.0, 11.0, -75.0, 14.0]]], 36.0)),
    ((2, 3, 5), False, (), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -35.0, -2.0, 31.0, -20.0, -29.0], [11.0, -36.0, 1.0, 31.0, -23.0, -28.0], [6.0, -37.0, 4.0, 31.0, -26.0, -27.0]], [[-59.0, -50.0, 43.0, 31.0, -65.0, -14.0], [-64.0, -51.0, 46.0, 31.0, -68.0, -13.0], [-69.0, -52.0, 49.0, 31.0, -71.0, -12.0]]], 36.0)),
    ((2, 3, 5), True, (1,), ('ok', (2, 3, 6), 'ViewBackward0', ('AddmmBackward0',), [[[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-9.0, -14.0, 9.0, 11.0, -15.0, -6.0], [-34.0, -19.0, 24.0, 11.0, -30.0, -1.0]], [[-59.0, -24.0, 39.0, 11.0, -45.0, 4.0], [-84.0, -29.0, 54.0, 11.0, -60.0, 9.0], [-109.0, -34.0, 69.0, 11.0, -75.0, 14.0]]], [36.0])),
    ((2, 3, 5), False, (1,), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -35.0, -2.0, 31.0, -20.0, -29.0], [11.0, -36.0, 1.0, 31.0, -23.0, -28.0], [6.0, -37.0, 4.0, 31.0, -26.0, -27.0]], [[-59.0, -50.0, 43.0, 31.0, -65.0, -14.0], [-64.0, -51.0, 46.0, 31.0, -68.0, -13.0], [-69.0, -52.0, 49.0, 31.0, -71.0, -12.0]]], [36.0])),
    ((2, 3, 5), True, (6,), ('ok', (2, 3, 6), 'ViewBackward0', ('AddmmBackward0',), [[[16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [-9.0, -13.0, 11.0, 14.0, -11.0, -1.0], [-34.0, -18.0, 26.0, 14.0, -26.0, 4.0]], [[-59.0, -23.0, 41.0, 14.0, -41.0, 9.0], [-84.0, -28.0, 56.0, 14.0, -56.0, 14.0], [-109.0, -33.0, 71.0, 14.0, -71.0, 19.0]]], [6.0, 6.0, 6.0, 6.0, 6.0, 6.0])),
    ((2, 3, 5), False, (6,), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -34.0, 0.0, 34.0, -16.0, -24.0], [11.0, -35.0, 3.0, 34.0, -19.0, -23.0], [6.0, -36.0, 6.0, 34.0, -22.0, -22.0]], [[-59.0, -49.0, 45.0, 34.0, -61.0, -9.0], [-64.0, -50.0, 48.0, 34.0, -64.0, -8.0], [-69.0, -51.0, 51.0, 34.0, -67.0, -7.0]]], [6.0, 6.0, 6.0, 6.0, 6.0, 6.0])),
    ((2, 3, 5), True, (1, 1), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-9.0, -14.0, 9.0, 11.0, -15.0, -6.0], [-34.0, -19.0, 24.0, 11.0, -30.0, -1.0]], [[-59.0, -24.0, 39.0, 11.0, -45.0, 4.0], [-84.0, -29.0, 54.0, 11.0, -60.0, 9.0], [-109.0, -34.0, 69.0, 11.0, -75.0, 14.0]]], [[36.0]])),
    ((2, 3, 5), False, (1, 1), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -35.0, -2.0, 31.0, -20.0, -29.0], [11.0, -36.0, 1.0, 31.0, -23.0, -28.0], [6.0, -37.0, 4.0, 31.0, -26.0, -27.0]], [[-59.0, -50.0, 43.0, 31.0, -65.0, -14.0], [-64.0, -51.0, 46.0, 31.0, -68.0, -13.0], [-69.0, -52.0, 49.0, 31.0, -71.0, -12.0]]], [[36.0]])),
    ((2, 3, 5), True, (1, 6), ('ok', (2, 3, 6), 'ViewBackward0', ('AddmmBackward0',), [[[16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [-9.0, -13.0, 11.0, 14.0, -11.0, -1.0], [-34.0, -18.0, 26.0, 14.0, -26.0, 4.0]], [[-59.0, -23.0, 41.0, 14.0, -41.0, 9.0], [-84.0, -28.0, 56.0, 14.0, -56.0, 14.0], [-109.0, -33.0, 71.0, 14.0, -71.0, 19.0]]], [[6.0, 6.0, 6.0, 6.0, 6.0, 6.0]])),
    ((2, 3, 5), False, (1, 6), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -34.0, 0.0, 34.0, -16.0, -24.0], [11.0, -35.0, 3.0, 34.0, -19.0, -23.0], [6.0, -36.0, 6.0, 34.0, -22.0, -22.0]], [[-59.0, -49.0, 45.0, 34.0, -61.0, -9.0], [-64.0, -50.0, 48.0, 34.0, -64.0, -8.0], [-69.0, -51.0, 51.0, 34.0, -67.0, -7.0]]], [[6.0, 6.0, 6.0, 6.0, 6.0, 6.0]])),
    ((2, 3, 5), True, (3, 6), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [-3.0, -7.0, 17.0, 20.0, -5.0, 5.0], [-22.0, -6.0, 38.0, 26.0, -14.0, 16.0]], [[-59.0, -23.0, 41.0, 14.0, -41.0, 9.0], [-78.0, -22.0, 62.0, 20.0, -50.0, 20.0], [-97.0, -21.0, 83.0, 26.0, -59.0, 31.0]]], [[2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0]])),
    ((2, 3, 5), False, (3, 6), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -34.0, 0.0, 34.0, -16.0, -24.0], [17.0, -29.0, 9.0, 40.0, -13.0, -17.0], [18.0, -24.0, 18.0, 46.0, -10.0, -10.0]], [[-59.0, -49.0, 45.0, 34.0, -61.0, -9.0], [-58.0, -44.0, 54.0, 40.0, -58.0, -2.0], [-57.0, -39.0, 63.0, 46.0, -55.0, 5.0]]], [[2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0]])),
    ((2, 3, 5), True, (3, 1), ('err', 'The expanded size of the tensor (6) must match the existing size (3) at non-singleton dimension 0.  Target sizes: [6, 6].  Tensor sizes: [3, 1]')),
    ((2, 3, 5), False, (3, 1), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -35.0, -2.0, 31.0, -20.0, -29.0], [12.0, -35.0, 2.0, 32.0, -22.0, -27.0], [8.0, -35.0, 6.0, 33.0, -24.0, -25.0]], [[-59.0, -50.0, 43.0, 31.0, -65.0, -14.0], [-63.0, -50.0, 47.0, 32.0, -67.0, -12.0], [-67.0, -50.0, 51.0, 33.0, -69.0, -10.0]]], [[12.0], [12.0], [12.0]])),
    ((2, 3, 5), True, (6, 1), ('ok', (2, 3, 6), 'ViewBackward0', ('AddmmBackward0',), [[[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-8.0, -13.0, 10.0, 12.0, -14.0, -5.0], [-32.0, -17.0, 26.0, 13.0, -28.0, 1.0]], [[-56.0, -21.0, 42.0, 14.0, -42.0, 7.0], [-80.0, -25.0, 58.0, 15.0, -56.0, 13.0], [-104.0, -29.0, 74.0, 16.0, -70.0, 19.0]]], [[6.0], [6.0], [6.0], [6.0], [6.0], [6.0]])),
    ((2, 3, 5), False, (6, 1), ('err', 'The size of tensor a (3) must match the size of tensor b (6) at non-singleton dimension 1')),
    ((2, 3, 5), True, (2, 1, 6), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [-9.0, -13.0, 11.0, 14.0, -11.0, -1.0], [-34.0, -18.0, 26.0, 14.0, -26.0, 4.0]], [[-53.0, -17.0, 47.0, 20.0, -35.0, 15.0], [-78.0, -22.0, 62.0, 20.0, -50.0, 20.0], [-103.0, -27.0, 77.0, 20.0, -65.0, 25.0]]], [[[3.0, 3.0, 3.0, 3.0, 3.0, 3.0]], [[3.0, 3.0, 3.0, 3.0, 3.0, 3.0]]])),
    ((2, 3, 5), False, (2, 1, 6), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -34.0, 0.0, 34.0, -16.0, -24.0], [11.0, -35.0, 3.0, 34.0, -19.0, -23.0], [6.0, -36.0, 6.0, 34.0, -22.0, -22.0]], [[-53.0, -43.0, 51.0, 40.0, -55.0, -3.0], [-58.0, -44.0, 54.0, 40.0, -58.0, -2.0], [-63.0, -45.0, 57.0, 40.0, -61.0, -1.0]]], [[[3.0, 3.0, 3.0, 3.0, 3.0, 3.0]], [[3.0, 3.0, 3.0, 3.0, 3.0, 3.0]]])),
    ((2, 3, 5), True, (1, 3, 6), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -8.0, -4.0, 14.0, 4.0, -6.0], [-3.0, -7.0, 17.0, 20.0, -5.0, 5.0], [-22.0, -6.0, 38.0, 26.0, -14.0, 16.0]], [[-59.0, -23.0, 41.0, 14.0, -41.0, 9.0], [-78.0, -22.0, 62.0, 20.0, -50.0, 20.0], [-97.0, -21.0, 83.0, 26.0, -59.0, 31.0]]], [[[2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0]]])),
    ((2, 3, 5), False, (1, 3, 6), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -34.0, 0.0, 34.0, -16.0, -24.0], [17.0, -29.0, 9.0, 40.0, -13.0, -17.0], [18.0, -24.0, 18.0, 46.0, -10.0, -10.0]], [[-59.0, -49.0, 45.0, 34.0, -61.0, -9.0], [-58.0, -44.0, 54.0, 40.0, -58.0, -2.0], [-57.0, -39.0, 63.0, 46.0, -55.0, 5.0]]], [[[2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0]]])),
    ((2, 3, 5), True, (1, 1, 6), ('err', 'expand(torch.DoubleTensor{[1, 1, 6]}, size=[6, 6]): the number of sizes provided (2) must be greater or equal to the number of dimensions in the tensor (3)')),
    ((2, 3, 5), False, (1, 1, 6), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -34.0, 0.0, 34.0, -16.0, -24.0], [11.0, -35.0, 3.0, 34.0, -19.0, -23.0], [6.0, -36.0, 6.0, 34.0, -22.0, -22.0]], [[-59.0, -49.0, 45.0, 34.0, -61.0, -9.0], [-64.0, -50.0, 48.0, 34.0, -64.0, -8.0], [-69.0, -51.0, 51.0, 34.0, -67.0, -7.0]]], [[[6.0, 6.0, 6.0, 6.0, 6.0, 6.0]]])),
    ((2, 3, 5), True, (1, 1, 1), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-9.0, -14.0, 9.0, 11.0, -15.0, -6.0], [-34.0, -19.0, 24.0, 11.0, -30.0, -1.0]], [[-59.0, -24.0, 39.0, 11.0, -45.0, 4.0], [-84.0, -29.0, 54.0, 11.0, -60.0, 9.0], [-109.0, -34.0, 69.0, 11.0, -75.0, 14.0]]], [[[36.0]]])),
    ((2, 3, 5), False, (1, 1, 1), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -35.0, -2.0, 31.0, -20.0, -29.0], [11.0, -36.0, 1.0, 31.0, -23.0, -28.0], [6.0, -37.0, 4.0, 31.0, -26.0, -27.0]], [[-59.0, -50.0, 43.0, 31.0, -65.0, -14.0], [-64.0, -51.0, 46.0, 31.0, -68.0, -13.0], [-69.0, -52.0, 49.0, 31.0, -71.0, -12.0]]], [[[36.0]]])),
    ((2, 3, 5), True, (2, 3, 1), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -9.0, -6.0, 11.0, 0.0, -11.0], [-8.0, -13.0, 10.0, 12.0, -14.0, -5.0], [-32.0, -17.0, 26.0, 13.0, -28.0, 1.0]], [[-56.0, -21.0, 42.0, 14.0, -42.0, 7.0], [-80.0, -25.0, 58.0, 15.0, -56.0, 13.0], [-104.0, -29.0, 74.0, 16.0, -70.0, 19.0]]], [[[6.0], [6.0], [6.0]], [[6.0], [6.0], [6.0]]])),
    ((2, 3, 5), False, (2, 3, 1), ('ok', (2, 3, 6), 'AddBackward0', ('UnsafeViewBackward0', 'AccumulateGrad'), [[[16.0, -35.0, -2.0, 31.0, -20.0, -29.0], [12.0, -35.0, 2.0, 32.0, -22.0, -27.0], [8.0, -35.0, 6.0, 33.0, -24.0, -25.0]], [[-56.0, -47.0, 46.0, 34.0, -62.0, -11.0], [-60.0, -47.0, 50.0, 35.0, -64.0, -9.0], [-64.0, -47.0, 54.0, 36.0, -66.0, -7.0]]], [[[6.0], [6.0], [6.0]], [[6.0], [6.0], [6.0]]])),
    ((2, 3, 5), True, (4, 1, 1, 6), ('err', "output with shape [2, 3, 6] doesn't match the broadcast shape [4, 2, 3, 6]")),
    ((2, 3, 5), False, (4, 1, 1, 6), ('err', "output with shape [2, 3, 6] doesn't match the broadcast shape [4, 2, 3, 6]")),
    ((2, 3, 5), True, (5, 3, 6), ('err', 'The size of tensor a (2) must match the size of tensor b (5) at non-singleton dimension 0')),
    ((2, 3, 5), False, (5, 3, 6), ('err', 'The size of tensor a (2) must match the size of tensor b (5) at non-singleton dimension 0')),
]


@pytest.mark.parametrize("xs, contig, bs, expected", CASES)
def test_linear_bias_shapes_match_pytorch(xs, contig, bs, expected):
    x, w, b = _input(xs, contig), _weight(), _bias(bs)
    if expected[0] == "err":
        with pytest.raises(RuntimeError) as err:
            F.linear(x, w, b)
        assert str(err.value) == expected[1]
        return
    _, shape, top, edges, values, bias_grad = expected
    y = F.linear(x, w, b)
    assert tuple(y.shape) == shape
    assert type(y.grad_fn).__name__ == top
    assert tuple(None if n is None else type(n).__name__ for n, _ in y.grad_fn.next_functions) == edges
    assert y.tolist() == values
    y.sum().backward()
    assert b.grad.tolist() == bias_grad


@pytest.mark.parametrize("xs, contig, bs, expected", [c for c in CASES if c[3][0] == "ok"])
def test_linear_bias_shapes_without_grad(xs, contig, bs, expected):
    # the same values when nothing is recorded (the bias added by the kernel, not by add_)
    with tg.no_grad():
        y = F.linear(_input(xs, contig), _weight(), _bias(bs))
    assert y.tolist() == expected[4]


def test_linear_bias_added_in_place_keeps_output_dtype():
    # torch 2.13: matmul's float32 output, add_ of a float64 (3, 6) bias: stays float32, AddBackward0
    x = tg.ones(2, 3, 5, requires_grad=True)
    y = F.linear(x, tg.ones(6, 5), tg.ones(3, 6, dtype=tg.float64))
    assert (y.dtype, type(y.grad_fn).__name__, tuple(y.shape)) == (tg.float32, "AddBackward0", (2, 3, 6))
    assert y.tolist() == np.full((2, 3, 6), 6.0).tolist()


def test_linear_bias_folded_into_rows_checks_dtype_first():
    # torch 2.13: a (1, 1, out) bias goes to addmm, whose dtype check comes before its expand
    x = tg.ones(2, 3, 5, requires_grad=True)
    with pytest.raises(RuntimeError, match="^self and mat2 must have the same dtype, but got Double and Float$"):
        F.linear(x, tg.ones(6, 5), tg.ones(1, 1, 6, dtype=tg.float64))
    with pytest.raises(RuntimeError, match=r"^expand\(torch.FloatTensor\{\[1, 1, 6\]\}, size=\[6, 6\]\)"):
        F.linear(x, tg.ones(6, 5), tg.ones(1, 1, 6))


@pytest.mark.parametrize("xs, bs, bias_grad_node", [
    ((2, 3, 5), (6, 1), "SumBackward1"),  # torch 2.13: addmm's sum_to of a (rows, 1) bias
    ((5,), (1, 6), "ViewBackward0"),
    ((3, 5), (), "SumBackward0"),
    ((2, 3, 5), (3, 6), "ViewBackward0"),
    ((2, 3, 5), (), "SumBackward0"),
])
def test_linear_bias_shapes_create_graph(xs, bs, bias_grad_node):
    x, w, b = _input(xs, True), _weight(), _bias(bs)
    y = F.linear(x, w, b)
    gx, gw, gb = tg.autograd.grad((y * y).sum(), (x, w, b), create_graph=True)
    assert tuple(gb.shape) == bs and type(gb.grad_fn).__name__ == bias_grad_node
