"""``glomers challenge``: the declarations, target evaluation on hand-written
results, and the command end to end in simulation mode."""

from __future__ import annotations

import dataclasses
import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from glomers.bench import challenge as command
from glomers.bench import challenges, cli, maelstrom_results
from glomers.bench.challenges import TOTAL_AVAILABILITY, VALID, Challenge, Run, Target, evaluate
from glomers.bench.workloads import registry

NODES = Path(__file__).resolve().parent.parent / "nodes"

# The challenges' table, written out again: workload, then each test's flags
# after --bin and its targets as (figure, bound).
V, A = ("valid", None), ("availability", None)
_3D = "--node-count 25 --time-limit 20 --rate 100 --latency 100"
_5B = "--node-count 2 --concurrency 2n --time-limit 20 --rate 1000"
TABLE: dict[str, tuple[str, list[tuple[str, list[tuple[str, float | None]]]]]] = {
    "1": ("echo", [("--node-count 1 --time-limit 10", [V])]),
    "2": ("unique-ids", [("--time-limit 30 --rate 1000 --node-count 3 --availability total "
                          "--nemesis partition", [V, A])]),
    "3a": ("broadcast", [("--node-count 1 --time-limit 20 --rate 10", [V])]),
    "3b": ("broadcast", [("--node-count 5 --time-limit 20 --rate 10", [V])]),
    "3c": ("broadcast", [("--node-count 5 --time-limit 20 --rate 10 --nemesis partition", [V])]),
    "3d": ("broadcast", [(_3D, [V, ("msgs_per_op", 30), ("stable_latency_median", 400),
                                ("stable_latency_max", 600)]),
                         (_3D + " --nemesis partition", [V])]),
    "3e": ("broadcast", [(_3D, [V, ("msgs_per_op", 20), ("stable_latency_median", 1000),
                                ("stable_latency_max", 2000)])]),
    "4": ("g-counter", [("--node-count 3 --rate 100 --time-limit 20 --nemesis partition", [V])]),
    "5a": ("kafka", [("--node-count 1 --concurrency 2n --time-limit 20 --rate 1000", [V])]),
    "5b": ("kafka", [(_5B, [V])]),
    "5c": ("kafka", [(_5B, [V])]),
    "6a": ("txn-rw-register", [("--node-count 1 --time-limit 20 --rate 1000 --concurrency 2n "
                                "--consistency-models read-uncommitted --availability total",
                                [V, A])]),
    "6b": ("txn-rw-register", [(_5B + " --consistency-models read-uncommitted", [V]),
                               (_5B + " --consistency-models read-uncommitted --availability "
                                "total --nemesis partition", [V, A])]),
    "6c": ("txn-rw-register", [(_5B + " --consistency-models read-committed --availability "
                                "total --nemesis partition", [V, A])]),
}  # fmt: skip
#: Challenges whose flags (or part of them) their page does not state.
UNCONFIRMED = {"1", "3a", "4", "5a", "6a", "6c"}


def test_the_declarations_match_the_table() -> None:
    declared = challenges.by_name()
    assert list(declared) == list(TABLE)
    for name, (workload, runs) in TABLE.items():
        c = declared[name]
        assert c.workload == workload, name
        got = [(r.flags, [(t.figure, t.below) for t in r.targets]) for r in c.runs]
        assert got == runs, name
        assert bool(c.unconfirmed) == (name in UNCONFIRMED), name
        assert c.title and c.source, name


def test_the_flags_of_every_available_challenge_parse_as_glomers_test_flags() -> None:
    for c in challenges.CHALLENGES:
        if c.workload not in registry.names():
            continue
        for run in c.runs:
            args = cli.parse_test_args(["-w", c.workload, *run.flags.split()])
            assert args.workload == c.workload


# -- targets on hand-written results --------------------------------------------------------


def results(**parts: Any) -> dict[str, Any]:
    return {"valid": True, **parts}


@pytest.mark.parametrize(
    ("target", "given", "verdict", "shown"),
    [
        (VALID, {"valid": True}, "pass", "valid"),
        (VALID, {"valid": False}, "fail", "invalid"),
        (VALID, {"valid": "unknown"}, "unknown", "unknown"),
        (VALID, {}, "unknown", "unknown"),
        (TOTAL_AVAILABILITY, results(availability={"ok_fraction": 1.0}), "pass", "100.0%"),
        (TOTAL_AVAILABILITY, results(availability={"ok_fraction": 0.999}), "fail", "99.9%"),
        (TOTAL_AVAILABILITY, results(availability={"valid": True}), "unknown", "missing"),
        (Target("msgs_per_op", 30), results(net={"servers": {"msgs_per_op": 29.5}}), "pass",
         "29.50"),
        (Target("msgs_per_op", 30), results(net={"servers": {"msgs_per_op": 30}}), "fail",
         "30.00"),
        # Messages per operation in all are not between servers.
        (Target("msgs_per_op", 30), results(net={"all": {"msgs_per_op": 3}}), "unknown",
         "missing"),
        (Target("msgs_per_op", 30), results(net={"servers": {"msgs_per_op": True}}), "unknown",
         "missing"),
        (Target("msgs_per_op", 30), results(net={"servers": {"msgs_per_op": float("nan")}}),
         "unknown", "missing"),
    ],
)  # fmt: skip
def test_a_target_is_met_missed_or_unknown(
    target: Target, given: dict[str, Any], verdict: str, shown: str
) -> None:
    check = evaluate(target, given)
    assert check.verdict == verdict
    assert check.shown == shown


def test_a_run_without_results_meets_no_target() -> None:
    for target in (VALID, TOTAL_AVAILABILITY, Target("stable_latency_max", 600)):
        assert evaluate(target, None).verdict == "unknown"


#: The set-full checker's stable latencies (ms), as Maelstrom's quantiles 0, 0.5, 0.95, 0.99, 1.
QUANTILES = {"0": 0, "0.5": 350, "0.95": 480, "0.99": 590, "1": 610}


@pytest.mark.parametrize(
    "workload",
    [
        {"valid": True, "stable_latencies": QUANTILES},
        {"valid": True, "stable-latencies": QUANTILES},
        {"valid": True, "stable_latencies": {float(k): v for k, v in QUANTILES.items()}},
        {"valid": True, "stable_latencies": {"0.0": 0, "0.50": 350, "1.0": 610}},
        {"valid": True, "stable_latencies": [[float(k), v] for k, v in QUANTILES.items()]},
    ],
)
def test_stable_latencies_are_read_however_the_checker_spells_them(
    workload: dict[str, Any],
) -> None:
    run = results(workload=workload)
    median = evaluate(Target("stable_latency_median", 400), run)
    top = evaluate(Target("stable_latency_max", 600), run)
    assert (median.value, median.verdict, median.shown) == (350, "pass", "350 ms")
    assert (top.value, top.verdict, top.shown) == (610, "fail", "610 ms")
    assert evaluate(Target("stable_latency_max", 2000), run).verdict == "pass"


@pytest.mark.parametrize(
    "workload",
    [
        None,
        {"valid": "unknown"},  # no element was stable: the checker reports no latencies
        {"valid": True, "stable_latencies": {"0": 0, "0.95": 10}},
        {"valid": True, "stable_latencies": {"0.5": "fast", "1": None}},
        {"valid": True, "stable_latencies": 12},
    ],
)
def test_missing_stable_latencies_are_unknown_not_met(workload: Any) -> None:
    run = results(workload=workload)
    for figure in ("stable_latency_median", "stable_latency_max"):
        check = evaluate(Target(figure, 10_000), run)
        assert (check.verdict, check.shown) == ("unknown", "missing")


#: The workload and net parts of a Maelstrom results.edn of a broadcast run, as Maelstrom
#: writes them (figures changed by hand).
MAELSTROM_RESULTS = """{:net {:servers {:send-count 2400, :recv-count 2400, :msg-count 2400,
                  :msgs-per-op 24.5},
       :valid? true},
 :workload {:valid? true, :stable-count 96, :lost-count 0,
            :stable-latencies {0 0, 0.5 310, 0.95 420, 0.99 455, 1 640}},
 :valid? true}"""


def test_maelstrom_results_meet_the_targets_the_same_way() -> None:
    run = maelstrom_results.loads(MAELSTROM_RESULTS)
    checks = [evaluate(t, run) for t in challenges.by_name()["3d"].runs[0].targets]
    assert [(c.value, c.verdict) for c in checks] == [
        (True, "pass"), (24.5, "pass"), (310, "pass"), (640, "fail")
    ]  # fmt: skip


def done(seed: int, *verdicts: dict[str, Any] | None) -> list[command.RunResult]:
    """Hand-made runs of a two-target challenge on ``seed``, one per results."""
    run = Run("--node-count 1", (VALID, TOTAL_AVAILABILITY))
    args = cli.parse_test_args(["-w", "echo", "--seed", str(seed)])
    out = []
    for given in verdicts:
        one = command.RunResult(seed, run, args, given)
        one.checks = [evaluate(t, given) for t in run.targets]
        out.append(one)
    return out


def test_the_exit_status_is_the_worst_target_over_every_seed() -> None:
    c = challenges.by_name()["1"]
    good = results(availability={"ok_fraction": 1.0})
    short = results(availability={"ok_fraction": 0.5})
    line, code = command.verdict(c, done(1, good) + done(2, good), [1, 2])
    assert code == 0 and "passed" in line
    line, code = command.verdict(c, done(1, good) + done(2, short), [1, 2])
    assert code == 1 and "1 of 2 seeds (seed 2)" in line
    line, code = command.verdict(c, done(1, None) + done(2, good), [1, 2])
    assert code == 255 and "could not be judged" in line
    line, code = command.verdict(c, done(1, None) + done(2, short), [1, 2])
    assert code == 1


# -- the command ---------------------------------------------------------------------------


def run_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    code = command.challenge([*argv, "--store", str(tmp_path / "store"), "--no-pages"])
    out, err = capsys.readouterr()
    return code, out, err


def stored(tmp_path: Path) -> list[dict[str, Any]]:
    """The results of every run in the store, oldest first."""
    folders = sorted(p for p in (tmp_path / "store").glob("*/2*") if p.is_dir())
    return [json.loads((f / "results.json").read_text()) for f in folders]


@pytest.mark.parametrize(("name", "workload"), [("1", "echo"), ("4", "g-counter")])
def test_the_projects_nodes_pass_their_challenge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, workload: str
) -> None:
    code, out, _ = run_command(tmp_path, capsys, name, "--sim", "--seed", "3", "--seeds", "2")
    assert code == 0, out
    runs = stored(tmp_path)
    assert [r["seed"] for r in runs] == [3, 4]
    for r in runs:
        assert r["valid"] is True
        assert r["flags"]["workload"] == workload
    flags = challenges.by_name()[name].runs[0].flags
    assert f"glomers test -w {workload} --sim" in out
    assert all(word in out for word in flags.split())
    assert "    seed 3: valid  pass\n    seed 4: valid  pass" in out
    assert out.rstrip().endswith(f"Challenge {name} passed: every target met on 2 seeds.")


def test_the_challenge_sets_the_run_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_command(tmp_path, capsys, "4", "--sim", "--seed", "5")
    assert code == 0, out
    (r,) = stored(tmp_path)
    assert r["flags"]["node_count"] == 3
    assert r["flags"]["rate"] == 100
    assert r["flags"]["time_limit"] == 20
    assert r["flags"]["nemesis"] == ["partition"]
    assert r["flags"]["sim"] is True


def test_a_broken_counter_fails_with_the_command_that_replays_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = str(NODES / "lost_update_counter.py")
    code, out, _ = run_command(tmp_path, capsys, "4", "--sim", "--bin", node, "--seed", "3")
    assert code == 1, out
    assert "    seed 3: invalid  FAIL" in out
    assert "seed 3: verdict invalid (target valid): FAIL -- workload invalid; missing" in out
    assert "Challenge 4 FAILED: a target was missed on 1 of 1 seed (seed 3)." in out
    replay = next(line for line in out.splitlines() if line.startswith("  replay: "))
    words = shlex.split(replay.removeprefix("  replay: "))
    assert words[:2] == ["glomers", "test"]
    # The replay is the very run: the same flags, the same seed, the same node.
    again = cli.parse_test_args(words[2:])
    (r,) = stored(tmp_path)
    assert again.bin == node and again.seed == 3 and again.sim is True
    for key in ("workload", "node_count", "rate", "time_limit", "nemesis", "seed"):
        assert getattr(again, key) == r["flags"][key], key


def test_fresh_seeds_are_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_command(tmp_path, capsys, "1", "--sim", "--seeds", "2")
    assert code == 0, out
    seeds = [r["seed"] for r in stored(tmp_path)]
    assert len(set(seeds)) == 2
    assert out.startswith(f"challenge 1 (Echo): seeds {seeds[0]}, {seeds[1]}\n")


def test_a_run_that_cannot_be_judged_exits_255(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> int:
        raise RuntimeError("the bench broke")

    monkeypatch.setattr(cli, "run_sim", broken)
    code, out, _ = run_command(tmp_path, capsys, "1", "--sim", "--seed", "1")
    assert code == 255
    assert "    seed 1: unknown  unknown" in out
    assert "the run produced no results" in out
    assert "replay: glomers test -w echo --sim" in out


def test_list_shows_every_challenge_its_command_and_targets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert command.challenge(["--list"]) == 0
    out = capsys.readouterr().out
    for c in challenges.CHALLENGES:
        block = out.split(f"\n{c.name:<4}{c.title}\n", 1)[1].split("\n    source:", 1)[0]
        for run in c.runs:
            assert f"glomers test -w {c.workload} {run.flags}" in block
        assert ("not available yet" in block) == (c.workload not in registry.names())
    assert "checks: verdict valid; messages between servers per operation < 30; stable " \
        "latency, median < 400 ms; stable latency, maximum < 600 ms" in out  # fmt: skip
    assert out.count("unconfirmed:") == len(UNCONFIRMED)


def test_the_glomers_command_runs_challenge(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["challenge", "--list"])
    assert exit_.value.code == 0
    assert "Grow-Only Counter" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "name a challenge"),
        (["7"], "no challenge '7'; choose one of 1, 2, 3a"),
        (["1", "--seeds", "0"], "--seeds must be at least 1"),
        (["4", "--node-count", "5"], "unrecognized arguments: --node-count 5"),
        (["4", "--seeds", "many"], "invalid int value"),
    ],
)
def test_usage_errors_exit_254(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        command.challenge(argv)
    assert exit_.value.code == 254
    assert message in capsys.readouterr().err


def test_a_challenge_whose_workload_is_missing_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    future = Challenge("9", "Future", "no-such-workload", (Run("--node-count 1"),), "nowhere")
    monkeypatch.setattr(challenges, "CHALLENGES", (*challenges.CHALLENGES, future))
    code, _, err = run_command(tmp_path, capsys, "9")
    assert code == 254
    assert "challenge 9 (Future): workload not available yet" in err
    assert not (tmp_path / "store").exists()
    command.challenge(["--list"])
    assert "9   Future\n    not available yet" in capsys.readouterr().out


def test_node_arguments_in_simulation_are_refused_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = command.challenge(["1", "--sim", "--store", str(tmp_path / "s"), "--", "--verbose"])
    assert code == 254
    assert "--sim takes no arguments for the node (--verbose)" in capsys.readouterr().err
    assert not list((tmp_path / "s").glob("echo/2*"))


def test_a_challenge_without_a_node_of_its_own_needs_bin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    echo = registry.entry("echo")
    monkeypatch.setitem(registry._entries, "echo", dataclasses.replace(echo, node=None))
    code, _, err = run_command(tmp_path, capsys, "1", "--sim")
    assert code == 254
    assert "the echo workload has no node of its own; give --bin" in err
