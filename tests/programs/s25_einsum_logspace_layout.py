"""Layouts and exact values a user can see: the strides and contiguity of attention-style einsum
results (and their values against matmul), logspace printed with full precision in float32,
float64 and bfloat16, and where empty slices sit (storage_offset, stride) - what code that rebuilds
views with as_strided or checks layouts relies on."""
import tensorgraft as torch

torch.manual_seed(0)
B, H, L, S, D = 2, 3, 4, 5, 8
q = torch.randn(B, H, L, D)
k = torch.randn(B, H, S, D)
v = torch.randn(B, H, S, D)
specs = [
    ("bhld,bhsd->bhls", (q, k)),
    ("bhls,bhsd->bhld", (torch.randn(B, H, L, S), v)),
    ("blhd,bshd->bhls", (q.transpose(1, 2), k.transpose(1, 2))),
    ("bhld,bhsd->blhs", (q, k)),
    ("bld,dk->blk", (torch.randn(B, L, D), torch.randn(D, 6))),
    ("ij,jk->ik", (torch.randn(3, 4), torch.randn(4, 5))),
    ("ij,kj->ik", (torch.randn(3, 4), torch.randn(5, 4))),
    ("ij,jk->ki", (torch.randn(3, 4), torch.randn(4, 5))),
    ("bi,bj->bij", (torch.randn(2, 3), torch.randn(2, 4))),
    ("i,j->ij", (torch.randn(3), torch.randn(4))),
    ("bij,bjk,bkl->bil", (torch.randn(2, 3, 4), torch.randn(2, 4, 5), torch.randn(2, 5, 2))),
    ("ii->i", (torch.randn(4, 4),)),
    ("ij->ji", (torch.randn(3, 4),)),
    ("bhqd,bhkd->bhqk", (q[:, :, :, :4], k[:, :, :, :4])),
]
for spec, ops in specs:
    out = torch.einsum(spec, *ops)
    print(f"{spec:<20} {tuple(out.shape)} stride {out.stride()} contiguous {out.is_contiguous()}")

scores = torch.einsum("bhld,bhsd->bhls", q, k) / D ** 0.5
print("scores == matmul:", torch.allclose(scores, q @ k.transpose(-2, -1) / D ** 0.5, atol=1e-6))
attn = scores.softmax(-1)
ctx = torch.einsum("bhls,bhsd->bhld", attn, v)
print("context == matmul:", torch.allclose(ctx, attn @ v, atol=1e-6))
merged = torch.einsum("bhld->blhd", ctx).reshape(B, L, H * D)
print("merged", tuple(merged.shape), merged.stride(), round(merged.sum().item(), 4))
x64 = torch.randn(3, 4, dtype=torch.float64)
print(round(torch.einsum("ij,ij->", x64, x64).item(), 10), round((x64 * x64).sum().item(), 10), torch.einsum("ij->", x64).dtype)

# logspace, every digit
for dtype in (torch.float32, torch.float64, torch.bfloat16):
    t = torch.logspace(-3, 2, 7, dtype=dtype)
    print(dtype, [repr(e) for e in t.tolist()])
    t2 = torch.logspace(0, 1, 5, base=2.0, dtype=dtype)
    print("  base 2", [repr(e) for e in t2.tolist()])
print([repr(e) for e in torch.logspace(1.5, -1.5, 4, base=3.0).tolist()])
print([repr(e) for e in torch.logspace(0.1, 0.7, 3, dtype=torch.float64).tolist()])
print(torch.logspace(0, 3, 4, dtype=torch.int64).tolist(), torch.logspace(2, 2, 1).tolist(),
      torch.logspace(0, 1, 0).shape)
torch.set_printoptions(precision=10)
print(torch.logspace(-2, 2, 5))
print(torch.logspace(-2, 2, 5, dtype=torch.float64))
torch.set_printoptions(profile="default")

# empty slices: where they sit
a = torch.arange(24.0).reshape(4, 6)
for expr, t in [("a[5:5]", a[5:5]), ("a[2:2]", a[2:2]), ("a[:, 4:2]", a[:, 4:2]),
                ("a[1:, 6:]", a[1:, 6:]), ("a[:, ::2][:, 3:]", a[:, ::2][:, 3:]),
                ("a[3:1:2]", a[3:1:2]), ("a[2, 3:3]", a[2, 3:3]), ("a[-1:0]", a[-1:0]),
                ("narrow", a.narrow(1, 6, 0)), ("split", a.split([4, 0], dim=0)[1]),
                ("chunk->empty", torch.arange(3.0).tensor_split(5)[4]), ("select of empty", a[1:1][:, 2])]:
    print(f"{expr:<18} {tuple(t.shape)} offset {t.storage_offset()} stride {t.stride()}")
e = a[:, 4:2]
r = torch.as_strided(a, e.shape, e.stride(), e.storage_offset())
print("as_strided rebuild", tuple(r.shape), r.stride(), r.storage_offset())
