"""The project's counter against the textbook counter, side by side, with the same seeds.

For each latency setting and seed, both counters run the same ``glomers test``
(g-counter, 3 nodes, rate 100, partition; by default 20 s plus Maelstrom's 10 s
recovery) as real processes. From each run's store it takes: validity, the
servers' messages per operation, the median latency of ok adds and ok reads,
the median round trip of the node's seq-kv requests (from the net journal),
and the read lag. The tables show medians over seeds and the ratios the
counter's goals are stated in.

    python benchmarks/counter_compare.py                       # latency 0 and 100, 3 seeds
    python benchmarks/counter_compare.py --seeds 1 2 --time-limit 10 --latency 0
    python benchmarks/counter_compare.py --fail-seeds 40 --jobs 8   # textbook failure rate
    python benchmarks/counter_compare.py --scale                    # 25 nodes, rate 1000

Each latency setting also runs the echo workload once per seed: a node that
answers at once, whose latency is the floor any read can reach on this bench.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

COUNTERS = {
    "glomers counter": [],
    "textbook counter": ["--bin", sys.executable, "--", "-m", "glomers.examples.naive_counter"],
}
STANDARD = ["-w", "g-counter", "--node-count", "3", "--rate", "100", "--nemesis", "partition"]
SCALE = [
    "-w", "g-counter", "--node-count", "25", "--rate", "1000", "--latency-dist", "exponential",
    "--nemesis", "partition,kill", "--concurrency", "2n",
]  # fmt: skip
ECHO = "echo (floor)"


def run(
    counter: str, seed: int, latency: int, time_limit: float, flags: list[str] = STANDARD
) -> dict[str, Any]:
    if counter == ECHO:
        flags = [*flags[:1], "echo", *flags[2:]]
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp)
        cmd = [
            sys.executable, "-m", "glomers", "test", *flags,
            "--time-limit", str(time_limit), "--latency", str(latency),
            "--seed", str(seed), "--store", str(store), *COUNTERS.get(counter, []),
        ]  # fmt: skip
        subprocess.run(cmd, capture_output=True, timeout=time_limit + 120)
        run_dir = (store / "latest").resolve()
        return metrics(run_dir)


def metrics(run_dir: Path) -> dict[str, Any]:
    results = json.loads((run_dir / "results.json").read_text())
    ops = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    started: dict[Any, dict[str, Any]] = {}
    latency: dict[str, list[float]] = {"add": [], "read": [], "echo": []}
    for op in ops:
        if op["process"] == "nemesis":
            continue
        if op["type"] == "invoke":
            started[op["process"]] = op
        elif op["type"] == "ok" and op["process"] in started:
            latency[op["f"]].append((op["time"] - started.pop(op["process"])["time"]) / 1e6)
    sent: dict[tuple[str, int], int] = {}
    rtt: list[float] = []
    with (run_dir / "net-journal.jsonl").open() as journal:
        for line in journal:
            event = json.loads(line)
            msg = event["message"]
            body = msg["body"]
            if event["event"] == "send" and msg["dest"] == "seq-kv" and "msg_id" in body:
                sent[(msg["src"], body["msg_id"])] = event["time"]
            elif event["event"] == "recv" and msg["src"] == "seq-kv":
                t0 = sent.pop((msg["dest"], body.get("in_reply_to")), None)
                if t0 is not None:
                    rtt.append((event["time"] - t0) / 1e6)
    lag = results.get("beyond_maelstrom", {}).get("read_lag", {})
    return {
        "valid": results["valid"] is True,
        "seconds": results["flags"]["time_limit"],
        "final_ok": results.get("workload", {}).get("valid") is True,
        "msgs_per_op": results["net"]["servers"].get("msgs_per_op"),
        "add_ms": statistics.median(latency["add"]) if latency["add"] else None,
        "read_ms": statistics.median(latency["read"] or latency["echo"] or [math.nan]),
        "kv_rtt_ms": statistics.median(rtt) if rtt else None,
        "lag_p50": lag.get("lag", {}).get("median"),
        "lag_p99": lag.get("lag", {}).get("p99"),
        "lag_s_p99": lag.get("lag_seconds", {}).get("p99"),
        "ops": results["stats"]["count"],
        "ok": results["stats"]["ok_count"],
    }


def med(rows: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rows if r[key] is not None]
    return statistics.median(values) if values else float("nan")


def compare(args: argparse.Namespace) -> None:
    kinds = [*COUNTERS, ECHO]
    jobs = [(lat, seed, c) for lat in args.latency for seed in args.seeds for c in kinds]
    with ThreadPoolExecutor(args.jobs) as pool:
        done = list(pool.map(lambda j: run(j[2], j[1], j[0], args.time_limit), jobs))
    print(
        f"g-counter, 3 nodes, rate 100, {args.time_limit:g} s + 10 s recovery, partition; "
        f"seeds {' '.join(map(str, args.seeds))}; medians over seeds\n"
    )
    for lat in args.latency:
        rows = {c: [r for (lt, _, cc), r in zip(jobs, done, strict=True) if lt == lat and cc == c]
                for c in kinds}  # fmt: skip
        print(f"### --latency {lat}\n")
        print(
            "| counter | valid runs | servers msgs/op | add p50 | read p50 | seq-kv RTT p50 | "
            "read lag p50 / p99 | lag p99 (s) | ops |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c, rs in rows.items():
            m = {k: med(rs, k) for k in rs[0] if k not in ("valid", "final_ok", "seconds")}
            print(
                f"| {c} | {sum(r['valid'] for r in rs)}/{len(rs)} | {m['msgs_per_op']:.2f} | "
                f"{m['add_ms']:.1f} ms | {m['read_ms']:.1f} ms | {m['kv_rtt_ms']:.1f} ms | "
                f"{m['lag_p50']:g} / {m['lag_p99']:g} | {m['lag_s_p99']:.2f} | {m['ops']:.0f} |"
            )
        ours, naive = rows["glomers counter"], rows["textbook counter"]
        msgs = med(ours, "msgs_per_op") / med(naive, "msgs_per_op")
        reads = med(naive, "read_ms") / max(med(ours, "read_ms"), 1e-9)
        adds = med(ours, "add_ms") / med(ours, "kv_rtt_ms")
        print(
            f"\nours / textbook: servers msgs/op {msgs:.2f}; read p50 {reads:.1f}x lower; "
            f"our add p50 is {adds:.2f} seq-kv round trips\n"
        )


def scale(args: argparse.Namespace) -> None:
    print(
        "g-counter, 25 nodes, rate 1000, --latency 50 --latency-dist exponential, "
        f"partition,kill, concurrency 2n, {args.time_limit:g} s + 10 s recovery, seed 1\n"
    )
    print("| counter | valid | ok ops/s | servers msgs/op | add p50 | read p50 | seq-kv RTT p50 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for counter in COUNTERS:
        r = run(counter, 1, 50, args.time_limit, SCALE)
        print(
            f"| {counter} | {r['valid']} | {r['ok'] / r['seconds']:.0f} | {r['msgs_per_op']:.2f} | "
            f"{r['add_ms']:.1f} ms | {r['read_ms']:.1f} ms | {r['kv_rtt_ms']:.1f} ms |"
        )


def failure_rate(args: argparse.Namespace) -> None:
    seeds = list(range(1, args.fail_seeds + 1))
    with ThreadPoolExecutor(args.jobs) as pool:
        done = list(pool.map(lambda s: run("textbook counter", s, 0, args.time_limit), seeds))
    bad = [s for s, r in zip(seeds, done, strict=True) if not r["final_ok"]]
    share = len(bad) / len(seeds)
    print(
        f"textbook counter, standard run ({args.time_limit:g} s, partition, latency 0): "
        f"final reads wrong in {len(bad)} of {len(seeds)} seeds ({share:.0%}); seeds: {bad}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 100])
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (they mostly wait)")
    parser.add_argument(
        "--fail-seeds",
        type=int,
        default=0,
        help="instead: run the textbook counter on this many seeds, count failures",
    )
    parser.add_argument(
        "--scale", action="store_true", help="instead: both counters at 25 nodes, rate 1000"
    )
    args = parser.parse_args()
    if args.scale:
        scale(args)
    elif args.fail_seeds:
        failure_rate(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
