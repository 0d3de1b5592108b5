"""The simulated network every message of a test goes through, as Maelstrom's.

Nodes, clients and services are endpoints with string ids. ``send`` gives each
message the next network-wide id (delivered as the message's top-level ``id``,
as Maelstrom writes it) and a deadline: now plus a latency drawn from
``--latency`` M and ``--latency-dist`` -- M itself, an integer uniform on
[0, 2M - 1], or an exponential of mean M, in whole milliseconds -- and zero
for messages to or from a client.

Every receiver has its own queue ordered by deadline and takes one message at
a time: the earliest present when it looks, which it drops at once if it holds
a grudge against the sender (a partition, decided when the message is taken,
not at its deadline), or else waits for until its deadline. Messages that
arrive meanwhile with earlier deadlines wait behind it (head-of-line blocking);
at constant latency a receiver sees messages in send order.

A receiver can be held (a node killed or paused): it takes nothing, and its
queue keeps at most ``HELD_LIMIT`` messages, more being dropped like lost
ones; releasing it drains what was kept. ``admit`` lets chosen messages past a
hold (a restarted node's ``init``).

Two switches Maelstrom's CLI lacks, ``loss`` and ``slow``, drop a fraction of
the messages between non-clients and multiply drawn latencies by ten before
truncation.

The network runs on an injected ``Clock`` (``glomers.bench.clock``); it never
reads the time itself and uses one timer per receiver at most. Every send and
delivery is counted (``stats``) and, when a journal is attached, recorded.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from glomers.bench.clock import Clock, Timer

log = logging.getLogger("glomers.bench.net")

Message = dict[str, Any]
LatencyDist = Literal["constant", "uniform", "exponential"]
LATENCY_DISTS: tuple[LatencyDist, ...] = ("constant", "uniform", "exponential")


class UnknownNode(Exception):
    """A message was sent to (or claims to come from) an id the network does not know."""


def is_client_id(node_id: str) -> bool:
    """Client ids start with ``c`` (Maelstrom's convention); ``history.is_client``
    tells client operations from the nemesis's."""
    return node_id.startswith("c")


@dataclass(slots=True)
class Latency:
    """The latency of node-to-node messages: mean in milliseconds and a shape."""

    mean: float = 0.0
    dist: LatencyDist = "constant"

    def draw(self, rng: random.Random, factor: float = 1.0) -> float:
        """One latency in milliseconds, times ``factor``, truncated to a whole number."""
        if self.mean <= 0:
            return 0.0
        if self.dist == "constant":
            return float(int(self.mean * factor))
        if self.dist == "uniform":
            # An integer uniform on [0, 2M - 1], whose mean is M - 0.5.
            return float(int(rng.randrange(max(1, int(2 * self.mean))) * factor))
        return float(int(rng.expovariate(1.0 / self.mean) * factor))

    def problem(self) -> str | None:
        """Why Maelstrom could not run with this latency, if it could not."""
        if self.mean <= 0 and self.dist != "constant":
            return (
                f"--latency-dist {self.dist} needs --latency above 0 "
                "(Maelstrom cannot run with a zero mean and a random latency)"
            )
        return None


@dataclass(slots=True)
class Counts:
    """Sends, deliveries and distinct messages in one class of traffic."""

    send_count: int = 0
    recv_count: int = 0
    msg_count: int = 0


@dataclass(slots=True)
class NetStats:
    """Counts for all traffic, traffic involving a client, and the rest (servers)."""

    all: Counts = field(default_factory=Counts)
    clients: Counts = field(default_factory=Counts)
    servers: Counts = field(default_factory=Counts)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            name: {
                "send_count": c.send_count,
                "recv_count": c.recv_count,
                "msg_count": c.msg_count,
            }
            for name, c in (("all", self.all), ("clients", self.clients), ("servers", self.servers))
        }


#: A journal gets ``(event, time, message_id, message)`` with event "send" or "recv".
Journal = Callable[[str, float, int, Message], None]

#: Messages a held (down) receiver keeps; more are dropped.
HELD_LIMIT = 10


class _Inbox:
    """One receiver's queue: messages by deadline, at most one of them being waited on."""

    __slots__ = ("admit", "busy", "deliver", "head", "held", "queue", "timer")

    def __init__(self, deliver: Callable[[Message], None]) -> None:
        self.deliver = deliver
        self.queue: list[tuple[float, int, int, Message]] = []
        #: The message taken from the queue, waiting for its deadline.
        self.head: tuple[float, int, int, Message] | None = None
        self.timer: Timer | None = None
        #: The receiver is down (killed or paused): its queue is bounded and not taken.
        self.held = False
        #: While held, the messages that still go through (a restarted node's init).
        self.admit: Callable[[Message], bool] | None = None
        #: Delivering now: messages sent meanwhile queue up and the loop takes them.
        self.busy = False


class Network:
    """Routes messages between registered endpoints, with latency and faults."""

    def __init__(
        self,
        clock: Clock,
        rng: random.Random,
        latency: Latency | None = None,
        *,
        journal: Journal | None = None,
        log_send: bool = False,
        log_recv: bool = False,
    ) -> None:
        self.clock = clock
        self.rng = rng
        self.latency = latency or Latency()
        self.journal = journal
        self.log_send = log_send
        self.log_recv = log_recv
        self.stats = NetStats()
        #: receiver -> the sources whose messages it drops.
        self.grudges: dict[str, frozenset[str]] = {}
        #: Probability that a message involving no client is lost (the loss fault).
        self.loss = 0.0
        #: Latency multiplied by 10 while set (the slow fault).
        self.slow = False
        self._inboxes: dict[str, _Inbox] = {}
        # Ids that were registered and left (closed clients): late messages to
        # them are legitimate and simply lost, unlike messages to ids never seen.
        self._retired: set[str] = set()
        self._seq = itertools.count()
        self._ids = itertools.count()

    # -- membership ---------------------------------------------------------------

    def add(self, node_id: str, deliver: Callable[[Message], None]) -> None:
        """Register an endpoint; ``deliver`` gets each message addressed to it."""
        self._inboxes[node_id] = _Inbox(deliver)

    def remove(self, node_id: str) -> None:
        inbox = self._inboxes.pop(node_id, None)
        if inbox is not None:
            self._retired.add(node_id)
            if inbox.timer is not None:
                inbox.timer.cancel()

    def registered(self, node_id: str) -> bool:
        """Whether ``node_id`` is registered now (a closed client no longer is)."""
        return node_id in self._inboxes

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._inboxes or node_id in self._retired

    # -- faults --------------------------------------------------------------------

    def partition(self, grudges: dict[str, frozenset[str]]) -> None:
        """Replace the current partition: each receiver drops messages from its grudge."""
        self.grudges = {k: frozenset(v) for k, v in grudges.items() if v}

    def heal(self) -> None:
        """End every partition and the loss and slow faults."""
        self.grudges = {}
        self.loss = 0.0
        self.slow = False

    def hold(self, node_id: str, admit: Callable[[Message], bool] | None = None) -> None:
        """Stop delivering to ``node_id`` (it is down) until ``release``; keep at most
        ``HELD_LIMIT`` of its messages. ``admit`` picks messages that still go through."""
        inbox = self._inboxes[node_id]
        inbox.held = True
        inbox.admit = admit

    def release(self, node_id: str) -> None:
        """Deliver to ``node_id`` again, starting with what it was kept while held."""
        inbox = self._inboxes.get(node_id)
        if inbox is None or not inbox.held:
            return
        inbox.held = False
        inbox.admit = None
        self._pump(inbox)

    def held(self, node_id: str) -> bool:
        inbox = self._inboxes.get(node_id)
        return inbox is not None and inbox.held

    # -- traffic -------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Put ``message`` (with ``src``, ``dest``, ``body``) on the wire."""
        src, dest = message["src"], message["dest"]
        inbox = self._inboxes.get(dest)
        if inbox is None and dest not in self._retired:
            raise UnknownNode(f"no node {dest!r} in the network")
        if src not in self._inboxes and src not in self._retired:
            raise UnknownNode(f"no node {src!r} in the network (the message's src)")
        msg_id = next(self._ids)
        wire: Message = {"id": msg_id, "src": src, "dest": dest, "body": message["body"]}
        now = self.clock.now()
        client = is_client_id(src) or is_client_id(dest)
        self._count(client, sent=True)
        if self.journal is not None:
            self.journal("send", now, msg_id, wire)
        if self.log_send:
            log.info("send %s", wire)
        if client:
            deadline = now
        else:
            deadline = now + self.latency.draw(self.rng, 10.0 if self.slow else 1.0) / 1000.0
            if self.loss and self.rng.random() < self.loss:
                return
        if inbox is None:
            return  # the receiver left (a client that gave up)
        idle = inbox.head is None and not inbox.queue and not inbox.busy and not inbox.held
        if idle and deadline <= now:
            # An idle receiver takes a message due now at once: the common case.
            grudge = self.grudges.get(dest) if self.grudges else None
            if grudge is None or src not in grudge:
                inbox.busy = True
                try:
                    self._deliver(inbox, msg_id, wire, now)
                finally:
                    inbox.busy = False
                if inbox.queue:
                    self._pump(inbox)
            return
        item = (deadline, next(self._seq), msg_id, wire)
        if inbox.held:
            if inbox.admit is not None and inbox.admit(wire):
                self._admitted(inbox, item)
            elif len(inbox.queue) + (inbox.head is not None) < HELD_LIMIT:
                # The message on its way when the receiver went down counts too.
                heapq.heappush(inbox.queue, item)
            return
        heapq.heappush(inbox.queue, item)
        if inbox.head is None and not inbox.busy:
            self._pump(inbox)

    def pending(self) -> int:
        """Messages sent and not yet delivered or dropped."""
        return sum(len(i.queue) + (i.head is not None) for i in self._inboxes.values())

    def _count(self, client: bool, *, sent: bool) -> None:
        for counts in (self.stats.all, self.stats.clients if client else self.stats.servers):
            if sent:
                counts.send_count += 1
                counts.msg_count += 1
            else:
                counts.recv_count += 1

    def _pump(self, inbox: _Inbox) -> None:
        """The receiver's loop: take the earliest message; drop it, deliver it, or wait."""
        if inbox.busy or inbox.head is not None:
            return
        inbox.busy = True
        try:
            queue = inbox.queue
            grudges = self.grudges
            while queue and not inbox.held:
                item = heapq.heappop(queue)
                deadline, _, msg_id, wire = item
                if grudges:
                    grudge = grudges.get(wire["dest"])
                    if grudge is not None and wire["src"] in grudge:
                        continue
                now = self.clock.now()
                if deadline > now:
                    inbox.head = item
                    inbox.timer = self.clock.call_at(deadline, partial(self._due, inbox))
                    return
                self._deliver(inbox, msg_id, wire, now)
                grudges = self.grudges
        finally:
            inbox.busy = False

    def _due(self, inbox: _Inbox) -> None:
        item, inbox.head, inbox.timer = inbox.head, None, None
        if item is None:
            return
        if inbox.held:
            # It went down while the message was on its way: keep it for later
            # (the limit kept room for it).
            heapq.heappush(inbox.queue, item)
            return
        inbox.busy = True
        try:
            self._deliver(inbox, item[2], item[3], self.clock.now())
        finally:
            inbox.busy = False
        self._pump(inbox)

    def _admitted(self, inbox: _Inbox, item: tuple[float, int, int, Message]) -> None:
        deadline, _, msg_id, wire = item
        if deadline <= self.clock.now():
            self._deliver(inbox, msg_id, wire, deadline)
            return

        def arrive() -> None:
            if self._inboxes.get(wire["dest"]) is inbox:
                self._deliver(inbox, msg_id, wire, self.clock.now())

        self.clock.call_at(deadline, arrive)

    def _deliver(self, inbox: _Inbox, msg_id: int, message: Message, now: float) -> None:
        self._count(is_client_id(message["src"]) or is_client_id(message["dest"]), sent=False)
        if self.journal is not None:
            self.journal("recv", now, msg_id, message)
        if self.log_recv:
            log.info("recv %s", message)
        inbox.deliver(message)
