"""Why a checker result is what it is: the words the console, report.html and fuzz share."""

from __future__ import annotations

from typing import Any

from glomers.bench.pages.explain import (
    Reason,
    failure,
    reasons,
    schedule_decided,
    why,
    workload_of,
)
from glomers.bench.workloads import registry

ECHO = registry.make("echo")
COUNTER = registry.make("g-counter")


def told(name: str, result: dict[str, Any], workload: Any = ECHO) -> list[str]:
    return [str(r) for r in reasons(name, result, workload)]


def test_listed_errors_name_where_and_what_was_expected() -> None:
    echo = {"valid": False, "errors": [
        {"process": 1, "node": "n0", "expected": "a", "received": "b", "reason": "echoed b"},
        "plain",
    ]}  # fmt: skip
    assert told("workload", echo) == ['n0 (process 1): echoed b: expected "a", got "b"', '"plain"']
    details = {
        "valid": False,
        "errors": [9],
        "error_details": [
            {"node": "n2", "process": 2, "value": 9, "expected": [[12, 12]], "reason": "missing 3"}
        ],
    }
    assert told("workload", details) == ["n2 (process 2): missing 3"]


def test_operations_that_never_succeeded_and_a_missed_availability_target() -> None:
    stats = {"valid": False, "by_f": {"read": {"valid": False, "count": 2}, "add": {"valid": True}}}
    assert told("stats", stats) == ["no read operation succeeded (2 attempted)"]
    availability = {"valid": False, "ok_fraction": 0.5, "target": 0.9}
    assert told("availability", availability) == [
        "50.0% of operations were ok, below the --availability target 0.9"
    ]
    assert told("odd", {"valid": "unknown", "error": "E"}) == ['{"error": "E"}']


def test_operations_no_node_could_have_answered_are_told_apart() -> None:
    def stats(down: int, whole: int) -> dict[str, Any]:
        add = {"valid": False, "count": 3, "sent_while_down": down, "down_whole_wait": whole}
        return {"valid": False, "by_f": {"add": add, "read": {"valid": True, "count": 9}}}

    assert told("stats", stats(3, 3)) == [
        "no add operation succeeded (3 attempted), and none could have: each went to a node "
        "that was down (killed or paused) for the whole time its client waited"
    ]
    assert told("stats", stats(3, 2)) == [
        "no add operation succeeded (3 attempted); 3 of them were sent to a node while it was "
        "down (killed or paused), 2 to one that stayed down for the whole time its client waited"
    ]
    assert told("stats", stats(2, 0)) == [
        "no add operation succeeded (3 attempted); 2 of them were sent to a node while it was "
        "down (killed or paused)"
    ]
    assert told("stats", stats(0, 0)) == ["no add operation succeeded (3 attempted)"]
    assert schedule_decided({"valid": False, "workload": {"valid": True}, "stats": stats(3, 3)})
    assert not schedule_decided({"valid": False, "stats": stats(3, 2)})
    # Something else wrong as well: the node may be at fault.
    bad = {"valid": False, "workload": {"valid": False}, "stats": stats(3, 3)}
    assert not schedule_decided(bad)
    assert not schedule_decided({"valid": False, "stats": {"valid": False, "by_f": {}}})


def test_the_workload_adds_its_own_reasons() -> None:
    lag = {"valid": False, "too_high": [{"node": "n1", "process": 1, "value": 99, "bound": 12,
                                         "time": 10**9}]}  # fmt: skip
    assert told("read_lag", lag, COUNTER) == [
        "n1 (process 1): read 99 at 1.000 s, above any value the counter could have had (12)"
    ]
    assert reasons("read_lag", lag, COUNTER)[0] == Reason(
        "n1 (process 1): ", "read 99 at 1.000 s, above any value the counter could have had (12)"
    )
    # Echo has no such reasons: only the generic fallback.
    assert told("read_lag", lag, ECHO)[0].startswith('{"too_high"')


def test_the_console_line_shows_five_reasons_then_counts_the_rest() -> None:
    details = [{"node": f"n{i}", "reason": f"r{i}"} for i in range(7)]
    line = why("workload", {"valid": False, "error_details": details}, ECHO)
    assert line == "n0: r0; n1: r1; n2: r2; n3: r3; n4: r4 (and 2 more)"


def test_fuzz_names_the_failing_checkers_then_two_reasons_without_the_node() -> None:
    details = [{"node": "n1", "process": 3, "reason": f"missing {i}"} for i in range(3)]
    results = {"valid": False, "workload": {"valid": False, "error_details": details},
               "stats": {"valid": False, "by_f": {"read": {"valid": False, "count": 4}}},
               "flags": {"workload": "g-counter"}}  # fmt: skip
    assert failure(results) == "workload invalid; stats invalid; missing 0; missing 1"
    assert failure({"valid": "unknown", "error": "a node crashed\ntraceback"}) == "a node crashed"


def test_the_workload_of_a_run_comes_from_its_flags() -> None:
    assert workload_of({"flags": {"workload": "pn-counter"}}).name == "pn-counter"
    assert workload_of({}).caveat({"workload": {"final_reads": []}}) is None
    assert COUNTER.caveat({"workload": {"final_reads": []}}) == (
        "no final read succeeded, so no read was checked"
    )
