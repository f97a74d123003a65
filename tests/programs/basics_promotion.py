"""Type promotion as users meet it: int/float/bool/complex tensors mixed with each other and with
Python scalars, 0-dim tensors vs dimensioned ones, true division of ints, floor division, in-place
ops that cannot downcast, result_type/promote_types/can_cast, and .to/.type conversions."""
import tensorgraft as torch

i8 = torch.tensor([1, 2], dtype=torch.int8)
u8 = torch.tensor([1, 2], dtype=torch.uint8)
i32 = torch.tensor([1, 2], dtype=torch.int32)
i64 = torch.tensor([1, 2])
f16 = torch.tensor([1, 2], dtype=torch.float16)
f32 = torch.tensor([1.0, 2.0])
f64 = torch.tensor([1.0, 2.0], dtype=torch.float64)
b = torch.tensor([True, False])
c64 = torch.tensor([1 + 1j, 2])
tensors = {"i8": i8, "u8": u8, "i32": i32, "i64": i64, "f16": f16, "f32": f32, "f64": f64, "b": b, "c64": c64}
for na, ta in tensors.items():
    print(na, " ".join(f"{nb}:{(ta + tb).dtype}" for nb, tb in tensors.items()))

for name, t in tensors.items():
    print(name, (t + 1).dtype, (t + 1.5).dtype, (t * True).dtype, (t + 1j).dtype if t.dtype != torch.float16 else "-", (t / 2).dtype, (t // 1).dtype
          if t.dtype not in (torch.complex64, torch.bool) else "-")

print((i32 + torch.tensor(5)).dtype, (i32 + torch.tensor(5.0)).dtype, (f16 + torch.tensor(5.0, dtype=torch.float64)).dtype)
print((u8 + torch.tensor(-1)).dtype, (i8 + torch.tensor(300)).dtype, (b + torch.tensor(1)).dtype)
print(i64 / i64, i64 // torch.tensor([2, -3]), torch.tensor([-7, 7]) % 3, torch.tensor([-7.5, 7.5]) % 2)
print(torch.tensor([5, -5]) // 2, torch.div(torch.tensor([5, -5]), 2, rounding_mode="trunc"),
      torch.div(torch.tensor([5, -5]), 2, rounding_mode="floor"))
print(torch.tensor([200], dtype=torch.uint8) + torch.tensor([100], dtype=torch.uint8))
print(torch.tensor([127], dtype=torch.int8) + 1)
print(torch.tensor([3]) ** 2, torch.tensor([3]) ** 0.5, torch.tensor([2.0]) ** torch.tensor([3]), 2 ** torch.tensor([3]))
print(b & torch.tensor([True, True]), b | False, ~b, b ^ True, ~i64, i64 << 2, i64 >> 1)
print(torch.result_type(i32, 1.0), torch.result_type(u8, i8), torch.result_type(torch.tensor(1.0), i32),
      torch.result_type(f16, 2))
print(torch.promote_types(torch.int32, torch.float32), torch.promote_types(torch.uint8, torch.int8),
      torch.promote_types(torch.bool, torch.int16), torch.promote_types(torch.float16, torch.complex64))
print(torch.can_cast(torch.float32, torch.int32), torch.can_cast(torch.int32, torch.float32),
      torch.can_cast(torch.float64, torch.float16), torch.can_cast(torch.complex64, torch.float64))

print(f32.to(torch.int32), f32.int(), f32.long().dtype, f32.double().dtype, f32.half(), f32.bool(), i64.float())
print(torch.tensor([1.7, -1.7, 2.5]).to(torch.int64), torch.tensor([300.0]).to(torch.uint8).dtype)
print(f32.type(torch.float64).dtype, f32.type(), f32.to(torch.complex64), c64.real, c64.imag, c64.abs())
print(f32.to(i32).dtype, f32.to("cpu", torch.float16).dtype, f32.type_as(i32).dtype)
print(f32.is_floating_point(), i64.is_floating_point(), c64.is_complex(), b.dtype == torch.bool)
print(torch.float32.itemsize, torch.int16.itemsize, torch.finfo(torch.float32).eps, torch.finfo(torch.float16).max,
      torch.iinfo(torch.int8).min, torch.iinfo(torch.uint8).max)
print(torch.finfo(torch.float32))
print(torch.iinfo(torch.int32))
print(torch.tensor([1, 2]).float().mean(), torch.tensor([1.0, 2.0]).sum().dtype, torch.tensor([1, 2]).sum().dtype,
      torch.tensor([1, 2], dtype=torch.int8).sum().dtype, torch.tensor([True, True]).sum(), b.float().mean())
print(torch.tensor([1, 2, 3]).prod().dtype, torch.tensor([1, 2], dtype=torch.uint8).cumsum(0).dtype)
print(torch.sqrt(torch.tensor([4])), torch.exp(torch.tensor([0])).dtype, torch.sin(torch.tensor([0], dtype=torch.float64)).dtype)
print(torch.abs(torch.tensor([-3])), torch.neg(torch.tensor([3], dtype=torch.int16)), torch.sign(torch.tensor([-2.0, 0.0, 3.0])))
print(torch.maximum(i32, f16).dtype, torch.clamp(i64, 0.5, 1.5), torch.clamp(i64, min=2).dtype)
print(torch.eq(i64, f32), i64 == 1, f32 > i64, torch.isclose(f32, torch.tensor([1.0, 2.0 + 1e-9])))

x = torch.tensor([1, 2, 3])
x += 2
print(x)
x *= 3
print(x)
y = torch.tensor([1.5, 2.5])
y += torch.tensor([1, 1])
print(y)
for bad in [lambda: x.add_(1.5),
            lambda: x.mul_(torch.tensor([0.5, 0.5, 0.5])),
            lambda: x.div_(2),
            lambda: b.add_(1),
            lambda: f32.add_(torch.tensor([1j, 1j])),
            lambda: torch.tensor([1, 2]) @ torch.tensor([1.0, 2.0]),
            lambda: torch.tensor([-1]).to(torch.bool) & 1.5,
            lambda: torch.tensor([1.5]) << 1,
            lambda: torch.tensor([1.0]).bitwise_and(torch.tensor([1])),
            lambda: ~torch.tensor([1.5]),
            lambda: torch.tensor([1]).sqrt_(),
            lambda: torch.tensor([3.0]) % torch.tensor([0]),
            lambda: torch.tensor([3]) // torch.tensor([0]),
            lambda: torch.tensor([True, False]).abs(),
            lambda: torch.tensor([True, False]).floor(),
            lambda: torch.tensor([1, 2]).frac(),
            lambda: torch.relu(torch.tensor([True])),
            lambda: torch.tensor([1 + 1j, 2]).max(),
            lambda: torch.tensor([1 + 1j, 2]).sort(),
            lambda: torch.tensor([1 + 1j, 2]) > 0,
            lambda: torch.tensor([1.5]).bitwise_not(),
            lambda: torch.var_mean(torch.tensor([1, 2]))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
