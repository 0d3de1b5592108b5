"""The node runtime driven in memory: protocol, handlers, errors, RPC, concurrency."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, TypedDict

import msgspec
import pytest

from glomers import (
    Body,
    Crash,
    KeyDoesNotExist,
    MalformedRequest,
    Node,
    Request,
    RPCError,
    Timeout,
)
from glomers.examples.echo import build as build_echo
from glomers.node import Later
from glomers.testing import MemoryTransport

# Timers, RPC timeouts and waits run on a virtual clock: no test waits for real time.
pytestmark = pytest.mark.looptime


def error_of(reply: Body) -> tuple[int, str]:
    assert reply["type"] == "error", reply
    return reply["code"], reply.get("text", "")


async def test_init_sets_ids_and_answers() -> None:
    node = Node()
    net = MemoryTransport(node, node_id="n2", node_ids=["n1", "n2", "n3"])
    reply = await net.start()
    assert reply == {"type": "init_ok", "in_reply_to": 1}
    assert (node.node_id, node.node_ids) == ("n2", ["n1", "n2", "n3"])
    assert net.sent[0]["src"] == "n2" and net.sent[0]["dest"] == "c0"
    await net.close()


async def test_malformed_init_gets_error_12() -> None:
    node = Node()
    net = MemoryTransport(node)
    node._attach(net._receive)
    reply = await net.request({"type": "init", "node_id": 3, "node_ids": []}, src="c0")
    assert error_of(reply)[0] == 12
    reply = await net.request({"type": "init", "node_id": "n0", "node_ids": "n0"}, src="c0")
    assert error_of(reply) == (12, "init needs `node_ids`, a list of strings")
    await net.close()


async def test_echo_round_trip_and_big_integers() -> None:
    async with MemoryTransport(build_echo()) as net:
        assert await net.request({"type": "echo", "echo": "hi"}) == {
            "type": "echo_ok",
            "echo": "hi",
            "in_reply_to": 2,
        }
        big = 2**200 + 1
        reply = await net.request({"type": "echo", "echo": [big, -big]})
        assert reply["echo"] == [big, -big]


async def test_unknown_type_gets_error_10() -> None:
    async with MemoryTransport(build_echo()) as net:
        code, text = error_of(await net.request({"type": "frobnicate"}))
        assert code == 10 and "frobnicate" in text


class Add(msgspec.Struct):
    delta: int


class Move(TypedDict):
    key: str
    to: list[int]


def typed_node() -> Node:
    node = Node()

    @node.handler("add", Add)
    def add(req: Request[Add]) -> Body:
        return {"type": "add_ok", "doubled": req.body.delta * 2}

    @node.handler("move", Move)
    async def move(req: Request[Move]) -> Body:
        return {"type": "move_ok", "n": len(req.body["to"])}

    return node


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "add"}, "`delta`"),
        ({"type": "add", "delta": "3"}, "$.delta"),
        ({"type": "add", "delta": 1.5}, "$.delta"),
        ({"type": "add", "delta": True}, "$.delta"),
        ({"type": "add", "delta": None}, "$.delta"),
        ({"type": "move", "key": "k"}, "`to`"),
        ({"type": "move", "key": "k", "to": [1, "x"]}, "$.to[1]"),
        ({"type": "move", "key": 5, "to": []}, "$.key"),
    ],
)
async def test_bad_fields_get_error_12_naming_the_field(body: Body, field: str) -> None:
    async with MemoryTransport(typed_node()) as net:
        code, text = error_of(await net.request(body))
        assert code == 12
        assert field in text, text
        # ...and the node keeps serving.
        assert await net.request({"type": "add", "delta": 4}) == {
            "type": "add_ok",
            "doubled": 8,
            "in_reply_to": 3,
        }


class Dangling(msgspec.Struct):
    # A postponed annotation naming something that exists nowhere: resolving
    # the schema fails, which is the node's bug, not the request's.
    value: NoSuchType  # type: ignore[name-defined]  # noqa: F821


async def test_a_schema_that_cannot_be_resolved_answers_crash_and_keeps_serving() -> None:
    node = typed_node()

    @node.handler("dangle", Dangling)
    def dangle(req: Request[Dangling]) -> Body:
        return {"type": "dangle_ok"}

    async with MemoryTransport(node) as net:
        code, text = error_of(await net.request({"type": "dangle", "value": 1}))
        assert code == 13 and "NoSuchType" in text, text
        reply = await net.request({"type": "add", "delta": 4})
        assert reply["type"] == "add_ok"


async def test_typed_bodies_and_extra_fields_are_accepted() -> None:
    async with MemoryTransport(typed_node()) as net:
        reply = await net.request({"type": "move", "key": "k", "to": [1, 2], "extra": {}})
        assert reply["n"] == 2
        assert (await net.request({"type": "add", "delta": 2**70}))["doubled"] == 2**71


@pytest.mark.parametrize(
    "line",
    [
        b"not json at all",
        b"[1, 2, 3]",
        b'"a string"',
        b'{"src": "c1", "body": {"type": "echo", "msg_id": 9, "echo": 1}}',
        b'{"src": 5, "dest": "n0", "body": {"type": "echo", "msg_id": 9, "echo": 1}}',
        b'{"src": "c1", "dest": "n0", "body": "echo"}',
        b'{"src": "c1", "dest": "n0", "body": {"type": "echo", "msg_id": "9", "echo": 1}}',
        b'{"src": "c1", "dest": "n0", "body": {"type": "echo", "msg_id": 9.0, "echo": 1}}',
        b'{"src": "c1", "dest": "n0", "body": {"type": "echo"',
        b"\xff\xfe garbage bytes",
    ],
)
async def test_malformed_lines_are_logged_and_skipped(
    line: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    async with MemoryTransport(build_echo()) as net:
        before = len(net.sent)
        with caplog.at_level(logging.ERROR, logger="glomers.node"):
            net.deliver_line(line)
        await asyncio.sleep(0)
        assert len(net.sent) == before, "nothing may be answered to an unaddressable line"
        assert "skipping" in caplog.text
        assert (await net.request({"type": "echo", "echo": 1}))["echo"] == 1


async def test_type_that_is_not_a_string_gets_error_12() -> None:
    async with MemoryTransport(build_echo()) as net:
        assert error_of(await net.request({"type": 5})) == (
            12,
            "body field `type` must be a string",
        )


def failing_node() -> Node:
    node = Node()

    @node.handler("boom")
    async def boom(req: Request[Body]) -> Body:
        raise ZeroDivisionError("division by zero")

    @node.handler("sync_boom")
    def sync_boom(req: Request[Body]) -> Body:
        raise KeyError("missing")

    @node.handler("refuse")
    async def refuse(req: Request[Body]) -> Body:
        raise MalformedRequest("delta must be positive")

    @node.handler("custom")
    def custom(req: Request[Body]) -> Body:
        raise RPCError(1042, "application failure")

    @node.handler("bad_return")
    def bad_return(req: Request[Body]) -> Any:
        return ["not", "a", "body"]

    @node.handler("no_type")
    def no_type(req: Request[Body]) -> Any:
        return {"value": 1}

    return node


@pytest.mark.parametrize("kind", ["boom", "sync_boom", "bad_return", "no_type"])
async def test_crashing_handler_answers_13_logs_and_keeps_running(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with MemoryTransport(failing_node()) as net:
        with caplog.at_level(logging.ERROR, logger="glomers.node"):
            code, text = error_of(await net.request({"type": kind}))
        assert code == 13
        assert text
        assert "Traceback" in caplog.text
        assert error_of(await net.request({"type": "refuse"})) == (12, "delta must be positive")


async def test_rpc_error_raised_in_handler_keeps_its_code() -> None:
    async with MemoryTransport(failing_node()) as net:
        assert error_of(await net.request({"type": "custom"})) == (1042, "application failure")


def proxy_node() -> Node:
    """Forwards each request to seq-kv and lets whatever it answers escape."""
    node = Node(rpc_timeout=0.05)

    @node.handler("get")
    async def get(req: Request[Body]) -> Body:
        reply = await node.rpc("seq-kv", {"type": "read", "key": req.body["key"]})
        return {"type": "get_ok", "value": reply["value"]}

    return node


async def test_escaping_remote_errors_never_turn_definite() -> None:
    def kv(src: str, body: Body) -> Body | None:
        if body["key"] == "lost":
            return None
        if body["key"] == "custom":
            return {"type": "error", "code": 1005, "text": "odd"}
        return {"type": "error", "code": 20, "text": "key does not exist"}

    async with MemoryTransport(proxy_node(), services={"seq-kv": kv}) as net:
        # A definite error from the service would claim the whole request did
        # nothing, which the node cannot know: it is answered as a crash.
        code, text = error_of(await net.request({"type": "get", "key": "x"}))
        assert code == 13 and "key-does-not-exist" in text
        # Indefinite errors pass through with their code.
        assert error_of(await net.request({"type": "get", "key": "lost"}))[0] == 0
        assert error_of(await net.request({"type": "get", "key": "custom"}))[0] == 1005


async def test_slow_handler_does_not_block_others() -> None:
    node = Node()
    gate = asyncio.Event()

    @node.handler("slow")
    async def slow(req: Request[Body]) -> Body:
        await gate.wait()
        return {"type": "slow_ok"}

    @node.handler("fast")
    async def fast(req: Request[Body]) -> Body:
        return {"type": "fast_ok"}

    async with MemoryTransport(node) as net:
        slow_reply = asyncio.ensure_future(net.request({"type": "slow"}))
        for _ in range(5):
            assert (await net.request({"type": "fast"}))["type"] == "fast_ok"
        assert not slow_reply.done()
        gate.set()
        assert (await slow_reply)["type"] == "slow_ok"


async def test_concurrent_handlers_overlap() -> None:
    node = Node()
    running = 0
    peak = 0

    @node.handler("work")
    async def work(req: Request[Body]) -> Body:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return {"type": "work_ok"}

    async with MemoryTransport(node) as net:
        replies = await asyncio.gather(*(net.request({"type": "work"}) for _ in range(20)))
        assert all(r["type"] == "work_ok" for r in replies)
        assert peak == 20


async def test_rpc_timeout_is_code_0_and_late_reply_is_ignored() -> None:
    node = Node()
    outcome: list[Any] = []

    @node.handler("ask")
    async def ask(req: Request[Body]) -> Body:
        try:
            await node.rpc("n1", {"type": "ping"}, timeout=0.02)
        except Timeout as exc:
            outcome.append(exc)
            raise
        return {"type": "ask_ok"}

    async with MemoryTransport(node, node_ids=["n0", "n1"]) as net:
        code, _ = error_of(await net.request({"type": "ask"}))
        assert code == 0
        assert isinstance(outcome[0], Timeout) and outcome[0].source == "n1"
        ping = net.sent_to("n1")[0]
        # The answer arrives after the timeout: nothing happens, nothing breaks.
        net.deliver({"type": "pong", "in_reply_to": ping["msg_id"]}, src="n1")
        net.deliver({"type": "pong", "in_reply_to": 987654}, src="n1")
        net.deliver({"type": "pong", "in_reply_to": "junk"}, src="n1")
        await asyncio.sleep(0)
        assert (await net.request({"type": "nope"}))["code"] == 10


async def test_rpc_reply_and_error_reply() -> None:
    node = Node()
    seen: list[Any] = []

    @node.handler("go")
    async def go(req: Request[Body]) -> Body:
        seen.append(await node.rpc("n1", {"type": "ping"}))
        try:
            await node.rpc("n1", {"type": "ping", "fail": True})
        except KeyDoesNotExist as exc:
            seen.append(exc)
        return {"type": "go_ok"}

    def peer(src: str, body: Body) -> Body:
        if body.get("fail"):
            return {"type": "error", "code": 20, "text": "gone"}
        return {"type": "pong"}

    async with MemoryTransport(node, node_ids=["n0", "n1"], services={"n1": peer}) as net:
        assert (await net.request({"type": "go"}))["type"] == "go_ok"
    assert seen[0]["type"] == "pong"
    assert isinstance(seen[1], KeyDoesNotExist) and seen[1].source == "n1"
    ids = [b["msg_id"] for b in net.sent_to("n1")]
    assert len(set(ids)) == 2


async def test_callback_rpc_gets_replies_and_timeouts() -> None:
    node = Node()
    got: list[Body] = []
    done = asyncio.Event()

    def on_reply(body: Body) -> None:
        got.append(body)
        if len(got) == 2:
            done.set()

    async with MemoryTransport(
        node, node_ids=["n0", "n1"], services={"n1": lambda s, b: {"type": "pong"}}
    ):
        answered = node.call("n1", {"type": "ping"}, on_reply)
        lost = node.call("n2", {"type": "ping"}, on_reply, timeout=0.02)
        await asyncio.wait_for(done.wait(), 2)
    assert got[0] == {"type": "pong", "in_reply_to": answered}
    assert got[1]["code"] == 0 and got[1]["in_reply_to"] == lost


async def test_send_is_fire_and_forget() -> None:
    node = Node()
    async with MemoryTransport(node, node_ids=["n0", "n1"]) as net:
        node.send("n1", {"type": "gossip", "values": [1, 2]})
        message = await net.wait_for(lambda m: m["dest"] == "n1")
        assert message == {"src": "n0", "dest": "n1", "body": {"type": "gossip", "values": [1, 2]}}


async def test_bodies_that_cannot_be_sent_are_refused_clearly() -> None:
    node = Node()
    async with MemoryTransport(node):
        with pytest.raises(TypeError, match="string `type`"):
            node.send("n1", {"value": 1})
        with pytest.raises(TypeError, match="dict"):
            node.send("n1", ["gossip"])  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            node.send("n1", {"type": "x", "v": object()})
        node.send("n1", {"type": "fine"})
        await asyncio.sleep(0)


async def test_reply_inside_handler_and_double_reply_refused() -> None:
    node = Node()
    errors: list[Exception] = []

    @node.handler("twice")
    async def twice(req: Request[Body]) -> None:
        node.reply(req, {"type": "twice_ok"})
        try:
            node.reply(req, {"type": "twice_ok"})
        except RuntimeError as exc:
            errors.append(exc)

    async with MemoryTransport(node) as net:
        assert (await net.request({"type": "twice"}))["type"] == "twice_ok"
        await asyncio.sleep(0)
        assert len([m for m in net.sent if m["body"].get("in_reply_to") == 2]) == 1
    assert "already answered" in str(errors[0])


async def test_messages_without_msg_id_get_no_reply() -> None:
    node = Node()
    got: list[Body] = []

    @node.handler("gossip")
    def gossip(req: Request[Body]) -> None:
        got.append(req.body)

    async with MemoryTransport(node, node_ids=["n0", "n1"]) as net:
        net.deliver({"type": "gossip", "v": 1}, src="n1")
        net.deliver({"type": "unknown"}, src="n1")
        await asyncio.sleep(0.01)
        assert got == [{"type": "gossip", "v": 1}]
        assert len(net.sent) == 1  # only init_ok


async def test_messages_before_init_wait_for_it() -> None:
    node = build_echo()
    net = MemoryTransport(node)
    node._attach(net._receive)
    net.deliver({"type": "echo", "echo": "early", "msg_id": 77}, src="n1")
    await asyncio.sleep(0)
    assert net.sent == []
    await net.request({"type": "init", "node_id": "n0", "node_ids": ["n0", "n1"]}, src="c0")
    reply = await net.wait_for(lambda m: m["body"].get("in_reply_to") == 77)
    assert reply["src"] == "n0" and reply["body"]["echo"] == "early"
    await net.close()


async def test_init_hooks_run_before_init_ok_and_background_work_after() -> None:
    node = Node()
    order: list[str] = []

    @node.on_init
    async def prepare() -> None:
        order.append(f"hook {node.node_id}")
        await asyncio.sleep(0.01)
        order.append("hook done")

    async def background() -> None:
        order.append("spawned")

    ticks: list[float] = []
    node.spawn(background())
    node.every(0.01, lambda: ticks.append(1))

    @node.handler("read")
    def read(req: Request[Body]) -> Body:
        order.append("read")
        return {"type": "read_ok"}

    net = MemoryTransport(node)
    node._attach(net._receive)
    init = asyncio.ensure_future(
        net.request({"type": "init", "node_id": "n0", "node_ids": ["n0"]}, src="c0")
    )
    await asyncio.sleep(0)
    net.deliver({"type": "read", "msg_id": 50})
    assert (await init)["type"] == "init_ok"
    await net.wait_for(lambda m: m["body"].get("in_reply_to") == 50)
    await asyncio.sleep(0.05)
    assert order[:2] == ["hook n0", "hook done"]
    assert sorted(order[2:]) == ["read", "spawned"]
    assert len(ticks) >= 2
    await net.close()
    n = len(ticks)
    await asyncio.sleep(0.03)
    assert len(ticks) == n, "periodic work stops when the node closes"


async def test_every_calls_first_after_its_first_delay_then_every_period() -> None:
    node = Node()
    loop = asyncio.get_running_loop()
    ticks: dict[str, list[float]] = {"late": [], "now": [], "default": []}
    node.every(1.0, lambda: ticks["late"].append(loop.time()), first=0.25)
    node.every(1.0, lambda: ticks["now"].append(loop.time()), first=0)
    node.every(1.0, lambda: ticks["default"].append(loop.time()))
    async with MemoryTransport(node):
        start = loop.time()
        await asyncio.sleep(2.5)
    assert [round(t - start, 6) for t in ticks["late"]] == [0.25, 1.25, 2.25]
    assert [round(t - start, 6) for t in ticks["now"]] == [0.0, 1.0, 2.0]
    assert [round(t - start, 6) for t in ticks["default"]] == [1.0, 2.0]
    with pytest.raises(ValueError, match="first delay"):
        node.every(1.0, lambda: None, first=-1)


async def test_failing_init_hook_answers_init_with_error() -> None:
    node = Node()

    @node.on_init
    def broken() -> None:
        raise RuntimeError("cannot start")

    net = MemoryTransport(node)
    assert error_of(await net.start()) == (13, "RuntimeError: cannot start")
    await net.close()


async def test_periodic_task_errors_are_logged_and_it_keeps_going(
    caplog: pytest.LogCaptureFixture,
) -> None:
    node = Node()
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        raise ValueError("flaky")

    node.every(0.005, flaky)
    with caplog.at_level(logging.ERROR, logger="glomers.node"):
        async with MemoryTransport(node):
            await asyncio.sleep(0.05)
    assert len(calls) >= 3
    assert "flaky" in caplog.text


async def test_close_cancels_pending_work_and_flushes_answers() -> None:
    node = Node()
    cancelled = asyncio.Event()

    @node.handler("hang")
    async def hang(req: Request[Body]) -> Body:
        try:
            await node.rpc("n1", {"type": "never"}, timeout=None)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return {"type": "hang_ok"}

    @node.handler("quick")
    async def quick(req: Request[Body]) -> Body:
        return {"type": "quick_ok"}

    net = MemoryTransport(node, node_ids=["n0", "n1"])
    await net.start()
    net.deliver({"type": "hang", "msg_id": 10})
    net.deliver({"type": "quick", "msg_id": 11})
    await net.close()
    assert cancelled.is_set()
    answered = {m["body"].get("in_reply_to") for m in net.sent}
    assert 11 in answered and 10 not in answered
    assert node._calls.pending == {}


def test_registering_twice_or_init_is_refused() -> None:
    node = Node()
    node.handler("x")(lambda req: None)
    with pytest.raises(ValueError, match="already"):
        node.handler("x")(lambda req: None)
    with pytest.raises(ValueError, match="on_init"):
        node.handler("init")


def test_handler_without_parentheses_or_with_a_non_string_type_is_refused() -> None:
    node = Node()

    async def echo(req: Request[Body]) -> Body:
        return {"type": "echo_ok"}

    with pytest.raises(TypeError, match=r"needs the message type in parentheses.*'echo'"):
        node.handler(echo)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="a message type is a string"):
        node.handler(3)  # type: ignore[call-overload]
    assert node.handler("echo")(echo) is echo


async def test_spawn_before_init_returns_something_to_await() -> None:
    node = Node()

    async def answer() -> int:
        return 42

    later = node.spawn(answer())
    assert isinstance(later, Later)
    before_init = later.task
    async with MemoryTransport(node):
        assert await asyncio.wait_for(later, 5) == 42
        task = later.task
        assert task is not None and task.done()
        after = node.spawn(answer())
        assert isinstance(after, asyncio.Task) and await after == 42
    assert before_init is None


async def test_work_spawned_for_a_node_that_never_starts_is_cancelled() -> None:
    node = Node()
    ran: list[str] = []

    async def work() -> None:
        ran.append("ran")

    later = node.spawn(work())
    net = MemoryTransport(node)
    node._attach(net._receive)
    await node._close()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(later, 5)
    assert ran == []


async def test_a_handler_that_ends_without_answering_is_logged_once_per_type(
    caplog: pytest.LogCaptureFixture,
) -> None:
    node = Node()

    @node.handler("forget")
    async def forget(req: Request[Body]) -> None:
        return None

    @node.handler("later")
    def later(req: Request[Body]) -> None:
        node.reply(req, {"type": "later_ok"})

    @node.handler("note")
    def note(req: Request[Body]) -> None:
        return None

    async with MemoryTransport(node) as net:
        with caplog.at_level(logging.WARNING, logger="glomers.node"):
            for _ in range(3):
                with pytest.raises(TimeoutError):
                    await net.request({"type": "forget"}, timeout=0.05)
            assert (await net.request({"type": "later"}))["type"] == "later_ok"
            net.deliver({"type": "note"})  # no msg_id: nothing to answer
            await asyncio.sleep(0.01)
    warned = [r.getMessage() for r in caplog.records if "without answering" in r.getMessage()]
    assert len(warned) == 1 and warned[0].startswith("the forget handler ended without answering")


# -- retried requests ----------------------------------------------------------------


def dropping(first: int, answer: Body) -> Any:
    """A peer that ignores the first ``first`` requests and answers the rest."""
    seen: list[Body] = []

    def peer(src: str, body: Body) -> Body | None:
        seen.append(body)
        return None if len(seen) <= first else answer

    peer.seen = seen  # type: ignore[attr-defined]
    return peer


async def test_retry_sends_again_after_the_round_trip_estimate_and_takes_the_first_reply() -> None:
    node = Node()
    peer = dropping(2, {"type": "pong"})
    async with MemoryTransport(node, node_ids=["n0", "n1"], services={"n1": peer}):
        node.round_trips.initial = 0.01
        loop = asyncio.get_running_loop()
        start = loop.time()
        reply = await node.rpc("n1", {"type": "ping"}, retry=True, timeout=5)
        took = loop.time() - start
    assert reply["type"] == "pong"
    ids = [b["msg_id"] for b in peer.seen]
    assert len(ids) == 3 and len(set(ids)) == 3  # each copy its own msg_id
    assert reply["in_reply_to"] == ids[2]
    # Waits of 0.02 s (the floor) then 0.04 s (backed off), far below the 5 s timeout.
    assert took < 1


async def test_without_retry_a_lost_request_waits_out_its_timeout() -> None:
    node = Node()
    peer = dropping(1, {"type": "pong"})
    async with MemoryTransport(node, node_ids=["n0", "n1"], services={"n1": peer}):
        with pytest.raises(Timeout):
            await node.rpc("n1", {"type": "ping"}, timeout=0.2)
    assert len(peer.seen) == 1


async def test_a_late_reply_to_an_earlier_copy_settles_the_call() -> None:
    node = Node()
    async with MemoryTransport(node, node_ids=["n0", "n1"]) as net:
        node.round_trips.initial = 0.01
        call = node.rpc("n1", {"type": "ping"}, retry=True, timeout=5)
        await net.wait_for(lambda m: m["dest"] == "n1" and len(net.sent_to("n1")) >= 2)
        first = net.sent_to("n1")[0]["msg_id"]
        net.deliver({"type": "pong", "in_reply_to": first}, src="n1")
        assert (await call)["in_reply_to"] == first
        sent = len(net.sent_to("n1"))
        await asyncio.sleep(0.2)
        assert len(net.sent_to("n1")) == sent  # answered: no more copies


async def test_retry_still_times_out_as_a_whole() -> None:
    node = Node()
    async with MemoryTransport(node, node_ids=["n0", "n1"]) as net:
        node.round_trips.initial = 0.01
        with pytest.raises(Timeout):
            await node.rpc("n1", {"type": "ping"}, retry=True, timeout=0.3)
        copies = len(net.sent_to("n1"))
        await asyncio.sleep(0.2)
        assert len(net.sent_to("n1")) == copies
    # 0.01 s, then doubling: 0.02, 0.04, 0.08, 0.16 within 0.3 s.
    assert 3 <= copies <= 6


async def test_an_error_answering_one_of_several_copies_is_not_definite() -> None:
    node = Node()
    peer = dropping(1, {"type": "error", "code": 22, "text": "from is 1"})
    async with MemoryTransport(node, node_ids=["n0", "n1"], services={"n1": peer}):
        node.round_trips.initial = 0.01
        with pytest.raises(RPCError) as resent:
            await node.rpc("n1", {"type": "cas"}, retry=True, timeout=5)
        with pytest.raises(RPCError) as once:
            await node.rpc("n1", {"type": "cas"}, retry=True, timeout=5)
    assert resent.value.code == 22 and resent.value.resent and not resent.value.definite
    assert once.value.code == 22 and not once.value.resent and once.value.definite


async def test_replies_feed_the_round_trip_estimate_of_their_destination() -> None:
    node = Node()
    services: dict[str, Any] = {"n1": lambda s, b: {"type": "pong"}}
    async with MemoryTransport(node, node_ids=["n0", "n1"], services=services):
        for _ in range(5):
            await node.rpc("n1", {"type": "ping"})
    assert node.round_trips.estimate("n1").srtt is not None
    assert node.round_trips.estimate("n2").srtt is None


async def test_cancelling_a_retried_call_stops_its_copies() -> None:
    node = Node()
    async with MemoryTransport(node, node_ids=["n0", "n1"]) as net:
        node.round_trips.initial = 0.01
        call = node.rpc("n1", {"type": "ping"}, retry=True, timeout=None)
        await asyncio.sleep(0.05)
        call.cancel()
        await asyncio.sleep(0)
        sent = len(net.sent_to("n1"))
        await asyncio.sleep(0.2)
        assert len(net.sent_to("n1")) == sent
        assert not node._calls.pending


async def test_callback_rpc_can_retry() -> None:
    node = Node()
    got: list[Body] = []
    peer = dropping(1, {"type": "pong"})
    async with MemoryTransport(node, node_ids=["n0", "n1"], services={"n1": peer}):
        node.round_trips.initial = 0.01
        node.call("n1", {"type": "ping"}, got.append, retry=True, timeout=5)
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.01)
    assert got and got[0]["type"] == "pong" and len(peer.seen) == 2


# -- typed replies and asking every peer ---------------------------------------------


class ReadOk(msgspec.Struct):
    value: int


async def test_typed_reply_is_decoded_and_checked() -> None:
    node = Node()
    answers = iter([{"type": "read_ok", "value": 5}, {"type": "read_ok", "value": "five"}])
    services: dict[str, Any] = {"n1": lambda s, b: next(answers)}
    async with MemoryTransport(node, node_ids=["n0", "n1"], services=services):
        good = await node.rpc("n1", {"type": "read"}, reply=ReadOk)
        with pytest.raises(Crash, match="malformed 'read_ok' reply to 'read'") as bad:
            await node.rpc("n1", {"type": "read"}, reply=ReadOk)
    assert good == ReadOk(5)
    assert bad.value.source == "n1" and not bad.value.definite


async def test_typed_reply_still_raises_error_replies_as_errors() -> None:
    node = Node()
    services: dict[str, Any] = {"n1": lambda s, b: {"type": "error", "code": 20}}
    async with MemoryTransport(node, node_ids=["n0", "n1"], services=services):
        with pytest.raises(KeyDoesNotExist):
            await node.rpc("n1", {"type": "read"}, reply=ReadOk)


async def test_rpc_all_gathers_every_peer_with_its_own_timeout() -> None:
    node = Node()
    services: dict[str, Any] = {
        "n1": lambda s, b: {"type": "read_ok", "value": 1},
        "n2": lambda s, b: {"type": "error", "code": 11, "text": "busy"},
        # n3 never answers
    }
    async with MemoryTransport(node, node_ids=["n0", "n1", "n2", "n3"], services=services) as net:
        loop = asyncio.get_running_loop()
        start = loop.time()
        answers = await node.rpc_all({"type": "read"}, timeout=0.1, reply=ReadOk)
        took = loop.time() - start
        assert sorted(m["dest"] for m in net.sent if m["body"].get("type") == "read") == [
            "n1",
            "n2",
            "n3",
        ]
    assert set(answers) == {"n1", "n2", "n3"}  # never itself
    assert answers["n1"] == ReadOk(1)
    assert isinstance(answers["n2"], RPCError) and answers["n2"].code == 11
    assert isinstance(answers["n3"], Timeout)
    assert took < 1  # the timeouts ran side by side


async def test_rpc_all_to_chosen_peers_and_cancelled_with_its_caller() -> None:
    node = Node()
    async with MemoryTransport(node, node_ids=["n0", "n1", "n2"]) as net:
        task = asyncio.create_task(node.rpc_all({"type": "read"}, peers=["n2"], timeout=None))
        await asyncio.sleep(0.01)
        assert [m["dest"] for m in net.sent if m["body"].get("type") == "read"] == ["n2"]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not node._calls.pending


# -- answers a client no longer waits for --------------------------------------------


def late_node(deadline: float | None) -> tuple[Node, asyncio.Event]:
    node = Node(client_reply_deadline=deadline)
    go = asyncio.Event()

    @node.handler("slow")
    async def slow(req: Request[Body]) -> Body:
        await go.wait()
        return {"type": "slow_ok"}

    @node.handler("slow_error")
    async def slow_error(req: Request[Body]) -> Body:
        await go.wait()
        raise MalformedRequest("no")

    return node, go


@pytest.mark.parametrize("kind", ["slow", "slow_error"])
async def test_an_answer_to_a_client_past_the_deadline_is_dropped_and_logged(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    node, go = late_node(0.05)
    async with MemoryTransport(node, node_ids=["n0", "n1"]) as net:
        net.deliver({"type": kind, "msg_id": 1}, src="c7")
        net.deliver({"type": kind, "msg_id": 2}, src="n1")  # a peer keeps listening
        await asyncio.sleep(0.1)
        go.set()
        await net.wait_for(lambda m: m["dest"] == "n1")
        await asyncio.sleep(0.01)
        assert [m for m in net.sent if m["dest"] == "c7"] == []
    assert "not answering" in caplog.text and "c7" in caplog.text


async def test_an_answer_in_time_is_sent_and_none_means_no_deadline() -> None:
    for deadline in (5.0, None):
        node, go = late_node(deadline)
        async with MemoryTransport(node, node_ids=["n0"]) as net:
            net.deliver({"type": "slow", "msg_id": 1}, src="c7")
            await asyncio.sleep(0.1)
            go.set()
            reply = await net.wait_for(lambda m: m["dest"] == "c7")
        assert reply["body"] == {"type": "slow_ok", "in_reply_to": 1}


async def restarted_node() -> tuple[Node, MemoryTransport]:
    """A node with a 4 s client deadline, initialised as a restarted node is: its
    ``init`` numbered 50 by the network, so that what waited for it while it was
    down comes with lower numbers."""
    node, go = late_node(4.0)
    go.set()
    net = MemoryTransport(node, node_ids=["n0"])
    node._attach(net._receive)
    init = {"type": "init", "node_id": "n0", "node_ids": ["n0"], "msg_id": 1}
    net.deliver_line(msgspec.json.encode({"id": 50, "src": "c0", "dest": "n0", "body": init}))
    await net.wait_for(lambda m: m["body"].get("type") == "init_ok")
    return node, net


async def test_no_answer_to_a_client_request_sent_before_this_node_was_initialised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, net = await restarted_node()
    for net_id, client in ((42, "c3"), (51, "c9")):
        line = {"id": net_id, "src": client, "dest": "n0", "body": {"type": "slow", "msg_id": 1}}
        net.deliver_line(msgspec.json.encode(line))
    await net.wait_for(lambda m: m["dest"] == "c9")
    await asyncio.sleep(0.01)
    await net.close()
    assert [m["dest"] for m in net.sent if m["dest"].startswith("c") and m["dest"] != "c0"] == [
        "c9"
    ]
    assert "sent before this node's init" in caplog.text


@pytest.mark.parametrize(("down_for", "answered"), [(1.0, True), (3.9, True), (4.1, False)])
async def test_a_node_that_knows_when_it_died_answers_what_waited_if_recent_enough(
    down_for: float, answered: bool
) -> None:
    node, net = await restarted_node()
    loop = asyncio.get_running_loop()
    node.alive_until(loop.time() - down_for - 1.0)  # an older stamp changes nothing
    node.alive_until(loop.time() - down_for)
    line = {"id": 42, "src": "c3", "dest": "n0", "body": {"type": "slow", "msg_id": 1}}
    net.deliver_line(msgspec.json.encode(line))
    await asyncio.sleep(0.05)
    await net.close()
    assert [m["dest"] for m in net.sent if m["dest"] == "c3"] == (["c3"] if answered else [])


# Real time: the freeze is a real block of the loop, which virtual time would skip.
@pytest.mark.looptime(False)
async def test_requests_read_as_the_loop_thaws_count_from_when_it_froze() -> None:
    node, go = late_node(0.3)
    async with MemoryTransport(node, node_ids=["n0"]) as net:
        go.set()
        await asyncio.sleep(0.15)  # a tick has run at least once
        # Freeze the loop as a stopped process is frozen: nothing runs for 0.6 s,
        # longer than the 0.5 s after which the node takes a late tick for a freeze.
        time.sleep(0.6)  # noqa: ASYNC251 - blocking the loop is the point
        net.deliver({"type": "slow", "msg_id": 1}, src="c3")  # read the moment it thaws
        await asyncio.sleep(0.1)
        net.deliver({"type": "slow", "msg_id": 2}, src="c4")  # well after: fresh
        await net.wait_for(lambda m: m["dest"] == "c4")
        await asyncio.sleep(0.05)
    # c3's request may have waited through the whole freeze: 0.6 s, past 0.3 s.
    assert [m["dest"] for m in net.sent if m["dest"] in ("c3", "c4")] == ["c4"]


def test_the_wiring_is_not_part_of_the_node_api() -> None:
    """Hosts wire a node to its input and output; programs never call those."""
    for name in ("attach", "feed", "close", "flush"):
        assert not hasattr(Node, name), name
        assert callable(getattr(Node, f"_{name}")), name
