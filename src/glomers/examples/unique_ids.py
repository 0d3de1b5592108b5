"""A unique-id node that needs no coordination, and survives partitions and restarts.

An id is ``<node id>-<incarnation>-<count>``: no other node uses this node's
id; the incarnation, 64 random bits drawn when the process starts, tells this
run of the node from any earlier one (a restart starts counting afresh); the
count never repeats within a run. So every id is new without a single message
between nodes, and a partition changes nothing.
::

    python -m glomers.examples.unique_ids
"""

from __future__ import annotations

import itertools

from glomers import Body, Node, Request


def build() -> Node:
    """The unique-ids node, ready to run."""
    node = Node()
    incarnation = f"{node.random.getrandbits(64):016x}"
    count = itertools.count()

    @node.handler("generate")
    def generate(req: Request[Body]) -> Body:
        return {"type": "generate_ok", "id": f"{node.node_id}-{incarnation}-{next(count)}"}

    return node


def main() -> None:
    """Serve unique-ids on stdin/stdout."""
    build().run()


if __name__ == "__main__":
    main()
