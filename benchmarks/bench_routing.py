"""How fast the bench routes messages between node processes, and the delay it adds.

Each of N node processes (``benchmarks/nodes/ping_node.py``) keeps a window of
ping-pong exchanges going with its neighbour, through the bench's network with
zero latency, for a few seconds. Reported per cluster size, as medians over
rounds: messages routed per second, the bench process's CPU time per message,
and the delivery delay the bench adds: from the moment the sender hands a
message to its stdout to the moment the receiver reads it from its stdin, as
the nodes themselves time it (with zero latency, all of it is pipes, the
bench's parsing and routing, and waiting for the bench's event loop).

    python benchmarks/bench_routing.py            # 3 and 25 nodes, 3 rounds
    python benchmarks/bench_routing.py --nodes 3 25 --seconds 5 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import resource
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from glomers.bench.client import Client
from glomers.bench.clock import LoopClock
from glomers.bench.hosts import NodeFault
from glomers.bench.net import Network
from glomers.bench.process import ProcessHost, kill_all

NODE = Path(__file__).resolve().parent / "nodes" / "ping_node.py"


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_round(n: int, seconds: float, window: int) -> dict[str, float]:
    clock = LoopClock()
    net = Network(clock, random.Random(0))
    faults: list[NodeFault] = []
    nodes = [f"n{i}" for i in range(n)]
    clients = (Client(net, clock, f"c{i}") for i in itertools.count())

    async def ask(node: str, body: dict[str, Any]) -> dict[str, Any]:
        client = next(clients)
        try:
            return await client.rpc(node, body, 30)
        finally:
            client.close()

    with tempfile.TemporaryDirectory() as logs:
        hosts = [
            ProcessHost(node, [sys.executable, str(NODE)], net, Path(logs) / node, faults.append)
            for node in nodes
        ]
        try:
            await asyncio.gather(*(h.start() for h in hosts))
            init = {"type": "init", "node_ids": nodes}
            await asyncio.gather(*(ask(node, {**init, "node_id": node}) for node in nodes))
            start = {"type": "start", "window": window}
            await asyncio.gather(*(ask(node, start) for node in nodes))
            await asyncio.sleep(0.5)  # let the loops reach their pace
            await asyncio.gather(*(ask(node, {"type": "reset"}) for node in nodes))
            before_msgs, before_cpu, t0 = net.stats.all.recv_count, cpu(), clock.now()
            await asyncio.sleep(seconds)
            msgs = net.stats.all.recv_count - before_msgs
            used, elapsed = cpu() - before_cpu, clock.now() - t0
            stats = await asyncio.gather(*(ask(node, {"type": "stats"}) for node in nodes))
        finally:
            await asyncio.gather(*(h.stop() for h in hosts))
            kill_all()
    if faults:
        raise SystemExit(faults[0].report)
    delays = sorted(d for s in stats for d in s["delays_us"])
    return {
        "rate": msgs / elapsed,
        "cpu_us": used / msgs * 1e6,
        "delay_median_ms": delays[len(delays) // 2] / 1000,
        "delay_p99_ms": delays[int(len(delays) * 0.99)] / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[3, 25])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window", type=int, default=8, help="pings in flight per node")
    args = parser.parse_args()
    rows = {n: [] for n in args.nodes}  # type: dict[int, list[dict[str, float]]]
    for r in range(args.rounds):
        for n in args.nodes:
            rows[n].append(asyncio.run(one_round(n, args.seconds, args.window)))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(
        f"zero latency, {args.window} pings in flight per node, {args.seconds:g} s per round, "
        f"median of {args.rounds} rounds, Python {sys.version.split()[0]}\n"
    )
    print("| nodes | messages routed/s | bench CPU µs/message | added delay median | p99 |")
    print("|---:|---:|---:|---:|---:|")
    for n, results in rows.items():
        med = {k: statistics.median(x[k] for x in results) for k in results[0]}
        print(
            f"| {n} | {med['rate']:,.0f} | {med['cpu_us']:.1f} | "
            f"{med['delay_median_ms']:.2f} ms | {med['delay_p99_ms']:.2f} ms |"
        )


if __name__ == "__main__":
    main()
