"""Where a run's results live: ``store/<workload>/<timestamp>/``.

A run folder holds ``results.json`` (the checkers' verdicts), ``history.jsonl``
(one operation per line), ``net-journal.jsonl`` (every message sent and
received), and ``node-logs/<node>.log`` (what each node wrote on stderr); then
the pages people look at: the plots (``latency-raw.png``,
``latency-quantiles.png``, ``rate.png``, and the workload's own, such as the
counters' ``read-lag.png``),
``timeline.html``, ``messages.html`` (the message diagram) and
``report.html``, which brings them together.
``store/latest`` and ``store/<workload>/latest`` point at the newest run.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import msgspec

from glomers.bench.history import Op
from glomers.bench.net import Message

if TYPE_CHECKING:
    from glomers.bench.pages.plot_worker import PlotWorker

_encoder = msgspec.json.Encoder()

log = logging.getLogger("glomers.bench")


def _pretty(data: Any) -> bytes:
    return msgspec.json.format(_encoder.encode(data), indent=2) + b"\n"


class RunStore:
    """The folder of one run."""

    def __init__(self, root: Path, workload: str, stamp: str | None = None) -> None:
        self.root = root
        stamp = stamp or datetime.datetime.now().strftime("%Y%m%dT%H%M%S.%f")[:-3]
        self.dir = _new_dir(root / workload, stamp)
        self.node_logs = self.dir / "node-logs"
        self.node_logs.mkdir()
        self._journal: IO[bytes] | None = None
        self._link(root / "latest")
        self._link(root / workload / "latest")

    def node_log(self, node: str) -> Path:
        return self.node_logs / f"{node}.log"

    def journal(self, event: str, time: float, msg_id: int, message: Message) -> None:
        """Append one send or receive to ``net-journal.jsonl`` (a ``Journal``)."""
        if self._journal is None:
            self._journal = (self.dir / "net-journal.jsonl").open("wb")
        self._journal.write(
            _encoder.encode({"event": event, "time": time, "id": msg_id, "message": message})
            + b"\n"
        )

    def write_history(self, history: Iterable[Op]) -> None:
        with (self.dir / "history.jsonl").open("wb") as f:
            for op in history:
                f.write(_encoder.encode(op.to_json()) + b"\n")

    def write_results(self, results: dict[str, Any]) -> None:
        (self.dir / "results.json").write_bytes(_pretty(results))

    def write_pages(
        self,
        history: Sequence[Op],
        results: dict[str, Any],
        workload: str,
        plotter: PlotWorker | None = None,
    ) -> None:
        """The plots, ``timeline.html``, ``messages.html`` (when the run has a
        journal) and last ``report.html`` (which shows what exists). A page
        that fails is logged and skipped: the results and the history are
        already written, and the verdict stands without pictures.

        With ``plotter``, that helper process draws the plots from the written
        ``history.jsonl`` while this one writes the timeline; without, matplotlib
        loads here."""
        from glomers.bench.pages import messages, report, timeline

        title = f"{workload} {self.dir.name}"
        journal = self.dir / "net-journal.jsonl"
        origin = int(results.get("history_origin") or 0)

        def plots_here() -> None:
            from glomers.bench.pages import plots

            plots.write_plots(self.dir, history, workload)

        if plotter is not None:
            plotter.draw(self.dir, workload)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("timeline", lambda: timeline.write_timeline(
                self.dir / "timeline.html", history, title)),
            ("message diagram", lambda: messages.write_messages(
                self.dir / "messages.html", journal, f"{title}: messages", origin)),
            ("plots", plots_here if plotter is None else plotter.wait),
            ("report", lambda: report.write_report(self.dir, results, history)),
        ]  # fmt: skip
        if not journal.is_file():  # a run that stopped before its first message
            steps = [step for step in steps if step[0] != "message diagram"]
        for name, step in steps:
            try:
                step()
            except Exception:
                log.exception("could not write the %s of %s", name, self.dir)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def _link(self, link: Path) -> None:
        # Relative, so the store can be moved or copied whole.
        target = os.path.relpath(self.dir, link.parent)
        # A name no concurrent run uses, so two runs never race on the same
        # temporary link; the rename then swaps ``latest`` atomically.
        tmp = link.with_name(f".{link.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        tmp.symlink_to(target)
        try:
            tmp.replace(link)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise


def _new_dir(parent: Path, stamp: str) -> Path:
    """A fresh folder named ``stamp``, or ``stamp-2``, ``stamp-3``... when runs
    started in the same millisecond already took the name."""
    parent.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        path = parent / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise AssertionError("unreachable")


def read_history(path: Path) -> list[Op]:
    """Load a ``history.jsonl``."""
    decode = msgspec.json.Decoder().decode
    with path.open("rb") as f:
        return [Op.from_json(decode(line)) for line in f if line.strip()]
