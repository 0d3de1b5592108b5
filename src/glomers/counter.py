"""A stateless counter on seq-kv for Maelstrom's g-counter and pn-counter workloads.

Each node owns the seq-kv key ``counter-<node id>`` holding ``[version, total]``
of the adds it accepted. Only that node changes it, one compare-and-swap at a
time, and the version grows by one with every change, so a value is never
written twice and a compare-and-swap whose answer was lost can be resolved
exactly by reading the key again. A read sums every node's key after a fresh
read barrier (a write of a value unique to the request, which moves this
node's seq-kv view to the latest state).

Run it as ``python -m glomers.counter`` (``--pn`` allows negative deltas).
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from typing import Any

import msgspec

from glomers import (
    Body,
    KeyDoesNotExist,
    MalformedRequest,
    Node,
    PreconditionFailed,
    Request,
    RPCError,
    SeqKV,
)


class Add(msgspec.Struct):
    """An add request: an integer ``delta``."""

    delta: int


Versioned = tuple[int, int]  # (version, total)


def _parse(value: Any) -> Versioned:
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):
        return value[0], value[1]
    raise TypeError(f"counter key holds {value!r}, not [version, total]")


class Counter:
    """The counter's logic on one node."""

    def __init__(self, node: Node, *, allow_negative: bool = False) -> None:
        self.node = node
        self.kv = SeqKV(node)
        self.allow_negative = allow_negative
        self.lock = asyncio.Lock()
        self.own: Versioned | None = None  # our key as last confirmed
        self.seen: dict[str, Versioned] = {}  # newest version read of each key
        self.nonce = itertools.count()

    def key(self, node_id: str) -> str:
        return f"counter-{node_id}"

    async def barrier(self) -> None:
        """Make the next reads see every change made before this call."""
        token = f"{self.node.node_id}-{next(self.nonce)}"
        await self.retry(lambda: self.kv.write(f"barrier-{self.node.node_id}", token))

    async def retry(self, op: Any) -> Any:
        while True:
            try:
                return await op()
            except RPCError as exc:
                if exc.definite:
                    raise
                # A timeout: the service may be unreachable for a while.

    async def fresh(self, node_id: str) -> Versioned:
        """The newest value of ``node_id``'s key that this node can know of."""
        try:
            value = _parse(await self.retry(lambda: self.kv.read(self.key(node_id))))
        except KeyDoesNotExist:
            value = (0, 0)
        best = max(self.seen.get(node_id, (0, 0)), value)
        self.seen[node_id] = best
        return best

    async def add(self, delta: int) -> None:
        if delta < 0 and not self.allow_negative:
            raise MalformedRequest(f"delta must not be negative in a g-counter, got {delta}")
        if delta == 0:
            return
        async with self.lock:
            if self.own is None:
                await self.barrier()
                self.own = await self.fresh(self.node.node_id)
            while True:
                version, total = self.own
                new = (version + 1, total + delta)
                try:
                    await self.kv.cas(
                        self.key(self.node.node_id),
                        list(self.own),
                        list(new),
                        create_if_not_exists=self.own == (0, 0),
                    )
                except PreconditionFailed:
                    # Stale view or a spurious seq-kv failure: it did not apply.
                    await self.barrier()
                    self.own = await self.fresh(self.node.node_id)
                    continue
                except RPCError as exc:
                    if exc.definite:
                        raise
                    # Unknown outcome: our key says whether this version was written.
                    await self.barrier()
                    self.own = await self.fresh(self.node.node_id)
                    if self.own >= new:
                        return
                    continue
                self.own = new
                self.seen[self.node.node_id] = max(self.seen.get(self.node.node_id, new), new)
                return

    async def read(self) -> int:
        await self.barrier()
        values = await asyncio.gather(*(self.fresh(n) for n in self.node.node_ids))
        return sum(total for _, total in values)


def build(*, allow_negative: bool = False) -> Node:
    """A counter node, ready to run."""
    node = Node()
    counter = Counter(node, allow_negative=allow_negative)

    @node.handler("add", Add)
    async def add(req: Request[Add]) -> Body:
        await counter.add(req.body.delta)
        return {"type": "add_ok"}

    @node.handler("read")
    async def read(req: Request[Body]) -> Body:
        return {"type": "read_ok", "value": await counter.read()}

    return node


def main() -> None:
    """Serve the counter on stdin/stdout."""
    build(allow_negative="--pn" in sys.argv[1:]).run()


if __name__ == "__main__":
    main()
