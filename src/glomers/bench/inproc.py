"""Nodes written with glomers, run inside the bench's own process.

``InProcessHost`` is the in-memory twin of ``ProcessHost``: the node object gets
each message as the JSON line it would read on stdin and its output goes
through the same checks as a child process's stdout, so a node behaves the same
in both. Killing drops the node object (and everything it kept in memory) and
``start`` builds a fresh one; pausing holds what it receives and what it sends
until it resumes.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import msgspec

from glomers.bench.net import Message, Network
from glomers.bench.process import BadOutput, NodeFault, send_output
from glomers.node import Node, default_seeds

_encode = msgspec.json.Encoder().encode


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
        self.build = build
        self.net = net
        self.on_fault = on_fault
        self.node: Node | None = None
        self.up = False
        self.paused = False
        self._held: list[Message] = []
        self._held_output: list[bytes] = []
        self._faulted = False
        net.add(node_id, self.deliver)

    async def start(self) -> None:
        self.incarnation += 1
        if self.seed is None:
            node = self.build()
        else:
            # Each incarnation of each node gets its own seed, drawn from the run's.
            seeds = random.Random(f"{self.seed}:{self.node_id}:{self.incarnation}")
            with default_seeds(lambda: seeds.getrandbits(64)):
                node = self.build()
        self.node = node
        node.attach(lambda data: self._output(node, data))
        self.up = True
        self.paused = False

    async def kill(self) -> None:
        node, self.node = self.node, None
        self.up = False
        self._held.clear()
        self._held_output.clear()
        if node is not None:
            await node.close()

    def pause(self) -> None:
        if self.up:
            self.paused = True

    def resume(self) -> None:
        self.paused = False
        output, self._held_output = self._held_output, []
        for data in output:
            if self.node is not None:
                self._output(self.node, data)
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
        self.node.feed(_encode(message))

    def _output(self, node: Node, data: bytes) -> None:
        if node is not self.node or self._faulted:
            return  # a killed node's last words are lost, as a process's would be
        if self.paused:
            self._held_output.append(data)  # a stopped process sends nothing
            return
        for raw in data.split(b"\n"):
            if not raw.strip():
                continue
            try:
                send_output(self.net, self.node_id, raw)
            except BadOutput as exc:
                self._faulted = True
                self.on_fault(NodeFault(self.node_id, str(exc)))
                return
