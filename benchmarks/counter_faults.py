"""The project's counter under faults: how much of its no-fault throughput it keeps.

Runs the standard counter test in simulation mode with no fault, with message
loss, and with all five faults (a fault step every 2 s on average), seed after
seed, and the same without and with loss at ``--latency 100``. Reports per
configuration the medians of ok operations, the add latency p99 and servers'
messages per operation, and the ratios the counter is held to: ok operations
under loss and under all faults against no fault, and the add p99 under loss
against no fault at ``--latency 100``.

Under kill and pause, a thread whose node is down waits out its client's 5 s
timeout, whatever the node does, and while every node is down nothing
succeeds. The "some-node-up ceiling" is the no-fault throughput times the share
of the main phase during which at least one node was up (from the run's fault
periods); the last ratio compares the counter to it. (The other threads take
up the rate while one waits, so the share of node-time up is no ceiling.)

``--ref REV`` runs every configuration a second time on the code of git
revision REV (checked out in a temporary worktree), interleaved seed by seed,
and adds the ratios of the current code to REV's, so that both are measured in
one run on one machine.

    python benchmarks/counter_faults.py --seeds 5 --ref HEAD~3
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from glomers.bench.history import down_spans
from glomers.bench.store import read_history
from sim_speed import ROOT, checkout

STANDARD = "-w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis-interval 2"
ALL_FAULTS = "partition,kill,pause,loss,slow"
CONFIGS = {
    "no fault": STANDARD,
    "loss": f"{STANDARD} --nemesis loss",
    "all five faults": f"{STANDARD} --nemesis {ALL_FAULTS}",
    "no fault, latency 100": f"{STANDARD} --latency 100",
    "loss, latency 100": f"{STANDARD} --latency 100 --nemesis loss",
}


def run(flags: str, seed: int, src: Path) -> dict[str, Any]:
    """One simulated run of the code under ``src``: its figures."""
    with tempfile.TemporaryDirectory() as store:
        cmd = [sys.executable, "-m", "glomers", "test", "--sim", *flags.split(),
               "--seed", str(seed), "--store", store, "--no-pages"]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(src)}
        subprocess.run(cmd, env=env, capture_output=True, check=False, timeout=600)
        found = list(Path(store).glob("*/*/results.json"))
        if not found:
            return {"valid": "crashed"}
        results = json.loads(found[0].read_text())
        up = up_share(read_history(found[0].with_name("history.jsonl")), 3, 20e9)
    add = results["perf"]["latency"].get("add", {}).get("ok", {})
    return {
        "up": up,
        "valid": results["valid"],
        "ok": results["stats"]["ok_count"],
        "add_p99": add.get("0.99"),
        "server_msgs": results["net"]["servers"]["msgs_per_op"],
        "muted": len(results.get("node_errors") or []),
    }


def up_share(history: list[Any], nodes: int, limit: float) -> float:
    """The share of the main phase during which at least one node was up: not
    held by a kill or a pause."""
    spans = {
        node: [(min(start, limit), min(end, limit)) for start, end in periods]
        for node, periods in down_spans(history, round(limit)).items()
    }
    if len(spans) < nodes:
        return 1.0
    # Walk the moments where some node goes down or comes back.
    events = sorted({0.0, limit, *(t for s in spans.values() for span in s for t in span)})
    down = 0.0
    for a, b in itertools.pairwise(events):
        middle = (a + b) / 2
        if all(any(s <= middle < e for s, e in node) for node in spans.values()):
            down += b - a
    return 1.0 - down / limit


def median(values: list[Any]) -> float | None:
    numbers = [v for v in values if isinstance(v, int | float)]
    return statistics.median(numbers) if numbers else None


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--ref", help="also measure git revision REV, interleaved")
    args = parser.parse_args()
    sources = {"current": ROOT / "src"}
    with checkout(args.ref) as ref_src:
        if ref_src is not None:
            sources[args.ref] = ref_src
        figures: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for name, flags in CONFIGS.items():
            for seed in range(1, args.seeds + 1):
                for code, src in sources.items():
                    figures.setdefault((code, name), []).append(run(flags, seed, src))
                    print(".", end="", flush=True, file=sys.stderr)
    print(file=sys.stderr)
    print(f"median of seeds 1 to {args.seeds}, simulation mode; flags: {STANDARD}\n")
    print("| code | configuration | ok operations | add p99 (ms) | servers' msgs/op "
          "| valid | runs with a muted node |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|")
    for (code, name), runs in figures.items():
        valid = sum(r["valid"] is True for r in runs)
        muted = sum(bool(r.get("muted")) for r in runs)
        print(f"| {code} | {name} | {fmt(median([r.get('ok') for r in runs]))} "
              f"| {fmt(median([r.get('add_p99') for r in runs]))} "
              f"| {fmt(median([r.get('server_msgs') for r in runs]), 3)} "
              f"| {valid}/{len(runs)} | {muted} |")  # fmt: skip
    print("\n| code | ok, loss / no fault | ok, all five / no fault "
          "| add p99 at latency 100, loss / no fault "
          "| ok, all five / some-node-up ceiling |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for code in sources:
        ok = {name: median([r.get("ok") for r in figures[(code, name)]]) for name in CONFIGS}
        p99 = {n: median([r.get("add_p99") for r in figures[(code, n)]]) for n in CONFIGS}
        ceiling = [
            r.get("ok", 0) / (n.get("ok") * r["up"])
            for r, n in zip(figures[(code, "all five faults")], figures[(code, "no fault")],
                            strict=True)
            if r.get("up") and n.get("ok")
        ]  # fmt: skip
        print(f"| {code} | {_ratio(ok['loss'], ok['no fault'])} "
              f"| {_ratio(ok['all five faults'], ok['no fault'])} "
              f"| {_ratio(p99['loss, latency 100'], p99['no fault, latency 100'])} "
              f"| {fmt(median(ceiling), 2)} |")  # fmt: skip
    if args.ref:
        print(f"\nservers' msgs/op with no fault, current / {args.ref}, per seed: ", end="")
        pairs = zip(figures[("current", "no fault")], figures[(args.ref, "no fault")], strict=True)
        ratios = [a["server_msgs"] / b["server_msgs"] for a, b in pairs if b.get("server_msgs")]
        print(", ".join(f"{r:.3f}" for r in ratios), f"(median {statistics.median(ratios):.3f})")


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}"


if __name__ == "__main__":
    main()
