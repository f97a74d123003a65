"""Session 26's OpInfo sweep differences in tensor-core, fixed: the add*mm family and addr with
integer/bool tensors and Python-number beta/alpha (converted into the tensors' dtype as c10 does,
addr's own refusals, bool addr as or/and; c10's unsigned wrap of -255 but not -256, also in full/fill_), float16 addr/addbmm rounding, sum_to_size's promotion
of a full sum, 0-d index_select/prod/select_scatter/linalg.vander, gather/scatter with an empty
index of any dtype, gradient's explicit None keywords, the legacy dunders (__div__, __rdiv__,
__idiv__, __nonzero__), constant_pad_nd's Scalar value (complex included), and the new
torch.hash_tensor.

Each case is a source line evaluated with ``torch`` bound to tensorgraft; the expected result,
(type, dtype, shape, values) or (exception type, first line of the message), was produced by
evaluating the same line with PyTorch 2.13 (CPU) and is hard-coded here (no torch at test time)."""
import warnings

import pytest

import tensorgraft as torch

CASES = [
    ('torch.addmv(torch.tensor([3, 5]), torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 1]), beta=0.2, alpha=0.6)',
     ('tensor', 'int64', (2,), [0, 0])),
    ('torch.addmv(torch.tensor([3, 5]), torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 1]), beta=1.5, alpha=2.7)',
     ('tensor', 'int64', (2,), [9, 19])),
    ('torch.addmv(torch.tensor([3, 5], dtype=torch.int32), torch.tensor([[1, 2], [3, 4]], dtype=torch.int32), torch.tensor([1, 1], dtype=torch.int32), beta=-0.5, alpha=1.9)',
     ('tensor', 'int32', (2,), [3, 7])),
    ('torch.addmv(torch.tensor([250, 3], dtype=torch.uint8), torch.tensor([[1, 2], [3, 4]], dtype=torch.uint8), torch.tensor([1, 1], dtype=torch.uint8), beta=-1, alpha=2)',
     ('tensor', 'uint8', (2,), [12, 11])),
    ('torch.addmv(torch.tensor([250, 3], dtype=torch.uint8), torch.tensor([[1, 2], [3, 4]], dtype=torch.uint8), torch.tensor([1, 1], dtype=torch.uint8), beta=-0.5)',
     ('RuntimeError', 'value cannot be converted to type uint8_t without overflow')),
    ('torch.addmv(torch.tensor([250, 3], dtype=torch.uint8), torch.tensor([[1, 2], [3, 4]], dtype=torch.uint8), torch.tensor([1, 1], dtype=torch.uint8), beta=-256)',
     ('RuntimeError', 'value cannot be converted to type uint8_t without overflow')),
    ('torch.addmv(torch.tensor([3, 5]), torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 1]), beta=1+1j)',
     ('RuntimeError', 'value cannot be converted to type int64_t without overflow')),
    ('torch.addmv(torch.tensor([3., 5.]), torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([1., 1.]), beta=1e40)',
     ('RuntimeError', 'value cannot be converted to type float without overflow')),
    ('torch.addmv(torch.tensor([True, False]), torch.tensor([[True, False], [False, True]]), torch.tensor([True, True]))',
     ('NotImplementedError', '"addmv_impl_cpu" not implemented for \'Bool\'')),
    ('torch.addmv(torch.tensor([1., 2.]), torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 1]))',
     ('RuntimeError', 'addmv input tensors must have the same dtype, but got Float, Long, and Long')),
    ('torch.addmm(torch.tensor([[3, 5], [1, 1]]), torch.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 0], [1, 1]]), beta=1.5, alpha=2.7)',
     ('tensor', 'int64', (2, 2), [[9, 9], [15, 9]])),
    ('torch.addmm(torch.tensor([[3, 5], [1, 1]], dtype=torch.int8), torch.tensor([[1, 2], [3, 4]], dtype=torch.int8), torch.tensor([[1, 0], [1, 1]], dtype=torch.int8), beta=0.9, alpha=-1)',
     ('tensor', 'int8', (2, 2), [[-3, -2], [-7, -4]])),
    ('torch.addmm(torch.tensor([[True]]), torch.tensor([[True]]), torch.tensor([[True]]))',
     ('NotImplementedError', '"addmm_impl_cpu_" not implemented for \'Bool\'')),
    ('torch.addmm(torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2), torch.ones(2, 2))',
     ('RuntimeError', 'self and mat2 must have the same dtype, but got Long and Float')),
    ('torch.addmm(torch.ones(2, 2), torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2))',
     ('RuntimeError', 'mat1 and mat2 must have the same dtype, but got Long and Float')),
    ('torch.baddbmm(torch.tensor([[[3, 5], [1, 1]]]), torch.tensor([[[1, 2], [3, 4]]]), torch.tensor([[[1, 0], [1, 1]]]), beta=0.2, alpha=0.6)',
     ('tensor', 'int64', (1, 2, 2), [[[0, 0], [0, 0]]])),
    ('torch.baddbmm(torch.tensor([[[3, 5], [1, 1]]], dtype=torch.uint8), torch.tensor([[[1, 2], [3, 4]]], dtype=torch.uint8), torch.tensor([[[1, 0], [1, 1]]], dtype=torch.uint8), beta=2.5, alpha=3)',
     ('tensor', 'uint8', (1, 2, 2), [[[15, 16], [23, 14]]])),
    ('torch.baddbmm(torch.ones(1, 2, 2), torch.ones(1, 2, 2), torch.ones(1, 2, 2, dtype=torch.int64))',
     ('RuntimeError', 'expected scalar type Float but found Long')),
    ('torch.addbmm(torch.tensor([[3, 5], [1, 1]], dtype=torch.int32), torch.tensor([[[1, 2], [3, 4]], [[1, 1], [1, 1]]], dtype=torch.int32), torch.tensor([[[1, 0], [1, 1]], [[2, 2], [2, 2]]], dtype=torch.int32), beta=1.5, alpha=2.7)',
     ('tensor', 'int32', (2, 2), [[17, 17], [23, 17]])),
    ('torch.addbmm(torch.tensor([[3, 5], [1, 1]], dtype=torch.uint8), torch.tensor([[[1, 2], [3, 4]]], dtype=torch.uint8), torch.tensor([[[1, 0], [1, 1]]], dtype=torch.uint8))',
     ('tensor', 'uint8', (2, 2), [[6, 7], [8, 5]])),
    ('torch.addbmm(torch.tensor([0.1], dtype=torch.float16), torch.tensor([[[1.001, 2.5, -3.25]], [[700., 0.3, 1.7]], [[-650., 1.1, 2.9]]], dtype=torch.float16), torch.tensor([[[1.7], [2.3], [0.77]], [[1.3], [-0.9], [1.01]], [[1.31], [0.5], [0.25]]], dtype=torch.float16))',
     ('tensor', 'float16', (1, 1), [[66.5625]])),
    ('torch.addr(torch.tensor([[True, False], [False, False]]), torch.tensor([True, False]), torch.tensor([True, True]), beta=3, alpha=2)',
     ('tensor', 'bool', (2, 2), [[True, True], [False, False]])),
    ('torch.addr(torch.tensor([[True, False], [False, False]]), torch.tensor([False, True]), torch.tensor([True, True]), beta=0, alpha=-1)',
     ('tensor', 'bool', (2, 2), [[False, False], [True, True]])),
    ('torch.addr(torch.tensor([[True, False], [False, False]]), torch.tensor([True, True]), torch.tensor([True, True]), beta=1, alpha=0)',
     ('tensor', 'bool', (2, 2), [[True, False], [False, False]])),
    ('torch.addr(torch.tensor([[True, False], [False, False]]), torch.tensor([True, False]), torch.tensor([True, True]), beta=0.5)',
     ('RuntimeError', 'For integral input tensors, argument beta must not be a floating point number.')),
    ('torch.addr(torch.tensor([[3, 5], [1, 0]]), torch.tensor([1, 0]), torch.tensor([1, 1]), beta=0.2, alpha=0.6)',
     ('RuntimeError', 'For integral input tensors, argument beta must not be a floating point number.')),
    ('torch.addr(torch.tensor([[3, 5], [1, 0]]), torch.tensor([1, 0]), torch.tensor([1, 1]), alpha=0.5)',
     ('RuntimeError', 'For integral input tensors, argument alpha must not be a floating point number.')),
    ('torch.addr(torch.tensor([[3, 5], [1, 0]]), torch.tensor([1, 0]), torch.tensor([1, 1]), beta=True)',
     ('RuntimeError', 'Boolean beta only supported for Boolean results.')),
    ('torch.addr(torch.tensor([[3., 5.], [1., 0.]]), torch.tensor([1., 0.]), torch.tensor([1., 1.]), alpha=True)',
     ('RuntimeError', 'Boolean alpha only supported for Boolean results.')),
    ('torch.addr(torch.tensor([[3, 5], [1, 0]], dtype=torch.uint8), torch.tensor([1, 0], dtype=torch.uint8), torch.tensor([1, 1], dtype=torch.uint8), beta=-1, alpha=2)',
     ('tensor', 'uint8', (2, 2), [[255, 253], [255, 0]])),
    ('torch.addr(torch.tensor([[3, 5], [1, 0]], dtype=torch.int32), torch.tensor([1, 2], dtype=torch.int32), torch.tensor([3, 1], dtype=torch.int32), beta=2, alpha=3)',
     ('tensor', 'int32', (2, 2), [[15, 13], [20, 6]])),
    ('torch.addr(torch.tensor([[4.5508, 7.1797], [3.3086, -4.7852]], dtype=torch.float16), torch.tensor([-1.8135, 7.4688], dtype=torch.float16), torch.tensor([-7.0195, 2.4258], dtype=torch.float16), beta=0.6, alpha=0.2)',
     ('tensor', 'float16', (2, 2), [[5.2734375, 3.4296875], [-8.5, 0.751953125]])),
    ('torch.ones(2, 2, dtype=torch.int64).addr_(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.int64), beta=2.5)',
     ('RuntimeError', 'For integral input tensors, argument beta must not be a floating point number.')),
    ('torch.zeros(2, 2, dtype=torch.bool).addr_(torch.ones(2, dtype=torch.bool), torch.ones(2, dtype=torch.bool), beta=2, alpha=3)',
     ('tensor', 'bool', (2, 2), [[True, True], [True, True]])),
    ('torch.ones(2, dtype=torch.int64).addmv_(torch.ones(2, 2, dtype=torch.int64), torch.ones(2, dtype=torch.int64), beta=2.5, alpha=1.5)',
     ('tensor', 'int64', (2,), [4, 4])),
    ('torch.full((2,), -256, dtype=torch.uint8)',
     ('RuntimeError', 'value cannot be converted to type uint8_t without overflow')),
    ('torch.full((2,), -255, dtype=torch.uint8)',
     ('tensor', 'uint8', (2,), [1, 1])),
    ('torch.zeros(2, dtype=torch.uint8).fill_(-256)',
     ('RuntimeError', 'value cannot be converted to type uint8_t without overflow')),
    ('torch.zeros(2, dtype=torch.uint8).fill_(-255)',
     ('tensor', 'uint8', (2,), [1, 1])),
    ('torch.zeros(2, dtype=torch.uint16).fill_(-65535)',
     ('tensor', 'uint16', (2,), [1, 1])),
    ('torch.zeros(2, dtype=torch.uint16).fill_(-65536)',
     ('RuntimeError', 'value cannot be converted to type uint16_t without overflow')),
    ('torch.tensor(True).sum_to_size(())',
     ('tensor', 'int64', (), 1)),
    ('torch.tensor(7, dtype=torch.int32).sum_to_size(())',
     ('tensor', 'int64', (), 7)),
    ('torch.tensor(200, dtype=torch.uint8).sum_to_size(())',
     ('tensor', 'int64', (), 200)),
    ('torch.ones(2, 3, dtype=torch.bool).sum_to_size(1, 3)',
     ('tensor', 'int64', (1, 3), [[2, 2, 2]])),
    ('torch.ones(2, 3, dtype=torch.int8).sum_to_size(3)',
     ('tensor', 'int64', (3,), [2, 2, 2])),
    ('torch.ones(2, 3, dtype=torch.uint8).sum_to_size(2, 3)',
     ('tensor', 'uint8', (2, 3), [[1, 1, 1], [1, 1, 1]])),
    ('torch.ones(1, 1, dtype=torch.int16).sum_to_size((1,))',
     ('tensor', 'int64', (1,), [1])),
    ('torch.tensor(2.5, dtype=torch.float16).sum_to_size(())',
     ('tensor', 'float16', (), 2.5)),
    ('torch.index_select(torch.tensor(3.), 0, torch.tensor([0]))',
     ('tensor', 'float32', (), 3.0)),
    ('torch.index_select(torch.tensor(True), -1, torch.tensor(0))',
     ('tensor', 'bool', (), True)),
    ('torch.tensor(4).index_select(0, torch.tensor([0]))',
     ('tensor', 'int64', (), 4)),
    ('torch.index_select(torch.tensor(3.), 0, torch.tensor([0, 0]))',
     ('RuntimeError', 'index_select(): Index to scalar can have only 1 value, got 2 value(s)')),
    ('torch.prod(torch.tensor(3., dtype=torch.float16), 0, keepdim=True)',
     ('tensor', 'float16', (), 3.0)),
    ('torch.prod(torch.tensor(3., dtype=torch.float16), -1)',
     ('tensor', 'float16', (), 3.0)),
    ('torch.masked.prod(torch.tensor(3., dtype=torch.float16), 0, keepdim=True, mask=None)',
     ('tensor', 'float16', (), 3.0)),
    ('torch.select_scatter(torch.zeros(5), torch.tensor(3.), 0, 2)',
     ('tensor', 'float32', (5,), [0.0, 0.0, 3.0, 0.0, 0.0])),
    ('torch.select_scatter(torch.zeros(5, dtype=torch.bool), torch.tensor(True), 0, -1)',
     ('tensor', 'bool', (5,), [False, False, False, False, True])),
    ('torch.select_scatter(torch.zeros(5, dtype=torch.int64), torch.tensor([3]), 0, 2)',
     ('RuntimeError', 'expected src to have a size equal to the slice of self. src size = [1], slice size = []')),
    ('torch.select_scatter(torch.tensor(1.), torch.tensor(3.), 0, 0)',
     ('IndexError', 'select() cannot be applied to a 0-dim tensor.')),
    ('torch.linalg.vander(torch.tensor(2.), N=2)',
     ('tensor', 'float32', (1, 2), [[1.0, 2.0]])),
    ('torch.linalg.vander(torch.tensor(3), N=3)',
     ('tensor', 'int64', (1, 3), [[1, 3, 9]])),
    ('torch.linalg.vander(torch.tensor(2.))',
     ('RuntimeError', 'N must be greater than 1.')),
    ('torch.linalg.vander(torch.tensor(True), N=2)',
     ('RuntimeError', 'linalg.vander supports floating point, complex, and integer tensors, but got Bool')),
    ('torch.gather(torch.ones(5), 0, torch.empty(0, dtype=torch.uint8))',
     ('tensor', 'float32', (0,), [])),
    ('torch.gather(torch.ones(2, 3), 1, torch.empty(1, 0, dtype=torch.int16))',
     ('tensor', 'float32', (1, 0), [[]])),
    ('torch.gather(torch.ones(5), 0, torch.tensor([1, 2], dtype=torch.uint8))',
     ('RuntimeError', 'gather(): Expected dtype int32/int64 for index')),
    ('torch.arange(5.).scatter(0, torch.empty(0, dtype=torch.uint8), 1.)',
     ('tensor', 'float32', (5,), [0.0, 1.0, 2.0, 3.0, 4.0])),
    ('torch.arange(5.).scatter_add(0, torch.empty(0, dtype=torch.bool), torch.ones(5))',
     ('tensor', 'float32', (5,), [0.0, 1.0, 2.0, 3.0, 4.0])),
    ('torch.arange(5.).scatter(0, torch.tensor([1], dtype=torch.int8), 1.)',
     ('RuntimeError', 'scatter(): Expected dtype int32/int64 for index')),
    ('torch.gather(torch.arange(5.), 0, torch.zeros(2, 0, dtype=torch.uint8))',
     ('tensor', 'float32', (2, 0), [[], []])),
    ('torch.arange(5.).scatter(0, torch.zeros(1, 0, 3, dtype=torch.int64), torch.ones(3, 3))',
     ('tensor', 'float32', (5,), [0.0, 1.0, 2.0, 3.0, 4.0])),
    ('torch.arange(5.).scatter_add(0, torch.zeros(0, dtype=torch.int64), torch.ones(3, 3))',
     ('tensor', 'float32', (5,), [0.0, 1.0, 2.0, 3.0, 4.0])),
    ("torch.arange(5.).scatter_reduce(0, torch.zeros(0, 2, dtype=torch.int64), torch.ones(3), 'amax')",
     ('tensor', 'float32', (5,), [0.0, 1.0, 2.0, 3.0, 4.0])),
    ('torch.arange(5.).scatter(0, torch.zeros(0, dtype=torch.uint8), torch.ones(3, dtype=torch.int64))',
     ('RuntimeError', 'scatter(): Expected self.dtype to be equal to src.dtype')),
    ('torch.gradient(torch.tensor([1., 2., 4., 8., 16.]), dim=None, spacing=None, edge_order=1)[0]',
     ('tensor', 'float32', (5,), [1.0, 1.5, 3.0, 6.0, 8.0])),
    ('torch.gradient(torch.tensor([1, 2, 4, 8]), spacing=None, dim=None, edge_order=2)[0]',
     ('tensor', 'float32', (4,), [0.5, 1.5, 3.0, 5.0])),
    ('torch.gradient(torch.tensor([1., 2., 4., 8., 16.]), spacing=None, dim=0)[0]',
     ('tensor', 'float32', (5,), [1.0, 1.5, 3.0, 6.0, 8.0])),
    ('torch.tensor([1., 2.]).__rdiv__(torch.tensor([4., 8.]))',
     ('tensor', 'float32', (2,), [4.0, 4.0])),
    ('torch.tensor([1, 2]).__rdiv__(2)',
     ('tensor', 'float32', (2,), [2.0, 1.0])),
    ('torch.tensor([1., 2.]).__div__(torch.tensor([4., 8.]))',
     ('tensor', 'float32', (2,), [0.25, 0.25])),
    ('torch.tensor([1, 2]).__div__(2)',
     ('tensor', 'float32', (2,), [0.5, 1.0])),
    ('torch.tensor([1, 2]).__idiv__(2)',
     ('RuntimeError', "result type Float can't be cast to the desired output type Long")),
    ('torch.tensor(torch.tensor(1.).__nonzero__())',
     ('tensor', 'bool', (), True)),
    ('torch.tensor(torch.tensor([0]).__nonzero__())',
     ('tensor', 'bool', (), False)),
    ('torch.tensor([1., 2.]).__nonzero__()',
     ('RuntimeError', 'Boolean value of Tensor with more than one value is ambiguous')),
    ('torch.constant_pad_nd(torch.ones(1, 2, dtype=torch.complex64), (1, 2), 1+0j)',
     ('tensor', 'complex64', (1, 5), [[(1+0j), (1+0j), (1+0j), (1+0j), (1+0j)]])),
    ('torch.constant_pad_nd(torch.ones(1, 2, dtype=torch.complex128), (1, 0), 1+2j)',
     ('tensor', 'complex128', (1, 3), [[(1+2j), (1+0j), (1+0j)]])),
    ('torch.constant_pad_nd(torch.ones(1, 2), (1, 1), 2+0j)',
     ('tensor', 'float32', (1, 4), [[2.0, 1.0, 1.0, 2.0]])),
    ('torch.constant_pad_nd(torch.ones(1, 2), (1, 1), 2+1j)',
     ('RuntimeError', 'value cannot be converted to type float without overflow')),
    ('torch.constant_pad_nd(torch.ones(2, dtype=torch.int64), (1, 1), 2.5+0j)',
     ('tensor', 'int64', (4,), [2, 1, 1, 2])),
    ('torch.constant_pad_nd(torch.ones(2, dtype=torch.bool), (1, 1), 0j)',
     ('tensor', 'bool', (4,), [False, True, True, False])),
    ('torch.constant_pad_nd(torch.ones(3), (-1, 0), 1+2j)',
     ('tensor', 'float32', (2,), [1.0, 1.0])),
    ('torch.constant_pad_nd(torch.ones(2, dtype=torch.uint8), (1, 1), -1)',
     ('tensor', 'uint8', (4,), [255, 1, 1, 255])),
    ('torch.constant_pad_nd(torch.ones(2, dtype=torch.uint8), (1, 1), 300)',
     ('RuntimeError', 'value cannot be converted to type uint8_t without overflow')),
    ('torch.constant_pad_nd(torch.ones(2, dtype=torch.complex64), (1, 1), 1e39+0j)',
     ('RuntimeError', 'value cannot be converted to type c10::complex<float> without overflow')),
    ('torch.constant_pad_nd(torch.ones(2, dtype=torch.complex64), (1, 1), torch.tensor(1+2j))',
     ('tensor', 'complex64', (4,), [(1+2j), (1+0j), (1+0j), (1+2j)])),
    ('torch.constant_pad_nd(torch.ones(2), (1, 1), None)',
     ('TypeError', "constant_pad_nd(): argument 'value' (position 3) must be Number, not NoneType")),
    ('torch.constant_pad_nd(torch.ones(2), (1, 1, 1))',
     ('RuntimeError', 'Length of pad must be even but instead it equals 3')),
    ('torch.constant_pad_nd(torch.ones(2), (1, 1, 1, 1))',
     ('RuntimeError', 'Length of pad should be no more than twice the number of dimensions of the input. Pad length is 4while the input has 1dimensions.')),
    ('torch.nn.functional.pad(torch.ones(2, dtype=torch.complex64), (1, 1), value=1+0j)',
     ('TypeError', "pad(): argument 'value' (position 4) must be float, not complex")),
    ('torch.hash_tensor(torch.arange(4.))',
     ('tensor', 'uint64', (), 4609434218613702656)),
    ('torch.hash_tensor(torch.tensor([-3., -1., 0., 1., 2.], dtype=torch.float16))',
     ('tensor', 'uint64', (), 2251799813685248)),
    ('torch.hash_tensor(torch.tensor([1.5, -2.25, 3.0], dtype=torch.bfloat16))',
     ('tensor', 'uint64', (), 13831117405608214528)),
    ('torch.hash_tensor(torch.tensor([-3., -1., 0., 1., 2.], dtype=torch.float64))',
     ('tensor', 'uint64', (), 2251799813685248)),
    ('torch.hash_tensor(torch.tensor([-1, -2], dtype=torch.int8))',
     ('tensor', 'uint64', (), 1)),
    ('torch.hash_tensor(torch.tensor([-3], dtype=torch.int32))',
     ('tensor', 'uint64', (), 18446744073709551613)),
    ('torch.hash_tensor(torch.tensor([0, 1, 3, 200], dtype=torch.uint8))',
     ('tensor', 'uint64', (), 202)),
    ('torch.hash_tensor(torch.tensor([True, False, True]))',
     ('tensor', 'uint64', (), 0)),
    ("torch.hash_tensor(torch.tensor([float('nan'), -0.0]))",
     ('tensor', 'uint64', (), 18444492273895866368)),
    ('torch.hash_tensor(torch.arange(12.).reshape(3, 4), 1)',
     ('tensor', 'uint64', (3,), [4609434218613702656, 0, 0])),
    ('torch.hash_tensor(torch.arange(12.).reshape(3, 4), 0, keepdim=True)',
     ('tensor', 'uint64', (1, 4), [[13510798882111488, 4595360469778169856, 4628574517030027264, 4625759767262920704]])),
    ('torch.hash_tensor(torch.arange(24, dtype=torch.int64).reshape(2, 3, 4), (0, 2))',
     ('tensor', 'uint64', (3,), [0, 0, 0])),
    ('torch.hash_tensor(torch.arange(12.).reshape(3, 4), [])',
     ('tensor', 'uint64', (), 4609434218613702656)),
    ('torch.hash_tensor(torch.tensor(5.), 0, keepdim=True)',
     ('tensor', 'uint64', (), 4617315517961601024)),
    ('torch.hash_tensor(torch.ones(0, 3), 1)',
     ('tensor', 'uint64', (0,), [])),
    ('torch.hash_tensor(torch.ones(0, 3, dtype=torch.complex64), 1)',
     ('tensor', 'uint64', (0,), [])),
    ('torch.hash_tensor(torch.ones(0, 3), 0)',
     ('IndexError', 'hash_tensor: Expected reduction dim 0 to have non-zero size.')),
    ('torch.hash_tensor(torch.ones(0))',
     ('RuntimeError', "hash_tensor: Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")),
    ('torch.hash_tensor(torch.ones(2), mode=1)',
     ('RuntimeError', 'Unknown hash_tensor mode: 1')),
    ('torch.hash_tensor(torch.ones(2), mode=True)',
     ('TypeError', "hash_tensor(): argument 'mode' must be int, not bool")),
    ('torch.hash_tensor(torch.ones(2), 0, keepdim=1)',
     ('TypeError', "hash_tensor(): argument 'keepdim' must be bool, not int")),
    ('torch.hash_tensor(torch.ones(2, dtype=torch.uint16))',
     ('NotImplementedError', '"xor_sum_cpu" not implemented for \'UInt16\'')),
    ('torch.hash_tensor(torch.ones(2, dtype=torch.complex64))',
     ('NotImplementedError', '"xor_sum_cpu" not implemented for \'ComplexFloat\'')),
    ('torch.hash_tensor(torch.ones(2, 2), (0, 0))',
     ('RuntimeError', 'dim 0 appears multiple times in the list of dims')),
    ('torch.hash_tensor(torch.ones(2, 2), dim=1.5)',
     ('TypeError', "hash_tensor(): argument 'dim' must be tuple of ints, not float")),
    ('torch.hash_tensor([1, 2])',
     ('TypeError', "hash_tensor(): argument 'input' (position 1) must be Tensor, not list")),
    ('torch.arange(12.).reshape(3, 4).hash_tensor(1, keepdim=True)',
     ('tensor', 'uint64', (3, 1), [[4609434218613702656], [0], [0]])),
    ('torch.arange(4.).hash_tensor(out=torch.empty(1, dtype=torch.uint64))',
     ('TypeError', "hash_tensor() got an unexpected keyword argument 'out'")),
    ('torch.hash_tensor(torch.arange(12.).reshape(3, 4), 1, out=torch.empty(3, dtype=torch.int64))',
     ('RuntimeError', 'Expected result to be of dtype uint64, but got Long')),
    ('torch.hash_tensor(torch.arange(12.).reshape(3, 4), 1, out=torch.empty(3, dtype=torch.uint64))',
     ('tensor', 'uint64', (3,), [4609434218613702656, 0, 0])),
    ('torch.hash_tensor(torch.tensor([1., 2.], requires_grad=True)).requires_grad',
     ('value', False)),
]


# the cases that need another distribution: constant_pad_nd/F.pad (tensorgraft-nn), requires_grad
# (tensorgraft-autograd)
_NEEDS = (("constant_pad_nd", "tensorgraft.nn"), ("nn.functional", "tensorgraft.nn"),
          ("requires_grad", "tensorgraft.autograd"))


def _run(src):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(src, {"torch": torch})
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return (type(e).__name__, str(e).split("\n")[0])
    if isinstance(r, torch.Tensor):
        return ("tensor", str(r.dtype).split(".")[1], tuple(r.shape), r.tolist())
    return ("value", r)


@pytest.mark.parametrize("src,expected", CASES, ids=[c[0][:70] for c in CASES])
def test_matches_pytorch(src, expected):
    for word, module in _NEEDS:
        if word in src:
            pytest.importorskip(module)
    assert _run(src) == expected


def test_index_select_0d_gradient():
    pytest.importorskip("tensorgraft.autograd")
    x = torch.tensor(3., requires_grad=True)
    y = torch.index_select(x, 0, torch.tensor([0]))
    assert y.shape == ()
    (y * 2).backward()
    assert x.grad.tolist() == 2.0  # PyTorch 2.13: tensor(2.)


def test_select_scatter_1d_gradients():
    pytest.importorskip("tensorgraft.autograd")
    x, s = torch.zeros(5, requires_grad=True), torch.tensor(3., requires_grad=True)
    torch.select_scatter(x, s, 0, 2).mul(torch.arange(5.)).sum().backward()
    # PyTorch 2.13: x.grad tensor([0., 1., 0., 3., 4.]), s.grad tensor(2.)
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 3.0, 4.0] and s.grad.tolist() == 2.0


def test_rdiv_is_rtruediv_and_operators_keep_working():
    t = torch.tensor([2., 4.])
    assert t.__rdiv__(8).tolist() == t.__rtruediv__(8).tolist() == [4.0, 2.0]
    assert (8 / t).tolist() == [4.0, 2.0]
    u = t.clone()
    assert u.__idiv__(2) is u and u.tolist() == [1.0, 2.0]
    assert torch.tensor(0.).__nonzero__() is False


def test_hash_tensor_is_registered_with_samples():
    from tensorgraft.registry import registry
    from tensorgraft.testing import conformance
    assert "hash_tensor" in registry.ops
    assert conformance.run_conformance(names=["hash_tensor"]) == 1


def test_blas_scalars_keep_float_results_unchanged():
    # float inputs keep the Python numbers (PyTorch 2.13 values)
    r = torch.addmv(torch.tensor([3., 5.]), torch.tensor([[1., 2.], [3., 4.]]), torch.tensor([1., 1.]),
                    beta=0.5, alpha=1.5)
    assert r.dtype == torch.float32 and r.tolist() == [6.0, 13.0]
