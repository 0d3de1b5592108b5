"""The g-counter and pn-counter workloads (Maelstrom's pn_counter.clj, g_counter.clj).

Clients send ``add {delta}`` and ``read``; reads and adds are mixed with equal
weight and deltas are drawn from [-5, 4]. The g-counter workload drops negative
deltas, so about a third of its operations are adds. After recovery every
worker reads once more; those final reads must lie in the set of values the
acknowledged and possibly-applied adds allow.
"""

from __future__ import annotations

import random
from typing import Annotated, Any

import msgspec

from glomers.bench import checker
from glomers.bench.client import Client
from glomers.bench.history import Op
from glomers.bench.workloads import LONG_MAX, LONG_MIN, Completion, ErrorPolicy, Reply, call

#: Maelstrom's counter clients catch nothing: every timeout and error is ``info``.
POLICY = ErrorPolicy("none")


class AddOk(Reply, tag="add_ok"):
    """The reply to ``add``: nothing but the acknowledgement."""


class ReadOk(Reply, tag="read_ok"):
    """The reply to ``read``: the counter, an integer that fits a signed 64-bit long."""

    value: Annotated[int, msgspec.Meta(ge=LONG_MIN, le=LONG_MAX)]


class CounterWorkload:
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

    def final(self) -> tuple[str, Any]:
        return "read", None

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        if f == "add":
            request = {"type": "add", "delta": value}
            added = await call(client, node, f, request, AddOk, POLICY, self.timeout)
            return added if isinstance(added, Completion) else Completion("ok", value)
        read = await call(client, node, f, {"type": "read"}, ReadOk, POLICY, self.timeout)
        return read if isinstance(read, Completion) else Completion("ok", read.value)

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": checker.counter_checker(history)}
