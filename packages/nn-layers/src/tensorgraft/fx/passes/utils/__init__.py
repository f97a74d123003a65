"""Helpers of the fx passes; ``matcher_utils.SubgraphMatcher`` finds a pattern graph in a graph."""
