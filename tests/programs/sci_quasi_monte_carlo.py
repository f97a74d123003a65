"""Quasi-Monte Carlo with torch.quasirandom.SobolEngine, as in QMC tutorials and Bayesian-optimisation
code: unscrambled and scrambled Sobol' points, draw/draw_base2/fast_forward/reset, integration error of
Sobol' points against torch.rand points, mapping points to a box and to normals through the inverse
CDF (torch.special.ndtri / erfinv), candidate sets for an acquisition step, and the balance error."""
import math

import tensorgraft as torch
from tensorgraft.quasirandom import SobolEngine

torch.manual_seed(0)

engine = SobolEngine(dimension=2)
print(engine)
print(engine.draw(4))
print(engine.num_generated, engine.quasi)
print(engine.draw_base2(2))
try:
    engine.draw_base2(1)
except ValueError as e:
    print(type(e).__name__, e)
engine.reset()
engine.fast_forward(6)
print(engine.draw(2, dtype=torch.float64))

scrambled = SobolEngine(3, scramble=True, seed=7)
print(scrambled)
print(scrambled.draw(5))


# integrate f(x, y, z) = prod(1 + (x_i - 0.5) * c_i) over the unit cube (exactly 1)
def f(points):
    c = torch.tensor([1.0, 2.0, 3.0], dtype=points.dtype)
    return (1 + (points - 0.5) * c).prod(dim=1)


for m in (6, 8, 10):
    n = 2 ** m
    qmc = SobolEngine(3, scramble=True, seed=1).draw(n, dtype=torch.float64)
    mc = torch.rand(n, 3, dtype=torch.float64)
    print(f"n={n:5d} qmc error {abs(f(qmc).mean().item() - 1):.3e}  mc error {abs(f(mc).mean().item() - 1):.3e}")

# points in a box [lo, hi] and standard normals by the inverse CDF
lo, hi = torch.tensor([-2.0, 0.0]), torch.tensor([2.0, 10.0])
unit = SobolEngine(2, scramble=True, seed=3).draw(8)
print(lo + (hi - lo) * unit)
normals = torch.special.ndtri(SobolEngine(2, scramble=True, seed=4).draw(1024, dtype=torch.float64))
print(normals.mean(0), normals.std(0))
print(torch.erfinv(2 * unit[:3] - 1) * math.sqrt(2))

# a candidate set for maximising a toy acquisition function
candidates = SobolEngine(4, scramble=True, seed=5).draw(512)
score = -((candidates - torch.tensor([0.2, 0.4, 0.6, 0.8])) ** 2).sum(dim=1)
best = score.argmax()
print(best.item(), candidates[best], f"{score[best].item():.5f}")

for bad in (lambda: SobolEngine(0), lambda: SobolEngine(2).draw(3, dtype=torch.int64)):
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
