"""The example broadcast node against challenge 3e, in simulation, seed after seed.

Runs ``-w broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100``
without faults and with ``--nemesis partition``, and reports per seed and as
medians the figures 3e judges: servers' messages per operation (target < 20),
the median and maximum stable latency in ms (targets < 1000 and < 2000), and
the verdict. ``--period`` sets the node's gossip period.

    python benchmarks/broadcast_3e.py --seeds 5
"""

from __future__ import annotations

import argparse
import statistics
from functools import partial
from typing import Any

from glomers.bench.testing import run_workload
from glomers.examples import broadcast
from glomers.examples.gossip import PERIOD

CHALLENGE = {"node_count": 25, "time_limit": 20.0, "rate": 100.0, "latency": 100.0}


def measure(seed: int, nemesis: str, period: float) -> dict[str, Any]:
    results = run_workload(
        partial(broadcast.build, period), "broadcast", nemesis=nemesis, seed=seed, **CHALLENGE
    )
    stable = results["workload"].get("stable_latencies") or {}
    return {
        "valid": results["valid"],
        "msgs_per_op": results["net"]["servers"]["msgs_per_op"],
        "median_ms": stable.get("0.5"),
        "max_ms": stable.get("1"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--period", type=float, default=PERIOD)
    args = parser.parse_args()
    for nemesis in ("", "partition"):
        rows = [measure(seed, nemesis, args.period) for seed in range(args.seeds)]
        print(f"nemesis: {nemesis or 'none'}, gossip period {args.period:g} s")
        for seed, row in enumerate(rows):
            print(f"  seed {seed}: {row}")
        print(
            "  medians: msgs/op {:.2f}, stable latency median {} ms, max {} ms; valid {}/{}".format(
                statistics.median(r["msgs_per_op"] for r in rows),
                statistics.median(r["median_ms"] for r in rows),
                statistics.median(r["max_ms"] for r in rows),
                sum(r["valid"] is True for r in rows),
                len(rows),
            )
        )


if __name__ == "__main__":
    main()
