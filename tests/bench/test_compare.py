"""``glomers compare``: reading Maelstrom's EDN, the figures, the statistics, the
refusals, the children's lifetimes, and (when Java and Maelstrom are present)
real differential runs.

The differential tests need Java and a Maelstrom launcher or jar named by
``MAELSTROM``; without them they are skipped, unless ``CI`` is set, when they
fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from glomers.bench import compare, compare_figures, maelstrom_results
from glomers.bench.checker import ok_latencies
from glomers.bench.compare_figures import (
    agreement,
    figures,
    fisher_exact,
    row_names,
    summarise,
    wilson,
)
from glomers.bench.history import Op

NODES = Path(__file__).resolve().parent.parent / "nodes"

# Modelled on what Maelstrom 0.2.4 writes for a broken g-counter with partitions.
RESULTS_EDN = """\
{:perf {:latency-graph {:valid? true},
        :rate-graph {:valid? true},
        :valid? true},
 :timeline {:valid? true},
 :exceptions {:valid? true},
 :stats {:valid? true,
         :count 6,
         :ok-count 5,
         :fail-count 0,
         :info-count 1,
         :by-f {:add {:valid? true,
                      :count 3,
                      :ok-count 2,
                      :fail-count 0,
                      :info-count 1},
                :read {:valid? true,
                       :count 3,
                       :ok-count 3,
                       :fail-count 0,
                       :info-count 0}}},
 :availability {:valid? true, :ok-fraction 0.8333333},
 :net {:all {:send-count 40,
             :recv-count 38,
             :msg-count 40,
             :msgs-per-op 6.6666665},
       :clients {:send-count 12, :recv-count 12, :msg-count 12},
       :servers {:send-count 28,
                 :recv-count 26,
                 :msg-count 28,
                 :msgs-per-op 4.6666665},
       :valid? true},
 :workload {:valid? false,
            :errors (#jepsen.history.Op{:index 9,
                                        :time 15006931956,
                                        :type :ok,
                                        :process 0,
                                        :f :read,
                                        :value 3,
                                        :final? true}),
            :final-reads (3 5),
            :acceptable ([5 5] [9 9])},
 :valid? false}
"""

HISTORY_EDN = "".join(
    line + "\n"
    for line in (
        "{:index 0, :time 15010068, :type :info, :process :nemesis,"
        " :f :start-partition, :value :minority-third}",
        "{:index 1, :time 20000000, :type :invoke, :process 0, :f :add, :value 2}",
        "{:index 2, :time 24208159, :type :info, :process :nemesis,"
        ' :f :start-partition, :value [:isolated {"n1" #{"n0"}, "n0" #{"n1"}}]}',
        "{:index 3, :time 23000000, :type :ok, :process 0, :f :add, :value 2}",
        "{:index 4, :time 30000000, :type :invoke, :process 1, :f :read, :value nil}",
        "{:index 5, :time 31500000, :type :ok, :process 1, :f :read, :value 2}",
        "{:index 6, :time 40000000, :type :invoke, :process 0, :f :add, :value 4}",
        "{:index 7, :time 5040000000, :type :info, :process 0,"
        ' :f :add, :value 4, :error "indeterminate: timeout"}',
        "{:index 8, :time 15000675031, :type :invoke, :process 2,"
        " :f :read, :value nil, :final? true}",
        "{:index 9, :time 15006931956, :type :ok, :process 2, :f :read, :value 3, :final? true}",
    )
)


# -- EDN ---------------------------------------------------------------------


def test_results_edn_becomes_glomers_shape() -> None:
    results = maelstrom_results.loads(RESULTS_EDN)
    assert results["valid"] is False
    assert results["stats"]["by_f"]["add"] == {
        "valid": True, "count": 3, "ok_count": 2, "fail_count": 0, "info_count": 1,
    }  # fmt: skip
    assert results["availability"]["ok_fraction"] == pytest.approx(0.8333333)
    assert results["net"]["servers"]["msgs_per_op"] == pytest.approx(4.6666665)
    workload = results["workload"]
    assert workload["final_reads"] == [3, 5]
    assert workload["acceptable"] == [[5, 5], [9, 9]]
    # A tagged record is read as its map, keywords in it as plain strings.
    assert workload["errors"] == [
        {"index": 9, "time": 15006931956, "type": "ok", "process": 0, "f": "read",
         "value": 3, "final": True},
    ]  # fmt: skip


def test_edn_scalars_and_collections() -> None:
    value = maelstrom_results.loads(
        '{:valid? :unknown, :set #{3 1 2}, :ratio 1/4, :list (:a-b "c"), :char \\x, :nil nil}'
    )
    assert value == {
        "valid": "unknown", "set": [1, 2, 3], "ratio": 0.25, "list": ["a-b", "c"],
        "char": "x", "nil": None,
    }  # fmt: skip


def test_history_edn_becomes_ops(tmp_path: Path) -> None:
    path = tmp_path / "history.edn"
    path.write_text(HISTORY_EDN)
    ops = maelstrom_results.read_history(path)
    assert [op.index for op in ops] == list(range(10))
    assert ops[0] == Op(process="nemesis", type="info", f="start-partition",
                        value="minority-third", time=15010068, index=0)  # fmt: skip
    assert ops[2].value == ["isolated", {"n0": ["n1"], "n1": ["n0"]}]
    assert ops[7].type == "info" and ops[7].error == "indeterminate: timeout"
    assert ops[8].final and ops[9].final and not ops[5].final


# -- figures -----------------------------------------------------------------


def test_latencies_pair_invocations_with_ok_completions(tmp_path: Path) -> None:
    path = tmp_path / "history.edn"
    path.write_text(HISTORY_EDN)
    lat = ok_latencies(maelstrom_results.read_history(path))
    # The info add has no latency; the nemesis is not a client.
    assert lat == {"add": [3.0], "read": [1.5, pytest.approx(6.256925)]}


def glomers_results() -> dict[str, Any]:
    """A glomers results.json of the same run as RESULTS_EDN, as glomers writes it."""
    return {
        "valid": False,
        "workload": {"valid": False, "errors": [], "final_reads": [3, 5],
                     "acceptable": [[5, 5], [9, 9]]},
        "beyond_maelstrom": {"read_lag": {"valid": True, "reads": 3}},
        "stats": {"valid": True, "count": 6, "ok_count": 5, "fail_count": 0, "info_count": 1,
                  "by_f": {"add": {"valid": True, "count": 3, "ok_count": 2, "fail_count": 0,
                                   "info_count": 1},
                           "read": {"valid": True, "count": 3, "ok_count": 3, "fail_count": 0,
                                    "info_count": 0}}},
        "availability": {"valid": True, "ok_fraction": 0.8333333333333334},
        "net": {"valid": True, "all": {"msgs_per_op": 6.666666666666667},
                "servers": {"msgs_per_op": 4.666666666666667}},
        "seed": 1,
    }  # fmt: skip


def test_figures_are_the_same_from_both_shapes(tmp_path: Path) -> None:
    path = tmp_path / "history.edn"
    path.write_text(HISTORY_EDN)
    history = maelstrom_results.read_history(path)
    theirs = figures(maelstrom_results.loads(RESULTS_EDN), history, 1)
    ours = figures(glomers_results(), history, 1)
    assert theirs["verdict"] == ours["verdict"] == "invalid"
    assert theirs["exit code"] == 1
    assert theirs["valid: workload"] is False and theirs["valid: stats"] is True
    assert theirs["valid: perf"] is True and "valid: perf" not in ours
    assert ours["beyond: read_lag"] is True and "beyond: read_lag" not in theirs
    for name in ("ops add ok", "ops add info", "ops read ok", "final reads",
                 "latency add median ms", "latency read p99 ms"):  # fmt: skip
        assert theirs[name] == ours[name], name
    assert (theirs["ops add ok"], theirs["ops add info"], theirs["ops add fail"]) == (2, 1, 0)
    assert theirs["availability ok_fraction"] == pytest.approx(ours["availability ok_fraction"])
    assert theirs["net msgs_per_op servers"] == pytest.approx(4.6666665)
    assert theirs["final reads"] == [3, 5]
    # Maelstrom's quantile (index min(n - 1, floor(n q))): the median of two values is the higher.
    assert theirs["latency read median ms"] == 6.257
    assert theirs["latency read p99 ms"] == 6.257
    # Maelstrom's rows first in each group, glomers' own checks after.
    names = row_names([ours, theirs])
    assert names[:3] == ["verdict", "exit code", "valid: workload"]
    assert names.index("beyond: read_lag") > names.index("valid: exceptions")
    assert names.index("final reads") < names.index("latency add median ms")


def test_a_run_without_results_is_a_crash() -> None:
    assert figures(None, [], 255) == {"verdict": "crashed (255)", "exit code": 255}
    aborted = {**glomers_results(), "valid": "unknown", "error": "node n0 crashed"}
    assert figures(aborted, [], 254)["verdict"] == "crashed (254)"
    assert figures({**glomers_results(), "valid": "unknown"}, [], 2)["verdict"] == "unknown"


def test_summaries_over_seeds() -> None:
    verdicts = ["valid", "invalid", "valid", "valid"]
    assert summarise(verdicts, "verdict") == "valid 3/4, invalid 1/4"
    assert summarise([0, 1, 0, 0], "exit code") == "0 3/4, 1 1/4"
    assert summarise([True, True, None], "valid: perf") == "true 2/3, — 1/3"
    assert summarise([4.0, 1.0, 3.0, 2.0], "latency add median ms") == 3.0
    assert summarise([[5, 5], [4, 5], [7, 7]], "final reads") == "converged 2/3"
    assert compare_figures.ratio(3.0, 2.0) == 1.5
    assert compare_figures.ratio(3.0, 0) is None
    assert compare_figures.ratio("valid 1/1", "valid 1/1") is None


# -- statistics ----------------------------------------------------------------


def test_a_ratio_of_medians_gets_an_interval_from_the_seeds_spread() -> None:
    spread = [float(x) for x in range(80, 200, 4)]  # 30 seeds, widely spread
    alike = compare_figures.ratio_interval(spread, list(reversed(spread)))
    assert alike is not None and alike[0] < 1 < alike[1]
    assert alike == compare_figures.ratio_interval(spread, list(reversed(spread)))  # replays
    doubled = compare_figures.ratio_interval([2 * x for x in spread], spread)
    assert doubled is not None and 1.5 < doubled[0] <= 2 <= doubled[1] < 2.7
    # Too few seeds, or a Maelstrom median of 0 most of the time: no interval.
    assert compare_figures.ratio_interval(spread[:4], spread[:4]) is None
    assert compare_figures.ratio_interval(spread, [0.0] * 8 + [5.0]) is None
    assert compare_figures.ratio_interval(["valid"] * 9, ["valid"] * 9) is None


def test_the_summary_shows_each_ratio_with_its_interval() -> None:
    def run(bench: str, median: float) -> compare.Run:
        ran = compare.Run(bench, [], Path("."), Path("run.log"))
        ran.figures = {"verdict": "valid", "latency add median ms": median}
        return ran

    pairs = [(run("glomers", 100.0 + i), run("maelstrom", 200.0 - i)) for i in range(6)]
    rows = {row["row"]: row for row in compare.summary_rows(pairs)}
    latency = rows["latency add median ms"]
    assert latency["ratio"] == pytest.approx(103 / 198)  # the upper middle of six
    low, high = latency["ratio_ci95"]
    assert low <= latency["ratio"] <= high < 1
    assert rows["verdict"]["ratio_ci95"] is None
    console = Console(record=True, width=200)
    compare.print_report(console, list(rows.values()), {"agree": True, "how": "same"}, 6)
    text = console.export_text()
    assert "ratio, 95% over seeds" in text and f"{low:.2f} to {high:.2f}" in text


def test_wilson_interval_known_values() -> None:
    assert wilson(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson(5, 10) == pytest.approx((0.23659, 0.76341), abs=1e-5)
    assert wilson(10, 10) == pytest.approx((0.72247, 1.0), abs=1e-5)
    assert wilson(3, 20) == pytest.approx((0.05236, 0.36041), abs=1e-5)


def test_fisher_exact_known_values() -> None:
    assert fisher_exact(8, 2, 1, 5) == pytest.approx(0.0349650, abs=1e-7)
    assert fisher_exact(6, 2, 1, 4) == pytest.approx(0.1025641, abs=1e-7)
    assert fisher_exact(1, 9, 11, 3) == pytest.approx(0.0027595, abs=1e-7)
    assert fisher_exact(3, 7, 3, 7) == pytest.approx(1.0)
    assert fisher_exact(0, 10, 10, 0) == pytest.approx(2 / 184756)


def test_agreement() -> None:
    same = agreement(["valid", "crashed (254)"], ["valid", "crashed (255)"])
    assert same["agree"] is True and "p_value" not in same
    opposite = agreement(["valid"] * 3, ["invalid"] * 3)
    assert opposite["agree"] is False and "every seed" in opposite["how"]
    # A bug that shows on some seeds: rates compared, not seed by seed.
    close = agreement(
        ["invalid", "valid", "valid", "valid"], ["valid", "invalid", "valid", "valid"]
    )
    assert close["agree"] is True and close["p_value"] == pytest.approx(1.0)
    assert "indistinguishable" in close["how"]
    assert close["glomers"]["failures"] == 1 and close["glomers"]["ci95"] == wilson(1, 4)
    apart = agreement(["valid"] * 9 + ["invalid"], ["invalid"] * 9 + ["valid"])
    assert apart["agree"] is False and apart["p_value"] == pytest.approx(fisher_exact(1, 9, 9, 1))


# -- arguments -----------------------------------------------------------------


@pytest.fixture
def fake_maelstrom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in launcher, named by MAELSTROM; its body is set by each test."""
    path = tmp_path / "fake-maelstrom"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    monkeypatch.setenv("MAELSTROM", str(path))
    return path


@pytest.mark.parametrize(
    ("flags", "why"),
    [
        ("--sim", "--sim"),
        ("--loss-rate 0.5", "--loss-rate"),
        ("--recovery-time 3", "--recovery-time"),
        ("--nemesis kill", "no kill or pause"),
        ("--nemesis partition,pause", "no kill or pause"),
        ("--nemesis loss", "no such fault"),
        ("--time-limit 2.5", "whole seconds"),
        ("--latency 0.5", "whole milliseconds"),
        ("--store here", "--keep"),
        ("--bin ./no-such-node", "no such file"),
        ("--maelstrom /no/such/maelstrom", "no such file"),
    ],
)
def test_refusals(
    fake_maelstrom: Path, capsys: pytest.CaptureFixture[str], flags: str, why: str
) -> None:
    assert compare.compare(["-w", "echo", *flags.split()]) == 254
    err = capsys.readouterr().err
    assert why in err and len(err.strip().splitlines()) == 1


def test_no_maelstrom_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MAELSTROM", raising=False)
    assert compare.compare(["-w", "echo"]) == 254
    assert "--maelstrom PATH or MAELSTROM" in capsys.readouterr().err
    assert compare.compare(["--no-such-flag"]) == 254


def test_both_benches_get_the_same_program_and_flags(fake_maelstrom: Path, tmp_path: Path) -> None:
    args = compare.parse_args(
        ["-w", "pn-counter", "--node-count", "3", "--time-limit", "5", "--rate", "50",
         "--nemesis", "partition", "--nemesis-interval", "2.5", "--availability", "0.9"]
    )  # fmt: skip
    node = compare.write_wrapper(tmp_path, args)
    assert Path(node).read_text() == (
        f'#!/bin/sh\nexec {sys.executable} -m glomers.counter --pn "$@"\n'
    )
    assert os.access(node, os.X_OK)
    ours = compare.glomers_argv(args, node, 7, tmp_path / "store")
    theirs = compare.maelstrom_argv(args, node)
    shared = ["-w", "pn-counter", "--topology", "grid", "--bin", node, "--node-count", "3",
              "--time-limit", "5", "--rate", "50", "--concurrency", "1n", "--latency", "0",
              "--latency-dist", "constant", "--nemesis-interval", "2.5",
              "--nemesis", "partition", "--availability", "0.9"]  # fmt: skip
    store = str(tmp_path / "store")
    assert ours == [sys.executable, "-m", "glomers.bench.cli", "test", *shared,
                    "--seed", "7", "--store", store, "--no-pages", "--"]  # fmt: skip
    assert theirs == [str(fake_maelstrom), "test", *shared]
    assert compare.maelstrom_launcher("/x/maelstrom.jar") == ["java", "-jar", "/x/maelstrom.jar"]
    precise = compare.parse_args(["--rate", "0.123456789", "--availability", "total"])
    flags = compare.maelstrom_argv(precise, node)
    assert flags[flags.index("--rate") + 1] == "0.123456789"
    assert flags[flags.index("--availability") + 1] == "total"


def test_bin_is_made_absolute_and_given_as_is(
    fake_maelstrom: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "node.py").write_text("")
    monkeypatch.chdir(tmp_path)
    args = compare.parse_args(["--bin", "node.py", "-w", "echo", "--", "--verbose"])
    assert compare.write_wrapper(tmp_path / "work", args) == str(tmp_path / "node.py")
    assert compare.maelstrom_argv(args, args.bin)[-2:] == ["--", "--verbose"]


# -- runs with a stand-in Maelstrom --------------------------------------------


def test_a_maelstrom_crash_is_a_verdict_and_compare_goes_on(
    fake_maelstrom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_maelstrom.write_text("#!/bin/sh\necho 'init failed: node said nothing'\nexit 255\n")
    # A kept directory holding an earlier compare's run, which must not be taken for this one.
    old = tmp_path / "work" / "maelstrom-0" / "store" / "g-counter" / "earlier"
    old.mkdir(parents=True)
    (old / "results.edn").write_text(RESULTS_EDN)
    (old / "history.edn").write_text(HISTORY_EDN)
    (old.parent.parent / "latest").symlink_to(old)
    out = tmp_path / "out.json"
    code = compare.compare(
        ["-w", "echo", "--node-count", "1", "--time-limit", "1", "--seed", "3",
         "--keep", str(tmp_path / "work"), "--json", str(out)]
    )  # fmt: skip
    assert code == 1  # valid against crashed
    report = json.loads(out.read_text())
    run = report["runs"][0]
    assert run["seed"] == 3 and report["flags"]["seed"] == 3
    assert run["glomers"]["figures"]["verdict"] == "valid"
    assert run["maelstrom"]["figures"] == {"verdict": "crashed (255)", "exit code": 255}
    assert "init failed" in run["maelstrom"]["log_tail"]
    assert report["summary"]["agreement"]["agree"] is False
    printed = capsys.readouterr()
    assert "crashed (255)" in printed.out and "DISAGREE" in printed.out
    assert "init failed" in printed.err


def test_unreadable_results_are_reported_not_fatal(
    fake_maelstrom: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_maelstrom.write_text(
        "#!/bin/sh\nmkdir -p store/echo/run && ln -s echo/run store/latest\n"
        "echo '{:valid? true' > store/echo/run/results.edn\nexit 0\n"
    )
    code = compare.compare(["-w", "echo", "--node-count", "1", "--time-limit", "1"])
    assert code == 1
    printed = capsys.readouterr()
    assert "unreadable" in printed.out and "unreadable results" in printed.err


@pytest.mark.slow
def test_resume_reads_finished_runs_instead_of_running_them(
    fake_maelstrom: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "results.edn").write_text(RESULTS_EDN)
    (tmp_path / "history.edn").write_text(HISTORY_EDN)
    fake_maelstrom.write_text(
        f"#!/bin/sh\nmkdir -p store/g-counter/run && ln -s g-counter/run store/latest\n"
        f"cp {tmp_path}/results.edn {tmp_path}/history.edn store/g-counter/run/\nexit 1\n"
    )
    work, first, second = tmp_path / "work", tmp_path / "first.json", tmp_path / "second.json"
    flags = ["-w", "g-counter", "--node-count", "1", "--time-limit", "1", "--rate", "20",
             "--seed", "5", "--keep", str(work)]  # fmt: skip
    assert compare.compare(["--json", str(first), *flags]) == 1  # valid against invalid
    # Neither bench may run again: a Maelstrom that would crash, a glomers that cannot start.
    fake_maelstrom.write_text("#!/bin/sh\nexit 255\n")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    assert compare.compare(["--json", str(second), "--resume", *flags]) == 1
    before, after = json.loads(first.read_text()), json.loads(second.read_text())
    for bench in ("glomers", "maelstrom"):
        assert after["runs"][0][bench]["figures"] == before["runs"][0][bench]["figures"]
        assert "read from an earlier run" in after["runs"][0][bench]["note"]
    assert after["runs"][0]["maelstrom"]["figures"]["verdict"] == "invalid"


def test_resume_needs_keep(fake_maelstrom: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compare.compare(["-w", "echo", "--resume"]) == 254
    assert "--resume needs --keep" in capsys.readouterr().err


def test_a_maelstrom_that_refuses_its_arguments_is_no_bench(
    fake_maelstrom: Path, tmp_path: Path
) -> None:
    fake_maelstrom.write_text("#!/bin/sh\necho 'unknown option'\nexit 254\n")
    code = compare.compare(["-w", "echo", "--node-count", "1", "--time-limit", "1", "--jobs", "2"])
    assert code == 255


def test_no_child_outlives_compare(
    fake_maelstrom: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Maelstrom that hangs (here: ignores SIGINT, with a child of its own) is
    killed, group and all, when its run times out."""
    pids = tmp_path / "pids"
    fake_maelstrom.write_text(f"#!/bin/sh\ntrap '' INT\nsleep 300 &\necho $$ $! > {pids}\nwait\n")
    monkeypatch.setattr(compare, "_run_timeout", lambda args: 2.0)
    monkeypatch.setattr(compare, "_GRACE", 0.5)
    started = time.monotonic()
    code = compare.compare(["-w", "echo", "--node-count", "1", "--time-limit", "1"])
    assert code == 1 and time.monotonic() - started < 60
    # A killed process takes a moment to be gone: allow it a few seconds, no more.
    deadline = time.monotonic() + 5
    for pid in map(int, pids.read_text().split()):
        while _alive(pid):
            assert time.monotonic() < deadline, f"{pid} outlived glomers compare"
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that does not reap (PID 1 in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# -- real Maelstrom --------------------------------------------------------------

MAELSTROM = os.environ.get("MAELSTROM", "")
_have = shutil.which("java") is not None and os.path.isfile(MAELSTROM)
# Skipped when missing, except in CI, where differential() fails instead.
requires_maelstrom = pytest.mark.skipif(
    not _have and not os.environ.get("CI"),
    reason="needs Java and MAELSTROM naming Maelstrom's launcher or jar",
)


def differential(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: str) -> dict[str, Any]:
    if not _have:
        pytest.fail("CI needs Java and MAELSTROM naming Maelstrom's launcher or jar")
    out = tmp_path / "out.json"
    code = compare.compare([*flags.split(), "--maelstrom", MAELSTROM, "--json", str(out)])
    printed = capsys.readouterr().out
    report: dict[str, Any] = json.loads(out.read_text())
    report["exit"] = code
    report["printed"] = printed
    return report


def _verdicts(report: dict[str, Any]) -> tuple[str, str]:
    run = report["runs"][0]
    return run["glomers"]["figures"]["verdict"], run["maelstrom"]["figures"]["verdict"]


@requires_maelstrom
@pytest.mark.timeout(300)
def test_real_echo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = differential(tmp_path, capsys, "-w echo --node-count 1 --time-limit 3 --seed 1")
    assert _verdicts(report) == ("valid", "valid") and report["exit"] == 0
    for row in ("verdict", "valid: workload", "ops echo ok", "latency echo median ms"):
        assert row in report["printed"]
    assert "verdicts AGREE" in report["printed"]


@requires_maelstrom
@pytest.mark.timeout(300)
def test_real_g_counter_with_partitions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = differential(
        tmp_path, capsys,
        "-w g-counter --node-count 3 --rate 50 --time-limit 5 --nemesis partition --seed 2",
    )  # fmt: skip
    assert _verdicts(report) == ("valid", "valid") and report["exit"] == 0
    for row in ("ops add ok", "ops read info", "final reads", "net msgs_per_op servers"):
        assert row in report["printed"]


@requires_maelstrom
@pytest.mark.timeout(300)
def test_real_lost_update_counter_is_invalid_under_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "lost_update.sh"
    node.write_text(
        textwrap.dedent(f"""\
            #!/bin/sh
            exec {sys.executable} {NODES / "lost_update_counter.py"} "$@"
        """)
    )
    node.chmod(0o755)
    report = differential(
        tmp_path, capsys,
        f"-w g-counter --bin {node} --node-count 3 --rate 50 --time-limit 5 --seed 3 --jobs 2",
    )  # fmt: skip
    assert _verdicts(report) == ("invalid", "invalid") and report["exit"] == 0
    assert report["runs"][0]["maelstrom"]["figures"]["valid: workload"] is False
    assert "valid: workload" in report["printed"]
