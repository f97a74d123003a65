"""torch.utils._pytree as users reach for it: moving a nested batch (dicts, lists, tuples,
namedtuples, OrderedDicts) of tensors with tree_map / tree_map_only, flattening model outputs to a
list and back, TreeSpec reprs and pretty-printed structures, key paths naming each leaf, a
registered container class, None as a leaf, and the errors of mismatched structures."""
# needs: nn
import collections

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.utils._pytree as pytree

torch.manual_seed(0)

Sample = collections.namedtuple("Sample", ["image", "label"])

batch = {
    "inputs": Sample(torch.randn(2, 3), torch.tensor([1, 0])),
    "masks": [torch.ones(2, dtype=torch.bool), None],
    "meta": collections.OrderedDict(step=3, lr=0.1),
    "extra": (torch.zeros(1),),
}

leaves, spec = pytree.tree_flatten(batch)
print(len(leaves), "leaves:", [type(leaf).__name__ for leaf in leaves])
print(spec)
print(pytree.treespec_pprint(spec))
print("num_leaves", spec.num_leaves, "num_nodes", spec.num_nodes, "num_children", spec.num_children)
print("is_leaf:", spec.is_leaf(), spec.child(1), pytree.tree_structure(None))

# move / cast every tensor, leave everything else as it is
doubled = pytree.tree_map_only(torch.Tensor, lambda t: t.double(), batch)
print(doubled["inputs"].image.dtype, doubled["inputs"].label.dtype, doubled["masks"], doubled["meta"])
as_half = pytree.tree_map(lambda v: v.half() if isinstance(v, torch.Tensor) and v.is_floating_point() else v, batch)
print(as_half["extra"], type(as_half["inputs"]).__name__)

rebuilt = pytree.tree_unflatten(leaves, spec)
print(type(rebuilt["inputs"]).__name__, type(rebuilt["meta"]).__name__, rebuilt["meta"])
print(torch.equal(rebuilt["inputs"].image, batch["inputs"].image))

# counting and checking
tensors = [v for v in pytree.tree_leaves(batch) if isinstance(v, torch.Tensor)]
print("numel:", sum(t.numel() for t in tensors))
print("all finite:", pytree.tree_all_only(torch.Tensor, lambda t: bool(torch.isfinite(t).all()), batch))
print("any bool:", pytree.tree_any(lambda v: isinstance(v, torch.Tensor) and v.dtype == torch.bool, batch))
print([pytree.keystr(path) for path, _ in pytree.tree_leaves_with_path(batch)])

# model outputs: a nested result flattened, processed as a list, and rebuilt
model = nn.Linear(3, 2)
with torch.no_grad():
    out = model(batch["inputs"].image)
outputs = {"logits": out, "aux": [out.sum(), out.mean(dim=0)]}
flat, out_spec = pytree.tree_flatten(outputs)
flat = [t.round(decimals=3) for t in flat]
print(pytree.tree_unflatten(flat, out_spec))

# two trees of the same structure combine leaf by leaf
grads = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor(0.5)}
params = {"w": torch.tensor([0.1, 0.2]), "b": torch.tensor(0.0)}
print(pytree.tree_map(lambda p, g: p - 0.1 * g, params, grads))

# a max() result and a torch.Size are containers too
result = torch.max(torch.tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1)
r_spec = pytree.tree_structure(result)
print(r_spec)
print(pytree.treespec_pprint(r_spec))
print(pytree.tree_map(lambda t: t * 10, result))
print(pytree.tree_structure(torch.Size([2, 3])), pytree.tree_leaves(torch.Size([2, 3])))


class Box:
    def __init__(self, content, name):
        self.content, self.name = content, name

    def __repr__(self):
        return f"Box({self.content!r}, name={self.name!r})"


pytree.register_pytree_node(Box, lambda b: ([b.content], b.name), lambda values, name: Box(values[0], name))
boxed = [Box(torch.tensor([1, 2]), "a"), Box({"k": 3}, "b")]
b_leaves, b_spec = pytree.tree_flatten(boxed)
print(b_leaves)
print(b_spec)
print(pytree.treespec_pprint(b_spec))
print(pytree.tree_map(lambda v: v + 1, boxed))

print(pytree.tree_flatten([1, [2, 3]], is_leaf=lambda v: isinstance(v, list) and len(v) == 2))
print(pytree.tree_flatten({"b": 1, "a": 2}))
print(pytree.tree_structure({"a": 1, "b": 2}) == pytree.tree_structure({"a": 5, "b": 6}),
      pytree.tree_structure({"a": 1, "b": 2}) == pytree.tree_structure({"b": 5, "a": 6}))

# a structure saved as JSON and read back
saved = pytree.treespec_dumps(pytree.tree_structure({"w": [1, 2], "opt": collections.OrderedDict(lr=0.1)}))
print(saved)
print(pytree.treespec_loads(saved))

mistakes = [
    lambda: pytree.treespec_dumps(spec),  # the namedtuple Sample has no name to be saved under
    lambda: pytree.tree_map(lambda a, b: a + b, [1, 2], [1, 2, 3]),
    lambda: pytree.tree_map(lambda a, b: a + b, [1, 2], (1, 2)),
    lambda: pytree.tree_map(lambda a, b: a + b, {"w": 1}, {"bias": 2}),
    lambda: pytree.tree_unflatten([1, 2, 3], pytree.tree_structure([1, {"a": 2}])),
    lambda: pytree.register_pytree_node(Box, lambda b: ([], None), lambda v, c: None),
]
for bad in mistakes:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
