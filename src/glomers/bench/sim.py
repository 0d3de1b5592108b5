"""Simulation mode: the whole test in one process, on a virtual clock.

Nodes written with glomers run as objects inside the bench's process, each
behind an ``InProcessHost``, and the run's event loop keeps virtual time
(looptime): whenever nothing is ready, time jumps to the next timer instead of
waiting for it. The network, services, workloads, nemesis and checkers are the
very code of process mode. Every random choice comes from the run's seed --
the bench's as always, and the nodes', since each node incarnation is seeded
from it -- so the same seed and flags replay the same run exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import os
import sys
import traceback
import weakref
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from glomers.bench.clock import LoopClock
from glomers.bench.core import Observer, Outcome, TestOptions, TestRun
from glomers.bench.faults import FAULTS
from glomers.bench.hosts import NodeFault
from glomers.bench.inproc import TRACE_LINES, InProcessHost
from glomers.bench.net import Journal, Network
from glomers.bench.pausable import PausableLoop
from glomers.bench.workloads.registry import entry
from glomers.node import Node, RunWhileLoading, loading_builder


@contextlib.contextmanager
def _pytest_hidden() -> Iterator[None]:
    """Make ``import pytest`` fail for a moment, unless pytest is loaded already.

    looptime defines a pytest fixture when ``import pytest`` succeeds, and loading
    pytest for that costs a quarter of a second in every ``glomers`` command that
    simulates. An entry of None in ``sys.modules`` makes the import fail while
    looptime loads; under pytest, where the fixture is wanted, nothing changes."""
    if "pytest" in sys.modules:
        yield
        return
    sys.modules["pytest"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        # Still our None: that entry made any other import of pytest fail meanwhile.
        sys.modules.pop("pytest", None)


with _pytest_hidden():
    import looptime


class _ExecutorFutures(weakref.WeakSet[Any]):
    """A WeakSet that is quick to iterate when empty, as it always is here."""

    def __iter__(self) -> Iterator[Any]:
        return super().__iter__() if len(self) else iter(())


class SimLoop(PausableLoop, looptime.LoopTimeEventLoop, asyncio.SelectorEventLoop):
    """The simulation's event loop: virtual time, and nodes that can be paused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._looptime_select = self._selector.select
        # looptime walks its set of executor futures at every loop pass, and a
        # WeakSet's iteration guard makes that a tenth of a simulation's time.
        name = "_LoopTimeEventLoop__sync_futures"
        if isinstance(getattr(self, name, None), weakref.WeakSet):
            setattr(self, name, _ExecutorFutures())
        self._selector.select = self._select_and_move_on  # type: ignore[method-assign,assignment]

    def _select_and_move_on(self, timeout: float | None) -> list[tuple[Any, int]]:
        """looptime's select, asked once more when it would have the loop make a
        pass with nothing to run.

        With nothing ready and a timer pending, looptime first lets one loop pass
        go by without moving time (a pass for code outside the loop to catch up:
        ``noop_cycles=0`` leaves just that one), and moves time on at the next.
        Here nothing runs outside the loop, so that pass only costs: about one in
        three passes of a run. Asking again at once moves time on now, and the
        loop then runs what the skipped pass would not have run anyway: the same
        callbacks, in the same order."""
        select = self._looptime_select
        if not timeout:  # None (no timer pending) or 0 (work ready): the common case
            return select(timeout)
        before = self.time()
        ready = select(timeout)
        if (
            not ready
            and self.time() == before
            and not self._ready  # type: ignore[attr-defined]
            and self._nothing_due()
        ):
            ready = select(timeout)
        return ready

    def time(self) -> float:
        # looptime's time, read in one call rather than two: a 25-node run asks
        # for it over half a million times.
        if self._LoopTimeEventLoop__enabled:  # type: ignore[attr-defined]
            return self._LoopTimeEventLoop__now / self._LoopTimeEventLoop__resolution_reciprocal  # type: ignore[attr-defined,no-any-return]
        return super().time()

    def _nothing_due(self) -> bool:
        # As BaseEventLoop._run_once decides which timers are due.
        scheduled = self._scheduled  # type: ignore[attr-defined]
        return not scheduled or scheduled[0]._when >= self.time() + self._clock_resolution  # type: ignore[attr-defined]


class NotSimulable(Exception):
    """``--bin`` names something that cannot run in simulation mode."""


def default_builder(workload: str) -> str:
    """What ``--sim`` runs without ``--bin``: the workload's default node."""
    node = entry(workload).node
    if node is None:
        raise NotSimulable(f"the {workload} workload has no node of its own: give --bin")
    return node.builder


def load_builder(spec: str) -> Callable[[], Node]:
    """The function that builds a node, from ``module:function`` or ``file.py[:function]``.

    The function (``build`` by default) is called once per node incarnation and
    must return a ``glomers.Node``.
    """
    target, _, name = spec.partition(":")
    name = name or "build"
    if target.endswith(".py") or os.sep in target:
        path = Path(target)
        if not path.exists():
            raise NotSimulable(f"--bin {target}: no such file.")
        if path.suffix != ".py":
            raise NotSimulable(
                f"--bin {target} is not a Python file: --sim runs nodes written with glomers "
                "inside the bench; run other programs without --sim (process mode)."
            )
        # One name per file: two node.py files loaded in one process stay apart.
        digest = zlib.crc32(str(path.resolve()).encode("utf-8", "surrogateescape"))
        module_name = f"_glomers_sim_{path.stem}_{digest:08x}"
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise NotSimulable(f"--bin {target}: cannot be loaded as Python.")
        module: Any = importlib.util.module_from_spec(module_spec)
        # Registered before it runs, as an import would be: msgspec and typing
        # find a class's module by name to resolve postponed annotations.
        sys.modules[module_spec.name] = module
        try:
            with loading_builder(target):
                module_spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(module_spec.name, None)
            if isinstance(exc, RunWhileLoading):
                raise NotSimulable(f"--bin {target}: {exc}") from None
            if isinstance(exc, Exception):
                raise _load_failure(target, exc) from None
            raise
    else:
        try:
            with loading_builder(target):
                module = importlib.import_module(target)
        except RunWhileLoading as exc:
            raise NotSimulable(f"--bin {spec}: {exc}") from None
        except ImportError as exc:
            raise NotSimulable(
                f"--bin {spec}: {exc}. With --sim, --bin is a Python file or module:function "
                "that builds a glomers Node; other programs run without --sim."
            ) from None
        except Exception as exc:
            raise _load_failure(spec, exc) from None
    builder = getattr(module, name, None)
    if not callable(builder):
        raise NotSimulable(f"--bin {spec}: no function {name!r} that builds a Node.")
    return builder  # type: ignore[no-any-return]


def _load_failure(what: str, exc: Exception) -> NotSimulable:
    """A node's module raised as it loaded: its own lines of the traceback, not the
    import machinery's or the bench's, since the fault is in the node's code."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename != __file__
        and not frame.filename.startswith("<frozen")
        and os.sep + "importlib" + os.sep not in frame.filename
    ]
    lines = [*traceback.format_list(frames[-TRACE_LINES:]),
             *traceback.format_exception_only(type(exc), exc)]  # fmt: skip
    return NotSimulable(f"--bin {what} could not be loaded:\n{''.join(lines).rstrip()}")


async def simulate(
    opts: TestOptions,
    build: Callable[[], Node],
    journal: Journal | None = None,
    observer: Observer | None = None,
) -> Outcome:
    """Run one test with in-process nodes, on a running ``SimLoop``."""

    def make_host(node: str, net: Network, on_fault: Callable[[NodeFault], None]) -> Any:
        return InProcessHost(node, build, net, on_fault, seed=opts.seed)

    return await TestRun(opts, make_host, LoopClock(), journal=journal, observer=observer).run()


def run_simulation(
    opts: TestOptions,
    build: Callable[[], Node],
    journal: Journal | None = None,
    observer: Observer | None = None,
) -> Outcome:
    """Run one test in simulation mode, on a fresh virtual-time loop starting at 0."""
    loop = SimLoop(start=0.0, noop_cycles=0)
    loop.pausable = any(FAULTS[f].pauses_hosts for f in opts.nemesis if f in FAULTS)
    try:
        return loop.run_until_complete(simulate(opts, build, journal, observer))
    finally:
        loop.close()
