"""The g-set workload (Maelstrom's g_set.clj): a grow-only set, added to and read.

Clients send ``add {element}`` (answered ``add_ok``) and ``read`` (answered
``read_ok {value}``) half and half, the elements 0, 1, 2, ... from one counter
for the whole run. Maelstrom's g-set client catches nothing, so every timeout
and every error reply is ``info``. After recovery every worker reads once more
(not flagged final: set-full uses every read). The verdict is set-full
(``setfull``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from typing import Any

from glomers.bench.client import Client
from glomers.bench.history import Op
from glomers.bench.pages.explain import Reason
from glomers.bench.workloads import Completion, ErrorPolicy, Reply, Workload, call, setfull
from glomers.bench.workloads.registry import DefaultNode, Entry, register

#: Maelstrom's g-set client catches nothing: every timeout and error is ``info``.
POLICY = ErrorPolicy("none")


class AddOk(Reply, tag="add_ok"):
    """The reply to ``add``: nothing but the acknowledgement."""


class ReadOk(Reply, tag="read_ok"):
    """The reply to ``read``: the set's elements, any JSON values."""

    value: list[Any]


class GSetWorkload(Workload):
    """Clients add 0, 1, 2, ... and read the whole set."""

    name = "g-set"
    flag_final = False

    def __init__(self, client_timeout: float) -> None:
        self.timeout = client_timeout
        self._next = itertools.count()

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        if rng.random() < 0.5:
            return "add", next(self._next)
        return "read", None

    def final(self) -> tuple[str, Any] | None:
        return "read", None

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        if f == "add":
            request = {"type": "add", "element": value}
            added = await call(client, node, f, request, AddOk, POLICY, self.timeout)
            return added if isinstance(added, Completion) else Completion("ok", value)
        read = await call(client, node, f, {"type": "read"}, ReadOk, POLICY, self.timeout)
        return read if isinstance(read, Completion) else Completion("ok", read.value)

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": setfull.set_full(history)}

    def summary_lines(self, results: Mapping[str, Any]) -> list[str]:
        return setfull.summary_lines(results.get("workload") or {})

    def reasons(self, name: str, result: Mapping[str, Any]) -> list[Reason]:
        return setfull.reasons(result) if name == "workload" else []

    def report_rows(self, result: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return setfull.report_rows(result)


register(
    Entry(
        "g-set",
        "a grow-only set: add elements, read them all back",
        GSetWorkload,
        DefaultNode("glomers.examples.g_set:build", "glomers.examples.g_set"),
    )
)
