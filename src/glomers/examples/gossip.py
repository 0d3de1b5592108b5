"""Batched gossip with acknowledgements: every value a node learns reaches every
other node, through partitions, in about one period.

A node's ``Gossip`` keeps, per peer, the values that peer has not acknowledged.
Every ``period`` seconds it sends each peer with something pending one
``gossip {messages}`` carrying all of it, straight to the peer (one hop), and
forgets what the ``gossip_ok`` acknowledges. Nothing is ever dropped: what a
partition or a lost message kept from a peer goes again at the next period,
so values reach everyone once the network heals. Values a node hears by gossip
are not passed on, since their origin sends them to everyone itself; batching
is what keeps messages few (about 2 per peer per period, however many values).
"""

from __future__ import annotations

from typing import Any

import msgspec

from glomers import Body, Node, Request

#: Seconds between two rounds of gossip.
PERIOD = 0.6


class Gossiped(msgspec.Struct):
    """A batch of values from a peer."""

    messages: list[Any]


def _key(value: Any) -> bytes:
    # Values are any JSON, lists and objects too: their encoding is hashable,
    # and 1 and 1.0 stay two values, as a checker sees them.
    return msgspec.json.encode(value)


class Gossip:
    """The values this node knows, shared with every other node."""

    def __init__(self, node: Node, period: float = PERIOD, first: float | None = None) -> None:
        self.node = node
        #: Every value known here, by its JSON encoding, in the order it was learnt.
        self.known: dict[bytes, Any] = {}
        # Per peer, the values it has not acknowledged, in the order they were
        # learnt (a dict, not a set: batches must not follow hash order, which
        # changes from process to process, so that a seeded run replays).
        self._pending: dict[str, dict[bytes, None]] = {}
        self._sending: set[str] = set()
        self.period = period

        @node.on_init
        def peers() -> None:
            self._pending = {p: {} for p in node.node_ids if p != node.node_id}

        @node.handler("gossip", Gossiped)
        def receive(req: Request[Gossiped]) -> Body:
            for value in req.body.messages:
                self.known.setdefault(_key(value), value)
            return {"type": "gossip_ok"}

        # ``first``: seconds from init to the first round (default: one period).
        node.every(period, self._round, first=first)

    def values(self) -> list[Any]:
        """Every value known here, in the order it was learnt."""
        return list(self.known.values())

    def add(self, value: Any) -> None:
        """Learn ``value`` and send it to every other node (if it is new here)."""
        key = _key(value)
        if key in self.known:
            return
        self.known[key] = value
        for pending in self._pending.values():
            pending[key] = None

    def _round(self) -> None:
        for peer, pending in self._pending.items():
            if pending and peer not in self._sending:
                self._sending.add(peer)
                self.node.spawn(self._push(peer, list(pending)))

    async def _push(self, peer: str, batch: list[bytes]) -> None:
        body = {"type": "gossip", "messages": [self.known[k] for k in batch]}
        try:
            await self.node.rpc(peer, body, timeout=max(1.0, 2 * self.period))
            pending = self._pending[peer]
            for key in batch:
                pending.pop(key, None)
        except Exception:
            pass  # not acknowledged: it all goes again next round
        finally:
            self._sending.discard(peer)
