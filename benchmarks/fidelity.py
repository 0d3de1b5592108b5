"""Fidelity: glomers' verdicts and figures against a real Maelstrom's, row by row.

Each row is one node program and one set of flags, run with ``glomers compare``
over several seeds; the table in docs/fidelity.md is this script's output::

    MAELSTROM=../shared/maelstrom/maelstrom python benchmarks/fidelity.py --seeds 10 --jobs 2

Runs are kept under ``--workdir`` (one folder per row), so an interrupted
measurement continues with ``--resume``, and ``--table-only`` rebuilds the table
from the JSON the comparisons wrote. Every row's node runs as the same
executable under both benches: a two-line shell wrapper written into the
working folder.

``--stable ROW`` reads a set workload's kept runs again and compares their
stable latencies with 95% intervals from resampling runs (docs/fidelity.md,
"broadcast without partitions").

``--schedules ROWS`` sets glomers' partition schedule over 200 simulated seeds
against Maelstrom's in the kept runs of those rows.

``--by-round ROW`` does the same given how long each element waited for the
gossip round that carried it, each node's rounds being placed from the reads.

``--by-partition ROW`` reads a set workload's kept runs again and splits its
stable latencies by whether each element became known during a partition: a
run's median mostly says how long that run happened to be partitioned, which
the benches draw at random; the split compares how each bench behaves given
its schedule (docs/fidelity.md, "g-set under partition").
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shlex
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glomers.bench import store
from glomers.bench.checker import quantile, value_summary
from glomers.bench.history import Op, fault_periods
from glomers.bench.maelstrom_results import read_history as read_maelstrom_history
from glomers.bench.testing import simulate_workload
from glomers.bench.workloads import values
from glomers.bench.workloads.setfull import element_outcomes
from glomers.examples import g_set
from glomers.examples.gossip import PERIOD

ROOT = Path(__file__).resolve().parent.parent
STANDARD = "-w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition"
ONE_NODE = "-w g-counter --node-count 1 --rate 10 --time-limit 5"
TWO_ECHO = "-w echo --node-count 2 --rate 20 --time-limit 5"
IDS = (
    "-w unique-ids --time-limit 30 --rate 1000 --node-count 3 --availability total"
    " --nemesis partition"
)
BROADCAST = "-w broadcast --node-count 5 --time-limit 20 --rate 10"
BROADCAST_BIG = "-w broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100"


#: Seconds between two rounds of the example gossip: its period, and the loop's
#: turn before each sleep starts again (1 ms, read from glomers' journals).
ROUND = PERIOD + 0.001


@dataclass(frozen=True)
class Row:
    """One line of the table: what runs, with which flags, and what it should give."""

    name: str
    node: str  # python arguments: "-m module" or a file under the repository
    flags: str
    expect: str | None  # "valid", "invalid", "crashed", or None: a bug some seeds show
    about: str


ROWS = (
    Row("echo", "-m glomers.examples.echo", "-w echo --node-count 1 --time-limit 10", "valid",
        "the project's echo node, challenge 1's flags"),
    Row("g-counter", "-m glomers.counter", STANDARD, "valid",
        "the project's counter, challenge 4's flags"),
    Row("textbook", "-m glomers.examples.naive_counter", STANDARD, None,
        "the textbook counter (stale seq-kv reads at the end)"),
    Row("lost-update", "tests/nodes/lost_update_counter.py", STANDARD, "invalid",
        "broken: concurrent adds overwrite each other"),
    Row("stale-read", "tests/nodes/stale_read_counter.py", STANDARD, "invalid",
        "broken: reads only the adds it handled itself"),
    Row("double-count", "tests/nodes/double_count_counter.py", f"{STANDARD} --latency 10",
        "invalid", "broken: retries an add without checking the first attempt"),
    Row("pn-counter", "-m glomers.counter --pn", STANDARD.replace("g-counter", "pn-counter"),
        "valid", "the project's counter, pn-counter workload"),
    Row("exp-latency", "-m glomers.counter",
        f"{STANDARD} --latency 100 --latency-dist exponential", "valid",
        "the project's counter, exponential latency of mean 100 ms"),
    # Nodes that break a rule Maelstrom enforces: each fix of the bench agrees.
    Row("reply-extra-field", "tests/nodes/sloppy_counter.py add-delta", ONE_NODE, "invalid",
        "add_ok carries a field its schema lacks: every add is info, stats fails"),
    Row("read-extra-field", "tests/nodes/sloppy_counter.py read-extra", ONE_NODE, "invalid",
        "read_ok carries a field its schema lacks: every read is info, stats fails"),
    Row("definite-error", "tests/nodes/sloppy_counter.py refuse", ONE_NODE, "valid",
        "adds answered with error 20 yet applied: info under Maelstrom, a finding beyond it"),
    Row("bad-line", "tests/nodes/misbehave.py not-json", TWO_ECHO, "valid",
        "n0 prints a log line on stdout: it goes mute, the run goes on"),
    Row("late-reply", "tests/nodes/misbehave.py late", TWO_ECHO.replace("5", "10"), "valid",
        "n0 answers a client that gave up and was replaced: it goes mute"),
    Row("crash", "tests/nodes/misbehave.py crash", TWO_ECHO, "crashed",
        "n0 exits with status 7 mid-run: the run cannot be judged (255)"),
    # The set workloads, with the Gossip Glomers challenges' flags.
    Row("unique-ids", "-m glomers.examples.unique_ids", IDS, "valid",
        "the project's id generator, challenge 2's flags"),
    Row("duplicate-ids", "tests/nodes/duplicate_ids.py", IDS.replace("-limit 30", "-limit 10"),
        "invalid", "broken: every node counts from 0, so ids repeat across nodes"),
    Row("broadcast", "-m glomers.examples.broadcast", BROADCAST, "valid",
        "the project's broadcast node, challenge 3b's flags"),
    Row("broadcast-partition", "-m glomers.examples.broadcast",
        f"{BROADCAST} --nemesis partition", "valid",
        "the project's broadcast node, challenge 3c's flags"),
    Row("broadcast-25", "-m glomers.examples.broadcast", BROADCAST_BIG, "valid",
        "the project's broadcast node, challenge 3d/3e's flags"),
    Row("fragile-broadcast", "tests/nodes/fragile_broadcast.py",
        f"{BROADCAST} --nemesis partition", "invalid",
        "broken: sends each message once, so a partition loses it for good"),
    Row("lonely-broadcast", "tests/nodes/lonely_broadcast.py", BROADCAST, "invalid",
        "broken: keeps each message to itself"),
    Row("g-set", "-m glomers.examples.g_set", f"{BROADCAST.replace('broadcast', 'g-set')} "
        "--nemesis partition", "valid", "the project's g-set node, challenge 3c's flags"),
    Row("g-set-quiet", "-m glomers.examples.g_set", BROADCAST.replace("broadcast", "g-set"),
        "valid", "the project's g-set node, challenge 3b's flags: no partition"),
)  # fmt: skip


def wrapper(workdir: Path, row: Row) -> Path:
    """An executable that starts the row's node with this interpreter."""
    path = workdir / "bin" / row.name
    path.parent.mkdir(parents=True, exist_ok=True)
    words = [sys.executable, *shlex.split(row.node)]
    if not row.node.startswith("-m"):
        words[1] = str(ROOT / words[1])
    path.write_text(f'#!/bin/sh\nexec {shlex.join(words)} "$@"\n')
    path.chmod(0o755)
    return path


def measure(row: Row, args: argparse.Namespace) -> None:
    folder = args.workdir / row.name
    argv = [
        sys.executable, "-m", "glomers.bench.cli", "compare", *shlex.split(row.flags),
        "--bin", str(wrapper(args.workdir, row)), "--seeds", str(args.seeds),
        "--seed", str(args.seed), "--jobs", str(args.jobs), "--keep", str(folder),
        "--json", str(args.workdir / f"{row.name}.json"),
    ]  # fmt: skip
    if args.resume:
        argv.append("--resume")
    print(f"== {row.name}: {shlex.join(argv[3:])}", file=sys.stderr, flush=True)
    subprocess.run(argv, check=False)


def _figure(run: dict[str, Any], name: str) -> float | None:
    value = run["figures"].get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _median(report: dict[str, Any], bench: str, name: str) -> float | None:
    """The median over seeds, as ``glomers compare`` summarises them."""
    values = [v for r in report["runs"] if (v := _figure(r[bench], name)) is not None]
    median: float | None = value_summary(values)["median"]
    return median


def _ratio(report: dict[str, Any], name: str) -> str:
    """glomers / Maelstrom of the medians over seeds of one figure."""
    ours, theirs = _median(report, "glomers", name), _median(report, "maelstrom", name)
    if ours is None or theirs is None or theirs == 0:
        return "—"
    return f"{ours / theirs:.3f}"


def _verdicts(report: dict[str, Any], bench: str) -> str:
    counts: dict[str, int] = {}
    for run in report["runs"]:
        verdict = str(run[bench]["figures"]["verdict"])
        counts[verdict] = counts.get(verdict, 0) + 1
    return ", ".join(f"{v} {k}/{len(report['runs'])}" for v, k in sorted(counts.items()))


def _failure_rate(report: dict[str, Any], bench: str) -> str:
    part = report["summary"]["agreement"].get(bench)
    if part is None:
        n = len(report["runs"])
        fails = sum(r[bench]["figures"]["verdict"] != "valid" for r in report["runs"])
        return f"{fails}/{n}"
    lo, hi = part["ci95"]
    return f"{part['failures']}/{len(report['runs'])} [{lo:.2f}, {hi:.2f}]"


def _latency_rows(report: dict[str, Any]) -> list[str]:
    names = sorted(
        {n for r in report["runs"] for n in r["glomers"]["figures"] if n.endswith("median ms")}
    )
    return [f"{n.split()[1]} {_ratio(report, n)}" for n in names]


def table(args: argparse.Namespace) -> str:
    head = (
        "| row | glomers verdicts | Maelstrom verdicts | expected | agreement "
        "| failures glomers [95% CI] | failures Maelstrom [95% CI] "
        "| msgs/op servers | msgs/op all | ok fraction | latency median |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for row in ROWS:
        path = args.workdir / f"{row.name}.json"
        if not path.exists():
            continue
        report = json.loads(path.read_text())
        agreement = report["summary"]["agreement"]
        how = ("agree" if agreement["agree"] else "DISAGREE") + f": {agreement['how']}"
        lines.append(
            f"| {row.name} | {_verdicts(report, 'glomers')} | {_verdicts(report, 'maelstrom')} "
            f"| {row.expect or 'varies'} | {how} | {_failure_rate(report, 'glomers')} "
            f"| {_failure_rate(report, 'maelstrom')} "
            f"| {_ratio(report, 'net msgs_per_op servers')} "
            f"| {_ratio(report, 'net msgs_per_op all')} "
            f"| {_ratio(report, 'availability ok_fraction')} "
            f"| {', '.join(_latency_rows(report))} |"
        )
    return head + "\n".join(lines) + "\n"


def _history(folder: Path, bench: str) -> list[Op]:
    if bench == "glomers":
        return store.read_history(folder / "history.jsonl")
    return read_maelstrom_history(folder / "history.edn")


def _add_of(name: str) -> str:
    """The ``f`` of a set row's additions: a broadcast row's are broadcasts."""
    return "broadcast" if "broadcast" in name else "add"


def _kept(workdir: Path, name: str, bench: str) -> Iterator[list[Op]]:
    """The history of each run of ``bench`` kept for row ``name``."""
    for done in sorted((workdir / name).glob(f"{bench}-*.done.json")):
        folder = json.loads(done.read_text()).get("folder")
        if folder:
            yield _history(Path(folder), bench)


def _split(history: list[Op], add: str = "add") -> tuple[list[float], list[float]]:
    """Stable latencies (s) of the elements made known outside any partition, and,
    for those made known during one that lasted half a second more, stable
    latency ÷ the time from becoming known to the heal."""
    spans = [(p.start, p.end if p.end is not None else history[-1].time)
             for p in fault_periods(history) if p.fault == "partition"]  # fmt: skip
    outside: list[float] = []
    inside: list[float] = []
    for e in element_outcomes(history, add):
        if e["stable_latency"] is None or e["known"] is None:
            continue
        known = e["known"]["time"]
        heal = next((end for start, end in spans if start <= known < end), None)
        if heal is None:
            outside.append(e["stable_latency"] / 1000)
        elif heal - known > 500_000_000:
            inside.append(e["stable_latency"] / ((heal - known) / 1e9) / 1000)
    return outside, inside


def by_partition(workdir: Path, name: str) -> str:
    """The stable latencies of a set row's kept runs, split by partition."""
    add = _add_of(name)
    lines = [
        "| bench | runs | elements | made known while partitioned "
        "| stable latency outside partitions: median, p90 (s) "
        "| stable latency ÷ time to heal, inside: median |",
        "|---|---|---|---|---|---|",
    ]
    for bench in ("glomers", "maelstrom"):
        outside: list[float] = []
        inside: list[float] = []
        runs = 0
        for history in _kept(workdir, name, bench):
            out, ins = _split(history, add)
            outside += out
            inside += ins
            runs += 1
        if not runs or not outside:
            lines.append(f"| {bench} | {runs} | no stable element outside partitions | | | |")
            continue
        deciles = statistics.quantiles(outside, n=10)
        share = len(inside) / (len(inside) + len(outside))
        ratio = f"{statistics.median(inside):.3f}" if inside else "—"
        lines.append(
            f"| {bench} | {runs} | {len(outside) + len(inside)} | {share:.0%} "
            f"| {statistics.median(outside):.3f}, {deciles[-1]:.3f} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def _rounds_waited(history: list[Op], add: str, nodes: int) -> list[tuple[float, float]]:
    """(stable latency, wait for the round that carried it) in s, per element of a
    run of the example gossip (a round every ``ROUND`` s from each node's start).

    Where a node's rounds fall is not in the history, but its reads bound them:
    an element reaches the others at its node's first round after the add, which
    comes after every read elsewhere that lacked it and before the first that
    had it. Of the phases on a 1 ms grid, the one most elements agree with is
    the node's. (Checked on glomers' journal: off by 7 ms at the median.)"""
    start: dict[int, Op] = {}
    reads: list[tuple[float, float, int, set[Any]]] = []
    adds: list[tuple[Any, float, float, int]] = []
    for op in history:
        if not isinstance(op.process, int):
            continue
        if op.type == "invoke":
            start[op.process] = op
        elif op.type == "ok" and op.process in start:
            began = start.pop(op.process).time / 1e9
            node = op.process % nodes  # Jepsen's binding of processes to nodes
            if op.f == "read":
                reads.append((began, op.time / 1e9, node, {values.key(v) for v in op.value}))
            elif op.f == add:
                adds.append((values.key(op.value), began, op.time / 1e9, node))
    latency = {
        values.key(e["element"]): e["stable_latency"] / 1000
        for e in element_outcomes(history, add)
        if e["stable_latency"] is not None
    }
    pairs: list[tuple[float, float]] = []
    for node in range(nodes):
        bounds = []  # (added from, known, round after, round before, element)
        elsewhere = [r for r in reads if r[2] != node]
        for key, began, known, origin in adds:
            if origin != node or key not in latency:
                continue
            had = [r[0] for r in elsewhere if key in r[3]]
            lacked = [r[1] for r in elsewhere if key not in r[3] and r[1] > began]
            if had:
                bounds.append((began, known, max([began, *lacked]), min(had), key))
        if not bounds:
            continue

        phase = _phase([(began, lo, hi) for began, _, lo, hi, _ in bounds])
        for began, known, _, _, key in bounds:
            wait = _first_round(phase, began) - known
            if wait > 0:
                pairs.append((latency[key], wait))
    return pairs


def _interval(
    figure: Callable[[list[Any]], float],
    ours: list[Any],
    theirs: list[Any],
    rng: random.Random,
    resamples: int,
) -> tuple[float, float]:
    """Where ``figure`` of glomers' runs ÷ that of Maelstrom's falls 95% of the
    time when each bench's runs are drawn again with replacement."""
    ratios = sorted(
        figure(rng.choices(ours, k=len(ours)))
        / max(1e-9, figure(rng.choices(theirs, k=len(theirs))))
        for _ in range(resamples)
    )
    return ratios[resamples // 40], ratios[-(resamples // 40) - 1]


def _first_round(phase: float, after: float) -> float:
    return phase + math.ceil((after - phase) / ROUND) * ROUND


def _phase(bounds: list[tuple[float, float, float]]) -> float:
    """The phase of a node's rounds that most (added, round after, round before) fit."""

    def fits(phase: float) -> int:
        # 3 ms either way: a read's own time on the node is somewhere in it.
        return sum(lo - 0.003 <= _first_round(phase, added) <= hi + 0.003
                   for added, lo, hi in bounds)  # fmt: skip

    return max((ms / 1000 for ms in range(round(ROUND * 1000))), key=fits)


def by_round(workdir: Path, name: str, resamples: int = 1000) -> str:
    """A set row's stable latencies given the wait for the gossip round that
    carried each element: mean latency ÷ mean wait, with a 95% interval from
    resampling runs."""
    add = _add_of(name)
    row = next(r for r in ROWS if r.name == name)
    nodes = int(row.flags.split("--node-count")[1].split()[0])
    runs = {
        bench: [_rounds_waited(history, add, nodes) for history in _kept(workdir, name, bench)]
        for bench in ("glomers", "maelstrom")
    }

    def figure(sample: list[list[tuple[float, float]]]) -> float:
        pairs = [p for run in sample for p in run]
        return sum(lat for lat, _ in pairs) / max(1e-9, sum(wait for _, wait in pairs))

    lines = [
        f"{name}: stable latency given the wait for the round that carried each element",
        "| bench | runs | elements | mean wait (s) | mean stable latency ÷ mean wait |",
        "|---|---:|---:|---:|---:|",
    ]
    for bench, sample in runs.items():
        pairs = [p for run in sample for p in run]
        if not pairs:
            return f"{name}: no kept runs of {bench} under {workdir}\n"
        mean_wait = statistics.mean(wait for _, wait in pairs)
        lines.append(
            f"| {bench} | {len(sample)} | {len(pairs)} | {mean_wait:.3f} | {figure(sample):.3f} |"
        )
    ours, theirs = runs["glomers"], runs["maelstrom"]
    low, high = _interval(figure, ours, theirs, random.Random(0), resamples)
    lines.append(
        f"\nratio {figure(ours) / figure(theirs):.3f}, 95% interval {low:.2f} to {high:.2f}"
    )
    return "\n".join(lines) + "\n"


def _stable_latencies(history: list[Op], add: str) -> list[int]:
    outcomes = element_outcomes(history, add)
    return [e["stable_latency"] for e in outcomes if e["stable_latency"] is not None]


def _run_median(run: list[int]) -> float:
    return float(quantile(sorted(run), 0.5))  # the run's own figure, Jepsen's quantile


def _pooled(q: float) -> Callable[[list[list[int]]], float]:
    def figure(runs: list[list[int]]) -> float:
        return float(quantile(sorted(x for run in runs for x in run), q))

    return figure


def _median_of_medians(runs: list[list[int]]) -> float:
    # As the table takes it (``glomers compare``'s median over seeds).
    median: float = value_summary(_run_median(run) for run in runs)["median"]
    return median


def stable(workdir: Path, name: str, resamples: int = 2000) -> str:
    """A set row's stable latencies, glomers / Maelstrom, with 95% intervals from
    resampling each bench's runs: a run's median moves with where the nodes'
    gossip rounds fall, so the runs, not the elements, are the samples."""
    add = _add_of(name)
    runs = {
        bench: [_stable_latencies(history, add) for history in _kept(workdir, name, bench)]
        for bench in ("glomers", "maelstrom")
    }
    ours, theirs = runs["glomers"], runs["maelstrom"]
    if not ours or not theirs:
        return f"{name}: no kept runs of both benches under {workdir}\n"
    lines = [
        f"{name}: {len(ours)} glomers runs, {len(theirs)} Maelstrom runs",
        "| figure (ms) | glomers | Maelstrom | ratio | 95% interval |",
        "|---|---:|---:|---:|---|",
    ]
    rng = random.Random(0)
    figures = (
        ("median of the runs' medians", _median_of_medians),
        ("median of every element", _pooled(0.5)),
        ("90th percentile of every element", _pooled(0.9)),
    )
    for label, figure in figures:
        low, high = _interval(figure, ours, theirs, rng, resamples)
        a, b = figure(ours), figure(theirs)
        lines.append(f"| {label} | {a:.0f} | {b:.0f} | {a / b:.3f} | {low:.2f} to {high:.2f} |")
    return "\n".join(lines) + "\n"


def _partition_schedule(histories: list[list[Op]]) -> tuple[list[float], list[float]]:
    """Each partition's length, and each run's time partitioned in all (s)."""
    lengths: list[float] = []
    totals: list[float] = []
    for history in histories:
        end = history[-1].time if history else 0
        spans = [((p.end if p.end is not None else end) - p.start) / 1e9
                 for p in fault_periods(history) if p.fault == "partition"]  # fmt: skip
        lengths += spans
        totals.append(sum(spans))
    return lengths, totals


def schedules(workdir: Path, rows: list[str], seeds: int = 200) -> str:
    """glomers' partition schedule over ``seeds`` simulated seeds of challenge 3c's
    flags against Maelstrom's in the kept runs of ``rows``: how many partitions a
    run draws and how long they last (the schedule does not depend on the node)."""
    ours = [
        simulate_workload(g_set.build, "g-set", node_count=5, time_limit=20.0, rate=10.0,
                          nemesis="partition", seed=seed).history
        for seed in range(1, seeds + 1)
    ]  # fmt: skip
    theirs = [h for row in rows for h in _kept(workdir, row, "maelstrom")]
    lines = [
        "| schedule | runs | partitions per run | length, mean (s) | quartiles (s) "
        "| partitioned per run, mean (s) |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for label, histories in (("glomers (simulated)", ours), ("Maelstrom (kept)", theirs)):
        lengths, totals = _partition_schedule(histories)
        if not lengths:
            lines.append(f"| {label} | {len(histories)} | 0 | | | |")
            continue
        quartiles = ", ".join(f"{q:.1f}" for q in statistics.quantiles(lengths, n=4))
        lines.append(
            f"| {label} | {len(histories)} | {len(lengths) / len(histories):.2f} "
            f"| {statistics.mean(lengths):.2f} | {quartiles} | {statistics.mean(totals):.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per row")
    parser.add_argument("--seed", type=int, default=1, help="glomers' first seed")
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=1)
    parser.add_argument("--workdir", type=Path, default=Path("fidelity-runs"))
    parser.add_argument("--rows", help="comma-separated row names (default: all)")
    parser.add_argument("--resume", action="store_true", help="continue an earlier measurement")
    parser.add_argument("--table-only", action="store_true", help="only print the table")
    parser.add_argument(
        "--by-partition", metavar="ROW", help="only split a set row's stable latencies by partition"
    )
    parser.add_argument(
        "--stable", metavar="ROW", help="only a set row's stable latencies, with 95%% intervals"
    )
    parser.add_argument(
        "--by-round", metavar="ROW", help="only a gossip row's stable latencies given each wait"
    )
    parser.add_argument(
        "--schedules", metavar="ROWS", help="only glomers' partition schedule against these rows'"
    )
    args = parser.parse_args()
    args.workdir = args.workdir.resolve()
    if args.schedules:
        print(schedules(args.workdir, args.schedules.split(",")), end="")
        return
    if args.by_partition:
        print(by_partition(args.workdir, args.by_partition), end="")
        return
    if args.stable:
        print(stable(args.workdir, args.stable), end="")
        return
    if args.by_round:
        print(by_round(args.workdir, args.by_round), end="")
        return
    chosen = set(args.rows.split(",")) if args.rows else {row.name for row in ROWS}
    unknown = chosen - {row.name for row in ROWS}
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    if not args.table_only:
        for row in ROWS:
            if row.name in chosen:
                measure(row, args)
    print("ratios are glomers / Maelstrom of the medians over seeds\n")
    print(table(args), end="")


if __name__ == "__main__":
    main()
