"""The neighbours Maelstrom's broadcast workload suggests to each node (``--topology``).

Each shape is computed over the node list in order, as Maelstrom computes it:

- ``grid``: a square of side ceil(sqrt N), filled row by row; neighbours below,
  above, right and left, those that exist;
- ``line``: the previous and the next node (none at all for fewer than 2 nodes);
- ``tree`` / ``tree2`` / ``tree3`` / ``tree4``: a tree of branching 2, 2, 3 or
  4 filled level by level; neighbours the parent, then the children;
- ``total``: every other node.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial

Topology = dict[str, list[str]]


def grid(nodes: Sequence[str]) -> Topology:
    """A roughly square grid: each node has at most 4 neighbours."""
    n = len(nodes)
    side = math.ceil(math.sqrt(n))

    def at(i: int, j: int) -> str | None:
        # A row past the last simply has no nodes; a column must stay in the row.
        if i < 0 or not 0 <= j < side:
            return None
        k = i * side + j
        return nodes[k] if k < n else None

    out: Topology = {}
    for k, node in enumerate(nodes):
        i, j = divmod(k, side)
        near = (at(i + 1, j), at(i - 1, j), at(i, j + 1), at(i, j - 1))
        out[node] = [m for m in near if m is not None]
    return out


def line(nodes: Sequence[str]) -> Topology:
    """All nodes in one line."""
    n = len(nodes)
    if n < 2:
        return {}
    out: Topology = {nodes[0]: [nodes[1]], nodes[-1]: [nodes[-2]]}
    for k in range(1, n - 1):
        out[nodes[k]] = [nodes[k - 1], nodes[k + 1]]
    return out


def tree(branching: int, nodes: Sequence[str]) -> Topology:
    """A tree with ``branching`` children per node, filled level by level."""
    out: Topology = {}
    for k, node in enumerate(nodes):
        parent = [nodes[(k - 1) // branching]] if k else []
        first = k * branching + 1
        out[node] = parent + list(nodes[first : first + branching])
    return out


def total(nodes: Sequence[str]) -> Topology:
    """Every node is every other's neighbour."""
    return {node: [m for m in nodes if m != node] for node in nodes}


#: The shapes by name, as ``--topology`` offers them.
TOPOLOGIES: dict[str, Callable[[Sequence[str]], Topology]] = {
    "grid": grid,
    "line": line,
    "tree": partial(tree, 2),
    "tree2": partial(tree, 2),
    "tree3": partial(tree, 3),
    "tree4": partial(tree, 4),
    "total": total,
}


def topology(name: str, nodes: Sequence[str]) -> Topology:
    """The neighbours of each of ``nodes`` in the shape ``name``."""
    return TOPOLOGIES[name](nodes)
