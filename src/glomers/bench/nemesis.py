"""Fault injection: Maelstrom's nemesis (partition, kill, pause), and two faults of ours.

Each fault package runs as a stream of its own, staggered by
``--nemesis-interval`` I as Jepsen staggers: the first operation goes out as
the main phase begins, each next one a uniform [0, 2I] later, and the time
limit cuts the stream. The nemesis is a single thread, as Jepsen's: an
operation waits for the one under way (a restart, say) to finish.

``partition`` follows Jepsen's partition package as Maelstrom uses it: start
and stop alternate, and each start picks a shape among the server nodes only:
``one`` (isolate one node), ``minority-third`` (split off fewer than a third),
``majority`` (a random majority/minority split) and ``majorities-ring`` (each
node sees a different overlapping majority).

``kill`` and ``pause`` follow Jepsen's db package as Maelstrom uses it: ``kill
SPEC`` alternates with ``start all`` and ``pause SPEC`` with ``resume all``,
SPEC uniform among a random non-empty subset of the nodes, ``one``,
``minority-third``, ``minority``, ``majority`` and ``all``; with both faults
enabled each operation advances one of the two alternations, picked at random.
While a node is down the network holds its queue (at most ten messages); a
resumed node drains it, and a restarted one gets it once it has answered
``init``.

Beyond Maelstrom, as one more stream: ``loss`` (drop a fraction of the
messages that involve no client while active) and ``slow`` (latency times ten
while active), each operation flipping one of them.

Every operation is recorded in the history as a pair of ``info`` operations of
the ``nemesis`` process: the invocation's value is what was asked (a shape, a
SPEC, ``all``), the completion's what was done (the grudges, the nodes acted
on). ``heal`` performs the final operations of workloads with a final phase:
``stop-partition``, ``resume all``, ``start all`` (and stops loss and slow).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from glomers.bench.clock import LoopClock
from glomers.bench.history import NEMESIS, Op
from glomers.bench.hosts import Host
from glomers.bench.net import Network

FAULTS = ("partition", "kill", "pause", "loss", "slow")
#: Faults that share one staggered stream of operations; each stream runs on its own.
STREAMS = (("partition",), ("kill", "pause"), ("loss", "slow"))
PARTITION_SHAPES = ("one", "minority-third", "majority", "majorities-ring")
#: The named node sets a kill or pause picks from (besides a random non-empty subset).
NODE_SPECS = ("one", "minority-third", "minority", "majority", "all")

Grudge = dict[str, frozenset[str]]


def majority(n: int) -> int:
    """The smallest number of nodes that is more than half of ``n``."""
    return n // 2 + 1


def complete_grudge(components: Sequence[Sequence[str]]) -> Grudge:
    """No node hears from any node outside its own component."""
    universe = frozenset(n for c in components for n in c)
    return {node: universe - frozenset(c) for c in components for node in c}


def majorities_ring(nodes: Sequence[str], rng: random.Random) -> Grudge:
    """Every node sees a majority, and no two nodes see the same one."""
    n, m = len(nodes), majority(len(nodes))
    universe = frozenset(nodes)
    if n <= 5:
        ring = list(nodes)
        rng.shuffle(ring)
        grudge: Grudge = {}
        for i in range(n):
            seen = [ring[(i + k) % n] for k in range(m)]
            # The middle of each window of m neighbours hears exactly that window.
            grudge[seen[m // 2]] = universe - frozenset(seen)
        return grudge
    # Larger clusters: link least-connected nodes until each sees a majority.
    conns = {node: {node} for node in nodes}
    while True:
        by_degree: dict[int, list[str]] = {}
        for node in nodes:
            by_degree.setdefault(len(conns[node]), []).append(node)
        order: list[str] = []
        for degree in sorted(by_degree):
            group = by_degree[degree]
            rng.shuffle(group)
            order.extend(group)
        a = order[0]
        if len(conns[a]) >= m:
            return {node: universe - frozenset(conns[node]) for node in nodes}
        b = next(node for node in order if node not in conns[a])
        conns[a].add(b)
        conns[b].add(a)


def partition_grudge(shape: str, nodes: Sequence[str], rng: random.Random) -> Grudge:
    """The grudge for one of ``PARTITION_SHAPES`` over ``nodes``."""
    if shape == "one":
        loner = rng.choice(list(nodes))
        return complete_grudge([[loner], [n for n in nodes if n != loner]])
    if shape == "majority":
        shuffled = list(nodes)
        rng.shuffle(shuffled)
        half = len(shuffled) // 2
        return complete_grudge([shuffled[:half], shuffled[half:]])
    if shape == "minority-third":
        shuffled = list(nodes)
        rng.shuffle(shuffled)
        cut = (len(shuffled) - 1) // 3
        return complete_grudge([shuffled[:cut], shuffled[cut:]])
    if shape == "majorities-ring":
        return majorities_ring(nodes, rng)
    raise ValueError(f"unknown partition shape {shape!r}")


def spec_nodes(spec: str | list[str], nodes: Sequence[str], rng: random.Random) -> list[str]:
    """The nodes a kill or pause SPEC names: a list names itself; the rest are drawn."""
    if isinstance(spec, list):
        return list(spec)
    n = len(nodes)
    count = {"one": 1, "minority-third": (n - 1) // 3, "minority": n // 2,
             "majority": majority(n), "all": n}.get(spec)  # fmt: skip
    if count is None:
        raise ValueError(f"unknown node spec {spec!r}")
    shuffled = list(nodes)
    rng.shuffle(shuffled)
    return sorted(shuffled[:count])


def random_spec(nodes: Sequence[str], rng: random.Random) -> str | list[str]:
    """A SPEC for kill or pause: uniform among a random non-empty subset and ``NODE_SPECS``."""
    pick = rng.randrange(len(NODE_SPECS) + 1)
    if pick < len(NODE_SPECS):
        return NODE_SPECS[pick]
    shuffled = list(nodes)
    rng.shuffle(shuffled)
    return sorted(shuffled[: rng.randint(1, len(shuffled))])


class Nemesis:
    """Runs the enabled faults against the network and the nodes' hosts."""

    def __init__(
        self,
        faults: Sequence[str],
        nodes: Sequence[str],
        net: Network,
        hosts: dict[str, Host],
        rng: random.Random,
        record: Callable[[Op], None],
        restart: Callable[[str], Awaitable[None]],
        clock: LoopClock,
        *,
        interval: float = 10.0,
        loss_rate: float = 0.5,
    ) -> None:
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown nemesis {sorted(unknown)}; choose from {', '.join(FAULTS)}")
        self.faults = [f for f in FAULTS if f in faults]
        self.nodes = list(nodes)
        self.net = net
        self.hosts = hosts
        self.rng = rng
        self.record = record
        self.restart = restart
        self.clock = clock
        self.interval = interval
        self.loss_rate = loss_rate
        #: Called as each operation is invoked (the run's thread rotation counts them).
        self.on_invoke: Callable[[], None] | None = None
        #: When the last operation was invoked (on the clock's scale).
        self.invoked_at = 0.0
        #: Set once the first operation is invoked, or when there is none to invoke.
        self.started = asyncio.Event()
        # The nemesis is one thread: operations of different streams take turns.
        self._busy = asyncio.Lock()
        self.active: set[str] = set()  # partition, loss, slow while in effect
        self.down: set[str] = set()  # kill, pause: their next operation brings nodes back

    async def run(self, until: float) -> None:
        """Inject faults until ``until`` (on the clock's scale), one stream per package."""
        streams = [[f for f in s if f in self.faults] for s in STREAMS]
        streams = [s for s in streams if s]
        # Each stream draws from its own generator, so that how the streams interleave
        # (in real time, how long a restart takes) does not change what each does.
        rngs = [random.Random(self.rng.getrandbits(64)) for _ in streams]
        try:
            await asyncio.gather(
                *(self._stream(s, r, until) for s, r in zip(streams, rngs, strict=True))
            )
        finally:
            self.started.set()

    async def _stream(self, faults: list[str], rng: random.Random, until: float) -> None:
        next_at = self.clock.now()
        while True:
            at = max(next_at, self.clock.now())
            if at >= until:
                return
            await self.clock.sleep_until(at)
            await self.step(rng.choice(faults), rng)
            # The next gap counts from when the operation went out: later than planned
            # if it waited for another stream's operation to finish.
            next_at = self.invoked_at + rng.uniform(0, 2 * self.interval)

    async def step(self, fault: str, rng: random.Random | None = None) -> None:
        """The next operation of ``fault``: start or stop it, take nodes down or bring them back."""
        rng = rng or self.rng
        if fault in ("partition", "loss", "slow"):
            if fault in self.active:
                await self._op(f"stop-{fault}", None, partial(self._stop, fault))
            else:
                value = self._start_value(fault, rng)
                await self._op(f"start-{fault}", value, partial(self._start, fault, value, rng))
        elif fault in ("kill", "pause"):
            if fault in self.down:
                self.down.discard(fault)
                if fault == "kill":
                    await self._op("start", "all", self._start_all)
                else:
                    await self._op("resume", "all", self._resume_all)
            else:
                self.down.add(fault)
                spec = random_spec(self.nodes, rng)
                targets = spec_nodes(spec, self.nodes, rng)
                act = self._kill if fault == "kill" else self._pause
                await self._op(fault, spec, partial(act, targets))
        else:
            raise ValueError(f"unknown fault {fault!r}")

    async def heal(self) -> None:
        """The final operations: end every fault and bring every node back."""
        self.down.clear()
        if "partition" in self.faults:
            await self._op("stop-partition", None, partial(self._stop, "partition"))
        if "pause" in self.faults:
            await self._op("resume", "all", self._resume_all)
        if "kill" in self.faults:
            await self._op("start", "all", self._start_all)
        for fault in ("loss", "slow"):
            if fault in self.faults:
                await self._op(f"stop-{fault}", None, partial(self._stop, fault))

    async def cancel(self) -> None:
        """Stop what is under way (the test is aborting): nothing runs in the background."""

    # -- operations -------------------------------------------------------------------

    def _start_value(self, fault: str, rng: random.Random) -> Any:
        if fault == "partition":
            return rng.choice(PARTITION_SHAPES)
        if fault == "loss":
            return self.loss_rate
        return 10

    async def _start(self, fault: str, value: Any, rng: random.Random) -> Any:
        self.active.add(fault)
        if fault == "partition":
            grudge = partition_grudge(value, self.nodes, rng)
            self.net.partition(grudge)
            return {"isolated": {k: sorted(v) for k, v in sorted(grudge.items())}}
        if fault == "loss":
            self.net.loss = self.loss_rate
            return f"dropping {self.loss_rate:.0%} of messages between non-clients"
        self.net.slow = True
        return "latency x10"

    async def _stop(self, fault: str) -> Any:
        self.active.discard(fault)
        if fault == "partition":
            self.net.grudges = {}
            return "network-healed"
        if fault == "loss":
            self.net.loss = 0.0
            return "no loss"
        self.net.slow = False
        return "latency x1"

    async def _kill(self, targets: list[str]) -> list[str]:
        killed = []
        for node in targets:
            host = self.hosts[node]
            if host.up:
                self.net.hold(node)
                await host.kill()
                killed.append(node)
        return killed

    async def _pause(self, targets: list[str]) -> list[str]:
        paused = []
        for node in targets:
            host = self.hosts[node]
            if host.up and not host.paused:
                self.net.hold(node)
                host.pause()
                paused.append(node)
        return paused

    async def _resume_all(self) -> list[str]:
        resumed = []
        for node in self.nodes:
            host = self.hosts[node]
            if host.paused:
                host.resume()
                if host.up:
                    self.net.release(node)
                resumed.append(node)
        return resumed

    async def _start_all(self) -> list[str]:
        started = []
        for node in self.nodes:
            if not self.hosts[node].up:
                await self.restart(node)
                started.append(node)
        return started

    async def _op(self, f: str, value: Any, action: Callable[[], Awaitable[Any]]) -> None:
        async with self._busy:
            self.invoked_at = self.clock.now()
            if self.on_invoke is not None:
                self.on_invoke()
            self.record(Op(NEMESIS, "info", f, value))
            self.started.set()
            result = await action()
            self.record(Op(NEMESIS, "info", f, result))
