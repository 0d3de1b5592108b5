"""The echo workload (Maelstrom's echo.clj): each request must come back unchanged."""

from __future__ import annotations

import random
from typing import Any

from glomers.bench import checker
from glomers.bench.client import Client
from glomers.bench.history import Op
from glomers.bench.workloads import Completion, call


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
        return await call(
            lambda: client.rpc(node, {"type": "echo", "echo": value}, self.timeout),
            lambda body: (
                Completion("ok", body)
                if body.get("type") == "echo_ok"
                else f"expected an echo_ok reply, got {body!r}"
            ),
        )

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": checker.echo_checker(history)}
