"""Clients: the bench's own endpoints that send requests to nodes.

As in Maelstrom, a client has an id ``c<N>`` (a new one for every client opened,
including those that send ``init``), sends one request at a time and waits for
the reply whose ``in_reply_to`` matches, ignoring replies to requests it gave up
on. Error replies raise ``ClientError`` with Maelstrom's definite flag.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from glomers.bench.clock import LoopClock
from glomers.bench.net import Message, Network
from glomers.errors import ErrorCode, code_label, is_definite

#: How long a workload client waits for a reply, in seconds (Maelstrom's default).
DEFAULT_TIMEOUT = 5.0


class ClientTimeout(Exception):
    """No reply in time: the request may or may not have taken effect."""

    definite = False


class ClientError(Exception):
    """The node answered with an ``error`` body."""

    def __init__(self, body: dict[str, Any]) -> None:
        code = body.get("code")
        self.code = code if isinstance(code, int) and not isinstance(code, bool) else 13
        self.text = body.get("text") if isinstance(body.get("text"), str) else ""
        self.body = body
        self.definite = is_definite(self.code)
        super().__init__(f"{code_label(self.code)} (code {self.code}): {self.text}")

    @property
    def label(self) -> str:
        """Maelstrom's name for the code; it calls every code it does not define ``unknown``."""
        try:
            return ErrorCode(self.code).label
        except ValueError:
            return "unknown"


class ClientIds:
    """Hands out client ids c0, c1, ... in order of opening."""

    def __init__(self) -> None:
        self._next = itertools.count()

    def new(self) -> str:
        return f"c{next(self._next)}"


class Client:
    """One open client endpoint in the network."""

    def __init__(self, net: Network, clock: LoopClock, client_id: str) -> None:
        self.net = net
        self.clock = clock
        self.id = client_id
        self._msg_ids = itertools.count(1)
        self._waiting: tuple[int, asyncio.Future[Message]] | None = None
        net.add(client_id, self._deliver)

    def close(self) -> None:
        self.net.remove(self.id)
        if self._waiting is not None and not self._waiting[1].done():
            self._waiting[1].cancel()

    async def rpc(
        self, dest: str, body: dict[str, Any], timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """Send ``body`` to ``dest`` and return the reply body.

        Raises ``ClientTimeout`` after ``timeout`` seconds without a reply and
        ``ClientError`` for an error reply.
        """
        if self._waiting is not None:
            raise RuntimeError(f"client {self.id} already has a request in flight")
        msg_id = next(self._msg_ids)
        fut: asyncio.Future[Message] = self.clock.loop.create_future()
        self._waiting = (msg_id, fut)

        def expire() -> None:
            if not fut.done():
                fut.set_exception(ClientTimeout())

        timer = self.clock.call_later(timeout, expire)
        try:
            self.net.send({"src": self.id, "dest": dest, "body": {**body, "msg_id": msg_id}})
            reply = await fut
        finally:
            timer.cancel()
            self._waiting = None
        reply_body: dict[str, Any] = reply["body"]
        if reply_body.get("type") == "error":
            raise ClientError(reply_body)
        return reply_body

    def _deliver(self, message: Message) -> None:
        waiting = self._waiting
        if waiting is None:
            return
        msg_id, fut = waiting
        reply_to = message["body"].get("in_reply_to")
        # Exactly the integer sent: `true` or `1.0` answer nothing, as in Maelstrom.
        if type(reply_to) is int and reply_to == msg_id and not fut.done():
            fut.set_result(message)
