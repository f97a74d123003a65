"""tensorgraft.utils._pytree (torch.utils._pytree): flattening, rebuilding, mapping and printing
nested containers; tensorgraft.func re-exports it."""
from __future__ import annotations

import pickle
from collections import OrderedDict, defaultdict, deque, namedtuple

import pytest

import tensorgraft
import tensorgraft.utils._pytree as pt

Point2 = namedtuple("Point2", "x y")


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __repr__(self):
        return f"Pair({self.a}, {self.b})"


pt.register_pytree_node(Pair, lambda p: ([p.a, p.b], None), lambda vals, ctx: Pair(*vals),
                        flatten_with_keys_fn=lambda p: ([(pt.GetAttrKey("a"), p.a), (pt.GetAttrKey("b"), p.b)], None))


def test_reachable_from_tensorgraft_utils_without_an_import():
    assert tensorgraft.utils._pytree is pt


def test_none_is_a_leaf_and_dicts_keep_insertion_order():
    leaves, spec = pt.tree_flatten({"b": [1, (2, None)], "a": 3})
    assert leaves == [1, 2, None, 3]
    assert spec.context == ["b", "a"]
    assert pt.tree_unflatten(leaves, spec) == {"b": [1, (2, None)], "a": 3}
    assert pt.tree_flatten(None) == ([None], pt.tree_structure(5))


@pytest.mark.parametrize("tree", [
    OrderedDict(z=1, y=[2, 3]),
    defaultdict(list, {"k": 1}),
    deque([1, 2], maxlen=4),
    Point2(1, (2, 3)),
    [[], {}, ()],
    tensorgraft.Size([2, 3]),
])
def test_round_trip_keeps_the_container_types(tree):
    leaves, spec = pt.tree_flatten(tree)
    back = pt.tree_unflatten(leaves, spec)
    assert type(back) is type(tree) and back == tree
    if isinstance(tree, defaultdict):
        assert back.default_factory is list
    if isinstance(tree, deque):
        assert back.maxlen == 4


def test_spec_records_namedtuples_as_namedtuple_with_the_class_as_context():
    spec = pt.tree_structure(Point2(1, 2))
    assert spec.type is namedtuple and spec.context is Point2
    assert repr(spec).startswith("TreeSpec(namedtuple, <class '") and repr(spec).endswith("Point2'>, [*,\n  *])")


def test_op_results_are_nodes_of_their_own_class():
    r = tensorgraft.max(tensorgraft.ones(2, 2), 0)
    spec = pt.tree_structure(r)
    assert spec.type is type(r) and spec.context is None and spec.num_leaves == 2
    assert pt.is_structseq(r) and not pt.is_namedtuple(r)
    assert type(pt.tree_map(lambda t: t + 1, r)) is type(r)
    assert pt.treespec_pprint(spec) == "torch.return_types.max(\nvalues=*,\nindices=*)"


def test_treespec_repr_indents_nested_children():
    spec = pt.tree_structure({"b": [1, (2, None)], "c": OrderedDict(z=5)})
    assert repr(spec) == ("TreeSpec(dict, ['b', 'c'], [TreeSpec(list, None, [*,\n"
                          "    TreeSpec(tuple, None, [*,\n"
                          "      *])]),\n"
                          "  TreeSpec(OrderedDict, ['z'], [*])])")
    assert spec.num_leaves == 4 and spec.num_nodes == 8 and spec.num_children == 2
    assert spec.child(0) == spec.children()[0]


def test_treespec_pprint_and_registered_classes():
    tree = {"p": Pair(1, 2), "d": defaultdict(list, {"k": 7}), "t": (1,)}
    assert pt.treespec_pprint(pt.tree_structure(tree)) == \
        "{'p': Pair(*, *), 'd': defaultdict(<class 'list'>, {'k': *}), 't': (*,)}"
    assert pt.tree_map(lambda v: v * 2, tree)["p"].b == 4
    with pytest.raises(ValueError, match="is already registered as pytree node"):
        pt.register_pytree_node(Pair, lambda p: ([], None), lambda v, c: Pair(0, 0))


def test_spec_equality_and_hash():
    a, b = pt.tree_structure([1, {"a": 2}]), pt.tree_structure([5, {"a": 6}])
    assert a == b and hash(a) == hash(b)
    assert a != pt.tree_structure([5, {"b": 6}])
    assert pt.tree_structure({"a": 1, "b": 2}) != pt.tree_structure({"b": 1, "a": 2})
    assert isinstance(pt.tree_structure(1), pt.LeafSpec) and pt.LeafSpec().is_leaf()


def test_unflatten_errors():
    spec = pt.tree_structure([1, {"a": 2}])
    with pytest.raises(ValueError) as e:
        pt.tree_unflatten([1, 2, 3], spec)
    assert str(e.value) == ("treespec.unflatten(leaves): `leaves` has length 3 but the spec refers to a pytree "
                            "that holds 2 items (TreeSpec(list, None, [*,\n  TreeSpec(dict, ['a'], [*])])).")
    with pytest.raises(TypeError, match="'int' object is not iterable"):
        pt.tree_unflatten(5, spec)


def test_tree_map_with_several_trees_and_their_mismatches():
    assert pt.tree_map(lambda x, y: x + y, [1, 2], [10, 20]) == [11, 22]
    # a leaf of the first tree takes the whole subtree of the others
    assert pt.tree_map(lambda x, y: (x, y), [1, 2], [[3], {"a": 4}]) == [(1, [3]), (2, {"a": 4})]
    with pytest.raises(ValueError, match=r"^Node arity mismatch; expected 2, but got 3\.$"):
        pt.tree_map(lambda x, y: x, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"^Node type mismatch; expected <class 'list'>, but got <class 'tuple'>\.$"):
        pt.tree_map(lambda x, y: x, [1, 2], (1, 2))
    with pytest.raises(ValueError, match=r"missing key\(s\): \{'a'\}; extra key\(s\): \{'b'\}\.$"):
        pt.tree_map(lambda x, y: x, {"a": 1}, {"b": 2})
    # the same keys in another order pair up by key
    assert pt.tree_map(lambda x, y: x - y, {"a": 1, "b": 2}, {"b": 20, "a": 10}) == {"a": -9, "b": -18}


def test_map_only_all_any_and_in_place_map():
    tree = [1, 2.0, "s", (3,)]
    assert pt.tree_map_only(int, lambda x: -x, tree) == [-1, 2.0, "s", (-3,)]
    assert pt.tree_map_only((int, float), lambda x: -x, tree) == [-1, -2.0, "s", (-3,)]
    assert pt.tree_map_only(int | float, lambda x: -x, tree) == [-1, -2.0, "s", (-3,)]
    assert pt.tree_map_only(lambda x: x == 2.0, lambda x: 0, tree) == [1, 0, "s", (3,)]
    assert pt.tree_all(lambda x: x > 0, [1, 2, (3,)]) and not pt.tree_any(lambda x: x > 5, [1, 2, (3,)])
    assert pt.tree_all_only(int, lambda x: x > 0, [1, "a", -2.0])
    assert pt.tree_any_only(float, lambda x: x < 0, [1, "a", -2.0])
    seen = []
    out = pt.tree_map_(seen.append, {"a": [1, 2]})
    assert seen == [1, 2] and out == {"a": [1, 2]}
    assert list(pt.tree_iter([1, [2, None]])) == [1, 2, None]


def test_is_leaf_and_tree_is_leaf():
    assert pt.tree_flatten([1, [2, 3]], is_leaf=lambda x: isinstance(x, list) and len(x) == 2)[0] == [[1, [2, 3]]]
    assert pt.tree_is_leaf(1) and pt.tree_is_leaf(None) and not pt.tree_is_leaf([]) and not pt.tree_is_leaf([1])


def test_paths():
    pairs, spec = pt.tree_flatten_with_path({"a": [1, 2], "b": Point2(3, 4), "p": Pair(5, 6)})
    assert [pt.keystr(k) for k, _ in pairs] == ["['a'][0]", "['a'][1]", "['b'].x", "['b'].y", "['p'].a", "['p'].b"]
    assert [v for _, v in pairs] == [1, 2, 3, 4, 5, 6]
    assert repr(pairs[0][0]) == "(MappingKey(key='a'), SequenceKey(idx=0))"
    assert pt.tree_map_with_path(lambda p, x: pt.keystr(p), {"a": [1, 2]}) == {"a": ["['a'][0]", "['a'][1]"]}
    tree = {"a": [1, {"z": 9}]}
    assert pt.key_get(tree, pt.tree_leaves_with_path(tree)[1][0]) == 9


def test_spec_pickles():
    spec = pt.tree_structure({"a": [1, 2], "b": OrderedDict(c=3)})
    assert pickle.loads(pickle.dumps(spec)) == spec


def test_func_pytree_reexports_the_same_objects():
    fp = pytest.importorskip("tensorgraft.func._pytree", reason="needs the autograd engine (tensorgraft-autograd)")
    assert fp.TreeSpec is pt.TreeSpec and fp.tree_flatten is pt.tree_flatten and fp.tree_map is pt.tree_map
    _, spec = pt.tree_flatten(((1, 2), {"k": 3}))
    assert fp.broadcast_prefix((0, None), spec) == [0, 0, None]
    assert fp.broadcast_prefix(((0, 1), {"k": None}), spec) == [0, 1, None]
    assert fp.broadcast_prefix([0, None], spec) is None          # a list prefix for a tuple
    assert fp.broadcast_prefix((0, {"j": 1}), spec) is None      # other keys
    assert fp.broadcast_prefix(0, spec) == [0, 0, 0]


def test_repr_prints_a_string_context_unquoted():
    class Named:
        def __init__(self, v, name):
            self.v, self.name = v, name

    pt.register_pytree_node(Named, lambda n: ([n.v], n.name), lambda vals, name: Named(vals[0], name))
    assert repr(pt.tree_structure([Named(1, "a")])) == "TreeSpec(list, None, [TreeSpec(Named, a, [*])])"


class Tagged:
    def __init__(self, v, tag):
        self.v, self.tag = v, tag


pt.register_pytree_node(Tagged, lambda t: ([t.v], {"tag": t.tag}), lambda vals, ctx: Tagged(vals[0], ctx["tag"]),
                        serialized_type_name="tests.Tagged")


def test_treespec_dumps_and_loads():
    tree = {"a": [1, (2, 3)], "d": defaultdict(list, {"k": 1}), "q": deque([1], maxlen=2),
            "o": OrderedDict(z=1), "s": tensorgraft.Size([4]), "t": Tagged(5, "x"), "n": None}
    spec = pt.tree_structure(tree)
    text = pt.treespec_dumps(spec)
    assert text.startswith('[1, {"type": "builtins.dict", "context": "[\\"a\\", \\"d\\", \\"q\\", \\"o\\", \\"s\\", \\"t\\", '
                           '\\"n\\"]", "children_spec": [{"type": "builtins.list", "context": "null"')
    assert '"context": {"default_factory_module": "builtins", "default_factory_name": "list", "dict_context": ["k"]}' \
        in text
    back = pt.treespec_loads(text)
    assert back == spec
    rebuilt = pt.tree_unflatten(pt.tree_leaves(tree), back)
    assert rebuilt["d"].default_factory is list and rebuilt["q"].maxlen == 2 and rebuilt["t"].tag == "x"
    assert pt.treespec_dumps(spec, protocol=1) == text


def test_treespec_dumps_errors():
    with pytest.raises(ValueError, match=r"^Unknown protocol 2\. Available protocols: \[1\]$"):
        pt.treespec_dumps(pt.tree_structure([1]), protocol=2)
    with pytest.raises(TypeError, match="Expected `treespec` to be an instance of PyTreeSpec"):
        pt.treespec_dumps(5)
    with pytest.raises(NotImplementedError, match="No registered serialization name for <class"):
        pt.treespec_dumps(pt.tree_structure(Pair(1, 2)))
    with pytest.raises(NotImplementedError, match="Can't serialize TreeSpec of namedtuple class"):
        pt.treespec_dumps(pt.tree_structure(Point2(1, 2)))
    with pytest.raises(NotImplementedError, match=r"^Deserializing nope\.X in pytree is not registered\.$"):
        pt.treespec_loads('[1, {"type": "nope.X", "context": "null", "children_spec": []}]')
