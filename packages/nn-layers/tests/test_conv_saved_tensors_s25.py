"""What a convolution keeps for backward, as PyTorch's ConvolutionBackward0: the input and the
weight (packed in that order by saved-tensor hooks, whichever of them needs a gradient), never the
bias; the gradients are unchanged. (Pack sequences measured with PyTorch 2.13.)"""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as torch
import tensorgraft.nn.functional as F

CASES = [(F.conv1d, (2, 3, 8), (4, 3, 3), 4), (F.conv2d, (2, 3, 6, 6), (4, 3, 3, 3), 4),
         (F.conv3d, (1, 2, 4, 4, 4), (3, 2, 2, 2, 2), 3), (F.conv_transpose2d, (2, 4, 5, 5), (4, 3, 3, 3), 3),
         (F.conv_transpose3d, (1, 3, 3, 3, 3), (3, 2, 2, 2, 2), 2)]


@pytest.mark.parametrize("fn, xshape, wshape, channels", CASES)
@pytest.mark.parametrize("needs", [(True, True, True), (False, True, True), (True, False, False)])
def test_conv_packs_input_and_weight_only(fn, xshape, wshape, channels, needs):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(xshape), dtype=torch.float32, requires_grad=needs[0])
    w = torch.tensor(rng.standard_normal(wshape), dtype=torch.float32, requires_grad=needs[1])
    b = torch.tensor(rng.standard_normal(channels), dtype=torch.float32, requires_grad=needs[2])
    packed = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(tuple(t.shape)) or t, lambda t: t):
        y = fn(x, w, b)
    assert packed == [xshape, wshape]
    wanted = [t for t in (x, w, b) if t.requires_grad]
    grads = torch.autograd.grad(y.sum(), wanted)
    if needs[2]:  # the bias's gradient needs nothing kept: the output gradient summed per channel
        np.testing.assert_allclose(grads[-1].numpy(), np.full(channels, y[0, 0].numel() * y.shape[0]), rtol=1e-6)
    b.data.add_(1)  # (not kept: changing it in place before backward is no error)
    y2 = fn(x, w, b)
    b.data.add_(1)
    torch.autograd.grad(y2.sum(), wanted)
