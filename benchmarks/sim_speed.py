"""Wall time of simulation-mode runs (``glomers test --sim``) against the time they simulate.

Runs the standard counter test and the 25-node test in simulation mode, a few
times each with different seeds, each as a fresh ``glomers`` process (so the
wall time includes starting Python), and reports medians.

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
    print("| run | simulated | wall | faster than real time | valid runs |")
    print("|---|---:|---:|---:|---:|")
    for name, flags in RUNS.items():
        walls, simulated, valid = [], [], 0
        for seed in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory() as store:
                cmd = [sys.executable, "-m", "glomers", "test", "--sim", *flags.split(),
                       "--seed", str(seed), "--store", store]  # fmt: skip
                started = time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=False)
                walls.append(time.perf_counter() - started)
                run = Path(store) / "latest"
                last = (run / "history.jsonl").read_text().splitlines()[-1]
                simulated.append(json.loads(last)["time"] / 1e9)
                valid += json.loads((run / "results.json").read_text())["valid"] is True
        wall, sim = statistics.median(walls), statistics.median(simulated)
        speed = sim / wall
        print(f"| {name} | {sim:.1f} s | {wall:.2f} s | {speed:.1f}x | {valid}/{args.rounds} |")


if __name__ == "__main__":
    main()
