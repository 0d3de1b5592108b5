"""The history of a test: the operations clients and the nemesis performed.

As in Jepsen, a history is a plain sequence of records. Each operation appears
twice: once when it is invoked (``type`` "invoke") and once when it completes
(``ok``: it happened; ``fail``: it certainly did not; ``info``: unknown, it may
or may not have happened). Checkers are pure functions of a history, so they
can be tested on hand-written ones.

``history.jsonl`` holds one ``Op.to_json()`` object per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

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


def pairs(history: Iterable[Op]) -> Iterator[tuple[Op, Op | None]]:
    """Each client invocation with its completion (None if it never completed).

    A process has at most one operation in flight, so an invoke pairs with the
    next completion of the same process.
    """
    open_: dict[int | str, Op] = {}
    order: list[Op] = []
    done: dict[int, Op] = {}
    for op in history:
        if not is_client(op):
            continue
        if op.type == "invoke":
            open_[op.process] = op
            order.append(op)
        else:
            invoke = open_.pop(op.process, None)
            if invoke is not None:
                done[id(invoke)] = op
    for invoke in order:
        yield invoke, done.get(id(invoke))


@dataclass(frozen=True, slots=True)
class FaultPeriod:
    """A stretch of the test during which one fault was in force.

    ``fault`` is ``partition``, ``loss``, ``slow``, ``kill`` or ``pause``;
    ``node`` names the node killed or paused (None for network faults): an
    operation that took several nodes down gives one period per node.
    ``start`` and ``end`` are nanoseconds like ``Op.time``; ``end`` is None when
    the history ends with the fault still in force. ``detail`` is what the
    nemesis reported when the fault began (a partition's grudges, say).
    """

    fault: str
    start: int
    end: int | None
    node: str | None = None
    detail: Any = None


#: Nemesis operations that begin and end each fault (kill ends with a restart).
_BEGINS = {"start-partition": "partition", "start-loss": "loss", "start-slow": "slow",
           "kill": "kill", "pause": "pause"}  # fmt: skip
_ENDS = {"stop-partition": "partition", "stop-loss": "loss", "stop-slow": "slow",
         "start": "kill", "resume": "pause"}  # fmt: skip


class FaultTracker:
    """Follows the nemesis's records as they come and knows which faults are in force.

    The nemesis records each operation twice, what it was asked and then what
    it did; a fault is in force from the completion of the operation that
    begins it to the completion of the one that ends it. The completion of a
    kill, pause, start or resume lists the nodes it acted on (records that
    name one ``node`` instead are read as acting on it), and each node gets a
    period of its own. Killing a paused node ends its pause.
    """

    def __init__(self) -> None:
        self._asked: set[tuple[str, str | None]] = set()
        #: The faults in force, by (fault, node), with when each began.
        self.active: dict[tuple[str, str | None], FaultPeriod] = {}

    def feed(self, op: Op) -> list[FaultPeriod]:
        """Take the next op of the history; return the periods it began or ended."""
        if is_client(op) or (op.f not in _BEGINS and op.f not in _ENDS):
            return []
        step = (op.f, op.node)
        if step not in self._asked:
            self._asked.add(step)
            return []
        self._asked.discard(step)
        out: list[FaultPeriod] = []
        for node in _nodes(op):
            if op.f == "kill":
                out.extend(self._end("pause", node, op.time))
            if op.f in _BEGINS:
                period = FaultPeriod(_BEGINS[op.f], op.time, None, node, op.value)
                self.active[(period.fault, node)] = period
                out.append(period)
            else:
                out.extend(self._end(_ENDS[op.f], node, op.time))
        return out

    def _end(self, fault: str, node: str | None, time: int) -> list[FaultPeriod]:
        began = self.active.pop((fault, node), None)
        if began is None:
            return []  # healing a fault that was not in force
        return [FaultPeriod(began.fault, began.start, time, began.node, began.detail)]


def _nodes(op: Op) -> list[str | None]:
    """The nodes a completed nemesis operation acted on (None for the whole network)."""
    if op.f in ("kill", "pause", "start", "resume") and isinstance(op.value, list):
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
