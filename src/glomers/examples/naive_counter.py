"""The textbook counter on seq-kv, kept as the point of comparison.

Each node owns the key ``counter-<node id>``. An add reads that key and
compare-and-swaps it to the value read plus the delta, retrying until the swap
succeeds; a read sums every node's key, one read after another. It is the
design most first solutions to the challenge arrive at, written plainly.

Its known holes (see docs/counter.md): seq-kv reads may be stale, so final reads
can miss adds; a retry after a lost reply can count an add twice; an add costs
two round trips and a read one per node.

    python -m glomers.examples.naive_counter [--pn]
"""

from __future__ import annotations

import sys

import msgspec

from glomers import Body, MalformedRequest, Node, PreconditionFailed, Request, SeqKV, Timeout


class Add(msgspec.Struct):
    """An add request: an integer ``delta``."""

    delta: int


def build(*, allow_negative: bool = False) -> Node:
    """The textbook counter node."""
    node = Node()
    kv = SeqKV(node)

    @node.handler("add", Add)
    async def add(req: Request[Add]) -> Body:
        delta = req.body.delta
        if delta < 0 and not allow_negative:
            raise MalformedRequest(f"a g-counter only grows: delta {delta} is negative")
        key = f"counter-{node.node_id}"
        while True:
            try:
                value = await kv.read_int(key, 0)
                await kv.cas(key, value, value + delta, create_if_not_exists=True)
                return {"type": "add_ok"}
            except (PreconditionFailed, Timeout):
                continue

    @node.handler("read")
    async def read(req: Request[Body]) -> Body:
        total = 0
        for peer in node.node_ids:
            total += await kv.read_int(f"counter-{peer}", 0)
        return {"type": "read_ok", "value": total}

    return node


if __name__ == "__main__":
    build(allow_negative="--pn" in sys.argv[1:]).run()
