"""A simulated run is a pure function of its flags and seed, and stays the same one.

Each run below is reduced to one hash of its network journal (every send and
receive, with its time) and its history. The hashes were first recorded before
the simulation's loop was made faster, and recorded anew when the project's
counter changed how it resends (hedged copies to seq-kv) and what its values
carry (a timestamp in the tag); a change that reorders anything the simulation
does, even two callbacks due at the same instant, changes them. Record them
anew only for a change meant to alter runs.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import msgspec
import pytest

from glomers.bench import params
from glomers.bench.cli import parse_test_args
from glomers.bench.sim import SimLoop, default_builder, load_builder, run_simulation

RUNS = {
    "standard": (
        "-w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition --seed 1",
        "ca65c22c7bad17bdee673ce16bb3553d13c17c44e7ef9c59d682addb326ea551",
    ),
    "every fault": (
        "-w g-counter --node-count 3 --rate 100 --time-limit 10 "
        "--nemesis partition,kill,pause,loss,slow --nemesis-interval 1 --seed 4",
        "0faf9d43d7a15a2cb263536cb5a45de11d8450fa50a00d848e397b8bd40c70bd",
    ),
    "10 nodes, exponential latency": (
        "-w g-counter --node-count 10 --rate 300 --time-limit 5 --latency 50 "
        "--latency-dist exponential --nemesis partition --nemesis-interval 2 "
        "--concurrency 2n --seed 7",
        "df728e73e6e0f9d46700d36b7485f57d74d9d7caa2493b5033e3cf9791f91142",
    ),
    "pn-counter, pause and kill": (
        "-w pn-counter --node-count 3 --rate 100 --time-limit 8 --latency 10 "
        "--nemesis pause,kill --nemesis-interval 1 --seed 9",
        "e91fd86d0aa49f5eb86a5dd4c9ce2dc24ab38383c8949b72dd04f9aa1f12e6ef",
    ),
}


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
