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


@pytest.mark.slow
def test_fuzz_finds_the_textbook_counters_failures_and_replays_them(tmp_path: Path) -> None:
    naive = ["--bin", "glomers.examples.naive_counter:build"]
    done = fuzz(*STANDARD, *naive, "--seeds", "10", "--jobs", "2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "10 of 10 seeds run; 3 failing" in done.stdout
    for seed in (3, 8, 10):
        assert f"seed {seed} (False): workload invalid; missing" in done.stdout
        # Each failing seed is told once, with its replay command.
        assert (done.stdout + done.stderr).count(f"seed {seed} ") == 1
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


def test_what_nodes_and_runs_log_stays_out_of_fuzz_output(tmp_path: Path) -> None:
    # Logged warnings and protocol errors belong to one run; fuzz reports seeds.
    node = tmp_path / "chatty.py"
    node.write_text(
        "import logging\n"
        "from glomers.examples.echo import build as echo\n"
        "def build():\n"
        "    logging.getLogger('chatty').warning('CHATTY NODE WARNING')\n"
        "    return echo()\n"
    )
    done = fuzz("-w", "echo", "--bin", str(node), "--node-count", "1", "--time-limit", "1",
                "--seeds", "2", "--jobs", "1")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 seeds run; 0 failing" in done.stdout
    assert "CHATTY" not in done.stdout + done.stderr


def test_fuzz_refuses_a_non_python_node() -> None:
    done = fuzz("-w", "echo", "--bin", "/bin/cat", "--seeds", "2")
    assert done.returncode == 254
    assert "process mode" in done.stderr


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces: the fields after it are fixed.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("interrupts", [1, 2, 3])
def test_ctrl_c_stops_fuzzing_with_what_was_found(interrupts: int) -> None:
    proc = subprocess.Popen(
        [PY, "-m", "glomers", "fuzz", *STANDARD, "--seeds", "100000", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    ready = proc.stderr.readline()
    assert ready.startswith("fuzzing 100000 seeds on 2 processes"), ready
    deadline = time.monotonic() + 30
    while len(workers := children(proc.pid)) < 2:
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.05)
    # A terminal's Ctrl-C pressed again and again; `timeout -s INT` sends two at once.
    for _ in range(interrupts):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.01)
    started = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 10
    assert proc.returncode == 130, err
    assert "(interrupted)" in out
    assert "Traceback" not in err
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived glomers fuzz"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--seeds", "0"], "--seeds must be at least 1"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--seeds", "-3"], "--seeds must be at least 1"),
        (["--sim"], "--sim is not taken"),
        (["--store", "x"], "--store is not taken"),
        (["--no-pages"], "--no-pages is not taken"),
        (["--log-stderr"], "--log-stderr is not taken"),
        (["--log-net-send"], "--log-net-send is not taken"),
        (["--log-net-recv"], "--log-net-recv is not taken"),
        (["--seed", "3", "--first-seed", "4"], "--seed and --first-seed both"),
        (["extra"], "arguments for the node (extra)"),
    ],
)
def test_fuzz_refuses_flags_it_would_ignore(flags: list[str], message: str) -> None:
    done = fuzz("-w", "echo", "--time-limit", "1", *flags)
    assert done.returncode == 254
    assert done.stderr.startswith(f"glomers fuzz: {message}")
    assert len(done.stderr.splitlines()) == 1
    assert done.stdout == ""


def test_seed_is_the_first_seed() -> None:
    naive = ["--bin", "glomers.examples.naive_counter:build"]
    # Seed 3 of the standard run fails the textbook counter, seed 1 passes.
    done = fuzz(*STANDARD, *naive, "--seed", "3", "--seeds", "1", "--jobs", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 of 1 seed run; 1 failing" in done.stdout
    assert "seed 3 (False)" in done.stdout
    assert "--seed 3" in done.stdout
    done = fuzz(*STANDARD, *naive, "--seeds", "1", "--jobs", "1")
    assert done.returncode == 0, done.stdout + done.stderr


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


def test_a_strict_failure_names_the_finding_beyond_maelstrom(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = {
        "valid": False, "strict": True, "maelstrom_valid": True, "workload": {"valid": True},
        "beyond_maelstrom": {
            "definite_errors": {"valid": False, "explanation": "n1 answered add 3 with error 20."},
            "read_lag": {"valid": True, "explanation": "fine"},
        },
    }  # fmt: skip

    def simulated(*args: Any) -> Any:
        return type("Outcome", (), {"results": results})()

    monkeypatch.setattr(fuzz_module, "run_simulation", simulated)
    args = fuzz_module.fuzz_parser().parse_args([*STANDARD, "--strict"])
    assert args.strict is True
    assert fuzz_module.run_one(args, "glomers.counter:build", 4) == (
        4,
        False,
        "definite_errors invalid (beyond Maelstrom): n1 answered add 3 with error 20.",
    )


@pytest.mark.slow
def test_seeds_no_node_could_pass_are_counted_apart_but_still_fail() -> None:
    # Seeds 6 and 7 kill every node at t = 0 and keep each add from an up node for
    # its whole wait; seed 38's two adds reached their nodes after a restart.
    faults = ["--nemesis", "partition,kill,pause,loss,slow"]
    run = fuzz(*STANDARD[:-2], *faults, "--seeds", "2", "--first-seed", "6", "--jobs", "1")
    assert run.returncode == 1, run.stderr
    assert "2 of 2 seeds run; 2 failing (2 of them no node could pass)" in run.stdout
    assert "seed 6 (no node could pass): stats invalid; no add operation succeeded" in run.stdout
    args = fuzz_module.fuzz_parser().parse_args([*STANDARD[:-2], *faults])
    seed, valid, why = fuzz_module.run_one(args, "glomers.counter:build", 38)
    assert (seed, valid) == (38, False)
    assert why == (
        "stats invalid; no add operation succeeded (2 attempted); 2 of them were sent to a "
        "node while it was down (killed or paused)"
    )
