"""Reshaping and joining tensors as tutorials do: view/reshape/flatten/squeeze/unsqueeze,
permute/transpose/contiguous/is_contiguous/stride, expand vs repeat, cat/stack/hstack/vstack,
split/chunk/unbind/tensor_split, broadcasting rules, and the shape mistakes users hit."""
import tensorgraft as torch

torch.manual_seed(0)
x = torch.arange(12)
print(x.view(3, 4))
print(x.view(-1, 6).shape, x.reshape(2, 2, -1).shape, x.view(12, 1).stride())
y = x.view(3, 4)
print(y.stride(), y.is_contiguous(), y.t().is_contiguous(), y.t().stride())
print(y.flatten(), y.ravel().shape, torch.flatten(torch.zeros(2, 3, 4), start_dim=1).shape)
print(y.unsqueeze(0).shape, y.unsqueeze(-1).shape, torch.zeros(1, 3, 1).squeeze().shape,
      torch.zeros(1, 3, 1).squeeze(0).shape, torch.zeros(1, 3, 1).squeeze(1).shape)
z = torch.arange(24).reshape(2, 3, 4)
print(z.permute(2, 0, 1).shape, z.permute(2, 0, 1).stride())
print(z.transpose(0, 2).shape, z.mT.shape, z.swapaxes(1, 2).shape, z.movedim(0, -1).shape)
p = z.permute(1, 0, 2)
print(p.is_contiguous(), p.contiguous().is_contiguous(), p.contiguous().stride())
print(p.reshape(-1)[:6])
print(y.T)

a = torch.tensor([[1], [2], [3]])
print(a.expand(3, 4))
print(a.expand(-1, 2).stride())
print(a.repeat(1, 3))
print(torch.tensor([1, 2]).repeat(2, 2))
print(torch.tensor([1, 2]).repeat_interleave(3))
print(torch.repeat_interleave(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 2]), dim=0))
print(torch.tensor([1, 2, 3]).tile((2,)))
w = torch.tensor([0.5, -1.0], requires_grad=True)
print(w.repeat_interleave(2), w.repeat(2), w.expand(2, 2), w.tile(2).grad_fn)
print(a.expand_as(torch.zeros(3, 2)))

b = torch.ones(2, 3)
c = torch.zeros(2, 3)
print(torch.cat([b, c]).shape, torch.cat((b, c), dim=1).shape, torch.cat([b, c], -1))
print(torch.stack([b, c]).shape, torch.stack([b, c], dim=2).shape)
print(torch.hstack([b, c]).shape, torch.vstack([b, c]).shape, torch.dstack([b, c]).shape)
print(torch.column_stack([torch.tensor([1, 2]), torch.tensor([3, 4])]))
print(torch.cat([torch.tensor([1, 2]), torch.tensor([3.5])]))
print(torch.cat([torch.zeros(0), torch.ones(2)]))

t = torch.arange(10)
print(t.split(3))
print(t.split([2, 3, 5]))
print(t.chunk(3))
print(torch.arange(6).reshape(2, 3).chunk(2, dim=1))
print(torch.arange(6).reshape(2, 3).unbind(1))
print(torch.tensor_split(t, 3))
print(torch.tensor_split(t, [2, 5]))
print(torch.arange(6).reshape(3, 2).unbind())
print(torch.meshgrid(torch.tensor([1, 2]), torch.tensor([3, 4, 5]), indexing="ij"))
gx, gy = torch.meshgrid(torch.arange(2), torch.arange(3), indexing="xy")
print(gx, gy)

print((torch.ones(3, 1) + torch.arange(4)).shape)
print(torch.arange(3).reshape(3, 1) * torch.arange(3))
print(torch.broadcast_shapes((2, 1, 3), (4, 3)), torch.broadcast_tensors(torch.zeros(2, 1), torch.zeros(3))[0].shape)
print(torch.ones(2, 3, 4).sum(dim=(0, 2)).shape)
print(torch.atleast_2d(torch.tensor(1.0)).shape, torch.zeros(2, 3).unflatten(1, (3, 1)).shape)
print(torch.roll(torch.arange(5), 2), torch.roll(torch.arange(6).view(2, 3), 1, dims=1))
print(torch.flip(torch.arange(6).view(2, 3), [0, 1]), torch.rot90(torch.arange(4).view(2, 2)))

for bad in [lambda: y.t().view(12),
            lambda: x.view(5, -1),
            lambda: x.view(-1, -1),
            lambda: torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)]),
            lambda: torch.stack([torch.zeros(2), torch.zeros(3)]),
            lambda: torch.zeros(2, 3) + torch.zeros(3, 2),
            lambda: a.expand(2, 4),
            lambda: torch.zeros(2, 3).permute(0),
            lambda: torch.zeros(2, 3).transpose(0, 2),
            lambda: torch.zeros(2, 3).squeeze(3),
            lambda: torch.cat([]),
            lambda: torch.zeros(2, 3).reshape(4, 2),
            lambda: torch.zeros(3).repeat(2, 2)[0].view(2, 2).shape,
            lambda: torch.zeros(2, 3).repeat(2),
            lambda: torch.arange(10).split(0),
            lambda: torch.zeros(2, 2).unsqueeze(3),
            lambda: torch.zeros(2, 3).reshape((3,), (2,)),
            lambda: torch.zeros((2, 3), (4,)),
            lambda: torch.zeros(2).new_ones()]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
