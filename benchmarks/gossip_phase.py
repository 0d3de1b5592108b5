"""How much a broadcast run's median stable latency owes to where its gossip rounds fall.

The example broadcast node gossips every 0.6 s from its ``init``. With
challenge 3b's flags (5 nodes, rate 10, 20 s, no faults) a run has about a
hundred elements, and each one's stable latency is mostly the wait for its
node's next round, cut short by the last read elsewhere before it. This script
runs the same seeds in simulation, so the same client operations at the same
times, with the first round at several delays after ``init`` (the same on
every node, or drawn per node), and prints per delay the median of the runs'
medians, and how far apart two sets of 20 runs that differ only by chance can be::

    python benchmarks/gossip_phase.py --seeds 200

docs/fidelity.md uses it to read the ``broadcast`` row: a comparison over 20
runs cannot tell benches apart by less than this spread.
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Callable

from glomers import Node
from glomers.bench.checker import quantile
from glomers.bench.testing import simulate_workload
from glomers.bench.workloads.setfull import element_outcomes
from glomers.examples import broadcast
from glomers.examples.gossip import PERIOD

CHALLENGE_3B = {"node_count": 5, "time_limit": 20.0, "rate": 10.0}
DELAYS: tuple[float | str, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, "drawn")


def builder(delay: float | str, seed: int) -> Callable[[], Node]:
    """Nodes whose first round comes ``delay`` s after init ("drawn": each its own)."""
    if delay != "drawn":
        return lambda: broadcast.build(first=float(delay))
    rng = random.Random(f"gossip-phase:{seed}")
    return lambda: broadcast.build(first=rng.uniform(0.0, PERIOD))


def latencies(delay: float | str, seed: int) -> list[int]:
    """Every stable element's stable latency (ms) in one simulated run."""
    outcome = simulate_workload(builder(delay, seed), "broadcast", seed=seed, **CHALLENGE_3B)
    outcomes = element_outcomes(outcome.history, add="broadcast")
    return [e["stable_latency"] for e in outcomes if e["stable_latency"] is not None]


def run_median(run: list[int]) -> int:
    """A run's median as its results state it (Jepsen's quantile)."""
    return int(quantile(sorted(run), 0.5))


def spread(runs: list[list[int]], figure: Callable[[list[list[int]]], float]) -> str:
    """Where the ratio of ``figure`` over two sets of 20 runs drawn from ``runs``
    falls 95% of the time: what two benches that behave alike could show."""
    rng = random.Random(0)
    ratios = sorted(
        figure(rng.choices(runs, k=20)) / max(1e-9, figure(rng.choices(runs, k=20)))
        for _ in range(2000)
    )
    return f"{ratios[len(ratios) // 40]:.2f} to {ratios[-len(ratios) // 40]:.2f}"


def median_of_medians(runs: list[list[int]]) -> float:
    return statistics.median(run_median(r) for r in runs)


def pooled_median(runs: list[list[int]]) -> float:
    return statistics.median(x for r in runs for x in r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--first-seed", type=int, default=1)
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    table = {d: [latencies(d, s) for s in seeds] for d in DELAYS}
    print(f"seeds {seeds.start}-{seeds.stop - 1}, challenge 3b's flags, simulation")
    print(f"{'first round':>12} {'median of medians':>18} {'of the first 20':>16} {'pooled':>9}")
    for delay, runs in table.items():
        label = delay if isinstance(delay, str) else f"{delay:.1f} s"
        first20 = median_of_medians(runs[:20])
        print(f"{label:>12} {median_of_medians(runs):>15.1f} ms "
              f"{first20:>13.1f} ms {pooled_median(runs):>6.1f} ms")  # fmt: skip
    fixed = [median_of_medians(table[d][:20]) for d in DELAYS if d != "drawn"]
    print(f"the first 20 seeds' median of medians over the fixed delays: "
          f"{min(fixed):.1f} to {max(fixed):.1f} ms ({max(fixed) / min(fixed):.2f}x)")  # fmt: skip
    runs = [run for d in DELAYS for run in table[d]]
    print("two benches alike, 20 runs each, each at its own phase; their ratio 95% of the time:")
    print(f"  median of the runs' medians: {spread(runs, median_of_medians)}")
    print(f"  median of every element (pooled): {spread(runs, pooled_median)}")


if __name__ == "__main__":
    main()
