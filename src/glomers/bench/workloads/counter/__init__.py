"""The g-counter and pn-counter workloads (Maelstrom's pn_counter.clj, g_counter.clj).

Clients send ``add {delta}`` and ``read``; reads and adds are mixed with equal
weight and deltas are drawn from [-5, 4]. The g-counter workload drops negative
deltas, so about a third of its operations are adds. After recovery every
worker reads once more; those final reads must lie in the set of values the
acknowledged and possibly-applied adds allow.

The workload is this package: the clients here, the verdicts in ``checker``
(Maelstrom's, and the re-check of definite errors beyond it), read lag in
``read_lag``, and what the counters add to the pages in ``pages``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Annotated, Any

import msgspec

from glomers.bench.client import Client
from glomers.bench.findings import Finding, FindingInput
from glomers.bench.history import Op
from glomers.bench.pages.explain import Reason
from glomers.bench.workloads import (
    LONG_MAX,
    LONG_MIN,
    Completion,
    ErrorPolicy,
    Plot,
    Reply,
    Workload,
    call,
)
from glomers.bench.workloads.counter import pages
from glomers.bench.workloads.counter.checker import counter_checker, definite_errors
from glomers.bench.workloads.counter.read_lag import read_lag_finding
from glomers.bench.workloads.registry import DefaultNode, Entry, register

#: Maelstrom's counter clients catch nothing: every timeout and error is ``info``.
POLICY = ErrorPolicy("none")


class AddOk(Reply, tag="add_ok"):
    """The reply to ``add``: nothing but the acknowledgement."""


class ReadOk(Reply, tag="read_ok"):
    """The reply to ``read``: the counter, an integer that fits a signed 64-bit long."""

    value: Annotated[int, msgspec.Meta(ge=LONG_MIN, le=LONG_MAX)]


class CounterWorkload(Workload):
    """``g-counter`` (non-negative deltas) or ``pn-counter``."""

    def __init__(self, name: str, client_timeout: float) -> None:
        self.name = name
        self.grow_only = name == "g-counter"
        self.timeout = client_timeout

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        while True:
            if rng.random() < 0.5:
                return "read", None
            delta = rng.randrange(10) - 5
            if delta >= 0 or not self.grow_only:
                return "add", delta

    def final(self) -> tuple[str, Any] | None:
        return "read", None

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        if f == "add":
            request = {"type": "add", "delta": value}
            added = await call(client, node, f, request, AddOk, POLICY, self.timeout)
            return added if isinstance(added, Completion) else Completion("ok", value)
        read = await call(client, node, f, {"type": "read"}, ReadOk, POLICY, self.timeout)
        return read if isinstance(read, Completion) else Completion("ok", read.value)

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": counter_checker(history)}

    def findings(self) -> Mapping[str, Finding]:
        return FINDINGS

    def summary_lines(self, results: Mapping[str, Any]) -> list[str]:
        return pages.summary_lines(results)

    def caveat(self, results: Mapping[str, Any]) -> str | None:
        return pages.unchecked_reads(results)

    def reasons(self, name: str, result: Mapping[str, Any]) -> list[Reason]:
        return pages.bound_reasons(result)

    def report_rows(self, result: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return pages.final_read_rows(result)

    def report_html(self, results: Mapping[str, Any]) -> str:
        return pages.read_lag_html(results)

    def plots(self) -> Sequence[Plot]:
        return PLOTS


def _definite_errors(run: FindingInput) -> dict[str, Any]:
    return definite_errors(run.history)


#: The counters' findings beyond Maelstrom (see ``checker`` and ``read_lag``).
FINDINGS: Mapping[str, Finding] = {
    "definite_errors": _definite_errors,
    "read_lag": read_lag_finding,
}

PLOTS = (
    Plot(
        "read-lag.png",
        "How far behind the acknowledged adds each ok read was, over time",
        pages.draw_read_lag,
    ),
)

register(
    Entry(
        "g-counter",
        "a grow-only counter: add non-negative deltas, read the total",
        partial(CounterWorkload, "g-counter"),
        DefaultNode("glomers.counter:build", "glomers.counter"),
    )
)
register(
    Entry(
        "pn-counter",
        "a counter that also goes down: add any delta, read the total",
        partial(CounterWorkload, "pn-counter"),
        DefaultNode("glomers.counter:build_pn", "glomers.counter", ("--pn",)),
    )
)
