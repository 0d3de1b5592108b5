"""The bench's clock: the only place the bench core gets time from.

``Clock`` is what the core needs of time -- seconds on a monotonic scale and
timers -- so a test can drive the network by hand; ``LoopClock`` is the one the
bench runs on. It reads the running asyncio loop: in real time that is the
monotonic clock, and under a virtual-time loop it is simulated time, with no
other change to the code that uses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    """A timer set on a ``Clock``."""

    def cancel(self) -> None:
        """Stop the timer; its callback will not run."""
        ...


class Clock(Protocol):
    """Time for the bench core: seconds on some monotonic scale, and timers."""

    def now(self) -> float:
        """The time now, in seconds."""
        ...

    def call_at(self, when: float, fn: Callable[[], None]) -> Timer:
        """Call ``fn()`` once the time is ``when``."""
        ...


class LoopClock:
    """Time and timers of an asyncio event loop, in seconds: a ``Clock``."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop or asyncio.get_running_loop()

    def now(self) -> float:
        return self.loop.time()

    def call_at(self, when: float, fn: Callable[[], None]) -> asyncio.TimerHandle:
        return self.loop.call_at(when, fn)

    def call_later(self, delay: float, fn: Callable[[], None]) -> asyncio.TimerHandle:
        return self.loop.call_later(delay, fn)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, when: float) -> None:
        await asyncio.sleep(max(0.0, when - self.loop.time()))
