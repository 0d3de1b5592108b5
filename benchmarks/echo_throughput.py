"""Echo throughput of one node process through its stdin/stdout, side by side.

Each contender gets ``init`` and then N pipelined ``echo`` requests (written by a
thread as fast as the pipe takes them); the clock runs from the first request
to the last reply, and CPU time is the node process's own (user + system, from
``wait4``). Contenders run in rounds, interleaved, so machine noise spreads over
all of them; the table shows medians over the rounds and ratios against the
demo-style baseline and the bare loop.

    python benchmarks/echo_throughput.py            # default: 5 rounds
    python benchmarks/echo_throughput.py --rounds 9 --messages 300000
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODES = HERE / "nodes"


@dataclass
class Contender:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # The baseline is ~50x slower; fewer messages keep its rounds short.
    share: float = 1.0
    rates: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)


def contenders() -> list[Contender]:
    py = sys.executable
    return [
        Contender("baseline: demo-style node", [py, str(NODES / "demo_style_echo.py")], share=0.05),
        Contender("bare loop (no framework)", [py, str(NODES / "bare_echo.py")]),
        Contender(
            "glomers echo, uvloop",
            [py, "-m", "glomers.examples.echo"],
            {"GLOMERS_LOOP": "uvloop"},
        ),
        Contender(
            "glomers echo, asyncio loop",
            [py, "-m", "glomers.examples.echo"],
            {"GLOMERS_LOOP": "asyncio"},
        ),
        Contender(
            "glomers echo, async handler, uvloop",
            [py, str(NODES / "glomers_async_echo.py")],
            {"GLOMERS_LOOP": "uvloop"},
        ),
        Contender(
            "glomers echo, async handler, asyncio loop",
            [py, str(NODES / "glomers_async_echo.py")],
            {"GLOMERS_LOOP": "asyncio"},
        ),
    ]


def requests(n: int) -> bytes:
    init = (
        b'{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,'
        b'"node_id":"n1","node_ids":["n1"]}}\n'
    )
    echo = b'{"src":"c1","dest":"n1","body":{"type":"echo","echo":"Please echo %d","msg_id":%d}}\n'
    return init + b"".join(echo % (i, i) for i in range(2, n + 2))


def measure(c: Contender, n: int) -> None:
    data = requests(n)
    proc = subprocess.Popen(
        c.argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **c.env},
    )
    assert proc.stdin is not None
    assert isinstance(proc.stdout, io.BufferedReader)
    stdin, stdout = proc.stdin, proc.stdout
    writer = threading.Thread(target=stdin.write, args=(data,))
    started = time.perf_counter()
    writer.start()
    want, got = n + 1, 0
    while got < want:
        chunk = stdout.read1(1 << 16)
        if not chunk:
            break
        got += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    writer.join()
    # Input ends only after every reply is in, so a node that drops replies at
    # end of input is still measured on what it does while running.
    stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    if got != want:
        raise SystemExit(f"{c.name}: {got} of {want} replies (exit status {status})")
    c.rates.append(n / elapsed)
    c.cpu_us.append((usage.ru_utime + usage.ru_stime) / n * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()

    field_ = contenders()
    for r in range(args.rounds):
        for c in field_:
            measure(c, max(1000, int(args.messages * c.share)))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    base = statistics.median(field_[0].rates)
    bare = statistics.median(field_[1].rates)
    print(
        f"{args.messages:,} pipelined echo requests (baseline: {field_[0].share:.0%} of them), "
        f"median of {args.rounds} interleaved rounds, Python {sys.version.split()[0]}\n"
    )
    print("| node | messages/s | CPU µs/message | × baseline | % of bare loop |")
    print("|---|---:|---:|---:|---:|")
    for c in field_:
        rate = statistics.median(c.rates)
        cpu = statistics.median(c.cpu_us)
        print(f"| {c.name} | {rate:,.0f} | {cpu:.2f} | {rate / base:.1f} | {rate / bare:.0%} |")


if __name__ == "__main__":
    main()
