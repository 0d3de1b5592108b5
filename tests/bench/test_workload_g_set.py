"""The g-set workload: generator, the client's schemas and its catch-nothing
error regime, unflagged final reads, and runs of the example node in simulation."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from glomers import Body, Node, Request
from glomers.bench.history import Op
from glomers.bench.pages.summary import summary
from glomers.bench.testing import run_workload, simulate_workload
from glomers.bench.workloads import registry
from glomers.examples import g_set


def test_adds_count_up_from_zero_half_the_time() -> None:
    workload = registry.make("g-set")
    rng = random.Random(3)
    ops = [workload.generate(rng) for _ in range(1000)]
    added = [v for f, v in ops if f == "add"]
    assert added == list(range(len(added)))
    assert 450 < len(added) < 550
    assert workload.final() == ("read", None)


def answering(add: Callable[[], Body], read: Callable[[], Body]) -> Callable[[], Node]:
    def build() -> Node:
        node = Node()

        @node.handler("add")
        def on_add(req: Request[Body]) -> Body:
            return add()

        @node.handler("read")
        def on_read(req: Request[Body]) -> Body:
            return read()

        return node

    return build


def history(build: Callable[[], Node]) -> list[Op]:
    return simulate_workload(build, "g-set", node_count=1, time_limit=2.0, rate=10.0,
                             recovery_time=0.0).history  # fmt: skip


def test_every_error_is_info_even_a_definite_one() -> None:
    ops = history(answering(lambda: {"type": "error", "code": 11, "text": "busy"},
                            lambda: {"type": "error", "code": 20, "text": "none"}))  # fmt: skip
    done = [op for op in ops if op.type != "invoke"]
    assert done and {op.type for op in done} == {"info"}
    assert "indeterminate" in done[0].error


@pytest.mark.parametrize(
    ("add", "read"),
    [({"type": "add_ok", "element": 1}, {"type": "read_ok", "value": []}),
     ({"type": "add_ok"}, {"type": "read_ok", "value": [], "messages": []}),
     ({"type": "add_ok"}, {"type": "read_ok", "value": {"a": 1}})],
)  # fmt: skip
def test_replies_are_closed(add: Body, read: Body) -> None:
    ops = history(answering(lambda: dict(add), lambda: dict(read)))
    bad = [op for op in ops if op.type == "info"]
    assert bad and all("malformed-rpc-response" in op.error for op in bad)
    assert all(op.type == "ok" for op in ops if op.type != "invoke" and op not in bad)


def test_final_reads_are_not_flagged_but_still_count() -> None:
    ops = simulate_workload(g_set.build, "g-set", node_count=3, time_limit=1.0, rate=10.0,
                            recovery_time=1.0).history  # fmt: skip
    assert not [op for op in ops if op.final]
    last = [op for op in ops if op.type == "invoke"][-3:]
    assert [op.f for op in last] == ["read"] * 3


@pytest.mark.parametrize("nemesis", ["", "partition"])
def test_the_example_node_is_valid(nemesis: str) -> None:
    results = run_workload(g_set.build, "g-set", node_count=5, time_limit=20.0, rate=20.0,
                           latency=20.0, nemesis=nemesis, seed=5)  # fmt: skip
    assert results["valid"] is True, summary(results)
    assert results["workload"]["stable_count"] > 150


def test_a_set_kept_on_one_node_loses_elements() -> None:
    def build() -> Node:
        node = Node()
        items: list[object] = []

        @node.handler("add")
        def add(req: Request[Body]) -> Body:
            items.append(req.body["element"])
            return {"type": "add_ok"}

        @node.handler("read")
        def read(req: Request[Body]) -> Body:
            return {"type": "read_ok", "value": items}

        return node

    results = run_workload(build, "g-set", node_count=3, time_limit=5.0, rate=10.0)
    assert results["valid"] is False
    assert "no read begun later had it: lost" in summary(results)
