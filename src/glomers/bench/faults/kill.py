"""``kill``: Jepsen's db package, as Maelstrom uses it, killing nodes.

``kill SPEC`` alternates with ``start all``, which restarts every node that is
down. While a node is down the network holds its queue (at most ten messages);
a restarted node gets it once it has answered ``init``.
"""

from __future__ import annotations

from glomers.bench.faults.base import LATER, HostFault


class Kill(HostFault):
    """Kills the nodes of a SPEC; ``start all`` restarts them."""

    name = "kill"
    stream = "db"
    begins = "kill"
    ends = "start"
    label = "kill"
    color = "#F08A80"
    heal_rank = 2
    maelstrom = LATER

    async def take(self, targets: list[str]) -> list[str]:
        killed = []
        for node in targets:
            host = self.stage.hosts[node]
            if host.up:
                self.stage.net.hold(node)
                await host.kill()
                killed.append(node)
        return killed

    async def bring_back(self) -> list[str]:
        started = []
        for node in self.stage.nodes:
            if not self.stage.hosts[node].up:
                await self.stage.restart(node)
                started.append(node)
        return started
