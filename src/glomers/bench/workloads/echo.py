"""The echo workload (Maelstrom's echo.clj): each request must come back unchanged."""

from __future__ import annotations

import random
from typing import Any

import msgspec

from glomers.bench import checker
from glomers.bench.client import Client
from glomers.bench.history import Op
from glomers.bench.workloads import Completion, ErrorPolicy, Reply, call

#: Errors as in Maelstrom's echo: a definite code is ``fail``; nothing is idempotent.
POLICY = ErrorPolicy("with-errors")


class EchoOk(Reply, tag="echo_ok"):
    """The reply to ``echo``: the value sent, whatever JSON it was."""

    echo: Any


class EchoWorkload:
    """Clients send ``echo {echo}``; nodes answer ``echo_ok`` with the same ``echo``."""

    name = "echo"

    def __init__(self, client_timeout: float) -> None:
        self.timeout = client_timeout

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        return "echo", f"Please echo {rng.randrange(128)}"

    def final(self) -> None:
        return None

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        request = {"type": "echo", "echo": value}
        reply = await call(client, node, f, request, EchoOk, POLICY, self.timeout)
        if isinstance(reply, Completion):
            return reply
        # The ok value is the whole reply body, as Maelstrom records it.
        return Completion("ok", msgspec.to_builtins(reply))

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": checker.echo_checker(history)}
