"""Wall time of simulation-mode runs (``glomers test --sim``) against the time they simulate.

Runs the standard counter test and the 25-node test in simulation mode, a few
times each with different seeds, each as a fresh ``glomers`` process (so the
wall time includes starting Python), and reports medians: with ``--no-pages``
(the simulation, its checks, results and history) and as is (plus the plots,
timeline and report, which matplotlib's start-up alone makes half a second).

Then the cost of holding paused nodes' work: the 25-node run with ``pause``
added to its nemesis, which turns the routing of node callbacks through gates
on, against the same run without it. A nemesis interval far beyond the time
limit makes both runs inject nothing, so they do exactly the same work but for
the routing; the two are interleaved and the ratio of each pair is reported.

    python benchmarks/sim_speed.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = {
    "standard (3 nodes, rate 100, 20 s, partition)": (
        "-w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition"
    ),
    "standard with all faults (partition,kill,pause,loss,slow)": (
        "-w g-counter --node-count 3 --rate 100 --time-limit 20 "
        "--nemesis partition,kill,pause,loss,slow"
    ),
    "25 nodes, rate 1000, latency 50 exponential, partition,kill, 2n": (
        "-w g-counter --node-count 25 --rate 1000 --time-limit 20 --latency 50 "
        "--latency-dist exponential --nemesis partition,kill --concurrency 2n"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"median of {args.rounds} seeds, Python {sys.version.split()[0]}\n")
    print("| run | simulated | wall, --no-pages | faster than real time | wall with pages "
          "| faster than real time | valid runs |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, flags in RUNS.items():
        walls: dict[bool, list[float]] = {False: [], True: []}
        simulated, valid = [], 0
        for seed in range(1, args.rounds + 1):
            for pages in (False, True):
                with tempfile.TemporaryDirectory() as store:
                    cmd = [sys.executable, "-m", "glomers", "test", "--sim", *flags.split(),
                           "--seed", str(seed), "--store", store]  # fmt: skip
                    if not pages:
                        cmd.append("--no-pages")
                    started = time.perf_counter()
                    subprocess.run(cmd, capture_output=True, check=False)
                    walls[pages].append(time.perf_counter() - started)
                    if pages:
                        run = Path(store) / "latest"
                        last = (run / "history.jsonl").read_text().splitlines()[-1]
                        simulated.append(json.loads(last)["time"] / 1e9)
                        results = json.loads((run / "results.json").read_text())
                        valid += results["valid"] is True
        sim = statistics.median(simulated)
        bare, full = statistics.median(walls[False]), statistics.median(walls[True])
        print(f"| {name} | {sim:.1f} s | {bare:.2f} s | {sim / bare:.1f}x | {full:.2f} s "
              f"| {sim / full:.1f}x | {valid}/{args.rounds} |")  # fmt: skip
    gating(args.rounds)


def wall(flags: str) -> float:
    with tempfile.TemporaryDirectory() as store:
        cmd = [sys.executable, "-m", "glomers", "test", "--sim", *flags.split(),
               "--store", store, "--no-pages"]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        return time.perf_counter() - started


def gating(rounds: int) -> None:
    base = (
        "-w g-counter --node-count 25 --rate 1000 --time-limit 20 --latency 50 "
        "--latency-dist exponential --concurrency 2n --nemesis-interval 100000"
    )
    off, on = [], []
    for seed in range(1, rounds + 1):
        off.append(wall(f"{base} --nemesis partition,kill --seed {seed}"))
        on.append(wall(f"{base} --nemesis partition,kill,pause --seed {seed}"))
    ratios = [b / a for a, b in zip(off, on, strict=True)]
    print(f"\npause gating, 25-node run with no fault injected: {statistics.median(off):.2f} s "
          f"without, {statistics.median(on):.2f} s with; median ratio "
          f"{statistics.median(ratios):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
