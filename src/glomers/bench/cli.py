"""``glomers``: the command line. ``glomers test`` runs a Maelstrom-style test.

Flags follow ``maelstrom test``; ``--seed``, ``--recovery-time``, ``--store``
and ``--loss-rate`` are ours. Arguments that are not flags are passed to the
node binary (put them after ``--`` when they start with a dash)::

    glomers test -w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition
    glomers test -w echo --bin ./my_node.py --time-limit 10 -- --verbose
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import secrets
import sys
from pathlib import Path
from typing import Any, Literal

from rich.logging import RichHandler

from glomers.bench.clock import LoopClock
from glomers.bench.core import Outcome, TestOptions, TestRun
from glomers.bench.nemesis import FAULTS
from glomers.bench.net import LATENCY_DISTS, Latency, Network
from glomers.bench.nodelogs import node_logs
from glomers.bench.pages import summary
from glomers.bench.process import ProcessHost, kill_all
from glomers.bench.progress import RunProgress
from glomers.bench.sim import DEFAULT_BUILDERS, NotSimulable, load_builder, run_simulation
from glomers.bench.store import RunStore
from glomers.bench.usage import EXIT_BAD_ARGS, EXIT_ERROR, Parser
from glomers.bench.words import counted
from glomers.bench.workloads import WORKLOADS

log = logging.getLogger("glomers.bench")

#: Nodes without ``--node-count``: Jepsen's default node list.
DEFAULT_NODES = [f"n{i}" for i in range(1, 6)]


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def _positive(kind: type[float] | type[int]) -> Any:
    def parse(text: str) -> float | int:
        value = _finite(text) if kind is float else kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def _non_negative(text: str) -> float:
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"can't be negative: {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _availability(text: str) -> Literal["total"] | float:
    if text == "total":
        return "total"
    try:
        return _fraction(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be 'total' or a number between 0 and 1, not {text!r}"
        ) from None


def _concurrency(text: str) -> str:
    body = text[:-1] if text.endswith("n") else text
    if not body.isdigit() or int(body) <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive count N or Nn (N per node), not {text!r}"
        )
    return text


def _nemesis(text: str) -> list[str]:
    faults = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault {', '.join(unknown)}; choose from {', '.join(FAULTS)}"
        )
    return faults


def test_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="glomers test",
        description="Run a Maelstrom-style test: start the nodes, drive the workload's "
        "clients against them through a simulated network with faults, and check the history.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("-w", "--workload", choices=WORKLOADS, default="g-counter", help="what to test")
    p.add_argument(
        "--bin",
        metavar="PATH",
        help="the node program (any language); without it, g-counter and pn-counter run the "
        "project's counter and echo its echo example",
    )
    p.add_argument("args", nargs="*", help="arguments passed to the node program")
    p.add_argument(
        "--sim",
        action="store_true",
        help="simulation mode: run nodes written with glomers inside the bench, on a virtual "
        "clock, replayable by seed; --bin is then a Python file or module:function that "
        "builds a Node",
    )
    p.add_argument(
        "--node-count",
        type=_positive(int),
        metavar="N",
        help="run N nodes n0..n(N-1); without it, n1..n5",
    )
    p.add_argument(
        "--time-limit",
        type=_positive(float),
        default=60.0,
        metavar="SECONDS",
        help="how long clients and the nemesis operate",
    )
    p.add_argument(
        "--rate",
        type=_non_negative,
        default=5.0,
        help="about how many operations per second, over all clients",
    )
    p.add_argument(
        "--concurrency",
        type=_concurrency,
        default="1n",
        help="client threads: N, or Nn for N per node",
    )
    p.add_argument(
        "--latency",
        type=_non_negative,
        default=0.0,
        metavar="MILLIS",
        help="mean latency of messages between nodes and services",
    )
    p.add_argument(
        "--latency-dist",
        choices=LATENCY_DISTS,
        default="constant",
        help="shape of the latency distribution",
    )
    p.add_argument(
        "--nemesis",
        type=_nemesis,
        default=[],
        metavar="FAULTS",
        help=f"comma-separated faults to inject: {', '.join(FAULTS)}",
    )
    p.add_argument(
        "--nemesis-interval",
        type=_positive(float),
        default=10.0,
        metavar="SECONDS",
        help="mean time between nemesis operations",
    )
    p.add_argument(
        "--availability",
        type=_availability,
        default=None,
        help="fraction of operations that must succeed: 'total' or 0..1; absent: no requirement",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="findings beyond Maelstrom (always reported) also decide the verdict",
    )
    p.add_argument("--log-stderr", action="store_true", help="also show what nodes write on stderr")
    p.add_argument("--log-net-send", action="store_true", help="log every message sent")
    p.add_argument("--log-net-recv", action="store_true", help="log every message delivered")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of every random choice of the bench (default: a fresh one, printed)",
    )
    p.add_argument(
        "--recovery-time",
        type=_non_negative,
        default=10.0,
        metavar="SECONDS",
        help="wait after healing faults, before the final reads",
    )
    p.add_argument(
        "--loss-rate", type=_fraction, default=0.5, help="fraction of messages the loss fault drops"
    )
    p.add_argument(
        "--store", type=Path, default=Path("store"), metavar="DIR", help="where results are written"
    )
    p.add_argument(
        "--no-pages",
        action="store_true",
        help="write only the results, history and logs: no plots, timeline or report.html "
        "(they take about a second)",
    )
    return p


def build_options(args: argparse.Namespace) -> TestOptions:
    nodes = [f"n{i}" for i in range(args.node_count)] if args.node_count else list(DEFAULT_NODES)
    conc = args.concurrency
    concurrency = int(conc[:-1]) * len(nodes) if conc.endswith("n") else int(conc)
    seed = args.seed if args.seed is not None else secrets.randbits(48)
    flags = {
        k: (str(v) if isinstance(v, Path) else v)
        for k, v in vars(args).items()
        if k not in ("command", "func")
    }
    flags["seed"] = seed
    return TestOptions(
        workload=args.workload,
        nodes=nodes,
        time_limit=args.time_limit,
        rate=args.rate,
        concurrency=concurrency,
        latency=Latency(args.latency, args.latency_dist),
        nemesis=args.nemesis,
        nemesis_interval=args.nemesis_interval,
        availability=args.availability,
        seed=seed,
        recovery_time=args.recovery_time,
        loss_rate=args.loss_rate,
        log_net_send=args.log_net_send,
        log_net_recv=args.log_net_recv,
        strict=args.strict,
        flags=flags,
    )


def node_argv(args: argparse.Namespace) -> list[str]:
    """The command that starts one node."""
    if args.bin is None:
        module = "glomers.counter" if args.workload != "echo" else "glomers.examples.echo"
        extra = ["--pn"] if args.workload == "pn-counter" else []
        return [sys.executable, "-m", module, *extra, *args.args]
    path = args.bin
    if os.path.exists(path):
        path = os.path.abspath(path)
    return [path, *args.args]


def open_store(root: Path, workload: str) -> RunStore | None:
    """A new run folder under ``root``, or None (said in one line) if it cannot be made."""
    try:
        return RunStore(root, workload)
    except OSError as exc:
        print(f"glomers test: --store {root}: cannot write results there: {exc}", file=sys.stderr)
        return None


async def run_test(args: argparse.Namespace) -> int:
    opts = build_options(args)
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
    try:
        with progress:
            outcome = await test.run()
    except asyncio.CancelledError:
        interrupted = True
        outcome = test.conclude("interrupted (Ctrl-C)")
    finally:
        kill_all()
        store.close()
    _record(store, outcome, opts.workload, pages=not args.no_pages)
    if interrupted:
        raise KeyboardInterrupt
    return outcome.exit_code


def parse_test_args(
    argv: list[str], parser: argparse.ArgumentParser | None = None
) -> argparse.Namespace:
    """Flags anywhere; arguments for the node anywhere, or all after ``--``.
    ``parser``: ``test_parser()`` or one built from it."""
    tail: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, tail = argv[:cut], argv[cut + 1 :]
    parser = parser or test_parser()
    args = parser.parse_intermixed_args(argv)
    args.args = [*args.args, *tail]
    check_test_args(parser, args)
    return args


def check_test_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse, as a usage error, flags that parse but that Maelstrom could not run with."""
    problem = Latency(args.latency, args.latency_dist).problem()
    if problem:
        parser.error(problem)


def run_sim(args: argparse.Namespace) -> int:
    """``glomers test --sim``: the same test, in process, on a virtual clock."""
    opts = build_options(args)
    spec = args.bin or DEFAULT_BUILDERS[opts.workload]
    try:
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
    try:
        with progress, node_logs(store.node_log, to_console=args.log_stderr):
            outcome = run_simulation(opts, build, store.journal, progress)
    finally:
        store.close()
    _record(store, outcome, opts.workload, pages=not args.no_pages)
    return outcome.exit_code


def _progress(opts: TestOptions) -> RunProgress:
    progress = RunProgress()
    if progress.live:
        # Log records must go through the live panel's console, or they tear it apart.
        root = logging.getLogger()
        root.handlers[:] = [RichHandler(console=progress.console, show_path=False)]
    return progress


def _announce(kind: str, opts: TestOptions, nodes: str) -> None:
    log.info(
        "%s %s: %s, %gs, rate %g, concurrency %d, nemesis %s, seed %d; %s",
        kind, opts.workload, counted(len(opts.nodes), "node"), opts.time_limit, opts.rate,
        opts.concurrency, ",".join(opts.nemesis) or "none", opts.seed, nodes,
    )  # fmt: skip


def _record(store: RunStore, outcome: Outcome, workload: str, *, pages: bool) -> None:
    """Write a finished run's history, results and pages, and print its summary."""
    store.write_history(outcome.history)
    store.write_results(outcome.results)
    if pages:
        store.write_pages(outcome.history, outcome.results, workload)
    print(summary.summary(outcome.results, str(store.dir)), flush=True)


COMMANDS = {
    "test": "run a test against a node program",
    "fuzz": "run a simulated test over many seeds and report the failing ones",
    "serve": "browse the results of past runs in a web browser",
    "compare": "run a node under glomers test and under Maelstrom and compare the verdicts",
}


def _version() -> str:
    from importlib.metadata import version

    return version("glomers")


def main(argv: list[str] | None = None) -> None:
    """The ``glomers`` command."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        top = Parser(
            prog="glomers",
            description="Maelstrom-compatible testing of distributed-systems nodes.",
        )
        top.add_argument("--version", action="version", version=f"glomers {_version()}")
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
        sys.exit(code)
    if argv[0] == "compare":
        from glomers.bench.compare import compare

        sys.exit(compare(argv[1:]))
    args = parse_test_args(argv[1:])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    try:
        # asyncio's own loop, not uvloop: uvloop's clock ticks in whole milliseconds,
        # too coarse for operation latencies.
        code = run_sim(args) if args.sim else asyncio.run(run_test(args))
    except KeyboardInterrupt:
        kill_all()
        code = 130
    except Exception:
        # Exit 1 would read as "invalid": a bench that fails cannot analyse the run.
        log.exception("the bench itself failed; the run cannot be analysed")
        kill_all()
        code = EXIT_ERROR
    sys.exit(code)


if __name__ == "__main__":
    main()
