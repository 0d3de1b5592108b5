"""The Gossip Glomers challenges, each declared once, and how a run meets their targets.

A challenge (``CHALLENGES``) is a workload, the ``maelstrom test`` flags the
challenge gives for it, one or more runs of those flags, and the targets each
run must meet: Maelstrom's verdict, total availability, messages between
servers per operation, stable latencies. ``evaluate`` reads one target's
figure from a run's results and says whether it was met; a figure the results
lack makes the target unknown, never met. ``glomers challenge``
(``bench.challenge``) runs them.

Where the flags come from is recorded too: most are on the challenge's page
(fly.io/dist-sys/<name>); a few are not stated there and follow what public
solutions run (``unconfirmed``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from glomers.bench.checker import at_quantile

#: A target met, missed, or not known to be either (the figure is missing).
Verdict = Literal["pass", "fail", "unknown"]


def _number(value: Any) -> float | None:
    """``value`` as a finite number, or None (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _at(results: Mapping[str, Any], *path: str) -> Any:
    """``results[path[0]][path[1]]...``, or None where a step is missing."""
    value: Any = results
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


#: How the workload's results may spell the stable latencies: Maelstrom's key
#: with underscores, as the bench writes keys, or as Maelstrom does.
STABLE_LATENCY_KEYS = ("stable_latencies", "stable-latencies")


def quantile_of(quantiles: Any, q: float) -> float | None:
    """The number at quantile ``q`` of a quantile map (``checker.at_quantile``), or None."""
    return _number(at_quantile(quantiles, q))


def stable_latency(results: Mapping[str, Any], q: float) -> float | None:
    """Quantile ``q`` of the workload's stable latencies (ms), or None."""
    workload = results.get("workload")
    if not isinstance(workload, Mapping):
        return None
    for key in STABLE_LATENCY_KEYS:
        if key in workload:
            return quantile_of(workload[key], q)
    return None


@dataclass(frozen=True, slots=True)
class Figure:
    """What a target measures: its name, how the console names it, how its value
    shows, and how it is read from a run's results (None when missing)."""

    name: str
    label: str
    read: Callable[[Mapping[str, Any]], Any]
    show: Callable[[Any], str]


def _valid(results: Mapping[str, Any]) -> Any:
    return results.get("valid")


def _show_valid(value: Any) -> str:
    return {True: "valid", False: "invalid"}.get(value, "unknown")


def _ms(value: float) -> str:
    return f"{value:g} ms"


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure("valid", "verdict", _valid, _show_valid),
        Figure(
            "availability",
            "availability",
            lambda r: _number(_at(r, "availability", "ok_fraction")),
            lambda v: f"{v:.1%}",
        ),
        Figure(
            "msgs_per_op",
            "messages between servers per operation",
            lambda r: _number(_at(r, "net", "servers", "msgs_per_op")),
            lambda v: f"{v:.2f}",
        ),
        Figure(
            "stable_latency_median",
            "stable latency, median",
            lambda r: stable_latency(r, 0.5),
            _ms,
        ),
        Figure(
            "stable_latency_max", "stable latency, maximum", lambda r: stable_latency(r, 1), _ms
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Target:
    """One thing a run must show: a valid verdict, total availability, or a figure
    strictly ``below`` a bound."""

    figure: str
    below: float | None = None

    @property
    def label(self) -> str:
        return FIGURES[self.figure].label

    @property
    def text(self) -> str:
        """The target, in words."""
        if self.figure == "valid":
            return "valid"
        if self.figure == "availability":
            return "100% ok (total)"
        unit = " ms" if self.figure.startswith("stable_latency") else ""
        return f"< {self.below:g}{unit}"

    def met(self, value: float) -> bool:
        if self.figure == "availability":
            return value == 1
        assert self.below is not None, f"{self.figure} needs a bound"
        return value < self.below


VALID = Target("valid")
TOTAL_AVAILABILITY = Target("availability")


@dataclass(frozen=True, slots=True)
class Check:
    """One target against one run: the figure read (None: missing) and the verdict."""

    target: Target
    value: Any
    verdict: Verdict

    @property
    def shown(self) -> str:
        if self.value is None and self.target.figure != "valid":
            return "missing"
        return FIGURES[self.target.figure].show(self.value)


def evaluate(target: Target, results: Mapping[str, Any] | None) -> Check:
    """Whether the run whose results are ``results`` (None: it produced none) met
    ``target``; unknown when the figure is missing or the verdict undecided."""
    if results is None:
        return Check(target, None, "unknown")
    value = FIGURES[target.figure].read(results)
    if target.figure == "valid":
        verdict: Verdict = "pass" if value is True else "fail" if value is False else "unknown"
        return Check(target, value, verdict)
    if value is None:
        return Check(target, None, "unknown")
    return Check(target, value, "pass" if target.met(value) else "fail")


@dataclass(frozen=True, slots=True)
class Run:
    """One ``maelstrom test`` a challenge asks for: its flags after ``--bin`` and
    its targets; ``label`` tells it apart when a challenge has several."""

    flags: str
    targets: tuple[Target, ...] = (VALID,)
    label: str = ""


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge: its name (``3d``), title, workload and runs.

    ``source`` says where its flags and targets are stated; ``unconfirmed``,
    which of them its page does not state (public solutions agree on them);
    ``note``, what else a learner should know.
    """

    name: str
    title: str
    workload: str
    runs: tuple[Run, ...]
    source: str
    unconfirmed: str = ""
    note: str = ""


_PAGE = "fly.io/dist-sys/"
_FLAGS_3D = "--node-count 25 --time-limit 20 --rate 100 --latency 100"
_FLAGS_5B = "--node-count 2 --concurrency 2n --time-limit 20 --rate 1000"
_FLAGS_6B = "--node-count 2 --concurrency 2n --time-limit 20 --rate 1000"

CHALLENGES: tuple[Challenge, ...] = (
    Challenge("1", "Echo", "echo", (Run("--node-count 1 --time-limit 10"),),
              source=_PAGE + "1", unconfirmed="the flags"),
    Challenge("2", "Unique ID Generation", "unique-ids",
              (Run("--time-limit 30 --rate 1000 --node-count 3 --availability total "
                   "--nemesis partition", (VALID, TOTAL_AVAILABILITY)),),
              source=_PAGE + "2"),
    Challenge("3a", "Single-Node Broadcast", "broadcast",
              (Run("--node-count 1 --time-limit 20 --rate 10"),),
              source=_PAGE + "3a", unconfirmed="the flags"),
    Challenge("3b", "Multi-Node Broadcast", "broadcast",
              (Run("--node-count 5 --time-limit 20 --rate 10"),), source=_PAGE + "3b",
              note="the page asks for quick propagation but sets no figure; only "
              "validity is checked"),
    Challenge("3c", "Fault Tolerant Broadcast", "broadcast",
              (Run("--node-count 5 --time-limit 20 --rate 10 --nemesis partition"),),
              source=_PAGE + "3c"),
    Challenge("3d", "Efficient Broadcast, Part I", "broadcast",
              (Run(_FLAGS_3D, (VALID, Target("msgs_per_op", 30),
                               Target("stable_latency_median", 400),
                               Target("stable_latency_max", 600))),
               Run(_FLAGS_3D + " --nemesis partition", (VALID,), "with --nemesis partition")),
              source=f"targets: {_PAGE}3d; flags: {_PAGE}3e (the same command as 3d)",
              note="messages per operation count reads and final reads too (about half "
              "the operations)"),
    Challenge("3e", "Efficient Broadcast, Part II", "broadcast",
              (Run(_FLAGS_3D, (VALID, Target("msgs_per_op", 20),
                               Target("stable_latency_median", 1000),
                               Target("stable_latency_max", 2000))),),
              source=_PAGE + "3e"),
    Challenge("4", "Grow-Only Counter", "g-counter",
              (Run("--node-count 3 --rate 100 --time-limit 20 --nemesis partition"),),
              source=_PAGE + "4", unconfirmed="the flags",
              note="nodes keep the count in the seq-kv service"),
    Challenge("5a", "Single-Node Kafka-Style Log", "kafka",
              (Run("--node-count 1 --concurrency 2n --time-limit 20 --rate 1000"),),
              source=_PAGE + "5a", unconfirmed="the flags"),
    Challenge("5b", "Multi-Node Kafka-Style Log", "kafka", (Run(_FLAGS_5B),),
              source=_PAGE + "5b", note="nodes may use the lin-kv service"),
    Challenge("5c", "Efficient Kafka-Style Log", "kafka", (Run(_FLAGS_5B),),
              source=_PAGE + "5c", note="the page asks for fewer messages per operation "
              "and better latency and availability than 5b, with no figure"),
    Challenge("6a", "Single-Node, Totally-Available Transactions", "txn-rw-register",
              (Run("--node-count 1 --time-limit 20 --rate 1000 --concurrency 2n "
                   "--consistency-models read-uncommitted --availability total",
                   (VALID, TOTAL_AVAILABILITY)),),
              source=_PAGE + "6a",
              unconfirmed="--consistency-models read-uncommitted --availability total"),
    Challenge("6b", "Totally-Available, Read Uncommitted Transactions", "txn-rw-register",
              (Run(_FLAGS_6B + " --consistency-models read-uncommitted"),
               Run(_FLAGS_6B + " --consistency-models read-uncommitted --availability total "
                   "--nemesis partition", (VALID, TOTAL_AVAILABILITY),
                   "with --availability total --nemesis partition")),
              source=_PAGE + "6b", note="Maelstrom does not detect G0 (dirty writes)"),
    Challenge("6c", "Totally-Available, Read Committed Transactions", "txn-rw-register",
              (Run("--node-count 2 --concurrency 2n --time-limit 20 --rate 1000 "
                   "--consistency-models read-committed --availability total "
                   "--nemesis partition", (VALID, TOTAL_AVAILABILITY)),),
              source=_PAGE + "6c",
              unconfirmed="--rate 1000 --consistency-models read-committed "
              "--availability total --nemesis partition",
              note="nodes may abort a transaction with error 30 (txn-conflict), which "
              "counts against availability"),
)  # fmt: skip


def by_name() -> dict[str, Challenge]:
    """Every challenge by its name."""
    return {c.name: c for c in CHALLENGES}
