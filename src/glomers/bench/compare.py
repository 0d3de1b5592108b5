"""``glomers compare``: one node program under ``glomers test`` and under Maelstrom.

    glomers compare --maelstrom ../maelstrom/maelstrom --seeds 5 \\
        -w g-counter --node-count 3 --rate 50 --time-limit 10 --nemesis partition

It takes the flags of ``glomers test`` that Maelstrom also has, runs each seed
once under each bench (real processes), and prints the figures side by side
(``compare_figures``), then whether the verdicts agree. Exit status: 0 when
they agree, 1 when they do not, 254 for bad arguments, 255 when a bench could
not be run at all.

Maelstrom draws its own randomness: ``--seed`` fixes glomers' runs only, and
each Maelstrom run is an independent draw of the same test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table

from glomers.bench import compare_figures as cf
from glomers.bench import maelstrom_results, params
from glomers.bench.cli import parse_test_args
from glomers.bench.faults import FAULTS, LATER, MAELSTROM
from glomers.bench.history import Op
from glomers.bench.store import read_history
from glomers.bench.usage import Parser
from glomers.bench.workloads.registry import entry

EXIT_AGREE, EXIT_DISAGREE, EXIT_ARGS, EXIT_NO_BENCH = 0, 1, 254, 255

#: Nemesis faults the Maelstrom build at hand knows. Release 0.2.4 (the one
#: shipped with the project's fidelity notes) has only partitions; kill and
#: pause came later, so asking for them would only make Maelstrom refuse.
MAELSTROM_FAULTS = tuple(name for name, f in FAULTS.items() if f.maelstrom == MAELSTROM)

#: Seconds a child gets to stop after SIGINT before SIGKILL.
_GRACE = 10.0


class Refused(Exception):
    """A flag combination Maelstrom cannot run: exit 254 with this message."""


#: Parameters Maelstrom lacks that compare gives a meaning of its own, with their help.
_OWN = {"seed": "the seed of glomers' first run, one more for each next run (Maelstrom "
        "draws its own)"}  # fmt: skip


def refused() -> list[params.Param]:
    """The parameters of glomers test that compare refuses: those Maelstrom lacks."""
    return [p for p in params.PARAMS if not p.maelstrom and p.name not in _OWN]


def compare_parser() -> argparse.ArgumentParser:
    flags = ", ".join(
        p.flag
        if p.switch or p.as_maelstrom is params.UNSET
        else f"{p.flag} other than {params.flag_text(p.as_maelstrom)}"
        for p in refused()
    )
    parser = Parser(
        prog="glomers compare",
        description="Run the same node program under glomers test and under Maelstrom, seed "
        "by seed, and compare verdicts and figures side by side.",
        epilog=f"It takes the flags of glomers test that Maelstrom has; it refuses {flags}.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    params.add_arguments(parser, hidden=[p.name for p in refused()], helps=_OWN)
    parser.add_argument(
        "--maelstrom",
        metavar="PATH",
        default=os.environ.get("MAELSTROM"),
        help="Maelstrom's jar or launcher; the default comes from $MAELSTROM",
    )
    parser.add_argument("--seeds", type=params.positive(int), default=1, help="runs per bench")
    parser.add_argument(
        "--jobs",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: run a seed's two benches at the same time",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every figure as JSON")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="work here and keep it; without it, a temp dir"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="with --keep: read the runs an earlier compare finished in DIR instead of "
        "running them again (a long comparison can be stopped and continued)",
    )
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The flags, checked against what Maelstrom accepts (``Refused`` otherwise)."""
    args = parse_test_args(argv, compare_parser())
    for p in refused():
        # Hidden flags parse to None when not given.
        value = getattr(args, p.name)
        if value is not None and (p.as_maelstrom is params.UNSET or value != p.as_maelstrom):
            raise Refused(f"{p.flag}: {p.unlike_maelstrom}")
        setattr(args, p.name, None if p.as_maelstrom is params.UNSET else p.as_maelstrom)
    later = [f for f in args.nemesis if f in FAULTS and FAULTS[f].maelstrom == LATER]
    if later:
        missing = " or ".join(n for n, f in FAULTS.items() if f.maelstrom == LATER)
        raise Refused(
            f"--nemesis {','.join(later)}: this Maelstrom build ({MAELSTROM}) has no {missing} "
            f"fault, only {', '.join(MAELSTROM_FAULTS)}"
        )
    other = [f for f in args.nemesis if f not in MAELSTROM_FAULTS]
    if other:
        raise Refused(f"--nemesis {','.join(other)}: Maelstrom has no such fault")
    if args.time_limit != int(args.time_limit):
        raise Refused(f"--time-limit {args.time_limit:g}: Maelstrom takes whole seconds")
    if args.latency != int(args.latency):
        raise Refused(f"--latency {args.latency:g}: Maelstrom takes whole milliseconds")
    if args.resume and args.keep is None:
        raise Refused("--resume needs --keep DIR: the folder of the runs to continue")
    if not args.maelstrom:
        raise Refused("needs Maelstrom: --maelstrom PATH or MAELSTROM=PATH (its jar or launcher)")
    if not Path(args.maelstrom).is_file():
        raise Refused(f"--maelstrom {args.maelstrom}: no such file")
    if args.bin is None and entry(args.workload).node is None:
        raise Refused(f"-w {args.workload}: the workload has no node of its own; give --bin")
    if args.bin is not None:
        if not Path(args.bin).is_file():
            raise Refused(f"--bin {args.bin}: no such file (Maelstrom needs a path)")
        args.bin = str(Path(args.bin).resolve())
    return args


def maelstrom_launcher(path: str) -> list[str]:
    """How to start Maelstrom from its jar or its launcher."""
    full = str(Path(path).resolve())
    return ["java", "-jar", full] if full.endswith(".jar") else [full]


def write_wrapper(workdir: Path, args: argparse.Namespace) -> str:
    """The node program both benches run: ``--bin``, or a script starting the
    project's default node with this very interpreter."""
    if args.bin is not None:
        return str(args.bin)
    node = entry(args.workload).node
    assert node is not None, "checked with the flags"
    script = workdir / "node.sh"
    script.write_text(
        f'#!/bin/sh\nexec {shlex.join(node.argv(sys.executable))} "$@"\n', encoding="utf-8"
    )
    script.chmod(0o755)
    return str(script)


def _shared_flags(args: argparse.Namespace, node: str) -> list[str]:
    """The test flags Maelstrom has, spelled so that both benches read them the
    same, and given even at their defaults, which the two benches may not share."""
    maelstrom = [p for p in params.PARAMS if p.maelstrom]
    return params.flag_words({**vars(args), "bin": node}, maelstrom)


def glomers_argv(args: argparse.Namespace, node: str, seed: int, store: Path) -> list[str]:
    head = [sys.executable, "-m", "glomers.bench.cli", "test", *_shared_flags(args, node)]
    tail = ["--seed", str(seed), "--store", str(store), "--no-pages"]
    return [*head, *tail, "--", *args.args]


def maelstrom_argv(args: argparse.Namespace, node: str) -> list[str]:
    extra = ["--", *args.args] if args.args else []
    return [*maelstrom_launcher(args.maelstrom), "test", *_shared_flags(args, node), *extra]


@dataclass
class Run:
    """One bench's run of one seed."""

    bench: str
    argv: list[str]
    cwd: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    exit_code: int | None = None
    seconds: float = 0.0
    started: float = 0.0
    note: str = ""
    #: Whether the bench wrote results (a crash may leave none).
    found: bool = False
    figures: dict[str, Any] = field(default_factory=dict)

    def tail(self, lines: int = 12) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])


class Children:
    """The child benches. Each runs in its own process group, so Ctrl-C reaches
    compare alone and compare stops each child as a whole: SIGINT first (glomers
    test then kills its nodes, which live in groups of their own; the JVM's
    nodes share its group), SIGKILL after a grace period."""

    def __init__(self) -> None:
        self.live: list[Run] = []

    def start(self, run: Run) -> None:
        run.cwd.mkdir(parents=True, exist_ok=True)
        with run.log.open("wb") as log:
            run.proc = subprocess.Popen(
                run.argv,
                cwd=run.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        run.started = time.monotonic()
        self.live.append(run)

    def wait(self, run: Run, timeout: float) -> None:
        assert run.proc is not None
        try:
            run.exit_code = run.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            run.note = f"timed out after {timeout:.0f} s"
            self.stop(run)
            run.exit_code = run.proc.returncode
        run.seconds = time.monotonic() - run.started
        with contextlib.suppress(ValueError):
            self.live.remove(run)

    def stop(self, run: Run) -> None:
        proc = run.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=_GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for run in list(self.live):
            self.stop(run)
        self.live.clear()


def _run_timeout(args: argparse.Namespace) -> float:
    # Generous: JVM start, the 10 s recovery, analysis, and a loaded machine.
    return 3 * float(args.time_limit) + 300.0


def run_seed(
    children: Children, args: argparse.Namespace, node: str, workdir: Path, index: int, seed: int
) -> tuple[Run, Run]:
    """Both benches on one seed, one after the other or (``--jobs 2``) together."""
    store = workdir / "glomers"
    ours = Run("glomers", glomers_argv(args, node, seed, store), workdir,
               workdir / f"glomers-{index}.log")  # fmt: skip
    mcwd = workdir / f"maelstrom-{index}"
    theirs = Run("maelstrom", maelstrom_argv(args, node), mcwd, workdir / f"maelstrom-{index}.log")
    stores = {"glomers": store, "maelstrom": mcwd / "store"}
    todo = [run for run in (ours, theirs) if not (args.resume and _recall(run))]
    timeout = _run_timeout(args)
    before = {run.bench: _latest(stores[run.bench]) for run in todo}
    if args.jobs == 2:
        for run in todo:
            children.start(run)
        for run in todo:
            children.wait(run, timeout)
    else:
        for run in todo:
            children.start(run)
            children.wait(run, timeout)
    for run in todo:
        folder = _new_latest(stores[run.bench], before[run.bench])
        run.figures = _read(run, folder)
        _remember(run, folder)
    return ours, theirs


def _marker(run: Run) -> Path:
    return run.log.with_suffix(".done.json")


def _remember(run: Run, folder: Path | None) -> None:
    """Note a finished run beside its log, for ``--resume``."""
    done = {"exit_code": run.exit_code, "folder": str(folder) if folder else None,
            "seconds": run.seconds, "note": run.note}  # fmt: skip
    _marker(run).write_text(json.dumps(done) + "\n", encoding="utf-8")


def _recall(run: Run) -> bool:
    """Read a run an earlier compare finished (``--resume``); False if there is none."""
    try:
        done = json.loads(_marker(run).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    run.exit_code, run.seconds = done["exit_code"], done["seconds"]
    run.note = " ".join(filter(None, [done.get("note"), "(read from an earlier run)"]))
    run.figures = _read(run, Path(done["folder"]) if done["folder"] else None)
    return True


def _latest(store: Path) -> Path | None:
    latest = store / "latest"
    return latest.resolve() if latest.exists() else None


def _new_latest(store: Path, before: Path | None) -> Path | None:
    """The run folder ``store/latest`` names, if the run just made wrote it (a
    run that died early leaves the previous one there, or one from an earlier
    compare in a kept directory)."""
    after = _latest(store)
    return after if after != before else None


def _read(run: Run, folder: Path | None) -> dict[str, Any]:
    """A finished run's figures (a crash when it wrote no results)."""
    results: dict[str, Any] | None = None
    history: list[Op] = []
    try:
        if folder is not None:
            if run.bench == "glomers" and (folder / "results.json").exists():
                results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
                history = read_history(folder / "history.jsonl")
            elif run.bench == "maelstrom" and (folder / "results.edn").exists():
                results = maelstrom_results.read_results(folder / "results.edn")
                history = maelstrom_results.read_history(folder / "history.edn")
    except (ValueError, OSError, KeyError, TypeError) as exc:
        # The bench ran and wrote something compare cannot read: say so, go on.
        run.note = f"unreadable results in {folder}: {exc}"
        run.found = True
        return {"verdict": "unreadable", "exit code": run.exit_code}
    run.found = results is not None
    return cf.figures(results, history, run.exit_code)


def summary_rows(pairs: Sequence[tuple[Run, Run]]) -> list[dict[str, Any]]:
    """Each row with both benches' cells: the value (one seed) or summary (several)."""
    ours = [g.figures for g, _ in pairs]
    theirs = [m.figures for _, m in pairs]
    rows = []
    for name in cf.row_names([*ours, *theirs]):
        a = [f.get(name) for f in ours]
        b = [f.get(name) for f in theirs]
        g, m = (a[0], b[0]) if len(pairs) == 1 else (cf.summarise(a, name), cf.summarise(b, name))
        ratio = None if name == "exit code" else cf.ratio(g, m)
        interval = None if ratio is None else cf.ratio_interval(a, b)
        rows.append(
            {"row": name, "glomers": g, "maelstrom": m, "ratio": ratio, "ratio_ci95": interval}
        )
    return rows


def print_report(
    console: Console, rows: list[dict[str, Any]], agreement: dict[str, Any], seeds: int
) -> None:
    title = "one seed" if seeds == 1 else f"{seeds} seeds: counts and medians"
    table = Table(title=f"glomers vs Maelstrom ({title})")
    table.add_column("figure")
    table.add_column("glomers", justify="right")
    table.add_column("Maelstrom", justify="right")
    table.add_column("ratio", justify="right")
    intervals = any(row.get("ratio_ci95") for row in rows)
    if intervals:
        table.add_column("ratio, 95% over seeds", justify="right")
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.3g}"
        cells = [row["row"], cf.cell(row["glomers"]), cf.cell(row["maelstrom"]), ratio]
        if intervals:
            low_high = row.get("ratio_ci95")
            cells.append("" if low_high is None else f"{low_high[0]:.2f} to {low_high[1]:.2f}")
        table.add_row(*cells)
    console.print(table)
    if intervals:
        console.print(
            "ratios are of the medians over seeds; the interval is where that ratio falls "
            "95% of the time when each bench's seeds are drawn again: one that holds 1 is "
            "within the seeds' own spread"
        )
    for bench in ("glomers", "maelstrom"):
        if bench in agreement:
            part = agreement[bench]
            lo, hi = part["ci95"]
            console.print(
                f"{bench}: failure rate {part['failures']}/{seeds} = {part['rate']:.2f} "
                f"(95% Wilson interval {lo:.2f}..{hi:.2f})"
            )
    word = "AGREE" if agreement["agree"] else "DISAGREE"
    console.print(f"verdicts {word}: {agreement['how']}")


def _figures_json(run: Run) -> dict[str, Any]:
    out: dict[str, Any] = {"figures": run.figures, "seconds": round(run.seconds, 3)}
    if run.note:
        out["note"] = run.note
    if cf.verdict_class(str(run.figures.get("verdict"))) == "crashed":
        out["log_tail"] = run.tail()
    return out


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    path = Path(tempfile.mkdtemp(prefix="glomers-compare-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def compare(argv: list[str]) -> int:
    """The ``glomers compare`` command; returns its exit status."""
    try:
        args = parse_args(argv)
    except Refused as exc:
        print(f"glomers compare: {exc}", file=sys.stderr)
        return EXIT_ARGS
    except SystemExit as exc:  # argparse: --help (0) or a bad flag (2)
        return EXIT_ARGS if exc.code else 0
    first = args.seed if args.seed is not None else secrets.randbits(48)
    seeds = [first + i for i in range(args.seeds)]
    console = Console(width=None if sys.stdout.isatty() else 120)
    say = Console(stderr=True, width=None if sys.stderr.isatty() else 120)
    span = f"seed {first}" if len(seeds) == 1 else f"seeds {first}..{seeds[-1]}"
    say.print(f"glomers compare: {span} for glomers (Maelstrom takes no seed)")
    children = Children()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with _workdir(args.keep) as workdir:
            # Children stop before their working directory goes.
            try:
                pairs = _run_seeds(children, args, seeds, workdir, say)
            finally:
                children.stop_all()
            if pairs is None:
                return EXIT_NO_BENCH
            return _conclude(console, args, seeds, pairs)
    except KeyboardInterrupt:
        say.print("glomers compare: interrupted")
        return 130
    except OSError as exc:  # java or the launcher would not start
        say.print(f"glomers compare: could not run a bench: {exc}")
        return EXIT_NO_BENCH
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_seeds(
    children: Children, args: argparse.Namespace, seeds: list[int], workdir: Path, say: Console
) -> list[tuple[Run, Run]] | None:
    """Every seed's pair of runs, or None when a bench could not run the test at all."""
    node = write_wrapper(workdir, args)
    pairs: list[tuple[Run, Run]] = []
    for index, seed in enumerate(seeds):
        ours, theirs = run_seed(children, args, node, workdir, index, seed)
        for run in (ours, theirs):
            say.print(
                f"seed {seed} ({index + 1}/{len(seeds)}) {run.bench}: "
                f"{run.figures['verdict']} in {run.seconds:.1f} s {run.note}".rstrip()
            )
            if not run.found:
                say.print(f"  last lines of {run.log.name}:\n{run.tail()}")
        # Refused arguments or no exit at all: the bench never ran the test.
        unusable = [r for r in (ours, theirs) if not r.found and r.exit_code in (EXIT_ARGS, None)]
        if unusable:
            for run in unusable:
                say.print(f"glomers compare: could not run {run.bench}: {shlex.join(run.argv)}")
            return None
        pairs.append((ours, theirs))
    return pairs


def _conclude(
    console: Console, args: argparse.Namespace, seeds: list[int], pairs: list[tuple[Run, Run]]
) -> int:
    rows = summary_rows(pairs)
    verdicts = [(g.figures["verdict"], m.figures["verdict"]) for g, m in pairs]
    agreement = cf.agreement([g for g, _ in verdicts], [m for _, m in verdicts])
    print_report(console, rows, agreement, len(seeds))
    if args.json is not None:
        out = {
            "flags": {
                **{k: v for k, v in vars(args).items() if k not in ("json", "keep", "resume")},
                "seed": seeds[0],
            },
            "seeds": seeds,
            "runs": [
                {"seed": seed, "glomers": _figures_json(g), "maelstrom": _figures_json(m)}
                for seed, (g, m) in zip(seeds, pairs, strict=True)
            ],
            "summary": {"rows": rows, "agreement": agreement},
        }
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    return EXIT_AGREE if agreement["agree"] else EXIT_DISAGREE
