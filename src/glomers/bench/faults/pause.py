"""``pause``: Jepsen's db package, as Maelstrom uses it, pausing nodes.

``pause SPEC`` alternates with ``resume all``. While a node is paused the
network holds its queue (at most ten messages); a resumed node drains it.
Killing a paused node ends its pause.
Pause shares its stream with kill: with both enabled each operation advances
one of the two alternations, picked at random.
"""

from __future__ import annotations

from glomers.bench.faults.base import LATER, HostFault
from glomers.bench.faults.kill import Kill


class Pause(HostFault):
    """Pauses the nodes of a SPEC; ``resume all`` resumes them."""

    name = "pause"
    stream = Kill.stream
    begins = "pause"
    ends = "resume"
    label = "pause"
    color = "#B89AE0"
    heal_rank = 1
    pauses_hosts = True
    # A killed node is paused no longer.
    ended_by = (Kill.name,)
    maelstrom = LATER

    async def take(self, targets: list[str]) -> list[str]:
        paused = []
        for node in targets:
            host = self.stage.hosts[node]
            if host.up and not host.paused:
                self.stage.net.hold(node)
                host.pause()
                paused.append(node)
        return paused

    async def bring_back(self) -> list[str]:
        resumed = []
        for node in self.stage.nodes:
            host = self.stage.hosts[node]
            if host.paused:
                host.resume()
                if host.up:
                    self.stage.net.release(node)
                resumed.append(node)
        return resumed
