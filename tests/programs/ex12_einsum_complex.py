"""einsum tricks from the "einsum is all you need" blog genre, and complex tensors as used in
signal-processing and rotary-embedding code: traces, diagonals, batched bilinear forms, ellipsis,
the sublist format, attention scores, then complex construction, polar form, view_as_real /
view_as_complex, RoPE-style rotation, Wirtinger gradients, and the errors of common mistakes."""
# needs: nn
import math

import tensorgraft as torch

torch.manual_seed(0)

A = torch.arange(9.0).reshape(3, 3)
v = torch.tensor([1.0, -1.0, 2.0])
print("trace", torch.einsum("ii", A), "diag", torch.einsum("ii->i", A))
print("transpose\n", torch.einsum("ij->ji", A))
print("row sums", torch.einsum("ij->i", A), "total", torch.einsum("ij->", A))
print("matvec", torch.einsum("ij,j->i", A, v), "dot", torch.einsum("i,i->", v, v))
print("outer\n", torch.einsum("i,j->ij", v, torch.tensor([1.0, 10.0])))
print("hadamard-sum", torch.einsum("ij,ij->", A, A), (A * A).sum())

B = torch.randn(4, 3, 5)
C = torch.randn(4, 5, 2)
bmm = torch.einsum("bij,bjk->bik", B, C)
print("bmm", bmm.shape, torch.allclose(bmm, B @ C, atol=1e-6))
print("ellipsis", torch.einsum("...ij->...ji", B).shape, torch.einsum("b...,b->b...", B, torch.ones(4)).shape)
print("spaces allowed", torch.einsum("b i j , b j k -> b i k", B, C).shape)
print("sublist", torch.einsum(A, [0, 1], v, [1], [0]))
print("batched diag", torch.einsum("bii->bi", torch.arange(18.0).reshape(2, 3, 3)))

# bilinear form x^T W y for a batch, three operands at once
x = torch.randn(2, 3)
W = torch.randn(4, 3, 5)
y = torch.randn(2, 5)
bil = torch.einsum("bn,anm,bm->ba", x, W, y)
print("bilinear", bil.shape, torch.allclose(bil, torch.nn.functional.bilinear(x, y, W), atol=1e-5))

# multi-head attention scores
q = torch.randn(2, 4, 3, 8)  # batch, heads, query, dim
k = torch.randn(2, 4, 6, 8)
scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(8)
print("scores", scores.shape, f"{scores.softmax(-1).sum().item():.4f}")

# gradients flow through einsum
Wg = torch.randn(3, 3, requires_grad=True)
out = torch.einsum("ij,jk->ik", Wg, Wg).sum()
out.backward()
print("grad", Wg.grad.round(decimals=4))

# complex tensors
z = torch.tensor([1 + 1j, -2 + 0.5j, 3j])
print(z, z.dtype)
print("abs", z.abs(), "angle", z.angle())
print("conj", z.conj(), "real", z.real, "imag", z.imag)
print("z*z", z * z, "z/(1-1j)", z / (1 - 1j))
print(torch.complex(torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0])))
print(torch.polar(torch.tensor([2.0, 1.0]), torch.tensor([0.0, math.pi / 2])))
print(torch.view_as_real(z))
print(torch.view_as_complex(torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
print(torch.exp(1j * torch.tensor([0.0, math.pi])), torch.sqrt(torch.tensor([-4 + 0j])))
print(torch.tensor([1, 2]) + 1j, torch.tensor([1.5 + 2j]).item())
M = torch.tensor([[1 + 1j, 2], [3, 4 - 1j]])
print(M.T, M.mH, M @ M, sep="\n")
print(torch.randn(2, dtype=torch.cfloat), torch.zeros(2, dtype=torch.complex128).sum())

# rotary position embedding: pairs of features rotated by position-dependent angles
dim, seq = 4, 3
freqs = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
angles = torch.outer(torch.arange(seq).float(), freqs)
rot = torch.polar(torch.ones_like(angles), angles)
feats = torch.randn(seq, dim)
fc = torch.view_as_complex(feats.reshape(seq, dim // 2, 2))
rotated = torch.view_as_real(fc * rot).flatten(1)
print("rope", rotated.round(decimals=4))
print("norms kept:", torch.allclose(rotated.norm(dim=1), feats.norm(dim=1), atol=1e-6))

# gradient of a real loss w.r.t. complex leaves (conjugate Wirtinger convention)
w = torch.tensor([1 + 1j, 2 - 1j], requires_grad=True)
(w.abs() ** 2).sum().backward()
print("grad |w|^2", w.grad)
u = torch.tensor([0.5 + 1j], requires_grad=True)
loss = (u * u).real.sum()
loss.backward()
print("grad Re(u^2)", u.grad, loss)

for bad in [lambda: torch.einsum("ij,jk", torch.ones(2, 3), torch.ones(4, 5)),
            lambda: torch.einsum("ij", torch.ones(2, 3, 4)),
            lambda: torch.einsum("ij,jk->ik", torch.ones(2, 3)),
            lambda: torch.einsum("ij->ik", torch.ones(2, 3)),
            lambda: torch.tensor([1 + 2j]) > 0,
            lambda: torch.tensor([1 + 2j]).max(),
            lambda: torch.view_as_complex(torch.ones(2, 3))]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
