"""``replace_pattern`` (PyTorch's ``torch.fx.subgraph_rewriter``): find every occurrence of a pattern
(a function, traced) in a GraphModule's graph and put a replacement's nodes in its place.

Each match (passes/utils/matcher_utils.py) binds the pattern's inputs to values of the graph; the
replacement graph is copied in before the first user of the matched outputs, with its inputs mapped
to those values, the users are pointed at the copy, and the matched nodes are erased.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from tensorgraft import nn

from .graph import Graph
from .graph_module import GraphModule
from .node import Node
from .tracer import symbolic_trace

__all__ = ["Match", "replace_pattern", "replace_pattern_with_filters", "ReplacedPatterns"]


class Match(NamedTuple):
    anchor: Node  # the node the match was found from
    nodes_map: dict[Node, Node]  # pattern node -> node of the larger graph


@dataclass
class ReplacedPatterns:
    anchor: Node
    nodes_map: dict[Node, Node]
    replacements: list[Node]  # the nodes added to the graph


def _replace_attributes(gm: GraphModule, replacement: nn.Module) -> None:
    """Copy the submodules/attributes the replacement's nodes name that ``gm`` lacks."""
    gm.delete_all_unused_submodules()
    if isinstance(replacement, GraphModule):
        replacement.graph.lint()

    def try_get_attr(mod: nn.Module, target: str) -> Any:
        module_path, _, attr_name = target.rpartition(".")
        try:
            mod = mod.get_submodule(module_path)
        except AttributeError:
            return None
        return getattr(mod, attr_name, None)
    for node in gm.graph.nodes:
        if node.op in ("call_module", "get_attr"):
            if try_get_attr(gm, node.target) is not None:
                continue
            replacement_attr = try_get_attr(replacement, node.target)
            if replacement_attr is None:
                raise RuntimeError('Attempted to create a "', node.op, '" node during subgraph rewriting with target '
                                   f"{node.target}, but the referenced attribute does not exist in the replacement "
                                   "GraphModule")
            new_attr = copy.deepcopy(replacement_attr)
            if isinstance(replacement_attr, nn.Module):
                gm.add_submodule(node.target, new_attr)
            else:
                setattr(gm, node.target, new_attr)
    gm.graph.lint()


def replace_pattern(gm: GraphModule, pattern: Callable | GraphModule, replacement: Callable | GraphModule) -> list[Match]:
    """Replace every non-overlapping occurrence of ``pattern`` in ``gm`` with ``replacement`` (both
    traced with ``symbolic_trace`` unless GraphModules; ``replacement`` takes the same inputs); returns
    the matches. ``gm`` is recompiled."""
    return [Match(anchor=m.anchor, nodes_map=m.nodes_map) for m in _replace_pattern(gm, pattern, replacement)]


def replace_pattern_with_filters(gm: GraphModule, pattern, replacement=None, match_filters=None,
                                 ignore_literals: bool = False, replacement_callback=None) -> list[ReplacedPatterns]:
    """``replace_pattern``, keeping only matches every ``match_filters`` function accepts
    (``f(match, original_graph, pattern_graph)``); literals may be wildcards."""
    return _replace_pattern(gm, pattern, replacement, match_filters, ignore_literals, replacement_callback)


def _as_graph(obj) -> Graph:
    if isinstance(obj, GraphModule):
        return obj.graph
    if isinstance(obj, Graph):
        return obj
    return symbolic_trace(obj).graph


def _replace_pattern(gm: GraphModule, pattern, replacement=None, match_filters=None, ignore_literals: bool = False,
                     replacement_callback=None) -> list[ReplacedPatterns]:
    from .passes.utils.matcher_utils import SubgraphMatcher
    match_filters = match_filters or []
    original_graph = gm.graph
    pattern_graph = _as_graph(pattern)
    matcher = SubgraphMatcher(pattern_graph, match_output=False, match_placeholder=False,
                              remove_overlapping_matches=True, ignore_literals=ignore_literals)
    matches = [m for m in matcher.match(original_graph)
               if all(match_filter(m, original_graph, pattern_graph) for match_filter in match_filters)]
    if replacement is None and replacement_callback is None:
        raise AssertionError("Must provide either a replacement GraphModule or a replacement callback")
    common_replacement_graph = _as_graph(replacement) if replacement is not None else None

    # values an earlier replacement changed: later matches that used them get the new nodes
    match_changed_node: dict[Node, Node] = {}
    match_and_replacements = []
    for match in matches:
        replacement_graph = (replacement_callback(match, original_graph, pattern_graph)
                             if replacement_callback is not None else common_replacement_graph)
        replacement_placeholders = [n for n in replacement_graph.nodes if n.op == "placeholder"]
        if len(match.placeholder_nodes) != len(replacement_placeholders):
            raise AssertionError(f"Placeholder count mismatch: {len(match.placeholder_nodes)} vs "
                                 f"{len(replacement_placeholders)}")
        val_map: dict[Node, Any] = {}
        for rn, gn in zip(replacement_placeholders, match.placeholder_nodes):
            if isinstance(gn, Node):
                val_map[rn] = match_changed_node.get(gn, gn)
                if gn != val_map[rn]:
                    gn_ind = match.placeholder_nodes.index(gn)
                    match.placeholder_nodes[gn_ind] = match_changed_node[gn]
                    map_key = list(match.nodes_map.keys())[list(match.nodes_map.values()).index(gn)]
                    match.nodes_map[map_key] = match_changed_node[gn]
            else:
                val_map[rn] = gn

        # insert before the first user of the matched outputs (or after the last matched output)
        user_nodes: set[Node] = set()
        for n in match.returning_nodes:
            user_nodes.update(n.users)
        first_user_node = None
        if len(user_nodes) == 1:
            first_user_node = next(iter(user_nodes))
        elif user_nodes:
            first_user_node = next(n for n in original_graph.nodes if n in user_nodes)
        first_next_node = None
        if first_user_node is None:
            next_node = None
            for n in reversed(original_graph.nodes):
                if n in match.returning_nodes:
                    first_next_node = next_node
                    break
                next_node = n
        insert_point = first_user_node if first_user_node is not None else first_next_node
        if insert_point is None:
            raise AssertionError("The insert point can't be None")
        with original_graph.inserting_before(insert_point):
            copied_returning_nodes = original_graph.graph_copy(replacement_graph, val_map)
        if isinstance(copied_returning_nodes, Node):
            copied_returning_nodes = (copied_returning_nodes,)
        replacement_nodes = [v for v in val_map.values() if v not in match.placeholder_nodes]
        if len(match.returning_nodes) != len(copied_returning_nodes):
            raise AssertionError(f"Returning nodes count mismatch: {len(match.returning_nodes)} vs "
                                 f"{len(copied_returning_nodes)}")
        for gn, copied_node in zip(match.returning_nodes, copied_returning_nodes):
            gn.replace_all_uses_with(copied_node)
            match_changed_node[gn] = copied_node
        for node in reversed(pattern_graph.nodes):
            if node.op not in ("placeholder", "output"):
                gm.graph.erase_node(match.nodes_map[node])
        match_and_replacements.append(ReplacedPatterns(anchor=match.anchors[0], nodes_map=match.nodes_map,
                                                       replacements=replacement_nodes))
    gm.recompile()
    if isinstance(replacement, nn.Module):
        _replace_attributes(gm, replacement)
    return match_and_replacements
