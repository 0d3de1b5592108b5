"""The set-full checker on hand-written histories: Jepsen's own cases, as behaviour,
then the sentences a learner reads."""

from __future__ import annotations

from typing import Any

import pytest

from glomers.bench.history import Op
from glomers.bench.workloads import setfull
from glomers.bench.workloads.values import Incomparable


def invoke(process: int, f: str, value: Any = None) -> Op:
    return Op(process, "invoke", f, value)


def ok(process: int, f: str, value: Any = None) -> Op:
    return Op(process, "ok", f, value)


def history(ops: list[Op]) -> list[Op]:
    """Indexes 0, 1, 2, ... and times 0, 1, 2, ... ms, as Jepsen's test helper gives."""
    out = []
    for i, op in enumerate(ops):
        out.append(Op(op.process, op.type, op.f, op.value, time=i * 1_000_000, index=i,
                      node=f"n{op.process}"))  # fmt: skip
    return out


def check(ops: list[Op]) -> dict[str, Any]:
    result = setfull.set_full(history(ops))
    result.pop("lost_details")
    return result


EMPTY = {
    "lost": [],
    "lost_count": 0,
    "never_read": [],
    "never_read_count": 0,
    "stale_count": 0,
    "stale": [],
    "worst_stale": [],
    "stable_count": 0,
    "duplicated_count": 0,
    "duplicated": {},
}
ZEROS = {"0": 0, "0.5": 0, "0.95": 0, "0.99": 0, "1": 0}

a, a_ok = invoke(0, "add", 0), ok(0, "add", 0)
r, r_has, r_lacks = invoke(1, "read"), ok(1, "read", [0]), ok(1, "read", [])


def test_never_read() -> None:
    assert check([a, a_ok]) == EMPTY | {
        "valid": "unknown", "attempt_count": 1, "never_read": [0], "never_read_count": 1,
    }  # fmt: skip


def test_never_confirmed_never_read() -> None:
    assert check([a, r, r_lacks]) == EMPTY | {
        "valid": "unknown", "attempt_count": 1, "never_read": [0], "never_read_count": 1,
    }  # fmt: skip


@pytest.mark.parametrize(
    "ops",
    [[r, a, r_has, a_ok], [r, a, a_ok, r_has], [a, r, r_has, a_ok], [a, r, a_ok, r_has],
     [a, a_ok, r, r_has]],
    ids=["concurrent-before", "concurrent-outside", "concurrent-inside", "concurrent-after",
         "subsequent"],
)  # fmt: skip
def test_a_successful_read_concurrent_or_after_makes_it_stable(ops: list[Op]) -> None:
    assert check(ops) == EMPTY | {
        "valid": True, "attempt_count": 1, "stable_count": 1, "stable_latencies": ZEROS,
    }  # fmt: skip


def test_an_absent_read_after_the_add_loses_it() -> None:
    assert check([a, a_ok, r, r_lacks]) == EMPTY | {
        "valid": False, "attempt_count": 1, "lost": [0], "lost_count": 1,
        "lost_latencies": ZEROS,
    }  # fmt: skip


@pytest.mark.parametrize(
    "ops",
    [[r, a, r_lacks, a_ok], [r, a, a_ok, r_lacks], [a, r, r_lacks, a_ok], [a, r, a_ok, r_lacks]],
)
def test_an_absent_read_concurrent_with_the_add_is_never_read(ops: list[Op]) -> None:
    assert check(ops) == EMPTY | {
        "valid": "unknown", "attempt_count": 1, "never_read": [0], "never_read_count": 1,
    }  # fmt: skip


a0, a0_ok, a1, a1_ok = invoke(0, "add", 0), ok(0, "add", 0), invoke(1, "add", 1), ok(1, "add", 1)
r2, r3 = invoke(2, "read"), invoke(3, "read")


def test_write_present_missing() -> None:
    ops = [a0, a1, r2, ok(2, "read", [1]), a0_ok, a1_ok, r2, ok(2, "read", [0, 1]),
           r2, ok(2, "read", [0]), r2, ok(2, "read", [])]  # fmt: skip
    assert check(ops) == EMPTY | {
        "valid": False, "attempt_count": 2, "lost": [0, 1], "lost_count": 2,
        "lost_latencies": {"0": 3, "0.5": 4, "0.95": 4, "0.99": 4, "1": 4},
    }  # fmt: skip


def test_write_flutter_stable_and_lost() -> None:
    r2_1 = ok(2, "read", [1])
    ops = [a0, a0_ok, a1, r2, r2_1, a1_ok, r2, r3, ok(3, "read", [1]), ok(2, "read", [0])]
    result = check(ops)
    known = {"index": 4, "time": 4_000_000, "process": 2, "node": "n2", "type": "ok", "f": "read"}
    absent = known | {"index": 6, "time": 6_000_000, "type": "invoke"}
    assert result == EMPTY | {
        "valid": False, "attempt_count": 2, "lost": [0], "lost_count": 1,
        "stale_count": 1, "stale": [1], "stable_count": 1,
        "worst_stale": [{"element": 1, "outcome": "stable", "stable_latency": 2,
                         "lost_latency": None, "known": known, "last_absent": absent}],
        "lost_latencies": {"0": 5, "0.5": 5, "0.95": 5, "0.99": 5, "1": 5},
        "stable_latencies": {"0": 2, "0.5": 2, "0.95": 2, "0.99": 2, "1": 2},
    }  # fmt: skip


def test_each_element_s_outcome_is_the_one_set_full_counts() -> None:
    r2_1 = ok(2, "read", [1])
    ops = history([a0, a0_ok, a1, r2, r2_1, a1_ok, r2, r3, ok(3, "read", [1]), ok(2, "read", [0])])
    outcomes = setfull.element_outcomes(ops)
    assert [(o["element"], o["outcome"]) for o in outcomes] == [(0, "lost"), (1, "stable")]
    assert [o["stable_latency"] for o in outcomes] == [None, 2]
    assert [o["known"]["time"] for o in outcomes] == [1_000_000, 4_000_000]
    assert outcomes[1] == setfull.set_full(ops)["worst_stale"][0]


def test_elements_compare_with_clojure_equality() -> None:
    # A read of 0.0 or false does not have the element 0.
    assert check([a, a_ok, r, ok(1, "read", [0.0, False, "0"])])["lost"] == [0]


def test_reads_that_fail_or_complete_before_the_add_do_not_count() -> None:
    ops = [r, ok(1, "read", []), a, a_ok, r2, Op(2, "info", "read", None)]
    assert check(ops)["never_read"] == [0]


def test_worst_stale_lists_eight_by_latency_larger_element_first_on_ties() -> None:
    ops: list[Op] = []
    for e in range(10):
        ops += [invoke(0, "add", e), ok(0, "add", e)]
    ops += [r, ok(1, "read", [])]  # every element missing: stale once read later
    ops += [r, ok(1, "read", list(range(10)))]
    result = check(ops)
    assert result["stale_count"] == 10 and result["valid"] is True
    worst = [w["element"] for w in result["worst_stale"]]
    # Element e was known at 2e+1 ms, the empty read began at 20 ms: latency 19 - 2e.
    assert worst == [0, 1, 2, 3, 4, 5, 6, 7]
    lat = [w["stable_latency"] for w in result["worst_stale"]]
    assert lat == sorted(lat, reverse=True)


def test_incomparable_elements_raise() -> None:
    with pytest.raises(Incomparable):
        setfull.set_full(history([invoke(0, "add", "x"), invoke(1, "add", 1)]))


def test_a_lost_element_is_told_with_its_operations() -> None:
    ops = [a, a_ok, r2, ok(2, "read", [0]), r3, ok(3, "read", [])]
    result = setfull.set_full(history(ops))
    (reason,) = setfull.reasons(result)
    assert str(reason) == (
        "element 0, added ok by n0 at 0.001 s, was last seen in n2's read begun at 0.002 s, "
        "and was missing from n3's read begun at 0.004 s, after it was known; no read begun "
        "later had it: lost"
    )


def test_an_unknown_result_says_why() -> None:
    result = setfull.set_full(history([a, a_ok]))
    (reason,) = setfull.reasons(result)
    assert "no element of the 1 added was seen in a read" in reason.text


def test_the_summary_and_report_show_the_stale_element_in_words() -> None:
    ops = [a, a_ok, r, ok(1, "read", []), r2, ok(2, "read", [0])]
    result = setfull.set_full(history(ops))
    lines = setfull.summary_lines(result)
    assert lines[0].startswith("set: 1 elements added: 1 stable")
    assert "stable latency: median 1 ms, max 1 ms" in lines[1]
    sentence = (
        "element 0, acknowledged at 0.001 s, was still missing from n1's read begun at "
        "0.002 s, but every read begun later had it: stable after 1 ms"
    )
    assert sentence in lines[2]
    assert ("stale element", sentence) in setfull.report_rows(result)


def test_compare_reads_the_set_figures_from_both_benches() -> None:
    from glomers.bench import maelstrom_results
    from glomers.bench.compare_figures import figures

    theirs = maelstrom_results.loads(
        "{:valid? true, :workload {:valid? true, :stable-count 9, :lost-count 0, "
        ":never-read-count 1, :stable-latencies {0 0, 0.5 12, 0.95 40, 0.99 50, 1 60}}}"
    )
    ops = [a, a_ok, r, ok(1, "read", [0])]
    ours = {"valid": True, "workload": setfull.set_full(history(ops))}
    rows_theirs, rows_ours = figures(theirs, [], 0), figures(ours, history(ops), 0)
    assert rows_theirs["latency stable median ms"] == 12
    assert rows_theirs["latency stable max ms"] == 60
    assert rows_theirs["workload lost_count"] == 0 and rows_theirs["workload stable_count"] == 9
    assert rows_ours["latency stable median ms"] == 0
    assert rows_ours["workload stable_count"] == 1


def test_a_stale_element_first_seen_by_a_read_says_so() -> None:
    # Read by n2 before the add was acknowledged, then missed by n3's read.
    ops = [a, r2, ok(2, "read", [0]), r3, ok(3, "read", []), a_ok, r2, ok(2, "read", [0])]
    result = setfull.set_full(history(ops))
    (record,) = result["worst_stale"]
    assert setfull.stale_sentence(record) == (
        "element 0, first seen in n2's read that ended at 0.002 s, was still missing from "
        "n3's read begun at 0.003 s, but every read begun later had it: stable after 1 ms"
    )
