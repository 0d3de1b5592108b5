"""Nodes written with glomers, run inside the bench's own process.

``InProcessHost`` is the in-memory twin of ``ProcessHost``: the node object gets
each message as the JSON line it would read on stdin and its output goes
through the same checks as a child process's stdout, so a node behaves the same
in both. Killing drops the node object (and everything it kept in memory) and
``start`` builds a fresh one. Pausing holds the node's work on the loop
(``glomers.bench.pausable``); what it logs or prints goes to its own file
(``glomers.bench.nodelogs``).
"""

from __future__ import annotations

import asyncio
import random
import traceback
from collections.abc import Callable

import msgspec

from glomers.bench.hosts import NodeFault, forward_output
from glomers.bench.net import Message, Network
from glomers.bench.pausable import Gate, PausableLoop, current_gate
from glomers.node import Node, default_seeds

_encode = msgspec.json.Encoder().encode

#: Lines of a node's traceback quoted when it fails (to build, load or run).
TRACE_LINES = 12


def _name(fn: Callable[..., object]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class InProcessHost:
    """One node of the test as a ``Node`` object in this process."""

    def __init__(
        self,
        node_id: str,
        build: Callable[[], Node],
        net: Network,
        on_fault: Callable[[NodeFault], None],
        *,
        seed: int | None = None,
    ) -> None:
        self.node_id = node_id
        self.seed = seed
        self.incarnation = 0
        # Typed loosely on purpose: it is the user's code, checked at each start.
        self.build: Callable[[], object] = build
        self.net = net
        self.on_fault = on_fault
        self.node: Node | None = None
        self.up = False
        self.paused = False
        self._gate = Gate(node_id)
        self._held: list[Message] = []
        self._muted = False
        net.add(node_id, self.deliver)

    async def start(self) -> None:
        self.incarnation += 1
        self._muted = False  # a new incarnation's output is read afresh
        self._gate = Gate(self.node_id)
        token = current_gate.set(self._gate)
        try:
            if self.seed is None:
                built = self.build()
            else:
                # Each incarnation of each node gets its own seed, drawn from the run's.
                seeds = random.Random(f"{self.seed}:{self.node_id}:{self.incarnation}")
                with default_seeds(lambda: seeds.getrandbits(64)):
                    built = self.build()
        except Exception as exc:
            # The builder's frames only: the first one is this method's.
            tb = exc.__traceback__.tb_next if exc.__traceback__ else None
            lines = traceback.format_exception(type(exc), exc, tb)
            where = "".join(lines[-TRACE_LINES:])
            self._start_failed(f"{_name(self.build)}() raised {exc!r}:\n{where}")
            return
        finally:
            current_gate.reset(token)
        if not isinstance(built, Node):
            self._start_failed(f"{_name(self.build)}() returned {built!r}, not a glomers Node.")
            return
        node = built
        # Inside the gate: what the node schedules as it attaches (its liveness
        # tick) is held while it is paused, as in a stopped process.
        token = current_gate.set(self._gate)
        try:
            node._attach(lambda data: self._output(node, data))
        finally:
            current_gate.reset(token)
        self.node = node
        self.up = True
        self.paused = False

    def _start_failed(self, why: str) -> None:
        self.on_fault(NodeFault(self.node_id, f"Could not start node {self.node_id}: {why}"))

    async def kill(self) -> None:
        node, self.node = self.node, None
        self.up = False
        self.paused = False
        self._held.clear()
        # What the node held must run for its tasks to see their cancellation, but
        # nothing it does from here on reaches the network (see ``_output``).
        self._gate.release(asyncio.get_running_loop())
        if node is not None:
            await node._close()

    def pause(self) -> None:
        if not self.up:
            return
        loop = asyncio.get_running_loop()
        if not isinstance(loop, PausableLoop) or not loop.pausable:
            raise RuntimeError(
                "pausing an in-process node needs the simulation loop, made pausable "
                "before the run (glomers.bench.sim)"
            )
        self.paused = True
        self._gate.paused = True

    def resume(self) -> None:
        if not self.paused:
            return
        self.paused = False
        # Held callbacks are queued before the held messages are fed, so the node reads
        # its input, then runs what came due, then what the input started: the order
        # of the first loop pass of a process that resumes.
        self._gate.release(asyncio.get_running_loop())
        held, self._held = self._held, []
        for message in held:
            self.deliver(message)

    async def stop(self) -> None:
        await self.kill()

    def tail_report(self) -> str:
        return ""

    def deliver(self, message: Message) -> None:
        if not self.up or self.node is None:
            return
        if self.paused:
            self._held.append(message)
            return
        token = current_gate.set(self._gate)
        try:
            self.node._feed(_encode(message))
        except Exception as exc:
            # Raised out of the node, not a handler (those are answered): the process
            # would die of it. It must not reach the sender, which is another node.
            self._crashed(exc)
        finally:
            current_gate.reset(token)

    def _crashed(self, exc: Exception) -> None:
        node, self.node = self.node, None
        self.up = False
        if node is not None:
            asyncio.get_running_loop().create_task(node._close())
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        problem = f"Node {self.node_id} crashed: {exc!r}."
        report = problem + "\n" + "".join(lines[-TRACE_LINES:])
        self.on_fault(NodeFault(self.node_id, report, "crash", problem=problem))

    def _output(self, node: Node, data: bytes) -> None:
        if node is not self.node or self._muted:
            # A killed node's last words are lost, as a process's would be; a node that
            # broke the protocol is not read any more, as in Maelstrom.
            return
        # What the network and the bench schedule from here is not the node's work.
        token = current_gate.set(None)
        try:
            lines = data.split(b"\n")
            if data.endswith(b"\n"):
                lines.pop()  # what follows the last newline is no line
            for raw in lines:
                if not forward_output(self.net, self.node_id, raw, self.on_fault):
                    self._muted = True
                    return
        finally:
            current_gate.reset(token)
