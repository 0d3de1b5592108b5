"""Workloads: what clients ask of the nodes, and how the answers are judged.

A workload generates operations (``f`` and ``value``) for the main phase, may
name one operation every worker performs after recovery (the final reads),
turns each operation into a request to a node and its reply into a completion,
and checks the resulting history.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from glomers.bench.client import Client, ClientError, ClientTimeout
from glomers.bench.history import Op, OpType


@dataclass(slots=True)
class Completion:
    """How an operation ended: its type, the value that came back, and why if not ok."""

    type: OpType
    value: Any = None
    error: Any = None


class Workload(Protocol):
    """What the test runner needs from a workload.

    A workload whose clients are reusable (Maelstrom's unique-ids, lin-kv,
    txn-*) says so with a class attribute ``reusable_clients = True``: a thread
    then keeps its client when its process changes after an ``info``. Without it
    (see ``reuses_clients``) the client is replaced, as Maelstrom replaces echo's,
    broadcast's or the counters'.
    """

    name: str

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        """The next operation of the main phase: ``(f, value)``."""
        ...

    def final(self) -> tuple[str, Any] | None:
        """The operation each worker performs after recovery, if any."""
        ...

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        """Perform one operation through ``client`` against ``node``."""
        ...

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        """The workload's checkers, by name (``workload`` first)."""
        ...


def reuses_clients(workload: Workload) -> bool:
    """Whether ``workload`` declares its clients reusable (default: no)."""
    return bool(getattr(workload, "reusable_clients", False))


async def call(
    request: Callable[[], Awaitable[dict[str, Any]]],
    accept: Callable[[dict[str, Any]], Completion | str],
) -> Completion:
    """Run one request and classify it as Maelstrom does.

    ``accept`` turns a reply body into the ok completion, or returns a string
    saying why the reply is malformed. A timeout or an indefinite error is
    ``info`` (it may have happened); a definite error is ``fail``; a malformed
    reply is ``info``, because the request may well have been carried out.
    """
    try:
        body = await request()
    except ClientTimeout:
        return Completion("info", error="net-timeout")
    except ClientError as exc:
        return Completion("fail" if exc.definite else "info", error=[exc.label, exc.text])
    outcome = accept(body)
    if isinstance(outcome, str):
        return Completion("info", error=["malformed-rpc-response", outcome])
    return outcome


WORKLOADS = ("echo", "g-counter", "pn-counter")


def workload_for(name: str, client_timeout: float) -> Workload:
    """The workload called ``name`` (one of ``WORKLOADS``)."""
    from glomers.bench.workloads.counter import CounterWorkload
    from glomers.bench.workloads.echo import EchoWorkload

    if name == "echo":
        return EchoWorkload(client_timeout)
    if name in ("g-counter", "pn-counter"):
        return CounterWorkload(name, client_timeout)
    raise ValueError(f"unknown workload {name!r}; choose one of {', '.join(WORKLOADS)}")
