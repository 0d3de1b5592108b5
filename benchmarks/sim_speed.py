"""Wall time of simulation-mode runs (``glomers test --sim``) against the time they simulate.

Runs the standard counter test and the 25-node test in simulation mode, a few
times each with different seeds, each as a fresh ``glomers`` process (so the
wall time includes starting Python), and reports medians: with ``--no-pages``
(the simulation, its checks, results and history) and as is (plus the plots,
timeline and report).

``--ref REV`` runs every one a second time on the code of git revision REV
(checked out in a temporary worktree), interleaved seed by seed, and adds the
ratio of REV's median wall time to the current code's.

Then (unless ``--no-gating``) the cost of holding paused nodes' work: the
25-node run with ``pause`` added to its nemesis, which turns the routing of
node callbacks through gates on, against the same run without it. A nemesis
interval far beyond the time limit makes both runs inject nothing, so they do
exactly the same work but for the routing; the two are interleaved and the
ratio of each pair is reported.

    python benchmarks/sim_speed.py --rounds 5 --ref 5e23150
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def checkout(rev: str | None) -> Iterator[Path | None]:
    """The ``src`` folder of ``rev``, in a temporary git worktree (None: no ``rev``)."""
    if rev is None:
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree),
                        rev], check=True)  # fmt: skip
        try:
            yield tree / "src"
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False)  # fmt: skip


def timed_run(flags: str, seed: int, src: Path, pages: bool) -> tuple[float, float, bool]:
    """One run of the code under ``src``: (wall s, simulated s, valid)."""
    with tempfile.TemporaryDirectory() as store:
        cmd = [sys.executable, "-m", "glomers", "test", "--sim", *flags.split(),
               "--seed", str(seed), "--store", store]  # fmt: skip
        if not pages:
            cmd.append("--no-pages")
        env = {**os.environ, "PYTHONPATH": str(src)}
        started = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=False)
        wall = time.perf_counter() - started
        run = Path(store) / "latest"
        last = (run / "history.jsonl").read_text().splitlines()[-1]
        results = json.loads((run / "results.json").read_text())
        if pages:
            assert (run / "report.html").exists() and (run / "rate.png").exists(), run
        return wall, json.loads(last)["time"] / 1e9, results["valid"] is True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ref", help="also measure git revision REV, interleaved")
    parser.add_argument("--no-gating", action="store_true", help="skip the pause gating")
    parser.add_argument("--runs", help="only the runs whose names contain one of these "
                        "comma-separated words (e.g. standard)")  # fmt: skip
    args = parser.parse_args()
    words = args.runs.split(",") if args.runs else [""]
    chosen = {name: flags for name, flags in RUNS.items() if any(w in name for w in words)}
    print(f"median of {args.rounds} seeds, Python {sys.version.split()[0]}\n")
    print("| run | code | simulated | wall, --no-pages | faster than real time "
          "| wall with pages | faster than real time | valid runs |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    ratios: list[str] = []
    with checkout(args.ref) as ref_src:
        sources = {"current": ROOT / "src"}
        if ref_src is not None:
            sources[args.ref] = ref_src
        for name, flags in chosen.items():
            walls: dict[tuple[str, bool], list[float]] = {
                (code, p): [] for code in sources for p in (False, True)
            }
            simulated: dict[str, list[float]] = {code: [] for code in sources}
            valid = dict.fromkeys(sources, 0)
            for seed in range(1, args.rounds + 1):
                for code, src in sources.items():
                    for pages in (False, True):
                        wall, sim, ok = timed_run(flags, seed, src, pages)
                        walls[(code, pages)].append(wall)
                        if pages:
                            simulated[code].append(sim)
                            valid[code] += ok
            for code in sources:
                sim = statistics.median(simulated[code])
                bare = statistics.median(walls[(code, False)])
                full = statistics.median(walls[(code, True)])
                print(f"| {name} | {code} | {sim:.1f} s | {bare:.2f} s | {sim / bare:.1f}x "
                      f"| {full:.2f} s | {sim / full:.1f}x "
                      f"| {valid[code]}/{args.rounds} |")  # fmt: skip
            if args.ref:
                now = [statistics.median(walls[("current", p)]) for p in (False, True)]
                then = [statistics.median(walls[(args.ref, p)]) for p in (False, True)]
                ratios.append(f"{name}: {then[0] / now[0]:.2f}x faster with --no-pages, "
                              f"{then[1] / now[1]:.2f}x with pages")  # fmt: skip
    if ratios:
        print(f"\nwall time of {args.ref} / current:")
        for line in ratios:
            print(f"- {line}")
    if not args.no_gating:
        gating(args.rounds)


def wall(flags: str) -> float:
    with tempfile.TemporaryDirectory() as store:
        cmd = [sys.executable, "-m", "glomers", "test", "--sim", *flags.split(),
               "--store", store, "--no-pages"]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        started = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
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
