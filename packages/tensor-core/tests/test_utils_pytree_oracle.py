"""tensorgraft.utils._pytree against torch.utils._pytree: the same leaves, TreeSpec reprs,
pretty-printed structures and error messages for the containers users nest."""
from __future__ import annotations

import importlib
from collections import OrderedDict, defaultdict, deque, namedtuple

import pytest

torch = pytest.importorskip("torch")
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402

Point = namedtuple("Point", "x y")


def _pytree(lib):
    return importlib.import_module(f"{lib.__name__}.utils._pytree")


TREES = [
    {"b": [1, (2, None)], "a": Point(3, 4)},
    OrderedDict(z=5, y=[6]),
    defaultdict(list, {"k": 7}),
    deque([1, 2], maxlen=3),
    [[], {}, (), None],
    (1,),
    5,
    {1: "x", "a": [2.5]},
]


@pytest.mark.parametrize("index", range(len(TREES)))
def test_flatten_repr_and_pprint_match(index):
    tree = TREES[index]
    import tensorgraft
    ours, theirs = _pytree(tensorgraft), _pytree(torch)
    (l1, s1), (l2, s2) = ours.tree_flatten(tree), theirs.tree_flatten(tree)
    assert l1 == l2
    assert repr(s1) == repr(s2)
    assert ours.treespec_pprint(s1) == theirs.treespec_pprint(s2)
    assert (s1.num_leaves, s1.num_nodes, s1.num_children) == (s2.num_leaves, s2.num_nodes, s2.num_children)
    assert ours.tree_unflatten(l1, s1) == theirs.tree_unflatten(l2, s2)
    assert [ours.keystr(k) for k, _ in ours.tree_leaves_with_path(tree)] == \
        [theirs.keystr(k) for k, _ in theirs.tree_leaves_with_path(tree)]


def test_op_result_spec_matches():
    import tensorgraft
    ours, theirs = _pytree(tensorgraft), _pytree(torch)
    s1 = ours.tree_structure(tensorgraft.max(tensorgraft.ones(2, 2), 0))
    s2 = theirs.tree_structure(torch.max(torch.ones(2, 2), 0))
    assert repr(s1) == repr(s2) and ours.treespec_pprint(s1) == theirs.treespec_pprint(s2)


@pytest.mark.parametrize("call", [
    lambda pt: pt.tree_map(lambda x, y: x, [1, 2], [1, 2, 3]),
    lambda pt: pt.tree_map(lambda x, y: x, [1, 2], (1, 2)),
    lambda pt: pt.tree_map(lambda x, y: x, {"a": 1}, {"b": 2}),
    lambda pt: pt.tree_unflatten([1, 2, 3], pt.tree_structure([1, {"a": 2}])),
    lambda pt: pt.tree_unflatten(5, pt.tree_structure([1, 2])),
])
def test_errors_match(call):
    assert_same_error(lambda lib: call(_pytree(lib)))


def test_public_names_are_pytorchs():
    import tensorgraft
    ours, theirs = _pytree(tensorgraft), _pytree(torch)
    # typing aliases are what tensorgraft lacks
    missing = {"DumpableContext", "ToDumpableContextFn", "FromDumpableContextFn", "PyTreeSpec"}
    assert set(theirs.__all__) - set(ours.__all__) == missing
    assert set(ours.__all__) <= set(theirs.__all__)


@pytest.mark.parametrize("index", range(len(TREES)))
def test_dumps_match_and_load_back(index):
    import tensorgraft
    ours, theirs = _pytree(tensorgraft), _pytree(torch)
    tree = TREES[index]
    def call(pt):
        return pt.treespec_dumps(pt.tree_structure(tree))
    try:
        call(theirs)
    except NotImplementedError:  # a named tuple has no name to be saved under, in PyTorch too
        assert_same_error(lambda lib: call(_pytree(lib)))
        return
    text = call(ours)
    assert text == call(theirs)
    assert ours.treespec_loads(text) == ours.tree_structure(tree)


@pytest.mark.parametrize("call", [
    lambda pt: pt.treespec_dumps(pt.tree_structure([1]), protocol=2),
    lambda pt: pt.treespec_loads('[2, {}]'),
    lambda pt: pt.treespec_loads('[1, {"type": "nope.X", "context": "null", "children_spec": []}]'),
    lambda pt: pt.treespec_dumps(5),
    lambda pt: pt.treespec_dumps(pt.tree_structure(Point(1, 2))),
])
def test_dumps_errors_match(call):
    assert_same_error(lambda lib: call(_pytree(lib)))
