"""Matrix products the way tutorials write them: @ and matmul across 1-D/2-D/batched shapes with
broadcasting, mm/bmm/mv/dot/outer/addmm/baddbmm, einsum for traces, batch products and attention
scores, tensordot/kron/cross, and the shape/dtype mistakes users make with them."""
import tensorgraft as torch

torch.manual_seed(0)
a = torch.arange(6.0).reshape(2, 3)
b = torch.arange(12.0).reshape(3, 4)
v = torch.tensor([1.0, 0.0, -1.0])
print(a @ b)
print(torch.matmul(a, v), v @ b, v @ v, torch.matmul(v, v).shape)
print(torch.mm(a, b).shape, torch.mv(a, v), torch.dot(v, v), torch.outer(v, torch.tensor([1.0, 2.0])))
x = torch.randn(5, 2, 3)
y = torch.randn(5, 3, 4)
print(torch.bmm(x, y).shape, (x @ y).shape, (x @ b).shape, (torch.randn(2, 1, 2, 3) @ torch.randn(4, 3, 5)).shape)
print(torch.allclose(torch.bmm(x, y), torch.einsum("bij,bjk->bik", x, y), atol=1e-6))
print(torch.einsum("ii", torch.arange(9.0).reshape(3, 3)), torch.einsum("ij->ji", a).shape,
      torch.einsum("i,j->ij", v, v))
print(torch.einsum("bij,bkj->bik", x, x).shape, torch.einsum("...ij,...jk", x, y).shape)
q = torch.randn(2, 4, 8)
k = torch.randn(2, 4, 8)
scores = torch.einsum("bqd,bkd->bqk", q, k) / 8 ** 0.5
print(scores.softmax(-1).sum(-1))
print(torch.addmm(torch.ones(2, 4), a, b, beta=0.5, alpha=2.0))
print(torch.baddbmm(torch.zeros(5, 2, 4), x, y).shape, torch.addmv(torch.ones(2), a, v))
print(torch.tensordot(a, b, dims=1).shape, torch.tensordot(x, y, dims=([0, 2], [0, 1])).shape)
print(torch.kron(torch.eye(2), torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
print(torch.cross(torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0]), dim=0))
print(torch.linalg.matrix_power(torch.tensor([[1, 1], [1, 0]]), 10))
print(torch.trace(torch.arange(9.0).reshape(3, 3)), torch.arange(9).reshape(3, 3).trace())
print(torch.tensor([[1, 2], [3, 4]]) @ torch.tensor([[5, 6], [7, 8]]))
print(torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64) @ torch.tensor([[1.0], [1.0]], dtype=torch.float64))
print(torch.matmul(torch.tensor([[1 + 1j, 0], [0, 1]]), torch.tensor([1j, 1])))
print(torch.chain_matmul(a, b, torch.ones(4, 1)) if hasattr(torch, "chain_matmul") else None)
print(torch.linalg.multi_dot([a, b, torch.ones(4, 1)]))
w = torch.randn(3, 4, requires_grad=True)
out = a @ w
print(out.grad_fn.name(), (x @ y).sum().item() != 0, torch.mv(a, v).dtype)
out.sum().backward()
print(w.grad)

for bad in [lambda: a @ a,
            lambda: torch.mm(a, v),
            lambda: torch.bmm(a, b),
            lambda: torch.bmm(x, torch.randn(4, 3, 4)),
            lambda: torch.dot(v, torch.ones(2)),
            lambda: torch.mv(a, torch.ones(2)),
            lambda: a @ torch.arange(3),
            lambda: torch.mm(a, b.double()),
            lambda: torch.einsum("ij,jk->ik", a, a),
            lambda: torch.einsum("ij->k", a),
            lambda: torch.matmul(torch.tensor(2.0), a),
            lambda: x @ torch.randn(2, 3, 4),
            lambda: torch.dot(torch.ones(2, 2), torch.ones(2, 2)),
            lambda: torch.outer(torch.ones(2, 2), v)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
