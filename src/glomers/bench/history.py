"""The history of a test: the operations clients and the nemesis performed.

As in Jepsen, a history is a plain sequence of records. Each operation appears
twice: once when it is invoked (``type`` "invoke") and once when it completes
(``ok``: it happened; ``fail``: it certainly did not; ``info``: unknown, it may
or may not have happened). Checkers are pure functions of a history, so they
can be tested on hand-written ones.

``paired`` (and ``Pairing``, as records come) is the one way the bench puts
an operation's two records together; ``fault_periods`` (and ``FaultTracker``)
reads the nemesis's records as the periods each registered fault was in force.

``history.jsonl`` holds one ``Op.to_json()`` object per line.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from glomers.bench import faults

OpType = Literal["invoke", "ok", "info", "fail"]

#: The process name of nemesis operations; clients are numbered 0, 1, 2, ...
NEMESIS = "nemesis"


@dataclass(slots=True)
class Op:
    """One event of the history.

    ``process``: the client process number, or ``"nemesis"``. ``time``:
    nanoseconds since the test began (on the test's clock). ``value``: for an
    invoke, what was asked (an add's delta; None for a read); for a completion,
    what came back (a read's value). ``error``: why an op failed or is unknown.
    ``final``: the op belongs to the final reads after recovery. ``node``: the
    node a client op was sent to.
    """

    process: int | str
    type: OpType
    f: str
    value: Any = None
    time: int = 0
    error: Any = None
    final: bool = False
    node: str | None = None
    index: int = -1
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The record as written to ``history.jsonl`` (unset optional keys left out)."""
        out: dict[str, Any] = {
            "index": self.index,
            "time": self.time,
            "process": self.process,
            "type": self.type,
            "f": self.f,
            "value": self.value,
        }
        if self.error is not None:
            out["error"] = self.error
        if self.final:
            out["final"] = True
        if self.node is not None:
            out["node"] = self.node
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Op:
        """The inverse of ``to_json``."""
        known = {"index", "time", "process", "type", "f", "value", "error", "final", "node"}
        return cls(
            process=data["process"],
            type=data["type"],
            f=data["f"],
            value=data.get("value"),
            time=data.get("time", 0),
            error=data.get("error"),
            final=data.get("final", False),
            node=data.get("node"),
            index=data.get("index", -1),
            extra={k: v for k, v in data.items() if k not in known},
        )


def is_client(op: Op) -> bool:
    """True for operations of client processes (not the nemesis)."""
    return op.process != NEMESIS


#: An operation as its two records: (invocation, completion). A completion
#: nobody invoked has no invocation; an operation still under way when the
#: history ends has no completion.
Pair: TypeAlias = tuple[Op | None, Op | None]


class Pairing:
    """Pairs the records of a history as they come.

    A client process has at most one operation in flight, so an invocation
    pairs with the next completion of the same process; an invocation followed
    by another of its process stays open. The nemesis records each step twice,
    what was asked and then what was done, and steps on different nodes may
    interleave, so its records pair up by (``f``, ``node``).
    """

    def __init__(self) -> None:
        self._open: dict[Hashable, Op] = {}

    def feed(self, op: Op) -> Op | None:
        """Take the next record; return the record it completes, or None when it
        opens an operation (see ``opened``) or completes none that is open."""
        if is_client(op):
            if op.type == "invoke":
                self._open[op.process] = op
                return None
            return self._open.pop(op.process, None)
        key = (NEMESIS, op.f, op.node)
        first = self._open.pop(key, None)
        if first is None:
            self._open[key] = op
        return first

    def opened(self, op: Op) -> bool:
        """Whether ``op``, just fed, opened an operation."""
        key: Hashable = op.process if is_client(op) else (NEMESIS, op.f, op.node)
        return self._open.get(key) is op


def paired(history: Iterable[Op]) -> list[Pair]:
    """Every operation of the history, the clients' and the nemesis's, as its
    two records, in the order of its first record."""
    out: list[Pair] = []
    slot: dict[int, int] = {}  # id of an open record -> its place in out
    pairing = Pairing()
    for op in history:
        first = pairing.feed(op)
        if first is not None:
            i = slot.pop(id(first))
            out[i] = (first, op)
        elif pairing.opened(op):
            slot[id(op)] = len(out)
            out.append((op, None))
        else:
            out.append((None, op))
    return out


def pairs(history: Iterable[Op]) -> Iterator[tuple[Op, Op | None]]:
    """Each client invocation with its completion (None if it never completed),
    in invocation order; completions nobody invoked are left out."""
    for invoke, completion in paired(history):
        if invoke is not None and is_client(invoke):
            yield invoke, completion


@dataclass(frozen=True, slots=True)
class FaultPeriod:
    """A stretch of the test during which one fault was in force.

    ``fault`` is the name of a registered fault (``glomers.bench.faults``);
    ``node`` names the node it held for a fault of nodes (None for network
    faults): an operation that took several nodes down gives one period per
    node. ``start`` and ``end`` are nanoseconds like ``Op.time``; ``end`` is
    None when the history ends with the fault still in force. ``detail`` is
    what the nemesis reported when the fault began (a partition's grudges, say).
    """

    fault: str
    start: int
    end: int | None
    node: str | None = None
    detail: Any = None


class FaultTracker:
    """Follows the nemesis's records as they come and knows which faults are in force.

    A fault is in force from the completion of the operation that begins it
    to the completion of the one that ends it. For a fault of nodes, the
    completion of either lists the nodes it acted on (records that name one
    ``node`` instead are read as acting on it), and each node gets a period of
    its own. A fault's period on a node also ends when a fault it is
    ``ended_by`` begins there.
    """

    def __init__(self) -> None:
        self._pairing = Pairing()
        #: The faults in force, by (fault, node), with when each began.
        self.active: dict[tuple[str, str | None], FaultPeriod] = {}

    def feed(self, op: Op) -> list[FaultPeriod]:
        """Take the next op of the history; return the periods it began or ended."""
        found = None if is_client(op) else faults.by_operation(op.f)
        if found is None or self._pairing.feed(op) is None:
            return []
        fault, begins = found
        out: list[FaultPeriod] = []
        for node in _nodes(op, fault.per_node):
            if begins:
                for other in faults.FAULTS.values():
                    if fault.name in other.ended_by:
                        out.extend(self._end(other.name, node, op.time))
                period = FaultPeriod(fault.name, op.time, None, node, op.value)
                self.active[(period.fault, node)] = period
                out.append(period)
            else:
                out.extend(self._end(fault.name, node, op.time))
        return out

    def _end(self, fault: str, node: str | None, time: int) -> list[FaultPeriod]:
        began = self.active.pop((fault, node), None)
        if began is None:
            return []  # healing a fault that was not in force
        return [FaultPeriod(began.fault, began.start, time, began.node, began.detail)]


def _nodes(op: Op, per_node: bool) -> list[str | None]:
    """The nodes a completed nemesis operation acted on (None for the whole network)."""
    if per_node and isinstance(op.value, list):
        return [n for n in op.value if isinstance(n, str)]
    return [op.node]


def fault_periods(history: Iterable[Op]) -> list[FaultPeriod]:
    """The periods of the faults the nemesis injected, in the order they began."""
    tracker = FaultTracker()
    periods: list[FaultPeriod] = []
    where: dict[tuple[str, str | None], int] = {}
    for op in history:
        for period in tracker.feed(op):
            key = (period.fault, period.node)
            if period.end is None:
                where[key] = len(periods)
                periods.append(period)
            else:
                periods[where.pop(key)] = period
    return periods


def down_spans(history: Sequence[Op], until: int) -> dict[str | None, list[tuple[int, int]]]:
    """Per node, the sorted (start, end) nanoseconds during which it was down:
    held by a fault of hosts (killed or paused). A period still open when the
    history ends lasts ``until``."""
    down: dict[str | None, list[tuple[int, int]]] = {}
    for period in fault_periods(history):
        fault = faults.FAULTS.get(period.fault)
        if fault is not None and issubclass(fault, faults.HostFault):
            end = period.end if period.end is not None else max(until, period.start)
            down.setdefault(period.node, []).append((period.start, end))
    for spans in down.values():
        spans.sort()
    return down


def sent_while_down(history: Sequence[Op], wait: int) -> list[tuple[Op, bool]]:
    """The client invocations sent to a node that was down (``down_spans``) at
    that moment, each with whether it stayed down for the whole of the ``wait``
    nanoseconds after: if so, no node program could have answered it in time,
    whatever it did.

    A node that comes back within the wait gets the request (a restarted node
    its backlog, a resumed one its input), so it could still answer."""
    down = down_spans(history, (history[-1].time if history else 0) + wait)
    found = []
    for op in history:
        if op.type == "invoke" and is_client(op) and op.node in down:
            spans = down[op.node]
            if any(a <= op.time < b for a, b in spans):
                found.append((op, _covered(spans, op.time, op.time + wait)))
    return found


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether sorted ``spans`` leave no moment of [start, end] uncovered."""
    reached = start
    for a, b in spans:
        if b < reached:
            continue
        if a > reached:
            return False
        reached = b
        if reached >= end:
            return True
    return False
