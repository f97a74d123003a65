"""The torch.func "vmap" tutorial pattern of mapping a function written for one example over a
batch: a batch of matrices with in_dims/out_dims (a matrix-vector product with the vector shared
by in_dims=(0, None), a batch along dim 1, a pair of outputs with out_dims=(0, 1)), nested vmap
for a pairwise distance table, chunk_size, and randomness='different'/'same' for per-example noise.
Then the ops a per-example function commonly uses (any/all, argmax, where, cat/stack, max with dim,
sort/topk, masked_fill, clamp with tensor bounds, gather, cumsum, einsum) with their results, and
the mistakes the torch.func "UX limitations" page lists: out_dims=None on a batched result, data-
dependent `if` on .any(), .item() of an argmax, .numpy(), data-dependent shapes (nonzero, boolean
masks, unique, masked_select), torch.equal/allclose, and in-place writes into a tensor that is not
batched — each followed by the rewrite that works."""
import tensorgraft as torch
from tensorgraft.func import vmap

torch.manual_seed(0)


def attempt(label, fn):
    try:
        out = fn()
        print(label, "->", out)
    except Exception as e:
        print(label, "->", type(e).__name__, e)


print("--- a batch of matrices")
mats = torch.randn(4, 3, 3)
vec = torch.randn(3)
mv = vmap(torch.mv, in_dims=(0, None))(mats, vec)
print(mv.shape, mv)
print("same as bmm:", torch.allclose(mv, torch.bmm(mats, vec.view(1, 3, 1).expand(4, 3, 1)).squeeze(-1), atol=1e-6))
print("trace:", vmap(torch.trace)(mats))
print("matrix powers:", vmap(lambda m: torch.linalg.matrix_power(m, 2).sum())(mats))
cols = mats.transpose(0, 1)  # the batch in dimension 1
print("in_dims=1:", torch.allclose(vmap(torch.trace, in_dims=1)(cols), vmap(torch.trace)(mats)))


def stats(m):
    return m.sum(0), m.diagonal()


col_sums, diags = vmap(stats, out_dims=(0, 1))(mats)
print("out_dims=(0, 1):", col_sums.shape, diags.shape)
print(diags)
params = {"w": torch.randn(3, 2), "b": torch.randn(2)}
out = vmap(lambda x, p: x @ p["w"] + p["b"], in_dims=(0, None))(torch.randn(5, 3), params)
print("dict of params shared:", out.shape)

print("--- nested vmap and chunk_size")
pts = torch.randn(5, 2)
centers = torch.randn(3, 2)
dist = vmap(vmap(lambda p, c: (p - c).pow(2).sum().sqrt(), in_dims=(None, 0)), in_dims=(0, None))(pts, centers)
print("pairwise distances:", dist.shape)
print(dist)
print("nearest center:", vmap(lambda row: row.argmin())(dist))
print("same as cdist:", torch.allclose(dist, torch.cdist(pts, centers), atol=1e-5))
big = torch.randn(10, 4)
print("chunk_size=3 same:", torch.equal(vmap(torch.softmax, in_dims=(0, None), chunk_size=3)(big, 0),
                                        vmap(torch.softmax, in_dims=(0, None))(big, 0)))

print("--- randomness")
noisy = lambda x: x + torch.randn(3)  # noqa: E731
attempt("randomness='error'", lambda: vmap(noisy)(torch.zeros(2, 3)))
torch.manual_seed(1)
diff = vmap(noisy, randomness="different")(torch.zeros(2, 3))
print("different rows differ:", not torch.equal(diff[0], diff[1]), diff.shape)
torch.manual_seed(1)
same = vmap(noisy, randomness="same")(torch.zeros(2, 3))
print("same rows equal:", torch.equal(same[0], same[1]))
print(same)

print("--- per-example ops")
x = torch.randn(4, 5)
print(x)
print("any > 1:", vmap(lambda r: (r > 1).any())(x))
print("all > -2:", vmap(lambda r: torch.all(r > -2))(x))
print("argmax:", vmap(torch.argmax)(x))
print("relu by where:", vmap(lambda r: torch.where(r > 0, r, torch.zeros(5)))(x))
print("cat with a constant:", vmap(lambda r: torch.cat([r[:2], torch.ones(1)]))(x))
print("stack:", vmap(lambda r: torch.stack([r.min(), r.max()]))(x))
values, idx = vmap(lambda r: r.view(5, 1).max(dim=0))(x)
print("max with dim:", values.squeeze(1), idx.squeeze(1))
top_v, top_i = vmap(lambda r: r.topk(2))(x)
print("topk:", top_v, top_i, sep="\n")
print("sorted:", vmap(lambda r: r.sort(descending=True).values)(x))
print("masked_fill:", vmap(lambda r: r.masked_fill(r < 0, 0.0))(x))
lo, hi = torch.full((5,), -0.5), torch.full((5,), 0.5)
print("clamp with tensors:", vmap(lambda r: r.clamp(lo, hi))(x))
print("gather:", vmap(lambda r: r.gather(0, torch.tensor([4, 0])))(x))
print("cumsum:", vmap(lambda r: r.cumsum(0))(x))
print("einsum outer:", vmap(lambda r: torch.einsum("i,j->ij", r[:2], r[:3]))(x).shape)
print("count positive:", vmap(lambda r: (r > 0).sum())(x))

print("--- mistakes and rewrites")
attempt("out_dims=None on argmax", lambda: vmap(torch.argmax, out_dims=None)(x))


def clip(r):
    if (r > 1).any():
        return r / r.abs().max()
    return r


attempt("if on .any()", lambda: vmap(clip)(x))
rewritten = vmap(lambda r: torch.where((r > 1).any(), r / r.abs().max(), r))(x)
print("rewritten with where:", rewritten)
attempt(".item() of argmax", lambda: vmap(lambda r: r[r.argmax().item()])(x))
print("rewritten with gather:", vmap(lambda r: r.gather(0, r.argmax().unsqueeze(0)))(x).squeeze(1))
attempt(".numpy()", lambda: vmap(lambda r: torch.from_numpy(r.numpy()))(x))
attempt("nonzero", lambda: vmap(lambda r: torch.nonzero(r > 0))(x))
attempt("boolean mask", lambda: vmap(lambda r: r[r > 0].sum())(x))
print("rewritten as masked sum:", vmap(lambda r: (r * (r > 0)).sum())(x))
attempt("unique", lambda: vmap(torch.unique)(x.round()))
attempt("masked_select", lambda: vmap(lambda r: torch.masked_select(r, r > 0))(x))
attempt("torch.equal", lambda: vmap(lambda r: torch.tensor(torch.equal(r, r)))(x))
attempt("torch.allclose", lambda: vmap(lambda r: torch.tensor(torch.allclose(r, r)))(x))
print("rewritten with isclose:", vmap(lambda r: torch.isclose(r, r).all())(x))
buf = torch.zeros(5)
attempt("copy_ into a captured buffer", lambda: vmap(lambda r: buf.copy_(r))(x))
attempt("add_ into a captured buffer", lambda: vmap(lambda r: buf.add_(r))(x))
attempt("buf[0] = ...", lambda: vmap(lambda r: buf.__setitem__(0, r[0]))(x))
attempt("fill_ with a batched value", lambda: vmap(lambda r: torch.zeros(5).fill_(r[0]))(x))
print("buffer untouched:", buf)
print("rewritten out of place:", vmap(lambda r: buf + r)(x).sum(0))
print("in place on the example itself:", vmap(lambda r: r.clone().mul_(2).add_(1))(x)[0])
