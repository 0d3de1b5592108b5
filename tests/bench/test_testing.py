"""The helper users call from their own suites."""

from __future__ import annotations

from glomers.bench.testing import run_workload, simulate_workload
from glomers.counter import build
from tests.nodes import stale_read_counter


def test_run_workload_passes_the_counter_and_catches_a_broken_one() -> None:
    flags = {"node_count": 3, "rate": 100.0, "time_limit": 10.0, "nemesis": "partition"}
    results = run_workload(build, "g-counter", seed=4, **flags)
    assert results["valid"] is True
    assert results["flags"]["nemesis"] == ["partition"]
    assert results["flags"]["concurrency"] == "1n"
    broken = run_workload(stale_read_counter.build, "g-counter", seed=4, **flags)
    assert broken["valid"] is False
    assert broken["workload"]["error_details"]


def test_same_seed_same_outcome_and_defaults_follow_the_cli() -> None:
    a = simulate_workload(build, node_count=2, time_limit=5.0, rate=50.0, seed=8)
    b = simulate_workload(build, node_count=2, time_limit=5.0, rate=50.0, seed=8)
    assert [op.to_json() for op in a.history] == [op.to_json() for op in b.history]
    assert a.results == b.results
    c = simulate_workload(build, time_limit=5.0, seed=1)
    assert {op.node for op in c.history if op.node} == {"n1", "n2", "n3", "n4", "n5"}
