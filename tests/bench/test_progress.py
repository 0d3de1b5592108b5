"""Live progress: the panel on a terminal, plain log lines elsewhere."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from glomers.bench.core import TestOptions
from glomers.bench.history import NEMESIS, Op
from glomers.bench.progress import RunProgress, live_wanted
from glomers.bench.sim import run_simulation
from glomers.counter import build


def render(progress: RunProgress) -> str:
    out = io.StringIO()
    Console(file=out, width=100, color_system=None).print(progress)
    return out.getvalue()


def test_panel_shows_phase_operations_and_faults() -> None:
    now = [0.0]
    progress = RunProgress(live=True)
    progress.attach_clock(lambda: now[0])
    assert "starting nodes" in render(progress)

    progress.phase("running", 20.0)
    now[0] = 5.0
    for op in [
        Op(0, "invoke", "add", 1), Op(0, "ok", "add", 1),
        Op(1, "invoke", "read"), Op(1, "info", "read", error=["timeout"]),
        Op(2, "invoke", "add", 2), Op(2, "fail", "add", 2),
        Op(NEMESIS, "info", "start-partition", "majority"),
        Op(NEMESIS, "info", "start-partition", {"isolated": {}}),
        Op(NEMESIS, "info", "pause", "n1", node="n1"),
        Op(NEMESIS, "info", "pause", "paused n1", node="n1"),
    ]:  # fmt: skip
        progress.op(op)
    panel = render(progress)
    assert "running" in panel and "5.0 / 20 s" in panel
    assert "ok 1  info 1  fail 1" in panel
    assert "partition, pause n1" in panel

    progress.op(Op(NEMESIS, "info", "stop-partition", None))
    progress.op(Op(NEMESIS, "info", "stop-partition", "network-healed"))
    progress.phase("recovery", 10.0)
    now[0] = 7.5
    panel = render(progress)
    assert "recovery" in panel and "2.5 / 10 s" in panel
    assert "nemesis         pause n1" in panel

    progress.phase("final reads")
    progress.op(Op(0, "invoke", "read", final=True))
    progress.op(Op(1, "invoke", "read", final=True))
    progress.op(Op(0, "ok", "read", 3, final=True))
    assert "1 / 2" in render(progress)


def test_plain_lines_follow_a_simulated_run(caplog: pytest.LogCaptureFixture) -> None:
    opts = TestOptions(
        workload="g-counter", nodes=["n0", "n1", "n2"], time_limit=20.0, rate=50.0,
        nemesis=["partition", "kill"], nemesis_interval=2.0, recovery_time=5.0, seed=4,
    )  # fmt: skip
    progress = RunProgress(live=False)
    with caplog.at_level(logging.INFO, logger="glomers.bench"), progress:
        outcome = run_simulation(opts, build, observer=progress)
    lines = [r.getMessage() for r in caplog.records if r.name == "glomers.bench"]
    phases = [m.split(";")[0] for m in lines if not m[0].isdigit() and "fault" not in m]
    assert phases == [
        "starting nodes", "running for 20s", "time is up", "healing", "waiting 5s for recovery",
        "final reads", "checking the history",
    ]  # fmt: skip
    assert any(m.startswith("fault begins: kill n") for m in lines)
    assert any(m == "fault ends: partition" for m in lines)
    # Faults in words, never as Python dicts.
    begins = [m for m in lines if m.startswith("fault begins: partition")]
    assert any(" hears nothing from " in m for m in begins)
    assert all("{" not in m for m in begins)  # minority-third of 3 cuts nobody off
    tallies = [m for m in lines if m[0].isdigit()]
    assert 5 <= len(tallies) <= 10  # one per tenth of the time limit
    stats = outcome.results["stats"]
    last = lines[-1]
    assert f"ok {stats['ok_count']}, info {stats['info_count']}, fail 0" in last


def test_live_panel_only_on_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    monkeypatch.setenv("CI", "1")
    assert not live_wanted()
    monkeypatch.delenv("CI")
    assert live_wanted()


def test_fault_words() -> None:
    from glomers.bench.faults import words

    grudge = {"isolated": {"n0": ["n1", "n2"], "n1": ["n0"], "n2": []}}
    assert words("partition", grudge) == "n0 hears nothing from n1, n2; n1 hears nothing from n0"
    assert words("partition", {"isolated": {"n0": []}}) == "nobody cut off"
    assert words("kill", ["n1", "n3"]) == "n1, n3"
    assert words("slow", "latency x10") == "latency x10"
