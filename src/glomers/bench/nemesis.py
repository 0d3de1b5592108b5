"""Fault injection: when the nemesis acts. What each fault does is its own
module's business (``glomers.bench.faults``).

The faults that share a stream (``Fault.stream``) take turns in one stream of
operations, and each stream runs on its own, staggered by
``--nemesis-interval`` I as Jepsen staggers: the first operation goes out as
the main phase begins, each next one a uniform [0, 2I] later, and the time
limit cuts the stream. At each operation the stream picks one of its faults at
random, which begins or ends. The nemesis is a single thread, as Jepsen's: an
operation waits for the one under way (a restart, say) to finish.

Every operation is recorded in the history as a pair of ``info`` operations of
the ``nemesis`` process: the invocation's value is what was asked (a shape, a
SPEC, ``all``), the completion's what was done (the grudges, the nodes acted
on). ``heal`` performs the final operations of workloads with a final phase:
the end of every enabled fault, in the order of their ``heal_rank``
(Maelstrom's order, then ours).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from glomers.bench.clock import LoopClock
from glomers.bench.faults import FAULTS, Fault, Step
from glomers.bench.history import NEMESIS, Op
from glomers.bench.hosts import Host
from glomers.bench.net import Network


def streams(faults: Sequence[str]) -> list[list[str]]:
    """The enabled ``faults`` grouped by stream: streams, and the faults within
    one, in the order of the registry."""
    grouped: dict[str, list[str]] = {}
    for name, fault in FAULTS.items():
        if name in faults:
            grouped.setdefault(fault.stream, []).append(name)
    return list(grouped.values())


class Nemesis:
    """Runs the enabled faults against the network and the nodes' hosts."""

    def __init__(
        self,
        faults: Sequence[str],
        nodes: Sequence[str],
        net: Network,
        hosts: Mapping[str, Host],
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
        # Each fault follows its own state (in force or not); ``step`` may name one
        # that is not enabled, ``run`` and ``heal`` only the enabled ones.
        self._faults: dict[str, Fault] = {name: kind(self) for name, kind in FAULTS.items()}

    async def run(self, until: float) -> None:
        """Inject faults until ``until`` (on the clock's scale), one stream per package."""
        groups = streams(self.faults)
        # Each stream draws from its own generator, so that how the streams interleave
        # (in real time, how long a restart takes) does not change what each does.
        rngs = [random.Random(self.rng.getrandbits(64)) for _ in groups]
        try:
            await asyncio.gather(
                *(self._stream(s, r, until) for s, r in zip(groups, rngs, strict=True))
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
        """The next operation of ``fault``: begin it or end it."""
        if fault not in self._faults:
            raise ValueError(f"unknown fault {fault!r}")
        await self._perform(self._faults[fault].step(rng or self.rng))

    async def heal(self) -> None:
        """The final operations: end every fault and bring every node back."""
        ranked = sorted((self._faults[f] for f in self.faults), key=lambda f: f.heal_rank)
        # Every fault counts as ended before the first final operation goes out.
        for step in [fault.heal() for fault in ranked]:
            await self._perform(step)

    async def cancel(self) -> None:
        """Stop what is under way (the test is aborting): nothing runs in the background."""

    async def _perform(self, step: Step) -> None:
        await self._op(step.f, step.value, step.action)

    async def _op(self, f: str, value: Any, action: Callable[[], Awaitable[Any]]) -> None:
        async with self._busy:
            self.invoked_at = self.clock.now()
            if self.on_invoke is not None:
                self.on_invoke()
            self.record(Op(NEMESIS, "info", f, value))
            self.started.set()
            result = await action()
            self.record(Op(NEMESIS, "info", f, result))
