"""The parameters of a run, each declared once.

``PARAMS`` lists every parameter of ``glomers test``: its flag, parser, default
and help; whether Maelstrom has it; how the report shows it; whether a replay
command repeats it. From it come the parsers of ``glomers test``, ``fuzz`` and
``compare`` (``add_arguments``), the ``TestOptions`` of a run
(``build_options``), the command that replays a run (``replay_command``), the
flags both benches of ``glomers compare`` get (``flag_words``) and the keywords
``bench.testing.run_workload`` takes (``check_keywords``).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import difflib
import math
import secrets
import shlex
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from glomers.bench.core import TestOptions
from glomers.bench.faults import FAULTS
from glomers.bench.net import LATENCY_DISTS, Latency
from glomers.bench.workloads import registry
from glomers.bench.workloads.broadcast.topology import TOPOLOGIES


def _option_of(option: str, chosen: Iterable[str] | None) -> bool:
    """Whether a fault among ``chosen`` takes ``option`` (the loss rate, say)."""
    return any(option in FAULTS[f].options for f in chosen or () if f in FAULTS)


#: Nodes without ``--node-count``: Jepsen's default node list.
DEFAULT_NODES = [f"n{i}" for i in range(1, 6)]

#: What a parameter is about: the test itself (``run``), how the nodes are
#: started (``program``), or what is written or shown of one run (``output``).
Scope = Literal["run", "program", "output"]


class _Unset:
    """No value: a parameter Maelstrom has no equivalent for."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


# -- parsers of flag values (their names show in argparse's "invalid ... value") --


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def positive(kind: type[float] | type[int]) -> Callable[[str], Any]:
    """A parser of numbers above zero: finite floats, or ints."""

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


# -- how values show --------------------------------------------------------------


def flag_text(value: Any) -> str:
    """A value as a flag's argument: whole floats without a point, lists comma-separated."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _unit(unit: str) -> Callable[[Any], Any]:
    return lambda value: f"{flag_text(value)} {unit}"


def _or(absent: str) -> Callable[[Any], Any]:
    return lambda value: absent if value is None else value


def _listed(join: Callable[[Iterable[str]], str]) -> Callable[[Any], Any]:
    return lambda value: join(str(v) for v in value) if value else "none"


def _mode(value: Any) -> Any:
    return "simulation (--sim)" if value else "processes"


@dataclass(frozen=True)
class Param:
    """One parameter of a run."""

    #: The ``argparse`` dest, the key in ``results["flags"]``, the keyword of
    #: ``run_workload`` and, unless ``DERIVED`` says otherwise, the ``TestOptions`` field.
    name: str
    #: Its flags, the one commands are written with first; none for the positional one.
    flags: tuple[str, ...]
    #: Help and choices may be functions, asked when a parser is built: the
    #: workloads registered by then, say.
    help: str | Callable[[], str]
    default: Any = None
    #: Turns the flag's text into the value, refusing bad ones (``ArgumentTypeError``).
    parse: Callable[[str], Any] | None = None
    choices: Sequence[str] | Callable[[], Sequence[str]] | None = None
    metavar: str | None = None
    #: A flag without a value (``store_true``).
    switch: bool = False
    scope: Scope = "run"
    #: Whether ``maelstrom test`` has this flag, with this meaning.
    maelstrom: bool = True
    #: For parameters Maelstrom lacks: why ``glomers compare`` refuses it.
    unlike_maelstrom: str = ""
    #: The value that does what Maelstrom always does (``glomers compare`` takes it).
    as_maelstrom: Any = UNSET
    #: Its row in the report's table of parameters, and how its value shows there.
    label: str = ""
    show: Callable[[Any], Any] | None = None
    #: Whether the command that replays a run repeats it.
    replay: bool = True
    #: The parameter without which this one cannot matter, and when it does: a
    #: replay leaves it out otherwise, and commands and help put it right after.
    needs: str | None = None
    needs_when: Callable[[Any], bool] = bool

    @property
    def flag(self) -> str:
        """The flag commands are written with."""
        return self.flags[0] if self.flags else ""

    @property
    def positional(self) -> bool:
        """Whether it is given without a flag (the node's arguments)."""
        return not self.flags

    def shown(self, value: Any) -> Any:
        """The value as the report's table shows it."""
        return self.show(value) if self.show is not None else value

    def matters(self, values: Mapping[str, Any]) -> bool:
        """Whether this parameter can change the run ``values`` describe (the
        nemesis interval cannot without a nemesis, say)."""
        return self.needs is None or bool(self.needs_when(values.get(self.needs)))


_SECONDS = _unit("s")

#: Every parameter of ``glomers test``. ``ordered`` gives the order of --help and
#: of replay commands; ``glomers compare`` gives Maelstrom its flags in this one.
PARAMS: tuple[Param, ...] = (
    Param("workload", ("-w", "--workload"), lambda: "what to test: " + "; ".join(
          f"{name} ({entry.description})" for name, entry in registry.entries().items()),
          default="g-counter", choices=registry.names, label="workload"),
    Param("topology", ("--topology",), "the neighbours the broadcast workload suggests to "
          "each node", default="grid", choices=tuple(TOPOLOGIES), label="topology",
          needs="workload", needs_when=lambda workload: registry.takes(workload, "topology")),
    Param("bin", ("--bin",), "the node program (any language); without it, the project's "
          "own node for the workload", metavar="PATH",
          scope="program", label="node program",
          show=_or("the project's own node for the workload")),
    Param("args", (), "arguments passed to the node program", scope="program",
          label="node arguments", show=_listed(shlex.join)),
    Param("sim", ("--sim",), "simulation mode: run nodes written with glomers inside the "
          "bench, on a virtual clock, replayable by seed; --bin is then a Python file or "
          "module:function that builds a Node", default=False, switch=True, scope="program",
          maelstrom=False, unlike_maelstrom="Maelstrom runs real processes only",
          as_maelstrom=False, label="mode", show=_mode),
    Param("node_count", ("--node-count",), "run N nodes n0..n(N-1); without it, n1..n5",
          parse=positive(int), metavar="N", label="nodes", show=_or("the default (n1 to n5)")),
    Param("time_limit", ("--time-limit",), "how long clients and the nemesis operate",
          default=60.0, parse=positive(float), metavar="SECONDS", label="time limit",
          show=_SECONDS),
    Param("rate", ("--rate",), "about how many operations per second, over all clients",
          default=5.0, parse=_non_negative, label="rate", show=_unit("operations per second")),
    Param("concurrency", ("--concurrency",), "client threads: N, or Nn for N per node",
          default="1n", parse=_concurrency, label="concurrency"),
    Param("latency", ("--latency",), "mean latency of messages between nodes and services",
          default=0.0, parse=_non_negative, metavar="MILLIS", label="latency",
          show=_unit("ms")),
    Param("latency_dist", ("--latency-dist",), "shape of the latency distribution",
          default="constant", choices=LATENCY_DISTS, label="latency distribution",
          needs="latency"),
    Param("nemesis_interval", ("--nemesis-interval",), "mean time between nemesis operations",
          default=10.0, parse=positive(float), metavar="SECONDS", label="nemesis interval",
          show=_SECONDS, needs="nemesis"),
    Param("nemesis", ("--nemesis",), f"comma-separated faults to inject: {', '.join(FAULTS)}",
          default=[], parse=_nemesis, metavar="FAULTS", label="nemesis",
          show=_listed(", ".join)),
    Param("availability", ("--availability",), "fraction of operations that must succeed: "
          "'total' or 0..1; absent: no requirement", parse=_availability,
          label="availability target", show=_or("none")),
    Param("strict", ("--strict",), "findings beyond Maelstrom (always reported) also decide "
          "the verdict", default=False, switch=True, maelstrom=False,
          unlike_maelstrom="compare sets Maelstrom's verdicts side by side; findings beyond "
          "Maelstrom play no part in them", as_maelstrom=False, label="strict"),
    Param("log_stderr", ("--log-stderr",), "also show what nodes write on stderr",
          default=False, switch=True, scope="output", label="node stderr shown"),
    Param("log_net_send", ("--log-net-send",), "log every message sent", default=False,
          switch=True, scope="output", label="messages sent logged"),
    Param("log_net_recv", ("--log-net-recv",), "log every message delivered", default=False,
          switch=True, scope="output", label="messages delivered logged"),
    Param("seed", ("--seed",), "seed of every random choice of the bench (default: a fresh "
          "one, printed)", parse=int, maelstrom=False, label="seed"),
    Param("recovery_time", ("--recovery-time",), "wait after healing faults, before the "
          "final reads", default=10.0, parse=_non_negative, metavar="SECONDS",
          maelstrom=False, unlike_maelstrom="Maelstrom always waits 10 s; leave it at 10",
          as_maelstrom=10.0, label="recovery time", show=_SECONDS),
    Param("loss_rate", ("--loss-rate",), "fraction of messages the loss fault drops",
          default=0.5, parse=_fraction, maelstrom=False,
          unlike_maelstrom="Maelstrom has no message-loss fault", label="loss rate",
          needs="nemesis", needs_when=lambda chosen: _option_of("loss_rate", chosen)),
    Param("store", ("--store",), "where results are written", default=Path("store"),
          parse=Path, metavar="DIR", scope="output", maelstrom=False,
          unlike_maelstrom="compare chooses where runs go; use --keep DIR", label="store",
          replay=False),
    Param("no_pages", ("--no-pages",), "write only the results, history and logs: no plots, "
          "timeline, messages.html or report.html (about a second)", default=False, switch=True,
          scope="output", maelstrom=False, unlike_maelstrom="compare writes no pages",
          as_maelstrom=False, label="no pages", replay=False),
)  # fmt: skip

#: ``TestOptions`` fields made from other parameters than their namesake.
DERIVED: dict[str, tuple[str, ...]] = {
    "nodes": ("node_count",),
    "concurrency": ("concurrency", "node_count"),
    "latency": ("latency", "latency_dist"),
}
#: ``TestOptions`` fields no flag sets.
INTERNAL = ("client_timeout", "init_timeout", "flags")


def by_name(params: Iterable[Param] | None = None) -> dict[str, Param]:
    """``params`` (default: ``PARAMS``) by name."""
    return {p.name: p for p in (PARAMS if params is None else params)}


def ordered(params: Sequence[Param] | None = None) -> list[Param]:
    """``params`` (default: ``PARAMS``, as it is when called) with each one that
    ``needs`` another right after that other."""
    params = PARAMS if params is None else params
    names = {p.name for p in params}
    out: list[Param] = []
    for p in params:
        if p.needs is None or p.needs not in names:
            out.append(p)
            out += [q for q in params if q.needs == p.name]
    return out


def option_params(params: Iterable[Param] | None = None) -> list[Param]:
    """The parameters ``build_options`` reads."""
    params = PARAMS if params is None else params
    fields = {f.name for f in dataclasses.fields(TestOptions)}
    sources = {name for names in DERIVED.values() for name in names}
    return [p for p in params if p.name in fields | sources]


# -- parsers ---------------------------------------------------------------------------


def add_arguments(
    parser: argparse.ArgumentParser,
    params: Sequence[Param] | None = None,
    *,
    hidden: Collection[str] = (),
    helps: Mapping[str, str] | None = None,
    defaults: bool = True,
) -> None:
    """Add ``params`` to ``parser``. A ``hidden`` one is absent from --help and
    defaults to None, so that a command can refuse it with a reason; without
    ``defaults``, a flag not given is absent from the parsed namespace."""
    for p in ordered(params):
        kwargs: dict[str, Any] = {
            "help": argparse.SUPPRESS
            if p.name in hidden
            else (helps or {}).get(p.name) or (p.help() if callable(p.help) else p.help)
        }
        if p.switch:
            kwargs["action"] = "store_true"
        if p.parse is not None:
            kwargs["type"] = p.parse
        if p.choices is not None:
            kwargs["choices"] = p.choices() if callable(p.choices) else p.choices
        if p.metavar is not None:
            kwargs["metavar"] = p.metavar
        default = None if p.name in hidden else copy.copy(p.default)
        if not defaults:
            default = argparse.SUPPRESS
        if p.positional:
            parser.add_argument(p.name, nargs="*", default=default, **kwargs)
            continue
        parser.add_argument(*p.flags, dest=p.name, default=default, **kwargs)


def check_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse, as a usage error, values that parse but that Maelstrom could not run with."""
    problem = Latency(args.latency, args.latency_dist).problem()
    if problem:
        parser.error(problem)
    if getattr(args, "bin", None) is None and registry.entry(args.workload).node is None:
        parser.error(f"-w {args.workload}: the workload has no node of its own; give --bin")


# -- options -----------------------------------------------------------------------------


def build_options(values: Mapping[str, Any]) -> TestOptions:
    """The options of the run ``values`` (parameter name -> value) describe; missing
    parameters take their defaults, and ``values`` is kept as the run's ``flags``."""
    declared = by_name()

    def get(name: str) -> Any:
        return values[name] if name in values else copy.copy(declared[name].default)

    count = get("node_count")
    nodes = [f"n{i}" for i in range(count)] if count else list(DEFAULT_NODES)
    conc = get("concurrency")
    fields = {f.name for f in dataclasses.fields(TestOptions)}
    same = {p.name: get(p.name) for p in PARAMS if p.name in fields and p.name not in DERIVED}
    if same["seed"] is None:
        same["seed"] = secrets.randbits(48)
    flags = {k: (str(v) if isinstance(v, Path) else v) for k, v in values.items()}
    flags["seed"] = same["seed"]
    return TestOptions(
        **same,
        nodes=nodes,
        concurrency=int(conc[:-1]) * len(nodes) if conc.endswith("n") else int(conc),
        latency=Latency(get("latency"), get("latency_dist")),
        flags=flags,
    )


# -- command lines -----------------------------------------------------------------------


def flag_words(
    values: Mapping[str, Any], params: Iterable[Param], *, skip_idle: bool = False
) -> list[str]:
    """The flags that give ``values`` to ``params``, in their order; unset ones
    (None, False, no faults) are left out, and with ``skip_idle`` so are those
    that cannot matter (the nemesis interval without a nemesis, say)."""
    words: list[str] = []
    for p in params:
        value = values.get(p.name)
        if p.positional or value is None or value is False or value == []:
            continue
        if skip_idle and not p.matters(values):
            continue
        words += [p.flag] if value is True else [p.flag, flag_text(value)]
    return words


def replay_command(values: Mapping[str, Any], first: Sequence[str] = ()) -> str:
    """The ``glomers test`` command that runs the test ``values`` describe again:
    ``first``, the flags a replay repeats, the seed last, then the node's arguments.

    Flags are given even at their defaults, so the command replays the run even
    if the defaults change.
    """
    repeated = [p for p in ordered() if p.replay and p.name != "seed"]
    argv = ["glomers", "test", *first, *flag_words(values, repeated, skip_idle=True)]
    if values.get("seed") is not None:
        argv += ["--seed", str(values["seed"])]
    if values.get("args"):
        argv += ["--", *(str(a) for a in values["args"])]
    return shlex.join(argv)


# -- keywords ----------------------------------------------------------------------------


def check_keywords(caller: str, given: Iterable[str], taken: Sequence[Param]) -> None:
    """Refuse, with a ``TypeError`` naming it and the closest name, a keyword
    that is not one of the parameters ``taken``."""
    names = [p.name for p in taken]
    # What a caller may write instead of a name: its label or its flag.
    spellings = {p.name: p.name for p in taken}
    for p in taken:
        spellings.setdefault(p.label.replace(" ", "_"), p.name)
        spellings.setdefault(p.flag.lstrip("-").replace("-", "_"), p.name)
    declared = by_name()
    for key in given:
        if key in names:
            continue
        close = difflib.get_close_matches(key, list(spellings), n=1)
        hint = f"; did you mean {spellings[close[0]]!r}?" if close else ""
        if key in declared:
            hint = f": {declared[key].flag} is not a parameter {caller}() takes"
        raise TypeError(
            f"{caller}() got an unknown keyword {key!r}{hint} (it takes {', '.join(names)})"
        )
