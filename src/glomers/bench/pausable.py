"""An event loop on which in-process nodes can be paused, as SIGSTOP pauses a process.

A paused node reads nothing and runs none of its own code -- handlers,
background tasks, timers -- until it resumes, when whatever came due meanwhile
runs at once. The node shares the bench's event loop, so the loop itself tells
the node's work apart: everything scheduled while a node's code runs carries
that node's ``Gate`` in its context (tasks and callbacks inherit the context
they were created in), and ``PausableLoop`` routes such callbacks through the
gate, which holds them while the node is paused. The same context tells whose
code runs now (``current_node``), which ``glomers.bench.nodelogs`` uses to send
what a node logs or prints to that node's file.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any


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


class Gate:
    """The loop's view of one node incarnation: open, or holding its callbacks.

    Code runs as the node's while ``current_gate`` is set to its gate; the host
    sets it around whatever it hands the node.
    """

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
current_gate: contextvars.ContextVar[Gate | None] = contextvars.ContextVar(
    "glomers_inproc_node", default=None
)


def current_node() -> str | None:
    """The id of the in-process node whose code is running now, if any."""
    gate = current_gate.get()
    return None if gate is None else gate.node_id


class PausableLoop(asyncio.BaseEventLoop):
    """An event loop mixin that lets in-process nodes be paused (see the module doc).

    Routing callbacks through gates costs the run about a tenth of its time, so
    it is off unless ``pausable`` is set before the run starts; it cannot be
    turned on midway, as callbacks already scheduled would escape their gates.
    Off, the loop schedules as asyncio's does, without a detour through this class.
    """

    _pausable = False

    @property
    def pausable(self) -> bool:
        return self._pausable

    @pausable.setter
    def pausable(self, on: bool) -> None:
        self._pausable = on
        # Bound on the instance, so that only a pausable loop pays for the routing.
        if on:
            self.call_soon = self._gated_call_soon  # type: ignore[method-assign,assignment]
            self.call_at = self._gated_call_at  # type: ignore[method-assign,assignment]
        else:
            self.__dict__.pop("call_soon", None)
            self.__dict__.pop("call_at", None)

    def _gated_call_soon(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if context is None:
            context = contextvars.copy_context()
        gate = context.get(current_gate)
        if gate is None:
            return super().call_soon(callback, *args, context=context)
        item = _Scheduled(callback, args, context)
        item.handle = super().call_soon(gate.run, item, context=context)
        return item.handle

    def _gated_call_at(
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        if context is None:
            context = contextvars.copy_context()
        gate = context.get(current_gate)
        if gate is None:
            return super().call_at(when, callback, *args, context=context)
        item = _Scheduled(callback, args, context)
        handle = super().call_at(when, gate.run, item, context=context)
        item.handle = handle
        return handle
