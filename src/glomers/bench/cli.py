"""``glomers``: the command line. ``glomers test`` runs a Maelstrom-style test.

Flags follow ``maelstrom test``; those it lacks are ours (``bench.params``
declares every one). Arguments that are not flags are passed to the
node binary (put them after ``--`` when they start with a dash)::

    glomers test -w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition
    glomers test -w echo --bin ./my_node.py --time-limit 10 -- --verbose
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glomers.bench.usage import EXIT_BAD_ARGS, EXIT_ERROR, Parser

# Each command imports what it needs when it runs, so that ``glomers --help`` and
# ``glomers test --help`` answer at once: the simulation, rich's live display and
# the nodes' process machinery take a good part of a second to load.
if TYPE_CHECKING:
    from glomers.bench.core import Outcome, TestOptions
    from glomers.bench.net import Network
    from glomers.bench.pages.plot_worker import PlotWorker
    from glomers.bench.process import ProcessHost
    from glomers.bench.progress import RunProgress
    from glomers.bench.store import RunStore

log = logging.getLogger("glomers.bench")


def test_parser() -> argparse.ArgumentParser:
    from glomers.bench import params

    p = Parser(
        prog="glomers test",
        description="Run a Maelstrom-style test: start the nodes, drive the workload's "
        "clients against them through a simulated network with faults, and check the history.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    params.add_arguments(p)
    return p


def node_argv(args: argparse.Namespace) -> list[str]:
    """The command that starts one node."""
    from glomers.bench.workloads import registry

    if args.bin is None:
        node = registry.entry(args.workload).node
        assert node is not None, "check_test_args requires --bin then"
        return [*node.argv(sys.executable), *args.args]
    path = args.bin
    if os.path.exists(path):
        path = os.path.abspath(path)
    return [path, *args.args]


def open_store(root: Path, workload: str) -> RunStore | None:
    """A new run folder under ``root``, or None (said in one line) if it cannot be made."""
    from glomers.bench.store import RunStore

    try:
        return RunStore(root, workload)
    except OSError as exc:
        print(f"glomers test: --store {root}: cannot write results there: {exc}", file=sys.stderr)
        return None


#: Told each run's outcome and folder once they are recorded (``glomers challenge``).
Recorded = Callable[["Outcome", Path], None]


async def run_test(
    args: argparse.Namespace,
    recorded: Recorded | None = None,
    plotter: PlotWorker | None = None,
) -> int:
    """``glomers test``: the nodes as processes, in real time. ``plotter``: the
    process that will draw the plots, if started already (see ``main``)."""
    from glomers.bench import params
    from glomers.bench.clock import LoopClock
    from glomers.bench.core import TestRun
    from glomers.bench.process import ProcessHost, kill_all

    opts = params.build_options(vars(args))
    argv = node_argv(args)
    store = open_store(args.store, opts.workload)
    if store is None:
        return EXIT_BAD_ARGS
    _announce("test", opts, f"node program: {' '.join(argv)}")
    clock = LoopClock()

    def make_host(node: str, net: Network, on_fault: Any) -> ProcessHost:
        return ProcessHost(
            node, argv, net, store.node_log(node), on_fault, log_stderr=args.log_stderr
        )

    progress = _progress(opts)
    test = TestRun(opts, make_host, clock, journal=store.journal, observer=progress)
    interrupted = False
    with _plot_worker(args, plotter) as plotter:
        try:
            with progress:
                outcome = await test.run()
        except asyncio.CancelledError:
            interrupted = True
            outcome = test.conclude("interrupted (Ctrl-C)")
        finally:
            kill_all()
            store.close()
        _record(store, outcome, opts.workload, plotter)
        if recorded is not None:
            recorded(outcome, store.dir)
    if interrupted:
        raise KeyboardInterrupt
    return outcome.exit_code


def parse_test_args(
    argv: list[str], parser: argparse.ArgumentParser | None = None
) -> argparse.Namespace:
    """Flags anywhere; arguments for the node anywhere, or all after ``--``.
    ``parser``: ``test_parser()`` or one built from it."""
    from glomers.bench import params

    tail: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, tail = argv[:cut], argv[cut + 1 :]
    parser = parser or test_parser()
    args = parser.parse_intermixed_args(argv)
    args.args = [*args.args, *tail]
    params.check_values(parser, args)
    return args


def run_sim(
    args: argparse.Namespace,
    recorded: Recorded | None = None,
    plotter: PlotWorker | None = None,
) -> int:
    """``glomers test --sim``: the same test, in process, on a virtual clock.
    ``recorded`` and ``plotter`` as for ``run_test``."""
    from glomers.bench import params
    from glomers.bench.nodelogs import node_logs
    from glomers.bench.sim import NotSimulable, default_builder, load_builder, run_simulation

    opts = params.build_options(vars(args))
    try:
        spec = args.bin or default_builder(opts.workload)
        if args.args:
            raise NotSimulable(
                f"--sim takes no arguments for the node ({' '.join(args.args)}); "
                "build the node with them in the function --bin names"
            )
        build = load_builder(spec)
    except NotSimulable as exc:
        print(f"glomers test: {exc}", file=sys.stderr)
        return EXIT_BAD_ARGS
    store = open_store(args.store, opts.workload)
    if store is None:
        return EXIT_BAD_ARGS
    _announce("simulated test", opts, f"nodes from {spec}")
    progress = _progress(opts)
    with _plot_worker(args, plotter) as plotter:
        try:
            with progress, node_logs(store.node_log, to_console=args.log_stderr):
                outcome = run_simulation(opts, build, store.journal, progress)
        finally:
            store.close()
        _record(store, outcome, opts.workload, plotter)
        if recorded is not None:
            recorded(outcome, store.dir)
    return outcome.exit_code


def _plot_worker(
    args: argparse.Namespace, started: PlotWorker | None
) -> contextlib.AbstractContextManager[PlotWorker | None]:
    """The process that will draw the run's plots (``started``, or one started
    now, so that it is ready when the run ends); none with ``--no-pages``."""
    if args.no_pages:
        return contextlib.nullcontext()
    if started is not None:
        return started
    from glomers.bench.pages.plot_worker import PlotWorker

    return PlotWorker.start()


def _pages_wanted(argv: list[str]) -> bool:
    """Whether ``glomers test`` with these flags seems to write pages. A guess made
    before parsing (an abbreviated ``--no-pages`` escapes it), corrected after."""
    flags = argv[: argv.index("--")] if "--" in argv else argv
    return not {"--no-pages", "-h", "--help"} & set(flags)


def _progress(opts: TestOptions) -> RunProgress:
    from rich.logging import RichHandler

    from glomers.bench.progress import RunProgress

    progress = RunProgress()
    if progress.live:
        # Log records must go through the live panel's console, or they tear it apart.
        root = logging.getLogger()
        root.handlers[:] = [RichHandler(console=progress.console, show_path=False)]
    return progress


def _announce(kind: str, opts: TestOptions, nodes: str) -> None:
    from glomers.bench.words import counted

    log.info(
        "%s %s: %s, %gs, rate %g, concurrency %d, nemesis %s, seed %d; %s",
        kind, opts.workload, counted(len(opts.nodes), "node"), opts.time_limit, opts.rate,
        opts.concurrency, ",".join(opts.nemesis) or "none", opts.seed, nodes,
    )  # fmt: skip


def _record(store: RunStore, outcome: Outcome, workload: str, plotter: PlotWorker | None) -> None:
    """Write a finished run's history, results and pages (unless ``--no-pages``:
    no ``plotter``), and print its summary."""
    from glomers.bench.pages import summary

    store.write_history(outcome.history)
    store.write_results(outcome.results)
    if plotter is not None:
        store.write_pages(outcome.history, outcome.results, workload, plotter)
    print(summary.summary(outcome.results, str(store.dir)), flush=True)


COMMANDS = {
    "test": "run a test against a node program",
    "fuzz": "run a simulated test over many seeds and report the failing ones",
    "serve": "browse the results of past runs in a web browser",
    "compare": "run a node under glomers test and under Maelstrom and compare the verdicts",
    "challenge": "run a Gossip Glomers challenge's test over seeds and check its targets",
}


def _version() -> str:
    from importlib.metadata import version

    return version("glomers")


class _VersionAction(argparse.Action):
    """``--version``, looking the version up only when asked: the package metadata
    takes longer to read than the rest of ``glomers --help`` takes to run."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show program's version number and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any) -> None:
        print(f"glomers {_version()}")
        parser.exit()


def main(argv: list[str] | None = None) -> None:
    """The ``glomers`` command."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        top = Parser(
            prog="glomers",
            description="Maelstrom-compatible testing of distributed-systems nodes.",
        )
        top.add_argument("--version", action=_VersionAction)
        top.add_argument(
            "command",
            choices=list(COMMANDS),
            help="; ".join(f"{name}: {text}" for name, text in COMMANDS.items()),
        )
        top.parse_args(argv[:1])
        return
    if argv[0] == "serve":
        from glomers.bench.serve import serve

        sys.exit(serve(argv[1:]))
    if argv[0] == "fuzz":
        from glomers.bench.fuzz import fuzz

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        try:
            code = fuzz(argv[1:])
        except KeyboardInterrupt:  # a Ctrl-C after fuzz gave the default handler back
            code = 130
        # The status is decided: one more Ctrl-C while the interpreter shuts down
        # (joining the process pool's threads) must not turn it into a signal death.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.exit(code)
    if argv[0] == "compare":
        from glomers.bench.compare import compare

        sys.exit(compare(argv[1:]))
    if argv[0] == "challenge":
        from glomers.bench.challenge import challenge

        sys.exit(challenge(argv[1:]))
    # The process that draws the plots takes longest to get ready (matplotlib), so
    # it starts before anything else loads, even the flags' parser; the run takes
    # it over, and leaving this block in any way ends it if it is still running.
    plotter: PlotWorker | None = None
    if _pages_wanted(argv[1:]):
        from glomers.bench.pages.plot_worker import PlotWorker

        plotter = PlotWorker.start()
    with plotter or contextlib.nullcontext():
        code = _test_command(argv[1:], plotter)
    sys.exit(code)


def _test_command(argv: list[str], plotter: PlotWorker | None) -> int:
    args = parse_test_args(argv)
    # Loaded before the run starts, so that a missing dependency is said in one
    # line by the console script (glomers._cli), not as a failure of the run.
    from glomers.bench import progress  # noqa: F401
    from glomers.bench.pages import summary  # noqa: F401
    from glomers.bench.process import kill_all

    if args.sim:
        from glomers.bench import sim  # noqa: F401
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    try:
        # asyncio's own loop, not uvloop: uvloop's clock ticks in whole milliseconds,
        # too coarse for operation latencies.
        if args.sim:
            return run_sim(args, plotter=plotter)
        return asyncio.run(run_test(args, plotter=plotter))
    except KeyboardInterrupt:
        kill_all()
        return 130
    except Exception:
        # Exit 1 would read as "invalid": a bench that fails cannot analyse the run.
        log.exception("the bench itself failed; the run cannot be analysed")
        kill_all()
        return EXIT_ERROR


if __name__ == "__main__":
    main()
