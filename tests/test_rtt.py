"""Round-trip estimates: RFC 6298's smoothing, the floor, backoff and the cap."""

from __future__ import annotations

from typing import Any

import pytest

from glomers.rtt import RoundTrips


def test_before_any_sample_the_initial_wait_applies() -> None:
    rtt = RoundTrips(initial=0.5)
    assert rtt.timeout("n1") == 0.5


def test_first_sample_sets_mean_and_half_deviation() -> None:
    rtt = RoundTrips(floor=0.001)
    rtt.sample("n1", 0.1)
    est = rtt.estimate("n1")
    assert est.srtt == pytest.approx(0.1) and est.rttvar == pytest.approx(0.05)
    assert rtt.timeout("n1") == pytest.approx(0.1 + 4 * 0.05)


def test_later_samples_follow_rfc_6298_gains() -> None:
    rtt = RoundTrips(floor=0.001)
    rtt.sample("n1", 0.1)
    rtt.sample("n1", 0.2)
    est = rtt.estimate("n1")
    # rttvar first, from the old srtt: 3/4 * 0.05 + 1/4 * |0.1 - 0.2|
    assert est.rttvar == pytest.approx(0.0625)
    assert est.srtt == pytest.approx(7 / 8 * 0.1 + 1 / 8 * 0.2)


def test_steady_round_trips_converge_to_them() -> None:
    rtt = RoundTrips(floor=0.001)
    for _ in range(200):
        rtt.sample("n1", 0.03)
    assert rtt.timeout("n1") == pytest.approx(0.03, rel=1e-3)


def test_floor_keeps_fast_replies_from_shrinking_the_wait_to_nothing() -> None:
    rtt = RoundTrips(floor=0.02)
    for _ in range(50):
        rtt.sample("n1", 0.0)
    assert rtt.timeout("n1") == 0.02


def test_each_further_copy_waits_twice_as_long_doublings_times_and_up_to_the_cap() -> None:
    rtt = RoundTrips(floor=0.01, cap=0.5, doublings=3)
    rtt.sample("n1", 0.02)
    base = rtt.timeout("n1")  # 0.02 + 4 * 0.01
    assert base == pytest.approx(0.06)
    assert rtt.timeout("n1", 1) == pytest.approx(2 * base)
    assert rtt.timeout("n1", 2) == pytest.approx(4 * base)
    assert rtt.timeout("n1", 3) == pytest.approx(8 * base)
    assert rtt.timeout("n1", 10_000) == pytest.approx(8 * base)  # no more doublings
    assert rtt.timeout("n1") == pytest.approx(base)  # one request's copies slow no other
    rtt.sample("n1", 0.2)
    assert rtt.timeout("n1", 10_000) == 0.5  # the cap


def test_one_destination_can_double_fewer_times_than_the_others() -> None:
    rtt = RoundTrips(floor=0.01, doublings=3)
    rtt.sample("seq-kv", 0.02)
    rtt.sample("n1", 0.02)
    rtt.estimate("seq-kv").doublings = 1
    assert rtt.timeout("seq-kv", 5) == pytest.approx(2 * 0.06)
    assert rtt.timeout("n1", 5) == pytest.approx(8 * 0.06)


def test_one_doubling_for_paths_that_lose_at_random() -> None:
    rtt = RoundTrips(floor=0.01, doublings=1)
    rtt.sample("seq-kv", 0.02)
    assert [rtt.timeout("seq-kv", k) for k in range(4)] == pytest.approx([0.06, 0.12, 0.12, 0.12])


def test_a_hedged_destination_gets_a_bounded_burst_of_close_copies_then_doubling() -> None:
    rtt = RoundTrips(floor=0.01, doublings=2)
    rtt.sample("seq-kv", 0.02)
    rtt.sample("n1", 0.02)
    est = rtt.estimate("seq-kv")
    est.spacing, est.burst = 0.25, 3
    waits = [rtt.timeout("seq-kv", k) for k in range(6)]
    # The first copy waits the whole timeout: with nothing lost, no copy goes out.
    assert waits == pytest.approx([0.06, 0.015, 0.015, 0.015, 0.24, 0.24])
    assert [rtt.timeout("n1", k) for k in range(3)] == pytest.approx([0.06, 0.12, 0.24])
    est.spacing = 0.01  # never closer than the floor
    assert rtt.timeout("seq-kv", 1) == pytest.approx(0.01)


def test_destinations_are_estimated_apart() -> None:
    rtt = RoundTrips(floor=0.001)
    rtt.sample("seq-kv", 0.002)
    assert rtt.timeout("seq-kv") == pytest.approx(0.006)  # 2 ms + 4 * 1 ms
    assert rtt.timeout("n2", 1) == 0.5  # the initial 0.25 s, doubled
    assert "seq-kv: 6 ms" in repr(rtt)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"floor": 0.0}, "floor"),
        ({"floor": 3.0, "cap": 2.0}, "floor"),
        ({"initial": 0}, "initial"),
        ({"doublings": -1}, "doublings"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RoundTrips(**kwargs)
