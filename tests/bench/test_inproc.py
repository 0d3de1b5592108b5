"""In-process nodes on the simulation loop: pausing holds everything a node does."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from glomers import Body, Node, Request, Timeout
from glomers.bench.clock import LoopClock
from glomers.bench.inproc import InProcessHost
from glomers.bench.net import Message, Network
from glomers.bench.sim import SimLoop


class Scene:
    """One in-process node ``n0``, a client ``c1`` and a peer ``n1`` whose replies we time."""

    def __init__(self, build: Callable[[], Node]) -> None:
        self.loop = asyncio.get_running_loop()
        self.net = Network(LoopClock(), random.Random(1))
        self.host = InProcessHost("n0", build, self.net, self.fault)
        self.faults: list[Any] = []
        self.to_client: list[tuple[float, Message]] = []
        self.to_peer: list[tuple[float, Message]] = []
        self.net.add("c1", lambda m: self.to_client.append((self.loop.time(), m)))
        self.net.add("n1", lambda m: self.to_peer.append((self.loop.time(), m)))

    def fault(self, fault: Any) -> None:
        self.faults.append(fault)

    async def start(self) -> None:
        await self.host.start()
        self.request("init", node_id="n0", node_ids=["n0", "n1"])

    def request(self, type: str, src: str = "c1", **fields: Any) -> None:
        body = {"type": type, "msg_id": len(self.to_client) + 100, **fields}
        self.net.send({"src": src, "dest": "n0", "body": body})

    async def until(self, when: float) -> None:
        await asyncio.sleep(when - self.loop.time())


def simulate(scenario: Callable[[], Coroutine[Any, Any, None]], pausable: bool = True) -> None:
    loop = SimLoop(start=0.0, noop_cycles=0)
    loop.pausable = pausable
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()


def ticking_node(
    ticks: list[float], outcomes: list[tuple[float, str]], deadline: float | None = None
) -> Node:
    # No client deadline unless asked: these tests time what a pause holds back.
    node = Node(rpc_timeout=1.0, client_reply_deadline=deadline)
    node.every(1.0, lambda: ticks.append(asyncio.get_running_loop().time()))

    @node.handler("sleepy")
    async def sleepy(req: Request[Any]) -> Body:
        await asyncio.sleep(2.0)
        return {"type": "sleepy_ok"}

    @node.handler("ask_peer")
    async def ask_peer(req: Request[Any]) -> Body:
        try:
            await node.rpc("n1", {"type": "ping"})
            outcomes.append((asyncio.get_running_loop().time(), "reply"))
        except Timeout:
            outcomes.append((asyncio.get_running_loop().time(), "timeout"))
        return {"type": "ask_peer_ok"}

    return node


def test_pause_holds_timers_tasks_and_input_until_resume() -> None:
    ticks: list[float] = []
    outcomes: list[tuple[float, str]] = []

    async def scenario() -> None:
        scene = Scene(lambda: ticking_node(ticks, outcomes))
        await scene.start()
        scene.request("sleepy")
        await scene.until(0.5)
        scene.host.pause()
        scene.request("sleepy")  # arrives while paused: read only after resume
        await scene.until(5.5)
        assert ticks == []  # the 1 s tick came due at 1.0, but the node is stopped
        assert [m["body"]["type"] for _, m in scene.to_client] == ["init_ok"]
        scene.host.resume()
        await scene.until(9.75)
        replies = [(t, m["body"]["type"]) for t, m in scene.to_client]
        # The first sleep was due at 2.0 and ends at once on resume; the second starts then.
        assert replies == [(0.0, "init_ok"), (5.5, "sleepy_ok"), (7.5, "sleepy_ok")]
        assert ticks == [5.5, 6.5, 7.5, 8.5, 9.5]
        assert scene.faults == []

    simulate(scenario)


@pytest.mark.parametrize(("pause", "answered"), [(1.0, True), (5.0, False)])
def test_a_request_that_waited_through_a_long_pause_gets_no_late_answer(
    pause: float, answered: bool
) -> None:
    async def scenario() -> None:
        scene = Scene(lambda: ticking_node([], [], deadline=4.0))
        await scene.start()
        await scene.until(0.5)
        scene.host.pause()
        scene.request("sleepy")  # waits in the queue for the whole pause
        await scene.until(0.5 + pause)
        scene.host.resume()
        await scene.until(0.5 + pause + 2.5)
        replies = [m["body"]["type"] for _, m in scene.to_client]
        # Sent at 0.5, answered 2 s after the resume: 3 s old after a 1 s pause, in
        # time; 7 s old after a 5 s pause, which the node can tell from its frozen
        # liveness tick, though it read the request only on resume.
        assert replies == (["init_ok", "sleepy_ok"] if answered else ["init_ok"])
        assert scene.faults == []

    simulate(scenario)


def test_a_reply_read_on_resume_beats_the_timeout_that_came_due_meanwhile() -> None:
    outcomes: list[tuple[float, str]] = []

    async def scenario() -> None:
        scene = Scene(lambda: ticking_node([], outcomes))
        await scene.start()
        scene.request("ask_peer")
        await scene.until(0.25)
        ping = scene.to_peer[0][1]["body"]
        scene.host.pause()
        await scene.until(0.5)
        # The peer answers within the timeout, but n0 is stopped and reads it late.
        pong = {"type": "pong", "in_reply_to": ping["msg_id"]}
        scene.net.send({"src": "n1", "dest": "n0", "body": pong})
        await scene.until(3.0)
        assert outcomes == []
        scene.host.resume()
        await scene.until(4.0)
        assert outcomes == [(3.0, "reply")]

    simulate(scenario)


def test_a_timeout_due_while_paused_fires_on_resume() -> None:
    outcomes: list[tuple[float, str]] = []

    async def scenario() -> None:
        scene = Scene(lambda: ticking_node([], outcomes))
        await scene.start()
        scene.request("ask_peer")
        await scene.until(0.25)
        scene.host.pause()
        await scene.until(3.0)
        assert outcomes == []
        scene.host.resume()
        await scene.until(4.0)
        assert outcomes == [(3.0, "timeout")]

    simulate(scenario)


def test_killing_a_paused_node_drops_it_and_a_fresh_one_starts() -> None:
    ticks: list[float] = []

    async def scenario() -> None:
        scene = Scene(lambda: ticking_node(ticks, []))
        await scene.start()
        scene.request("sleepy")
        await scene.until(0.5)
        scene.host.pause()
        await scene.until(3.0)
        await asyncio.wait_for(scene.host.kill(), 1.0)
        await scene.until(4.0)
        # Its held work is released only for its tasks to see their cancellation.
        assert ticks == []
        assert [m["body"]["type"] for _, m in scene.to_client] == ["init_ok"]
        await scene.start()
        await scene.until(5.5)
        assert ticks == [5.0]
        assert [m["body"]["type"] for _, m in scene.to_client] == ["init_ok", "init_ok"]

    simulate(scenario)


def test_pausing_needs_the_simulation_loop_made_pausable() -> None:
    async def scenario() -> None:
        scene = Scene(lambda: ticking_node([], []))
        await scene.start()
        with pytest.raises(RuntimeError, match="simulation loop, made pausable"):
            scene.host.pause()
        await scene.host.kill()

    asyncio.run(scenario())
    simulate(scenario, pausable=False)


def chatty_node(received: list[str]) -> Node:
    """Answers ``ping``; on ``spoil`` writes the raw line it is given to its output."""
    node = Node()

    @node.handler("ping")
    def ping(req: Request[Any]) -> Body:
        received.append("ping")
        return {"type": "pong"}

    @node.handler("spoil")
    def spoil(req: Request[Any]) -> Body:
        assert node._write is not None
        node._flush()  # what it sent before goes first
        node._write(req.body["raw"].encode() + b"\n")
        return {"type": "spoil_ok"}

    return node


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "Malformed network message. Node n0 tried to send the following message via STDOUT"),
        ("   ", "because it is a blank line"),
        ("hello", "printed a line to STDOUT which was not well-formed JSON"),
        ("[1]", "because it is a JSON list, not an object"),
        ('{"src":"n0","dest":"c1","body":{},"extra":1}', "`extra` at the top level"),
        ('{"src":"n0","body":{}}', "it has no `dest`"),
        ('{"src":"n0","dest":7,"body":{}}', "`dest` is not a string"),
        ('{"src":"n0","dest":"c1","body":[]}', "`body` is not an object"),
        ('{"src":"n0","dest":"c1","body":{},"id":"x"}', "`id` is not an integer"),
        ('{"src":"n0","dest":"n9","body":{}}', "Invalid dest for message from node n0: 'n9'"),
        ('{"src":"n0","dest":"c2","body":{}}', "Invalid dest for message from node n0: 'c2'"),
        ('{"src":"c2","dest":"c1","body":{}}', "Invalid source for message from node n0: 'c2'"),
    ],
)
def test_a_line_that_breaks_the_envelope_mutes_the_node_but_it_still_receives(
    raw: str, problem: str
) -> None:
    received: list[str] = []

    async def scenario() -> None:
        scene = Scene(lambda: chatty_node(received))
        scene.net.add("c2", lambda m: None)
        scene.net.remove("c2")  # a client that was open and is closed now
        await scene.start()
        scene.request("spoil", raw=raw)
        await scene.until(1.0)
        scene.request("ping")
        await scene.until(2.0)
        [fault] = scene.faults
        assert (fault.kind, fault.node, fault.line) == ("protocol", "n0", raw)
        assert problem in fault.problem
        assert received == ["ping"], "a mute node still receives"
        # Neither spoil_ok nor pong got out: nothing after the bad line is read.
        assert [m["body"]["type"] for _, m in scene.to_client] == ["init_ok"]
        # A new incarnation (a restart) is read afresh.
        await scene.host.kill()
        await scene.start()
        scene.request("ping")
        await scene.until(3.0)
        assert [m["body"]["type"] for _, m in scene.to_client] == ["init_ok", "init_ok", "pong"]

    simulate(scenario)


@pytest.mark.parametrize(
    "raw",
    [
        '{"src":"n0","dest":"c1","body":{"type":"x"}}',
        '{"src":"n0","dest":"c1","body":{"type":"x"},"id":12}',
        '{"src":"n0","dest":"c1"}',
        '{"src":"n0","dest":"c1","body":null}',
        '{"src":"n1","dest":"c1","body":{"type":"x"}}',
    ],
)
def test_the_closed_envelope_accepts(raw: str) -> None:
    async def scenario() -> None:
        scene = Scene(lambda: chatty_node([]))
        await scene.start()
        scene.request("spoil", raw=raw)
        await scene.until(1.0)
        sent = scene.to_client[1][1]
        assert sent["body"] == (json.loads(raw).get("body") or {})
        assert sent["src"] == json.loads(raw)["src"]
        assert [m["body"]["type"] for _, m in scene.to_client[2:]] == ["spoil_ok"]
        wrong = [f for f in scene.faults if f.kind == "wrong-src"]
        assert scene.faults == wrong
        if '"src":"n1"' in raw:
            assert [(f.node, f.src, f.line) for f in wrong] == [("n0", "n1", raw)]
        else:
            assert wrong == []

    simulate(scenario)
