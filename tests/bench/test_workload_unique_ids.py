"""The unique-ids workload: its checker (Jepsen's cases, Clojure equality), its
client (closed reply, error regime, reusable clients), the example node and a
broken one, end to end in simulation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from glomers import Body, Node, Request
from glomers.bench.history import Op
from glomers.bench.pages.summary import summary
from glomers.bench.testing import run_workload, simulate_workload
from glomers.bench.workloads import registry
from glomers.bench.workloads.unique_ids import unique_ids_checker
from glomers.bench.workloads.values import Incomparable
from glomers.examples import unique_ids
from tests.bench.histories import History
from tests.nodes import duplicate_ids


def generated(*ids: Any, info: int = 0) -> list[Op]:
    h = History()
    for p, i in enumerate(ids):
        h.invoke(p, "generate")
        h.complete(p, "ok", "generate", i, node=f"n{p % 3}")
    for p in range(len(ids), len(ids) + info):
        h.invoke(p, "generate")
        h.complete(p, "info", "generate")
    return h.ops


def test_an_empty_history_is_valid() -> None:
    assert unique_ids_checker([]) == {
        "valid": True, "attempted_count": 0, "acknowledged_count": 0, "duplicated_count": 0,
        "duplicated": {}, "range": [None, None], "duplicate_details": [],
    }  # fmt: skip


def test_jepsens_duplicates_case() -> None:
    result = unique_ids_checker(generated(0, 1, 0, 0, info=1))
    assert {k: v for k, v in result.items() if k != "duplicate_details"} == {
        "valid": False, "attempted_count": 5, "acknowledged_count": 4, "duplicated_count": 1,
        "duplicated": {"0": 3}, "range": [0, 1],
    }  # fmt: skip


def test_ids_are_equal_only_as_clojure_says() -> None:
    # 1 and 1.0 compare equal but are two ids; "1" is a third, but a string among
    # numbers cannot be ordered (below).
    result = unique_ids_checker(generated(1, 1.0))
    assert result["valid"] is True and result["duplicated_count"] == 0
    assert unique_ids_checker(generated([1], [1.0], [2]))["valid"] is True
    assert unique_ids_checker(generated("1", "1"))["duplicated"] == {'"1"': 2}
    assert unique_ids_checker(generated([1, 2], [1, 2], [3], [3]))["duplicated_count"] == 2


def test_the_range_follows_clojure_compare() -> None:
    assert unique_ids_checker(generated(3, -1.5, 2**70))["range"] == [-1.5, 2**70]
    # Strings by UTF-16 code units; arrays by length first.
    assert unique_ids_checker(generated("b", "a", "ab"))["range"] == ["a", "b"]
    assert unique_ids_checker(generated([9], [1, 1], [0, 5]))["range"] == [[9], [1, 1]]
    # Past U+FFFF a character is two UTF-16 units, the first below U+FFFF.
    assert unique_ids_checker(generated("\uffff", "\U0001f600"))["range"] == [
        "\U0001f600", "\uffff",
    ]  # fmt: skip


@pytest.mark.parametrize("ids", [("1", 1), ({"a": 1}, {"b": 2}), (True, 1)])
def test_ids_that_cannot_be_compared_raise(ids: tuple[Any, ...]) -> None:
    with pytest.raises(Incomparable):
        unique_ids_checker(generated(*ids))


def test_most_repeated_duplicates_first_then_in_order() -> None:
    ids = [i for i in range(50) for _ in range(2)] + [7]
    result = unique_ids_checker(generated(*ids))
    assert result["duplicated_count"] == 50
    assert len(result["duplicated"]) == 48
    assert result["duplicated"]["7"] == 3
    # Ties at 2 keep the larger ids (Jepsen sorts by count, then reverses).
    assert list(result["duplicated"]) == [str(i) for i in range(2, 50)]


def test_a_duplicate_is_told_with_who_got_it_and_when() -> None:
    result = unique_ids_checker(generated(5, 6, 5))
    workload = registry.make("unique-ids")
    (reason,) = workload.reasons("workload", result)
    assert str(reason) == (
        "id 5 was handed out 2 times, to the requests sent to n0 (process 0) at 0.002 s and "
        "n2 (process 2) at 0.006 s; an id must be new each time"
    )
    json.dumps(result)


# -- the client ----------------------------------------------------------------


def answering(reply: Callable[[Node], Body]) -> Callable[[], Node]:
    def build() -> Node:
        node = Node()

        @node.handler("generate")
        def generate(req: Request[Body]) -> Body:
            return reply(node)

        return node

    return build


def ops_of(build: Callable[[], Node], **flags: Any) -> list[Op]:
    flags = {"time_limit": 1.0, "rate": 10.0, "node_count": 1} | flags
    return [op for op in simulate_workload(build, "unique-ids", **flags).history
            if op.type != "invoke"]  # fmt: skip


def test_any_json_is_an_id_but_nothing_else_may_come_with_it() -> None:
    ok = ops_of(answering(lambda n: {"type": "generate_ok", "id": {"any": [1, None]}}))
    assert {op.type for op in ok} == {"ok"} and ok[0].value == {"any": [1, None]}
    extra = ops_of(answering(lambda n: {"type": "generate_ok", "id": 1, "node": "n0"}))
    assert {op.type for op in extra} == {"info"}
    assert "malformed-rpc-response" in extra[0].error
    missing = ops_of(answering(lambda n: {"type": "generate_ok"}))
    assert {op.type for op in missing} == {"info"}


@pytest.mark.parametrize(("code", "outcome"), [(11, "fail"), (13, "info")])
def test_a_definite_error_fails_an_indefinite_one_is_info(code: int, outcome: str) -> None:
    ops = ops_of(answering(lambda n: {"type": "error", "code": code, "text": "no"}))
    assert {op.type for op in ops} == {outcome}


def test_clients_are_reused_after_an_info() -> None:
    outcome = simulate_workload(
        answering(lambda n: {"type": "error", "code": 13, "text": "crash"}), "unique-ids",
        time_limit=1.0, rate=10.0, node_count=1, concurrency="1",
    )  # fmt: skip
    processes = {op.process for op in outcome.history}
    assert len(processes) > 3  # every info moved the thread to a new process
    assert outcome.results["net"]["clients"]["msg_count"] > 0
    assert registry.make("unique-ids").reusable_clients


# -- end to end ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("nemesis", "availability"), [("", "total"), ("partition", "total"), ("kill", None)]
)
def test_the_example_node_hands_out_only_new_ids(nemesis: str, availability: Any) -> None:
    # Challenge 2 asks for total availability under partitions; a killed node
    # answers nothing until it is back, and comes back counting from 0.
    results = run_workload(
        unique_ids.build, "unique-ids", node_count=3, time_limit=20.0, rate=200.0,
        nemesis=nemesis, nemesis_interval=2.0, availability=availability, seed=4,
    )  # fmt: skip
    assert results["valid"] is True, results["workload"]
    assert results["workload"]["acknowledged_count"] > 1000


def test_nodes_counting_from_zero_hand_out_the_same_ids() -> None:
    results = run_workload(duplicate_ids.build, "unique-ids", node_count=2, time_limit=2.0,
                           rate=20.0)  # fmt: skip
    assert results["valid"] is False
    assert results["workload"]["duplicated"]["0"] == 2
    text = summary(results)
    assert "workload is invalid: id 0 was handed out 2 times, to the requests sent to n0" in text


def test_without_an_incarnation_a_restarted_node_repeats_its_ids() -> None:
    def build() -> Node:
        node = Node()
        count = iter(range(10**9))

        @node.handler("generate")
        def generate(req: Request[Body]) -> Body:
            return {"type": "generate_ok", "id": f"{node.node_id}-{next(count)}"}

        return node

    results = run_workload(build, "unique-ids", node_count=3, time_limit=20.0, rate=200.0,
                           nemesis="kill", nemesis_interval=2.0, seed=4)  # fmt: skip
    assert results["valid"] is False
    assert results["workload"]["duplicated_count"] > 0


def test_ids_that_cannot_be_ordered_leave_the_verdict_unknown() -> None:
    counter = iter(range(10**9))
    build = answering(lambda n: {"type": "generate_ok", "id": {"n": next(counter)}})
    outcome = simulate_workload(build, "unique-ids", node_count=1, time_limit=1.0, rate=10.0)
    assert outcome.results["valid"] == "unknown" and outcome.exit_code == 2
    assert "Incomparable: cannot compare" in outcome.results["workload"]["error"]
