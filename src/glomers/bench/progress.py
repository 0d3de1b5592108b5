"""What a person sees while ``glomers test`` runs.

On a terminal, a live panel (rich) shows the phase of the run -- elapsed test
time against the time limit, then the recovery wait and the final reads --,
the operations completed so far as ok / info / fail, and the faults in force.
When stderr is not a terminal, or under CI, the same facts come as plain log
lines: one per phase, one per fault that begins or ends, and a tally every
tenth of the time limit.

Time is the test's own clock (virtual in simulation mode). The panel redraws
itself a few times a second from counters that ``op`` keeps, so the run pays
only a few increments per operation.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from glomers.bench import faults
from glomers.bench.history import FaultTracker, Op, is_client

log = logging.getLogger("glomers.bench")


def live_wanted() -> bool:
    """A live panel only on a terminal, and never under CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def _fault_label(fault: str, node: str | None) -> str:
    name = faults.label(fault)
    return name if node is None else f"{name} {node}"


class RunProgress:
    """Follows one run: give it to ``TestRun`` as its observer, and enter it."""

    def __init__(self, *, live: bool | None = None, console: Console | None = None) -> None:
        self.now: Callable[[], float] = lambda: 0.0
        self.live = live_wanted() if live is None else live
        self.console = console or Console(stderr=True)
        self.counts = {"ok": 0, "info": 0, "fail": 0}
        self.final_done = 0
        self.final_total = 0
        self.phase_name = "starting nodes"
        #: How long the current phase lasts, when the run says (running, recovery).
        self.phase_seconds: float | None = None
        self._phase_start = 0.0
        self._faults = FaultTracker()
        self._next_tally = 0
        self._live: Live | None = None

    # -- the observer TestRun calls ---------------------------------------------------------

    def attach_clock(self, now: Callable[[], float]) -> None:
        """The run's clock, in seconds (virtual in simulation mode)."""
        self.now = now
        self._phase_start = now()

    def phase(self, name: str, seconds: float | None = None) -> None:
        """A new phase begins; ``seconds`` is how long it lasts, when known."""
        self.phase_name = name
        self.phase_seconds = seconds
        self._phase_start = self.now()
        if name == "running":
            self._next_tally = self._tally_step()
        if not self.live:
            if name == "running":
                log.info("running for %gs", seconds)
            elif name == "finishing":
                log.info("time is up; waiting for the operations in flight")
            elif name == "recovery":
                log.info("waiting %gs for recovery; %s", seconds, self._tally())
            elif name == "checking":
                log.info("checking the history; %s", self._tally())
            else:
                log.info("%s", name)

    def op(self, op: Op) -> None:
        """An operation was recorded in the history."""
        if is_client(op):
            if op.type == "invoke":
                if op.final:
                    self.final_total += 1
                return
            self.counts[op.type] += 1
            if op.final:
                self.final_done += 1
            elif not self.live and self.phase_name == "running" and op.time >= self._next_tally:
                log.info("%.1f/%gs: %s", op.time / 1e9, self.phase_seconds, self._tally())
                self._next_tally += self._tally_step()
            return
        for period in self._faults.feed(op):
            if self.live:
                break
            label = _fault_label(period.fault, period.node)
            if period.end is None:
                log.info("fault begins: %s (%s)", label, faults.words(period.fault, period.detail))
            else:
                log.info("fault ends: %s", label)

    # -- display ----------------------------------------------------------------------------

    def __enter__(self) -> RunProgress:
        if self.live:
            self._live = Live(self, console=self.console, refresh_per_second=8, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
            self._live = None

    def __rich__(self) -> RenderableType:
        elapsed = max(0.0, self.now() - self._phase_start)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", min_width=14)
        grid.add_column(width=40)
        grid.add_column()
        total = self.phase_seconds
        if total is not None:
            bar = ProgressBar(total=max(total, 1e-9), completed=min(elapsed, total), width=40)
            grid.add_row(self.phase_name, bar, f"{min(elapsed, total):.1f} / {total:g} s")
        elif self.phase_name == "final reads":
            bar = ProgressBar(total=max(self.final_total, 1), completed=self.final_done, width=40)
            grid.add_row(self.phase_name, bar, f"{self.final_done} / {self.final_total}")
        else:
            grid.add_row(self.phase_name, "", "")
        ops = Text.assemble(
            ("ok ", ""), (str(self.counts["ok"]), "green"),
            ("  info ", ""), (str(self.counts["info"]), "yellow"),
            ("  fail ", ""), (str(self.counts["fail"]), "red"),
        )  # fmt: skip
        grid.add_row("operations", ops, "")
        grid.add_row("nemesis", self._nemesis_state(), "")
        return Group(grid)

    def _nemesis_state(self) -> str:
        active = self._faults.active
        if not active:
            return "calm"
        return ", ".join(_fault_label(fault, node) for fault, node in sorted(active, key=str))

    def _tally(self) -> str:
        c = self.counts
        return f"ok {c['ok']}, info {c['info']}, fail {c['fail']}; nemesis: {self._nemesis_state()}"

    def _tally_step(self) -> int:
        # A tenth of the running phase, in the history's nanoseconds.
        return max(1, round((self.phase_seconds or 0.0) * 1e9 / 10))
