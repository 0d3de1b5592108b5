"""The requests a node has sent and not yet seen answered.

``Calls`` numbers each request, arms its timeout, sends a retried one again
each time the round-trip estimate for its destination runs out, and hands the
first reply (or the timeout) to whoever asked. Every reply feeds the estimate.
A ``Node`` owns one and sends its requests through it; this module never
touches the wire: the node gives it a function that emits a body.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from glomers.rtt import RoundTrips

#: What to do with the answer: the reply body (None when time ran out) and its sender.
Settle = Callable[[dict[str, Any] | None, str], None]

#: Copies of one retried request kept waiting for a reply; older ones are forgotten.
MAX_COPIES = 8


@dataclass(slots=True)
class Pending:
    """A request sent and not yet answered: what to do with its reply."""

    settle: Settle
    timer: asyncio.TimerHandle | None
    dest: str
    sent: float


@dataclass(eq=False, slots=True)
class Copies:
    """A request sent again and again until one copy is answered or time runs out."""

    ids: list[int] = field(default_factory=list)
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    done: bool = False


class Calls:
    """One node's outstanding requests, by msg_id."""

    def __init__(self, emit: Callable[[str, Mapping[str, Any]], None]) -> None:
        self._emit = emit
        self.pending: dict[int, Pending] = {}
        #: Round-trip estimates per destination, from every reply.
        self.round_trips = RoundTrips()
        self._next_id = itertools.count(1).__next__
        self._closed = False

    def send(
        self,
        loop: asyncio.AbstractEventLoop,
        dest: str,
        body: Mapping[str, Any],
        settle: Settle,
        timeout: float | None,
    ) -> int:
        """Send ``body`` once; ``settle`` gets the reply, or None after ``timeout``."""
        msg_id = self._issue(loop, dest, body, settle)
        if timeout is not None:
            self.pending[msg_id].timer = loop.call_later(timeout, self._expire, msg_id)
        return msg_id

    def send_retrying(
        self,
        loop: asyncio.AbstractEventLoop,
        dest: str,
        body: Mapping[str, Any],
        settle: Settle,
        timeout: float | None,
    ) -> Copies:
        """Send ``body`` and copies of it, each once the estimate for ``dest`` (doubled
        per copy) runs out, until a reply to any copy or ``timeout`` settles it."""
        copies = Copies()

        def answer(reply: dict[str, Any] | None, src: str) -> None:
            if copies.done:
                return
            self.stop(copies)
            settle(reply, src)

        def again() -> None:
            if copies.done or self._closed:
                return
            copies.ids.append(self._issue(loop, dest, body, answer))
            if len(copies.ids) > MAX_COPIES:
                self.pending.pop(copies.ids[-MAX_COPIES - 1], None)
            wait = self.round_trips.timeout(dest, len(copies.ids) - 1)
            copies.timers.append(loop.call_later(wait, again))

        if timeout is not None:
            copies.timers.append(loop.call_later(timeout, answer, None, ""))
        again()
        return copies

    def _issue(
        self, loop: asyncio.AbstractEventLoop, dest: str, body: Mapping[str, Any], settle: Settle
    ) -> int:
        """Number ``body``, send it, and wait for its answer: its msg_id."""
        msg_id = self._next_id()
        self._emit(dest, {**body, "msg_id": msg_id})
        self.pending[msg_id] = Pending(settle, None, dest, loop.time())
        return msg_id

    def answer(
        self, in_reply_to: object, body: dict[str, Any], src: str, now: float | None
    ) -> None:
        """A reply came: settle the request it answers, if it still waits."""
        pending = self.pending.pop(in_reply_to, None) if type(in_reply_to) is int else None
        if pending is None:
            return  # late, a duplicate, or never ours
        if pending.timer is not None:
            pending.timer.cancel()
        if now is not None:
            self.round_trips.sample(pending.dest, now - pending.sent)
        pending.settle(body, src)

    def stop(self, copies: Copies) -> None:
        """Send no more copies; a reply to any of them is ignored."""
        copies.done = True
        for timer in copies.timers:
            timer.cancel()
        copies.timers.clear()
        for msg_id in copies.ids:
            self.pending.pop(msg_id, None)

    def forget(self, msg_id: int) -> None:
        """Stop waiting for ``msg_id``: a reply to it is ignored."""
        pending = self.pending.pop(msg_id, None)
        if pending is not None and pending.timer is not None:
            pending.timer.cancel()

    def close(self) -> None:
        """Forget every request; nothing more is sent."""
        self._closed = True
        for msg_id in list(self.pending):
            self.forget(msg_id)

    def _expire(self, msg_id: int) -> None:
        pending = self.pending.pop(msg_id, None)
        if pending is not None:
            pending.settle(None, "")
