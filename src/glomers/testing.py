"""Drive a node in memory, for unit tests of node programs.

``MemoryTransport`` stands in for Maelstrom around one ``Node``: it sends the
node messages, collects what the node sends, answers requests addressed to fake
services, and lets a test await the reply to a request::

    async def test_echo():
        node = build_echo_node()
        async with MemoryTransport(node) as net:
            reply = await net.request({"type": "echo", "echo": "hi"})
            assert reply == {"type": "echo_ok", "echo": "hi", "in_reply_to": 2}

Everything passes through the same JSON lines as on stdin/stdout, so the node
under test runs exactly as it would under Maelstrom.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from types import TracebackType

import msgspec

from glomers.node import Body, Node

__all__ = ["MemoryTransport", "Service"]

#: A fake service: gets ``(src, body)`` of a request, returns the reply body or
#: None to leave it unanswered (as a lost message would).
Service = Callable[[str, Body], Body | None]

_encode = msgspec.json.encode
_decode = msgspec.json.Decoder().decode


class MemoryTransport:
    """A node in this process, wired to memory instead of stdin/stdout.

    ``services`` maps a destination name (``"seq-kv"``, or a peer such as
    ``"n1"``) to a function that answers the requests the node sends there.
    ``sent`` holds every message the node sent, decoded, in order.
    """

    def __init__(
        self,
        node: Node,
        *,
        node_id: str = "n0",
        node_ids: list[str] | None = None,
        services: dict[str, Service] | None = None,
    ) -> None:
        self.node = node
        self.node_id = node_id
        self.node_ids = node_ids if node_ids is not None else [node_id]
        self.services = services or {}
        self.sent: list[Body] = []
        self._waiting: dict[tuple[str, int], asyncio.Future[Body]] = {}
        self._msg_ids = itertools.count(1)
        self._arrived = asyncio.Event()

    async def __aenter__(self) -> MemoryTransport:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> Body:
        """Attach the node and initialise it; returns its answer to ``init``."""
        self.node._attach(self._receive)
        return await self.request(
            {"type": "init", "node_id": self.node_id, "node_ids": self.node_ids}, src="c0"
        )

    def deliver(self, body: Body, *, src: str = "c1", dest: str | None = None) -> None:
        """Hand the node a message (no msg_id is added)."""
        message = {"src": src, "dest": dest or self.node_id, "body": body}
        self.node._feed(_encode(message))

    def deliver_line(self, line: bytes | str) -> None:
        """Hand the node one raw input line, well-formed or not."""
        self.node._feed(line)

    async def request(self, body: Body, *, src: str = "c1", timeout: float = 5.0) -> Body:
        """Send ``body`` with a fresh msg_id from ``src``; return the node's reply."""
        msg_id = next(self._msg_ids)
        fut: asyncio.Future[Body] = asyncio.get_running_loop().create_future()
        self._waiting[(src, msg_id)] = fut
        self.deliver({**body, "msg_id": msg_id}, src=src)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._waiting.pop((src, msg_id), None)

    async def wait_for(self, match: Callable[[Body], bool], timeout: float = 5.0) -> Body:
        """The first message sent by the node (so far or from now) that ``match``es."""

        async def scan() -> Body:
            seen = 0
            while True:
                for message in self.sent[seen:]:
                    if match(message):
                        return message
                seen = len(self.sent)
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(scan(), timeout)

    def sent_to(self, dest: str) -> list[Body]:
        """The bodies of every message the node sent to ``dest``."""
        return [m["body"] for m in self.sent if m["dest"] == dest]

    async def close(self) -> None:
        """End the node's input, as stdin closing would."""
        await self.node._close()

    def _receive(self, data: bytes) -> None:
        for line in data.splitlines():
            message = _decode(line)
            self.sent.append(message)
            self._route(message)
        self._arrived.set()

    def _route(self, message: Body) -> None:
        dest, body = message["dest"], message["body"]
        in_reply_to = body.get("in_reply_to")
        if in_reply_to is not None:
            fut = self._waiting.get((dest, in_reply_to))
            if fut is not None and not fut.done():
                fut.set_result(body)
            return
        service = self.services.get(dest)
        if service is None:
            return
        answer = service(message["src"], body)
        if answer is not None and "msg_id" in body:
            reply = {**answer, "in_reply_to": body["msg_id"]}
            # Answer on a later loop turn, as a real network would.
            asyncio.get_running_loop().call_soon(lambda: self.deliver(reply, src=dest))
