"""Views and shared storage through torch.save/torch.load and pickle: a small language model whose
LM head is tied to its embedding (the tied weight appears twice in the state_dict and must come back
as one storage), views saved with their base, a transposed tensor's strides, and a slice saved on its
own (which drags its whole storage along unless it is cloned)."""
# needs: nn
import copy
import io
import os
import pickle
import tempfile

import tensorgraft as torch
import tensorgraft.nn as nn

torch.manual_seed(0)


class TinyLM(nn.Module):
    def __init__(self, vocab=11, dim=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.norm = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.embed.weight  # weight tying

    def forward(self, ids):
        return self.lm_head(self.norm(self.embed(ids)))


model = TinyLM()
sd = model.state_dict()
print(list(sd))
print(sd["embed.weight"].data_ptr() == sd["lm_head.weight"].data_ptr())
print(len(list(model.parameters())), sum(p.numel() for p in model.parameters()))

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "tinylm.pt")
    torch.save(sd, path)
    loaded = torch.load(path, weights_only=True)
    e, h = loaded["embed.weight"], loaded["lm_head.weight"]
    print("shared after load:", e.data_ptr() == h.data_ptr(), e.untyped_storage().nbytes())
    print(torch.equal(e, model.embed.weight), e.requires_grad, type(e).__name__)
    with torch.no_grad():
        e[0, 0] = 100.0
    print("write through tie:", h[0, 0].item())

    fresh = TinyLM()
    fresh.load_state_dict(torch.load(path, weights_only=True))
    print("still tied:", fresh.lm_head.weight is fresh.embed.weight)
    ids = torch.tensor([[1, 2, 3]])
    print(torch.allclose(fresh(ids), model(ids)))

    # Views saved together with their base keep sharing one storage.
    base = torch.arange(24.0).reshape(4, 6)
    views = {"base": base, "row": base[1], "col": base[:, 2], "t": base.t(), "block": base[1:3, 2:5],
             "flat": base.view(-1)[5:11]}
    torch.save(views, os.path.join(d, "views.pt"))
    v = torch.load(os.path.join(d, "views.pt"))
    for name, t in v.items():
        print(f"{name:5s} shape {tuple(t.shape)} stride {t.stride()} offset {t.storage_offset()} "
              f"contiguous {t.is_contiguous()} same storage "
              f"{t.untyped_storage().data_ptr() == v['base'].untyped_storage().data_ptr()}")
    print(v["t"])
    v["base"][1, 2] = -1.0
    print(v["row"][2].item(), v["col"][1].item(), v["t"][2, 1].item(), v["block"][0, 0].item(),
          v["flat"][3].item())

    # A slice saved on its own carries the whole storage; clone() saves only what it shows.
    big = torch.randn(1000)
    piece = big[10:20]
    torch.save(piece, os.path.join(d, "piece.pt"))
    torch.save(piece.clone(), os.path.join(d, "piece_clone.pt"))
    p1 = torch.load(os.path.join(d, "piece.pt"))
    p2 = torch.load(os.path.join(d, "piece_clone.pt"))
    print(p1.shape, p1.storage_offset(), p1.untyped_storage().nbytes(), torch.equal(p1, piece))
    print(p2.shape, p2.storage_offset(), p2.untyped_storage().nbytes(), torch.equal(p2, piece))
    print(os.path.getsize(os.path.join(d, "piece.pt")) > os.path.getsize(os.path.join(d, "piece_clone.pt")))

# Through an in-memory buffer, with a transposed (non-contiguous) tensor alone.
w = torch.randn(3, 5)
buf = io.BytesIO()
torch.save(w.t(), buf)
buf.seek(0)
wt = torch.load(buf)
print(wt.shape, wt.stride(), wt.is_contiguous(), torch.equal(wt, w.t()), wt.untyped_storage().nbytes())

# pickle of the module and copy.deepcopy keep the tie too (the state_dict's two detached tensors would
# be pickled as two storages by plain pickle: torch.save is what keeps them one).
clone = pickle.loads(pickle.dumps(model))
print("pickle:", clone.lm_head.weight is clone.embed.weight, torch.equal(clone(ids), model(ids)))
deep = copy.deepcopy(model)
print("deepcopy:", deep.lm_head.weight is deep.embed.weight,
      deep.embed.weight.data_ptr() != model.embed.weight.data_ptr())
base = torch.arange(10.0)
pair = pickle.loads(pickle.dumps((base, base[2:6])))
print(pair[1].storage_offset(), pair[1].untyped_storage().data_ptr() == pair[0].untyped_storage().data_ptr())
pair[0][3] = 42.0
print(pair[1])

# More views through torch.save: broadcast (stride 0), diagonal, unfold windows, a permuted 3-d
# tensor, in a nested dict (tensorgraft keeps a flat {name: tensor} dict a plain safetensors file, with
# views none of its tensors holds whole stored as their own values; and it saves views of one memory
# as different dtypes where torch.save refuses them: both documented differences, left out here);
# and a Parameter that views a buffer of its module.
grid = torch.arange(12.0).reshape(3, 4)
more = {"expand": torch.tensor([1.0, 2.0]).expand(3, 2), "diag": grid.diagonal(),
        "windows": torch.arange(8.0).unfold(0, 3, 2),
        "perm": torch.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1), "tslice": grid[1:, 1:3].T}
buf = io.BytesIO()
torch.save({"views": more}, buf)
buf.seek(0)
for name, t in torch.load(buf)["views"].items():
    print(f"{name:7s} {tuple(t.shape)} {t.stride()} {t.storage_offset()} {t.untyped_storage().nbytes()} "
          f"{t.dtype} {torch.equal(t, more[name])}")


class Windowed(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("full", torch.arange(6.0))
        self.part = nn.Parameter(self.full[2:4])


buf = io.BytesIO()
torch.save(Windowed().state_dict(keep_vars=True), buf)
buf.seek(0)
sd = torch.load(buf)
print(type(sd["part"]).__name__, sd["part"].requires_grad, sd["part"].storage_offset(),
      sd["part"].data_ptr() - sd["full"].data_ptr())
