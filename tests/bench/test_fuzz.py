"""``glomers fuzz``: many seeds, failing ones reported with a command that replays them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import glomers.bench.fuzz as fuzz_module
from glomers.bench.fuzz import replay_command

PY = sys.executable
STANDARD = ["-w", "g-counter", "--node-count", "3", "--rate", "100", "--time-limit", "20",
            "--nemesis", "partition"]  # fmt: skip


def fuzz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "glomers", "fuzz", *args], capture_output=True, text=True, timeout=300
    )


def test_fuzz_finds_the_textbook_counters_failures_and_replays_them(tmp_path: Path) -> None:
    naive = ["--bin", "glomers.examples.naive_counter:build"]
    done = fuzz(*STANDARD, *naive, "--seeds", "10", "--jobs", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "10 of 10 seeds run; 3 failing" in done.stdout
    for seed in (3, 8, 10):
        assert f"seed {seed} (False): workload invalid; missing" in done.stdout
    line = next(x for x in done.stdout.splitlines() if x.strip().startswith("replay:"))
    command = line.split("replay:", 1)[1].split()
    assert command[:3] == ["glomers", "test", "--sim"]
    replay = subprocess.run(
        [PY, "-m", "glomers", *command[1:], "--store", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert replay.returncode == 1
    assert "INVALID" in replay.stdout


def test_fuzz_passes_the_project_counter() -> None:
    done = fuzz(*STANDARD, "--seeds", "6", "--jobs", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 of 6 seeds run; 0 failing" in done.stdout


def test_fuzz_refuses_a_non_python_node() -> None:
    done = fuzz("-w", "echo", "--bin", "/bin/cat", "--seeds", "2")
    assert done.returncode == 254
    assert "process mode" in done.stderr


def test_ctrl_c_stops_fuzzing_with_what_was_found() -> None:
    proc = subprocess.Popen(
        [PY, "-m", "glomers", "fuzz", *STANDARD, "--seeds", "100000", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 30
    assert proc.returncode == 130, err
    assert "(interrupted)" in out
    assert "Traceback" not in err


def test_replay_command_drops_fuzz_only_flags() -> None:
    argv = ["-w", "echo", "--seeds", "9", "--jobs=3", "--first-seed", "4", "--rate", "5"]
    assert replay_command(argv, 7) == "glomers test --sim -w echo --rate 5 --seed 7"


def test_a_run_that_crashes_is_a_failing_seed_not_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: Any) -> Any:
        raise KeyError("bench bug")

    monkeypatch.setattr(fuzz_module, "run_simulation", crash)
    args = fuzz_module.fuzz_parser().parse_args(STANDARD)
    assert fuzz_module.run_one(args, "glomers.counter:build", 4) == (
        4,
        "crashed",
        "KeyError: 'bench bug'",
    )
