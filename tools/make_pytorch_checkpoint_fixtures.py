"""Write the PyTorch-made checkpoint files the tensor-core tests load without PyTorch installed
(packages/tensor-core/tests/data/pytorch_checkpoints/).

Run with PyTorch installed (the `oracle` tox env has it): ``python tools/make_pytorch_checkpoint_fixtures.py``
(``--only-whole-models``: only the whole-model files of packages/nn-layers/tests/data/pytorch_checkpoints/).
Every tensor is built from ``arange`` so the tests can recompute what it must hold with NumPy alone;
the files are small (a few KiB) and committed.
"""
from __future__ import annotations

import argparse
import collections
import pathlib
import sys

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "packages/tensor-core/tests/data/pytorch_checkpoints"
# whole models (torch.save(model)) for the nn-layers tests: their classes are tensorgraft.nn's
NN_OUT = pathlib.Path(__file__).resolve().parent.parent / "packages/nn-layers/tests/data/pytorch_checkpoints"


class Net(torch.nn.Module):
    """A program's own model class, pickled as ``__main__.Net`` (the tests define the same class on
    tensorgraft.nn.Module and put it in their ``__main__``): common layers, a buffer of its own and a
    plain attribute."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(2)
        self.act = torch.nn.ReLU()
        self.flat = torch.nn.Flatten()
        self.drop = torch.nn.Dropout(0.5)
        self.norm = torch.nn.LayerNorm(32)
        self.fc = torch.nn.Linear(32, 3)
        self.register_buffer("scale", torch.tensor(0.5))
        self.note = "kept"

    def forward(self, x):
        x = self.act(self.bn(self.conv(x)))
        return self.fc(self.norm(self.drop(self.flat(x)))) * self.scale


def whole_models() -> None:
    """Whole objects pickled by torch.save (modules, an optimizer), with the inputs and the outputs
    PyTorch computes from them (whole_models_expected.npz, read with NumPy alone)."""
    NN_OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    net = Net()
    net(torch.randn(4, 1, 4, 4))  # one training-mode batch: BatchNorm's running stats move
    net.eval()
    x = torch.arange(32, dtype=torch.float32).reshape(2, 1, 4, 4) / 16 - 1
    torch.save(net, NN_OUT / "whole_net.pt")
    rnn = torch.nn.LSTM(3, 4, batch_first=True)
    seq = torch.arange(12, dtype=torch.float32).reshape(1, 4, 3) / 6 - 1
    torch.save(rnn, NN_OUT / "whole_lstm.pt")
    legacy = mlp()
    torch.save(legacy, NN_OUT / "whole_mlp_legacy.pt", _use_new_zipfile_serialization=False)
    # a training checkpoint holding the objects themselves: model, SGD-momentum after one step
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    torch.save({"epoch": 7, "model": model, "optimizer": opt}, NN_OUT / "whole_training_objects.pt")
    opt.step()  # a second step with the same gradients: what the loaded optimizer must reach
    with torch.no_grad():
        np.savez(NN_OUT / "whole_models_expected.npz", net_x=x.numpy(), net_out=net(x).numpy(), lstm_x=seq.numpy(),
                 lstm_out=rnn(seq)[0].numpy(), mlp_x=x.reshape(-1, 4)[:, :3].numpy(),
                 mlp_out=legacy(x.reshape(-1, 4)[:, :3]).numpy(),
                 **{f"after_second_step.{k}": v.numpy() for k, v in model.state_dict().items()})


def mlp():
    """Linear(3, 4) -> ReLU -> Linear(4, 2), weights (arange - n/2) / 10 in PyTorch's layout."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for p in model.parameters():
            n = p.numel()
            p.copy_((torch.arange(n, dtype=torch.float32) - n / 2).reshape(p.shape) / 10)
    return model


def limited_dtypes():
    """uint16/32/64 and the 8-bit floats (saved through _rebuild_tensor_v3 and untyped storages), a
    view with an offset, and uint64 values beyond int64."""
    a = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    tensors = {name: (a * 0.75 - 1 if name.startswith("float8") and "e8m0" not in name else a + 1).to(
        getattr(torch, name)) for name in ("uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e4m3fnuz",
                                           "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu")}
    tensors["uint32_tail"] = tensors["uint32"][:, 1:]
    tensors["uint64_big"] = torch.tensor([2 ** 64 - 1, 2 ** 63], dtype=torch.uint64)
    return tensors


def main() -> None:
    whole_models()
    if sys.argv[1:] == ["--only-whole-models"]:  # (regenerating the others changes their random ids)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    torch.save(mlp().state_dict(), OUT / "mlp_state_dict.pt")

    # a training checkpoint: model, SGD-momentum state after one step with gradient ones, plain data
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    opt.step()
    torch.save({"epoch": 7, "model": model.state_dict(), "optimizer": opt.state_dict(), "loss": 0.25,
                "tags": ["a", "b"], "pair": (1, None), "flag": True, "blob": b"\x00\x01\xff", "ids": {3, 4},
                "counts": collections.Counter({"x": 2}), "dtype": torch.float64, "size": torch.Size([2, 3]),
                "device": torch.device("cpu"), "z": complex(1, -2)},
               OUT / "training_checkpoint.pt")

    # every dtype tensorgraft has, views sharing one storage, and the odd shapes
    tensors = {}
    for name in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
                 "complex64", "complex128"):
        dtype = getattr(torch, name)
        a = torch.arange(6, dtype=torch.float64) - 2
        if dtype.is_complex:
            t = torch.complex(a, -a).to(dtype)
        elif dtype == torch.bool:
            t = a > 0
        elif dtype == torch.uint8:
            t = (a + 2).to(dtype)
        else:
            t = a.to(dtype)
        tensors[name] = t
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    tensors.update(base=base, transposed=base.t(), row=base[1], column=base[:, 2], scalar=torch.tensor(2.5),
                   empty=torch.zeros(0, 2), requires_grad=torch.tensor([1.0, 2.0], requires_grad=True),
                   parameter=torch.nn.Parameter(torch.arange(3, dtype=torch.float32)),
                   int_parameter=torch.nn.Parameter(torch.arange(2), requires_grad=False))
    torch.save(tensors, OUT / "dtypes_and_views.pt")

    # the legacy (pre-1.6) format
    w = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    torch.save({"w": w, "wt": w.t(), "tail": w[1:], "n": 3, "name": "legacy"}, OUT / "legacy_format.pt",
               _use_new_zipfile_serialization=False)

    # a sparse COO tensor, uncoalesced (duplicate entry) and coalesced
    i = torch.tensor([[0, 1, 1], [2, 0, 0]])
    v = torch.tensor([1.0, 2.0, 3.0])
    torch.save({"raw": torch.sparse_coo_tensor(i, v, (2, 3)),
                "coalesced": torch.sparse_coo_tensor(i, v, (2, 3)).coalesce()}, OUT / "sparse_coo.pt")

    # what weights_only refuses: NumPy values and plain Python objects; a whole module
    torch.save({"best_acc": np.float64(0.75), "order": np.arange(3, dtype=np.int32),
                "args": argparse.Namespace(lr=0.1, epochs=2), "frozen": frozenset({1})},
               OUT / "plain_data.pt")
    torch.save(mlp(), OUT / "whole_module.pt")
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), OUT / "torchscript.pt")
    # Python attributes on a tensor and on a Parameter (saved through _rebuild_from_type_v2 and
    # _rebuild_parameter_with_state)
    tagged = torch.arange(3, dtype=torch.float32)
    tagged.note = "kept by PyTorch"
    param = torch.nn.Parameter(torch.ones(2))
    param.note = "on a parameter"
    torch.save({"tagged": tagged, "param": param}, OUT / "tensor_attributes.pt")
    torch.save(limited_dtypes(), OUT / "limited_dtypes.pt")
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT} with torch {torch.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
