"""A grow-only set node: adds are acknowledged at once and gossiped to every other node.

The set is a union of what every node was asked to add, so merging is just
adding: each added element goes to every other node in batches
(``examples.gossip``), resent until acknowledged, so partitions only delay it.
::

    python -m glomers.examples.g_set
"""

from __future__ import annotations

from typing import Any

import msgspec

from glomers import Body, Node, Request
from glomers.examples.gossip import PERIOD, Gossip


class Add(msgspec.Struct):
    """An element to add: any JSON value."""

    element: Any


def build(period: float = PERIOD, first: float | None = None) -> Node:
    """The g-set node, ready to run; its first round of gossip ``first`` seconds
    after init (default: one period)."""
    node = Node()
    gossip = Gossip(node, period, first)

    @node.handler("add", Add)
    def add(req: Request[Add]) -> Body:
        gossip.add(req.body.element)
        return {"type": "add_ok"}

    @node.handler("read")
    def read(req: Request[Body]) -> Body:
        return {"type": "read_ok", "value": gossip.values()}

    return node


def main() -> None:
    """Serve g-set on stdin/stdout."""
    build().run()


if __name__ == "__main__":
    main()
