"""How fast the bench routes messages between node processes, and the delay it adds.

Each of N node processes (``benchmarks/nodes/ping_node.py``) keeps a window of
ping-pong exchanges going with its neighbour, through the bench's network with
zero latency, for a few seconds. Reported per cluster size, as medians over
rounds: messages routed per second, the bench process's CPU time per message,
and the delivery delay the bench adds (from reading a message off the sender's
stdout to writing it to the receiver's stdin: with zero latency, all of it is
the bench's own queueing and event-loop delay).

    python benchmarks/bench_routing.py            # 3 and 25 nodes, 3 rounds
    python benchmarks/bench_routing.py --nodes 3 25 --seconds 5 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from glomers.bench.client import Client
from glomers.bench.clock import LoopClock
from glomers.bench.net import Network
from glomers.bench.process import NodeFault, ProcessHost, kill_all

NODE = Path(__file__).resolve().parent / "nodes" / "ping_node.py"


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def one_round(n: int, seconds: float, window: int) -> dict[str, float]:
    clock = LoopClock()
    sent_at: dict[int, float] = {}
    delays: list[float] = []

    def journal(event: str, time: float, msg_id: int, message: dict[str, Any]) -> None:
        if event == "send":
            sent_at[msg_id] = time
        else:
            delays.append(time - sent_at.pop(msg_id, time))

    net = Network(clock, random.Random(0), journal=journal)
    faults: list[NodeFault] = []
    nodes = [f"n{i}" for i in range(n)]
    with tempfile.TemporaryDirectory() as logs:
        hosts = [
            ProcessHost(node, [sys.executable, str(NODE)], net, Path(logs) / node, faults.append)
            for node in nodes
        ]
        try:
            await asyncio.gather(*(h.start() for h in hosts))
            for i, node in enumerate(nodes):
                client = Client(net, clock, f"c{i}")
                await client.rpc(node, {"type": "init", "node_id": node, "node_ids": nodes}, 10)
                client.close()
            starters = [Client(net, clock, f"c{n + i}") for i in range(n)]
            start = {"type": "start", "window": window}
            pairs = zip(starters, nodes, strict=True)
            await asyncio.gather(*(c.rpc(node, start) for c, node in pairs))
            await asyncio.sleep(0.5)  # let the loops reach their pace
            delays.clear()
            before_msgs, before_cpu, t0 = net.stats.all.recv_count, cpu(), clock.now()
            await asyncio.sleep(seconds)
            msgs = net.stats.all.recv_count - before_msgs
            used, elapsed = cpu() - before_cpu, clock.now() - t0
        finally:
            await asyncio.gather(*(h.stop() for h in hosts))
            kill_all()
    if faults:
        raise SystemExit(faults[0].report)
    delays.sort()
    return {
        "rate": msgs / elapsed,
        "cpu_us": used / msgs * 1e6,
        "delay_median_ms": delays[len(delays) // 2] * 1000,
        "delay_p99_ms": delays[int(len(delays) * 0.99)] * 1000,
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
