"""Workload clients against a scripted node: closed reply schemas and error mapping."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import pytest

from glomers.bench.client import Client
from glomers.bench.clock import LoopClock
from glomers.bench.net import Network
from glomers.bench.workloads import Completion, ErrorPolicy
from glomers.bench.workloads import counter as counter_workload
from glomers.bench.workloads import echo as echo_workload
from glomers.bench.workloads.counter import ReadOk
from glomers.bench.workloads.registry import make

#: What the scripted node answers to a request body: a reply body, or None for silence.
Script = Callable[[dict[str, Any]], dict[str, Any] | None]

TIMEOUT = 0.05


async def _perform(workload: str, f: str, value: Any, script: Script) -> Completion:
    clock = LoopClock()
    net = Network(clock, random.Random(1))

    def node(message: dict[str, Any]) -> None:
        reply = script(message["body"])
        if reply is not None:
            net.send({"src": "n0", "dest": message["src"], "body": reply})

    net.add("n0", node)
    client = Client(net, clock, "c0")
    try:
        return await make(workload, TIMEOUT).invoke(client, "n0", f, value)
    finally:
        client.close()


def perform(workload: str, f: str, value: Any, script: Script) -> Completion:
    return asyncio.run(_perform(workload, f, value, script))


def answer(**fields: Any) -> Script:
    """A node that answers every request with ``fields`` plus the right ``in_reply_to``."""
    return lambda body: {"in_reply_to": body["msg_id"], **fields}


def error(code: int, text: str = "no") -> Script:
    return answer(type="error", code=code, text=text)


def silent(body: dict[str, Any]) -> None:
    return None


# ---------------------------------------------------------------------------
# Closed reply schemas


def test_well_formed_replies_complete_ok() -> None:
    assert perform("g-counter", "add", 3, answer(type="add_ok")) == Completion("ok", 3)
    assert perform("g-counter", "read", None, answer(type="read_ok", value=7, msg_id=4)) == (
        Completion("ok", 7)
    )
    big = 2**63 - 1
    assert perform("pn-counter", "read", None, answer(type="read_ok", value=-big - 1)).value == (
        -big - 1
    )
    assert perform("g-counter", "read", None, answer(type="read_ok", value=big)).value == big


@pytest.mark.parametrize(
    ("f", "reply", "named"),
    [
        ("add", {"type": "add_ok", "delta": 3}, "unknown field `delta`"),
        ("add", {"type": "read_ok"}, "'add_ok'"),
        ("add", {"type": "add_ok", "msg_id": "7"}, "`$.msg_id`"),
        ("add", {"type": "add_ok", "msg_id": None}, "`$.msg_id`"),
        ("add", {}, "`type`"),
        ("read", {"type": "read_ok"}, "missing required field `value`"),
        ("read", {"type": "read_ok", "value": "3"}, "`$.value`"),
        ("read", {"type": "read_ok", "value": True}, "got `bool` - at `$.value`"),
        ("read", {"type": "read_ok", "value": 3.0}, "got `float` - at `$.value`"),
        ("read", {"type": "read_ok", "value": 2**63}, "`$.value`"),
        ("read", {"type": "read_ok", "value": -(2**63) - 1}, "`$.value`"),
        ("read", {"type": "read_ok", "value": 3, "values": [3]}, "unknown field `values`"),
    ],
)
def test_malformed_counter_replies_are_info_naming_the_field(
    f: str, reply: dict[str, Any], named: str
) -> None:
    done = perform("g-counter", f, 1 if f == "add" else None, answer(**reply))
    assert done.type == "info"
    assert done.error.startswith("indeterminate: malformed-rpc-response: n0's reply to")
    assert named in done.error
    assert done.extra == {"exception": "malformed-rpc-response"}


@pytest.mark.parametrize(
    ("reply", "named"),
    [
        ({"type": "echo_ok"}, "missing required field `echo`"),
        ({"type": "echo_ok", "echo": "x", "from": "n0"}, "unknown field `from`"),
        ({"type": "echo_ok", "echo": "x", "in_reply_to": "1"}, None),
    ],
)
def test_malformed_echo_replies_are_info(reply: dict[str, Any], named: str | None) -> None:
    def script(body: dict[str, Any]) -> dict[str, Any]:
        return {"in_reply_to": body["msg_id"], **reply}

    done = perform("echo", "echo", "x", script)
    assert done.type == "info"
    if named is None:
        # An in_reply_to that is not the integer sent answers nothing: a timeout.
        assert done.error == "net-timeout"
    else:
        assert named in done.error
        assert done.extra == {"exception": "malformed-rpc-response"}


def test_echo_ok_value_is_the_whole_reply_body() -> None:
    done = perform("echo", "echo", "hi", answer(type="echo_ok", echo={"any": ["json", 1]}))
    assert done == Completion(
        "ok", {"type": "echo_ok", "echo": {"any": ["json", 1]}, "in_reply_to": 1}
    )


def test_replies_to_other_msg_ids_or_with_boolean_in_reply_to_are_ignored() -> None:
    done = perform("g-counter", "read", None, lambda body: {"type": "read_ok", "value": 1,
                                                            "in_reply_to": True})  # fmt: skip
    assert done.type == "info"
    assert done.extra == {"exception": "timeout"}


def test_an_error_reply_is_an_rpc_error_before_any_schema_check() -> None:
    # Extra fields on an error body are no schema violation.
    done = perform("echo", "echo", "x", answer(type="error", code=20, text="gone", extra=1))
    assert done.type == "fail"
    assert done.error == ["key-does-not-exist", "gone"]


def test_schemas_are_declared_next_to_their_workload() -> None:
    assert ReadOk.__struct_config__.tag == "read_ok"
    assert counter_workload.AddOk.__struct_config__.forbid_unknown_fields
    assert echo_workload.EchoOk.__struct_config__.tag == "echo_ok"


# ---------------------------------------------------------------------------
# Errors to op types


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (silent, Completion("info", error="net-timeout")),
        (error(20, "gone"), Completion("fail", error=["key-does-not-exist", "gone"],
                                       extra={"code": 20})),
        (error(11), Completion("fail", error=["temporarily-unavailable", "no"],
                               extra={"code": 11})),
        (error(13), Completion("info", error=["crash", "no"], extra={"code": 13})),
        (error(0), Completion("info", error=["timeout", "no"], extra={"code": 0})),
        (error(1005), Completion("info", error=["unknown", "no"], extra={"code": 1005})),
    ],
)  # fmt: skip
def test_echo_errors_follow_with_errors(script: Script, expected: Completion) -> None:
    assert perform("echo", "echo", "x", script) == expected


@pytest.mark.parametrize("workload", ["g-counter", "pn-counter"])
@pytest.mark.parametrize("f", ["add", "read"])
@pytest.mark.parametrize(
    ("script", "exception", "text"),
    [
        (silent, "timeout", "no reply from n0 within 0.05 s"),
        (error(20, "gone"), "key-does-not-exist", "n0 answered with error 20 (key-does-not-exist)"),
        (error(12), "malformed-request", "n0 answered with error 12 (malformed-request)"),
        (error(13), "crash", "n0 answered with error 13 (crash)"),
        (error(1005), "unknown", "n0 answered with error 1005 (unknown)"),
    ],
)
def test_counter_errors_are_all_info(
    workload: str, f: str, script: Script, exception: str, text: str
) -> None:
    done = perform(workload, f, 2 if f == "add" else None, script)
    assert done.type == "info"
    assert done.error.startswith(f"indeterminate: {text}")
    assert done.extra["exception"] == exception
    # The code is kept, so checks beyond Maelstrom can tell a definite one.
    assert done.extra.get("code") == (None if script is silent else int(text.split()[4]))


def test_policies_are_declared_per_workload_module() -> None:
    assert ErrorPolicy("with-errors", frozenset()) == echo_workload.POLICY
    assert ErrorPolicy("none") == counter_workload.POLICY


def test_idempotent_f_fails_on_timeouts_and_indefinite_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(echo_workload, "POLICY", ErrorPolicy("with-errors", frozenset({"echo"})))
    assert perform("echo", "echo", "x", silent) == Completion("fail", error="net-timeout")
    assert perform("echo", "echo", "x", error(13)).type == "fail"
    assert perform("echo", "echo", "x", error(1005)).type == "fail"
    # A malformed reply stays info even for an idempotent f.
    assert perform("echo", "echo", "x", answer(type="echo_ok")).type == "info"
