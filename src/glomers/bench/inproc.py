"""Nodes written with glomers, run inside the bench's own process.

``InProcessHost`` is the in-memory twin of ``ProcessHost``: the node object gets
each message as the JSON line it would read on stdin and its output goes
through the same checks as a child process's stdout, so a node behaves the same
in both. Killing drops the node object (and everything it kept in memory) and
``start`` builds a fresh one.

Pausing must stop the node the way SIGSTOP stops a process: nothing it
receives is read and none of its own code runs -- handlers, background tasks,
timers -- until it resumes, when whatever came due meanwhile runs at once.
The node shares the bench's event loop, so the loop itself tells the node's
work apart: everything scheduled while a node's code runs carries that node's
``_Gate`` in its context (tasks and callbacks inherit the context they were
created in), and ``PausableLoop`` routes such callbacks through the gate, which
holds them while the node is paused.

The same context tells whose code logs or prints: ``node_logs`` sends it to
that node's file in ``node-logs/``, as a process's stderr goes to its file.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import logging
import random
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

import msgspec

from glomers.bench.net import Message, Network
from glomers.bench.process import NodeFault, forward_output
from glomers.node import Node, default_seeds

_encode = msgspec.json.Encoder().encode

#: Lines of a builder's traceback quoted in the fault report.
_TRACE_LINES = 12


def _name(fn: Callable[..., object]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class _Scheduled:
    """One callback a node scheduled, with what it takes to run it later."""

    __slots__ = ("args", "callback", "context", "handle")

    def __init__(
        self, callback: Callable[..., object], args: tuple[Any, ...], context: Any
    ) -> None:
        self.callback = callback
        self.args = args
        self.context: contextvars.Context = context
        self.handle: asyncio.Handle | None = None


class _Gate:
    """The loop's view of one node incarnation: open, or holding its callbacks."""

    __slots__ = ("held", "node_id", "paused")

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.paused = False
        self.held: list[_Scheduled] = []

    def run(self, item: _Scheduled) -> None:
        if self.paused:
            self.held.append(item)
        else:
            item.callback(*item.args)

    def release(self, loop: asyncio.AbstractEventLoop) -> None:
        """Open the gate; what it held runs as soon as the loop gets to it."""
        self.paused = False
        held, self.held = self.held, []
        for item in held:
            loop.call_soon(self._replay, item, context=item.context)

    def _replay(self, item: _Scheduled) -> None:
        # A timer the node cancelled after it came due, while paused, must not fire:
        # a stopped process that resumes also handles its input before due timers.
        if item.handle is None or not item.handle.cancelled():
            self.run(item)


#: The gate of the node whose code is running now, if any.
_current: contextvars.ContextVar[_Gate | None] = contextvars.ContextVar(
    "glomers_inproc_node", default=None
)


def current_node() -> str | None:
    """The id of the in-process node whose code is running now, if any."""
    gate = _current.get()
    return None if gate is None else gate.node_id


class PausableLoop(asyncio.BaseEventLoop):
    """An event loop mixin that lets in-process nodes be paused (see the module doc).

    Routing callbacks through gates costs the run about a tenth of its time, so
    it is off unless ``pausable`` is set before the run starts; it cannot be
    turned on midway, as callbacks already scheduled would escape their gates.
    """

    pausable = False

    def call_soon(  # type: ignore[override]
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if not self.pausable:
            return super().call_soon(callback, *args, context=context)
        if context is None:
            context = contextvars.copy_context()
        gate = context.get(_current)
        if gate is None:
            return super().call_soon(callback, *args, context=context)
        item = _Scheduled(callback, args, context)
        item.handle = super().call_soon(gate.run, item, context=context)
        return item.handle

    def call_at(  # type: ignore[override]
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        if not self.pausable:
            return super().call_at(when, callback, *args, context=context)
        if context is None:
            context = contextvars.copy_context()
        gate = context.get(_current)
        if gate is None:
            return super().call_at(when, callback, *args, context=context)
        item = _Scheduled(callback, args, context)
        handle = super().call_at(when, gate.run, item, context=context)
        item.handle = handle
        return handle


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
        self._gate = _Gate(node_id)
        self._held: list[Message] = []
        self._muted = False
        net.add(node_id, self.deliver)

    async def start(self) -> None:
        self.incarnation += 1
        self._muted = False  # a new incarnation's output is read afresh
        self._gate = _Gate(self.node_id)
        token = _current.set(self._gate)
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
            where = "".join(lines[-_TRACE_LINES:])
            self._start_failed(f"{_name(self.build)}() raised {exc!r}:\n{where}")
            return
        finally:
            _current.reset(token)
        if not isinstance(built, Node):
            self._start_failed(f"{_name(self.build)}() returned {built!r}, not a glomers Node.")
            return
        node = built
        # Inside the gate: what the node schedules as it attaches (its liveness
        # tick) is held while it is paused, as in a stopped process.
        token = _current.set(self._gate)
        try:
            node.attach(lambda data: self._output(node, data))
        finally:
            _current.reset(token)
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
            await node.close()

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
        token = _current.set(self._gate)
        try:
            self.node.feed(_encode(message))
        finally:
            _current.reset(token)

    def _output(self, node: Node, data: bytes) -> None:
        if node is not self.node or self._muted:
            # A killed node's last words are lost, as a process's would be; a node that
            # broke the protocol is not read any more, as in Maelstrom.
            return
        # What the network and the bench schedule from here is not the node's work.
        token = _current.set(None)
        try:
            lines = data.split(b"\n")
            if data.endswith(b"\n"):
                lines.pop()  # what follows the last newline is no line
            for raw in lines:
                if not forward_output(self.net, self.node_id, raw, self.on_fault):
                    self._muted = True
                    return
        finally:
            _current.reset(token)


class _NodeLogs(logging.Handler):
    """Sends what each in-process node logs to its own file, as a process's stderr."""

    def __init__(self, path_for: Callable[[str], Path]) -> None:
        super().__init__()
        self.path_for = path_for
        self.files: dict[str, IO[str]] = {}
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def file(self, node: str) -> IO[str]:
        out = self.files.get(node)
        if out is None:
            out = self.files[node] = self.path_for(node).open("a", encoding="utf-8")
        return out

    def emit(self, record: logging.LogRecord) -> None:
        node = current_node()
        if node is None:
            return
        # The loop's time: virtual in simulation mode, the only clock of the run.
        now = asyncio.get_running_loop().time()
        self.file(node).write(f"{now:.6f} {self.format(record)}\n")

    def close(self) -> None:
        for out in self.files.values():
            out.close()
        self.files.clear()
        super().close()


class _NotFromNodes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return current_node() is None


class _Routed(io.TextIOBase):
    """Stands for stdout or stderr: what a node's code prints goes to its file."""

    def __init__(self, real: TextIO, logs: _NodeLogs) -> None:
        self.real = real
        self.logs = logs

    def write(self, text: str) -> int:
        node = current_node()
        if node is None:
            return self.real.write(text)
        return self.logs.file(node).write(text)

    def flush(self) -> None:
        self.real.flush()

    def writable(self) -> bool:
        return True


@contextlib.contextmanager
def node_logs(path_for: Callable[[str], Path], *, to_console: bool = False) -> Iterator[None]:
    """While it lasts, what in-process nodes log or print goes to ``path_for(node)``
    (``node-logs/``), as a process's stderr would, instead of the bench's console;
    with ``to_console`` (``--log-stderr``) their log records go to both."""
    root = logging.getLogger()
    handler = _NodeLogs(path_for)
    quiet = _NotFromNodes()
    console = list(root.handlers)
    if not to_console:
        for h in console:
            h.addFilter(quiet)
    root.addHandler(handler)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Routed(out, handler), _Routed(err, handler)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
        root.removeHandler(handler)
        handler.close()
        for h in console:
            h.removeFilter(quiet)
