"""The echo workload (Maelstrom's echo.clj): each request must come back unchanged.

Clients send ``echo {echo}``; nodes answer ``echo_ok`` with the same ``echo``.
``echo_checker`` is the verdict; echo adds nothing to the pages beyond the
generic figures.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from glomers.bench.checker import operations
from glomers.bench.client import Client
from glomers.bench.history import Op
from glomers.bench.workloads import Completion, ErrorPolicy, Reply, Workload, call
from glomers.bench.workloads.registry import DefaultNode, Entry, register

#: Errors as in Maelstrom's echo: a definite code is ``fail``; nothing is idempotent.
POLICY = ErrorPolicy("with-errors")


class EchoOk(Reply, tag="echo_ok"):
    """The reply to ``echo``: the value sent, whatever JSON it was."""

    echo: Any


class EchoWorkload(Workload):
    """Clients send ``echo {echo}``; nodes answer ``echo_ok`` with the same ``echo``."""

    name = "echo"

    def __init__(self, client_timeout: float) -> None:
        self.timeout = client_timeout

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        return "echo", f"Please echo {rng.randrange(128)}"

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        request = {"type": "echo", "echo": value}
        reply = await call(client, node, f, request, EchoOk, POLICY, self.timeout)
        if isinstance(reply, Completion):
            return reply
        # The ok value is the whole reply body, as Maelstrom records it.
        return Completion("ok", msgspec.to_builtins(reply))

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": echo_checker(history)}


def echo_checker(history: Sequence[Op]) -> dict[str, Any]:
    """Maelstrom's echo checker: each reply must echo the invocation's value.

    An ``ok`` completion's value is the reply body; its ``echo`` must equal the
    invoke's value (JSON equality: ``true`` is not ``1``). A ``fail`` is an
    error too, as in Maelstrom, where the failed op's value is not a reply
    body and so never matches. ``info`` operations and ones that never
    completed prove nothing either way and are only counted.

    Returns ``{valid, errors, ok_count, indeterminate}``; each error is
    ``{process, node, expected, received, reason}``.
    """
    errors: list[dict[str, Any]] = []
    ok_count = indeterminate = 0
    for operation in operations(list(history)):
        invoke, completion = operation.invoke, operation.completion
        if invoke is None:
            # Without the invocation there is nothing to compare the reply with.
            continue
        if completion is None or operation.outcome == "info":
            indeterminate += 1
            continue
        where = {"process": operation.process, "node": operation.node, "expected": invoke.value}
        if operation.outcome == "fail":
            reason = f"echo failed: {completion.error!r}"
            errors.append(where | {"received": completion.error, "reason": reason})
            continue
        ok_count += 1
        body = completion.value
        if not isinstance(body, Mapping) or "echo" not in body:
            reason = "reply has no 'echo' field"
            errors.append(where | {"received": body, "reason": reason})
        elif not _json_equal(body["echo"], invoke.value):
            reason = "reply echoed a different value"
            errors.append(where | {"received": body["echo"], "reason": reason})
    return {
        "valid": not errors,
        "errors": errors,
        "ok_count": ok_count,
        "indeterminate": indeterminate,
    }


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values, where booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping | list | tuple) or isinstance(b, Mapping | list | tuple):
        return False
    return bool(a == b)


register(
    Entry(
        "echo",
        "nodes answer each echo request with what it carried",
        EchoWorkload,
        DefaultNode("glomers.examples.echo:build", "glomers.examples.echo"),
    )
)
