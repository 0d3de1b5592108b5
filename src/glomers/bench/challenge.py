"""``glomers challenge``: a Gossip Glomers challenge's tests over seeds, against its targets.

    glomers challenge 4 --bin ./my_counter --seeds 3
    glomers challenge 3d --bin ./my_broadcast --seed 7
    glomers challenge --list

Each challenge (``bench.challenges``) names a workload, the flags of its
``maelstrom test`` command and the targets a run must meet. For each seed the
command runs every one of the challenge's tests exactly as ``glomers test``
would (the same parser, the same run, the same store and summary), then reads
each target's figure from the results. Last come the figures per target and
seed, and the ``glomers test`` command that replays each run that fell short.

Exit status: 0 when every target was met on every seed, 1 when one was
missed, 255 when none was missed but one could not be judged (a run that
crashed, a figure missing), 254 for usage errors, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glomers.bench import challenges, cli, params
from glomers.bench.challenges import Challenge, Check, Run, evaluate
from glomers.bench.core import Outcome
from glomers.bench.pages.explain import failure
from glomers.bench.process import kill_all
from glomers.bench.usage import EXIT_BAD_ARGS, EXIT_ERROR, EXIT_INVALID, EXIT_VALID, Parser
from glomers.bench.words import counted
from glomers.bench.workloads import registry

log = logging.getLogger("glomers.bench")

#: The parameters of ``glomers test`` a challenge takes: how the nodes run and
#: where results go. The challenge sets every other one.
TAKEN = ("bin", "sim", "seed", "store", "no_pages", "log_stderr")


def challenge_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="glomers challenge",
        description="Run a Gossip Glomers challenge's tests (its own flags) over seeds, "
        "as glomers test runs them, and check each of its targets.",
        epilog="Arguments for the node program go after --.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="the challenge: " + ", ".join(c.name for c in challenges.CHALLENGES),
    )
    parser.add_argument(
        "--list", action="store_true", help="show each challenge, its tests and its targets"
    )
    parser.add_argument(
        "--seeds", type=int, default=1, metavar="N", help="how many seeds to run (>= 1)"
    )
    declared = params.by_name()
    params.add_arguments(
        parser,
        [declared[name] for name in TAKEN],
        helps={"seed": "the first seed, then the next ones; without it, fresh ones, printed"},
    )
    return parser


# -- --list ------------------------------------------------------------------------------


def test_command(challenge: Challenge, run: Run) -> str:
    """The ``glomers test`` command of one of a challenge's tests, without its node."""
    return f"glomers test -w {challenge.workload} {run.flags}"


def targets_text(run: Run) -> str:
    return "; ".join(f"{t.label} {t.text}" for t in run.targets)


def available(challenge: Challenge) -> bool:
    """Whether this version of the bench has the challenge's workload."""
    return challenge.workload in registry.names()


def listing() -> str:
    """Every challenge: its tests, what each checks, and where its flags come from."""
    lines = ["glomers challenge NAME [--bin NODE] [--seeds N] [--seed S] [--sim]", ""]
    for c in challenges.CHALLENGES:
        lines.append(f"{c.name:<4}{c.title}")
        if not available(c):
            lines.append(f"    not available yet: this version has no {c.workload} workload")
        for i, run in enumerate(c.runs):
            then = "then " if i else ""
            label = f" ({run.label})" if run.label else ""
            lines.append(f"    {then}{test_command(c, run)}{label}")
            lines.append(f"      checks: {targets_text(run)}")
        lines.append(f"    source: {c.source}")
        if c.unconfirmed:
            lines.append(
                f"    unconfirmed: {c.unconfirmed} (not stated on the challenge's page; "
                "public solutions agree on them)"
            )
        if c.note:
            lines.append(f"    note: {c.note}")
    return "\n".join(lines)


# -- running -----------------------------------------------------------------------------


@dataclass
class RunResult:
    """One of a challenge's tests on one seed: its command, results and checks."""

    seed: int
    run: Run
    args: argparse.Namespace
    results: dict[str, Any] | None = None
    folder: Path | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def replay(self) -> str:
        return params.replay_command(vars(self.args))

    def verdicts(self) -> set[str]:
        return {c.verdict for c in self.checks}


def test_args(
    challenge: Challenge, run: Run, given: argparse.Namespace, seed: int
) -> argparse.Namespace:
    """The ``glomers test`` arguments of ``run`` on ``seed``, with the node and
    output flags the challenge was given, parsed as ``glomers test`` parses them."""
    declared = params.by_name()
    taken = [declared[name] for name in TAKEN if name != "seed"]
    argv = ["-w", challenge.workload, *run.flags.split()]
    argv += params.flag_words(vars(given), taken)
    argv += ["--seed", str(seed), "--", *given.args]
    return cli.parse_test_args(argv)


def run_one(args: argparse.Namespace) -> tuple[dict[str, Any] | None, Path | None, int]:
    """One test, as ``glomers test`` runs it: ``(results, folder, exit status)``;
    no results when it did not get as far as recording any."""
    recorded: list[tuple[Outcome, Path]] = []

    def keep(outcome: Outcome, folder: Path) -> None:
        recorded.append((outcome, folder))

    try:
        # asyncio's own loop, as glomers test: uvloop's clock is too coarse.
        code = cli.run_sim(args, keep) if args.sim else asyncio.run(cli.run_test(args, keep))
    except KeyboardInterrupt:
        raise
    except Exception:
        log.exception("the bench itself failed; the run cannot be analysed")
        kill_all()
        code = EXIT_ERROR
    if not recorded:
        return None, None, code
    outcome, folder = recorded[0]
    return outcome.results, folder, code


def fresh_seeds(count: int, first: int | None) -> list[int]:
    if first is not None:
        return list(range(first, first + count))
    return [secrets.randbits(48) for _ in range(count)]


# -- the report --------------------------------------------------------------------------

_MARK = {"pass": "pass", "fail": "FAIL", "unknown": "unknown"}


def check_line(check: Check) -> str:
    return f"{check.shown} (target {check.target.text}): {_MARK[check.verdict]}"


def why_line(done: RunResult) -> str:
    """What fell short in one run, in one line."""
    parts = []
    for check in done.checks:
        if check.verdict == "pass":
            continue
        text = f"{check.target.label} {check_line(check)}"
        if check.target.figure == "valid" and done.results is not None:
            reason = failure(done.results)
            text += f" -- {reason}" if reason else ""
        if done.results is None:
            text += " -- the run produced no results"
        parts.append(text)
    return "; ".join(parts)


def report(challenge: Challenge, done: list[RunResult], seeds: list[int]) -> list[str]:
    """Per test and target, each seed's figure and verdict; then what fell short."""
    lines = [
        "",
        f"== challenge {challenge.name} ({challenge.title}): {counted(len(seeds), 'seed')}",
    ]
    for index, run in enumerate(challenge.runs):
        of_run = [d for d in done if d.run is run]
        label = f": {run.label}" if run.label else ""
        if len(challenge.runs) > 1:
            lines.append(f"test {index + 1}{label}")
        for t_index, target in enumerate(run.targets):
            lines.append(f"  {target.label} (target {target.text})")
            for d in of_run:
                check = d.checks[t_index]
                lines.append(f"    seed {d.seed}: {check.shown}  {_MARK[check.verdict]}")
    short = [d for d in done if d.verdicts() != {"pass"}]
    if short:
        lines.append("")
    for d in short:
        label = f" ({d.run.label})" if d.run.label else ""
        lines.append(f"seed {d.seed}{label}: {why_line(d)}")
        lines.append(f"  replay: {d.replay}")
        if d.folder is not None:
            lines.append(f"  results: {d.folder}")
    return lines


def verdict(challenge: Challenge, done: list[RunResult], seeds: list[int]) -> tuple[str, int]:
    """The last line and the exit status."""
    failed = sorted({d.seed for d in done if "fail" in d.verdicts()}, key=seeds.index)
    unknown = sorted({d.seed for d in done if "unknown" in d.verdicts()}, key=seeds.index)
    every = counted(len(seeds), "seed")
    if failed:
        return (
            f"Challenge {challenge.name} FAILED: a target was missed on {len(failed)} of "
            f"{every} (seed {', '.join(map(str, failed))}).",
            EXIT_INVALID,
        )
    if unknown:
        return (
            f"Challenge {challenge.name}: no target missed, but some could not be judged on "
            f"{len(unknown)} of {every} (seed {', '.join(map(str, unknown))}).",
            EXIT_ERROR,
        )
    return f"Challenge {challenge.name} passed: every target met on {every}.", EXIT_VALID


# -- the command -------------------------------------------------------------------------


def _refuse(message: str) -> int:
    print(f"glomers challenge: {message}", file=sys.stderr)
    return EXIT_BAD_ARGS


def challenge(argv: list[str]) -> int:
    tail: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, tail = argv[:cut], argv[cut + 1 :]
    parser = challenge_parser()
    given = parser.parse_args(argv)
    given.args = tail
    if given.list:
        print(listing())
        return EXIT_VALID
    if given.name is None:
        parser.error("name a challenge (glomers challenge --list shows them)")
    found = challenges.by_name().get(given.name.lower())
    if found is None:
        names = ", ".join(c.name for c in challenges.CHALLENGES)
        parser.error(f"no challenge {given.name!r}; choose one of {names}")
    if given.seeds < 1:
        parser.error(f"--seeds must be at least 1, not {given.seeds}")
    if not available(found):
        return _refuse(
            f"challenge {found.name} ({found.title}): workload not available yet: this "
            f"version of the bench has no {found.workload} workload"
        )
    if given.bin is None and registry.entry(found.workload).node is None:
        return _refuse(f"challenge {found.name}: the {found.workload} workload has no node of "
                       "its own; give --bin")  # fmt: skip
    return run_challenge(found, given)


def run_challenge(found: Challenge, given: argparse.Namespace) -> int:
    """Every test of ``found`` on every seed, then the report; the exit status."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    seeds = fresh_seeds(given.seeds, given.seed)
    print(f"challenge {found.name} ({found.title}): seeds {', '.join(map(str, seeds))}")
    done: list[RunResult] = []
    interrupted = False
    try:
        for seed in seeds:
            for run in found.runs:
                one = RunResult(seed, run, test_args(found, run, given, seed))
                label = f" ({run.label})" if run.label else ""
                print(f"\n-- challenge {found.name}, seed {seed}{label}: {one.replay}", flush=True)
                one.results, one.folder, code = run_one(one.args)
                if one.results is None and code == EXIT_BAD_ARGS:
                    return code  # refused before it ran: every other run would be too
                one.checks = [evaluate(t, one.results) for t in run.targets]
                done.append(one)
                for check in one.checks:
                    print(f"{check.target.label}: {check_line(check)}")
    except KeyboardInterrupt:
        kill_all()
        interrupted = True
    ran = sorted({d.seed for d in done}, key=seeds.index)
    print("\n".join(report(found, done, ran)))
    if interrupted:
        print(f"Interrupted after {counted(len(done), 'test')}.")
        return 130
    last, code = verdict(found, done, seeds)
    print(last)
    return code
