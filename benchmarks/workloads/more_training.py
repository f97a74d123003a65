"""More common training loops beside the MLPs and CNN of training.py: a bag-of-embeddings
classifier, a DCGAN generator, a graph convolutional network on a sparse adjacency matrix, the same
kind of graph layer written as message passing, and one epoch of a DataLoader. Built as in sequence_models.py: the
same code for both libraries, identical weights and data from one seeded NumPy generator, and one
checked step before the runner times it."""
from __future__ import annotations

import importlib

import numpy as np

from . import Unavailable, Workload
from .sequence_models import _checked_step, _init_from_numpy
from .training import _mod


def embedding_bag_step(lib, batch=256, vocab=20000, dim=64, classes=10, max_bag=40, device="cpu", seed=0):
    """Bags of 1..max_bag token ids (mean length about max_bag/2), given flat with offsets."""
    def make():
        t = _mod(lib, device)
        nn = t.nn

        class BagClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")
                self.head = nn.Linear(dim, classes)

            def forward(self, ids, offsets):
                return self.head(self.bag(ids, offsets))

        model = BagClassifier().to(device)
        _init_from_numpy(t, model, seed)
        rng = np.random.default_rng(seed + 1)
        lengths = rng.integers(1, max_bag + 1, batch)
        ids = t.tensor(rng.integers(0, vocab, int(lengths.sum())), device=device)
        offsets = t.tensor(np.concatenate([[0], np.cumsum(lengths)[:-1]]), device=device)
        y = t.tensor(rng.integers(0, classes, batch), device=device)
        opt = t.optim.SGD(model.parameters(), lr=0.1)
        return _checked_step(t, model, nn.CrossEntropyLoss(), opt, (ids, offsets), y, device)
    return make


def sparse_embedding_step(lib, batch=256, seq=20, vocab=50000, dim=64, classes=10, device="cpu", seed=0):
    """A bag-of-words classifier whose large embedding table learns through sparse gradients:
    ``nn.Embedding(vocab, dim, sparse=True)``, the mean over the sequence, Linear + CE, and SGD,
    which updates only the looked-up rows (the dense alternative moves the whole table each step).
    CPU only: tensorgraft's sparse COO tensors live on the CPU."""
    def make():
        if device != "cpu":
            raise Unavailable("tensorgraft's sparse COO tensors live on the CPU: the workload is CPU-only")
        t = _mod(lib, device)
        nn = t.nn

        class Classifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(vocab, dim, sparse=True)
                self.head = nn.Linear(dim, classes)

            def forward(self, ids):
                return self.head(self.emb(ids).mean(1))

        model = Classifier()
        _init_from_numpy(t, model, seed)
        rng = np.random.default_rng(seed + 1)
        ids = t.tensor(rng.integers(0, vocab, (batch, seq)))
        y = t.tensor(rng.integers(0, classes, batch))
        opt = t.optim.SGD(model.parameters(), lr=0.5)
        return _checked_step(t, model, nn.CrossEntropyLoss(), opt, (ids,), y, device)
    return make


def dcgan_generator_step(lib, batch=64, nz=100, ngf=64, channels=3, device="cpu", seed=0):
    """The DCGAN generator for 32x32 images: z (nz x 1 x 1) -> 4x4 -> 8x8 -> 16x16 -> 32x32 through
    ConvTranspose2d + BatchNorm2d + ReLU, Tanh at the end, Adam as in the DCGAN paper. A GAN's
    generator loss needs a discriminator; an MSE loss against fixed images in [-1, 1] stands in,
    so the step times the generator alone."""
    def make():
        t = _mod(lib, device)
        nn = t.nn

        def up(cin, cout, stride, padding):
            return [nn.ConvTranspose2d(cin, cout, 4, stride, padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        model = nn.Sequential(*up(nz, ngf * 4, 1, 0), *up(ngf * 4, ngf * 2, 2, 1), *up(ngf * 2, ngf, 2, 1),
                              nn.ConvTranspose2d(ngf, channels, 4, 2, 1, bias=False), nn.Tanh()).to(device)
        _init_from_numpy(t, model, seed)
        rng = np.random.default_rng(seed + 1)
        z = t.tensor(rng.standard_normal((batch, nz, 1, 1)).astype(np.float32), device=device)
        images = t.tensor(rng.uniform(-1, 1, (batch, channels, 32, 32)).astype(np.float32), device=device)
        opt = t.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
        return _checked_step(t, model, nn.MSELoss(), opt, (z,), images, device)
    return make


def gcn_step(lib, nodes=5000, edges=50000, features=128, hidden=64, classes=16, device="cpu", seed=0,
             layout="coo"):
    """A two-layer GCN (Kipf & Welling): ``relu(A @ X @ W1)``, then ``A @ H @ W2``, with A the
    symmetrically normalised adjacency (random undirected edges plus self loops) as a sparse COO
    matrix multiplied by ``torch.sparse.mm`` (``layout="csr"``: the same matrix in CSR, as graph
    libraries keep it); cross-entropy on every node, Adam. CPU only: tensorgraft's sparse tensors
    live on the CPU."""
    def make():
        if device != "cpu":
            raise Unavailable("tensorgraft's sparse tensors live on the CPU: the GCN workload is CPU-only")
        t = _mod(lib, device)
        nn = t.nn
        rng = np.random.default_rng(seed)
        pairs = rng.integers(0, nodes, (2, edges))
        index = np.concatenate([pairs, pairs[::-1], np.arange(nodes)[None].repeat(2, 0)], axis=1)
        degree = np.bincount(index[0], minlength=nodes).astype(np.float32)
        weight = (1 / np.sqrt(degree[index[0]] * degree[index[1]])).astype(np.float32)
        adj = t.sparse_coo_tensor(t.tensor(index), t.tensor(weight), (nodes, nodes)).coalesce()
        if layout == "csr":
            adj = adj.to_sparse_csr()

        class GCN(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin1 = nn.Linear(features, hidden, bias=False)
                self.lin2 = nn.Linear(hidden, classes, bias=False)

            def forward(self, x):
                h = t.relu(t.sparse.mm(adj, self.lin1(x)))
                return t.sparse.mm(adj, self.lin2(h))

        model = GCN()
        _init_from_numpy(t, model, seed)
        x = t.tensor(rng.standard_normal((nodes, features)).astype(np.float32))
        y = t.tensor(rng.integers(0, classes, nodes))
        opt = t.optim.Adam(model.parameters(), lr=0.01)
        return _checked_step(t, model, nn.CrossEntropyLoss(), opt, (x,), y, device)
    return make


def gcn_csr_step(lib, **kwargs):
    """``gcn_step`` with the adjacency in CSR (``torch.sparse_csr``)."""
    return gcn_step(lib, layout="csr", **kwargs)


def gat_step(lib, nodes=5000, edges=50000, features=64, hidden=32, classes=16, device="cpu", seed=0):
    """A graph attention layer (GAT, one head) on a sparse COO adjacency: per-edge logits
    ``leaky_relu(a_src . h[src] + a_dst . h[dst])`` become the values of a sparse matrix that
    ``torch.sparse.softmax`` normalises over each node's neighbours, then ``torch.sparse.mm``
    aggregates; Linear + CE, Adam. CPU only: tensorgraft's sparse COO tensors live on the CPU."""
    def make():
        if device != "cpu":
            raise Unavailable("tensorgraft's sparse COO tensors live on the CPU: the GAT workload is CPU-only")
        t = _mod(lib, device)
        nn = t.nn
        rng = np.random.default_rng(seed)
        pairs = rng.integers(0, nodes, (2, edges))
        index = np.unique(np.concatenate([pairs, np.arange(nodes)[None].repeat(2, 0)], axis=1), axis=1)
        src, dst = t.tensor(index[1]), t.tensor(index[0])  # row = destination: softmax over its sources
        edge_index = t.tensor(index)

        class GAT(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(features, hidden, bias=False)
                self.att_src = nn.Linear(hidden, 1, bias=False)
                self.att_dst = nn.Linear(hidden, 1, bias=False)
                self.head = nn.Linear(hidden, classes)

            def forward(self, x):
                h = self.lin(x)
                logits = nn.functional.leaky_relu(self.att_src(h).squeeze(1)[src] + self.att_dst(h).squeeze(1)[dst],
                                                  0.2)
                att = t.sparse.softmax(t.sparse_coo_tensor(edge_index, logits, (nodes, nodes)), 1)
                return self.head(nn.functional.elu(t.sparse.mm(att, h)))

        model = GAT()
        _init_from_numpy(t, model, seed)
        x = t.tensor(rng.standard_normal((nodes, features)).astype(np.float32))
        y = t.tensor(rng.integers(0, classes, nodes))
        opt = t.optim.Adam(model.parameters(), lr=0.01)
        return _checked_step(t, model, nn.CrossEntropyLoss(), opt, (x,), y, device)
    return make


def message_passing_step(lib, nodes=5000, edges=50000, features=64, hidden=64, classes=16, device="cpu", seed=0):
    """A graph layer written as message passing instead of a sparse matrix (the idiom of GNN
    tutorials without a graph library): messages ``h[src]`` gathered with ``index_select``, summed
    into their destinations with ``index_add`` (and, second layer, ``scatter_add`` over an expanded
    index), Linear + CE, Adam."""
    def make():
        t = _mod(lib, device)
        nn = t.nn
        rng = np.random.default_rng(seed)
        src = t.tensor(rng.integers(0, nodes, edges), device=device)
        dst = t.tensor(rng.integers(0, nodes, edges), device=device)

        class MessagePassing(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin1 = nn.Linear(features, hidden)
                self.lin2 = nn.Linear(hidden, classes)

            def forward(self, x):
                h = self.lin1(x)
                agg = t.zeros_like(h).index_add(0, dst, h.index_select(0, src))
                h = t.relu(agg + h)
                m = h.index_select(0, src)
                agg = t.zeros_like(h).scatter_add(0, dst.unsqueeze(-1).expand(-1, hidden), m)
                return self.lin2(agg + h)

        model = MessagePassing().to(device)
        _init_from_numpy(t, model, seed)
        x = t.tensor(rng.standard_normal((nodes, features)).astype(np.float32), device=device)
        y = t.tensor(rng.integers(0, classes, nodes), device=device)
        opt = t.optim.Adam(model.parameters(), lr=0.01)
        return _checked_step(t, model, nn.CrossEntropyLoss(), opt, (x,), y, device)
    return make


def dataloader_epoch(lib, rows=10000, features=32, batch=64, seed=0):
    """One shuffled pass of a DataLoader over a TensorDataset with the default collate: the input
    pipeline of every small training loop. The step returns the number of rows it saw."""
    def make():
        t = _mod(lib)
        data = importlib.import_module(f"{t.__name__}.utils.data")
        rng = np.random.default_rng(seed)
        x = t.tensor(rng.standard_normal((rows, features)).astype(np.float32))
        y = t.tensor(rng.integers(0, 10, rows))
        loader = data.DataLoader(data.TensorDataset(x, y), batch_size=batch, shuffle=True)

        def epoch():
            seen = 0
            for xb, _ in loader:
                seen += xb.shape[0]
            return seen

        if epoch() != rows:
            raise AssertionError("the DataLoader epoch did not visit every row once")
        return epoch
    return make


WORKLOADS = [
    Workload("embedding_bag_step", "EmbeddingBag(20000, 64, mean) with offsets, 256 bags of 1..40 ids, "
             "Linear + CE, SGD", tensorgraft=embedding_bag_step("tensorgraft"), torch=embedding_bag_step("torch")),
    Workload("dcgan_generator_step", "DCGAN generator z 100 -> ngf 64 -> 3x32x32 (ConvTranspose2d, "
             "BatchNorm2d, ReLU, Tanh), batch 64, MSE + Adam", tensorgraft=dcgan_generator_step("tensorgraft"),
             torch=dcgan_generator_step("torch")),
    Workload("sparse_embedding_step", "Embedding(50000, 64, sparse=True), 256 x 20 ids, mean + Linear + CE, SGD "
             "on the sparse gradient", tensorgraft=sparse_embedding_step("tensorgraft"),
             torch=sparse_embedding_step("torch")),
    Workload("gcn_step", "2-layer GCN on a sparse COO adjacency (5000 nodes, 105000 entries with self loops), "
             "128 -> 64 -> 16, torch.sparse.mm, CE + Adam", tensorgraft=gcn_step("tensorgraft"), torch=gcn_step("torch")),
    Workload("gcn_csr_step", "the same GCN with the adjacency in CSR (torch.sparse_csr; the product is torch.mm's, "
             "so the weights' gradients are dense)", tensorgraft=gcn_csr_step("tensorgraft"),
             torch=gcn_csr_step("torch")),
    Workload("gat_step", "1-head GAT layer on a sparse COO adjacency (5000 nodes, ~55000 edges with self loops), "
             "64 -> 32 -> 16: edge logits, torch.sparse.softmax per node, torch.sparse.mm, CE + Adam",
             tensorgraft=gat_step("tensorgraft"), torch=gat_step("torch")),
    Workload("message_passing_step", "2 message-passing layers (index_select, index_add, scatter_add over "
             "an expanded index), 5000 nodes, 50000 edges, 64 -> 64 -> 16, CE + Adam",
             tensorgraft=message_passing_step("tensorgraft"), torch=message_passing_step("torch")),
    Workload("dataloader_epoch", "DataLoader(TensorDataset 10000x32 float, shuffle, batch 64): one epoch",
             tensorgraft=dataloader_epoch("tensorgraft"), torch=dataloader_epoch("torch")),
]
