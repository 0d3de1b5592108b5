"""Fault injection: Maelstrom's partition nemesis, and faults its CLI lacks.

``partition`` follows Jepsen's partition package as Maelstrom uses it: start
and stop alternate, and each start picks a shape among the server nodes only:
``one`` (isolate one node), ``minority-third`` (split off fewer than a third),
``majority`` (a random majority/minority split) and ``majorities-ring`` (each
node sees a different overlapping majority).

Beyond Maelstrom: ``kill`` (SIGKILL a random node, restart it a few seconds
later and send it ``init`` again), ``pause`` (SIGSTOP, SIGCONT a few seconds
later), ``loss`` (drop a fraction of the messages that involve no client while
active) and ``slow`` (latency times ten while active).

Operations are staggered by ``--nemesis-interval`` (gaps uniform in [0, 2 *
interval]); each picks one of the enabled faults at random and performs its next
step. Every step is recorded in the history as a pair of ``info`` operations of
the ``nemesis`` process. ``heal`` ends every fault, as the test does before the
recovery wait.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Protocol

from glomers.bench.clock import LoopClock
from glomers.bench.history import NEMESIS, Op
from glomers.bench.net import Network

FAULTS = ("partition", "kill", "pause", "loss", "slow")
PARTITION_SHAPES = ("one", "minority-third", "majority", "majorities-ring")

#: Seconds a killed or paused node stays down: uniform in this range.
DOWN_TIME = (1.0, 5.0)

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


class Host(Protocol):
    """What the nemesis needs from a node's host."""

    up: bool
    paused: bool

    async def kill(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


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
        down_time: tuple[float, float] = DOWN_TIME,
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
        self.down_time = down_time
        self.active: set[str] = set()  # partition, loss, slow while in effect
        self._recoveries: dict[str, asyncio.Task[None]] = {}  # down until these run
        self._recovering: set[str] = set()  # nodes whose recovery is under way

    async def run(self, until: float) -> None:
        """Inject faults until ``until`` (on the clock's scale)."""
        if not self.faults:
            return
        next_at = self.clock.now()
        while True:
            next_at = max(next_at, self.clock.now()) + self.rng.uniform(0, 2 * self.interval)
            if next_at >= until:
                return
            await self.clock.sleep_until(next_at)
            await self.step(self.rng.choice(self.faults))

    async def step(self, fault: str) -> None:
        """The next step of ``fault``: start or stop it, or kill or pause a node."""
        if fault in ("partition", "loss", "slow"):
            if fault in self.active:
                await self._op(f"stop-{fault}", None, partial(self._stop, fault))
            else:
                value = self._start_value(fault)
                await self._op(f"start-{fault}", value, partial(self._start, fault, value))
        elif fault == "kill":
            up = [n for n in self.nodes if self.hosts[n].up and n not in self._recoveries]
            if up:
                node = self.rng.choice(up)
                await self._op("kill", node, partial(self._kill, node), node)
        elif fault == "pause":
            up = [n for n in self.nodes if self.hosts[n].up and n not in self._recoveries]
            if up:
                node = self.rng.choice(up)
                await self._op("pause", node, partial(self._pause, node), node)

    async def heal(self) -> None:
        """End every fault: stop each enabled one and bring every node back."""
        for node, task in list(self._recoveries.items()):
            if node in self._recovering:
                await task  # cutting a restart short would leave a node half up
            else:
                task.cancel()
                self._recoveries.pop(node, None)
        for fault in self.faults:
            if fault in ("partition", "loss", "slow"):
                await self._op(f"stop-{fault}", None, partial(self._stop, fault))
        for node in self.nodes:
            host = self.hosts[node]
            if host.paused:
                await self._op("resume", node, partial(self._resume, node), node)
            if not host.up:
                await self._op("start", node, partial(self._start_node, node), node)

    async def cancel(self) -> None:
        """Stop pending recoveries without performing them (the test is aborting)."""
        for task in self._recoveries.values():
            task.cancel()
        self._recoveries.clear()

    # -- steps ----------------------------------------------------------------------

    def _start_value(self, fault: str) -> Any:
        if fault == "partition":
            return self.rng.choice(PARTITION_SHAPES)
        if fault == "loss":
            return self.loss_rate
        return 10

    async def _start(self, fault: str, value: Any) -> Any:
        self.active.add(fault)
        if fault == "partition":
            grudge = partition_grudge(value, self.nodes, self.rng)
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

    async def _kill(self, node: str) -> Any:
        await self.hosts[node].kill()
        self._later(node, "start", self._start_node)
        return f"killed {node}"

    async def _pause(self, node: str) -> Any:
        self.hosts[node].pause()
        self._later(node, "resume", self._resume)
        return f"paused {node}"

    async def _resume(self, node: str) -> Any:
        self.hosts[node].resume()
        return f"resumed {node}"

    async def _start_node(self, node: str) -> Any:
        await self.restart(node)
        return f"restarted {node}"

    def _later(self, node: str, f: str, action: Callable[[str], Awaitable[Any]]) -> None:
        delay = self.rng.uniform(*self.down_time)

        async def recover() -> None:
            await self.clock.sleep(delay)
            # Until it is done, no other fault may pick this node (say, pause it
            # while it answers init).
            self._recovering.add(node)
            try:
                await self._op(f, node, partial(action, node), node)
            finally:
                self._recovering.discard(node)
                self._recoveries.pop(node, None)

        self._recoveries[node] = asyncio.get_running_loop().create_task(recover())

    async def _op(
        self, f: str, value: Any, action: Callable[[], Awaitable[Any]], node: str | None = None
    ) -> None:
        self.record(Op(NEMESIS, "info", f, value, node=node))
        result = await action()
        self.record(Op(NEMESIS, "info", f, result, node=node))
