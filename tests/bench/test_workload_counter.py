"""The counters' checkers on hand-written histories: Maelstrom's own cases first,
then the acceptable set, read lag and the definite-error re-check."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glomers.bench.history import NEMESIS
from glomers.bench.workloads.counter.checker import (
    acceptable_counter_values,
    counter_checker,
    definite_errors,
)
from glomers.bench.workloads.counter.read_lag import read_lag, read_lag_points
from tests.bench.histories import SECOND, History, completions, expand

# ---------------------------------------------------------------------------
# counter_checker: Maelstrom's three cases (test/maelstrom/workload/pn_counter_test.clj)


def test_maelstrom_empty() -> None:
    result = counter_checker([])
    assert result["valid"] is True
    assert result["errors"] == []
    assert result["final_reads"] == []
    assert result["acceptable"] == [[0, 0]]


def test_maelstrom_definite() -> None:
    history = completions(
        ("ok", "add", 2, False),
        ("ok", "add", 3, False),
        ("ok", "read", 5, True),
        ("ok", "read", 4, True),
    )
    result = counter_checker(history)
    assert result["valid"] is False
    assert result["errors"] == [4]
    assert result["final_reads"] == [5, 4]
    assert result["acceptable"] == [[5, 5]]


def test_maelstrom_indefinite() -> None:
    history = completions(
        ("ok", "add", 10, False),
        ("info", "add", 5, False),
        ("info", "add", -1, False),
        ("info", "add", -1, False),
        ("ok", "read", 11, True),
        ("ok", "read", 15, True),
    )
    result = counter_checker(history)
    assert result["valid"] is False
    assert result["errors"] == [11]
    assert result["final_reads"] == [11, 15]
    assert result["acceptable"] == [[8, 10], [13, 15]]


def test_maelstrom_indefinite_with_invocations() -> None:
    # The same case as our bench records it: every op invoked, then completed.
    h = History()
    h.add(0, 10)
    h.add(1, 5, "info")
    h.add(2, -1, "info")
    h.add(3, -1, "info")
    h.read(4, 11, final=True)
    h.read(5, 15, final=True)
    result = counter_checker(h.ops)
    assert (result["valid"], result["errors"]) == (False, [11])
    assert result["final_reads"] == [11, 15]
    assert result["acceptable"] == [[8, 10], [13, 15]]
    assert result["definite_sum"] == 10
    assert result["indefinite_adds"] == 3
    json.dumps(result)


# ---------------------------------------------------------------------------
# counter_checker: the acceptable set


def test_adjacent_integer_ranges_merge() -> None:
    # {1, 3} then shifted by 1: [1, 2] and [3, 4] hold every integer 1..4.
    assert acceptable_counter_values(1, [2]) == [[1, 1], [3, 3]]
    assert acceptable_counter_values(1, [2, 1]) == [[1, 4]]
    assert acceptable_counter_values(0, [2, 2, 1]) == [[0, 5]]


def test_ranges_with_a_gap_stay_apart() -> None:
    assert acceptable_counter_values(0, [2]) == [[0, 0], [2, 2]]
    assert acceptable_counter_values(0, [3, 3]) == [[0, 0], [3, 3], [6, 6]]
    assert acceptable_counter_values(0, [0, 0]) == [[0, 0]]


def test_info_add_without_completion_counts_as_info() -> None:
    h = History()
    h.add(0, 1)
    h.invoke(1, "add", 5)  # never completes
    h.read(2, 6, final=True)
    h.read(3, 1, final=True)
    result = counter_checker(h.ops)
    assert result["acceptable"] == [[1, 1], [6, 6]]
    assert result["valid"] is True
    assert result["indefinite_adds"] == 1


def test_fail_adds_do_not_count() -> None:
    h = History()
    h.add(0, 3)
    h.add(1, 4, "fail")
    h.read(2, 7, final=True)
    result = counter_checker(h.ops)
    assert result["acceptable"] == [[3, 3]]
    assert result["errors"] == [7]


def test_delta_comes_from_the_invocation() -> None:
    # A completion need not repeat the delta; the invocation says what was asked.
    h = History()
    h.invoke(0, "add", 4)
    h.complete(0, "ok", "add", None)
    h.read(1, 4, final=True)
    assert counter_checker(h.ops)["acceptable"] == [[4, 4]]


def test_add_without_integer_delta_is_malformed() -> None:
    h = History()
    h.invoke(0, "add", "four")
    h.complete(0, "ok", "add", None)
    with pytest.raises(ValueError, match="no integer delta"):
        counter_checker(h.ops)


def test_only_final_ok_reads_are_checked() -> None:
    h = History()
    h.add(0, 2)
    h.read(1, 99)  # not final: stale or wrong reads mid-test are allowed
    h.read(2, 99, "fail", final=True)
    h.read(3, 2, final=True)
    result = counter_checker(h.ops)
    assert result["valid"] is True
    assert result["final_reads"] == [2]
    assert result["warnings"] == ["1 of 2 final reads did not succeed and were not checked"]


def test_final_reads_are_listed_in_completion_order() -> None:
    h = History()
    h.invoke(0, "read", final=True)
    h.invoke(1, "read", final=True)
    h.complete(1, "ok", "read", 1, final=True)
    h.complete(0, "ok", "read", 0, final=True)
    result = counter_checker(h.ops)
    assert result["final_reads"] == [1, 0]
    assert result["errors"] == [1]


def test_nemesis_ops_are_ignored() -> None:
    h = History()
    h.invoke(NEMESIS, "add", 100)
    h.complete(NEMESIS, "info", "add", 100)
    h.add(0, 1)
    h.read(1, 1, final=True)
    assert counter_checker(h.ops)["acceptable"] == [[1, 1]]


def test_no_successful_final_read_is_valid_with_a_warning() -> None:
    h = History()
    h.add(0, 2)
    h.read(1, None, "info", final=True)
    result = counter_checker(h.ops)
    assert result["valid"] is True
    assert result["warnings"] == ["no final read succeeded (1 attempted), so no read was checked"]
    assert counter_checker([])["warnings"] == [
        "no final read succeeded (0 attempted), so no read was checked"
    ]


def test_error_details() -> None:
    h = History()
    h.add(0, 10)
    h.add(1, 5, "info")
    h.add(2, -1, "info")
    h.add(3, -1, "info")
    h.read(4, 11, final=True)  # in the gap between [8, 10] and [13, 15]
    h.read(5, 5, final=True)  # below everything
    h.read(6, 17, final=True)  # above everything
    h.read(7, "x", final=True)  # not even a number
    result = counter_checker(h.ops)
    assert result["errors"] == [11, 5, 17, "x"]
    gap, low, high, junk = result["error_details"]
    assert gap == {
        "node": "n4",
        "process": 4,
        "value": 11,
        "expected": [[8, 10], [13, 15]],
        "nearest_below": 10,
        "nearest_above": 13,
        "reason": "read 11 falls between acceptable ranges: 1 too many for [8, 10], "
        "or missing 2 for [13, 15]",
    }
    assert low["expected"] == [[8, 10]]
    assert (low["nearest_below"], low["nearest_above"]) == (None, 8)
    assert low["reason"] == "missing 3: read 5, lowest acceptable value is 8"
    assert high["expected"] == [[13, 15]]
    assert high["reason"] == "2 too many: read 17, highest acceptable value is 15"
    assert junk["reason"] == "read value 'x' is not an integer"
    json.dumps(result)


_RNG = random.Random(7)


@pytest.mark.parametrize(
    "deltas",
    [
        pytest.param([_RNG.randint(-5, 4) for _ in range(10_000)], id="mixed"),
        pytest.param([4] * 10_000, id="all-equal"),
    ],
)
def test_many_info_adds(deltas: list[int]) -> None:
    h = History()
    for i, delta in enumerate(deltas):
        h.add(i, delta, "info")
    h.read(len(deltas), sum(d for d in deltas if d > 0), final=True)
    result = counter_checker(h.ops)
    assert result["valid"] is True
    if len(set(deltas)) == 1:
        assert len(result["acceptable"]) == len(deltas) + 1
    else:
        assert result["acceptable"] == [[sum(d for d in deltas if d < 0), result["final_reads"][0]]]


def brute_force(definite: int, indefinite: list[int]) -> set[int]:
    return {
        definite + sum(subset)
        for k in range(len(indefinite) + 1)
        for subset in itertools.combinations(indefinite, k)
    }


outcomes = st.sampled_from(["ok", "info", "fail", "pending"])


@settings(max_examples=200, deadline=None)
@given(
    adds=st.lists(st.tuples(st.integers(-6, 6), outcomes), max_size=9),
    reads=st.lists(st.integers(-40, 40), max_size=4),
)
def test_acceptable_set_is_every_subset_sum(adds: list[tuple[int, str]], reads: list[int]) -> None:
    h = History()
    for process, (delta, outcome) in enumerate(adds):
        if outcome == "pending":
            h.invoke(process, "add", delta)
        else:
            h.add(process, delta, outcome)
    for i, value in enumerate(reads):
        h.read(100 + i, value, final=True)
    result = counter_checker(h.ops)

    definite = sum(d for d, o in adds if o == "ok")
    expected = brute_force(definite, [d for d, o in adds if o in ("info", "pending")])
    acceptable = result["acceptable"]
    assert expand(acceptable) == expected
    # Ranges are sorted, disjoint and never adjacent (else they would have merged).
    assert all(a[1] + 1 < b[0] for a, b in itertools.pairwise(acceptable))
    assert result["errors"] == [v for v in reads if v not in expected]
    assert result["valid"] is all(v in expected for v in reads)


# ---------------------------------------------------------------------------
# read_lag


def test_read_lag_zero() -> None:
    h = History()
    h.add(0, 3)
    h.read(1, 3)
    result = read_lag(h.ops)
    assert result["valid"] is True
    assert result["reads"] == 1
    assert result["lag"] == {"count": 1, "min": 0, "median": 0, "p90": 0, "p99": 0, "max": 0}
    assert result["lag_seconds"]["max"] == 0.0
    assert result["lagging_reads"] == 0
    assert result["worst"] is None
    assert result["too_high"] == result["too_low"] == []


def test_read_lag_positive() -> None:
    h = History()
    h.invoke(0, "add", 1, at=0.5)
    h.complete(0, "ok", "add", 1, at=1)
    h.invoke(0, "add", 2, at=1.5)
    h.complete(0, "ok", "add", 2, at=2)
    h.invoke(0, "add", 3, at=2.5)
    h.complete(0, "ok", "add", 3, at=3)
    h.invoke(1, "read", at=5)
    h.complete(1, "ok", "read", 1, at=5.1, node="n1")
    result = read_lag(h.ops)
    assert result["valid"] is True
    assert result["lag"]["max"] == 5  # knew 6, read 1
    # It saw the first add at most; the total exceeds 1 since the second add's ack at 2 s.
    assert result["lag_seconds"]["max"] == pytest.approx(3.0)
    assert result["worst"] == {
        "process": 1,
        "node": "n1",
        "value": 1,
        "known": 6,
        "lag": 5,
        "lag_seconds": pytest.approx(3.0),
        "time": 5 * SECOND,
        "final": False,
    }


def test_read_lag_seconds_when_the_total_went_down_and_up() -> None:
    # pn-counter: totals 0, 5, 0, 5. A read of 0 at 4 s matches the total as it
    # was until the third ack (3 s), so it is 1 s old, not 3 s.
    h = History()
    for i, delta in enumerate([5, -5, 5]):
        h.invoke(0, "add", delta, at=i + 0.5)
        h.complete(0, "ok", "add", delta, at=i + 1)
    h.invoke(1, "read", at=4)
    h.complete(1, "ok", "read", 0, at=4.1)
    result = read_lag(h.ops)
    assert result["lag"]["max"] == 5
    assert result["lag_seconds"]["max"] == pytest.approx(1.0)
    assert result["valid"] is True  # 0 is within [-5, 10]


def test_read_lag_takes_back_decrements_the_read_may_have_seen() -> None:
    """A pn-counter read that saw an unacknowledged decrement: only the
    acknowledged +3 it missed is lag, and it was missed for 1 s (not since the
    start of the run)."""
    h = History()
    h.invoke(0, "add", -2, at=0.5)  # never completes
    h.invoke(1, "add", 3, at=0.6)
    h.complete(1, "ok", "add", 3, at=1)
    h.invoke(2, "read", at=2)
    h.complete(2, "ok", "read", -2, at=2.1)
    result = read_lag(h.ops)
    assert result["lag"]["max"] == 3
    assert result["lag_seconds"]["max"] == pytest.approx(1.0)
    assert result["valid"] is True


def test_read_lag_counts_from_the_start_when_below_every_acknowledged_total() -> None:
    h = History()
    h.invoke(1, "add", -3, at=0.6)
    h.complete(1, "ok", "add", -3, at=1)
    h.invoke(2, "read", at=2)
    h.complete(2, "ok", "read", -5, at=2.1)  # below 0 and -3: impossible, lag from the start
    result = read_lag(h.ops)
    assert result["lag"]["max"] == 2
    assert result["lag_seconds"]["max"] == pytest.approx(2.0)


def test_a_decrement_invoked_during_the_read_is_taken_back_too() -> None:
    h = History()
    h.invoke(0, "add", 4, at=0.1)
    h.complete(0, "ok", "add", 4, at=0.2)
    h.invoke(2, "read", at=1)
    h.invoke(1, "add", -4, at=1.1)
    h.complete(2, "ok", "read", 0, at=1.2)  # saw the decrement, missed nothing
    h.complete(1, "ok", "add", -4, at=1.3)
    result = read_lag(h.ops)
    assert result["lag"]["max"] == 0 and result["lagging_reads"] == 0


def test_read_lag_concurrent_add_gives_negative_lag() -> None:
    h = History()
    h.invoke(0, "add", 4)
    h.invoke(1, "read")
    h.complete(1, "ok", "read", 4)
    h.complete(0, "ok", "add", 4)
    result = read_lag(h.ops)
    assert result["lag"]["min"] == -4
    assert result["lagging_reads"] == 0
    assert result["valid"] is True


def test_read_lag_too_high() -> None:
    h = History()
    h.add(0, 2)
    h.add(1, 3, "fail")  # certainly did not happen
    h.add(2, 1, "info")  # may have happened
    h.read(3, 4)
    h.read(4, 3)
    h.add(5, 10)  # invoked after both reads completed
    result = read_lag(h.ops)
    assert result["valid"] is False
    assert [(r["process"], r["value"], r["bound"]) for r in result["too_high"]] == [(3, 4, 3)]
    assert result["too_high"][0]["node"] == "n3"
    assert result["too_low"] == []


def test_read_lag_too_low() -> None:
    h = History()
    h.add(0, 2)
    h.read(1, -1)
    result = read_lag(h.ops)
    assert result["valid"] is False
    assert [(r["value"], r["bound"]) for r in result["too_low"]] == [(-1, 0)]


def test_read_lag_missed_decrement_is_not_too_high() -> None:
    # Above the sum of all adds (1), but a counter that missed the -3 says 4.
    h = History()
    h.add(0, 4)
    h.add(1, -3)
    h.read(2, 4)
    result = read_lag(h.ops)
    assert result["valid"] is True
    assert result["lag"]["min"] == -3


def test_read_lag_summary_and_skips() -> None:
    h = History()
    h.add(0, 10)
    for i, value in enumerate([10, 9, 8, 7, 0]):
        h.read(i + 1, value)
    h.read(9, "ten")  # not a number: skipped
    h.read(10, None, "info")  # not ok: ignored
    result = read_lag(h.ops)
    assert result["skipped"] == 1
    assert result["reads"] == 5
    assert result["lag"] == {"count": 5, "min": 0, "median": 2, "p90": 10, "p99": 10, "max": 10}
    assert result["lagging_reads"] == 4
    assert result["worst"]["value"] == 0
    json.dumps(result)


def test_read_lag_empty() -> None:
    result = read_lag([])
    assert result["valid"] is True
    assert result["lag"]["count"] == 0
    assert result["lag"]["max"] is None


# ---------------------------------------------------------------------------
# definite_errors: beyond Maelstrom


def refused_add_history(final_read: int, code: int = 20) -> History:
    h = History()
    h.add(0, 2, node="n0")
    h.add(1, 3, "info", node="n1", error="indeterminate: refused",
          extra={"code": code, "exception": "key-does-not-exist"})  # fmt: skip
    h.read(2, final_read, final=True)
    return h


def test_definite_errors_names_a_refused_add_the_final_reads_count() -> None:
    h = refused_add_history(5)
    assert counter_checker(h.ops)["valid"] is True  # Maelstrom: the info add may count
    result = definite_errors(h.ops)
    assert result["valid"] is False
    assert result["explanation"] == (
        "n1 answered add 3 with error 20 (key-does-not-exist), which promises it did not "
        "happen, but the final read (5 on n2) counts it: without it the counter could only "
        "read [[2, 2]]."
    )
    assert result["adds"] == [
        {"node": "n1", "process": 1, "delta": 3, "code": 20, "error": "key-does-not-exist"}
    ]
    assert [(r["node"], r["value"]) for r in result["reads"]] == [("n2", 5)]
    json.dumps(result)


def test_definite_errors_is_valid_when_the_reads_agree_or_the_code_is_indefinite() -> None:
    agreed = definite_errors(refused_add_history(2).ops)
    assert agreed["valid"] is True
    assert "and the final reads agree" in agreed["explanation"]
    assert definite_errors(refused_add_history(5, code=13).ops)["valid"] is True
    assert definite_errors(refused_add_history(5, code=1005).ops)["adds"] == []


def test_definite_errors_leaves_reads_maelstrom_already_rejects_to_maelstrom() -> None:
    result = definite_errors(refused_add_history(9).ops)
    assert result["valid"] is True
    assert result["reads"] == []


def test_a_pn_read_of_a_total_the_counter_never_had_lags_from_the_adds_it_must_have_missed() -> (
    None
):
    """Keys read at different ages can add up to a total the acknowledged history
    never had (-40 here); the lag then counts from the first acknowledged add
    the read must have missed (the +5 at 2 s), not from the start."""
    h = History()
    for i, (delta, at) in enumerate([(-20, 1), (5, 2), (-20, 3), (15, 4)]):
        h.invoke(i, "add", delta, at=at - 0.1)
        h.complete(i, "ok", "add", delta, at=at)
    h.invoke(9, "read", at=5)
    h.complete(9, "ok", "read", -40, at=5.1)
    [point] = read_lag_points(h.ops)
    assert point["known"] == -20 and point["lag"] == 20
    assert point["lag_seconds"] == pytest.approx(3.0)


def test_a_read_above_the_acknowledged_total_lags_from_the_decrements_it_missed() -> None:
    h = History()
    h.invoke(0, "add", 4, at=0.5)
    h.complete(0, "ok", "add", 4, at=1)
    h.invoke(1, "add", -3, at=1.5)
    h.complete(1, "ok", "add", -3, at=2)
    h.invoke(2, "read", at=4)
    h.complete(2, "ok", "read", 4, at=4.1)  # missed the -3 acknowledged at 2 s
    [point] = read_lag_points(h.ops)
    assert point["lag"] == -3
    assert point["lag_seconds"] == pytest.approx(2.0)
