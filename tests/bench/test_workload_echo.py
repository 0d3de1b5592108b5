"""The echo checker on hand-written histories."""

from __future__ import annotations

import json
from typing import Any

from glomers.bench.workloads.echo import echo_checker
from tests.bench.histories import History

# ---------------------------------------------------------------------------
# echo


def echo(h: History, process: int, sent: Any, reply: Any, outcome: str = "ok", **kw: Any) -> None:
    h.invoke(process, "echo", sent)
    h.complete(process, outcome, "echo", reply, node="n0", **kw)


def test_echo_valid() -> None:
    h = History()
    echo(h, 0, "Please echo 1", {"type": "echo_ok", "echo": "Please echo 1", "in_reply_to": 1})
    echo(h, 1, {"a": [1, 2]}, {"type": "echo_ok", "echo": {"a": [1, 2]}})
    echo(h, 2, "lost", None, "info", error="timeout")
    h.invoke(3, "echo", "never answered")
    result = echo_checker(h.ops)
    assert result == {"valid": True, "errors": [], "ok_count": 2, "indeterminate": 2}


def test_echo_errors() -> None:
    h = History()
    echo(h, 0, "hello", {"type": "echo_ok", "echo": "goodbye"})
    echo(h, 1, 1, {"type": "echo_ok", "echo": True})
    echo(h, 2, "hello", {"type": "echo_ok"})
    echo(h, 3, "hello", "hello", "fail", error=[11, "temporarily unavailable"])
    result = echo_checker(h.ops)
    assert result["valid"] is False
    reasons = [(e["process"], e["received"], e["reason"]) for e in result["errors"]]
    assert reasons == [
        (0, "goodbye", "reply echoed a different value"),
        (1, True, "reply echoed a different value"),
        (2, {"type": "echo_ok"}, "reply has no 'echo' field"),
        (3, [11, "temporarily unavailable"], "echo failed: [11, 'temporarily unavailable']"),
    ]
    assert result["errors"][0]["expected"] == "hello"
    assert result["errors"][0]["node"] == "n0"
    json.dumps(result)
