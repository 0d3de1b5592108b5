"""``glomers test`` end to end: real node processes in real time (and a few runs in
simulation mode), the store, exit statuses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from glomers.bench.clock import LoopClock
from glomers.bench.core import TestOptions, TestRun
from glomers.bench.net import Network
from glomers.bench.process import ProcessHost, kill_all

NODES = Path(__file__).resolve().parent.parent / "nodes"
PY = sys.executable


def glomers_test(
    tmp_path: Path, flags: str, *args: str, timeout: float = 180
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    """Run ``glomers test`` with ``flags`` (split on spaces), then ``args`` as they are."""
    store = tmp_path / "store"
    done = subprocess.run(
        [PY, "-m", "glomers", "test", "--store", str(store), *flags.split(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    results_file = store / "latest" / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else None
    return done, results


def leftovers(marker: str) -> list[str]:
    """Command lines of live processes that carry ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(cmdline)
    return found


def test_project_counter_passes_the_standard_run(tmp_path: Path) -> None:
    done, results = glomers_test(
        tmp_path,
        "-w g-counter --node-count 3 --rate 100 --time-limit 5 --nemesis partition"
        " --nemesis-interval 1 --recovery-time 1 --seed 11",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert results is not None
    assert results["valid"] is True
    assert results["seed"] == 11
    assert results["flags"]["nemesis"] == ["partition"]
    for key in ("workload", "stats", "availability", "net", "read_lag"):
        assert results[key]["valid"] is True, key
    for part in ("all", "clients", "servers"):
        assert {"send_count", "recv_count", "msg_count", "msgs_per_op"} <= set(results["net"][part])
    assert results["workload"]["final_reads"] == [results["workload"]["acceptable"][0][0]] * 3
    run_dir = tmp_path / "store" / "latest"
    assert (tmp_path / "store" / "g-counter" / "latest").resolve() == run_dir.resolve()
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert {"process", "type", "f", "value", "time"} <= set(history[0])
    assert any(op["process"] == "nemesis" for op in history)
    assert sum(1 for op in history if op.get("final") and op["type"] == "ok") == 3
    assert sorted(p.name for p in (run_dir / "node-logs").iterdir()) == [
        "n0.log",
        "n1.log",
        "n2.log",
    ]
    assert "seed 11" in done.stderr
    assert "Valid" in done.stdout


def test_pn_counter_default_passes(tmp_path: Path) -> None:
    done, results = glomers_test(
        tmp_path,
        "-w pn-counter --node-count 2 --rate 50 --time-limit 3 --recovery-time 1",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert results is not None
    assert results["valid"] is True
    assert any(
        json.loads(line)["value"] < 0
        for line in (tmp_path / "store/latest/history.jsonl").read_text().splitlines()
        if '"add"' in line and '"invoke"' in line
    )


@pytest.mark.parametrize(
    ("node", "extra", "reason", "mode"),
    [
        ("lost_update_counter.py", [], "missing", "process"),
        ("lost_update_counter.py", [], "missing", "sim"),
        ("double_count_counter.py", ["--latency", "10"], "too many", "sim"),
        ("stale_read_counter.py", [], "missing", "sim"),
    ],
)
def test_broken_counters_are_caught(
    tmp_path: Path, node: str, extra: list[str], reason: str, mode: str
) -> None:
    # Simulation mode makes each case deterministic; one real-process run stays.
    node_args = (
        ["--sim", "--bin", str(NODES / node)] if mode == "sim" else ["--bin", PY, str(NODES / node)]
    )
    done, results = glomers_test(
        tmp_path,
        "-w g-counter --node-count 3 --rate 100 --time-limit 3 --recovery-time 1 --seed 1",
        *extra,
        *node_args,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert results is not None
    assert results["valid"] is False
    assert results["workload"]["valid"] is False
    assert "INVALID" in done.stdout
    assert "workload is invalid" in done.stdout
    assert reason in done.stdout


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("exit-at-start", ["crashed with exit status 3", "cannot start: no configuration"]),
        ("not-json", ["not well-formed JSON", "handling echo", "intended for STDERR"]),
        ("malformed", ["Malformed network message", "no `dest`"]),
        ("unknown-dest", ["'n99'", "no node, client or service"]),
        ("flood", ["flooded STDOUT"]),
        ("crash", ["crashed with exit status 7", "about to crash"]),
    ],
)
def test_misbehaving_nodes_are_reported_precisely(
    tmp_path: Path, mode: str, expected: list[str]
) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    started = time.monotonic()
    done, results = glomers_test(
        tmp_path,
        "-w echo --node-count 2 --rate 50 --time-limit 20",
        "--bin",
        PY,
        str(NODES / "misbehave.py"),
        mode,
        marker,
    )
    assert time.monotonic() - started < 60
    assert done.returncode == 254, done.stdout + done.stderr
    for fragment in expected:
        assert fragment in done.stdout, (fragment, done.stdout)
    assert "misbehaving node, mode" in done.stdout, "the node's stderr tail is shown"
    assert results is not None
    assert results["valid"] == "unknown"
    assert expected[0] in results["error"]
    assert leftovers(marker) == []


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: str(d / "missing-node"), "no such file"),
        (lambda d: str(d / "not-executable"), "is not executable"),
        (lambda d: str(d), "is a directory"),
    ],
)
def test_unusable_binary_is_reported(tmp_path: Path, make: Any, expected: str) -> None:
    (tmp_path / "not-executable").write_text("#!/bin/sh\n")
    done, results = glomers_test(tmp_path, "-w echo --time-limit 5", "--bin", make(tmp_path))
    assert done.returncode == 254
    assert expected in done.stdout
    assert results is not None
    assert results["valid"] == "unknown"


def test_ctrl_c_leaves_no_process_behind(tmp_path: Path) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    flags = ["-w", "echo", "--node-count", "3", "--rate", "20", "--time-limit", "60"]
    node = [PY, str(NODES / "misbehave.py"), "spawn", marker]
    proc = subprocess.Popen(
        [PY, "-m", "glomers", "test", "--store", str(tmp_path / "store"), *flags, "--bin", *node],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if len(leftovers(marker)) >= 6:  # 3 nodes and their 3 grandchildren
                break
            time.sleep(0.1)
        assert len(leftovers(marker)) >= 6
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert leftovers(marker) == []
    results = json.loads((tmp_path / "store/latest/results.json").read_text())
    assert results["valid"] == "unknown"
    assert "interrupted" in results["error"]
    assert "Traceback" not in err


def test_help_explains_every_flag() -> None:
    done = subprocess.run(
        [PY, "-m", "glomers", "test", "--help"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for flag in (
        "--workload",
        "--bin",
        "--node-count",
        "--time-limit",
        "--rate",
        "--concurrency",
        "--latency",
        "--latency-dist",
        "--nemesis",
        "--nemesis-interval",
        "--availability",
        "--log-stderr",
        "--log-net-send",
        "--log-net-recv",
        "--seed",
        "--recovery-time",
        "--store",
        "--loss-rate",
        "--no-pages",
    ):
        assert flag in text, flag
    assert "(default: 60.0)" in text
    assert "(default: 1n)" in text


def test_bad_flags_are_refused_clearly() -> None:
    done = subprocess.run(
        [PY, "-m", "glomers", "test", "--nemesis", "partition,meteor"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "unknown fault meteor" in done.stderr


@pytest.mark.parametrize("dist", ["uniform", "exponential"])
def test_a_random_latency_needs_a_mean_above_zero(
    dist: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from glomers.bench.cli import parse_test_args
    from glomers.bench.fuzz import fuzz

    for parse in (parse_test_args, fuzz):
        with pytest.raises(SystemExit) as exc:
            parse(["--latency-dist", dist])
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert f"--latency-dist {dist} needs --latency above 0" in err[-1]
    assert parse_test_args(["--latency-dist", dist, "--latency", "1"]).latency == 1
    assert parse_test_args(["--latency", "0"]).latency_dist == "constant"


async def test_node_that_never_answers_init(tmp_path: Path) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    argv = [PY, str(NODES / "misbehave.py"), "silent", marker]

    def make_host(node: str, net: Network, on_fault: Any) -> ProcessHost:
        return ProcessHost(node, argv, net, tmp_path / f"{node}.log", on_fault)

    opts = TestOptions(workload="echo", nodes=["n0", "n1"], concurrency=2, init_timeout=1.0)
    started = time.monotonic()
    outcome = await TestRun(opts, make_host, LoopClock()).run()
    assert time.monotonic() - started < 15
    assert outcome.exit_code == 254
    assert "did not respond within 1 s" in outcome.results["error"]
    assert "misbehaving node, mode silent" in outcome.results["error"]
    kill_all()
    assert leftovers(marker) == []


def test_project_counter_survives_every_fault(tmp_path: Path) -> None:
    done, results = glomers_test(
        tmp_path,
        "-w g-counter --node-count 3 --rate 100 --time-limit 6 --latency 10"
        " --nemesis partition,kill,pause,loss,slow --nemesis-interval 0.7"
        " --recovery-time 2 --seed 3",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert results is not None
    assert results["valid"] is True
    history = (tmp_path / "store/latest/history.jsonl").read_text()
    for f in ('"kill"', '"start"', '"pause"', '"resume"'):
        assert f in history, f
    finals = results["workload"]["final_reads"]
    assert len(finals) == 3
    assert len(set(finals)) == 1


def test_node_arguments_anywhere_or_after_double_dash() -> None:
    from glomers.bench.cli import node_argv, parse_test_args

    args = parse_test_args(
        [
            "-w",
            "echo",
            "--bin",
            "./node",
            "a",
            "--time-limit",
            "5",
            "b",
            "--",
            "--verbose",
            "-n",
            "3",
        ]
    )
    assert args.args == ["a", "b", "--verbose", "-n", "3"]
    assert args.time_limit == 5.0
    assert node_argv(args) == ["./node", "a", "b", "--verbose", "-n", "3"]
    default = parse_test_args(["-w", "pn-counter"])
    assert node_argv(default) == [PY, "-m", "glomers.counter", "--pn"]


def test_sim_mode_runs_python_nodes_and_refuses_others(tmp_path: Path) -> None:
    done, results = glomers_test(
        tmp_path,
        "--sim -w g-counter --node-count 3 --rate 100 --time-limit 5 --seed 1",
        "--bin",
        f"{NODES / 'lost_update_counter.py'}:build",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert results is not None
    assert results["workload"]["valid"] is False
    done, results = glomers_test(tmp_path, "--sim -w pn-counter --time-limit 5 --rate 50")
    assert done.returncode == 0, done.stdout + done.stderr
    done, _ = glomers_test(tmp_path, "--sim -w echo --time-limit 5 --bin /bin/cat")
    assert done.returncode == 254
    assert "run other programs without --sim (process mode)" in done.stderr
    done, _ = glomers_test(tmp_path, "--sim -w echo --bin glomers.examples.echo:nothing")
    assert "no function 'nothing'" in done.stderr


def test_sim_mode_writes_each_nodes_log_to_its_own_file(tmp_path: Path) -> None:
    flags = "--sim -w g-counter --node-count 3 --rate 50 --time-limit 5 --seed 2"
    done, _ = glomers_test(tmp_path, flags)
    assert done.returncode == 0, done.stdout + done.stderr
    logs = tmp_path / "store" / "latest" / "node-logs"
    for node in ("n0", "n1", "n2"):
        first = (logs / f"{node}.log").read_text().splitlines()[0]
        # Virtual time first, then the record.
        assert first == f"0.000000 INFO glomers.node: node {node} initialising (cluster n0 n1 n2)"
    assert "initialising" not in done.stderr
    done, _ = glomers_test(tmp_path, flags, "--log-stderr")
    assert "node n2 initialising" in done.stderr

    chatty = tmp_path / "chatty.py"
    chatty.write_text(
        "import sys\n"
        "from glomers.examples.echo import build as echo\n"
        "def build():\n"
        "    node = echo()\n"
        "    node.on_init(lambda: print('hello from', node.node_id, file=sys.stdout))\n"
        "    return node\n"
    )
    done, _ = glomers_test(
        tmp_path, "--sim -w echo --node-count 2 --time-limit 2", "--bin", str(chatty)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hello from" not in done.stdout + done.stderr
    logs = tmp_path / "store" / "latest" / "node-logs"
    assert "hello from n1\n" in (logs / "n1.log").read_text()


def test_every_run_gets_its_pages_unless_told_not_to(tmp_path: Path) -> None:
    pages = ["latency-quantiles.png", "latency-raw.png", "rate.png", "read-lag.png",
             "report.html", "timeline.html"]  # fmt: skip
    done, _ = glomers_test(tmp_path, "--sim -w g-counter --time-limit 5 --rate 20 --seed 3")
    run = (tmp_path / "store" / "latest").resolve()
    assert (
        sorted(p.name for p in run.glob("*.png")) + sorted(p.name for p in run.glob("*.html"))
        == pages
    )
    assert f"report: {run / 'report.html'}" in done.stdout
    done, _ = glomers_test(tmp_path, "--sim -w echo --time-limit 5 --rate 20 --no-pages")
    run = (tmp_path / "store" / "latest").resolve()
    assert done.returncode == 0
    assert not list(run.glob("*.png")) and not list(run.glob("*.html"))
    assert (run / "results.json").exists() and (run / "history.jsonl").exists()
    assert "report:" not in done.stdout


def test_sim_runs_are_byte_identical_by_seed(tmp_path: Path) -> None:
    flags = ["--sim", "-w", "pn-counter", "--node-count", "3", "--rate", "100", "--time-limit",
             "20", "--nemesis", "partition,kill,pause,loss,slow", "--nemesis-interval", "2",
             "--seed", "12", "--store", str(tmp_path / "store"), "--no-pages"]  # fmt: skip
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [PY, "-m", "glomers", "test", *flags], capture_output=True, timeout=120, env=env
        )
        assert done.returncode == 0, done.stderr
        run = (tmp_path / "store" / "latest").resolve()
        outputs.append([(run / name).read_bytes() for name in ("history.jsonl", "results.json")])
        shutil.rmtree(tmp_path / "store")
    assert outputs[0] == outputs[1]
    assert b'"f":"pause"' in outputs[0][0] and b'"f":"kill"' in outputs[0][0]
