"""A simulated run is a pure function of its flags and seed, and stays the same one.

Each run below is reduced to one hash of its network journal (every send and
receive, with its time) and its history. The hashes were first recorded before
the simulation's loop was made faster, and recorded anew when the project's
counter changed how it resends (hedged copies to seq-kv) and what its values
carry (a timestamp in the tag, a stamp at start); a change that reorders anything the simulation
does, even two callbacks due at the same instant, changes them. Record them
anew only for a change meant to alter runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from glomers.bench import params
from glomers.bench.cli import parse_test_args
from glomers.bench.sim import SimLoop, default_builder, load_builder, run_simulation

RUNS = {
    "standard": (
        "-w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition --seed 1",
        "fad890ff9543696151dd7580b420f70b2fa08354290195004da03a321eeafe1c",
    ),
    "every fault": (
        "-w g-counter --node-count 3 --rate 100 --time-limit 10 "
        "--nemesis partition,kill,pause,loss,slow --nemesis-interval 1 --seed 4",
        "7db9a4e6f11c73ff4bca089fbc7fe7c76976f01cddd560467c562ad4dfcd7257",
    ),
    "10 nodes, exponential latency": (
        "-w g-counter --node-count 10 --rate 300 --time-limit 5 --latency 50 "
        "--latency-dist exponential --nemesis partition --nemesis-interval 2 "
        "--concurrency 2n --seed 7",
        "ef4daed7905064a9fcd25367435f318054a635541442813ea33e27d57ae3c18f",
    ),
    "pn-counter, pause and kill": (
        "-w pn-counter --node-count 3 --rate 100 --time-limit 8 --latency 10 "
        "--nemesis pause,kill --nemesis-interval 1 --seed 9",
        "b14ac6c316a77fbfb3896908ac4181eeff7b5153858583e125019da468dd1443",
    ),
}


ROOT = Path(__file__).resolve().parents[2]


def run_hash(flags: str) -> str:
    args = parse_test_args(["--sim", *flags.split(), "--no-pages"])
    opts = params.build_options(vars(args))
    encode = msgspec.json.Encoder().encode
    digest = hashlib.sha256()

    def journal(event: str, time: float, msg_id: int, message: Any) -> None:
        digest.update(encode([event, time, msg_id, message]))

    outcome = run_simulation(opts, load_builder(default_builder(opts.workload)), journal)
    for op in outcome.history:
        digest.update(encode(op.to_json()))
    return digest.hexdigest()


@pytest.mark.parametrize("name", list(RUNS))
def test_a_seed_replays_the_run_it_always_gave(name: str) -> None:
    flags, recorded = RUNS[name]
    assert run_hash(flags) == recorded


@pytest.mark.parametrize("workload", ["broadcast", "g-set"])
def test_a_seed_gives_the_same_run_whatever_python_s_hash_seed(workload: str) -> None:
    # String hashes, and so the order of sets, change from process to process:
    # nothing in the bench or the project's nodes may follow them.
    flags = f"-w {workload} --node-count 5 --time-limit 10 --rate 10 --nemesis partition --seed 3"
    code = f"from tests.bench.test_sim_replay import run_hash; print(run_hash({flags!r}))"
    hashes = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed}, cwd=ROOT,
        ).stdout
        for seed in ("1", "2")
    }  # fmt: skip
    assert len(hashes) == 1, hashes


def test_the_loop_makes_no_pass_that_runs_nothing_before_moving_time() -> None:
    loop = SimLoop(start=0.0, noop_cycles=0)
    passes = 0
    run_once = loop._run_once  # type: ignore[attr-defined]

    def counted() -> None:
        nonlocal passes
        passes += 1
        run_once()

    loop._run_once = counted  # type: ignore[attr-defined]

    async def sleeps() -> None:
        for _ in range(100):
            await asyncio.sleep(1.0)

    try:
        loop.run_until_complete(sleeps())
    finally:
        loop.close()
    assert loop.time() == pytest.approx(100.0)
    # Each sleep: the pass that sets its timer, and the one that wakes the task
    # (plus a few to start and stop); a pass in between would make it 300.
    assert passes <= 205
