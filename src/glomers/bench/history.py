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
