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

from glomers.bench import cli
from glomers.bench.clock import LoopClock
from glomers.bench.core import Outcome, TestOptions, TestRun
from glomers.bench.net import Network
from glomers.bench.process import ProcessHost

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


@pytest.mark.slow
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
    for key in ("workload", "stats", "availability", "net", "perf", "timeline", "exceptions"):
        assert results[key]["valid"] is True, key
    assert results["strict"] is False
    assert set(results["beyond_maelstrom"]) == {"definite_errors", "read_lag"}
    for name, finding in results["beyond_maelstrom"].items():
        assert finding["valid"] is True, name
        assert finding["explanation"], name
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


@pytest.mark.slow
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
        pytest.param("lost_update_counter.py", [], "missing", "process", marks=pytest.mark.slow),
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


async def run_misbehaving(tmp_path: Path, mode: str, **opts: Any) -> tuple[Outcome, str]:
    """An echo run on n0 and n1 with the misbehaving node in ``mode`` (n0 misbehaves at
    its third request); returns the outcome and the marker of its processes."""
    marker = f"marker-{uuid.uuid4().hex}"
    argv = [PY, str(NODES / "misbehave.py"), mode, marker]

    def make_host(node: str, net: Network, on_fault: Any) -> ProcessHost:
        return ProcessHost(node, argv, net, tmp_path / f"{node}.log", on_fault)

    base: dict[str, Any] = {
        "workload": "echo",
        "nodes": ["n0", "n1"],
        "concurrency": 2,
        "rate": 20.0,
        "time_limit": 2.0,
        "client_timeout": 1.0,
        "init_timeout": 2.0,
        "seed": 5,
    }
    outcome = await TestRun(TestOptions(**{**base, **opts}), make_host, LoopClock()).run()
    return outcome, marker


def went_on_without_n0(outcome: Outcome, since: int) -> None:
    """n1 kept answering after ``since`` (ns); every request to n0 sent after it timed out."""
    ops = outcome.history
    later_n1 = [op for op in ops if op.node == "n1" and op.type == "ok" and op.time > since]
    assert len(later_n1) >= 5
    later_n0 = [op for op in ops if op.node == "n0" and op.type == "invoke" and op.time > since]
    assert later_n0, "n0 still gets requests"
    for invoke in later_n0:
        done = next(o for o in ops if o.index > invoke.index and o.process == invoke.process)
        assert (done.type, done.error) == ("info", "net-timeout")


@pytest.mark.parametrize(
    ("mode", "problem", "line"),
    [
        ("not-json", "printed a line to STDOUT which was not well-formed JSON", "handling echo"),
        ("blank", "Malformed network message", ""),
        ("extra-key", "`extra` at the top level", '"extra": 1'),
        ("malformed", "it has no `dest`", '"echo_ok"'),
        ("unknown-dest", "Invalid dest for message from node n0: 'n99'", '"gossip"'),
        ("flood", "flooded STDOUT", ""),
    ],
)
async def test_a_node_that_breaks_the_protocol_goes_mute_and_the_run_goes_on(
    tmp_path: Path, mode: str, problem: str, line: str
) -> None:
    outcome, marker = await run_misbehaving(tmp_path, mode)
    # Echo only needs some replies: as under Maelstrom, the run is judged, and valid.
    assert outcome.exit_code == 0, outcome.results
    assert outcome.results["valid"] is True
    [error] = outcome.results["node_errors"]
    assert error["node"] == "n0"
    assert problem in error["problem"]
    assert line in error["line"]
    if not line:
        assert error["line"] == ""
    assert "wrong_src" not in outcome.results["beyond_maelstrom"]
    went_on_without_n0(outcome, error["time"])
    assert leftovers(marker) == [], "teardown killed every node"


async def test_a_reply_to_a_closed_client_mutes_the_node(tmp_path: Path) -> None:
    outcome, marker = await run_misbehaving(tmp_path, "late", time_limit=3.0)
    assert outcome.exit_code == 0, outcome.results
    [error] = outcome.results["node_errors"]
    assert error["problem"].startswith("Invalid dest for message from node n0")
    # The reply held back went to the client of the op that timed out, replaced since.
    info = next(op for op in outcome.history if op.node == "n0" and op.type == "info")
    held = json.loads(error["line"])
    # Thread 0's first client (c0 and c1 sent init), closed when its thread went on.
    assert held["dest"] == "c2"
    assert held["body"]["in_reply_to"] == 3
    assert error["time"] > info.time
    went_on_without_n0(outcome, error["time"])
    assert leftovers(marker) == []


async def test_a_second_init_ok_goes_to_a_closed_client_and_mutes(tmp_path: Path) -> None:
    outcome, _ = await run_misbehaving(tmp_path, "init-twice")
    [error] = outcome.results["node_errors"]
    assert error["problem"].startswith("Invalid dest for message from node n0")
    assert json.loads(error["line"])["body"] == {"type": "init_ok", "in_reply_to": 1}
    went_on_without_n0(outcome, error["time"])


async def test_a_src_other_than_its_own_is_routed_and_noted(tmp_path: Path) -> None:
    outcome, _ = await run_misbehaving(tmp_path, "wrong-src")
    assert outcome.exit_code == 0, outcome.results
    assert outcome.results["node_errors"] == []
    finding = outcome.results["beyond_maelstrom"]["wrong_src"]
    # Beyond Maelstrom: reported as invalid, but the verdict stays Maelstrom's.
    assert finding["valid"] is False and outcome.results["valid"] is True
    assert "n0 sent" in finding["evidence"][0]
    [wrong] = finding["messages"]
    assert (wrong["node"], wrong["src"]) == ("n0", "n1")
    n0_oks = [op for op in outcome.history if op.node == "n0" and op.type == "ok"]
    assert wrong["count"] == len(n0_oks) - 2  # all but its first two replies, all delivered
    assert json.loads(wrong["example"])["src"] == "n1"


async def test_a_crash_is_reported_at_once_and_is_the_verdict(tmp_path: Path) -> None:
    outcome, marker = await run_misbehaving(tmp_path, "crash")
    assert outcome.exit_code == 255
    results = outcome.results
    assert results["valid"] == "unknown"
    assert results["error"].startswith("Node n0 crashed with exit status 7.")
    assert "about to crash" in results["error"]
    # The checkers still ran: their figures are there for the learner.
    assert results["workload"]["valid"] is True
    assert results["stats"]["ok_count"] > 10
    crash_at = max(op.time for op in outcome.history if op.node == "n0" and op.type == "ok")
    went_on_without_n0(outcome, crash_at)
    assert leftovers(marker) == []


async def test_a_node_that_exits_at_start_aborts_with_255(tmp_path: Path) -> None:
    started = time.monotonic()
    outcome, marker = await run_misbehaving(tmp_path, "exit-at-start", init_timeout=10.0)
    assert time.monotonic() - started < 8, "aborted at the crash, not at the init timeout"
    assert outcome.exit_code == 255
    assert "crashed with exit status 3" in outcome.results["error"]
    assert "cannot start: no configuration" in outcome.results["error"]
    assert outcome.history == []
    assert leftovers(marker) == []


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["not-json", "crash"])
def test_cli_exit_status_and_summary_for_a_misbehaving_node(tmp_path: Path, mode: str) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    done, results = glomers_test(
        tmp_path,
        "-w echo --node-count 2 --rate 20 --time-limit 3",
        "--bin",
        PY,
        str(NODES / "misbehave.py"),
        mode,
        marker,
    )
    assert results is not None
    assert leftovers(marker) == []
    if mode == "not-json":
        assert done.returncode == 0, done.stdout + done.stderr
        assert results["node_errors"][0]["line"] == "handling echo"
        # Logged when it happens, and first in the summary, before the figures.
        assert "ERROR" in done.stderr and "not well-formed JSON" in done.stderr
        assert done.stdout.index("Nodes broke the protocol") < done.stdout.index("operations:")
        page = (tmp_path / "store" / "latest" / "report.html").read_text()
        assert page.index('id="node-errors"') < page.index('id="run"')
        assert "handling echo" in page
    else:
        assert done.returncode == 255, done.stdout + done.stderr
        assert results["valid"] == "unknown"
        assert "crashed with exit status 7" in results["error"]
        assert "misbehaving node, mode crash" in done.stdout, "the node's stderr tail is shown"
        assert results["workload"]["valid"] is True, "the checkers' figures are kept"
        page = (tmp_path / "store" / "latest" / "report.html").read_text()
        assert "A node crashed" in page


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
    assert done.returncode == 255
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
        "--strict",
    ):
        assert flag in text, flag
    assert "(default: 60.0)" in text
    assert "(default: 1n)" in text


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--nemesis", "partition,meteor"], "unknown fault meteor"),
        (["--time-limit", "nan"], "must be a finite number, not nan"),
        (["--time-limit", "inf"], "must be a finite number, not inf"),
        (["--time-limit", "0"], "must be positive, not 0"),
        (["--time-limit", "-3"], "must be positive, not -3"),
        (["--rate", "nan"], "must be a finite number"),
        (["--latency", "-1"], "can't be negative"),
        (["--node-count", "0"], "must be positive"),
        (["--concurrency", "x"], "must be a positive count"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["-w", "lin-kv"], "invalid choice: 'lin-kv'"),
    ],
)
def test_bad_flags_are_refused_with_254(flags: list[str], message: str) -> None:
    # Jepsen's status for bad arguments: argparse's own 2 would read as "unknown".
    done = subprocess.run(
        [PY, "-m", "glomers", "test", *flags], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 254, done.stderr
    assert f"glomers test: error: argument {flags[0]}" in done.stderr or message in done.stderr
    assert message in done.stderr.splitlines()[-1]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("dist", ["uniform", "exponential"])
def test_a_random_latency_needs_a_mean_above_zero(
    dist: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from glomers.bench.cli import parse_test_args
    from glomers.bench.fuzz import fuzz

    for parse in (parse_test_args, fuzz):
        with pytest.raises(SystemExit) as exc:
            parse(["--latency-dist", dist])
        assert exc.value.code == 254
        err = capsys.readouterr().err.strip().splitlines()
        assert f"--latency-dist {dist} needs --latency above 0" in err[-1]
    assert parse_test_args(["--latency-dist", dist, "--latency", "1"]).latency == 1
    assert parse_test_args(["--latency", "0"]).latency_dist == "constant"


def test_an_unknown_command_is_refused_with_254() -> None:
    done = subprocess.run([PY, "-m", "glomers", "tset"], capture_output=True, text=True)
    assert done.returncode == 254
    assert "invalid choice: 'tset'" in done.stderr


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("silent", "Expected node n0 to respond to an init message, but node did not respond."),
        ("init-type", "Expected an init_ok message, but node n0 responded with {'type': 'hello'"),
        ("init-error", "RPC error from node n0 in reply to init: crash (code 13): no config"),
    ],
)
async def test_a_node_that_fails_init_aborts_with_255(
    tmp_path: Path, mode: str, error: str
) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    argv = [PY, str(NODES / "misbehave.py"), mode, marker]

    def make_host(node: str, net: Network, on_fault: Any) -> ProcessHost:
        return ProcessHost(node, argv, net, tmp_path / f"{node}.log", on_fault)

    opts = TestOptions(workload="echo", nodes=["n0", "n1"], concurrency=2, init_timeout=1.0)
    started = time.monotonic()
    outcome = await TestRun(opts, make_host, LoopClock()).run()
    assert time.monotonic() - started < 15
    assert outcome.exit_code == 255
    assert outcome.results["valid"] == "unknown"
    # Both nodes misbehave, and the run names the first to fail: n0 or n1, as
    # their processes happen to be scheduled.
    found = outcome.results["error"]
    assert found.startswith(error) or found.startswith(error.replace("node n0", "node n1"))
    if mode == "silent":
        assert "given 1 s" in outcome.results["error"]
    assert f"misbehaving node, mode {mode}" in outcome.results["error"]
    assert outcome.history == []
    assert leftovers(marker) == [], "teardown killed every node"


def test_a_bench_that_fails_exits_255(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: Any, plotter: Any = None) -> int:
        raise RuntimeError("a bug in the bench")

    monkeypatch.setattr(cli, "run_sim", broken)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["test", "--sim"])
    # Not Python's 1, which would read as "invalid".
    assert exit_.value.code == 255


@pytest.mark.slow
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


@pytest.mark.slow
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
             "messages.html", "report.html", "timeline.html"]  # fmt: skip
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


@pytest.mark.parametrize(
    ("mode", "f", "field"),
    [("add-delta", "add", "unknown field `delta`"), ("read-extra", "read", "unknown field `node`")],
)
def test_replies_with_extra_fields_are_malformed_as_in_maelstrom(
    tmp_path: Path, mode: str, f: str, field: str
) -> None:
    done, results = glomers_test(
        tmp_path,
        "-w g-counter --node-count 1 --rate 20 --time-limit 2 --recovery-time 0 --seed 3",
        "--bin", PY, str(NODES / "sloppy_counter.py"), mode,
    )  # fmt: skip
    # Every such reply is info: that f never succeeds, so stats (and the run) are invalid.
    assert done.returncode == 1, done.stdout + done.stderr
    assert results is not None
    assert results["stats"]["by_f"][f]["ok_count"] == 0
    assert results["stats"]["valid"] is False
    [kind] = results["exceptions"]["exceptions"]
    assert kind["class"] == "malformed-rpc-response"
    assert field in kind["example"]["error"]
    attempted = results["stats"]["by_f"][f]["count"]
    assert f"stats is invalid: no {f} operation succeeded ({attempted} attempted)" in done.stdout


@pytest.mark.slow
def test_strict_makes_findings_beyond_maelstrom_decide(tmp_path: Path) -> None:
    flags = "-w g-counter --node-count 1 --rate 20 --time-limit 2 --recovery-time 0 --seed 3"
    node = ["--bin", PY, str(NODES / "sloppy_counter.py"), "refuse"]
    done, results = glomers_test(tmp_path, flags, *node)
    assert done.returncode == 0, done.stdout + done.stderr
    assert results is not None
    assert results["strict"] is False
    assert results["beyond_maelstrom"]["definite_errors"]["valid"] is False
    assert "definite_errors: INVALID (beyond Maelstrom)" in done.stdout
    assert "--strict was off" in done.stdout
    done, results = glomers_test(tmp_path, flags, "--strict", *node)
    assert done.returncode == 1, done.stdout + done.stderr
    assert results is not None
    assert (results["valid"], results["strict"], results["maelstrom_valid"]) == (False, True, True)
    assert results["flags"]["strict"] is True
    assert "--strict was on" in done.stdout


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    done = subprocess.run([PY, "-m", "glomers", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout == f"glomers {version('glomers')}\n"


def test_skipped_browser_tests_say_how_to_enable_them(tmp_path: Path) -> None:
    # A PATH with this Python and no Chromium.
    env = {**os.environ, "PATH": str(Path(PY).parent)}
    env.pop("GLOMERS_BROWSER_TESTS", None)
    browser_tests = Path(__file__).resolve().parent / "test_browser.py"
    done = subprocess.run(
        [PY, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(browser_tests)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 5, done.stdout + done.stderr  # nothing ran: all skipped
    assert "1 skipped" in done.stdout
    assert "chromium on PATH" in done.stdout
    assert "GLOMERS_BROWSER_TESTS=required" in done.stdout
    assert "apt-get install chromium" in done.stdout


@pytest.mark.parametrize("mode", ["--sim", ""])
def test_a_store_that_is_a_file_is_refused_in_one_line(tmp_path: Path, mode: str) -> None:
    store = tmp_path / "a-file"
    store.write_text("not a folder")
    done = subprocess.run(
        [PY, "-m", "glomers", "test", "--store", str(store), "--time-limit", "1", *mode.split()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 254, done.stderr
    assert f"--store {store}: cannot write results there" in done.stderr
    assert "Traceback" not in done.stderr
    assert store.read_text() == "not a folder"


def test_a_script_without_a_shebang_is_told_what_to_add(tmp_path: Path) -> None:
    script = tmp_path / "node.py"
    script.write_text("print('hello')\n")
    script.chmod(0o755)
    done, results = glomers_test(
        tmp_path, "-w echo --node-count 1 --time-limit 1 --bin", str(script)
    )
    assert done.returncode == 255
    assert results is not None
    assert (
        "a script needs a first line naming its interpreter, such as #!/usr/bin/env python3"
        in (results["error"])
    )
    # The whole report once (the summary); the log line at the moment is one line.
    assert done.stdout.count("Exec format error") == 1
    assert [line for line in done.stderr.splitlines() if " ERROR " in line] == [
        next(line for line in done.stderr.splitlines() if "Exec format error" in line)
    ]
