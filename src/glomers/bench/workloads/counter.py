"""The g-counter and pn-counter workloads (Maelstrom's pn_counter.clj, g_counter.clj).

Clients send ``add {delta}`` and ``read``; reads and adds are mixed with equal
weight and deltas are drawn from [-5, 4]. The g-counter workload drops negative
deltas, so about a third of its operations are adds. After recovery every
worker reads once more; those final reads must lie in the set of values the
acknowledged and possibly-applied adds allow.
"""

from __future__ import annotations

import random
from typing import Any

from glomers.bench import checker
from glomers.bench.client import Client
from glomers.bench.history import Op
from glomers.bench.workloads import Completion, call


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
            return await call(
                lambda: client.rpc(node, {"type": "add", "delta": value}, self.timeout),
                lambda body: (
                    Completion("ok", value)
                    if body.get("type") == "add_ok"
                    else f"expected an add_ok reply, got {body!r}"
                ),
            )
        return await call(
            lambda: client.rpc(node, {"type": "read"}, self.timeout), _read_completion
        )

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": checker.counter_checker(history), "read_lag": checker.read_lag(history)}


def _read_completion(body: dict[str, Any]) -> Completion | str:
    value = body.get("value")
    if body.get("type") != "read_ok":
        return f"expected a read_ok reply, got {body!r}"
    if type(value) is not int:
        return f"a read_ok value must be an integer, got {value!r}"
    return Completion("ok", value)
