"""``glomers fuzz``: one simulated test per seed, on every core, reporting the failures.

    glomers fuzz -w g-counter --seeds 1000 --nemesis partition,kill

It takes the flags of ``glomers test`` that shape a run (the runs are always in
simulation mode; flags about one run's output are refused) plus ``--seeds N``
(seeds 1..N, or from ``--first-seed``/``--seed`` on) and ``--jobs``. Each seed
that is not valid is printed once, at the end, with the exact command that
replays it. Ctrl-C, once or many times, stops at once and reports what was
found so far.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing.process
import os
import signal
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from glomers.bench import params
from glomers.bench.pages.explain import failure, schedule_decided
from glomers.bench.sim import NotSimulable, default_builder, load_builder, run_simulation
from glomers.bench.usage import Parser
from glomers.bench.words import counted

#: Why flags of ``glomers test`` mean nothing here: fuzz runs only in
#: simulation, writes no run folders and shows nothing of a single run.
_WHY = {
    "sim": "glomers fuzz always runs in simulation mode",
    "store": "glomers fuzz writes no run folders",
    "no_pages": "glomers fuzz writes no pages",
    "log_stderr": "glomers fuzz shows no node logs",
    "log_net_send": "glomers fuzz logs no messages",
    "log_net_recv": "glomers fuzz logs no messages",
}


def refused() -> list[params.Param]:
    """The parameters fuzz refuses: the mode, and what is written or shown of one run."""
    return [p for p in params.PARAMS if p.scope == "output" or p.name == "sim"]


def fuzz_parser(*, defaults: bool = True) -> argparse.ArgumentParser:
    """The flags of ``glomers fuzz``; without ``defaults``, a flag not given is
    absent from the parsed namespace."""
    parser = Parser(
        prog="glomers fuzz",
        description="Run one simulated test per seed on every core and report failing seeds.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    params.add_arguments(
        parser,
        # Refused ones are kept only to be refused with a reason.
        hidden=[*(p.name for p in refused()), "args"],
        helps={"seed": "the first seed (the same as --first-seed)"},
        defaults=defaults,
    )
    parser.add_argument("--seeds", type=int, default=100, help="how many seeds to run (>= 1)")
    parser.add_argument("--first-seed", type=int, default=None, help="the first seed (default 1)")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes at once (>= 1)"
    )
    return parser


class _Refused(Exception):
    """A flag or value ``glomers fuzz`` does not take."""


def _check(args: argparse.Namespace) -> None:
    """Refuse what fuzz would otherwise ignore; ``--seed`` becomes the first seed."""
    for p in refused():
        if getattr(args, p.name) is not None:
            see = "" if p.name == "sim" else " (replay a seed with glomers test to see one run)"
            why = _WHY.get(p.name, "glomers fuzz shows nothing of a single run")
            raise _Refused(f"{p.flag} is not taken: {why}{see}")
    if args.args:
        raise _Refused(
            f"arguments for the node ({' '.join(args.args)}) are not taken: build the node "
            "with them in the function --bin names"
        )
    if args.seeds < 1:
        raise _Refused(f"--seeds must be at least 1, not {args.seeds}")
    if args.jobs < 1:
        raise _Refused(f"--jobs must be at least 1, not {args.jobs}")
    if args.seed is not None and args.first_seed is not None and args.seed != args.first_seed:
        raise _Refused("--seed and --first-seed both give the first seed: give one")
    first = args.first_seed if args.first_seed is not None else args.seed
    args.first_seed = 1 if first is None else first
    args.seed = None


def _quiet_worker() -> None:
    # Ctrl-C is the parent's to handle: workers just stop when told to.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What nodes and runs log belongs to one run (glomers test shows it); fuzz
    # reports seeds, and a thousand runs' warnings would bury them.
    logging.disable(logging.CRITICAL)


#: What a failing seed's line says when no node program could have passed it.
UNPASSABLE = "no node could pass"


def run_one(args: argparse.Namespace, spec: str, seed: int) -> tuple[int, Any, str]:
    """One simulated run: ``(seed, valid, why)``; ``valid`` is ``UNPASSABLE``
    (a run still invalid, as Maelstrom would judge it) when the faults alone
    decided it (``explain.schedule_decided``)."""
    opts = params.build_options({**vars(args), "seed": seed})
    try:
        results = run_simulation(opts, load_builder(spec)).results
    except Exception as exc:  # a failing seed to report, not a reason to stop the others
        return seed, "crashed", f"{type(exc).__name__}: {exc}"
    if results["valid"] is True:
        return seed, True, ""
    valid = UNPASSABLE if schedule_decided(results) else results["valid"]
    return seed, valid, failure(results)


def replay_command(argv: list[str], seed: int) -> str:
    """The ``glomers test --sim`` command that replays ``seed`` of ``glomers fuzz argv``:
    the flags of the run given in ``argv``, not fuzz's own."""
    given = vars(fuzz_parser(defaults=False).parse_intermixed_args(argv))
    return params.replay_command({**given, "seed": seed}, first=["--sim"])


def fuzz(argv: list[str]) -> int:
    parser = fuzz_parser()
    args = parser.parse_intermixed_args(argv)
    params.check_values(parser, args)
    try:
        _check(args)
    except _Refused as exc:
        print(f"glomers fuzz: {exc}", file=sys.stderr)
        return 254
    args.sim = True
    try:
        spec = args.bin or default_builder(args.workload)
        load_builder(spec)
    except NotSimulable as exc:
        print(f"glomers fuzz: {exc}", file=sys.stderr)
        return 254
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    failures: list[tuple[int, Any, str]] = []
    done = 0
    # Ctrl-C only raises a flag that the loop below polls: an exception could
    # land in the middle of the clean-up, and a second or third Ctrl-C (a
    # terminal, `timeout -s INT`) would then leave the workers running.
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    plain = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    progress = Progress(
        TextColumn("fuzz"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failing: {task.fields[bad]}"),
        TimeElapsedColumn(),
        disable=plain,
    )
    pool = ProcessPoolExecutor(max_workers=args.jobs, initializer=_quiet_worker)
    try:
        with progress:
            task = progress.add_task("fuzz", total=len(seeds), bad=0)
            pending: set[Future[tuple[int, Any, str]]] = set()
            queue = iter(seeds)
            for seed in queue:
                pending.add(pool.submit(run_one, args, spec, seed))
                if len(pending) >= 4 * args.jobs:
                    break
            if plain:
                jobs = counted(args.jobs, "process", "processes")
                print(f"fuzzing {counted(len(seeds), 'seed')} on {jobs}", file=sys.stderr)
            while pending and not stop.is_set():
                finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                for fut in finished:
                    seed, valid, why = fut.result()
                    done += 1
                    if valid is not True:
                        failures.append((seed, valid, why))
                    progress.update(task, advance=1, bad=len(failures))
                    if plain and done % 50 == 0:
                        line = f"{done}/{counted(len(seeds), 'seed')}, {len(failures)} failing"
                        print(line, file=sys.stderr)
                    next_seed = next(queue, None)
                    if next_seed is not None:
                        pending.add(pool.submit(run_one, args, spec, next_seed))
    finally:
        failing = sys.exc_info()[0] is not None
        if stop.is_set() or failing:
            _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        if failing:
            signal.signal(signal.SIGINT, previous)
    try:
        # Still only a flag: more Ctrl-C while the findings print must not cut them.
        interrupted = stop.is_set()
        stopped = " (interrupted)" if interrupted else ""
        unpassable = sum(valid == UNPASSABLE for _, valid, _ in failures)
        of_them = f" ({unpassable} of them no node could pass)" if unpassable else ""
        print(f"{done} of {counted(len(seeds), 'seed')} run{stopped}; "
              f"{len(failures)} failing{of_them}")  # fmt: skip
        for seed, valid, why in sorted(failures):
            print(f"seed {seed} ({valid}): {why}")
            print(f"  replay: {replay_command(argv, seed)}")
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        return 130
    return 1 if failures else 0


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's workers now, in the middle of their runs."""
    # The executor has no public way to do this before Python 3.14.
    workers: dict[int, multiprocessing.process.BaseProcess] = getattr(pool, "_processes", {})
    for process in list(workers.values()):
        process.terminate()
    for process in list(workers.values()):
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join()
