"""``glomers fuzz``: one simulated test per seed, on every core, reporting the failures.

    glomers fuzz -w g-counter --seeds 1000 --nemesis partition,kill

It takes every flag of ``glomers test`` (the runs are always in simulation
mode) plus ``--seeds N`` (seeds 1..N, or ``--first-seed`` on) and ``--jobs``.
Each seed that is not valid is printed with the exact command that replays it.
Ctrl-C stops at once and reports what was found so far.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from glomers.bench.cli import build_options, check_test_args, test_parser
from glomers.bench.sim import DEFAULT_BUILDERS, NotSimulable, load_builder, run_simulation


def fuzz_parser() -> argparse.ArgumentParser:
    parser = test_parser()
    parser.prog = "glomers fuzz"
    parser.description = "Run one simulated test per seed on every core and report failing seeds."
    parser.add_argument("--seeds", type=int, default=100, help="how many seeds to run")
    parser.add_argument("--first-seed", type=int, default=1, help="the first seed")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes at once")
    return parser


def _quiet_worker() -> None:
    # Ctrl-C is the parent's to handle: workers just stop when told to.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_one(args: argparse.Namespace, spec: str, seed: int) -> tuple[int, Any, str]:
    """One simulated run: ``(seed, valid, why)``."""
    opts = build_options(argparse.Namespace(**{**vars(args), "seed": seed}))
    try:
        results = run_simulation(opts, load_builder(spec)).results
    except Exception as exc:  # a failing seed to report, not a reason to stop the others
        return seed, "crashed", f"{type(exc).__name__}: {exc}"
    why = ""
    if results["valid"] is not True:
        if results.get("error"):
            why = str(results["error"]).splitlines()[0]
        else:
            bad = [k for k, v in results.items() if isinstance(v, dict) and v.get("valid") is False]
            details = (results.get("workload") or {}).get("error_details") or []
            why = "; ".join(
                [f"{k} invalid" for k in bad] + [str(d.get("reason")) for d in details[:2]]
            )
    return seed, results["valid"], why


def replay_command(argv: list[str], seed: int) -> str:
    """The ``glomers test --sim`` command that replays ``seed`` of this fuzz run."""
    kept: list[str] = []
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in ("--seeds", "--first-seed", "--jobs", "--seed"):
            skip = True
            continue
        if word.split("=")[0] in ("--seeds", "--first-seed", "--jobs", "--seed"):
            continue
        kept.append(word)
    sim = [] if "--sim" in kept else ["--sim"]
    return shlex.join(["glomers", "test", *sim, *kept, "--seed", str(seed)])


def fuzz(argv: list[str]) -> int:
    parser = fuzz_parser()
    args = parser.parse_intermixed_args(argv)
    check_test_args(parser, args)
    args.sim = True
    spec = args.bin or DEFAULT_BUILDERS[args.workload]
    try:
        load_builder(spec)
    except NotSimulable as exc:
        print(f"glomers fuzz: {exc}", file=sys.stderr)
        return 254
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    failures: list[tuple[int, Any, str]] = []
    done = 0
    interrupted = False
    plain = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    progress = Progress(
        TextColumn("fuzz"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failing: {task.fields[bad]}"),
        TimeElapsedColumn(),
        disable=plain,
    )
    pool = ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=_quiet_worker)
    try:
        with progress:
            task = progress.add_task("fuzz", total=len(seeds), bad=0)
            pending: set[Future[tuple[int, Any, str]]] = set()
            queue = iter(seeds)
            for seed in queue:
                pending.add(pool.submit(run_one, args, spec, seed))
                if len(pending) >= 4 * max(1, args.jobs):
                    break
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    seed, valid, why = fut.result()
                    done += 1
                    if valid is not True:
                        failures.append((seed, valid, why))
                        print(f"seed {seed}: valid={valid}: {why}", file=sys.stderr)
                    progress.update(task, advance=1, bad=len(failures))
                    if plain and done % 50 == 0:
                        line = f"{done}/{len(seeds)} seeds, {len(failures)} failing"
                        print(line, file=sys.stderr)
                    next_seed = next(queue, None)
                    if next_seed is not None:
                        pending.add(pool.submit(run_one, args, spec, next_seed))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
    stopped = " (interrupted)" if interrupted else ""
    print(f"{done} of {len(seeds)} seeds run{stopped}; {len(failures)} failing")
    for seed, valid, why in sorted(failures):
        print(f"seed {seed} ({valid}): {why}")
        print(f"  replay: {replay_command(argv, seed)}")
    if interrupted:
        return 130
    return 1 if failures else 0
