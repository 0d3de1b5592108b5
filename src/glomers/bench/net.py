"""The simulated network every message of a test goes through.

Nodes, clients and services are endpoints with string ids. ``send`` gives each
message an id and a latency, drawn from ``--latency`` and ``--latency-dist``
(zero for messages to or from a client, which stand beside the nodes), and
queues it by its deadline; messages are therefore delivered out of order when
latencies differ. At delivery the receiver's grudge is consulted: a receiver
drops messages from the sources it holds a grudge against (a partition). Two
more switches, ``loss`` and ``slow``, drop a fraction of the messages between
non-clients and multiply latencies by ten.

The network runs on an injected ``Clock``; it never reads the time itself.
Every send and delivery is counted (``stats``) and, when a journal is attached,
recorded.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

log = logging.getLogger("glomers.bench.net")

Message = dict[str, Any]
LatencyDist = Literal["constant", "uniform", "exponential"]
LATENCY_DISTS: tuple[LatencyDist, ...] = ("constant", "uniform", "exponential")


class Clock(Protocol):
    """Time for the bench core: seconds on some monotonic scale, and timers."""

    def now(self) -> float: ...

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer: ...


class Timer(Protocol):
    def cancel(self) -> None: ...


class UnknownNode(Exception):
    """A message was sent to (or claims to come from) an id the network does not know."""


def is_client(node_id: str) -> bool:
    """Client ids start with ``c`` (Maelstrom's convention)."""
    return node_id.startswith("c")


def involves_client(message: Message) -> bool:
    return is_client(message["src"]) or is_client(message["dest"])


@dataclass(slots=True)
class Latency:
    """The latency of node-to-node messages: mean in milliseconds and a shape."""

    mean: float = 0.0
    dist: LatencyDist = "constant"

    def draw(self, rng: random.Random) -> float:
        """One latency in milliseconds, truncated to a whole number as Maelstrom does."""
        if self.mean <= 0:
            return 0.0
        if self.dist == "constant":
            return float(int(self.mean))
        if self.dist == "uniform":
            return float(rng.randint(0, int(2 * self.mean)))
        return float(int(rng.expovariate(1.0 / self.mean)))


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
        self._endpoints: dict[str, Callable[[Message], None]] = {}
        # Ids that were registered and left (closed clients): late messages to
        # them are legitimate and simply lost, unlike messages to ids never seen.
        self._retired: set[str] = set()
        self._queue: list[tuple[float, int, int, Message]] = []
        self._seq = itertools.count()
        self._ids = itertools.count()
        self._timer: Timer | None = None
        self._timer_at = float("inf")

    # -- membership ---------------------------------------------------------------

    def add(self, node_id: str, deliver: Callable[[Message], None]) -> None:
        """Register an endpoint; ``deliver`` gets each message addressed to it."""
        self._endpoints[node_id] = deliver

    def remove(self, node_id: str) -> None:
        if self._endpoints.pop(node_id, None) is not None:
            self._retired.add(node_id)

    def registered(self, node_id: str) -> bool:
        """Whether ``node_id`` is registered now (a closed client no longer is)."""
        return node_id in self._endpoints

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._endpoints or node_id in self._retired

    # -- faults --------------------------------------------------------------------

    def partition(self, grudges: dict[str, frozenset[str]]) -> None:
        """Replace the current partition: each receiver drops messages from its grudge."""
        self.grudges = {k: frozenset(v) for k, v in grudges.items() if v}

    def heal(self) -> None:
        """End every partition and the loss and slow faults."""
        self.grudges = {}
        self.loss = 0.0
        self.slow = False

    # -- traffic -------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Put ``message`` (with ``src``, ``dest``, ``body``) on the wire."""
        src, dest = message["src"], message["dest"]
        if dest not in self._endpoints and dest not in self._retired:
            raise UnknownNode(f"no node {dest!r} in the network")
        if src not in self._endpoints and src not in self._retired:
            raise UnknownNode(f"no node {src!r} in the network (the message's src)")
        msg_id = next(self._ids)
        now = self.clock.now()
        client = is_client(src) or is_client(dest)
        self._count(client, sent=True)
        if self.journal is not None:
            self.journal("send", now, msg_id, message)
        if self.log_send:
            log.info("send %s", message)
        if client:
            delay = 0.0
        else:
            if self.loss and self.rng.random() < self.loss:
                return
            delay = self.latency.draw(self.rng) / 1000.0
            if self.slow:
                delay *= 10
        if delay == 0 and (not self._queue or self._queue[0][0] > now):
            # Nothing is due before it: deliver now rather than a loop turn later.
            self._deliver(msg_id, message, now)
            return
        deadline = now + delay
        heapq.heappush(self._queue, (deadline, next(self._seq), msg_id, message))
        if deadline < self._timer_at:
            self._arm(deadline)

    def pending(self) -> int:
        """Messages sent and not yet delivered or dropped."""
        return len(self._queue)

    def _count(self, client: bool, *, sent: bool) -> None:
        for counts in (self.stats.all, self.stats.clients if client else self.stats.servers):
            if sent:
                counts.send_count += 1
                counts.msg_count += 1
            else:
                counts.recv_count += 1

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.clock.call_at(when, self._deliver_due)

    def _deliver_due(self) -> None:
        self._timer = None
        self._timer_at = float("inf")
        queue = self._queue
        now = self.clock.now()
        while queue and queue[0][0] <= now:
            _, _, msg_id, message = heapq.heappop(queue)
            self._deliver(msg_id, message, now)
        if queue:
            self._arm(queue[0][0])

    def _deliver(self, msg_id: int, message: Message, now: float) -> None:
        src, dest = message["src"], message["dest"]
        grudge = self.grudges.get(dest)
        if grudge is not None and src in grudge:
            return
        deliver = self._endpoints.get(dest)
        if deliver is None:
            # The receiver left (a client that gave up, a node being restarted).
            return
        self._count(is_client(src) or is_client(dest), sent=False)
        if self.journal is not None:
            self.journal("recv", now, msg_id, message)
        if self.log_recv:
            log.info("recv %s", message)
        deliver(message)
