"""What every fault is, and the registry of faults.

A fault is a class registered in ``FAULTS`` under its name (the word
``--nemesis`` takes). It owns everything the bench knows of it: the stream it
shares with other faults, the operations that begin and end it (their ``f`` in
the history and their values), what they do to the network or the nodes'
hosts, and how pages show it (label, colour, words). The nemesis asks a fault
for its next ``Step`` and performs it; the history, the progress panel and the
pages ask the registry about the records they meet.

Faults alternate: each step either begins the fault or ends it. Two kinds share
that alternation with a different bookkeeping: ``NetworkFault`` (in force from
the moment its beginning acts) and ``HostFault`` (takes some nodes down, and its
next step brings every node back).
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Protocol, TypeVar

from glomers.bench.hosts import Host
from glomers.bench.net import Network

#: The faults known to the bench, by name, in the order they were registered
#: (which orders the streams, the choices of ``--nemesis`` and the legends).
FAULTS: dict[str, type[Fault]] = {}

#: The colour of a fault that is not registered (read from an older history, say).
UNKNOWN_COLOR = "#cccccc"

_NAME = re.compile(r"[a-z][a-z0-9-]*")
# Pages write colours into CSS and hand them to matplotlib: one form suits both.
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")

F = TypeVar("F", bound="type[Fault]")


def register(fault: F) -> F:
    """Add ``fault`` to ``FAULTS`` (use as a class decorator)."""
    if not _NAME.fullmatch(fault.name):
        raise ValueError(f"a fault's name is lower-case letters, digits, '-': not {fault.name!r}")
    if not _COLOR.fullmatch(fault.color):
        raise ValueError(f"{fault.name}: a colour is #RRGGBB, not {fault.color!r}")
    if fault.name in FAULTS:
        raise ValueError(f"a fault named {fault.name!r} is already registered")
    taken = {f for other in FAULTS.values() for f in (other.begins, other.ends)}
    clash = {fault.begins, fault.ends} & taken
    if clash or fault.begins == fault.ends:
        raise ValueError(f"{fault.name}: the operations {sorted(clash)} must be its own")
    FAULTS[fault.name] = fault
    return fault


def color(name: str) -> str:
    """The colour every page shows the fault ``name`` in."""
    fault = FAULTS.get(name)
    return fault.color if fault is not None else UNKNOWN_COLOR


def label(name: str) -> str:
    """How pages name the fault ``name``."""
    fault = FAULTS.get(name)
    return fault.label if fault is not None else name


def words(name: str, detail: Any) -> str:
    """What the fault ``name`` did, in words, from what its beginning recorded."""
    fault = FAULTS.get(name)
    return fault.words(detail) if fault is not None else Fault.words(detail)


def by_operation(f: str) -> tuple[type[Fault], bool] | None:
    """The fault a nemesis operation ``f`` belongs to, and whether it begins it
    (False: it ends it); None for an operation of no registered fault."""
    for fault in FAULTS.values():
        if f == fault.begins:
            return fault, True
        if f == fault.ends:
            return fault, False
    return None


class Stage(Protocol):
    """What the faults act on: the nemesis hands itself over (its ``restart`` may
    be replaced after the faults are made, so faults look it up as they act)."""

    nodes: list[str]
    net: Network
    hosts: Mapping[str, Host]
    restart: Callable[[str], Awaitable[None]]
    loss_rate: float


@dataclass(frozen=True, slots=True)
class Step:
    """One nemesis operation: its ``f`` and value (what is asked, as recorded
    first), and the action, whose result (what was done) is recorded second."""

    f: str
    value: Any
    action: Callable[[], Awaitable[Any]]


class Fault(ABC):
    """One kind of fault; subclasses set the class attributes and the steps."""

    #: The word ``--nemesis`` takes, and the ``fault`` of its periods.
    name: ClassVar[str]
    #: Faults with the same stream take turns in one staggered stream of operations.
    stream: ClassVar[str]
    #: The ``f`` of the operations that begin and end it.
    begins: ClassVar[str]
    ends: ClassVar[str]
    #: How legends and tables name it, and its colour on every page.
    label: ClassVar[str]
    color: ClassVar[str]
    #: The final heal ends faults by rank, lowest first.
    heal_rank: ClassVar[int]
    #: Its periods are per node (the nodes its operations acted on), not network-wide.
    per_node: ClassVar[bool] = False
    #: Faults whose beginning on a node ends this one's period there.
    ended_by: ClassVar[tuple[str, ...]] = ()
    #: Options of a test (``TestOptions`` fields) that matter only with this fault.
    options: ClassVar[tuple[str, ...]] = ()
    #: The nodes' hosts must be able to stop in place (a simulation loop that pauses).
    pauses_hosts: ClassVar[bool] = False
    #: Maelstrom's release with this fault: the one the project compares against
    #: (``MAELSTROM``), a later one (``LATER``), or None: Maelstrom has no such fault.
    maelstrom: ClassVar[str | None] = None

    def __init__(self, stage: Stage) -> None:
        self.stage = stage

    @abstractmethod
    def step(self, rng: random.Random) -> Step:
        """The next operation: begin the fault, or end it."""

    @abstractmethod
    def heal(self) -> Step:
        """The final operation that ends the fault, in force or not."""

    @staticmethod
    def words(detail: Any) -> str:
        """What the fault did, in words, from the completion of its beginning."""
        if isinstance(detail, list | tuple):
            return ", ".join(map(str, detail)) or "no node"
        return str(detail)


#: The values of ``Fault.maelstrom``.
MAELSTROM = "0.2.4"
LATER = "after 0.2.4"


class NetworkFault(Fault):
    """A fault of the whole network, in force from its beginning to its end."""

    def __init__(self, stage: Stage) -> None:
        super().__init__(stage)
        self.active = False

    def step(self, rng: random.Random) -> Step:
        if self.active:
            return self.heal()
        value = self.ask(rng)
        return Step(self.begins, value, partial(self._begin, value, rng))

    def heal(self) -> Step:
        return Step(self.ends, None, self._end)

    async def _begin(self, value: Any, rng: random.Random) -> Any:
        self.active = True
        return await self.start(value, rng)

    async def _end(self) -> Any:
        self.active = False
        return await self.stop()

    @abstractmethod
    def ask(self, rng: random.Random) -> Any:
        """What a beginning asks for (recorded as the operation's invocation)."""

    @abstractmethod
    async def start(self, value: Any, rng: random.Random) -> Any:
        """Put the fault in force as ``value`` asks; return what was done."""

    @abstractmethod
    async def stop(self) -> Any:
        """End the fault; return what was done."""


def majority(n: int) -> int:
    """The smallest number of nodes that is more than half of ``n``."""
    return n // 2 + 1


#: The named node sets a host fault picks from (besides a random non-empty subset).
NODE_SPECS = ("one", "minority-third", "minority", "majority", "all")


def spec_nodes(spec: str | list[str], nodes: Sequence[str], rng: random.Random) -> list[str]:
    """The nodes a SPEC names: a list names itself; the rest are drawn."""
    if isinstance(spec, list):
        return list(spec)
    n = len(nodes)
    count = {"one": 1, "minority-third": (n - 1) // 3, "minority": n // 2,
             "majority": majority(n), "all": n}.get(spec)  # fmt: skip
    if count is None:
        raise ValueError(f"unknown node spec {spec!r}")
    shuffled = list(nodes)
    rng.shuffle(shuffled)
    return sorted(shuffled[:count])


def random_spec(nodes: Sequence[str], rng: random.Random) -> str | list[str]:
    """A SPEC: uniform among a random non-empty subset and ``NODE_SPECS``."""
    pick = rng.randrange(len(NODE_SPECS) + 1)
    if pick < len(NODE_SPECS):
        return NODE_SPECS[pick]
    shuffled = list(nodes)
    rng.shuffle(shuffled)
    return sorted(shuffled[: rng.randint(1, len(shuffled))])


class HostFault(Fault):
    """A fault of some nodes' hosts, as Jepsen's db package: a beginning takes
    the nodes of a random SPEC down, the next step brings all of them back
    (asked as ``all``). Both record the nodes they acted on."""

    per_node = True

    def __init__(self, stage: Stage) -> None:
        super().__init__(stage)
        self.down = False

    def step(self, rng: random.Random) -> Step:
        if self.down:
            return self.heal()
        self.down = True
        spec = random_spec(self.stage.nodes, rng)
        targets = spec_nodes(spec, self.stage.nodes, rng)
        return Step(self.begins, spec, partial(self.take, targets))

    def heal(self) -> Step:
        self.down = False
        return Step(self.ends, "all", self.bring_back)

    @abstractmethod
    async def take(self, targets: list[str]) -> list[str]:
        """Take ``targets`` down; return the nodes acted on."""

    @abstractmethod
    async def bring_back(self) -> list[str]:
        """Bring every node this fault took down back; return the nodes acted on."""
