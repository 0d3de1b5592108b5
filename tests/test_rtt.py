"""Round-trip estimates: RFC 6298's smoothing, the floor, backoff and the cap."""

from __future__ import annotations

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


def test_timeouts_double_the_wait_up_to_the_cap_and_a_sample_resets_it() -> None:
    rtt = RoundTrips(floor=0.01, cap=0.5)
    rtt.sample("n1", 0.02)
    base = rtt.timeout("n1")  # 0.02 + 4 * 0.01
    rtt.timed_out("n1")
    assert rtt.timeout("n1") == pytest.approx(2 * base)
    rtt.timed_out("n1")
    assert rtt.timeout("n1") == pytest.approx(4 * base)
    for _ in range(100):
        rtt.timed_out("n1")
    assert rtt.timeout("n1") == 0.5
    assert rtt.estimate("n1").backoff < 10  # stops counting once at the cap
    rtt.sample("n1", 0.02)
    assert rtt.timeout("n1") < 2 * base


def test_destinations_are_estimated_apart() -> None:
    rtt = RoundTrips(floor=0.001)
    rtt.sample("seq-kv", 0.002)
    rtt.timed_out("n2")
    assert rtt.timeout("seq-kv") == pytest.approx(0.006)  # 2 ms + 4 * 1 ms
    assert rtt.timeout("n2") == 2.0  # the initial 1 s, backed off once, within the cap
    assert "seq-kv: 6 ms" in repr(rtt)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"floor": 0.0}, "floor"), ({"floor": 3.0, "cap": 2.0}, "floor"), ({"initial": 0}, "initial")],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RoundTrips(**kwargs)
