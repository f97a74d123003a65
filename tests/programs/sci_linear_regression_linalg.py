"""Linear algebra in numeric code as textbooks and tutorials write it with torch.linalg: ordinary
least squares by lstsq, the normal equations with solve/inv, ridge regression, QR and SVD solutions,
pinv, det/slogdet, eigh of a covariance (PCA), cholesky, norms, matrix_rank and cond, and the
errors users meet (singular matrix, shape mismatch, non-square input)."""
import tensorgraft as torch

torch.manual_seed(0)
n, d = 50, 3
X = torch.randn(n, d)
true_w = torch.tensor([[2.0], [-1.0], [0.5]])
y = X @ true_w + 0.3 + 0.05 * torch.randn(n, 1)
A = torch.cat([X, torch.ones(n, 1)], dim=1)
print(A.shape, y.shape)

sol = torch.linalg.lstsq(A, y)
print(type(sol).__name__, sol.solution.shape)
print(sol.solution.squeeze())
print(sol.residuals, sol.rank, sol.singular_values)
res = torch.linalg.lstsq(A.double(), y.double(), driver="gelsd")
print(res.solution.squeeze(), res.rank, res.singular_values.shape)

AtA = A.T @ A
w_normal = torch.linalg.solve(AtA, A.T @ y)
print(w_normal.squeeze())
print(torch.allclose(w_normal, sol.solution, atol=1e-4))
w_inv = torch.linalg.inv(AtA) @ A.T @ y
print(torch.allclose(w_inv, w_normal, atol=1e-4))
lam = 10.0
w_ridge = torch.linalg.solve(AtA + lam * torch.eye(d + 1), A.T @ y)
print(w_ridge.squeeze())

Q, R = torch.linalg.qr(A)
print(Q.shape, R.shape, torch.allclose(Q.T @ Q, torch.eye(d + 1), atol=1e-5))
w_qr = torch.linalg.solve_triangular(R, Q.T @ y, upper=True)
print(w_qr.squeeze())
Qc, Rc = torch.linalg.qr(A, mode="complete")
print(Qc.shape, Rc.shape)

U, S, Vh = torch.linalg.svd(A, full_matrices=False)
print(U.shape, S, Vh.shape)
print(torch.linalg.svdvals(A))
w_svd = Vh.T @ torch.diag(1 / S) @ U.T @ y
print(w_svd.squeeze())
print(torch.linalg.pinv(A).shape, torch.allclose(torch.linalg.pinv(A) @ y, w_svd, atol=1e-4))
pred = A @ sol.solution
r2 = 1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()
print(f"R^2 = {r2.item():.4f}")

M = torch.tensor([[4.0, 1.0, 2.0], [1.0, 3.0, 0.0], [2.0, 0.0, 5.0]])
print(torch.linalg.det(M), torch.det(M))
print(torch.linalg.slogdet(M))
sign, logabsdet = torch.linalg.slogdet(-M)
print(sign, logabsdet)
print(torch.linalg.inv(M))
L = torch.linalg.cholesky(M)
print(L)
print(torch.allclose(L @ L.T, M, atol=1e-6))  # (within the default atol=1e-8 or not depends on the CPU)
print(torch.cholesky_solve(torch.ones(3, 1), L))
evals, evecs = torch.linalg.eigh(M)
print(evals)
print(evecs.abs())
print(torch.linalg.eigvalsh(M))
ev = torch.linalg.eigvals(M)
print(ev.dtype, ev.real.sort().values)
print(torch.linalg.norm(M), torch.linalg.norm(M, ord=2), f'{torch.linalg.norm(M, ord="nuc").item():.4f}')
print(torch.linalg.matrix_norm(M), torch.linalg.matrix_norm(M, ord=1), torch.linalg.matrix_norm(M, ord=float("inf")))
print(torch.linalg.vector_norm(torch.tensor([3.0, -4.0])), torch.linalg.vector_norm(torch.tensor([3.0, -4.0]), ord=1))
print(torch.linalg.norm(torch.tensor([3.0, -4.0]), ord=float("inf")), torch.norm(M, dim=1))
print(torch.linalg.matrix_rank(M), torch.linalg.matrix_rank(torch.ones(3, 3)))
print(torch.linalg.cond(M), torch.linalg.cond(M, p="fro"))
print(torch.linalg.matrix_power(M, 3))
print(torch.linalg.matrix_exp(torch.zeros(2, 2)))
print(torch.linalg.cross(torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])))
print(torch.linalg.multi_dot([M, M, torch.ones(3, 1)]).squeeze())
print(torch.linalg.diagonal(M), torch.trace(M))
LU, piv = torch.linalg.lu_factor(M)
print(LU, piv)
print(torch.linalg.lu_solve(LU, piv, torch.ones(3, 1)).squeeze())
P, Lm, Um = torch.linalg.lu(M)
print(P, Lm, Um, sep="\n")

# PCA of correlated data through the covariance eigendecomposition
data = torch.randn(200, 2) @ torch.tensor([[2.0, 0.0], [1.2, 0.5]])
centered = data - data.mean(0)
C = centered.T @ centered / (len(data) - 1)
vals, vecs = torch.linalg.eigh(C)
print(vals, vecs.abs())
print(f"explained {vals[-1].item() / vals.sum().item():.4f}")

# gradients through linalg
B = torch.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
ld = torch.logdet(B)
ld.backward()
print(ld, B.grad)
x = torch.linalg.solve(B, torch.tensor([1.0, 2.0]))
print(x.grad_fn, torch.linalg.det(B).grad_fn, torch.linalg.inv(B).grad_fn)

for bad in (lambda: torch.linalg.inv(torch.ones(2, 2)),
            lambda: torch.linalg.solve(torch.ones(2, 2), torch.ones(2)),
            lambda: torch.linalg.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]])),
            lambda: torch.linalg.det(torch.ones(2, 3)),
            lambda: torch.linalg.solve(M, torch.ones(2)),
            lambda: torch.linalg.inv(torch.ones(3, 3, dtype=torch.long)),
            lambda: torch.linalg.lstsq(A, torch.ones(7, 1))):
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
