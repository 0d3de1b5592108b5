"""A broadcast node that is fault-tolerant and frugal with messages.

Each message a client broadcasts is acknowledged at once and sent to every
other node in batches (``examples.gossip``): one ``gossip`` per peer per period
with everything that peer has not acknowledged, resent until it is. So a
message reaches every node about one period plus one hop after it is
broadcast, and partitions only delay it. The suggested topology is not needed
(every node talks to every other directly) and is acknowledged and ignored.
It keeps everything in memory, as challenge 3 allows: under the bench's
``kill`` fault (beyond the challenge) a node comes back empty, and what only
it knew is lost.
::

    python -m glomers.examples.broadcast
"""

from __future__ import annotations

from typing import Any

import msgspec

from glomers import Body, Node, Request
from glomers.examples.gossip import PERIOD, Gossip


class Broadcast(msgspec.Struct):
    """A message to broadcast: any JSON value."""

    message: Any


def build(period: float = PERIOD, first: float | None = None) -> Node:
    """The broadcast node, ready to run; its first round of gossip ``first``
    seconds after init (default: one period)."""
    node = Node()
    gossip = Gossip(node, period, first)

    @node.handler("topology")
    def topology(req: Request[Body]) -> Body:
        return {"type": "topology_ok"}

    @node.handler("broadcast", Broadcast)
    def broadcast(req: Request[Broadcast]) -> Body:
        gossip.add(req.body.message)
        return {"type": "broadcast_ok"}

    @node.handler("read")
    def read(req: Request[Body]) -> Body:
        return {"type": "read_ok", "messages": gossip.values()}

    return node


def main() -> None:
    """Serve broadcast on stdin/stdout."""
    build().run()


if __name__ == "__main__":
    main()
