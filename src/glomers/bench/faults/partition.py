"""``partition``: Jepsen's partition package, as Maelstrom uses it.

Start and stop alternate. Each start picks a shape among the server nodes
only: ``one`` (isolate one node), ``minority-third`` (split off fewer than a
third), ``majority`` (a random majority/minority split) and
``majorities-ring`` (each node sees a different overlapping majority). The
start's completion records the grudges: who hears nothing from whom.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from glomers.bench.faults.base import MAELSTROM, NetworkFault, majority

PARTITION_SHAPES = ("one", "minority-third", "majority", "majorities-ring")

Grudge = dict[str, frozenset[str]]


def complete_grudge(components: Sequence[Sequence[str]]) -> Grudge:
    """No node hears from any node outside its own component."""
    universe = frozenset(n for c in components for n in c)
    return {node: universe - frozenset(c) for c in components for node in c}


def majorities_ring(nodes: Sequence[str], rng: random.Random) -> Grudge:
    """Every node sees a majority, and no two nodes see the same one."""
    n, m = len(nodes), majority(len(nodes))
    universe = frozenset(nodes)
    if n <= 5:
        ring = list(nodes)
        rng.shuffle(ring)
        grudge: Grudge = {}
        for i in range(n):
            seen = [ring[(i + k) % n] for k in range(m)]
            # The middle of each window of m neighbours hears exactly that window.
            grudge[seen[m // 2]] = universe - frozenset(seen)
        return grudge
    # Larger clusters: link least-connected nodes until each sees a majority.
    conns = {node: {node} for node in nodes}
    while True:
        by_degree: dict[int, list[str]] = {}
        for node in nodes:
            by_degree.setdefault(len(conns[node]), []).append(node)
        order: list[str] = []
        for degree in sorted(by_degree):
            group = by_degree[degree]
            rng.shuffle(group)
            order.extend(group)
        a = order[0]
        if len(conns[a]) >= m:
            return {node: universe - frozenset(conns[node]) for node in nodes}
        b = next(node for node in order if node not in conns[a])
        conns[a].add(b)
        conns[b].add(a)


def partition_grudge(shape: str, nodes: Sequence[str], rng: random.Random) -> Grudge:
    """The grudge for one of ``PARTITION_SHAPES`` over ``nodes``."""
    if shape == "one":
        loner = rng.choice(list(nodes))
        return complete_grudge([[loner], [n for n in nodes if n != loner]])
    if shape == "majority":
        shuffled = list(nodes)
        rng.shuffle(shuffled)
        half = len(shuffled) // 2
        return complete_grudge([shuffled[:half], shuffled[half:]])
    if shape == "minority-third":
        shuffled = list(nodes)
        rng.shuffle(shuffled)
        cut = (len(shuffled) - 1) // 3
        return complete_grudge([shuffled[:cut], shuffled[cut:]])
    if shape == "majorities-ring":
        return majorities_ring(nodes, rng)
    raise ValueError(f"unknown partition shape {shape!r}")


class Partition(NetworkFault):
    """Cuts the network along one of ``PARTITION_SHAPES``."""

    name = "partition"
    stream = "partition"
    begins = "start-partition"
    ends = "stop-partition"
    label = "partition"
    color = "#A8A8A8"
    heal_rank = 0
    maelstrom = MAELSTROM

    def ask(self, rng: random.Random) -> Any:
        return rng.choice(PARTITION_SHAPES)

    async def start(self, value: Any, rng: random.Random) -> Any:
        grudge = partition_grudge(value, self.stage.nodes, rng)
        self.stage.net.partition(grudge)
        return {"isolated": {k: sorted(v) for k, v in sorted(grudge.items())}}

    async def stop(self) -> Any:
        self.stage.net.grudges = {}
        return "network-healed"

    @staticmethod
    def words(detail: Any) -> str:
        """Who stops hearing whom."""
        if isinstance(detail, dict) and isinstance(detail.get("isolated"), dict):
            cut = [
                f"{node} hears nothing from {', '.join(map(str, sources))}"
                for node, sources in sorted(detail["isolated"].items())
                if sources
            ]
            return "; ".join(cut) or "nobody cut off"
        return NetworkFault.words(detail)
