"""The errors people hit first when building models (forum FAQ style): Linear input-size
mismatch ("mat1 and mat2 shapes cannot be multiplied"), a missing batch or channel dimension,
CrossEntropyLoss with one-hot or float targets of the wrong shape, integer targets to the
binary losses, .item() on a batch, backward twice, modules called with the wrong arguments, and
the reprs printed while debugging (a whole state_dict, an empty Module, multi-line extra_repr)."""
# needs: nn
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)


def attempt(label, fn):
    try:
        out = fn()
        print(label, "->", out if not isinstance(out, torch.Tensor) else tuple(out.shape))
    except Exception as e:
        print(label, "->", type(e).__name__, e)


fc = nn.Linear(10, 4)
attempt("linear wrong features", lambda: fc(torch.randn(8, 12)))
attempt("linear 3d ok", lambda: fc(torch.randn(2, 3, 10)))
attempt("linear 1d ok", lambda: fc(torch.randn(10)))
attempt("linear 1d wrong", lambda: fc(torch.randn(7)))
attempt("linear scalar", lambda: fc(torch.tensor(1.0)))
attempt("linear int input", lambda: fc(torch.arange(10)))
attempt("linear double input", lambda: fc(torch.randn(2, 10, dtype=torch.float64)))
attempt("linear numpy", lambda: fc([1.0] * 10))

conv = nn.Conv2d(3, 8, kernel_size=3)
attempt("conv no batch ok", lambda: conv(torch.randn(3, 16, 16)))
attempt("conv wrong channels", lambda: conv(torch.randn(1, 1, 16, 16)))
attempt("conv too small", lambda: conv(torch.randn(1, 3, 2, 2)))
attempt("conv 2d input", lambda: conv(torch.randn(16, 16)))
attempt("flatten then linear", lambda: nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2))(torch.randn(5, 3, 4, 4)))
attempt("flatten forgot", lambda: nn.Linear(3 * 4 * 4, 2)(torch.randn(5, 3, 4, 4)))

logits = torch.randn(4, 3, requires_grad=True)
onehot = F.one_hot(torch.tensor([0, 2, 1, 1]), num_classes=3)
print(onehot, onehot.dtype)
attempt("ce one-hot long", lambda: F.cross_entropy(logits, onehot))
attempt("ce one-hot float", lambda: F.cross_entropy(logits, onehot.float()).item())
attempt("ce argmax", lambda: F.cross_entropy(logits, onehot.argmax(dim=1)).item())
attempt("ce float labels", lambda: nn.CrossEntropyLoss()(logits, torch.tensor([0.0, 2.0, 1.0, 1.0])))
attempt("ce labels column", lambda: nn.CrossEntropyLoss()(logits, torch.tensor([[0], [2], [1], [1]])))
attempt("ce int32 labels", lambda: nn.CrossEntropyLoss()(logits, torch.tensor([0, 2, 1, 1], dtype=torch.int32)))
attempt("ce batch mismatch", lambda: nn.CrossEntropyLoss()(logits, torch.tensor([0, 2])))
attempt("ce swapped args", lambda: nn.CrossEntropyLoss()(torch.tensor([0, 2, 1, 1]), logits))
attempt("ce one sample", lambda: nn.CrossEntropyLoss()(logits[0], torch.tensor(2)).item())
attempt("ce seq (N,C,T)", lambda: nn.CrossEntropyLoss()(torch.randn(2, 5, 7), torch.randint(0, 5, (2, 7))).item())
attempt("ce seq (N,T,C)", lambda: nn.CrossEntropyLoss()(torch.randn(2, 7, 5), torch.randint(0, 5, (2, 7))))
attempt("nll on logits", lambda: nn.NLLLoss()(logits, torch.tensor([0, 2, 1, 1])).item())
attempt("bce int target", lambda: nn.BCELoss()(torch.sigmoid(logits[:, 0]), torch.tensor([1, 0, 1, 1])))
attempt("bce logits int target", lambda: nn.BCEWithLogitsLoss()(logits[:, 0], torch.tensor([1, 0, 1, 1])))
attempt("bce logits shape", lambda: nn.BCEWithLogitsLoss()(logits[:, :1], torch.tensor([1.0, 0.0, 1.0, 1.0])))
attempt("bce logits squeeze", lambda: nn.BCEWithLogitsLoss()(logits[:, :1].squeeze(1), torch.tensor([1.0, 0.0, 1.0, 1.0])).item())
attempt("bce out of range", lambda: nn.BCELoss()(logits[:, 0], torch.tensor([1.0, 0.0, 1.0, 1.0])))
attempt("mse long target", lambda: nn.MSELoss()(logits[:, 0], torch.tensor([1, 0, 1, 1])).item())
attempt("kl long target", lambda: nn.KLDivLoss(reduction="batchmean")(F.log_softmax(logits, 1), onehot))
attempt("l1 shapes", lambda: nn.L1Loss()(torch.randn(4, 2), torch.randn(3, 2)))

loss = F.cross_entropy(logits, torch.tensor([0, 2, 1, 1]))
loss.backward()
attempt("backward twice", lambda: loss.backward())
out = fc(torch.randn(3, 10))
attempt("item on batch", lambda: out.item())
attempt("numpy with grad", lambda: out.numpy())
attempt("backward non-scalar", lambda: out.backward())
attempt("forward extra arg", lambda: fc(torch.randn(1, 10), torch.randn(1, 10)))
attempt("missing forward", lambda: nn.Module()(torch.randn(1)))
attempt("call class", lambda: nn.Linear(torch.randn(2, 3)))
attempt("float features", lambda: nn.Linear(2.5, 3))
attempt("negative features", lambda: nn.Linear(-1, 3))
attempt("bad dropout", lambda: nn.Dropout(p=1.5))
attempt("bad groups", lambda: nn.Conv2d(3, 4, 3, groups=2))
attempt("embedding oob", lambda: nn.Embedding(5, 2)(torch.tensor([1, 5])))
attempt("embedding float idx", lambda: nn.Embedding(5, 2)(torch.tensor([1.0, 2.0])))
attempt("batchnorm one sample", lambda: nn.BatchNorm1d(3)(torch.randn(1, 3)))
attempt("batchnorm eval one", lambda: nn.BatchNorm1d(3).eval()(torch.randn(1, 3)))
attempt("layernorm shape", lambda: nn.LayerNorm(5)(torch.randn(2, 4)))
attempt("ce weight dtype", lambda: nn.CrossEntropyLoss(weight=torch.ones(3))(logits.double(), torch.tensor([0, 2, 1, 1])))
attempt("ce int32 weight ls", lambda: F.cross_entropy(logits, torch.tensor([0, 2, 1, 1]), label_smoothing=0.1,
                                                       weight=torch.ones(3, dtype=torch.float64)))
attempt("bilinear dtype", lambda: nn.Bilinear(2, 3, 4)(torch.randn(5, 2, dtype=torch.float64), torch.randn(5, 3)))
attempt("bilinear sizes", lambda: nn.Bilinear(2, 3, 4)(torch.randn(5, 3), torch.randn(5, 3)))
attempt("prelu double input", lambda: nn.PReLU()(torch.randn(2, 3, dtype=torch.float64)))
attempt("unflatten sizes", lambda: nn.Unflatten(1, (2, 2.5)))
attempt("ctc int lengths", lambda: nn.CTCLoss()(torch.randn(6, 4).log_softmax(1), torch.tensor([1, 2]), 6, 2))
attempt("hooks mixed", lambda: nn.Linear(1, 1).register_backward_hook(lambda *a: None) and None)
mixed = nn.Linear(1, 1)
mixed.register_full_backward_hook(lambda *a: None)
attempt("hooks mixed 2", lambda: mixed.register_backward_hook(lambda *a: None))
attempt("init lazy", lambda: nn.init.zeros_(nn.LazyLinear(3).weight))
attempt("compile", lambda: nn.Linear(2, 2).compile())

print(nn.Module())


class Fancy(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 2)

    def extra_repr(self):
        return "mode=fancy\nlayers=1"


print(Fancy())
print(nn.Sequential(Fancy(), nn.Sequential(nn.Tanh())))
small = nn.Linear(2, 2)
print(small.state_dict())
print(nn.BatchNorm1d(2).state_dict())
