"""A stateless counter on seq-kv for Maelstrom's g-counter and pn-counter workloads.

Each node owns the seq-kv key ``counter-<node id>``; only it changes that key,
and every value it writes is ``[version, total, tag]`` with a version one above
the previous value's and a tag never used before, so no value is ever written
twice. docs/counter.md explains why each step is safe; in short:

- **Adds** join a *slot*: all adds waiting when a slot opens share one
  compare-and-swap from the slot's predecessor value to its own. Up to
  ``window`` slots are in flight at once, each sent as soon as it opens, so an
  add costs one round trip. A slot's adds are acknowledged only once its value
  is known to have reached the key: its compare-and-swap succeeded, a later
  slot's did (it could only apply on top), or a fresh read shows it.
- Anything else (a failure, a timeout) stops new slots; once nothing is in
  flight the node *resyncs*: it reads its key (which shows every value of its
  own that applied) and finds where its chain of values stands; pending slots
  are sent again from there. A failure whose error text names the slot's own
  value is no failure: an earlier copy applied and its reply was lost.
- **Reads** are answered from a view of every node's key no older than
  ``staleness`` seconds. When the view is older, one refresh (a barrier, then
  one read per other node) serves every read that waits for it.
- A **barrier** is a write of a value unique to this node and moment: it moves
  this node's seq-kv view to the latest state, so reads after it see every
  change made before it. A compare-and-swap of ours that succeeded does the
  same, so a refresh soon after one needs no barrier of its own.

Run it as ``python -m glomers.counter`` (``--pn`` allows negative deltas,
``--staleness SECONDS`` bounds how old an answered read may be).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

from glomers import (
    DEFAULT_RPC_TIMEOUT,
    Body,
    KeyDoesNotExist,
    MalformedRequest,
    Node,
    Request,
    RPCError,
    SeqKV,
)

T = TypeVar("T")

log = logging.getLogger("glomers.counter")

#: Default bound on the age of the view a read is answered from, in seconds.
STALENESS = 0.75
#: Compare-and-swaps one node keeps in flight at once.
WINDOW = 4
#: Seconds between a resync that failed and the next try.
RESYNC_RETRY = 0.1
#: Hedged copies of a seq-kv request: this many, this fraction of its timeout apart.
#: With half the messages lost each way a copy gets through one time in four, and
#: 24 copies all fail one time in a thousand.
HEDGE_BURST = 24
HEDGE_SPACING = 0.15


class Add(msgspec.Struct):
    """An add request: an integer ``delta``."""

    delta: int


@dataclass(frozen=True, slots=True)
class Value:
    """What a counter key holds: ``[version, total, tag]``."""

    version: int
    total: int
    tag: str

    def to_json(self) -> list[Any]:
        return [self.version, self.total, self.tag]

    @classmethod
    def parse(cls, raw: Any) -> Value:
        if (
            isinstance(raw, list)
            and len(raw) == 3
            and type(raw[0]) is int
            and type(raw[1]) is int
            and type(raw[2]) is str
        ):
            return cls(raw[0], raw[1], raw[2])
        raise TypeError(f"a counter key holds {raw!r}, not [version, total, tag]")


#: The value of a key nobody has written yet.
MISSING = Value(0, 0, "")


@dataclass(eq=False, slots=True)
class Slot:
    """Adds that share one compare-and-swap, and the value they lead to."""

    delta: int
    waiters: list[asyncio.Future[None]]
    target: Value = MISSING
    in_flight: bool = False
    # Failed while an earlier slot was still unconfirmed: send again once first.
    behind: bool = False


@dataclass(slots=True)
class View:
    """The newest value seen of each node's key, and from when it is known fresh."""

    keys: dict[str, Value] = field(default_factory=dict)
    since: float = float("-inf")

    def see(self, node: str, value: Value) -> None:
        # Versions only grow, so keeping the highest makes reads never go backwards.
        old = self.keys.get(node)
        if old is None or value.version > old.version:
            self.keys[node] = value

    def total(self) -> int:
        return sum(v.total for v in self.keys.values())


class Counter:
    """The counter's logic on one node. ``add`` and ``read`` serve the requests."""

    def __init__(
        self,
        node: Node,
        *,
        allow_negative: bool = False,
        staleness: float = STALENESS,
        window: int = WINDOW,
    ) -> None:
        self.node = node
        self.kv = SeqKV(node)
        # Partitions never cut seq-kv off and extra copies cannot overload it: an
        # unanswered copy is lost to bad luck, so after the first timeout a burst of
        # close copies (hedging) finds a way through soon, and past the burst the
        # wait doubles only once. Other destinations of the node keep the default.
        seq_kv = node.round_trips.estimate(self.kv.service)
        seq_kv.doublings, seq_kv.spacing, seq_kv.burst = 1, HEDGE_SPACING, HEDGE_BURST
        self.allow_negative = allow_negative
        self.staleness = staleness
        self.window = window
        self.confirmed: Value | None = None  # the newest value known to be in our key
        self.slots: deque[Slot] = deque()  # pending, in chain order
        self.waiting: list[tuple[int, asyncio.Future[None]]] = []
        self.view = View()
        self.resync_needed = True
        self._incarnation = f"{node.random.getrandbits(64):016x}"
        self._tags = itertools.count()
        self._resyncing = False
        self._refresh: tuple[float, asyncio.Task[None]] | None = None
        # When we last sent a request that, once answered, moved our seq-kv view
        # to the latest state (a barrier, or a compare-and-swap that succeeded).
        self._fresh_at = float("-inf")

    @property
    def key(self) -> str:
        return f"counter-{self.node.node_id}"

    async def warm_up(self) -> None:
        """Learn where our key stands, stamp it with this process's start (a slot
        that adds nothing), and fill the view before the first request."""
        # The stamp tells a later process of this node, killed before any add,
        # when this one was alive (``_note_alive``).
        self.waiting.append((0, asyncio.get_running_loop().create_future()))
        self._pump()
        await self._refresh_after(0.0)

    # -- adds ---------------------------------------------------------------------

    async def add(self, delta: int) -> None:
        """Count ``delta`` once; returns when it is certainly in seq-kv."""
        if delta < 0 and not self.allow_negative:
            raise MalformedRequest(f"a g-counter only grows: delta {delta} is negative")
        if delta == 0:
            return
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((delta, done))
        self._pump()
        await done

    def _pump(self) -> None:
        """Send what can be sent now, or start a resync once one is due and possible."""
        if self.resync_needed:
            if not self._resyncing and not any(s.in_flight for s in self.slots):
                # Every answer is in, so nothing of ours can land while we look.
                self._resyncing = True
                self.node.spawn(self._resync())
            return
        prev = self.confirmed
        assert prev is not None
        for i, slot in enumerate(self.slots):  # slots a resync or a failure left to send
            if not slot.in_flight and (not slot.behind or i == 0):
                self._send(slot, prev)
            prev = slot.target
        if self.waiting and len(self.slots) < self.window:
            delta = sum(d for d, _ in self.waiting)
            slot = Slot(delta, [f for _, f in self.waiting], self._next(prev, delta))
            self.waiting.clear()
            self.slots.append(slot)
            self._send(slot, prev)

    def _next(self, prev: Value, delta: int) -> Value:
        # The tag also says when this process was alive (ms on the loop's clock):
        # a later process of this node reads it to know how long it was down.
        now = round(asyncio.get_running_loop().time() * 1000)
        tag = f"{self._incarnation}.{next(self._tags)}@{now}"
        return Value(prev.version + 1, prev.total + delta, tag)

    def _note_alive(self, value: Value) -> None:
        """Our key's ``value``, if an earlier process of this node wrote it, says
        when that process was alive: tell the node, so that requests which waited
        while it was down are answered if they are recent enough."""
        incarnation, _, rest = value.tag.partition(".")
        _, at, stamp = rest.partition("@")
        if incarnation != self._incarnation and at and stamp.isdigit():
            self.node.alive_until(int(stamp) / 1000)

    def _send(self, slot: Slot, prev: Value) -> None:
        slot.in_flight = True
        sent = asyncio.get_running_loop().time()
        body: Body = {
            "type": "cas",
            "key": self.key,
            "from": prev.to_json(),
            "to": slot.target.to_json(),
        }
        if prev == MISSING:
            body["create_if_not_exists"] = True
        # The callback form of RPC: no task per compare-and-swap. Sending it again
        # is safe: its target value is new, so only the key still holding ``prev``
        # lets a copy apply, and then every copy writes the same value.
        # Copies go out until one is answered, so no timeout is needed to learn the
        # outcome: a timeout would only force a resync, which asks seq-kv again.
        self.node.call(
            "seq-kv",
            body,
            lambda reply: self._cas_done(slot, sent, reply),
            retry=True,
            timeout=None,
        )

    def _cas_done(self, slot: Slot, sent: float, reply: Body) -> None:
        slot.in_flight = False
        if reply.get("type") == "cas_ok" or _shows(reply, slot.target):
            self._fresh_at = max(self._fresh_at, sent)
            self._applied_through(slot)
        elif slot in self.slots and slot is not self.slots[0]:
            # An earlier slot is still unconfirmed: on a lossy network this copy may
            # simply have overtaken it. Once that slot is confirmed, this one goes
            # again from there; if the earlier one fails too, it resyncs.
            slot.behind = True
        else:
            # Failed, or maybe applied (a timeout): only a fresh look at the key tells.
            self.resync_needed = True
        self._pump()

    def _applied_through(self, slot: Slot) -> None:
        """``slot``'s value reached the key, so did every slot before it: ack them."""
        if slot not in self.slots:
            return  # already confirmed by a later slot or a resync
        while self.slots:
            done = self.slots.popleft()
            for waiter in done.waiters:
                if not waiter.done():
                    waiter.set_result(None)
            if done is slot:
                break
        self.confirmed = slot.target
        self.view.see(self.node.node_id, slot.target)

    async def _resync(self) -> None:
        """Find where our chain stands in seq-kv, with nothing of ours in flight."""
        while True:
            try:
                current = await self._chain_head()
                break
            except Exception:
                # Adds wait for this resync: giving up would leave them hanging.
                log.exception("resync of %s failed; trying again in %ss", self.key, RESYNC_RETRY)
                await asyncio.sleep(RESYNC_RETRY)
        self._note_alive(current)
        for pending in self.slots:
            pending.behind = False
        slot = next((s for s in self.slots if s.target == current), None)
        if slot is not None:
            self._applied_through(slot)
        elif current != self.confirmed:
            # Not our chain (a value from before a restart, or none): no pending slot
            # applied, since any of them would have raised the version past ours.
            # Rebuild the pending slots on top of it, with values never used before.
            self.confirmed = current
            self.view.see(self.node.node_id, current)
            prev = current
            for pending in self.slots:
                pending.target = self._next(prev, pending.delta)
                prev = pending.target
        self.resync_needed = False
        self._resyncing = False
        self._pump()

    async def _chain_head(self) -> Value:
        """Our key's value, read fresh: no older than the newest value we know in it."""
        # seq-kv serves each node states no older than the last one it wrote or
        # read, so a plain read shows every value of ours that applied; were it
        # older anyway, a barrier first makes the next read current.
        current = await self._read_key(self.node.node_id)
        while self.confirmed is not None and current.version < self.confirmed.version:
            await self._barrier()
            current = await self._read_key(self.node.node_id)
        return current

    # -- reads --------------------------------------------------------------------

    def read_now(self) -> int | None:
        """The counter's value if the view is fresh enough, else None (call ``read``)."""
        if asyncio.get_running_loop().time() - self.view.since <= self.staleness:
            return self.view.total()
        return None

    async def read(self) -> int:
        """The counter's value as seen no more than ``staleness`` seconds ago."""
        now = asyncio.get_running_loop().time()
        if now - self.view.since > self.staleness:
            await self._refresh_after(now)
        return self.view.total()

    def _refresh_after(self, not_before: float) -> asyncio.Task[None]:
        """A refresh that started at or after ``not_before``: the running one if it
        qualifies, else a new one."""
        running = self._refresh
        if running is not None and not running[1].done() and running[0] >= not_before:
            return running[1]
        started = asyncio.get_running_loop().time()
        task = self.node.spawn(self._do_refresh(started))
        assert isinstance(task, asyncio.Task), "the counter serves only after init"
        self._refresh = (started, task)
        return task

    async def _do_refresh(self, started: float) -> None:
        since = self._fresh_at
        if since < started - self.staleness / 2:
            since = started
            await self._barrier()
        nodes = [n for n in self.node.node_ids if n != self.node.node_id or self.confirmed is None]
        values = await asyncio.gather(*(self._read_key(n) for n in nodes))
        for node, value in zip(nodes, values, strict=True):
            self.view.see(node, value)
            if node == self.node.node_id:
                self._note_alive(value)
        if self.confirmed is not None:
            self.view.see(self.node.node_id, self.confirmed)
        self.view.since = max(self.view.since, since)

    # -- seq-kv ---------------------------------------------------------------------

    async def _barrier(self) -> None:
        token = f"{self._incarnation}.{next(self._tags)}"
        key = f"barrier-{self.node.node_id}"
        while True:
            sent = asyncio.get_running_loop().time()
            try:
                # Only this node writes its barrier key, so a late copy undoes nothing.
                await self.kv.write(key, token, retry=True)
            except RPCError as exc:
                if exc.definite:
                    raise
                continue
            self._fresh_at = max(self._fresh_at, sent)
            return

    async def _read_key(self, node: str) -> Value:
        try:
            raw = await self._retry(lambda: self.kv.read(f"counter-{node}"))
        except KeyDoesNotExist:
            return MISSING
        return Value.parse(raw)

    @staticmethod
    async def _retry(op: Callable[[], Awaitable[T]]) -> T:
        """``op()`` until it answers; timeouts and other indefinite errors retry."""
        while True:
            try:
                return await op()
            except RPCError as exc:
                if exc.definite:
                    raise


def _shows(reply: Body, target: Value) -> bool:
    """Whether a failed compare-and-swap's reply says the key holds ``target``.

    seq-kv's precondition error prints the value the request found. Our tags
    are never reused, so finding ``target``'s tag there means the key held that
    value: an earlier copy of this very compare-and-swap applied and its reply
    was lost. Any other text proves nothing, and leads to a resync as before.
    """
    text = reply.get("text")
    return reply.get("code") == 22 and isinstance(text, str) and f'"{target.tag}"' in text


def build(
    *,
    allow_negative: bool = False,
    staleness: float = STALENESS,
    rpc_timeout: float = DEFAULT_RPC_TIMEOUT,
    seed: int | None = None,
) -> Node:
    """A counter node, ready to run."""
    node = Node(rpc_timeout=rpc_timeout, seed=seed)
    counter = Counter(node, allow_negative=allow_negative, staleness=staleness)

    @node.handler("add", Add)
    async def add(req: Request[Add]) -> Body:
        await counter.add(req.body.delta)
        return {"type": "add_ok"}

    @node.handler("read")
    def read(req: Request[Body]) -> Body | Awaitable[Body]:
        # Most reads are answered from the view at once, without a task.
        value = counter.read_now()
        if value is not None:
            return {"type": "read_ok", "value": value}
        return read_fresh()

    async def read_fresh() -> Body:
        return {"type": "read_ok", "value": await counter.read()}

    node.spawn(counter.warm_up())  # starts once init is answered
    return node


def build_pn() -> Node:
    """A pn-counter node (negative deltas allowed), ready to run."""
    return build(allow_negative=True)


def main(argv: list[str] | None = None) -> None:
    """Serve the counter on stdin/stdout."""
    parser = argparse.ArgumentParser(description="A stateless counter node on seq-kv.")
    parser.add_argument("--pn", action="store_true", help="allow negative deltas (pn-counter)")
    parser.add_argument(
        "--staleness",
        type=float,
        default=STALENESS,
        help="the oldest view, in seconds, a read may be answered from",
    )
    args = parser.parse_args(argv)
    build(allow_negative=args.pn, staleness=args.staleness).run()


def main_pn() -> None:
    """Serve the pn-counter (negative deltas allowed) on stdin/stdout."""
    main(["--pn", *sys.argv[1:]])


if __name__ == "__main__":
    main()
