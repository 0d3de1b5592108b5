"""The broadcast workload: topologies, the topology step at setup, the generator,
the client's schemas and errors, and runs of the example node and of broken
ones in simulation."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from glomers import Body, Node, Request
from glomers.bench import params
from glomers.bench.cli import parse_test_args
from glomers.bench.history import Op
from glomers.bench.pages.summary import summary
from glomers.bench.testing import run_workload, simulate_workload
from glomers.bench.usage import EXIT_ERROR
from glomers.bench.workloads import registry
from glomers.bench.workloads.broadcast.topology import TOPOLOGIES, topology
from glomers.examples import broadcast
from tests.nodes import fragile_broadcast, lonely_broadcast

FIVE = [f"n{i}" for i in range(5)]

# -- topologies --------------------------------------------------------------------


def test_the_grid_of_five_is_the_references() -> None:
    assert topology("grid", FIVE) == {
        "n0": ["n3", "n1"], "n1": ["n4", "n2", "n0"], "n2": ["n1"], "n3": ["n0", "n4"],
        "n4": ["n1", "n3"],
    }  # fmt: skip


def test_a_grid_of_nine_is_a_full_square() -> None:
    grid = topology("grid", [f"n{i}" for i in range(9)])
    assert grid["n4"] == ["n7", "n1", "n5", "n3"]
    assert grid["n8"] == ["n5", "n7"]


def test_a_line_has_neighbours_on_each_side_and_none_for_one_node() -> None:
    assert topology("line", FIVE) == {
        "n0": ["n1"], "n1": ["n0", "n2"], "n2": ["n1", "n3"], "n3": ["n2", "n4"], "n4": ["n3"],
    }  # fmt: skip
    assert topology("line", ["n0", "n1"]) == {"n0": ["n1"], "n1": ["n0"]}
    assert topology("line", ["n0"]) == {}


def test_trees_list_the_parent_then_the_children() -> None:
    seven = [f"n{i}" for i in range(7)]
    assert topology("tree", seven) == topology("tree2", seven) == {
        "n0": ["n1", "n2"], "n1": ["n0", "n3", "n4"], "n2": ["n0", "n5", "n6"],
        "n3": ["n1"], "n4": ["n1"], "n5": ["n2"], "n6": ["n2"],
    }  # fmt: skip
    assert topology("tree3", FIVE) == {
        "n0": ["n1", "n2", "n3"], "n1": ["n0", "n4"], "n2": ["n0"], "n3": ["n0"], "n4": ["n1"],
    }  # fmt: skip
    assert topology("tree4", FIVE)["n0"] == ["n1", "n2", "n3", "n4"]
    assert topology("tree4", [f"n{i}" for i in range(6)])["n1"] == ["n0", "n5"]
    assert topology("tree", ["n0"]) == {"n0": []}


def test_total_is_everyone_else() -> None:
    assert topology("total", FIVE)["n2"] == ["n0", "n1", "n3", "n4"]


@pytest.mark.parametrize("name", sorted(TOPOLOGIES))
def test_every_shape_is_symmetric_and_connected(name: str) -> None:
    nodes = [f"n{i}" for i in range(25)]
    shape = topology(name, nodes)
    for node, near in shape.items():
        assert all(node in shape[m] for m in near), (node, near)
    seen, todo = {"n0"}, ["n0"]
    while todo:
        for m in shape[todo.pop()]:
            if m not in seen:
                seen.add(m)
                todo.append(m)
    assert seen == set(nodes)


# -- the topology parameter ----------------------------------------------------------


def test_topology_is_a_parameter_that_matters_only_for_broadcast() -> None:
    opts = params.build_options(vars(parse_test_args(["-w", "broadcast", "--topology", "line"])))
    assert opts.topology == "line"
    assert "--topology line" in params.replay_command(opts.flags)
    echo = params.build_options(vars(parse_test_args(["-w", "echo", "--topology", "line"])))
    assert "--topology" not in params.replay_command(echo.flags)
    with pytest.raises(SystemExit):
        parse_test_args(["-w", "broadcast", "--topology", "ring"])


# -- the topology step ---------------------------------------------------------------


def recording(seen: dict[str, Any], answer: Callable[[], Awaitable[Body]]) -> Callable[[], Node]:
    """Nodes that note each topology message and answer it with ``answer()``."""

    def build() -> Node:
        node = Node()

        @node.handler("topology")
        async def on_topology(req: Request[Body]) -> Body:
            seen.setdefault(node.node_id, []).append(req.body)
            return await answer()

        return node

    return build


def test_each_node_gets_the_topology_once_before_any_operation() -> None:
    seen: dict[str, Any] = {}

    async def ok() -> Body:
        return {"type": "topology_ok"}

    outcome = simulate_workload(recording(seen, ok), "broadcast", node_count=5, rate=0.0,
                                time_limit=1.0, topology="grid")  # fmt: skip
    assert sorted(seen) == FIVE
    for node in FIVE:
        (body,) = seen[node]
        assert body["topology"] == topology("grid", FIVE)
    # The final reads still ran (nodes here answer nothing else).
    assert outcome.exit_code != EXIT_ERROR


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ({"type": "topology_ok", "extra": 1}, "n0 answered the topology message with"),
        ({"type": "error", "code": 10, "text": "no"}, "n0 answered the topology message with "
                                                       "error 10"),
        (None, "n0 did not answer the topology message within 5 s"),
    ],
)  # fmt: skip
def test_a_node_that_fails_the_topology_step_aborts_the_run(reply: Any, why: str) -> None:
    import asyncio

    async def answer() -> Body:
        if reply is None:
            await asyncio.sleep(60)
        assert reply is not None
        return dict(reply)

    outcome = simulate_workload(recording({}, answer), "broadcast", node_count=1,
                                time_limit=1.0)  # fmt: skip
    assert outcome.exit_code == EXIT_ERROR
    assert outcome.error is not None and why in outcome.error
    assert not [op for op in outcome.history if op.process != "nemesis"]


# -- generator and client -------------------------------------------------------------


def test_broadcasts_count_up_from_zero_half_the_time() -> None:
    workload = registry.make("broadcast")
    rng = random.Random(1)
    ops = [workload.generate(rng) for _ in range(1000)]
    sent = [v for f, v in ops if f == "broadcast"]
    assert sent == list(range(len(sent)))
    assert 450 < len(sent) < 550
    assert {v for f, v in ops if f == "read"} == {None}
    assert workload.final() == ("read", None)


def answering(read: Callable[[], Body], sent: Callable[[], Body]) -> Callable[[], Node]:
    def build() -> Node:
        node = Node()

        @node.handler("topology")
        def topology(req: Request[Body]) -> Body:
            return {"type": "topology_ok"}

        @node.handler("read")
        def on_read(req: Request[Body]) -> Body:
            return read()

        @node.handler("broadcast")
        def on_broadcast(req: Request[Body]) -> Body:
            return sent()

        return node

    return build


def completions(build: Callable[[], Node], f: str) -> list[Op]:
    history = simulate_workload(build, "broadcast", node_count=1, time_limit=2.0, rate=10.0,
                                recovery_time=0.0).history  # fmt: skip
    return [op for op in history if op.f == f and op.type != "invoke"]


def ok_read() -> Body:
    return {"type": "read_ok", "messages": []}


def ok_sent() -> Body:
    return {"type": "broadcast_ok"}


def crash() -> Body:
    return {"type": "error", "code": 13, "text": "crash"}


def test_read_errors_fail_broadcast_errors_are_info_unless_definite() -> None:
    reads = completions(answering(crash, ok_sent), "read")
    assert reads and {op.type for op in reads} == {"fail"}
    assert reads[0].error == ["crash", "crash"]
    sent = completions(answering(ok_read, crash), "broadcast")
    assert sent and {op.type for op in sent} == {"info"}
    refused = completions(
        answering(ok_read, lambda: {"type": "error", "code": 11, "text": "busy"}), "broadcast"
    )
    assert refused and {op.type for op in refused} == {"fail"}


def test_replies_are_closed() -> None:
    extra = completions(answering(ok_read, lambda: {"type": "broadcast_ok", "n": 1}), "broadcast")
    assert extra and {op.type for op in extra} == {"info"}
    not_list = completions(answering(lambda: {"type": "read_ok", "messages": 3}, ok_sent), "read")
    assert not_list and {op.type for op in not_list} == {"info"}
    assert "malformed-rpc-response" in not_list[0].error


def test_final_reads_are_flagged_and_one_per_thread() -> None:
    history = simulate_workload(broadcast.build, "broadcast", node_count=3, time_limit=1.0,
                                rate=10.0, recovery_time=1.0).history  # fmt: skip
    final = [op for op in history if op.final and op.type == "invoke"]
    assert len(final) == 3 and {op.f for op in final} == {"read"}


# -- end to end -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodes", "nemesis", "shape"),
    [(1, "", "grid"), (5, "", "line"), (5, "partition", "grid"), (5, "partition,kill", "tree")],
)
def test_the_example_node_is_valid(nodes: int, nemesis: str, shape: str) -> None:
    results = run_workload(broadcast.build, "broadcast", node_count=nodes, time_limit=20.0,
                           rate=10.0, nemesis=nemesis, topology=shape, seed=2)  # fmt: skip
    if "kill" in nemesis:
        # A killed node forgets what it had not yet passed on: no promise there.
        assert results["workload"]["stable_count"] > 0
        return
    assert results["valid"] is True, summary(results)
    assert results["workload"]["lost_count"] == 0


def test_the_example_node_meets_challenge_3e() -> None:
    results = run_workload(broadcast.build, "broadcast", node_count=25, time_limit=20.0,
                           rate=100.0, latency=100.0, seed=1)  # fmt: skip
    assert results["valid"] is True
    assert results["net"]["servers"]["msgs_per_op"] < 20
    stable = results["workload"]["stable_latencies"]
    assert stable["0.5"] < 1000 and stable["1"] < 2000
    partitioned = run_workload(broadcast.build, "broadcast", node_count=25, time_limit=20.0,
                               rate=100.0, latency=100.0, nemesis="partition", seed=1)  # fmt: skip
    assert partitioned["valid"] is True


def test_a_node_that_never_forwards_loses_messages() -> None:
    results = run_workload(lonely_broadcast.build, "broadcast", node_count=3, time_limit=5.0,
                           rate=10.0, seed=1)  # fmt: skip
    assert results["valid"] is False
    assert results["workload"]["lost_count"] > 0
    text = summary(results)
    assert "workload is invalid: element " in text
    assert "after it was known; no read begun later had it: lost" in text


def test_a_node_that_never_retries_loses_messages_sent_across_a_partition() -> None:
    calm = run_workload(fragile_broadcast.build, "broadcast", node_count=5, time_limit=10.0,
                        rate=10.0, seed=1)  # fmt: skip
    assert calm["valid"] is True
    stormy = run_workload(fragile_broadcast.build, "broadcast", node_count=5, time_limit=10.0,
                          rate=10.0, nemesis="partition", nemesis_interval=2.0, seed=1)  # fmt: skip
    assert stormy["valid"] is False
    detail = stormy["workload"]["lost_details"][0]
    assert detail["last_absent"]["node"] != detail["add"]["node"]


async def test_the_example_node_keeps_any_json_message_once() -> None:
    from glomers.testing import MemoryTransport

    async with MemoryTransport(broadcast.build()) as net:
        for message in ({"a": [1]}, 1, 1.0, {"a": [1]}, [2]):
            reply = await net.request({"type": "broadcast", "message": message})
            assert reply["type"] == "broadcast_ok"
        read = await net.request({"type": "read"})
        assert read["messages"] == [{"a": [1]}, 1, 1.0, [2]]
        topo = await net.request({"type": "topology", "topology": {"n0": []}})
        assert topo["type"] == "topology_ok"


#: What a real Maelstrom (0.2.4) sent n0 of 7 nodes as ``topology`` for each shape.
SEEN_FROM_MAELSTROM = {
    "grid": {"n0": ["n3", "n1"], "n1": ["n4", "n2", "n0"], "n2": ["n5", "n1"],
             "n3": ["n6", "n0", "n4"], "n4": ["n1", "n5", "n3"], "n5": ["n2", "n4"],
             "n6": ["n3"]},
    "tree3": {"n0": ["n1", "n2", "n3"], "n1": ["n0", "n4", "n5", "n6"], "n2": ["n0"],
              "n3": ["n0"], "n4": ["n1"], "n5": ["n1"], "n6": ["n1"]},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SEEN_FROM_MAELSTROM))
def test_shapes_of_seven_nodes_are_maelstroms(name: str) -> None:
    assert topology(name, [f"n{i}" for i in range(7)]) == SEEN_FROM_MAELSTROM[name]
