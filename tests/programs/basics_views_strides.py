"""Views, strides and storage as people learn them the hard way: which ops return views (writes go
through), strides and storage offsets of slices, transposes and expands, view vs reshape on
non-contiguous tensors and the error that says to use reshape, in-place writes into an expanded
tensor, as_strided/unfold windows, negative steps refused, chunk/split/unbind sharing storage."""
import tensorgraft as torch


def show(label, fn):
    try:
        out = fn()
        print(label, "->", out)
    except Exception as e:
        print(label, "->", type(e).__name__, e)


base = torch.arange(12.0).reshape(3, 4)
print(base.stride(), base.is_contiguous(), base.storage_offset())
row = base[1]
col = base[:, 2]
sub = base[1:, 1:3]
print("row", row.stride(), row.storage_offset(), "col", col.stride(), col.storage_offset(),
      "sub", sub.stride(), sub.storage_offset(), sub.is_contiguous())
col[0] = 100.0
print("write through a column view:\n", base)
t = base.t()
print("t:", t.shape, t.stride(), t.is_contiguous(), t.data_ptr() == base.data_ptr())
show("view on transposed", lambda: t.view(12))
show("reshape on transposed", lambda: t.reshape(12))
print("reshape copies:", t.reshape(12).data_ptr() == base.data_ptr(), "contiguous copies:",
      t.contiguous().data_ptr() == base.data_ptr())
show("flatten of transposed", lambda: t.flatten().stride())
show("view on contiguous slice", lambda: base[1:].view(-1).storage_offset())
show("view -1 twice", lambda: base.view(-1, -1))
show("view wrong numel", lambda: base.view(5, 3))

e = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)
print("expand strides:", e.stride(), e.is_contiguous())
show("in-place into expand", lambda: e.add_(1))
show("expand wrong", lambda: torch.ones(2, 3).expand(3, 3))
show("expand -1", lambda: torch.ones(1, 3).expand(4, -1).shape)
show("repeat vs expand", lambda: (torch.ones(1, 3).repeat(2, 1).stride(), torch.ones(1, 3).expand(2, 3).stride()))

x = torch.arange(10.0)
w = x.unfold(0, 4, 2)
print("unfold:", w.shape, w.stride(), "\n", w)
s = torch.as_strided(x, (3, 3), (2, 1), 1)
print("as_strided:\n", s)
show("negative step", lambda: x[::-1])
show("flip instead", lambda: x.flip(0)[:3])
show("narrow", lambda: x.narrow(0, 2, 3).storage_offset())
show("select", lambda: base.select(1, 3))
show("diagonal view", lambda: (base.diagonal().stride(), base.diagonal(offset=1)))

parts = base.chunk(2, dim=1)
print("chunk shapes:", [p.shape for p in parts], "shares:", parts[1].data_ptr() - base.data_ptr())
pieces = torch.arange(7).split([3, 4])
pieces[1][0] = -1
print("split writes back:", pieces[0], pieces[1])
rows = base.unbind(0)
print("unbind offsets:", [r.storage_offset() for r in rows])

y = torch.zeros(2, 3, 4)
print("permute strides:", y.permute(2, 0, 1).stride(), "movedim:", y.movedim(0, -1).shape)
print("unsqueeze strides:", y.unsqueeze(1).stride(), "squeeze dims:", torch.zeros(1, 2, 1, 3).squeeze((0, 2)).shape)
print("mT:", y.mT.shape, "transpose(-1, -2) stride:", y.transpose(-1, -2).stride())
print("contiguous is self:", y.contiguous() is y, "clone shares:", y.clone().data_ptr() == y.data_ptr())
v = y.view(6, 4)
v[0, 0] = 5.0
print("y[0,0,0] after write through view:", y[0, 0, 0].item(), "_base is y:", v._base is y)
d = y.detach()
d[1, 2, 3] = 7.0
print("detach shares storage:", y[1, 2, 3].item())
n = y.numpy()
n[0, 1, 1] = 9.0
print("numpy shares storage:", y[0, 1, 1].item())
print("untyped storage size:", y.untyped_storage().nbytes(), y.element_size(), y.nbytes)
