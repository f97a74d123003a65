"""The official 'Tensors' tutorial (Learn the Basics): initializing tensors from data, from NumPy,
from other tensors, with shapes; attributes; operations (indexing, joining, arithmetic, in-place)
and the NumPy bridge that shares memory."""
import numpy as np

import tensorgraft as torch

torch.manual_seed(0)

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
print(x_data)
print(x_data.dtype, x_data.shape, x_data.device)

np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_np)

x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_rand = torch.rand_like(x_data, dtype=torch.float)
print(f"Random Tensor: \n {x_rand} \n")

shape = (2, 3,)
rand_tensor = torch.rand(shape)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Random Tensor: \n {rand_tensor} \n")
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")

tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
print(torch.cuda.is_available())

tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)

t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)
print(t1.shape)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
print(y1)
print(torch.equal(y1, y2), torch.equal(y1, y3))

z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.rand_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(z3)

agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))
print(agg)

print(f"{tensor} \n")
tensor.add_(5)
print(tensor)

t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
print(t.dtype)

# as_tensor shares memory with a matching ndarray, tensor() always copies
a = np.arange(6, dtype=np.float32).reshape(2, 3)
shared = torch.as_tensor(a)
copied = torch.tensor(a)
a[0, 0] = 100.0
print(shared)
print(copied)
print(torch.as_tensor(a, dtype=torch.float64))
print(torch.as_tensor([1, 2, 3]), torch.as_tensor(3.5), torch.as_tensor(True))
print(x_data.numpy().dtype, torch.zeros(2, dtype=torch.float16).numpy().dtype)

# from_numpy of various dtypes
for arr in [np.array([1, 2], dtype=np.int8), np.array([1.5], dtype=np.float16), np.array([True, False]),
            np.array([1 + 2j], dtype=np.complex64), np.array([7], dtype=np.uint8)]:
    t = torch.from_numpy(arr)
    print(t, t.dtype)
