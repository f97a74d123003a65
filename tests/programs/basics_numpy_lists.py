"""The NumPy and Python-list bridges in everyday use: tolist/item/numpy on every dtype, from_numpy
and numpy() sharing memory (and when they do not), torch.tensor on NumPy scalars and mixed lists,
as_tensor with dtype/copy, conversion of bool masks and index arrays, and their errors."""
import numpy as np

import tensorgraft as torch

for dt in [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
           torch.float16, torch.float32, torch.float64, torch.complex64, torch.complex128]:
    t = torch.tensor([[1, 0], [2, 3]]).to(dt)
    n = t.numpy()
    print(dt, n.dtype, n.tolist() == t.tolist(), t.tolist(), type(t[0, 0].item()).__name__, t[1, 1].item())

a = np.arange(6, dtype=np.float64).reshape(2, 3)
t = torch.from_numpy(a)
t[0, 0] = -1
a[1, 2] = 50
print(t, a[0, 0])
print(t.T.numpy().flags["C_CONTIGUOUS"], t.numpy().base is not None, np.shares_memory(t.numpy(), a))
print(torch.from_numpy(a[:, 1]), torch.from_numpy(a[::-1].copy()).shape)
tt = torch.from_numpy(a).float()
tt[0, 0] = 99
print(a[0, 0], tt[0, 0].item())
print(torch.tensor(np.float32(2.5)), torch.tensor(np.int16(3)), torch.tensor(np.bool_(True)), torch.tensor(np.float64(1.0)))
print(torch.tensor([np.float32(1.5), 2]), torch.tensor([np.int64(1), np.int64(2)]), torch.tensor(np.array(5)))
print(torch.tensor([1, 2.0, True]), torch.tensor([[1, 2], [3, 4]]).tolist(), torch.tensor([True, 1]).dtype)
print(torch.tensor(np.array([[1, 2], [3, 4]], dtype=np.int32)), torch.as_tensor(np.array([1.5, 2.5]), dtype=torch.int64))
print(torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]), torch.stack([torch.tensor(1), torch.tensor(2)]))
print(torch.as_tensor([[1, 2], [3, 4]], dtype=torch.float32), torch.tensor(range(4)), torch.tensor((1, 2)))
print(torch.tensor(np.zeros((2, 0))).shape, torch.from_numpy(np.zeros(0, dtype=np.int32)))
m = np.array([True, False, True])
v = torch.tensor([10, 20, 30])
print(v[torch.from_numpy(m)], v[m], v[np.array([2, 0])], v[[True, False, True]])
print(torch.tensor(3.5).numpy(), type(torch.tensor(3.5).numpy()).__name__, torch.tensor([1, 2]).numpy().tolist())
print(np.asarray(torch.tensor([1.0, 2.0])), np.array(torch.tensor([[1, 2]])).shape, np.sum(torch.tensor([1, 2]).numpy()))
print(torch.tensor([1.0, 2.0]).numpy() * 2, torch.tensor([1.5]).numpy().dtype, list(torch.arange(3)), [int(i) for i in torch.arange(3)])
flags = np.array([1.0, 3.0]) > 2.0
print(torch.tensor([1, 2]) * flags[1], torch.tensor([1, 2]) * bool(flags[1]), torch.full((2,), flags[0]))
print(len(torch.zeros(4, 2)), torch.zeros(4, 2).size(0), torch.zeros(4, 2).shape[1], torch.zeros(2, 3).shape == (2, 3))
print(torch.tensor([[1.5, 2.5]]).tolist()[0][1], torch.tensor(7).tolist(), torch.tensor([]).tolist(), torch.zeros(2, 0).tolist())
print(torch.tensor([1, 2]).new_tensor(np.array([3.5])), torch.tensor(np.array([1 + 2j], dtype=np.complex128)))
s = torch.tensor([0.1, 0.2], dtype=torch.float32)
print(s.tolist(), s.double().tolist(), s.numpy().tolist(), [round(x, 3) for x in s.tolist()])

for bad in [lambda: torch.from_numpy([1, 2]),
            lambda: torch.tensor([[1, 2], [3, 4, 5]]),
            lambda: torch.tensor([1, "a"]),
            lambda: torch.tensor([None]),
            lambda: torch.tensor([[1], 2]),
            lambda: torch.tensor([1.0], requires_grad=True).numpy(),
            lambda: torch.tensor([1, 2]).item(),
            lambda: torch.tensor(np.array([1, 2], dtype=np.uint8)).to(torch.float16).tolist(),
            lambda: torch.zeros(2).numpy(force=True).dtype,
            lambda: torch.tensor([1.0]).to("cpu").numpy().dtype,
            lambda: torch.from_numpy(np.zeros(2, dtype=">f8")),
            lambda: torch.from_numpy(np.array(["x"]))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
